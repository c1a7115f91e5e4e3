"""Shared fixtures: devnode subprocesses for the session, snapshot isolation per test.

`devnode` is a USDT pool (`--pool-token`), as `make demo` runs it; `native_devnode`
is an ETH pool, for what only a native-coin pool shows. Every test that uses a node
runs between evm_snapshot and evm_revert, so each one sees the freshly deployed
chain whatever ran before it.
"""

from __future__ import annotations

import contextlib
import re
import signal
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from eth_account import Account
from web3 import HTTPProvider, Web3

DEVNET_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(DEVNET_DIR))

from contract import ABI_PATH, STABLECOIN_PATH, compile_contract  # noqa: E402  (needs the path above)

STARTUP_TIMEOUT_S = 60
ETHER = 10**18


@dataclass
class Devnode:
    """A running devnode: its deployment file's content and helpers to talk to it."""

    deployment: dict
    stdout_line: str = ""
    automine: bool = True  # what `isolated` restores after each test

    @property
    def url(self) -> str:
        return self.deployment["rpcUrl"]

    def rpc(self, method: str, *params: Any) -> dict:
        """One JSON-RPC call; returns the whole response object."""
        return self.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()

    def result(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call that must succeed; returns its result."""
        response = self.rpc(method, *params)
        assert "error" not in response, response
        return response["result"]

    def post(self, payload: Any = None, raw: bytes | None = None) -> requests.Response:
        body = raw if raw is not None else json.dumps(payload).encode()
        return requests.post(self.url, data=body, headers={"Content-Type": "application/json"}, timeout=30)

    def web3(self) -> Web3:
        return Web3(HTTPProvider(self.url))

    def account(self, role: str, index: int = 0):
        entry = self.deployment["users"][index] if role == "user" else self.deployment[role]
        return Account.from_key(entry["privateKey"])

    @property
    def is_token_pool(self) -> bool:
        return int(self.deployment["asset"], 16) != 0

    def units(self, whole: int) -> int:
        """`whole` coins or tokens of the pool's asset in its smallest unit."""
        return whole * 10 ** self.deployment["assetDecimals"]


@contextlib.contextmanager
def run_devnode(out_dir: Path, *extra_args: str) -> Iterator[Devnode]:
    """Start devnode.py on a free port, wait for its deployment file, always stop it.

    After a clean run it also checks the shutdown: SIGTERM exits 0 and removes the file.
    """
    out, log = out_dir / "deployment.json", out_dir / "devnode.stderr"
    command = [sys.executable, str(DEVNET_DIR / "devnode.py"), "--port", "0", "--out", str(out), *extra_args]
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        deployment = _wait_for_file(out, process, log)
        yield Devnode(deployment=deployment, stdout_line=process.stdout.readline().strip())
    finally:
        returncode = _stop(process)
    assert returncode == 0, f"devnode exited with {returncode} on SIGTERM: {log.read_text()}"
    assert not out.exists(), "devnode left its deployment file behind"


def _stop(process: subprocess.Popen) -> int:
    process.terminate()
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -1
    finally:
        process.stdout.close()


def _wait_for_file(out: Path, process: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if out.exists():
            return json.loads(out.read_text())
        if process.poll() is not None:
            raise RuntimeError(f"devnode exited with {process.returncode}: {log.read_text()}")
        time.sleep(0.05)
    raise TimeoutError(f"devnode wrote no {out} within {STARTUP_TIMEOUT_S}s")


@pytest.fixture(scope="session")
def devnode(tmp_path_factory) -> Iterator[Devnode]:
    """The default devnode, a USDT pool, shared by the session (tests are isolated by snapshots)."""
    with run_devnode(tmp_path_factory.mktemp("devnode"), "--pool-token") as node:
        yield node


@pytest.fixture(scope="session")
def native_devnode(tmp_path_factory) -> Iterator[Devnode]:
    """A devnode whose pool pays in ETH, shared by the session."""
    with run_devnode(tmp_path_factory.mktemp("native-devnode")) as node:
        yield node


@contextlib.contextmanager
def snapshot_of(node: Devnode) -> Iterator[None]:
    """Run the body against a snapshot of `node`, then revert it (and its automine setting)."""
    snapshot = node.result("evm_snapshot")
    try:
        yield
    finally:
        node.result("evm_setAutomine", node.automine)
        assert node.result("evm_revert", snapshot) is True


@pytest.fixture(autouse=True)
def isolated(request) -> Iterator[None]:
    """Run each test against snapshots of the devnodes it uses, then revert them."""
    with contextlib.ExitStack() as stack:
        for name in ("devnode", "native_devnode"):
            if name in request.fixturenames:
                stack.enter_context(snapshot_of(request.getfixturevalue(name)))
        yield


@pytest.fixture(scope="session")
def compiled():
    """LeverageGuard.vy compiled in this process, once."""
    return compile_contract()


@pytest.fixture(scope="session")
def stablecoin_compiled():
    """TestStablecoin.vy compiled in this process, once."""
    return compile_contract(STABLECOIN_PATH)


@pytest.fixture(scope="session")
def abi() -> list:
    return json.loads(ABI_PATH.read_text())


@pytest.fixture
def w3(devnode) -> Web3:
    return devnode.web3()


@pytest.fixture
def guard(devnode, w3, abi):
    """The deployed LeverageGuard as a web3 contract."""
    return w3.eth.contract(address=devnode.deployment["contract"], abi=abi)


@pytest.fixture
def usdt(devnode, w3, stablecoin_compiled):
    """The USDT pool's token (TestStablecoin) as a web3 contract."""
    return w3.eth.contract(address=devnode.deployment["asset"], abi=stablecoin_compiled.abi)


def transact(w3: Web3, account, call, *, value: int = 0, legacy: bool = False, wait: bool = True):
    """Build, sign and send a contract call from `account`; returns the receipt (or the hash)."""
    params = {"from": account.address, "value": value, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    if legacy:
        params["gasPrice"] = w3.eth.gas_price
    tx = call.build_transaction(params)
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    if not wait:
        return tx_hash
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.05)


# -- processes a test starts (the keeper, okxsim) -------------------------------------------------


def wait_for(predicate: Callable, seconds: float, what: str | Callable[[], str], interval: float = 0.2):
    """`predicate()` once it is truthy; `what` (or what it returns, for a message read at the end) when it never is."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds}s waiting for {what() if callable(what) else what}")


def start(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)


def listening(log: Path, pattern: str, process: subprocess.Popen, what: str) -> str:
    def found():
        assert process.poll() is None, f"{what} exited {process.returncode}: {log.read_text(errors='replace')[-3000:]}"
        return re.search(pattern, log.read_text(errors="replace"))
    return wait_for(found, 60, what).group(1)


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def keeper_config(node: Devnode, work: Path, okx_url: str, policy: dict, **sections: dict) -> Path:
    """`work/keeper.json` for `lg-keeper run` against `node` and okxsim at `okx_url`: the signer's key in a 0600
    file, one confirmation, the database and evidence in `work`, then `sections` (http, vault, console…)."""
    key_file = work / "keeper.key"
    key_file.write_text(node.deployment["keeper"]["privateKey"])
    key_file.chmod(0o600)
    config = work / "keeper.json"
    config.write_text(json.dumps({
        "chain": {"rpcUrls": [node.url], "chainId": node.deployment["chainId"], "contract": node.deployment["contract"],
                  "startBlock": node.deployment["deployBlock"], "confirmations": 1, "pollIntervalMs": 200},
        "signer": {"keyFile": str(key_file)},
        "okx": {"baseURL": okx_url, "timeoutMs": 5000},
        "pool": {"currency": node.deployment["assetSymbol"], "decimals": node.deployment["assetDecimals"]},
        "policy": policy,
        "store": {"path": str(work / "keeper.sqlite")},
        "evidence": {"dir": str(work / "evidence")},
        **sections,
    }, indent=2))
    return config


@contextlib.contextmanager
def running_okxsim(work: Path) -> Iterator[str]:
    """okxsim on a free port (its log in `work`); yields its URL, stops it at the end."""
    log = work / "okxsim.log"
    process = start([sys.executable, str(DEVNET_DIR / "okxsim.py"), "--port", "0"], log)
    try:
        yield listening(log, r"listening on (http://127\.0\.0\.1:\d+)", process, "okxsim")
    finally:
        stop(process)


@contextlib.contextmanager
def running_keeper(keeper: Path, config: Path, log: Path, env: dict) -> Iterator[subprocess.Popen]:
    """`lg-keeper run --config CONFIG` (its output in `log`); at the end SIGTERM, which it must answer with exit 0."""
    process = start([str(keeper), "run", "--config", str(config)], log, env=env)
    try:
        yield process
    finally:
        code = stop(process)
        assert code == 0, f"lg-keeper run exited {code} on SIGTERM: {log.read_text(errors='replace')[-3000:]}"


def leverage_guard(node: Devnode):
    """The deployed LeverageGuard contract, through web3 and the ABI the keeper is built against."""
    return node.web3().eth.contract(address=node.deployment["contract"], abi=json.loads(ABI_PATH.read_text()))
