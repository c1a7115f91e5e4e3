#!/usr/bin/env python3
"""Request a LeverageGuard claim as one of the devnet's users (used by `make demo`).

    request_claim.py --deployment FILE --user INDEX --order-id N --inst-id BTC-USDT-SWAP
                     --principal WEI --leverage L [--timeout S]

Signs an EIP-1559 `requestClaim` with the user's dev key, sends it over
JSON-RPC, waits for the receipt and prints the transaction hash and block.
Exit status: 0 mined and succeeded, 1 reverted or not mined in time, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

from eth_account import Account
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, TimeExhausted

ABI_PATH = Path(__file__).resolve().parent.parent / "abi" / "LeverageGuard.json"


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="request_claim.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deployment", type=Path, required=True, help="devnode deployment file")
    parser.add_argument("--user", type=int, required=True, help="index into the deployment's users")
    parser.add_argument("--order-id", type=int, required=True, help="exchange order id")
    parser.add_argument("--inst-id", required=True, help="instrument, e.g. BTC-USDT-SWAP")
    parser.add_argument("--principal", type=int, required=True, help="principal in wei")
    parser.add_argument("--leverage", type=int, required=True, help="leverage, 1..65535")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the receipt")
    args = parser.parse_args(argv)
    if not 0 < args.leverage < 2**16:
        parser.error("--leverage must be between 1 and 65535")
    if args.order_id < 0 or args.principal <= 0:
        parser.error("--order-id must not be negative and --principal must be positive")
    return args


def request_claim(args: argparse.Namespace) -> int:
    deployment = json.loads(args.deployment.read_text())
    users = deployment["users"]
    if not 0 <= args.user < len(users):
        print(f"request_claim: --user must be between 0 and {len(users) - 1}", file=sys.stderr)
        return 2
    user = Account.from_key(users[args.user]["privateKey"])
    w3 = Web3(HTTPProvider(deployment["rpcUrl"]))
    contract = w3.eth.contract(address=deployment["contract"], abi=json.loads(ABI_PATH.read_text()))

    call = contract.functions.requestClaim(args.order_id, args.inst_id, args.principal, args.leverage)
    try:
        tx = call.build_transaction({
            "from": user.address,
            "nonce": w3.eth.get_transaction_count(user.address, "pending"),
            "chainId": deployment["chainId"],
        })
    except ContractLogicError as exc:
        print(f"request_claim: requestClaim would revert: {exc.message}", file=sys.stderr)
        return 1
    signed = user.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    try:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=args.timeout, poll_latency=0.2)
    except TimeExhausted:
        print(f"request_claim: tx {tx_hash.to_0x_hex()} not mined within {args.timeout}s", file=sys.stderr)
        return 1
    status = "ok" if receipt["status"] == 1 else "reverted"
    print(f"tx {tx_hash.to_0x_hex()} block {receipt['blockNumber']} status {status} "
          f"user {user.address} orderId {args.order_id}")
    return 0 if receipt["status"] == 1 else 1


def main(argv: Optional[list[str]] = None) -> int:
    return request_claim(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
