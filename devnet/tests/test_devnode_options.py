"""devnode.py's command-line options.

These nodes run in the test process, built by devnode.py's own parse_args,
start_chain and NodeService, to spare more subprocess starts; the session's
subprocess node covers main(), the deployment file and signals.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import pytest

import devnode as devnode_cli
from conftest import DEVNET_DIR, ETHER, Devnode
from deployment import DevAccounts, deployment_document

MAX_LOGS = 2
FINALITY_DEPTH = 2


@contextlib.contextmanager
def in_process_node(out_dir, compiled, *options: str):
    """A devnode started from command-line options inside this process."""
    args = devnode_cli.parse_args(["--port", "0", "--out", str(out_dir / "deployment.json"), *options])
    chain, deployment, accounts = devnode_cli.start_chain(args, compiled)
    service = devnode_cli.NodeService(args, chain)
    service.start()
    try:
        yield Devnode(deployment=deployment_document(service.url, chain.chain_id, deployment, accounts),
                      automine=not args.no_automine)
    finally:
        service.stop()


@pytest.fixture(scope="module")
def devnode(tmp_path_factory, compiled):
    """A node with a log cap, automine off and a finality lag."""
    options = ["--max-logs", str(MAX_LOGS), "--no-automine", "--finality-depth", str(FINALITY_DEPTH)]
    with in_process_node(tmp_path_factory.mktemp("options"), compiled, *options) as node:
        yield node


def test_without_automine_transactions_wait_for_evm_mine(devnode, w3, guard):
    user = devnode.account("user", 0)
    head = w3.eth.block_number
    tx = guard.functions.requestClaim(1, "BTC-USDT-SWAP", ETHER, 3).build_transaction(
        {"from": user.address, "nonce": 0, "gas": 200_000})
    tx_hash = w3.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction)
    assert w3.eth.block_number == head
    assert devnode.result("eth_getTransactionReceipt", tx_hash.to_0x_hex()) is None
    assert w3.eth.get_transaction_count(user.address, "pending") == 1
    assert list(devnode.result("txpool_content")["pending"]) == [user.address.lower()]

    devnode.result("evm_mine")
    assert w3.eth.get_transaction_receipt(tx_hash)["blockNumber"] == head + 1
    assert devnode.result("txpool_content")["pending"] == {}


def test_safe_and_finalized_lag_the_head(devnode):
    head = int(devnode.result("eth_blockNumber"), 16)
    for tag in ("safe", "finalized"):
        assert devnode.result("eth_getBlockByNumber", tag, False)["number"] == hex(head - FINALITY_DEPTH)
    assert devnode.result("eth_getBlockByNumber", "latest", False)["number"] == hex(head)


def test_too_many_logs_is_32005_with_a_usable_range(devnode):
    # The deployment logs KeeperChanged, FundsDeposited and DailyPayoutLimitChanged in its next three blocks.
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


def test_block_time_mines_blocks_on_its_own(tmp_path, compiled):
    with in_process_node(tmp_path, compiled, "--block-time", "0.1") as node:
        start = int(node.result("eth_blockNumber"), 16)
        deadline = time.monotonic() + 30  # three 0.1 s blocks; generous, for a loaded machine
        while int(node.result("eth_blockNumber"), 16) < start + 3:
            assert time.monotonic() < deadline, "no interval blocks"
            time.sleep(0.05)


def test_host_must_be_loopback(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEVNET_DIR / "devnode.py"), "--port", "0", "--out", str(tmp_path / "d.json"),
         "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "loopback" in result.stderr
    assert not (tmp_path / "d.json").exists()


def test_users_funds_more_accounts_and_keeps_the_first_five(tmp_path, compiled):
    with in_process_node(tmp_path, compiled, "--users", "8") as node:
        users = node.deployment["users"]
        assert len(users) == 8
        assert [u["address"] for u in users[:5]] == [a.address for a in DevAccounts.generate(5).users]
        for user in users:
            assert int(node.result("eth_getBalance", user["address"], "latest"), 16) == 100 * ETHER
