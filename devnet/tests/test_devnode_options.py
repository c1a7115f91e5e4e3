"""devnode.py's command-line options, on a node started with all of them.

This node runs in the test process (devnode.py's own start_chain and NodeService,
behind parse_args) to spare a second subprocess start; the session's subprocess
node covers main(), the deployment file and signals.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import devnode as devnode_cli
from conftest import DEVNET_DIR, Devnode
from deployment import deployment_document

MAX_LOGS = 2
FINALITY_DEPTH = 2
BLOCK_TIME_S = 0.25


@pytest.fixture(scope="module")
def devnode(tmp_path_factory, compiled):
    """A node with a log cap, interval mining, automine off and a finality lag."""
    args = devnode_cli.parse_args([
        "--port", "0", "--out", str(tmp_path_factory.mktemp("options") / "deployment.json"),
        "--max-logs", str(MAX_LOGS), "--block-time", str(BLOCK_TIME_S), "--no-automine",
        "--finality-depth", str(FINALITY_DEPTH),
    ])
    chain, deployment, accounts = devnode_cli.start_chain(args, compiled)
    service = devnode_cli.NodeService(args, chain)
    service.start()
    try:
        yield Devnode(deployment=deployment_document(service.url, chain.chain_id, deployment, accounts))
    finally:
        service.stop()


def wait_for(predicate, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_block_time_mines_empty_blocks(devnode):
    start = int(devnode.result("eth_blockNumber"), 16)
    wait_for(lambda: int(devnode.result("eth_blockNumber"), 16) >= start + 3)


def test_without_automine_a_transaction_waits_for_the_interval_block(devnode, w3, guard):
    user = devnode.account("user", 0)
    tx = guard.functions.requestClaim(1, "BTC-USDT-SWAP", 10**18, 3).build_transaction(
        {"from": user.address, "nonce": 0, "gas": 200_000})
    tx_hash = w3.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction)
    receipt = wait_for(lambda: devnode.result("eth_getTransactionReceipt", tx_hash.to_0x_hex()))
    assert receipt["status"] == "0x1"


def test_safe_and_finalized_lag_the_head(devnode):
    for _ in range(10):  # the interval miner may move the head between the calls
        head, finalized, safe, head_again = devnode.post([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_getBlockByNumber", "params": ["finalized", False]},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_getBlockByNumber", "params": ["safe", False]},
            {"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber"},
        ]).json()
        if head["result"] == head_again["result"]:
            break
    expected = hex(int(head["result"], 16) - FINALITY_DEPTH)
    assert finalized["result"]["number"] == safe["result"]["number"] == expected


def test_too_many_logs_is_32005_with_a_usable_range(devnode):
    # The deployment logs KeeperChanged, FundsDeposited and DailyPayoutLimitChanged in blocks 2, 3 and 4.
    deploy_block = devnode.deployment["deployBlock"]
    response = devnode.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(deploy_block + 3)})
    error = response["error"]
    suggested = ["0x0", hex(deploy_block + 2)]
    assert error["code"] == -32005
    assert error["message"] == (
        f"query returned more than {MAX_LOGS} results. Try with this block range [{suggested[0]}, {suggested[1]}].")
    assert error["data"] == {"from": suggested[0], "to": suggested[1]}
    logs = devnode.result("eth_getLogs", {"fromBlock": suggested[0], "toBlock": suggested[1]})
    assert len(logs) == MAX_LOGS


def test_host_must_be_loopback(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEVNET_DIR / "devnode.py"), "--port", "0", "--out", str(tmp_path / "d.json"),
         "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "loopback" in result.stderr
    assert not (tmp_path / "d.json").exists()
