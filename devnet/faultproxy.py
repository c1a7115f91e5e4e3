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


class FaultState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: dict = {"fault": "none"}
        self.requests = 0
        self.injected = 0
        self.omitted: set = set()

    def configure(self, settings: dict) -> None:
        if settings.get("fault") not in KINDS:
            raise ValueError(f"unknown fault {settings.get('fault')!r}; one of {sorted(KINDS)}")
        check_broadcast(settings)
        with self.lock:
            self.settings = dict(settings)
            self.requests = 0
            self.injected = 0

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
        if kind in {"lag", "omit", "corrupt", "toomany"} and request is not None:
            try:
                document = json.loads(answer)
                if self._rewrite(kind, settings, request, document):
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
