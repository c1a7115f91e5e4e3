#!/usr/bin/env python3
"""devnode: a local py-evm chain behind Ethereum JSON-RPC over HTTP, with LeverageGuard deployed.

    devnode.py --port P --out FILE [--host 127.0.0.1] [--block-time S] [--max-logs N]
               [--no-automine] [--finality-depth N] [--users N] [--pool-token] [--verbose]

At start it deploys LeverageGuard from the owner account, sets the keeper,
funds the pool and sets the daily payout limit. The pool pays in ETH, or with
--pool-token in USDT: a 6-decimal test stablecoin (TestStablecoin.vy) deployed
first, 1,000,000 USDT minted to the owner and 10,000 to each user. Once the server listens it
writes the deployment file (atomically) and prints one line:

    devnode listening on http://127.0.0.1:PORT chainId=ID

SIGTERM or SIGINT stops it cleanly (exit 0) and removes the deployment file.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from lifeline import stop_with_parent

if TYPE_CHECKING:  # the chain modules are imported in main(): --help and usage errors stay instant
    from devchain import DevChain
    from rpc import EthApi

MAX_BODY_BYTES = 8 * 1024 * 1024


class RpcRequestHandler(BaseHTTPRequestHandler):
    """POST / with a JSON-RPC body; everything else is 405."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from a node
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms ACK stalls
    server_version = "devnode/1.0"
    server: "RpcServer"

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._reply(411, b"chunked bodies are not supported\n", "text/plain", close=True)
            return
        try:
            length = int(self.headers["Content-Length"])
        except (TypeError, ValueError):
            self._reply(411, b"Content-Length required\n", "text/plain", close=True)
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self._reply(413, b"request body too large\n", "text/plain", close=True)
            return
        answer = self.server.api.handle(self.rfile.read(length))
        self._reply(200, answer or b"")

    def _method_not_allowed(self) -> None:
        self._reply(405, b"method not allowed: use POST\n", "text/plain", extra={"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _method_not_allowed

    def _reply(
        self, status: int, body: bytes, content_type: str = "application/json",
        close: bool = False, extra: Optional[dict] = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        if self.server.verbose:
            super().log_message(format, *args)


class RpcServer(ThreadingHTTPServer):
    """A threaded HTTP server answering JSON-RPC from one EthApi."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many connections at once must not overflow the listen backlog (default 5)

    def __init__(self, host: str, port: int, api: "EthApi", verbose: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.api = api
        self.verbose = verbose
        super().__init__((host, port), RpcRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class BlockTimer(threading.Thread):
    """Mines a block (with whatever the pool holds) every `interval` seconds."""

    def __init__(self, chain: "DevChain", interval: float) -> None:
        super().__init__(name="block-timer", daemon=True)
        self.chain, self.interval = chain, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                with self.chain.lock:
                    self.chain.mine(1)
            except Exception as exc:  # keep mining; a bad block must not kill the node
                print(f"devnode: interval mining failed: {exc!r}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="devnode.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--out", type=Path, required=True, help="deployment file to write once listening")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--block-time", type=float, metavar="S", help="also mine a block every S seconds")
    parser.add_argument("--max-logs", type=int, metavar="N",
                        help="answer eth_getLogs matching more than N logs with error -32005 (default unlimited)")
    parser.add_argument("--no-automine", action="store_true",
                        help="start with automine off: transactions wait for evm_mine or --block-time")
    parser.add_argument("--finality-depth", type=int, default=0, metavar="N",
                        help="the 'safe' and 'finalized' tags lag the head by N blocks (default 0)")
    parser.add_argument("--users", type=int, default=None, metavar="N",
                        help="fund N user accounts (default 5; labels user-0 … user-N-1, so the first five never change)")
    parser.add_argument("--pool-token", action="store_true",
                        help="the pool pays in USDT (a 6-decimal test stablecoin deployed first) instead of ETH")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)
    args.host = _loopback_host(parser, args.host)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.block_time is not None and args.block_time <= 0:
        parser.error("--block-time must be positive")
    if args.max_logs is not None and args.max_logs < 1:
        parser.error("--max-logs must be at least 1")
    if args.finality_depth < 0:
        parser.error("--finality-depth must not be negative")
    if args.users is not None and not 1 <= args.users <= 1000:
        parser.error("--users must be between 1 and 1000")
    return args


def _loopback_host(parser: argparse.ArgumentParser, host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    parser.error(f"--host must be a loopback address, not {host!r}")
    raise AssertionError("unreachable")


def client_version() -> str:
    """web3_clientVersion: this node and the versions of what it runs on."""
    from importlib.metadata import version

    return f"LeverageGuardDevnode/v1.0/py-evm-{version('py-evm')}/vyper-{version('vyper')}/python{sys.version_info[0]}.{sys.version_info[1]}"


def _remove_if_ours(path: Path, rpc_url: str) -> None:
    try:
        if json.loads(path.read_text()).get("rpcUrl") == rpc_url:
            path.unlink()
    except (OSError, ValueError):
        pass


def start_chain(args: argparse.Namespace, compiled=None, stablecoin=None):
    """A fresh chain with LeverageGuard deployed and configured; returns (chain, deployment, accounts).

    `compiled` and `stablecoin` (contract.CompiledContract) skip compiling LeverageGuard.vy and
    TestStablecoin.vy again.
    """
    from contract import STABLECOIN_PATH, compile_contract
    from deployment import NATIVE_ETH, TEST_USDT, DevAccounts, DevnetSettings, deploy_leverage_guard
    from devchain import DevChain

    users = getattr(args, "users", None)
    pool_token = getattr(args, "pool_token", False)
    settings = DevnetSettings(user_count=5 if users is None else users, pool_asset=TEST_USDT if pool_token else NATIVE_ETH)
    accounts = DevAccounts.generate(settings.user_count)
    chain = DevChain(settings.genesis_alloc(accounts), automine=True, finality_depth=args.finality_depth)
    if pool_token and stablecoin is None:
        stablecoin = compile_contract(STABLECOIN_PATH)
    deployment = deploy_leverage_guard(chain, compiled or compile_contract(), accounts, settings, stablecoin)
    chain.automine = not args.no_automine
    return chain, deployment, accounts


class NodeService:
    """The HTTP server thread and, with --block-time, the block timer, around one chain."""

    def __init__(self, args: argparse.Namespace, chain: "DevChain") -> None:
        from rpc import EthApi

        api = EthApi(chain, client_version=client_version(), max_logs=args.max_logs)
        self.server = RpcServer(args.host, args.port, api, verbose=args.verbose)
        self.timer = BlockTimer(chain, args.block_time) if args.block_time else None
        self._serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="rpc-server", daemon=True
        )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self._serving.start()
        if self.timer:
            self.timer.start()

    def stop(self) -> None:
        if self.timer:
            self.timer.stop()
        self.server.shutdown()
        self.server.server_close()


def serve_until_signalled(args: argparse.Namespace, chain: "DevChain", publish) -> int:
    """Serve JSON-RPC until SIGTERM or SIGINT; returns the exit status.

    `publish(url)` runs once the socket listens; it writes the deployment file.
    """
    stop = threading.Event()
    stop_with_parent()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    try:
        service = NodeService(args, chain)
    except OSError as exc:
        print(f"devnode: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    service.start()
    try:
        publish(service.url)
        print(f"devnode listening on {service.url} chainId={chain.chain_id}", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        service.stop()
        _remove_if_ours(args.out, service.url)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    args.out.unlink(missing_ok=True)  # a stale file must not look like a live node
    chain, deployment, accounts = start_chain(args)

    from deployment import deployment_document, write_atomically

    def publish(url: str) -> None:
        write_atomically(args.out, deployment_document(url, chain.chain_id, deployment, accounts))

    return serve_until_signalled(args, chain, publish)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything that matters is closed by now; tearing down py-evm's in-memory
    # state object by object would take the interpreter seconds.
    os._exit(status)
