"""A scripted HTTP server for the Swift HTTP client's tests (loopback only).

    python httpfixture.py --port 0

prints `httpfixture listening on http://127.0.0.1:PORT` once ready. Paths:
  /echo            answers 200 with JSON {method, path, headers, body}
  /status/N        answers status N with body "status N"
  /slow/MS         sleeps MS milliseconds, then answers 200
  /big/N           answers N bytes of 'x'
  /drop            closes the connection without answering
  /conn            answers the client's source port, to observe connection reuse
  /rpc/ok          a JSON-RPC endpoint whose result for each call is its method name
  /rpc/revert      answers every call with a code-3 "execution reverted" error and data
  /rpc/flaky/N/K   answers HTTP 503 (Retry-After: 0) to the first N requests for key K, then as /rpc/ok
  /rpc/limited/N/K answers JSON-RPC -32005 to the first N requests for key K, then as /rpc/ok
  /hits/K          how many requests key K has seen
  /gate/N/K/MS     holds each request for key K until N are held at once, then answers them all 200;
                   after MS milliseconds without N, answers 504 saying how many were ever held at once
"""
import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifeline import stop_with_parent


HITS = {}
HITS_LOCK = threading.Lock()


def hit(key):
    with HITS_LOCK:
        HITS[key] = HITS.get(key, 0) + 1
        return HITS[key]


GATES = {}
GATES_CHANGED = threading.Condition()


def pass_gate(key, wanted, seconds):
    """Waits until `wanted` requests for `key` wait here at once (or `seconds` pass): (opened, most held)."""
    with GATES_CHANGED:
        gate = GATES.setdefault(key, {"held": 0, "most": 0, "open": False})
        gate["held"] += 1
        gate["most"] = max(gate["most"], gate["held"])
        if gate["held"] >= wanted:
            gate["open"] = True
            GATES_CHANGED.notify_all()
        GATES_CHANGED.wait_for(lambda: gate["open"], timeout=seconds)
        gate["held"] -= 1
        return gate["open"], gate["most"]


def rpc_answer(body, make):
    """Answers a single or batch JSON-RPC request, each call through make(call)."""
    request = json.loads(body)
    if isinstance(request, list):
        return [dict(jsonrpc="2.0", id=call["id"], **make(call)) for call in request]
    return dict(jsonrpc="2.0", id=request["id"], **make(request))


class Server(ThreadingHTTPServer):
    # Many clients connect at once in the /gate test: a full accept queue drops their SYNs, and a
    # dropped SYN is retried only after a second or more.
    request_queue_size = 512


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Fixture", "yes")
        self.end_headers()
        self.wfile.write(body)

    def _route(self):
        body = self._body()
        parts = self.path.strip("/").split("/")
        if parts[0] == "echo":
            payload = {"method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body.decode("utf-8", "replace")}
            self._answer(200, json.dumps(payload).encode(), "application/json")
        elif parts[0] == "status":
            self._answer(int(parts[1]), f"status {parts[1]}".encode())
        elif parts[0] == "slow":
            time.sleep(int(parts[1]) / 1000)
            self._answer(200, b"slow")
        elif parts[0] == "big":
            self._answer(200, b"x" * int(parts[1]))
        elif parts[0] == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif parts[0] == "rpc":
            self._rpc(parts[1:], body)
        elif parts[0] == "hits":
            with HITS_LOCK:
                count = HITS.get(parts[1], 0)
            self._answer(200, str(count).encode())
        elif parts[0] == "gate":
            wanted = int(parts[1])
            opened, most = pass_gate(parts[2], wanted, int(parts[3]) / 1000)
            if opened:
                self._answer(200, b"open")
            else:
                self._answer(504, f"only {most} of {wanted} requests were held at once".encode())
        elif parts[0] == "conn":
            self._answer(200, str(self.client_address[1]).encode())
        else:
            self._answer(404, b"not found")

    def _rpc(self, parts, body):
        kind = parts[0]
        failures_wanted = int(parts[1]) if len(parts) > 2 else 0
        seen = hit(parts[2]) if len(parts) > 2 else 0
        if kind == "flaky" and seen <= failures_wanted:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "revert":
            make = lambda call: {"error": {"code": 3, "message": "execution reverted: no claim",
                                           "data": "0x08c379a0" + "00" * 31 + "20" + "00" * 31 + "08"
                                                   + "6e6f20636c61696d" + "00" * 24}}
        elif kind == "limited" and seen <= failures_wanted:
            make = lambda call: {"error": {"code": -32005, "message": "limit exceeded"}}
        else:
            make = lambda call: {"result": call["method"]}
        self._answer(200, json.dumps(rpc_answer(body, make)).encode(), "application/json")

    do_GET = do_POST = do_PUT = do_DELETE = _route


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    stop_with_parent()
    print(f"httpfixture listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
