#!/usr/bin/env python3
"""The indexer a Python team would write (issue 8's comparison, BENCHMARKS.md).

web3.py `eth.get_logs` over ranges of blocks, each log decoded with the contract's ABI
(abi/LeverageGuard.json) by web3's own event processing (`ContractEvent.process_log`), the rows
inserted with sqlite3 into the keeper's `events` and `claims` tables (same columns, indexes and
INSERT statements, WAL and synchronous=NORMAL), one transaction per range. The `data` column is
the keeper's canonical JSON (sorted keys, integers as decimal strings, bytes as 0x hex), so that
`lg-bench check` compares its rows with the corpus exactly as it does the keeper's.

It does less than the keeper: no block headers fetched or validated, no reorg bookkeeping, no
cursor; what a script that trusts its node does.

    web3_indexer.py --url URL --contract 0x… --db FILE [--from 0] [--to HEAD] [--range 500]

Prints one line: "web3.py indexer: N logs in S s (cpu C s): R logs/s, P logs per cpu-s".
"""

import argparse
import json
import pathlib
import sqlite3
import time

from web3 import Web3
from eth_utils import event_abi_to_log_topic

ABI_PATH = pathlib.Path(__file__).resolve().parent.parent / "abi" / "LeverageGuard.json"

# The keeper's schema for the two tables it fills while indexing (Sources/Indexer/IndexSchema.swift).
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    chain_id INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    tx_hash TEXT NOT NULL,
    tx_index INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    user TEXT,
    order_id TEXT,
    data TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    UNIQUE (chain_id, block_hash, log_index)
);
CREATE INDEX IF NOT EXISTS events_by_block ON events (chain_id, block_number);
CREATE INDEX IF NOT EXISTS events_by_claim ON events (user, order_id);
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY,
    chain_id INTEGER NOT NULL,
    user TEXT NOT NULL,
    order_id TEXT NOT NULL,
    inst_id TEXT NOT NULL,
    principal TEXT NOT NULL,
    leverage INTEGER NOT NULL,
    state TEXT NOT NULL,
    amount TEXT,
    evidence_id TEXT,
    request_block_number INTEGER NOT NULL,
    request_block_hash TEXT NOT NULL,
    request_tx_hash TEXT NOT NULL,
    request_log_index INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (chain_id, user, order_id)
);
CREATE INDEX IF NOT EXISTS claims_by_state ON claims (state);
"""

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
INSERT_EVENT = f"""INSERT OR IGNORE INTO events (chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, name,
    user, order_id, data, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {NOW})"""
INSERT_CLAIM = f"""INSERT OR IGNORE INTO claims (chain_id, user, order_id, inst_id, principal, leverage, state, request_block_number,
    request_block_hash, request_tx_hash, request_log_index, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?, {NOW}, {NOW})"""


def canonical(value, abi_type: str):
    """The keeper's canonical JSON value: integers as decimal strings, addresses lowercase, bytes as 0x hex."""
    if abi_type == "address":
        return value.lower()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--contract", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--from", dest="first", type=int, default=0)
    parser.add_argument("--to", dest="last", type=int)
    parser.add_argument("--range", type=int, default=500)
    args = parser.parse_args()

    w3 = Web3(Web3.HTTPProvider(args.url, request_kwargs={"timeout": 120}))
    address = Web3.to_checksum_address(args.contract)
    contract = w3.eth.contract(address=address, abi=json.loads(ABI_PATH.read_text()))
    events_by_topic = {event_abi_to_log_topic(entry): (contract.events[entry["name"]](), {i["name"]: i["type"] for i in entry["inputs"]})
                       for entry in contract.abi if entry.get("type") == "event"}
    chain_id = w3.eth.chain_id
    last = args.last if args.last is not None else w3.eth.block_number

    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)

    started, cpu_started = time.perf_counter(), time.process_time()
    total = 0
    for first in range(args.first, last + 1, args.range):
        to = min(last, first + args.range - 1)
        logs = w3.eth.get_logs({"address": address, "fromBlock": first, "toBlock": to})
        events, claims = [], []
        for log in logs:
            event, types = events_by_topic.get(bytes(log["topics"][0]), (None, None)) if log["topics"] else (None, None)
            block_hash, tx_hash = "0x" + log["blockHash"].hex(), "0x" + log["transactionHash"].hex()
            if event is None:
                name, fields = "Unknown", {"topics": ["0x" + t.hex() for t in log["topics"]], "data": "0x" + log["data"].hex()}
            else:
                decoded = event.process_log(log)
                name, fields = decoded["event"], {key: canonical(value, types[key]) for key, value in decoded["args"].items()}
            user, order_id = fields.get("user"), fields.get("orderId")
            events.append((chain_id, log["blockNumber"], block_hash, tx_hash, log["transactionIndex"], log["logIndex"],
                           log["address"].lower(), name, user, order_id, json.dumps(fields, sort_keys=True, separators=(",", ":"))))
            if name == "ClaimRequested":
                claims.append((chain_id, user, order_id, fields["instId"], fields["principal"], int(fields["leverage"]),
                               log["blockNumber"], block_hash, tx_hash, log["logIndex"]))
        with db:  # one transaction per range
            db.executemany(INSERT_EVENT, events)
            db.executemany(INSERT_CLAIM, claims)
        total += len(logs)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    db.close()
    print(f"web3.py indexer: {total} logs in {elapsed:.3f} s (cpu {cpu:.3f} s): "
          f"{total / elapsed:.0f} logs/s, {total / cpu:.0f} logs per cpu-s")


if __name__ == "__main__":
    main()
