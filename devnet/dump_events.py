#!/usr/bin/env python3
"""Print the contract's logs decoded by web3.py, as the keeper's `events` table should hold them.

    dump_events.py --deployment FILE [--from N] [--to N]

One JSON document: a list of {block_number, block_hash, tx_hash, log_index, name, user, order_id,
data}, data being the decoded fields as canonical JSON (sorted keys, no whitespace, integers as
decimal strings, addresses lowercase, bytes as 0x hex). An independent reference for the Swift
decoder: eth_getLogs through web3, decoding through web3's contract events.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from web3 import HTTPProvider, Web3

ABI_PATH = Path(__file__).resolve().parent.parent / "abi" / "LeverageGuard.json"


def canonical(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        return value.lower() if Web3.is_address(value) and value.startswith("0x") and len(value) == 42 else value
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dump_events.py")
    parser.add_argument("--deployment", type=Path, required=True)
    parser.add_argument("--from", dest="first", type=int)
    parser.add_argument("--to", dest="last", type=int)
    args = parser.parse_args(argv)
    deployment = json.loads(args.deployment.read_text())
    w3 = Web3(HTTPProvider(deployment["rpcUrl"]))
    contract = w3.eth.contract(address=deployment["contract"], abi=json.loads(ABI_PATH.read_text()))
    first = deployment["deployBlock"] if args.first is None else args.first
    last = w3.eth.block_number if args.last is None else args.last
    # Block by block, so that a devnode started with --max-logs answers too.
    logs = []
    for number in range(first, last + 1):
        logs.extend(w3.eth.get_logs({"fromBlock": number, "toBlock": number, "address": deployment["contract"]}))
    rows = []
    for log in logs:
        decoded = None
        for event in contract.events:
            try:
                decoded = event().process_log(log)
                break
            except Exception:
                continue
        if decoded is None:
            raise SystemExit(f"log {log['logIndex']} of block {log['blockNumber']} matches no event")
        fields = {k: canonical(v) for k, v in decoded["args"].items()}
        rows.append({
            "block_number": log["blockNumber"], "block_hash": "0x" + log["blockHash"].hex().removeprefix("0x"),
            "tx_hash": "0x" + log["transactionHash"].hex().removeprefix("0x"), "log_index": log["logIndex"],
            "name": decoded["event"], "user": fields.get("user"), "order_id": fields.get("orderId"),
            "data": json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        })
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
