"""latencyproxy.py: the delay is applied to each request on its own, and nothing else changes."""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import DEVNET_DIR  # noqa: F401  (puts devnet/ on sys.path)
from latencyproxy import LatencyProxy


class Upstream(BaseHTTPRequestHandler):
    """/echo: the request as seen; /okx/CODE: OKX's envelope with that code (HTTP 429 for 50011); /rpc: JSON-RPC."""

    protocol_version = "HTTP/1.1"
    server_version = "upstream/1.0"
    sys_version = ""

    def log_message(self, *args):
        pass

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/okx/"):
            code = self.path.split("/")[2]
            status, answer = (429 if code == "50011" else 200), {"code": code, "msg": "", "data": []}
        elif self.path == "/rpc":
            calls = json.loads(body)
            answer = [{"jsonrpc": "2.0", "id": c["id"], "error": {"code": -32000, "message": "nonce too low"}} for c in calls]
            status = 200
        else:
            status = 201
            answer = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                      "body": body.decode()}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "yes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _handle


class UpstreamServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 20 connections at once; the default backlog of 5 would drop SYNs (1 s retransmit)


def serve(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return server


def proxied(delay_ms):
    upstream = serve(UpstreamServer(("127.0.0.1", 0), Upstream))
    server = serve(LatencyProxy("127.0.0.1", 0, f"http://127.0.0.1:{upstream.server_address[1]}", delay_ms=delay_ms))
    yield server
    server.shutdown()
    upstream.shutdown()


@pytest.fixture
def proxy():
    yield from proxied(200)


@pytest.fixture
def slow_proxy():
    """2 s a request: 20 of them one after another would take 40 s, side by side 2 s; a bound between
    the two far from both tells them apart on a loaded machine."""
    yield from proxied(2_000)


def fetch(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_delay_is_applied(proxy):
    started = time.monotonic()
    status, _, _ = fetch(proxy.url + "/echo")
    elapsed = time.monotonic() - started
    assert status == 201
    # The upper bound only catches a delay gone wrong by orders (seconds read as milliseconds); a loaded
    # machine stretches 200 ms by seconds.
    assert 0.19 <= elapsed < 30, elapsed


def test_parallel_requests_are_delayed_independently(slow_proxy):
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda i: fetch(f"{slow_proxy.url}/echo?i={i}")[0], range(20)))
    elapsed = time.monotonic() - started
    assert statuses == [201] * 20
    assert 1.99 <= elapsed < 20, f"20 requests of 2 s took {elapsed:.2f} s: serialised"
    stats = json.loads(fetch(slow_proxy.url + "/__stats")[2])
    assert stats["requests"] == 20 and stats["maxInFlight"] >= 10, stats


def test_method_path_query_headers_and_body_pass_unchanged(proxy):
    signed = {"OK-ACCESS-KEY": "k-1", "OK-ACCESS-SIGN": "c2lnbg==", "OK-ACCESS-TIMESTAMP": "2026-12-06T07:00:00.000Z",
              "OK-ACCESS-PASSPHRASE": "p", "Content-Type": "application/json"}
    status, headers, body = fetch(proxy.url + "/api/v5/trade/order?ordId=1&instId=BTC-USDT-SWAP", "POST", b'{"a": 1}', signed)
    echoed = json.loads(body)
    assert status == 201 and headers["X-Upstream"] == "yes"
    assert headers["Server"].startswith("upstream/1.0")  # the upstream's, not the proxy's before it
    assert echoed["method"] == "POST" and echoed["path"] == "/api/v5/trade/order?ordId=1&instId=BTC-USDT-SWAP"
    assert echoed["body"] == '{"a": 1}'
    for name, value in signed.items():
        assert echoed["headers"][name.lower()] == value
    status, _, body = fetch(proxy.url + "/echo/x?y=%2F", "DELETE")
    assert status == 201 and json.loads(body)["method"] == "DELETE" and json.loads(body)["path"] == "/echo/x?y=%2F"


def test_statuses_okx_codes_and_rpc_calls_are_counted(proxy):
    assert fetch(proxy.url + "/okx/50011")[0] == 429
    assert fetch(proxy.url + "/okx/0")[0] == 200
    batch = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": []} for i in range(3)]).encode()
    assert fetch(proxy.url + "/rpc", "POST", batch, {"Content-Type": "application/json"})[0] == 200
    stats = json.loads(fetch(proxy.url + "/__stats")[2])
    assert stats["statuses"] == {"429": 1, "200": 2}
    assert stats["codes"] == {"50011": 1, "0": 1}
    assert stats["rpcMethods"] == {"eth_sendRawTransaction": 3} and stats["rpcBatches"] == 1
    assert stats["rpcErrors"] == {"-32000": 3}
    assert json.loads(fetch(proxy.url + "/__stats", "POST", b"")[2])["requests"] == 0


def test_an_unreachable_upstream_answers_502(proxy):
    proxy.upstream = proxy.upstream._replace(netloc="127.0.0.1:1")
    status, _, body = fetch(proxy.url + "/echo")
    assert status == 502 and b"upstream failed" in body
    assert json.loads(fetch(proxy.url + "/__stats")[2])["upstreamErrors"] == 1
