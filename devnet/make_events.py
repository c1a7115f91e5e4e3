#!/usr/bin/env python3
"""Make many LeverageGuard events quickly, in one process (tests of the log follower).

    make_events.py --deployment FILE --claims N [--deposits N] [--per-block K] [--order-base B]
                   [--users I,J,…] [--mine N]

Sends N requestClaim transactions (order ids B, B+1, …, spread over the users round-robin) and
N deposits (a token pool, `--pool-token`: `approve` then `depositToken`, two transactions each;
an ETH pool: `deposit()` with value), K transactions per block (automine is switched off while they are sent and mined
with evm_mine, then restored). `--mine N` then mines N empty blocks. Prints one JSON line:
{"head": H, "claims": [...], "txs": count}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector
from web3 import HTTPProvider, Web3

ABI_PATH = Path(__file__).resolve().parent.parent / "abi" / "LeverageGuard.json"
APPROVE = "approve(address,uint256)"
INSTRUMENTS = ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP"]


def sign_only(deployment_file: Path, plan: list) -> int:
    """Signed requestClaim transactions for later replay (e.g. across evm_snapshot/evm_revert)."""
    deployment = json.loads(deployment_file.read_text())
    w3 = Web3(HTTPProvider(deployment["rpcUrl"]))
    contract = w3.eth.contract(address=deployment["contract"], abi=json.loads(ABI_PATH.read_text()))
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    fees = {"maxFeePerGas": base_fee * 4 + 10**9, "maxPriorityFeePerGas": 10**9, "chainId": deployment["chainId"]}
    batches = []
    for entry in plan:
        users = [Account.from_key(deployment["users"][int(i)]["privateKey"]) for i in str(entry["users"]).split(",")]
        nonces = {u.address: w3.eth.get_transaction_count(u.address, "pending") + int(entry.get("nonceOffset", 0)) for u in users}
        raws = []
        for n in range(int(entry["claims"])):
            user = users[n % len(users)]
            order = int(entry["orderBase"]) + n
            tx = contract.functions.requestClaim(order, INSTRUMENTS[n % 3], 10**15 * (n + 1), 2 + n % 100).build_transaction(
                {"from": user.address, "gas": 300_000, "nonce": nonces[user.address], **fees})
            nonces[user.address] += 1
            raws.append("0x" + bytes(user.sign_transaction(tx).raw_transaction).hex())
        batches.append(raws)
    print(json.dumps(batches))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make_events.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployment", type=Path, required=True)
    parser.add_argument("--claims", type=int, default=0)
    parser.add_argument("--deposits", type=int, default=0)
    parser.add_argument("--per-block", type=int, default=1)
    parser.add_argument("--order-base", type=int, default=1)
    parser.add_argument("--users", default="")
    parser.add_argument("--mine", type=int, default=0)
    parser.add_argument("--sign-only", metavar="PLAN",
                        help='sign without sending: PLAN is a JSON list of {"claims", "orderBase", "users", "nonceOffset"}; '
                             'prints a JSON list of lists of raw transactions (0x hex), one list per entry')
    args = parser.parse_args(argv)
    if args.sign_only:
        return sign_only(args.deployment, json.loads(args.sign_only))

    deployment = json.loads(args.deployment.read_text())
    w3 = Web3(HTTPProvider(deployment["rpcUrl"]))
    contract = w3.eth.contract(address=deployment["contract"], abi=json.loads(ABI_PATH.read_text()))
    indexes = [int(i) for i in args.users.split(",")] if args.users else list(range(len(deployment["users"])))
    users = [Account.from_key(deployment["users"][i]["privateKey"]) for i in indexes]
    nonces = {u.address: w3.eth.get_transaction_count(u.address, "pending") for u in users}
    chain_id = deployment["chainId"]
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    fees = {"maxFeePerGas": base_fee * 4 + 10**9, "maxPriorityFeePerGas": 10**9, "chainId": chain_id}

    def send(user, tx) -> None:
        tx = dict(tx, nonce=nonces[user.address], **fees)
        nonces[user.address] += 1
        w3.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction)

    jobs = []
    claims = []
    for n in range(args.claims):
        user = users[n % len(users)]
        order = args.order_base + n
        inst = INSTRUMENTS[n % len(INSTRUMENTS)]
        principal = 10**15 * (n + 1)
        leverage = 2 + n % 100
        claims.append({"user": user.address.lower(), "orderId": order})
        jobs.append((user, contract.functions.requestClaim(order, inst, principal, leverage).build_transaction(
            {"from": user.address, "gas": 300_000, "nonce": 0, **fees})))
    token = deployment.get("asset", "0x" + "00" * 20)
    token_pool = int(token, 16) != 0
    unit = 10 ** deployment.get("assetDecimals", 18)
    for n in range(args.deposits):
        user = users[n % len(users)]
        amount = unit // 10_000 * (n + 1)
        if token_pool:
            approve = function_signature_to_4byte_selector(APPROVE) + abi_encode(["address", "uint256"], [deployment["contract"], amount])
            jobs.append((user, {"from": user.address, "to": token, "value": 0, "gas": 100_000, "data": approve}))
            jobs.append((user, {"from": user.address, "to": deployment["contract"], "value": 0, "gas": 150_000,
                                "data": contract.functions.depositToken(amount)._encode_transaction_data()}))
        else:
            jobs.append((user, {"from": user.address, "to": deployment["contract"], "value": amount, "gas": 100_000,
                                "data": contract.functions.deposit()._encode_transaction_data()}))

    w3.provider.make_request("evm_setAutomine", [False])
    try:
        for start in range(0, len(jobs), max(1, args.per_block)):
            for user, tx in jobs[start:start + max(1, args.per_block)]:
                tx.pop("nonce", None)
                send(user, tx)
            w3.provider.make_request("evm_mine", [1])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    if args.mine:
        w3.provider.make_request("evm_mine", [args.mine])
    print(json.dumps({"head": w3.eth.block_number, "claims": claims, "txs": len(jobs)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
