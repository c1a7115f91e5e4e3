"""devnode.py over HTTP: the deployment file, the JSON-RPC wire format, errors, the pool, reorgs."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import is_checksum_address, keccak
from web3.exceptions import ContractLogicError

import request_claim
from conftest import ETHER, transact

QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
HASH = re.compile(r"^0x[0-9a-f]{64}$")
ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
CLAIM_REQUESTED = "0x" + keccak(text="ClaimRequested(address,uint256,string,uint256,uint16)").hex()

BLOCK_FIELDS = {
    "number", "hash", "parentHash", "nonce", "sha3Uncles", "logsBloom", "transactionsRoot", "stateRoot",
    "receiptsRoot", "miner", "difficulty", "totalDifficulty", "extraData", "size", "gasLimit", "gasUsed",
    "timestamp", "transactions", "uncles", "baseFeePerGas", "mixHash",
}
RECEIPT_FIELDS = {
    "transactionHash", "transactionIndex", "blockHash", "blockNumber", "from", "to", "cumulativeGasUsed",
    "gasUsed", "effectiveGasPrice", "contractAddress", "logs", "logsBloom", "status", "type",
}
LOG_FIELDS = {
    "address", "topics", "data", "blockNumber", "blockHash", "transactionHash", "transactionIndex",
    "logIndex", "removed",
}


def sign_tx(devnode, sender, to: str, data: str, *, nonce: int, legacy: bool = False,
            tip: int = 10**9, fee_cap: int = 10 * 10**9) -> bytes:
    """A signed transaction with explicit gas and fees (no estimation), as raw bytes."""
    tx = {"chainId": devnode.deployment["chainId"], "nonce": nonce, "to": to, "data": data, "gas": 200_000,
          "value": 0}
    if legacy:
        tx["gasPrice"] = fee_cap
    else:
        tx.update(type=2, maxPriorityFeePerGas=tip, maxFeePerGas=fee_cap)
    return bytes(sender.sign_transaction(tx).raw_transaction)


def sign_request_claim(devnode, guard, user, order_id: int, **kwargs) -> bytes:
    """A signed requestClaim(order_id, "BTC-USDT-SWAP", 1 ether, 10)."""
    data = guard.encode_abi("requestClaim", args=[order_id, "BTC-USDT-SWAP", ETHER, 10])
    return sign_tx(devnode, user, guard.address, data, **kwargs)


# ---------------------------------------------------------------- deployment file and startup

def test_deployment_file_describes_a_configured_contract(devnode, w3, guard, usdt):
    deployment = devnode.deployment
    assert set(deployment) == {"rpcUrl", "chainId", "contract", "deployBlock", "asset", "assetSymbol", "assetDecimals",
                               "owner", "keeper", "users"}
    assert devnode.stdout_line == f"devnode listening on {devnode.url} chainId={deployment['chainId']}"
    assert deployment["rpcUrl"].startswith("http://127.0.0.1:")
    assert w3.eth.chain_id == deployment["chainId"]
    accounts = [deployment["owner"], deployment["keeper"], *deployment["users"]]
    assert len(deployment["users"]) == 5
    for entry in accounts:
        assert is_checksum_address(entry["address"])
        assert Account.from_key(entry["privateKey"]).address == entry["address"]
    assert len({entry["address"] for entry in accounts}) == len(accounts)
    assert all(w3.eth.get_balance(user["address"]) == 100 * ETHER for user in deployment["users"])

    assert w3.eth.get_code(deployment["contract"], deployment["deployBlock"]) != b""
    assert w3.eth.get_code(deployment["contract"], deployment["deployBlock"] - 1) == b""
    assert guard.functions.owner().call() == deployment["owner"]["address"]
    assert guard.functions.keeper().call() == deployment["keeper"]["address"]
    # --pool-token: the pool pays in USDT, funded with 1,000 of the owner's 1,000,000; users hold 10,000 each.
    usdt_unit = 10**6
    assert (deployment["asset"], deployment["assetSymbol"], deployment["assetDecimals"]) == (usdt.address, "USDT", 6)
    assert is_checksum_address(deployment["asset"])
    assert guard.functions.asset().call() == usdt.address
    assert guard.functions.dailyPayoutLimit().call() == 100 * usdt_unit
    assert guard.functions.dailyWithdrawLimit().call() == 100 * usdt_unit
    assert guard.functions.poolBalance().call() == usdt.functions.balanceOf(guard.address).call() == 1_000 * usdt_unit
    assert w3.eth.get_balance(guard.address) == 0
    assert usdt.functions.balanceOf(deployment["owner"]["address"]).call() == 999_000 * usdt_unit
    assert all(usdt.functions.balanceOf(user["address"]).call() == 10_000 * usdt_unit for user in deployment["users"])
    assert usdt.functions.totalSupply().call() == 1_050_000 * usdt_unit
    assert w3.eth.get_code(usdt.address, deployment["deployBlock"] - 1) != b"", "the token exists before the pool"


def test_without_pool_token_the_pool_pays_in_eth(native_devnode):
    deployment, w3 = native_devnode.deployment, native_devnode.web3()
    assert (deployment["asset"], deployment["assetSymbol"], deployment["assetDecimals"]) == ("0x" + "00" * 20, "ETH", 18)
    assert w3.eth.get_balance(deployment["contract"]) == 1000 * ETHER
    # blocks: deploy, setKeeper, deposit, setDailyPayoutLimit
    assert w3.eth.block_number == deployment["deployBlock"] + 3


# ---------------------------------------------------------------- blocks

def test_web3_reads_blocks_by_number_tag_and_hash(devnode, w3):
    assert w3.is_connected()
    latest = w3.eth.get_block("latest")
    # after the deployment: setKeeper, approve, depositToken, setDailyPayoutLimit
    assert latest["number"] == w3.eth.block_number == devnode.deployment["deployBlock"] + 4
    by_number = w3.eth.get_block(latest["number"])
    by_hash = w3.eth.get_block(latest["hash"])
    assert by_number == by_hash == latest
    assert w3.eth.get_block("earliest")["number"] == 0
    for tag in ("pending", "safe", "finalized"):
        assert w3.eth.get_block(tag)["number"] == latest["number"]
    parent = w3.eth.get_block(latest["number"] - 1)
    assert latest["parentHash"] == parent["hash"]
    assert latest["timestamp"] > parent["timestamp"]

    full = w3.eth.get_block(devnode.deployment["deployBlock"], full_transactions=True)
    deploy_tx = full["transactions"][0]
    assert deploy_tx["to"] is None and deploy_tx["from"] == devnode.deployment["owner"]["address"]
    assert deploy_tx["blockHash"] == full["hash"]


def test_block_wire_format_is_geth_like(devnode):
    block = devnode.result("eth_getBlockByNumber", "latest", False)
    assert BLOCK_FIELDS <= set(block)
    for field in ("number", "difficulty", "totalDifficulty", "size", "gasLimit", "gasUsed", "timestamp",
                  "baseFeePerGas"):
        assert QUANTITY.match(block[field]), (field, block[field])
    for field in ("hash", "parentHash", "sha3Uncles", "transactionsRoot", "stateRoot", "receiptsRoot", "mixHash"):
        assert HASH.match(block[field]), field
    assert re.fullmatch(r"0x[0-9a-f]{16}", block["nonce"])
    assert re.fullmatch(r"0x[0-9a-f]{512}", block["logsBloom"])
    assert ADDRESS.match(block["miner"])
    assert block["uncles"] == [] and all(HASH.match(h) for h in block["transactions"])
    assert devnode.result("eth_getBlockByNumber", "0x0", False)["number"] == "0x0"

    full = devnode.result("eth_getBlockByNumber", block["number"], True)
    tx = full["transactions"][0]
    assert tx["hash"] == block["transactions"][0]
    assert {"blockHash", "blockNumber", "transactionIndex", "from", "to", "gas", "gasPrice", "input",
            "nonce", "value", "type", "v", "r", "s"} <= set(tx)


def test_unknown_hashes_and_future_blocks_are_null(devnode):
    unknown = "0x" + "ab" * 32
    for method in ("eth_getBlockByHash", "eth_getTransactionByHash", "eth_getTransactionReceipt"):
        params = (unknown, False) if method == "eth_getBlockByHash" else (unknown,)
        response = devnode.rpc(method, *params)
        assert response == {"jsonrpc": "2.0", "id": 1, "result": None}
    head = int(devnode.result("eth_blockNumber"), 16)
    assert devnode.result("eth_getBlockByNumber", hex(head + 1), False) is None


# ---------------------------------------------------------------- transactions and logs

def test_eip1559_request_claim_is_mined_and_its_log_is_returned(devnode, w3, guard):
    user = devnode.account("user", 0)
    raw = sign_request_claim(devnode, guard, user, 1001, nonce=w3.eth.get_transaction_count(user.address))
    tx_hash = w3.eth.send_raw_transaction(raw)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    assert receipt["status"] == 1 and receipt["type"] == 2
    assert receipt["from"] == user.address and receipt["to"] == guard.address
    tx = w3.eth.get_transaction(tx_hash)
    assert tx["type"] == 2 and tx["maxFeePerGas"] == 10 * 10**9 and tx["blockNumber"] == receipt["blockNumber"]
    assert tx["gasPrice"] == receipt["effectiveGasPrice"]

    event = guard.events.ClaimRequested().process_receipt(receipt)[0]
    assert event["args"]["user"] == user.address and event["args"]["orderId"] == 1001

    user_topic = "0x" + bytes.fromhex(user.address[2:]).rjust(32, b"\0").hex()
    logs = w3.eth.get_logs({
        "fromBlock": receipt["blockNumber"], "toBlock": "latest", "address": guard.address,
        "topics": [CLAIM_REQUESTED, user_topic],
    })
    assert len(logs) == 1
    log = logs[0]
    assert log["transactionHash"] == tx_hash and log["blockHash"] == receipt["blockHash"]
    assert log["logIndex"] == 0 and log["removed"] is False
    decoded = guard.events.ClaimRequested().process_log(log)
    assert decoded["args"]["instId"] == "BTC-USDT-SWAP" and decoded["args"]["leverage"] == 10

    claim = guard.functions.getClaim(user.address, 1001).call()
    assert claim[0] == ETHER and claim[1] == 10
    assert claim[2] == w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert claim[3:7] == (0, False, False, False)
    assert guard.functions.getPayoutRecord(user.address, 1001).call() == [1001, 0, False, False]


def test_legacy_transaction_is_mined(devnode, w3, guard):
    user = devnode.account("user", 1)
    raw = sign_request_claim(devnode, guard, user, 2002, nonce=0, legacy=True, fee_cap=5 * 10**9)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw), timeout=60)
    assert receipt["status"] == 1 and receipt["type"] == 0
    assert receipt["effectiveGasPrice"] == 5 * 10**9
    tx = devnode.result("eth_getTransactionByHash", receipt["transactionHash"].to_0x_hex())
    assert tx["type"] == "0x0" and tx["gasPrice"] == hex(5 * 10**9)
    assert int(tx["v"], 16) in (2 * devnode.deployment["chainId"] + 35, 2 * devnode.deployment["chainId"] + 36)
    assert guard.functions.getClaim(user.address, 2002).call()[0] == ETHER


def test_receipt_and_log_wire_format(devnode, w3, guard):
    receipt = transact(w3, devnode.account("user", 0), guard.functions.requestClaim(5, "ETH-USDT-SWAP", 7, 3))
    raw = devnode.result("eth_getTransactionReceipt", receipt["transactionHash"].to_0x_hex())
    assert set(raw) >= RECEIPT_FIELDS
    assert raw["status"] == "0x1" and raw["contractAddress"] is None and raw["type"] == "0x2"
    for field in ("transactionIndex", "blockNumber", "cumulativeGasUsed", "gasUsed", "effectiveGasPrice"):
        assert QUANTITY.match(raw[field]), field
    assert set(raw["logs"][0]) == LOG_FIELDS
    assert raw["logs"][0]["topics"][0] == CLAIM_REQUESTED

    deploy_tx = w3.eth.get_block(devnode.deployment["deployBlock"])["transactions"][0]
    deploy_receipt = w3.eth.get_transaction_receipt(deploy_tx)
    assert deploy_receipt["contractAddress"] == devnode.deployment["contract"]


def test_logs_of_one_block_are_numbered_block_wide(devnode, w3, guard):
    devnode.result("evm_setAutomine", False)
    hashes = [
        w3.eth.send_raw_transaction(sign_request_claim(devnode, guard, devnode.account("user", i), 77, nonce=0))
        for i in (2, 3)
    ]
    devnode.result("evm_mine")
    receipts = [w3.eth.get_transaction_receipt(h) for h in hashes]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert sorted(r["transactionIndex"] for r in receipts) == [0, 1]
    assert receipts[1]["cumulativeGasUsed"] == receipts[0]["gasUsed"] + receipts[1]["gasUsed"]
    logs = w3.eth.get_logs({"blockHash": receipts[0]["blockHash"]})
    assert [log["logIndex"] for log in logs] == [0, 1]
    assert [log["transactionIndex"] for log in logs] == [0, 1]


def test_get_logs_filters(devnode, w3, guard):
    users = [devnode.account("user", i) for i in range(3)]
    for order_id, user in enumerate(users, start=10):
        transact(w3, user, guard.functions.requestClaim(order_id, "BTC-USDT-SWAP", ETHER, 5))
    head = w3.eth.block_number
    topic = [CLAIM_REQUESTED]
    as_topic = ["0x" + bytes.fromhex(u.address[2:]).rjust(32, b"\0").hex() for u in users]

    def count(filter_: dict) -> int:
        return len(devnode.result("eth_getLogs", {"fromBlock": hex(head - 2), "toBlock": "latest", **filter_}))

    assert count({}) == 3
    assert count({"address": devnode.deployment["contract"]}) == 3
    assert count({"address": [devnode.deployment["contract"], "0x" + "11" * 20]}) == 3
    assert count({"address": "0x" + "11" * 20}) == 0
    assert count({"topics": topic}) == 3
    assert count({"topics": [None, as_topic[1]]}) == 1
    assert count({"topics": [topic, [as_topic[0], as_topic[2]]]}) == 2
    assert count({"topics": [None, None, None]}) == 3  # user and orderId are indexed: three topics
    assert count({"topics": [None, None, None, None]}) == 0
    assert count({"topics": ["0x" + "00" * 32]}) == 0
    single = devnode.result("eth_getLogs", {"fromBlock": hex(head), "toBlock": hex(head)})
    assert len(single) == 1 and single[0]["blockNumber"] == hex(head)

    both = devnode.rpc("eth_getLogs", {"blockHash": w3.eth.get_block(head)["hash"].to_0x_hex(), "fromBlock": "0x1"})
    assert both["error"]["code"] == -32602
    backwards = devnode.rpc("eth_getLogs", {"fromBlock": hex(head), "toBlock": hex(head - 1)})
    assert backwards["error"] == {"code": -32000, "message": "invalid block range params"}
    unknown = devnode.rpc("eth_getLogs", {"blockHash": "0x" + "ab" * 32})
    assert unknown["error"] == {"code": -32000, "message": "unknown block"}


# ---------------------------------------------------------------- calls, reverts, errors

def test_revert_is_code_3_with_error_string_data(devnode, w3, guard):
    owner = devnode.deployment["owner"]["address"]
    call = {"from": owner, "to": guard.address, "data": guard.encode_abi("executePayout", args=[owner, 1])}
    for method in ("eth_call", "eth_estimateGas"):
        error = devnode.rpc(method, call, "latest")["error"]
        assert error["code"] == 3
        assert error["message"] == "execution reverted: not keeper"
        data = bytes.fromhex(error["data"][2:])
        assert data[:4] == keccak(text="Error(string)")[:4]
        assert abi_decode(["string"], data[4:]) == ("not keeper",)
    with pytest.raises(ContractLogicError, match="not keeper"):
        guard.functions.executePayout(owner, 1).call({"from": owner})


def test_call_at_an_older_block_sees_older_state(devnode, w3, guard):
    user = devnode.account("user", 0)
    before = w3.eth.block_number
    transact(w3, user, guard.functions.requestClaim(9, "BTC-USDT-SWAP", ETHER, 2))
    assert guard.functions.getClaim(user.address, 9).call(block_identifier=before)[0] == 0
    assert guard.functions.getClaim(user.address, 9).call()[0] == ETHER
    block_hash = w3.eth.get_block(before)["hash"].to_0x_hex()
    data = guard.encode_abi("getClaim", args=[user.address, 9])
    by_hash = devnode.result("eth_call", {"to": guard.address, "data": data}, {"blockHash": block_hash})
    assert int(by_hash[2:66], 16) == 0
    assert devnode.rpc("eth_call", {"to": guard.address, "data": data}, hex(before + 100))["error"] == {
        "code": -32000, "message": "header not found"}


def test_protocol_errors(devnode):
    assert devnode.post(raw=b'{"jsonrpc":"2.0","id":1,"method":').json() == {
        "jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    missing_version = devnode.post({"id": 7, "method": "eth_chainId"}).json()
    assert missing_version["error"]["code"] == -32600 and missing_version["id"] == 7
    unknown = devnode.rpc("eth_bogus")
    assert unknown["error"]["code"] == -32601 and "eth_bogus" in unknown["error"]["message"]


@pytest.mark.parametrize("method, params", [
    ("eth_getBalance", ["0x1234", "latest"]),
    ("eth_getBalance", ["0x" + "11" * 20, "0x01"]),
    ("eth_getBalance", ["0x" + "11" * 20, "newest"]),
    ("eth_getBalance", []),
    ("eth_getBlockByNumber", ["latest", "yes"]),
    ("eth_getTransactionByHash", ["0x1234"]),
    ("eth_blockNumber", ["extra"]),
    ("eth_sendRawTransaction", ["0xzz"]),
    ("eth_getLogs", [{"topics": [None, None, None, None, None]}]),
    ("eth_call", [{"to": "0x" + "11" * 20, "data": "0x01", "input": "0x02"}]),
    ("eth_feeHistory", ["0x4", "latest", [50, 10]]),
    ("eth_getBalance", {"address": "0x" + "11" * 20}),
])
def test_bad_params_are_32602(devnode, method, params):
    response = devnode.post({"jsonrpc": "2.0", "id": 3, "method": method, "params": params}).json()
    assert response["error"]["code"] == -32602, response
    assert response["id"] == 3


def test_batch_requests(devnode):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": "two", "method": "eth_blockNumber", "params": []},
        {"jsonrpc": "2.0", "method": "eth_blockNumber"},  # a notification: no answer
        {"jsonrpc": "2.0", "id": 4, "method": "no_such_method"},
        42,
    ]
    answers = devnode.post(batch).json()
    assert isinstance(answers, list) and len(answers) == 4
    by_id = {answer["id"]: answer for answer in answers if answer["id"] is not None}
    assert by_id[1]["result"] == hex(devnode.deployment["chainId"])
    assert QUANTITY.match(by_id["two"]["result"])
    assert by_id[4]["error"]["code"] == -32601
    assert [a["error"]["code"] for a in answers if a["id"] is None] == [-32600]

    empty = devnode.post([]).json()
    assert empty == {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "empty batch"}}


def test_http_surface(devnode):
    assert requests.get(devnode.url, timeout=30).status_code == 405
    notification = devnode.post({"jsonrpc": "2.0", "method": "eth_chainId"})
    assert notification.status_code == 200 and notification.content == b""


# ---------------------------------------------------------------- the transaction pool

def test_a_reverting_transaction_is_mined_with_status_0(devnode, w3, guard):
    user = devnode.account("user", 0)
    data = guard.encode_abi("executePayout", args=[user.address, 1])
    tx_hash = w3.eth.send_raw_transaction(sign_tx(devnode, user, guard.address, data, nonce=0))
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 0 and receipt["logs"] == [] and 21_000 < receipt["gasUsed"] < 200_000
    assert w3.eth.get_transaction_count(user.address) == 1


def test_send_raw_transaction_rejections_use_geth_messages(devnode, w3, guard):
    user = devnode.account("user", 4)
    mined = sign_request_claim(devnode, guard, user, 1, nonce=0)
    w3.eth.send_raw_transaction(mined)

    def error_of(raw: bytes) -> dict:
        return devnode.rpc("eth_sendRawTransaction", "0x" + raw.hex())["error"]

    assert error_of(mined) == {"code": -32000, "message": f"nonce too low: address {user.address}, tx: 0 state: 1"}

    broke = Account.from_key("0x" + "42" * 32)
    error = error_of(sign_request_claim(devnode, guard, broke, 1, nonce=0))
    assert error["code"] == -32000
    assert error["message"].startswith(f"insufficient funds for gas * price + value: address {broke.address} have 0 want ")

    wrong_chain = user.sign_transaction({"chainId": 1, "nonce": 1, "to": guard.address, "gas": 21000,
                                         "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1, "value": 0})
    assert error_of(bytes(wrong_chain.raw_transaction))["message"].startswith("invalid chain id for signer")
    assert error_of(b"\x02\xc0")["code"] == -32000

    devnode.result("evm_setAutomine", False)
    pending = sign_request_claim(devnode, guard, user, 2, nonce=1, tip=10**9, fee_cap=10 * 10**9)
    w3.eth.send_raw_transaction(pending)
    assert error_of(pending) == {"code": -32000, "message": "already known"}
    too_cheap = sign_request_claim(devnode, guard, user, 3, nonce=1, tip=int(1.05 * 10**9), fee_cap=11 * 10**9)
    assert error_of(too_cheap) == {"code": -32000, "message": "replacement transaction underpriced"}


def test_pending_nonce_and_fee_bump_replacement(devnode, w3, guard):
    user = devnode.account("user", 0)
    devnode.result("evm_setAutomine", False)
    head = w3.eth.block_number
    first = w3.eth.send_raw_transaction(sign_request_claim(devnode, guard, user, 11, nonce=0))
    assert w3.eth.get_transaction_count(user.address, "latest") == 0
    assert w3.eth.get_transaction_count(user.address, "pending") == 1
    pending = devnode.result("eth_getTransactionByHash", first.to_0x_hex())
    assert pending["blockHash"] is None and pending["blockNumber"] is None and pending["transactionIndex"] is None
    assert w3.eth.block_number == head

    second = w3.eth.send_raw_transaction(sign_request_claim(devnode, guard, user, 12, nonce=1))
    assert w3.eth.get_transaction_count(user.address, "pending") == 2
    bumped = w3.eth.send_raw_transaction(
        sign_request_claim(devnode, guard, user, 11, nonce=0, tip=2 * 10**9, fee_cap=20 * 10**9))
    assert bumped != first
    assert devnode.result("eth_getTransactionByHash", first.to_0x_hex()) is None
    assert w3.eth.get_transaction_count(user.address, "pending") == 2

    devnode.result("evm_mine")
    assert w3.eth.block_number == head + 1
    block = w3.eth.get_block(head + 1)
    assert block["transactions"] == [bumped, second]
    assert w3.eth.get_transaction_receipt(bumped)["status"] == 1
    assert devnode.result("eth_getTransactionReceipt", first.to_0x_hex()) is None
    assert w3.eth.get_transaction(bumped)["maxPriorityFeePerGas"] == 2 * 10**9
    assert w3.eth.get_transaction_count(user.address, "latest") == 2


def test_future_nonce_waits_for_the_gap(devnode, w3, guard):
    user = devnode.account("user", 1)
    head = w3.eth.block_number
    later = w3.eth.send_raw_transaction(sign_request_claim(devnode, guard, user, 21, nonce=1))
    assert w3.eth.block_number == head and w3.eth.get_transaction_count(user.address, "pending") == 0
    w3.eth.send_raw_transaction(sign_request_claim(devnode, guard, user, 20, nonce=0))
    assert w3.eth.get_transaction_receipt(later)["status"] == 1
    assert w3.eth.get_transaction_count(user.address) == 2


# ---------------------------------------------------------------- reorgs, mining, fees

def test_snapshot_revert_then_mine_is_a_reorg(devnode, w3, guard):
    base = w3.eth.block_number
    snapshot = devnode.result("evm_snapshot")
    receipt = transact(w3, devnode.account("user", 0), guard.functions.requestClaim(31, "BTC-USDT-SWAP", ETHER, 4))
    devnode.result("evm_mine", 2)
    old = [w3.eth.get_block(n)["hash"] for n in range(base + 1, base + 4)]
    assert receipt["blockNumber"] == base + 1

    assert devnode.result("evm_revert", snapshot) is True
    assert w3.eth.block_number == base
    assert devnode.result("evm_revert", snapshot) is False  # used up
    devnode.result("evm_mine", 3)
    new = [w3.eth.get_block(n)["hash"] for n in range(base + 1, base + 4)]
    assert all(a != b for a, b in zip(old, new))
    assert w3.eth.get_block(base + 1)["parentHash"] == w3.eth.get_block(base)["hash"]
    assert devnode.result("eth_getBlockByHash", old[0].to_0x_hex(), False) is None
    assert devnode.result("eth_getTransactionReceipt", receipt["transactionHash"].to_0x_hex()) is None
    assert w3.eth.get_logs({"fromBlock": base + 1, "toBlock": "latest"}) == []


def test_evm_mine_count_and_increase_time(devnode, w3):
    head = w3.eth.get_block("latest")
    assert devnode.result("evm_mine", 3) == "0x0"
    assert w3.eth.block_number == head["number"] + 3
    # Blocks mined faster than one a second run ahead of the wall clock (each is at least a second
    # after its parent), so the jump is measured from the wall clock, as the node applies it.
    before = int(time.time())
    devnode.result("evm_increaseTime", 86400)
    devnode.result("evm_mine")
    latest = w3.eth.get_block("latest")["timestamp"]
    assert latest >= before + 86400 and latest > head["timestamp"]


def test_fee_history_shape(devnode, w3, guard):
    transact(w3, devnode.account("user", 0), guard.functions.requestClaim(41, "BTC-USDT-SWAP", ETHER, 4))
    head = w3.eth.block_number
    history = devnode.result("eth_feeHistory", "0x4", "latest", [25, 75])
    assert history["oldestBlock"] == hex(head - 3)
    assert len(history["baseFeePerGas"]) == 5 and all(QUANTITY.match(fee) for fee in history["baseFeePerGas"])
    assert history["baseFeePerGas"][3] == hex(w3.eth.get_block(head)["baseFeePerGas"])
    assert len(history["gasUsedRatio"]) == 4 and all(0 <= r <= 1 for r in history["gasUsedRatio"])
    assert history["gasUsedRatio"][-1] > 0
    assert len(history["reward"]) == 4 and all(len(block) == 2 for block in history["reward"])
    assert int(history["reward"][-1][0], 16) > 0

    web3_history = w3.eth.fee_history(2, "latest")
    assert web3_history["oldestBlock"] == head - 1 and len(web3_history["baseFeePerGas"]) == 3
    assert "reward" not in devnode.result("eth_feeHistory", "0x2", "latest", [])
    assert QUANTITY.match(devnode.result("eth_gasPrice"))
    assert devnode.result("eth_maxPriorityFeePerGas") == hex(10**9)


# ---------------------------------------------------------------- request_claim.py (make demo)

def test_request_claim_script(devnode, guard, tmp_path, capsys):
    deployment_file = tmp_path / "deployment.json"
    deployment_file.write_text(json.dumps(devnode.deployment))
    argv = ["--deployment", str(deployment_file), "--user", "3", "--order-id", "4242",
            "--inst-id", "ETH-USDT-SWAP", "--principal", str(2 * ETHER), "--leverage", "25"]
    assert request_claim.main(argv) == 0
    printed = capsys.readouterr().out
    assert re.match(r"^tx 0x[0-9a-f]{64} block \d+ status ok ", printed)
    user = devnode.deployment["users"][3]["address"]
    assert guard.functions.getClaim(user, 4242).call()[:2] == (2 * ETHER, 25)

    assert request_claim.main(argv) == 1
    assert "claim exists" in capsys.readouterr().err


def test_call_with_value_beyond_the_balance_is_refused(devnode):
    call = {"from": "0x" + "42" * 20, "to": "0x" + "43" * 20, "value": hex(ETHER)}
    for method in ("eth_call", "eth_estimateGas"):
        assert devnode.rpc(method, call)["error"] == {"code": -32000, "message": "insufficient funds for transfer"}
    assert devnode.result("eth_estimateGas", {"from": "0x" + "42" * 20, "to": "0x" + "43" * 20}) == hex(21000)
