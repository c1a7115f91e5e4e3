"""JSON-RPC 2.0 over a DevChain: request parsing, batches, errors, the methods.

Error codes:
  -32700 parse error, -32600 invalid request, -32601 method not found,
  -32602 invalid params, -32603 internal error (a devnode bug; trace on stderr),
  3 execution reverted (data = revert data),
  -32005 too many logs (with a suggested block range), -32000 anything else
  (geth's messages: "nonce too low: ...", "already known", "replacement
  transaction underpriced", "insufficient funds for gas * price + value: ...",
  "header not found", ...).
"""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Optional

from eth_abi import decode as abi_decode

import formatters
import wire
from devchain import CallRequest, DevChain, Reverted, TxRejected, UnknownBlock

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
LIMIT_EXCEEDED = -32005
EXECUTION_REVERTED = 3

MAX_BATCH = 1000
MAX_MINE_COUNT = 10_000
MAX_TOPICS = 4
MAX_FEE_HISTORY_BLOCKS = 1024
SUGGESTED_TIP = 10**9  # 1 gwei, what geth suggests on an idle chain

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

_MISSING = object()


class RpcError(Exception):
    """An error answered in the JSON-RPC `error` member."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def to_json(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def revert_error(output: bytes) -> RpcError:
    """geth's answer to a revert: code 3, the reason in the message, the raw data."""
    reason = revert_reason(output)
    message = f"execution reverted: {reason}" if reason else "execution reverted"
    return RpcError(EXECUTION_REVERTED, message, wire.data(output))


def revert_reason(output: bytes) -> Optional[str]:
    """The decoded Error(string) reason or Panic code, if the data is one."""
    try:
        if output[:4] == ERROR_SELECTOR:
            return abi_decode(["string"], output[4:])[0]
        if output[:4] == PANIC_SELECTOR:
            return f"panic: 0x{abi_decode(['uint256'], output[4:])[0]:02x}"
    except Exception:  # malformed revert data: report it undecoded
        return None
    return None


class Params:
    """Positional parameters with geth's invalid-argument messages."""

    def __init__(self, raw: Any) -> None:
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise RpcError(INVALID_PARAMS, "non-array args")
        self._raw = raw

    def at_most(self, count: int) -> "Params":
        if len(self._raw) > count:
            raise RpcError(INVALID_PARAMS, f"too many arguments, want at most {count}")
        return self

    def get(self, index: int, parse: Callable[[Any], Any], default: Any = _MISSING) -> Any:
        """Parse argument `index`; a missing or null argument takes `default`."""
        if index < len(self._raw) and self._raw[index] is not None:
            try:
                return parse(self._raw[index])
            except wire.ParamError as exc:
                raise RpcError(INVALID_PARAMS, f"invalid argument {index}: {exc}") from None
        if default is _MISSING:
            raise RpcError(INVALID_PARAMS, f"missing value for required argument {index}")
        return default


@dataclass(frozen=True)
class LogFilter:
    """A parsed eth_getLogs filter."""

    first: int
    last: int
    addresses: Optional[frozenset[bytes]]
    topics: tuple[Optional[frozenset[bytes]], ...]

    def matches(self, log: formatters.MinedLog) -> bool:
        if self.addresses is not None and log.address not in self.addresses:
            return False
        if len(self.topics) > len(log.topics):
            return False
        return all(want is None or have in want for want, have in zip(self.topics, log.topics))


_METHODS: dict[str, Callable[["EthApi", Params], Any]] = {}


def rpc_method(name: str) -> Callable:
    """Register an EthApi method under its JSON-RPC name."""

    def register(function: Callable) -> Callable:
        _METHODS[name] = function
        return function

    return register


class EthApi:
    """The JSON-RPC methods, answered from one DevChain under its lock."""

    def __init__(self, chain: DevChain, *, client_version: str, max_logs: Optional[int] = None) -> None:
        self.chain = chain
        self.client_version = client_version
        self.max_logs = max_logs

    # ------------------------------------------------------------ dispatch

    def handle(self, body: bytes) -> Optional[bytes]:
        """Answer one HTTP body: a request or a batch. None when nothing is to be sent."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _dump(_error_response(None, RpcError(PARSE_ERROR, "parse error")))
        if isinstance(payload, list):
            return self._handle_batch(payload)
        response = self._handle_one(payload)
        return _dump(response) if response is not None else None

    def _handle_batch(self, batch: list) -> Optional[bytes]:
        if not batch:
            return _dump(_error_response(None, RpcError(INVALID_REQUEST, "empty batch")))
        if len(batch) > MAX_BATCH:
            return _dump(_error_response(None, RpcError(INVALID_REQUEST, "batch too large")))
        responses = [r for r in (self._handle_one(item) for item in batch) if r is not None]
        return _dump(responses) if responses else None

    def _handle_one(self, request: Any) -> Optional[dict]:
        if not _is_valid_request(request):
            request_id = request.get("id") if isinstance(request, dict) else None
            return _error_response(_valid_id(request_id), RpcError(INVALID_REQUEST, "invalid request"))
        is_notification = "id" not in request
        try:
            result = self.call(request["method"], request.get("params"))
            response = {"jsonrpc": "2.0", "id": request.get("id"), "result": result}
        except RpcError as exc:
            response = _error_response(request.get("id"), exc)
        return None if is_notification else response

    def call(self, method: str, params: Any) -> Any:
        """Run one method; raises RpcError."""
        handler = _METHODS.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        with self.chain.lock:
            try:
                return handler(self, Params(params))
            except Reverted as exc:
                raise revert_error(exc.output) from None
            except (TxRejected, UnknownBlock) as exc:
                raise RpcError(SERVER_ERROR, str(exc)) from None
            except RpcError:
                raise
            except Exception as exc:  # a bug here must still get an answer, and a trace on stderr
                traceback.print_exc(file=sys.stderr)
                raise RpcError(INTERNAL_ERROR, f"internal error: {exc!r}") from None

    # ------------------------------------------------------------ node

    @rpc_method("web3_clientVersion")
    def web3_client_version(self, p: Params) -> str:
        p.at_most(0)
        return self.client_version

    @rpc_method("eth_chainId")
    def chain_id(self, p: Params) -> str:
        p.at_most(0)
        return wire.quantity(self.chain.chain_id)

    @rpc_method("net_version")
    def net_version(self, p: Params) -> str:
        p.at_most(0)
        return str(self.chain.chain_id)

    @rpc_method("net_listening")
    def net_listening(self, p: Params) -> bool:
        p.at_most(0)
        return True

    @rpc_method("eth_syncing")
    def syncing(self, p: Params) -> bool:
        p.at_most(0)
        return False

    @rpc_method("eth_accounts")
    def accounts(self, p: Params) -> list:
        p.at_most(0)
        return []

    # ------------------------------------------------------------ blocks

    @rpc_method("eth_blockNumber")
    def block_number(self, p: Params) -> str:
        p.at_most(0)
        return wire.quantity(self.chain.head().block_number)

    @rpc_method("eth_getBlockByNumber")
    def get_block_by_number(self, p: Params) -> Optional[dict]:
        p.at_most(2)
        ref = p.get(0, _parse_tag_or_number)
        full = p.get(1, wire.parse_bool, False)
        block = self.chain.block_by_number(self.chain.resolve_number(ref))
        return formatters.format_block(block, full) if block is not None else None

    @rpc_method("eth_getBlockByHash")
    def get_block_by_hash(self, p: Params) -> Optional[dict]:
        p.at_most(2)
        block_hash = p.get(0, wire.parse_hash)
        full = p.get(1, wire.parse_bool, False)
        block = self.chain.block_by_hash(block_hash)
        return formatters.format_block(block, full) if block is not None else None

    @rpc_method("eth_getBlockTransactionCountByNumber")
    def get_block_transaction_count_by_number(self, p: Params) -> Optional[str]:
        p.at_most(1)
        block = self.chain.block_by_number(self.chain.resolve_number(p.get(0, _parse_tag_or_number)))
        return wire.quantity(len(block.transactions)) if block is not None else None

    # ------------------------------------------------------------ transactions

    @rpc_method("eth_getTransactionByHash")
    def get_transaction_by_hash(self, p: Params) -> Optional[dict]:
        p.at_most(1)
        found = self.chain.find_transaction(p.get(0, wire.parse_hash))
        if found is None:
            return None
        tx, block, index = found
        return formatters.format_transaction(tx, block, index)

    @rpc_method("eth_getTransactionReceipt")
    def get_transaction_receipt(self, p: Params) -> Optional[dict]:
        p.at_most(1)
        found = self.chain.find_transaction(p.get(0, wire.parse_hash))
        if found is None or found[1] is None:
            return None
        _, block, index = found
        return formatters.format_receipt(block, self.chain.receipts(block), index)

    @rpc_method("eth_sendRawTransaction")
    def send_raw_transaction(self, p: Params) -> str:
        p.at_most(1)
        raw = p.get(0, wire.parse_data)
        if not raw:
            raise RpcError(INVALID_PARAMS, "invalid argument 0: empty transaction")
        return wire.hash32(self.chain.send_raw_transaction(raw))

    @rpc_method("eth_getTransactionCount")
    def get_transaction_count(self, p: Params) -> str:
        p.at_most(2)
        account = p.get(0, wire.parse_address)
        ref = p.get(1, wire.parse_block_ref, "latest")
        if ref == "pending":
            return wire.quantity(self.chain.pending_nonce(account))
        return wire.quantity(self.chain.nonce(account, ref))

    # ------------------------------------------------------------ state

    @rpc_method("eth_getBalance")
    def get_balance(self, p: Params) -> str:
        p.at_most(2)
        account = p.get(0, wire.parse_address)
        return wire.quantity(self.chain.balance(account, p.get(1, wire.parse_block_ref, "latest")))

    @rpc_method("eth_getCode")
    def get_code(self, p: Params) -> str:
        p.at_most(2)
        account = p.get(0, wire.parse_address)
        return wire.data(self.chain.code(account, p.get(1, wire.parse_block_ref, "latest")))

    @rpc_method("eth_getStorageAt")
    def get_storage_at(self, p: Params) -> str:
        p.at_most(3)
        account = p.get(0, wire.parse_address)
        slot = p.get(1, _parse_slot)
        value = self.chain.storage(account, slot, p.get(2, wire.parse_block_ref, "latest"))
        return wire.hash32(value)

    @rpc_method("eth_call")
    def eth_call(self, p: Params) -> str:
        p.at_most(3)
        request = p.get(0, _parse_call_request)
        ref = p.get(1, wire.parse_block_ref, "latest")
        if p.get(2, lambda overrides: overrides, None):
            raise RpcError(INVALID_PARAMS, "invalid argument 2: state overrides are not supported")
        return wire.data(self.chain.call(request, ref))

    @rpc_method("eth_estimateGas")
    def estimate_gas(self, p: Params) -> str:
        p.at_most(2)
        request = p.get(0, _parse_call_request)
        ref = p.get(1, wire.parse_block_ref, "latest")
        return wire.quantity(self.chain.estimate_gas(request, ref))

    # ------------------------------------------------------------ fees

    @rpc_method("eth_gasPrice")
    def gas_price(self, p: Params) -> str:
        p.at_most(0)
        return wire.quantity(self.chain.next_base_fee(self.chain.head().block_number) + SUGGESTED_TIP)

    @rpc_method("eth_maxPriorityFeePerGas")
    def max_priority_fee(self, p: Params) -> str:
        p.at_most(0)
        return wire.quantity(SUGGESTED_TIP)

    @rpc_method("eth_feeHistory")
    def fee_history(self, p: Params) -> dict:
        p.at_most(3)
        count = min(p.get(0, wire.parse_number), MAX_FEE_HISTORY_BLOCKS)
        newest = self.chain.resolve_number(p.get(1, _parse_tag_or_number))
        percentiles = p.get(2, _parse_percentiles, [])
        if newest > self.chain.head().block_number:
            raise RpcError(SERVER_ERROR, "request beyond head block")
        if count == 0:
            return {"oldestBlock": wire.quantity(0), "baseFeePerGas": [], "gasUsedRatio": []}
        history = self.chain.fee_history(count, newest, percentiles)
        result = {
            "oldestBlock": wire.quantity(history["oldest"]),
            "baseFeePerGas": [wire.quantity(fee) for fee in history["base_fees"]],
            "gasUsedRatio": history["gas_used_ratios"],
        }
        if history["rewards"] is not None:
            result["reward"] = [[wire.quantity(tip) for tip in block] for block in history["rewards"]]
        return result

    # ------------------------------------------------------------ logs

    @rpc_method("eth_getLogs")
    def get_logs(self, p: Params) -> list:
        p.at_most(1)
        log_filter = p.get(0, self._parse_filter)
        matched: list[formatters.MinedLog] = []
        for number, logs in enumerate(self.chain.logs(log_filter.first, log_filter.last), log_filter.first):
            in_block = [log for log in logs if log_filter.matches(log)]
            if self.max_logs is not None and len(matched) + len(in_block) > self.max_logs:
                raise self._too_many_logs(log_filter.first, max(log_filter.first, number - 1))
            matched.extend(in_block)
        return [formatters.format_log(log) for log in matched]

    def _too_many_logs(self, first: int, last: int) -> RpcError:
        """The answer of Infura-style providers when a query matches too many logs."""
        return RpcError(
            LIMIT_EXCEEDED,
            f"query returned more than {self.max_logs} results. "
            f"Try with this block range [{wire.quantity(first)}, {wire.quantity(last)}].",
            {"from": wire.quantity(first), "to": wire.quantity(last)},
        )

    def _parse_filter(self, value: Any) -> LogFilter:
        if not isinstance(value, dict):
            raise wire.ParamError("filter must be an object")
        first, last = self._filter_range(value)
        topics = value.get("topics") or []
        if not isinstance(topics, list):
            raise wire.ParamError("topics must be an array")
        if len(topics) > MAX_TOPICS:
            raise wire.ParamError("exceed max topics")
        return LogFilter(first, last, _parse_addresses(value.get("address")), tuple(map(_parse_topic, topics)))

    def _filter_range(self, value: dict) -> tuple[int, int]:
        if value.get("blockHash") is not None:
            if value.get("fromBlock") is not None or value.get("toBlock") is not None:
                raise wire.ParamError(
                    "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"
                )
            block = self.chain.block_by_hash(wire.parse_hash(value["blockHash"]))
            if block is None:
                raise UnknownBlock("unknown block")
            return block.number, block.number
        head = self.chain.head().block_number
        first = self.chain.resolve_number(_parse_tag_or_number(value.get("fromBlock") or "latest"))
        last = self.chain.resolve_number(_parse_tag_or_number(value.get("toBlock") or "latest"))
        if first > last:
            raise TxRejected("invalid block range params")
        return first, min(last, head)

    # ------------------------------------------------------------ test controls

    @rpc_method("evm_mine")
    def evm_mine(self, p: Params) -> str:
        p.at_most(1)
        count = p.get(0, wire.parse_number, 1)
        if count > MAX_MINE_COUNT:
            raise RpcError(INVALID_PARAMS, f"invalid argument 0: at most {MAX_MINE_COUNT} blocks at once")
        self.chain.mine(count)
        return wire.quantity(0)

    @rpc_method("evm_snapshot")
    def evm_snapshot(self, p: Params) -> str:
        p.at_most(0)
        return wire.quantity(self.chain.snapshot())

    @rpc_method("evm_revert")
    def evm_revert(self, p: Params) -> bool:
        p.at_most(1)
        return self.chain.revert(p.get(0, wire.parse_number))

    @rpc_method("evm_setAutomine")
    def evm_set_automine(self, p: Params) -> bool:
        p.at_most(1)
        self.chain.automine = p.get(0, wire.parse_bool)
        return True

    @rpc_method("evm_increaseTime")
    def evm_increase_time(self, p: Params) -> int:
        p.at_most(1)
        return self.chain.increase_time(p.get(0, wire.parse_number))

    @rpc_method("evm_setNextBlockTimestamp")
    def evm_set_next_block_timestamp(self, p: Params) -> bool:
        p.at_most(1)
        self.chain.set_next_block_timestamp(p.get(0, wire.parse_number))
        return True

    @rpc_method("txpool_content")
    def txpool_content(self, p: Params) -> dict:
        """geth's txpool_content, with every pooled transaction under "pending"."""
        p.at_most(0)
        pending: dict[str, dict[str, dict]] = {}
        for tx in self.chain.pending_transactions():
            sender = wire.address(formatters.sender_of(tx))
            pending.setdefault(sender, {})[str(tx.nonce)] = formatters.format_transaction(tx)
        return {"pending": pending, "queued": {}}


# ---------------------------------------------------------------- parsing helpers

def _parse_tag_or_number(value: Any) -> str | int:
    ref = wire.parse_block_ref(value)
    if isinstance(ref, wire.BlockHash):
        raise wire.ParamError("a block hash is not allowed here")
    return ref


def _parse_slot(value: Any) -> int:
    raw = wire.parse_data(value)
    if len(raw) > 32:
        raise wire.ParamError("storage slot longer than 32 bytes")
    return int.from_bytes(raw, "big")


def _parse_addresses(value: Any) -> Optional[frozenset[bytes]]:
    if value is None:
        return None
    if isinstance(value, list):
        return frozenset(wire.parse_address(item) for item in value)
    return frozenset([wire.parse_address(value)])


def _parse_topic(value: Any) -> Optional[frozenset[bytes]]:
    if value is None:
        return None
    if isinstance(value, list):
        if not value or any(item is None for item in value):
            return None  # an empty or null-containing alternative matches anything
        return frozenset(wire.parse_hash(item) for item in value)
    return frozenset([wire.parse_hash(value)])


def _parse_percentiles(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise wire.ParamError("reward percentiles must be an array")
    previous = -1.0
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 <= item <= 100:
            raise wire.ParamError(f"invalid reward percentile: {item!r}")
        if item < previous:
            raise wire.ParamError(f"invalid reward percentile: {item} < {previous}")
        previous = item
    return list(value)


def _parse_call_request(value: Any) -> CallRequest:
    if not isinstance(value, dict):
        raise wire.ParamError("transaction must be an object")
    payload = _call_payload(value)
    for fee in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce", "chainId", "type"):
        if value.get(fee) is not None:
            wire.parse_quantity(value[fee])  # validated, not charged: calls are free here
    return CallRequest(
        sender=wire.parse_address(value["from"]) if value.get("from") else b"\x00" * 20,
        to=wire.parse_address(value["to"]) if value.get("to") else None,
        gas=wire.parse_quantity(value["gas"]) if value.get("gas") is not None else None,
        value=wire.parse_quantity(value["value"]) if value.get("value") is not None else 0,
        data=payload,
    )


def _call_payload(value: dict) -> bytes:
    data = wire.parse_data(value["data"]) if value.get("data") is not None else None
    given = wire.parse_data(value["input"]) if value.get("input") is not None else None
    if data is not None and given is not None and data != given:
        raise wire.ParamError('both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
    return given if given is not None else (data or b"")


# ---------------------------------------------------------------- envelopes

def _is_valid_request(request: Any) -> bool:
    return (
        isinstance(request, dict)
        and request.get("jsonrpc") == "2.0"
        and isinstance(request.get("method"), str)
        and _valid_id(request.get("id")) == request.get("id")
    )


def _valid_id(request_id: Any) -> Any:
    """The id to echo: strings, numbers and null are valid JSON-RPC ids."""
    if request_id is None or isinstance(request_id, str):
        return request_id
    if isinstance(request_id, (int, float)) and not isinstance(request_id, bool):
        return request_id
    return None


def _error_response(request_id: Any, error: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def _dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
