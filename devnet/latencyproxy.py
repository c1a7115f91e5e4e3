#!/usr/bin/env python3
"""latencyproxy: an HTTP reverse proxy that answers every request a fixed delay later (stdlib only).

    latencyproxy.py --upstream URL --delay-ms MS [--port 0] [--host 127.0.0.1]

Makes a loopback service (okxsim, devnode) answer as a remote one does (issue 15, `make bench-cascade`):
each request waits MS milliseconds on its own thread, then goes to the upstream with its method,
path, query, headers and body unchanged (OKX signs the path, query and OK-ACCESS-* headers), and the
upstream's status, headers and body come back. Requests are delayed independently: 20 at once
with 200 ms each take about 200 ms, not 4 s. Only hop-by-hop headers (Connection, Keep-Alive,
Transfer-Encoding, …) and Host are the proxy's own.

    GET  /__stats   {"requests", "inFlight", "maxInFlight", "upstreamErrors", "statuses": {"200": n, "429": n},
                     "codes": {"0": n, "50011": n}, "paths": {"/api/v5/trade/order": n},
                     "rpcMethods": {"eth_call": n}, "rpcBatches", "rpcErrors": {"-32000": n}, "delayMs"}
                    codes: the string `code` of a JSON object answer (OKX's envelope); rpcMethods: the calls in
                    JSON-RPC request bodies (a batch counts each call), rpcErrors: their error codes
    POST /__stats   reset the counters
    POST /__admin   {"delayMs": N}   change the delay

Prints "latencyproxy listening on http://127.0.0.1:PORT" once it accepts connections and exits when
its standard input closes (lifeline) or on SIGTERM.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from lifeline import stop_with_parent

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "proxy-authenticate", "proxy-authorization"}
MAX_BODY_BYTES = 64 * 1024 * 1024


class Stats:
    """Counters shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.max_in_flight = self.in_flight
            self.upstream_errors = 0
            self.rpc_batches = 0
            self.statuses: collections.Counter = collections.Counter()
            self.codes: collections.Counter = collections.Counter()
            self.paths: collections.Counter = collections.Counter()
            self.rpc_methods: collections.Counter = collections.Counter()
            self.rpc_errors: collections.Counter = collections.Counter()

    def begin(self, path: str, body: bytes) -> None:
        methods, batch = rpc_methods(body)
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.paths[path] += 1
            self.rpc_methods.update(methods)
            self.rpc_batches += batch

    def end(self, status: int | None, body: bytes) -> None:
        code, errors = answer_codes(body) if status is not None else (None, [])
        with self.lock:
            self.in_flight -= 1
            if status is None:
                self.upstream_errors += 1
                return
            self.statuses[str(status)] += 1
            if code is not None:
                self.codes[code] += 1
            self.rpc_errors.update(errors)

    def snapshot(self, delay_ms: float) -> dict:
        with self.lock:
            return {"requests": self.requests, "inFlight": self.in_flight, "maxInFlight": self.max_in_flight,
                    "upstreamErrors": self.upstream_errors, "statuses": dict(self.statuses), "codes": dict(self.codes),
                    "paths": dict(self.paths), "rpcMethods": dict(self.rpc_methods), "rpcBatches": self.rpc_batches,
                    "rpcErrors": dict(self.rpc_errors), "delayMs": delay_ms}


def rpc_methods(body: bytes) -> tuple[list[str], int]:
    """The JSON-RPC methods a request body calls, and 1 when it is a batch."""
    if not body or body[:1] not in (b"{", b"["):
        return [], 0
    try:
        document = json.loads(body)
    except ValueError:
        return [], 0
    calls = document if isinstance(document, list) else [document]
    methods = [str(c["method"]) for c in calls if isinstance(c, dict) and "method" in c]
    return methods, int(isinstance(document, list) and bool(methods))


def answer_codes(body: bytes) -> tuple[str | None, list[str]]:
    """OKX's envelope `code` of a JSON object answer, and the JSON-RPC error codes in it."""
    if not body or body[:1] not in (b"{", b"["):
        return None, []
    try:
        document = json.loads(body)
    except ValueError:
        return None, []
    answers = document if isinstance(document, list) else [document]
    errors = [str(a["error"].get("code")) for a in answers
              if isinstance(a, dict) and isinstance(a.get("error"), dict)]
    code = document.get("code") if isinstance(document, dict) and "jsonrpc" not in document else None
    return (str(code) if code is not None else None), errors


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: "LatencyProxy"

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise ValueError(f"body of {length} bytes")
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self._reply(400, b"bad request body\n", {"Content-Type": "text/plain"}, close=True)
            return
        path = urlsplit(self.path).path
        if path == "/__stats":
            if self.command == "POST":
                self.server.stats.reset()
            self._reply(200, json.dumps(self.server.stats.snapshot(self.server.delay_ms)).encode(),
                        {"Content-Type": "application/json"})
            return
        if path == "/__admin" and self.command == "POST":
            try:
                self.server.delay_ms = float(json.loads(body or b"{}")["delayMs"])
            except (ValueError, KeyError, TypeError):
                self._reply(400, b'{"error": "want {\\"delayMs\\": N}"}', {"Content-Type": "application/json"})
                return
            self._reply(200, json.dumps({"delayMs": self.server.delay_ms}).encode(), {"Content-Type": "application/json"})
            return
        self.server.stats.begin(path, body)
        status, answer = None, b""
        try:
            time.sleep(self.server.delay_ms / 1000)
            status, headers, answer = self._forward(body)
        except (OSError, http.client.HTTPException) as error:
            self.server.stats.end(None, b"")
            self._reply(502, f"latencyproxy: upstream failed: {error}\n".encode(), {"Content-Type": "text/plain"})
            return
        self.server.stats.end(status, answer)
        self._reply(status, answer, headers, forwarded=True)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {}
        for name, value in self.headers.items():
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("host", "content-length"):
                headers[name] = value
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # a kept-alive upstream connection the upstream closed meanwhile: reconnect once
            connection = self._connection(fresh=attempt == 2)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                connection.close()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"]
            return response.status, kept, answer
        raise AssertionError("unreachable")

    def _connection(self, fresh: bool) -> http.client.HTTPConnection:
        """One upstream connection per client connection (this handler's thread), kept alive."""
        connection = getattr(self, "_upstream", None)
        if connection is None or fresh or connection.sock is None:
            if connection is not None:
                connection.close()
            target = self.server.upstream
            connection = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=self.server.timeout_s)
            self._upstream = connection
        return connection

    def _reply(self, status: int, body: bytes, headers, close: bool = False, forwarded: bool = False) -> None:
        if forwarded:  # the upstream's own Date and Server headers, not a second pair
            self.send_response_only(status)
        else:
            self.send_response(status)
        for name, value in (headers.items() if isinstance(headers, dict) else headers):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def finish(self) -> None:
        connection = getattr(self, "_upstream", None)
        if connection is not None:
            connection.close()
        super().finish()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class LatencyProxy(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, host: str, port: int, upstream: str, delay_ms: float, timeout_s: float = 60) -> None:
        super().__init__((host, port), ProxyHandler)
        self.upstream = urlsplit(upstream.rstrip("/"))
        if self.upstream.scheme != "http" or not self.upstream.hostname:
            raise ValueError(f"the upstream must be an http:// URL, not {upstream!r}")
        self.delay_ms = delay_ms
        self.timeout_s = timeout_s
        self.stats = Stats()

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="latencyproxy.py", description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="http://host:port of the service behind the proxy")
    parser.add_argument("--delay-ms", type=float, required=True, help="milliseconds each request waits before it is forwarded")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        server = LatencyProxy(args.host, args.port, args.upstream, args.delay_ms)
    except ValueError as error:
        parser.error(str(error))
    stop_with_parent()
    print(f"latencyproxy listening on {server.url} upstream={args.upstream} delayMs={args.delay_ms:g}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
