"""py-evm objects to JSON-RPC wire objects (blocks, transactions, receipts, logs).

Field names and encodings follow geth's answers so that web3.py, curl and the
Swift client see what they would see from a real node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import rlp
from eth._utils.address import generate_contract_address

import wire

LEGACY_TX_TYPE = 0
ACCESS_LIST_TX_TYPE = 1
DYNAMIC_FEE_TX_TYPE = 2


@dataclass(frozen=True)
class MinedLog:
    """One log of a mined transaction, with its block-wide index."""

    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


_SENDERS: dict[bytes, bytes] = {}
_SENDER_CACHE_LIMIT = 100_000


def sender_of(tx: Any) -> bytes:
    """The transaction's sender, recovered once per transaction hash.

    py-evm recovers the signature on every `tx.sender` access, in pure Python.
    """
    sender = _SENDERS.get(tx.hash)
    if sender is None:
        if len(_SENDERS) >= _SENDER_CACHE_LIMIT:
            _SENDERS.clear()
        sender = _SENDERS[tx.hash] = tx.sender
    return sender


def tx_type(tx: Any) -> int:
    """EIP-2718 type of a py-evm transaction (0 for legacy)."""
    return getattr(tx, "type_id", None) or LEGACY_TX_TYPE


def fee_cap(tx: Any) -> int:
    """Most the sender pays per gas (gasPrice for legacy, maxFeePerGas otherwise)."""
    return tx.max_fee_per_gas if tx_type(tx) >= DYNAMIC_FEE_TX_TYPE else tx.gas_price


def tip_cap(tx: Any) -> int:
    """Most the sender tips per gas (gasPrice for legacy)."""
    return tx.max_priority_fee_per_gas if tx_type(tx) >= DYNAMIC_FEE_TX_TYPE else tx.gas_price


def effective_gas_price(tx: Any, base_fee: int) -> int:
    """Price per gas actually paid in a block with this base fee."""
    if tx_type(tx) >= DYNAMIC_FEE_TX_TYPE:
        return min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + base_fee)
    return tx.gas_price


def gas_used_per_tx(receipts: Sequence[Any]) -> list[int]:
    """Per-transaction gas from the receipts' cumulative gas."""
    used, previous = [], 0
    for receipt in receipts:
        used.append(receipt.gas_used - previous)
        previous = receipt.gas_used
    return used


# ---------------------------------------------------------------- blocks

def format_block(block: Any, full_transactions: bool) -> dict:
    """A mined block as eth_getBlockBy* returns it."""
    header = block.header
    if full_transactions:
        transactions = [format_transaction(tx, block, i) for i, tx in enumerate(block.transactions)]
    else:
        transactions = [wire.hash32(tx.hash) for tx in block.transactions]
    result = {
        "number": wire.quantity(header.block_number),
        "hash": wire.hash32(header.hash),
        "parentHash": wire.hash32(header.parent_hash),
        "nonce": wire.fixed(header.nonce, 8),
        "sha3Uncles": wire.hash32(header.uncles_hash),
        "logsBloom": wire.fixed(header.bloom, 256),
        "transactionsRoot": wire.hash32(header.transaction_root),
        "stateRoot": wire.hash32(header.state_root),
        "receiptsRoot": wire.hash32(header.receipt_root),
        "miner": wire.fixed(header.coinbase, 20),
        "difficulty": wire.quantity(header.difficulty),
        "totalDifficulty": wire.quantity(header.difficulty),
        "extraData": wire.data(header.extra_data),
        "size": wire.quantity(len(rlp.encode(block))),
        "gasLimit": wire.quantity(header.gas_limit),
        "gasUsed": wire.quantity(header.gas_used),
        "timestamp": wire.quantity(header.timestamp),
        "transactions": transactions,
        "uncles": [wire.hash32(uncle.hash) for uncle in block.uncles],
        "mixHash": wire.hash32(header.mix_hash),
        "baseFeePerGas": wire.quantity(header.base_fee_per_gas),
    }
    result.update(_post_shanghai_fields(block))
    return result


def _post_shanghai_fields(block: Any) -> dict:
    header, fields = block.header, {}
    if hasattr(header, "withdrawals_root"):
        fields["withdrawalsRoot"] = wire.hash32(header.withdrawals_root)
        fields["withdrawals"] = [_format_withdrawal(w) for w in getattr(block, "withdrawals", ())]
    if hasattr(header, "blob_gas_used"):
        fields["blobGasUsed"] = wire.quantity(header.blob_gas_used)
        fields["excessBlobGas"] = wire.quantity(header.excess_blob_gas)
        fields["parentBeaconBlockRoot"] = wire.hash32(header.parent_beacon_block_root)
    if getattr(header, "requests_hash", None) is not None:
        fields["requestsHash"] = wire.hash32(header.requests_hash)
    return fields


def _format_withdrawal(withdrawal: Any) -> dict:
    return {
        "index": wire.quantity(withdrawal.index),
        "validatorIndex": wire.quantity(withdrawal.validator_index),
        "address": wire.address(withdrawal.address),
        "amount": wire.quantity(withdrawal.amount),
    }


# ---------------------------------------------------------------- transactions

def format_transaction(tx: Any, block: Any | None = None, index: int | None = None) -> dict:
    """A transaction as eth_getTransactionByHash returns it.

    Without a block the transaction is pending: blockHash, blockNumber and
    transactionIndex are null and a dynamic-fee gasPrice is its maxFeePerGas.
    """
    kind = tx_type(tx)
    mined = block is not None
    if mined:
        gas_price = effective_gas_price(tx, block.header.base_fee_per_gas)
    else:
        gas_price = fee_cap(tx)
    result = {
        "blockHash": wire.hash32(block.header.hash) if mined else None,
        "blockNumber": wire.quantity(block.header.block_number) if mined else None,
        "transactionIndex": wire.quantity(index) if mined else None,
        "hash": wire.hash32(tx.hash),
        "type": wire.quantity(kind),
        "nonce": wire.quantity(tx.nonce),
        "from": wire.address(sender_of(tx)),
        "to": wire.address(tx.to),
        "value": wire.quantity(tx.value),
        "gas": wire.quantity(tx.gas),
        "gasPrice": wire.quantity(gas_price),
        "input": wire.data(tx.data),
    }
    if kind >= ACCESS_LIST_TX_TYPE:
        result["chainId"] = wire.quantity(tx.chain_id)
        result["accessList"] = [_format_access(entry) for entry in tx.access_list]
    if kind >= DYNAMIC_FEE_TX_TYPE:
        result["maxFeePerGas"] = wire.quantity(tx.max_fee_per_gas)
        result["maxPriorityFeePerGas"] = wire.quantity(tx.max_priority_fee_per_gas)
    result.update(_signature_fields(tx, kind))
    return result


def _format_access(entry: Any) -> dict:
    account, slots = entry
    return {"address": wire.address(account), "storageKeys": [wire.hash32(slot) for slot in slots]}


def _signature_fields(tx: Any, kind: int) -> dict:
    if kind == LEGACY_TX_TYPE:
        fields = {"v": wire.quantity(tx.v)}
        if tx.chain_id is not None:
            fields["chainId"] = wire.quantity(tx.chain_id)
    else:
        fields = {"v": wire.quantity(tx.y_parity), "yParity": wire.quantity(tx.y_parity)}
    fields["r"] = wire.quantity(tx.r)
    fields["s"] = wire.quantity(tx.s)
    return fields


# ---------------------------------------------------------------- receipts and logs

def block_logs(block: Any, receipts: Sequence[Any]) -> list[MinedLog]:
    """Every log of a block, numbered block-wide as real nodes do."""
    logs, log_index = [], 0
    for tx_index, (tx, receipt) in enumerate(zip(block.transactions, receipts)):
        for log in receipt.logs:
            logs.append(MinedLog(
                block_number=block.header.block_number,
                block_hash=block.header.hash,
                transaction_hash=tx.hash,
                transaction_index=tx_index,
                log_index=log_index,
                address=log.address,
                topics=tuple(topic.to_bytes(32, "big") for topic in log.topics),
                data=log.data,
            ))
            log_index += 1
    return logs


def format_log(log: MinedLog) -> dict:
    """A log as eth_getLogs and receipts return it."""
    return {
        "address": wire.address(log.address),
        "topics": [wire.hash32(topic) for topic in log.topics],
        "data": wire.data(log.data),
        "blockNumber": wire.quantity(log.block_number),
        "blockHash": wire.hash32(log.block_hash),
        "transactionHash": wire.hash32(log.transaction_hash),
        "transactionIndex": wire.quantity(log.transaction_index),
        "logIndex": wire.quantity(log.log_index),
        "removed": False,
    }


def format_receipt(block: Any, receipts: Sequence[Any], index: int) -> dict:
    """The receipt of the block's transaction at `index`."""
    tx, receipt = block.transactions[index], receipts[index]
    contract = generate_contract_address(sender_of(tx), tx.nonce) if tx.to == b"" else None
    logs = [log for log in block_logs(block, receipts) if log.transaction_index == index]
    return {
        "transactionHash": wire.hash32(tx.hash),
        "transactionIndex": wire.quantity(index),
        "blockHash": wire.hash32(block.header.hash),
        "blockNumber": wire.quantity(block.header.block_number),
        "from": wire.address(sender_of(tx)),
        "to": wire.address(tx.to),
        "cumulativeGasUsed": wire.quantity(receipt.gas_used),
        "gasUsed": wire.quantity(gas_used_per_tx(receipts)[index]),
        "effectiveGasPrice": wire.quantity(effective_gas_price(tx, block.header.base_fee_per_gas)),
        "contractAddress": wire.address(contract),
        "logs": [format_log(log) for log in logs],
        "logsBloom": wire.fixed(receipt.bloom, 256),
        "status": wire.quantity(1 if receipt.state_root == b"\x01" else 0),
        "type": wire.quantity(tx_type(tx)),
    }
