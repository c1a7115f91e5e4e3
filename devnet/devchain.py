"""A py-evm chain (eth-tester's PyEVMBackend) with the behaviour of a real node.

eth-tester mines one block per transaction and evaluates calls in its own
way; DevChain adds what a keeper needs to be tested against: a transaction
pool with geth's admission rules and replacement, mining on demand or
automatically, snapshots that also restore the pool, time control, and calls
and gas estimates that report revert data.

DevChain is not thread-safe: callers hold `lock` around every use.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional

from eth.abc import BlockAPI, BlockHeaderAPI, StateAPI
from eth.exceptions import (
    BlockNotFound,
    HeaderNotFound,
    Revert,
    TransactionNotFound,
)
from eth.vm.spoof import SpoofTransaction
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import ValidationError, to_checksum_address

import wire
from formatters import MinedLog, block_logs, fee_cap, gas_used_per_tx, sender_of, tip_cap
from txpool import TxPool, TxPoolError

BLOB_TX_TYPE = 3
ZERO_ADDRESS = b"\x00" * 20


class TxRejected(Exception):
    """A transaction or call the node refuses; the message is geth's wording where one exists."""


class Reverted(Exception):
    """Execution hit REVERT; `output` is the revert data (e.g. ABI-encoded Error(string))."""

    def __init__(self, output: bytes) -> None:
        super().__init__("execution reverted")
        self.output = output


class UnknownBlock(Exception):
    """A block reference that names no canonical block."""


@dataclass(frozen=True)
class CallRequest:
    """The transaction object of eth_call and eth_estimateGas (fees are not charged)."""

    sender: bytes = ZERO_ADDRESS
    to: Optional[bytes] = None
    gas: Optional[int] = None
    value: int = 0
    data: bytes = b""


@dataclass
class _SavedState:
    pool: TxPool
    time_offset: int
    next_timestamp: Optional[int]


class DevChain:
    """One in-memory chain with a transaction pool, mining control and snapshots."""

    def __init__(
        self,
        alloc: Mapping[bytes, int],
        *,
        automine: bool = True,
        finality_depth: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Start a chain whose genesis funds `alloc` (address -> wei)."""
        genesis_state = {
            account: {"balance": balance, "nonce": 0, "code": b"", "storage": {}}
            for account, balance in alloc.items()
        }
        self._tester = EthereumTester(PyEVMBackend(genesis_state=genesis_state))
        self._pool = TxPool()
        self._snapshots: dict[int, _SavedState] = {}
        self._time_offset = 0
        self._next_timestamp: Optional[int] = None
        self._clock = clock
        self.automine = automine
        self.finality_depth = finality_depth
        self.lock = threading.RLock()

    @property
    def _chain(self) -> Any:
        # Reverting to the genesis snapshot replaces the backend's chain object.
        return self._tester.backend.chain

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id

    # ------------------------------------------------------------ blocks

    def head(self) -> BlockHeaderAPI:
        """Header of the newest mined block."""
        return self._chain.get_canonical_head()

    def resolve_number(self, tag_or_number: str | int) -> int:
        """Block number for a tag or number (numbers are returned unchanged)."""
        head = self.head().block_number
        if isinstance(tag_or_number, int):
            return tag_or_number
        if tag_or_number == "earliest":
            return 0
        if tag_or_number in ("safe", "finalized"):
            return max(0, head - self.finality_depth)
        return head  # latest, pending: this node has no separate pending block

    def block_by_number(self, number: int) -> Optional[BlockAPI]:
        """The canonical block at `number`, or None above the head."""
        if number < 0 or number > self.head().block_number:
            return None
        return self._chain.get_canonical_block_by_number(number)

    def block_by_hash(self, block_hash: bytes) -> Optional[BlockAPI]:
        """The canonical block with this hash; None if unknown or reorged out."""
        try:
            block = self._chain.get_block_by_hash(block_hash)
        except (BlockNotFound, HeaderNotFound):
            return None
        if self.block_by_number(block.number) is None:
            return None
        canonical = self._chain.chaindb.get_canonical_block_hash(block.number)
        return block if canonical == block_hash else None

    def block_at(self, ref: wire.BlockRef) -> BlockAPI:
        """The block a tag, number or EIP-1898 reference names; raises UnknownBlock."""
        if isinstance(ref, wire.BlockHash):
            block = self.block_by_hash(ref.hash)
        else:
            block = self.block_by_number(self.resolve_number(ref))
        if block is None:
            raise UnknownBlock("header not found")
        return block

    def receipts(self, block: BlockAPI) -> tuple:
        """The block's receipts, in transaction order."""
        return block.get_receipts(self._chain.chaindb)

    def next_base_fee(self, number: int) -> int:
        """Base fee of the block after `number` (the pending block after the head)."""
        following = self.block_by_number(number + 1)
        if following is not None:
            return following.header.base_fee_per_gas
        return self._chain.header.base_fee_per_gas

    # ------------------------------------------------------------ transactions

    def find_transaction(self, tx_hash: bytes) -> Optional[tuple[Any, Optional[BlockAPI], Optional[int]]]:
        """(tx, block, index) for a canonical transaction, (tx, None, None) for a pooled one."""
        pooled = self._pool.get(tx_hash)
        if pooled is not None:
            return pooled.tx, None, None
        try:
            number, index = self._chain.chaindb.get_transaction_index(tx_hash)
        except TransactionNotFound:
            return None
        block = self.block_by_number(number)
        if block is None or index >= len(block.transactions):
            return None
        tx = block.transactions[index]
        return (tx, block, index) if tx.hash == tx_hash else None

    def send_raw_transaction(self, raw: bytes) -> bytes:
        """Admit a signed transaction to the pool; with automine, mine it at once.

        Raises TxRejected with geth's message when the pool refuses it.
        """
        tx, sender = self._decode(raw)
        self._admit(tx, sender)
        try:
            self._pool.add(tx, sender)
        except TxPoolError as exc:
            raise TxRejected(str(exc)) from None
        if self.automine and tx.nonce == self._state(self.head()).get_nonce(sender):
            dropped = self._mine_one()
            if tx.hash in dropped:
                raise TxRejected(dropped[tx.hash])
        return tx.hash

    def _decode(self, raw: bytes) -> tuple[Any, bytes]:
        if raw[:1] == bytes([BLOB_TX_TYPE]):
            raise TxRejected("transaction type not supported")
        try:
            tx = self._chain.get_vm().get_transaction_builder().decode(raw)
        except Exception as exc:  # py-evm raises rlp, ValidationError and others
            raise TxRejected(f"invalid transaction encoding: {exc}") from None
        chain_id = getattr(tx, "chain_id", None)
        if chain_id is not None and chain_id != self.chain_id:
            raise TxRejected(f"invalid chain id for signer: have {chain_id} want {self.chain_id}")
        try:
            tx.check_signature_validity()
            sender = sender_of(tx)
        except Exception:
            raise TxRejected("invalid sender") from None
        return tx, sender

    def _admit(self, tx: Any, sender: bytes) -> None:
        """geth's txpool validation, in geth's order."""
        state = self._state(self.head())
        who = to_checksum_address(sender)
        if self._pool.get(tx.hash) is not None:
            raise TxRejected("already known")
        if tx.nonce < state.get_nonce(sender):
            raise TxRejected(f"nonce too low: address {who}, tx: {tx.nonce} state: {state.get_nonce(sender)}")
        if tx.gas > self._chain.header.gas_limit:
            raise TxRejected("exceeds block gas limit")
        if tx.gas < tx.intrinsic_gas:
            raise TxRejected(f"intrinsic gas too low: gas {tx.gas}, minimum needed {tx.intrinsic_gas}")
        if tip_cap(tx) > fee_cap(tx):
            raise TxRejected("max priority fee per gas higher than max fee per gas")
        cost = tx.gas * fee_cap(tx) + tx.value
        if state.get_balance(sender) < cost:
            raise TxRejected(
                f"insufficient funds for gas * price + value: address {who} "
                f"have {state.get_balance(sender)} want {cost}"
            )
        base_fee = self._chain.header.base_fee_per_gas
        if self.automine and fee_cap(tx) < base_fee:
            raise TxRejected(
                f"max fee per gas less than block base fee: address {who}, "
                f"maxFeePerGas: {fee_cap(tx)}, baseFee: {base_fee}"
            )

    def pending_nonce(self, account: bytes) -> int:
        """Nonce for the account's next transaction, counting pooled ones."""
        return self._pool.pending_nonce(account, self._state(self.head()).get_nonce(account))

    def pending_transactions(self) -> list[Any]:
        """Transactions waiting in the pool."""
        return [entry.tx for entry in self._pool]

    # ------------------------------------------------------------ state

    def _state(self, header: BlockHeaderAPI, *, free: bool = False) -> StateAPI:
        """State after `header`'s block, executed in that block's context.

        `free` zeroes the base fee so that calls run with gas price 0.
        """
        if free:
            header = header.copy(base_fee_per_gas=0)
        return self._chain.get_vm(at_header=header).state

    def balance(self, account: bytes, ref: wire.BlockRef) -> int:
        return self._state(self.block_at(ref).header).get_balance(account)

    def code(self, account: bytes, ref: wire.BlockRef) -> bytes:
        return self._state(self.block_at(ref).header).get_code(account)

    def nonce(self, account: bytes, ref: wire.BlockRef) -> int:
        return self._state(self.block_at(ref).header).get_nonce(account)

    def storage(self, account: bytes, slot: int, ref: wire.BlockRef) -> int:
        return self._state(self.block_at(ref).header).get_storage(account, slot)

    def call(self, request: CallRequest, ref: wire.BlockRef = "latest") -> bytes:
        """Execute without committing, like eth_call; raises Reverted or TxRejected."""
        header = self.block_at(ref).header
        state = self._state(header, free=True)
        tx = self._spoof(state, request, min(request.gas or header.gas_limit, header.gas_limit))
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(tx)
        except ValidationError as exc:
            raise TxRejected(_call_rejection(exc)) from None
        finally:
            state.revert(snapshot)
        if computation.is_error:
            _raise_vm_error(computation.error, computation.output)
        return computation.output

    def estimate_gas(self, request: CallRequest, ref: wire.BlockRef = "latest") -> int:
        """Gas limit with which the call succeeds, within 1.5 % like geth; raises Reverted or TxRejected."""
        header = self.block_at(ref).header
        cap = min(request.gas or header.gas_limit, header.gas_limit)
        state = self._state(header, free=True)
        try:
            return _estimate_gas(state, lambda gas: self._spoof(state, request, gas), cap)
        except ValidationError as exc:
            raise TxRejected(_call_rejection(exc)) from None

    def _spoof(self, state: StateAPI, request: CallRequest, gas: int) -> SpoofTransaction:
        unsigned = self._chain.get_vm().create_unsigned_transaction(
            nonce=state.get_nonce(request.sender),
            gas_price=0,
            gas=gas,
            to=request.to if request.to is not None else b"",
            value=request.value,
            data=request.data,
        )
        return SpoofTransaction(unsigned, from_=request.sender)

    # ------------------------------------------------------------ logs and fees

    def logs(self, first: int, last: int) -> Iterator[list[MinedLog]]:
        """Per block from `first` to `last` (inclusive), that block's logs."""
        for number in range(first, last + 1):
            block = self.block_by_number(number)
            if block is None:
                return
            yield block_logs(block, self.receipts(block)) if block.transactions else []

    def fee_history(self, count: int, newest: int, percentiles: list[float]) -> dict:
        """Raw eth_feeHistory data for `count` blocks ending at `newest`."""
        oldest = max(0, newest - count + 1)
        blocks = [self.block_by_number(n) for n in range(oldest, newest + 1)]
        return {
            "oldest": oldest,
            "base_fees": [b.header.base_fee_per_gas for b in blocks] + [self.next_base_fee(newest)],
            "gas_used_ratios": [b.header.gas_used / b.header.gas_limit for b in blocks],
            "rewards": [self._rewards(b, percentiles) for b in blocks] if percentiles else None,
        }

    def _rewards(self, block: BlockAPI, percentiles: list[float]) -> list[int]:
        """geth's reward percentiles: tips weighted by the gas each transaction used."""
        base_fee = block.header.base_fee_per_gas
        if not block.transactions:
            return [0 for _ in percentiles]
        used = gas_used_per_tx(self.receipts(block))
        tips = sorted(
            (min(tip_cap(tx), fee_cap(tx) - base_fee), gas) for tx, gas in zip(block.transactions, used)
        )
        rewards = []
        for percentile in percentiles:
            threshold, cumulative = block.header.gas_used * percentile / 100, 0
            for tip, gas in tips:
                cumulative += gas
                if cumulative >= threshold:
                    break
            rewards.append(tip)
        return rewards

    # ------------------------------------------------------------ mining

    def mine(self, count: int = 1) -> list[bytes]:
        """Mine `count` blocks, each taking what it can from the pool; returns their hashes."""
        hashes = []
        for _ in range(count):
            self._mine_one()
            hashes.append(self.head().hash)
        return hashes

    def _mine_one(self) -> dict[bytes, str]:
        """Mine one block; returns the pooled transactions dropped as invalid, with reasons."""
        chain = self._chain
        chain.set_header_timestamp(self._next_block_timestamp(self.head()))
        dropped = self._fill_pending_block()
        self._tester.mine_blocks(1)
        state = self._state(self.head())
        self._pool.prune(state.get_nonce)
        return dropped

    def _fill_pending_block(self) -> dict[bytes, str]:
        chain = self._chain
        base_fee = chain.header.base_fee_per_gas
        state = chain.get_vm().state
        nonces: dict[bytes, int] = {}

        def next_nonce(sender: bytes) -> int:
            if sender not in nonces:
                nonces[sender] = state.get_nonce(sender)
            return nonces[sender]

        dropped = {}
        while True:
            gas_left = chain.header.gas_limit - chain.header.gas_used
            entry = self._pool.best_executable(next_nonce, base_fee, gas_left)
            if entry is None:
                return dropped
            self._pool.remove(entry.hash)
            try:
                chain.apply_transaction(entry.tx)
                nonces[entry.sender] = next_nonce(entry.sender) + 1
            except ValidationError as exc:
                dropped[entry.hash] = str(exc)

    def _next_block_timestamp(self, parent: BlockHeaderAPI) -> int:
        if self._next_timestamp is not None:
            timestamp, self._next_timestamp = self._next_timestamp, None
        else:
            timestamp = int(self._clock()) + self._time_offset
        return max(timestamp, parent.timestamp + 1)

    def increase_time(self, seconds: int) -> int:
        """Move the clock of future blocks forward; returns the total offset in seconds."""
        self._time_offset += seconds
        return self._time_offset

    def set_next_block_timestamp(self, timestamp: int) -> None:
        """Give the next mined block exactly this timestamp."""
        head = self.head().timestamp
        if timestamp <= head:
            raise TxRejected(f"timestamp {timestamp} is not after the head block's timestamp {head}")
        self._next_timestamp = timestamp

    # ------------------------------------------------------------ snapshots

    def snapshot(self) -> int:
        """Remember the head, the pool and the clock; returns the snapshot id."""
        snapshot_id = self._tester.take_snapshot()
        self._snapshots[snapshot_id] = _SavedState(
            pool=self._pool.copy(), time_offset=self._time_offset, next_timestamp=self._next_timestamp
        )
        return snapshot_id

    def revert(self, snapshot_id: int) -> bool:
        """Return to a snapshot; it and later snapshots are used up. False if unknown."""
        saved = self._snapshots.get(snapshot_id)
        if saved is None:
            return False
        self._tester.revert_to_snapshot(snapshot_id)
        self._pool = saved.pool
        self._time_offset = saved.time_offset
        self._next_timestamp = saved.next_timestamp
        for later in [sid for sid in self._snapshots if sid >= snapshot_id]:
            del self._snapshots[later]
        return True


ESTIMATE_ERROR_RATIO = 0.015
"""geth's eth_estimateGas stops its binary search within 1.5 % of the true minimum."""
CALL_STIPEND = 2300


def _estimate_gas(state: StateAPI, make_tx: Callable[[int], SpoofTransaction], cap: int) -> int:
    """geth's estimator: run at the cap, try the gas used (exactly, then with 64/63 headroom), then bisect."""

    def run(gas: int) -> Any:
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(make_tx(gas))
        finally:
            state.revert(snapshot)

    at_cap = run(cap)
    if at_cap.is_error:
        if isinstance(at_cap.error, Revert):
            raise Reverted(at_cap.output)
        raise TxRejected(f"gas required exceeds allowance ({cap})")
    used = cap - at_cap.get_gas_remaining()
    if not run(used).is_error:  # plain transfers and most calls: exact, as geth's 21000 shortcut
        return used
    low, high = used, cap
    optimistic = min((used + CALL_STIPEND) * 64 // 63, cap)
    if not run(optimistic).is_error:
        high = optimistic
    while high - low > 1 and (high - low) / high > ESTIMATE_ERROR_RATIO:
        middle = (low + high) // 2
        if run(middle).is_error:
            low = middle
        else:
            high = middle
    return high


def _call_rejection(error: ValidationError) -> str:
    """geth's words for a call py-evm refuses to run (calls pay no gas: only the value can be short)."""
    message = str(error)
    return "insufficient funds for transfer" if "enough balance" in message else message


def _raise_vm_error(error: Exception, output: bytes) -> None:
    if isinstance(error, Revert):
        raise Reverted(output)
    raise TxRejected(str(error) or type(error).__name__)
