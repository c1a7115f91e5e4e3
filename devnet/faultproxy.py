#!/usr/bin/env python3
"""faultproxy: a JSON-RPC proxy that injects the faults real providers have (stdlib only).

    faultproxy.py --upstream URL [--port 0] [--host 127.0.0.1]

Forwards POST / to the upstream node. Faults are set through the admin endpoint:

    POST /__admin  {"fault": KIND, "every": N, "limit": M, ...}   every Nth JSON-RPC exchange, at most M times
    POST /__admin  {"fault": "none"}                                 pass everything through
    GET  /__admin                                                    {"fault":…, "injected": count, "requests": count}

KIND is one of
    timeout     hold the request for "delay" seconds (default 3) before answering it properly
    http429     answer HTTP 429 with Retry-After: 0
    http5xx     answer HTTP "status" (default 503)
    drop        close the connection without an answer
    toomany     answer every eth_getLogs in the exchange with -32005 "query returned more than 10000 results"
    lag         eth_blockNumber answers head - "blocks" (default 3); blocks above that answer null
    omit        drop one log from an eth_getLogs answer, each log at most once (a node that missed it)
    corrupt     rewrite one log's blockHash in an eth_getLogs answer (an inconsistent node)

Provider modes (every exchange, until {"fault":"none"}; the wording and its source are in
docs/PROVIDERS.md):
    geth-batch       a batch above "batchLimit" (default 1000) answers [{"id": first id, "error": -32600 "batch too large"}]
    erigon-batch     a batch above "batchLimit" (default 100) answers one object, -32000 "batch limit 100 exceeded (…)"
    cu429            compute units (Alchemy's costs) above "cups" per second (default 500) answer HTTP 429 with
                     Retry-After: "retryAfter" (default 1) and Alchemy's body
    infura-range     eth_getLogs above "maxResults" (default 10000) logs: -32005 "query returned more than … [0x…, 0x…]."
    alchemy-range    wider than "maxRange" (default 2000) blocks and above "maxResults" (default 10000) logs: -32602 with a range
    reth-range       above "maxResults" (default 20000) logs: -32602 "query exceeds max results N, retry with the range A-B"
    quicknode-range  wider than "maxRange" (default 10000) blocks: -32614 "eth_getLogs is limited to a 10,000 range"
    bsc-range        wider than "maxRange" (default 5000) blocks: -32000 "exceed maximum block range: 5000"
    lb-lag           a load-balanced pair: every other exchange goes to a backend "blocks" (default 2) behind, whose
                     head is lower, whose headers above it are null and whose eth_getLogs beyond it answer
                     -32602 "block range extends beyond current head block"

Prints "faultproxy listening on http://127.0.0.1:PORT" once it accepts connections and exits
when its standard input closes (lifeline) or on SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifeline import stop_with_parent

KINDS = {"none", "timeout", "http429", "http5xx", "drop", "toomany", "lag", "omit", "corrupt"}


# --- Provider modes: named nodes' and providers' limits, in their own wording (docs/PROVIDERS.md) ---

# Alchemy's compute units per call (https://docs.alchemy.com/reference/compute-unit-costs).
ALCHEMY_CU = {"eth_getLogs": 75, "eth_getBlockByNumber": 16, "eth_blockNumber": 10, "eth_chainId": 0, "eth_call": 26}
ALCHEMY_429 = ("Your app has exceeded its compute units per second capacity. If you have retries enabled, you can "
               "safely ignore this message. If not, check out https://docs.alchemy.com/reference/throughput")
RANGE_MODES = {"infura-range", "alchemy-range", "reth-range", "quicknode-range", "bsc-range"}
PROVIDER_MODES = {"geth-batch", "erigon-batch", "cu429", "lb-lag"} | RANGE_MODES
KINDS |= PROVIDER_MODES


def _calls(request) -> list:
    return [r for r in (request if isinstance(request, list) else [request]) if isinstance(r, dict)]


def _number(value, default: int) -> int:
    return int(value, 16) if isinstance(value, str) and value.startswith("0x") else default


def provider_refusal(state, kind: str, settings: dict, request):
    """An answer that refuses the whole exchange before it reaches the node: (status, body, headers), or None."""
    calls = _calls(request)
    if kind in ("geth-batch", "erigon-batch") and isinstance(request, list):
        limit = int(settings.get("batchLimit", 1000 if kind == "geth-batch" else 100))
        if len(request) <= limit:
            return None
        if kind == "geth-batch":  # go-ethereum rpc/handler.go respondWithBatchTooLarge: a one-element array, the first call's id
            first = next((c.get("id") for c in calls if "method" in c and c.get("id") is not None), None)
            return 200, [{"jsonrpc": "2.0", "id": first, "error": {"code": -32600, "message": "batch too large"}}], {}
        message = f"batch limit {limit} exceeded (can increase by --rpc.batch.limit). Requested batch of size: {len(request)}"
        return 200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}, {}  # erigon rpc/server.go
    if kind == "cu429":
        cost = sum(ALCHEMY_CU.get(c.get("method"), 20) for c in calls)
        now = time.monotonic()
        with state.lock:
            state.spent = [(t, cu) for t, cu in state.spent if now - t < 1.0]
            if sum(cu for _, cu in state.spent) + cost > int(settings.get("cups", 500)):
                body = {"jsonrpc": "2.0", "id": None, "error": {"code": 429, "message": ALCHEMY_429}}
                return 429, body, {"Retry-After": str(settings.get("retryAfter", 1))}
            state.spent.append((now, cost))
    return None


def provider_rewrite(state, forward, kind: str, settings: dict, request, document) -> bool:
    """Rewrites the node's answer as the provider would have answered; True when it changed anything."""
    pairs = _pairs(request, document)
    changed = False
    if kind == "lb-lag":
        with state.lock:
            state.balanced += 1
            lagging = state.balanced % 2 == 0
        if not lagging:
            return False
        head = None
        for req, ans in pairs:
            if req.get("method") == "eth_blockNumber" and isinstance(ans.get("result"), str):
                head = max(0, int(ans["result"], 16) - int(settings.get("blocks", 2)))
        if head is None:
            answer = json.loads(forward(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}).encode()))
            head = max(0, int(answer["result"], 16) - int(settings.get("blocks", 2)))
        for req, ans in pairs:
            method, result = req.get("method"), ans.get("result")
            if method == "eth_blockNumber":
                ans["result"] = hex(head)
                changed = True
            elif method == "eth_getBlockByNumber" and isinstance(result, dict) and int(result["number"], 16) > head:
                ans["result"] = None
                changed = True
            elif method == "eth_getLogs" and _number((req.get("params") or [{}])[0].get("toBlock"), 0) > head:
                ans.pop("result", None)  # go-ethereum eth/filters/api.go errBlockRangeIntoFuture (invalid params)
                ans["error"] = {"code": -32602, "message": "block range extends beyond current head block"}
                changed = True
        return changed
    for req, ans in pairs:
        logs = ans.get("result")
        if req.get("method") != "eth_getLogs" or not isinstance(logs, list):
            continue
        query = (req.get("params") or [{}])[0]
        first = _number(query.get("fromBlock"), 0)
        last = _number(query.get("toBlock"), first)
        span = last - first + 1
        error = _range_error(kind, settings, first, span, logs)
        if error is not None:
            ans.pop("result", None)
            ans["error"] = error
            changed = True
    return changed


def _range_error(kind: str, settings: dict, first: int, span: int, logs: list):
    """The range refusal `kind` answers for this eth_getLogs, or None when the provider would answer it."""
    if kind in ("quicknode-range", "bsc-range"):
        limit = int(settings.get("maxRange", 10000 if kind == "quicknode-range" else 5000))
        if span <= limit:
            return None
        if kind == "quicknode-range":
            return {"code": -32614, "message": f"eth_getLogs is limited to a {limit:,} range"}
        return {"code": -32000, "message": f"exceed maximum block range: {limit}"}  # bsc eth/filters/filter.go
    default_results = {"infura-range": 10000, "alchemy-range": 10000, "reth-range": 20000}[kind]
    limit = int(settings.get("maxResults", default_results))
    if kind == "alchemy-range" and span <= int(settings.get("maxRange", 2000)):
        return None
    if len(logs) <= limit:
        return None
    # The widest range from `first` holding at most `limit` logs: up to the block before the one holding log number limit + 1.
    blocks = sorted(int(log["blockNumber"], 16) for log in logs)
    to = max(first, blocks[limit] - 1)
    if kind == "infura-range":
        return {"code": -32005, "data": {"from": hex(first), "limit": limit, "to": hex(to)},
                "message": f"query returned more than {limit} results. Try with this block range [{hex(first)}, {hex(to)}]."}
    if kind == "alchemy-range":
        return {"code": -32602, "message": "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
                "and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. "
                f"Based on your parameters and the response size limit, this block range should work: [{hex(first)}, {hex(to)}]"}
    return {"code": -32602, "message": f"query exceeds max results {limit}, retry with the range {first}-{to}"}  # reth eth/filter.rs


class FaultState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: dict = {"fault": "none"}
        self.requests = 0
        self.injected = 0
        self.omitted: set = set()
        self.spent: list = []  # cu429: (time, compute units) of the last second
        self.balanced = 0  # lb-lag: exchanges so far

    def configure(self, settings: dict) -> None:
        if settings.get("fault") not in KINDS:
            raise ValueError(f"unknown fault {settings.get('fault')!r}; one of {sorted(KINDS)}")
        check_broadcast(settings)
        with self.lock:
            self.settings = dict(settings)
            self.requests = 0
            self.injected = 0
            self.spent = []
            self.balanced = 0

    def next_fault(self) -> tuple[str, dict]:
        """The fault to apply to this exchange, if its turn has come."""
        with self.lock:
            self.requests += 1
            kind = self.settings.get("fault", "none")
            every = max(1, int(self.settings.get("every", 1)))
            limit = self.settings.get("limit")
            if kind == "none" or self.requests % every != 0 or (limit is not None and self.injected >= int(limit)):
                return "none", self.settings
            return kind, self.settings

    def count(self) -> None:
        with self.lock:
            self.injected += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {"fault": self.settings.get("fault"), "injected": self.injected, "requests": self.requests}


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ProxyServer"

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        if self.path == "/__admin":
            self._reply(200, json.dumps(self.server.state.snapshot()).encode())
        else:
            self._reply(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/__admin":
            try:
                self.server.state.configure(json.loads(body))
            except (ValueError, TypeError) as exc:
                self._reply(400, json.dumps({"error": str(exc)}).encode())
                return
            self._reply(200, json.dumps(self.server.state.snapshot()).encode())
            return
        kind, settings = self.server.state.next_fault()
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        broadcast = broadcast_exchange(self, settings, request) if settings.get("broadcast") else None
        if broadcast is not None:
            self._reply(200, broadcast)
            return
        if kind in PROVIDER_MODES and request is not None:
            refusal = provider_refusal(self.server.state, kind, settings, request)
            if refusal is not None:
                self.server.state.count()
                status, document, extra = refusal
                self._reply(status, json.dumps(document).encode(), extra=extra)
                return
        if kind == "timeout":
            self.server.state.count()
            time.sleep(float(settings.get("delay", 3)))
        elif kind == "http429":
            self.server.state.count()
            self._reply(429, b'{"error":"rate limited"}', extra={"Retry-After": "0"})
            return
        elif kind == "http5xx":
            self.server.state.count()
            self._reply(int(settings.get("status", 503)), b"upstream unavailable\n", "text/plain")
            return
        elif kind == "drop":
            self.server.state.count()
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        answer = self._forward(body)
        asks_logs = any(call.get("method") == "eth_getLogs" for call in _calls(request))
        if request is not None and (kind in {"lag", "omit", "corrupt", "toomany", "lb-lag"} or (kind in RANGE_MODES and asks_logs)):
            try:
                document = json.loads(answer)
                rewritten = (provider_rewrite(self.server.state, self._forward, kind, settings, request, document)
                             if kind in PROVIDER_MODES else self._rewrite(kind, settings, request, document))
                if rewritten:
                    self.server.state.count()
                    answer = json.dumps(document).encode()
            except ValueError:
                pass
        self._reply(200, answer)

    def _forward(self, body: bytes) -> bytes:
        upstream = urllib.request.Request(self.server.upstream, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(upstream, timeout=30) as response:
            return response.read()

    def _rewrite(self, kind: str, settings: dict, request, document) -> bool:
        pairs = _pairs(request, document)
        changed = False
        if kind == "lag":
            lag = int(settings.get("blocks", 3))
            head = None
            for req, ans in pairs:
                if req.get("method") == "eth_blockNumber" and isinstance(ans.get("result"), str):
                    head = max(0, int(ans["result"], 16) - lag)
                    ans["result"] = hex(head)
                    changed = True
            if head is None:
                answer = json.loads(self._forward(json.dumps(
                    {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}).encode()))
                head = max(0, int(answer["result"], 16) - lag)
            for req, ans in pairs:
                result = ans.get("result")
                if req.get("method") == "eth_getBlockByNumber" and isinstance(result, dict) and int(result["number"], 16) > head:
                    ans["result"] = None
                    changed = True
        elif kind == "toomany":
            for req, ans in pairs:
                if req.get("method") == "eth_getLogs":
                    ans.pop("result", None)
                    ans["error"] = {"code": -32005, "message": "query returned more than 10000 results"}
                    changed = True
        else:
            for req, ans in pairs:
                logs = ans.get("result")
                if req.get("method") != "eth_getLogs" or not isinstance(logs, list) or not logs:
                    continue
                if kind == "omit":
                    with self.server.state.lock:
                        for index, log in enumerate(logs):
                            key = (log["blockHash"], log["logIndex"])
                            if key not in self.server.state.omitted:
                                self.server.state.omitted.add(key)
                                del logs[index]
                                return True
                else:  # corrupt
                    logs[0]["blockHash"] = "0x" + "ee" * 32
                    return True
        return changed

    def _reply(self, status: int, body: bytes, content_type: str = "application/json", extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


# ---------------------------------------------------------------------------------------------------
# Broadcast wording (issue 14, "provider-tx"): how other clients word the devnode's (geth's)
# eth_sendRawTransaction refusals. Set beside any fault: {"fault": …, "broadcast": MODE, …}.
#
#   erigon      "ALREADY_EXISTS: already known", "INTERNAL_ERROR: nonce too low", "FEE_TOO_LOW: …"
#               (erigon rpc/jsonrpc/send_transaction.go: "%s: %s" of the txpool's ImportResult and
#               DiscardReason, erigon-lib txpool/txpoolcfg/txpoolcfg.go), code -32000
#   nethermind  "AlreadyKnown", "OldNonce, Current nonce: S, nonce of rejected tx: N", "ReplacementNotAllowed",
#               "InsufficientFunds, Account balance: B, cumulative cost: C", "FeeTooLow, …"
#               (Nethermind.TxPool AcceptTxResult and its filters before 2026), code -32010
#   nitro       geth's phrases as Nitro words them (execution/gethexec/tx_pre_checker.go), and its L1 gas:
#               eth_estimateGas answers the node's estimate + "l1Gas"; a transaction whose gas limit is under
#               the node's estimate of its call + the current "l1Gas" is refused "intrinsic gas too low";
#               after each estimate "l1Gas" grows by "l1GasRise" (L1 prices rising between estimate and send)
#
# "resend": true sends each transaction a second time and answers with that second answer, as a
# node does to a client whose first answer was lost: every send meets "already known" or "nonce too
# low" in the mode's wording, and the transaction is in the node all the same. In a broadcast mode a
# single eth_sendRawTransaction (and, for nitro, eth_estimateGas) is answered here, without the fault.
# ---------------------------------------------------------------------------------------------------

BROADCAST_MODES = {"erigon", "nethermind", "nitro"}

_GETH = [  # the devnode's (geth's) refusals: name, pattern
    ("known", re.compile(r"^already known")),
    ("nonce", re.compile(r"^nonce too low: address (\S+), tx: (\d+) state: (\d+)")),
    ("replace", re.compile(r"^replacement transaction underpriced")),
    ("funds", re.compile(r"^insufficient funds for gas \* price \+ value: address (\S+) have (\d+) want (\d+)")),
    ("intrinsic", re.compile(r"^intrinsic gas too low")),
    ("basefee", re.compile(r"^max fee per gas less than block base fee: address (\S+), maxFeePerGas: (\d+), baseFee: (\d+)")),
    ("gaslimit", re.compile(r"^exceeds block gas limit")),
]


def check_broadcast(settings: dict) -> None:
    mode = settings.get("broadcast")
    if mode is not None and mode not in BROADCAST_MODES:
        raise ValueError(f"unknown broadcast mode {mode!r}; one of {sorted(BROADCAST_MODES)}")


def _reword(mode: str, error: dict) -> dict:
    """The error object the mode's client would answer for geth's `error`."""
    message = str(error.get("message", ""))
    for name, pattern in _GETH:
        found = pattern.match(message)
        if found:
            break
    else:
        return error
    g = found.groups()
    if mode == "erigon":
        text = {"known": "ALREADY_EXISTS: already known", "nonce": "INTERNAL_ERROR: nonce too low",
                "replace": "FEE_TOO_LOW: replacement transaction underpriced", "funds": "INTERNAL_ERROR: insufficient funds",
                "intrinsic": "INTERNAL_ERROR: IntrinsicGas", "basefee": "FEE_TOO_LOW: fee too low",
                "gaslimit": "INTERNAL_ERROR: gas limit is too high"}[name]
        return {"code": -32000, "message": text}
    if mode == "nethermind":
        text = {"known": "AlreadyKnown", "nonce": f"OldNonce, Current nonce: {g[2] if g else ''}, nonce of rejected tx: {g[1] if g else ''}",
                "replace": "ReplacementNotAllowed",
                "funds": f"InsufficientFunds, Account balance: {g[1] if g else ''}, cumulative cost: {g[2] if g else ''}",
                "intrinsic": message, "gaslimit": "GasLimitExceeded",
                "basefee": f"FeeTooLow, MaxFeePerGas too low. MaxFeePerGas: {g[1] if g else ''}, BaseFee: {g[2] if g else ''}, MaxPriorityFeePerGas:0, Block number: 0"}[name]
        return {"code": -32010, "message": text}
    # nitro: geth's phrases; intrinsic gas without detail (sequencer.go strips it), base fee without the comma
    if name == "intrinsic":
        return {"code": -32000, "message": "intrinsic gas too low"}
    if name == "basefee":
        return {"code": -32000, "message": f"max fee per gas less than block base fee: address {g[0]}, maxFeePerGas: {g[1]} baseFee: {g[2]}"}
    return error


def _rlp_items(data: bytes) -> list:
    """The top-level list of an RLP item, nested lists left as bytes (enough to read a transaction)."""
    def length(at: int) -> tuple[int, int, bool]:  # (payload start, payload length, is list)
        b = data[at]
        if b < 0x80:
            return at, 1, False
        if b < 0xB8:
            return at + 1, b - 0x80, False
        if b < 0xC0:
            n = b - 0xB7
            return at + 1 + n, int.from_bytes(data[at + 1:at + 1 + n], "big"), False
        if b < 0xF8:
            return at + 1, b - 0xC0, True
        n = b - 0xF7
        return at + 1 + n, int.from_bytes(data[at + 1:at + 1 + n], "big"), True
    start, size, _ = length(0)
    items, at = [], start
    while at < start + size:
        begin, n, _ = length(at)
        items.append(data[begin:begin + n])
        at = begin + n
    return items


class BroadcastState:
    """Nitro mode's memory: the node's estimate of each (to, data) the keeper asked about."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.estimates: dict = {}


def broadcast_exchange(handler, settings: dict, request):
    """The answer for a single eth_sendRawTransaction / eth_estimateGas in a broadcast mode, or None."""
    mode = settings.get("broadcast")
    if mode not in BROADCAST_MODES or not isinstance(request, dict):
        return None
    method = request.get("method")
    state = handler.server.__dict__.setdefault("broadcast_state", BroadcastState())
    if method == "eth_estimateGas" and mode == "nitro":
        answer = json.loads(handler._forward(json.dumps(request).encode()))
        if isinstance(answer.get("result"), str):
            params = request.get("params") or [{}]
            call = params[0] if isinstance(params[0], dict) else {}
            node = int(answer["result"], 16)
            with handler.server.state.lock:
                l1 = int(settings.get("l1Gas", 0))
                settings["l1Gas"] = l1 + int(settings.get("l1GasRise", 0))
            with state.lock:
                state.estimates[(str(call.get("to", "")).lower(), str(call.get("data") or call.get("input") or "0x").lower())] = node
            answer["result"] = hex(node + l1)
        return json.dumps(answer).encode()
    if method != "eth_sendRawTransaction":
        return None
    if mode == "nitro":
        try:
            raw = bytes.fromhex(str(request["params"][0])[2:])
            fields = _rlp_items(raw[1:]) if raw[:1] == b"\x02" else []
            gas = int.from_bytes(fields[4], "big")
            key = ("0x" + fields[5].hex(), "0x" + fields[7].hex())
        except (KeyError, IndexError, ValueError, TypeError):
            fields, gas, key = [], 0, None
        with state.lock:
            node = state.estimates.get(key) if fields else None
        with handler.server.state.lock:
            l1 = int(settings.get("l1Gas", 0))
        if node is not None and gas < node + l1:
            handler.server.state.count()
            return json.dumps({"jsonrpc": "2.0", "id": request.get("id"),
                               "error": {"code": -32000, "message": "intrinsic gas too low"}}).encode()
    body = json.dumps(request).encode()
    answer = json.loads(handler._forward(body))
    if settings.get("resend") and "error" not in answer:
        answer = json.loads(handler._forward(body))
    if isinstance(answer.get("error"), dict):
        reworded = _reword(mode, answer["error"])
        if reworded is not answer["error"]:
            handler.server.state.count()
        answer["error"] = reworded
    return json.dumps(answer).encode()


def _pairs(request, document) -> list:
    """(request, answer) pairs matched by id, for single and batch exchanges."""
    requests = request if isinstance(request, list) else [request]
    answers = document if isinstance(document, list) else [document]
    by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
    return [(r, by_id[r.get("id")]) for r in requests if isinstance(r, dict) and r.get("id") in by_id]


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, upstream: str) -> None:
        self.upstream = upstream
        self.state = FaultState()
        super().__init__((host, port), ProxyHandler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="faultproxy.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="the node's JSON-RPC URL")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    stop_with_parent()
    server = ProxyServer(args.host, args.port, args.upstream)
    host, port = server.server_address[:2]
    print(f"faultproxy listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
