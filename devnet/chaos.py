#!/usr/bin/env python3
"""chaos.py: `lg-keeper run` settling claims while everything around it fails (issue 8, `make chaos`).

    chaos.py [--keeper .build/debug/lg-keeper] [--claims 500] [--users 20] [--kills 200]
             [--reorgs 20] [--seed S] [--confirmations 3] [--cascade-size K] [--work DIR]

1. generates an okxsim scenario directory: one OKX account per devnet user, one order per claim,
   each claim liquidated (forced, partial, ADL) or not (manual close; a position still open waits, undecided) at
   random, so that the verdict and the payout of every claim are known in advance;
2. starts devnode (more users: --users), okxsim on that directory, and faultproxy in front of the
   node for the keeper (the driver itself talks to the node directly); the driver mines the blocks
   (automine off), taking an evm_snapshot before each so that it can reorganise the chain;
3. loops until the claims are filed and the kills are done: starts `lg-keeper run` (half the time
   armed with LGK_CRASH_AT=POINT:N at a random point, else SIGKILLed by the driver after a random
   delay), files a random batch of claims (with --cascade-size K: now and then a cascade, K claims
   signed at once and sent in JSON-RPC batches, so that they land within a few blocks; the cascades
   are spread over the run), sets a random RPC fault on the proxy, queues an OKX
   429/5xx burst, and now and then reorganises the chain:
     - depth 1..confirmations: at any moment, with the keeper running; the blocks' transactions go
       back to the pool or are lost (the keeper must rebroadcast its own; the driver files lost
       claims again);
     - depth confirmations+1..confirmations+5 (a finality violation): only over blocks that hold no
       transaction at all, mined while the keeper was dead and then confirmed by it. The keeper
       must halt claim processing (fail closed: `deep_reorg`); the driver checks the halt, then does
       the documented operator action, `lg-keeper resume --halt`, and the run goes on;
4. at the end runs the keeper without faults until every claim is final, stops it, and checks
   against the chain: every liquidated claim paid exactly once (getClaim and one PayoutExecuted
   with the expected amount), every other claim verified as not liquidated, no keeper transaction
   reverted, the keeper's nonces contiguous and nothing left in the pool, `lg-keeper reconcile`
   and `lg-keeper audit verify` clean. Prints the figures; exit 0 only when every check passes.

Everything started is stopped on exit; the work directory (logs, database, scenarios) is kept.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
VAULT_KEY = "cd" * 32  # dev only
POOL_DECIMALS = 6  # the pool pays in USDT (devnode.py --pool-token)
UNIT = 10**POOL_DECIMALS  # one USDT in base units
COVERAGE_BPS = 5000
MAX_PAYOUT = 50 * UNIT
CRASH_POINTS = ["beforeCommit", "afterCommit", "beforeBroadcast", "afterBroadcast",
                "beforeReceipt", "afterReceipt", "afterFinal", "afterVerdict"]
RPC_FAULTS = [  # (kind, extra settings) for faultproxy
    ("timeout", {"delay": 2.5}), ("http429", {}), ("http5xx", {"status": 503}), ("http5xx", {"status": 502}),
    ("drop", {}), ("toomany", {}), ("lag", {"blocks": 2}), ("omit", {}), ("corrupt", {}),
    # Real providers and clients (faultproxy's provider modes, docs/PROVIDERS.md), sized to bite on the chaos chain.
    ("geth-batch", {"batchLimit": 8}), ("erigon-batch", {"batchLimit": 5}), ("cu429", {"cups": 400, "retryAfter": 1}),
    ("infura-range", {"maxResults": 3}), ("alchemy-range", {"maxRange": 20, "maxResults": 3}), ("reth-range", {"maxResults": 3}),
    ("quicknode-range", {"maxRange": 20}), ("bsc-range", {"maxRange": 20}), ("lb-lag", {"blocks": 2}),
]
# Each fault period answers broadcasts as one client does (faultproxy's broadcast modes), sometimes as to a resend.
BROADCAST_MODES = [None, "erigon", "nethermind", "nitro"]
OKX_BURSTS = ["429", "50011", "50013", "500", "503", "50001", "50026"]
# kind → (weight, liquidated, positions-history close type or None for a position still open)
KINDS = {
    "liquidation": (35, True, "3"),
    "partial-liquidation": (8, True, "4"),
    "adl": (10, True, "5"),
    "manual-close": (30, False, "2"),
    "still-open": (17, False, None),
}
FINAL_STATES = {"paid", "rejected", "failed"}
REQUEST_CLAIM = function_signature_to_4byte_selector("requestClaim(uint256,string,uint256,uint16)")
GET_CLAIM = function_signature_to_4byte_selector("getClaim(address,uint256)")
PAYOUT_EXECUTED = "0x" + keccak(text="PayoutExecuted(address,uint256,uint256)").hex()


# ------------------------------------------------------------------------------------ plumbing

class RpcFailure(RuntimeError):
    pass


def http_json(url: str, body: dict | list | None = None, timeout: float = 30):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def rpc(url: str, method: str, *params):
    answer = http_json(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    if "error" in answer:
        raise RpcFailure(f"{method}: {answer['error']}")
    return answer["result"]


def wait_for(predicate, seconds: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ChaosAbort(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(interval)


class ChaosAbort(RuntimeError):
    """The run cannot go on (a component died, a wait timed out)."""


def log(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)


# ------------------------------------------------------------------------------------ scenarios

@dataclass
class Claim:
    index: int
    user: int
    order_id: int
    inst_id: str
    principal: int  # USDT base units
    leverage: int
    kind: str
    loss: str  # decimal, settlement currency
    liquidated: bool
    amount: int  # expected payout, USDT base units
    tx_hash: str | None = None
    filed_at_head: int = -1
    filings: int = 0


def decimal_units(text: str) -> int:
    """A decimal USDT amount ("0.125") in base units."""
    whole, _, fraction = text.partition(".")
    return int(whole) * UNIT + int((fraction + "0" * POOL_DECIMALS)[:POOL_DECIMALS] or 0)


def expected_amount(liquidated: bool, loss: str, principal: int) -> int:
    """docs/EVIDENCE.md § Payout: ⌊min(loss, principal, maxPayoutPerClaim) × coverageBps / 10000⌋."""
    if not liquidated:
        return 0
    return min(decimal_units(loss), principal, MAX_PAYOUT) * COVERAGE_BPS // 10000


def make_world(rng: random.Random, claims: int, users: int, directory: Path,
               kinds: dict = KINDS) -> tuple[list[Claim], list[dict]]:
    """Writes the okxsim scenario directory; returns the claims and the accounts (one per user).

    `kinds` weighs the claims' kinds as KINDS does (bench/cascade.py: liquidations only)."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "scenarios" / "instruments.json", directory / "instruments.json")
    accounts = []
    for user in range(users):
        accounts.append({
            "name": f"chaos-{user:03d}", "uid": str(610000000000000000 + user),
            "apiKey": f"c4a05000-{user:04x}-4{rng.randrange(16**3):03x}-8{rng.randrange(16**3):03x}-{rng.randrange(16**12):012x}",
            "secretKey": f"{rng.randrange(16**32):032X}", "passphrase": f"Chaos-dev-only-{user}",
            "orders": [], "positionsHistory": [], "fills": [],
        })
    names = list(kinds)
    weights = [kinds[k][0] for k in names]
    slots = collections.Counter()
    result = []
    for index in range(claims):
        user = index % users
        kind = rng.choices(names, weights)[0]
        _, liquidated, close_type = kinds[kind]
        inst_id = rng.choice(["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP"])
        order_id = 3_100_000_000_000_000_000 + index * 7919 + rng.randrange(7919)
        slot = slots[user]
        slots[user] += 1
        # Each claim owns a 20-minute slot three days back: its position opens a minute before the
        # order and closes ten minutes after it, so no two of an account's positions overlap.
        order_ms = 3 * 86_400_000 + slot * 20 * 60_000
        loss = f"{rng.randint(5, 600) / 1000:.3f}"
        principal = rng.randint(10, 400) * UNIT // 1000  # 0.01 to 0.4 USDT
        leverage = rng.choice([5, 10, 20, 50])
        account = accounts[user]
        account["orders"].append({
            "ordId": str(order_id), "instId": inst_id, "ordType": "market", "side": "buy", "posSide": "long",
            "tdMode": "isolated", "sz": "1", "accFillSz": "1", "fillPx": "100", "fillSz": "1",
            "tradeId": str(900000000 + index), "fillTime": f"now-{order_ms}ms", "avgPx": "100", "state": "filled",
            "lever": str(leverage), "feeCcy": "USDT", "fee": "-0.01", "pnl": "0", "category": "normal",
            "reduceOnly": "false", "cTime": f"now-{order_ms + 12}ms", "uTime": f"now-{order_ms - 4}ms",
        })
        # A liquidation or ADL closes the position through a forced order, with its fill (docs/EVIDENCE.md, rule 3):
        # the verdict finds it in orders-history, and without it the picture would be contradictory.
        forced = {"3": ("full_liquidation", "104"), "4": ("partial_liquidation", "104"), "5": ("adl", "125")}.get(close_type)
        if forced is not None:
            forced_id = str(order_id + 7)
            close_ms = order_ms - 600_000 + 5
            account["orders"].append({
                "ordId": forced_id, "instId": inst_id, "ordType": "market", "side": "sell", "posSide": "long",
                "tdMode": "isolated", "sz": "1", "accFillSz": "1", "fillPx": "90", "fillSz": "1",
                "tradeId": str(-(900000000 + index)), "fillTime": f"now-{close_ms}ms", "avgPx": "90", "state": "filled",
                "lever": str(leverage), "feeCcy": "USDT", "fee": "0", "pnl": f"-{loss}", "category": forced[0],
                "reduceOnly": "true", "cTime": f"now-{close_ms + 12}ms", "uTime": f"now-{close_ms - 4}ms",
            })
            account["fills"].append({
                "instId": inst_id, "tradeId": str(-(900000000 + index)), "ordId": forced_id, "billId": str(order_id + 11),
                "subType": forced[1], "fillPx": "90", "fillSz": "1", "side": "sell", "posSide": "long", "execType": "T",
                "feeCcy": "USDT", "fee": "0", "fillPnl": f"-{loss}", "ts": f"now-{close_ms}ms", "fillTime": f"now-{close_ms}ms",
            })
        if close_type is not None:
            account["positionsHistory"].append({
                "instId": inst_id, "mgnMode": "isolated", "type": close_type,
                "cTime": f"now-{order_ms + 60_000}ms", "uTime": f"now-{order_ms - 600_000}ms",
                "openAvgPx": "100", "nonSettleAvgPx": "100", "closeAvgPx": "90",
                "posId": str(1_800_000_000_000_000_000 + index), "openMaxPos": "1", "closeTotalPos": "1",
                "realizedPnl": f"-{loss}", "settledPnl": "", "pnlRatio": "-0.5", "fee": "0", "fundingFee": "0",
                "liqPenalty": "0", "pnl": f"-{loss}", "posSide": "long", "lever": str(leverage), "direction": "long",
                "triggerPx": "91" if close_type in ("3", "4", "5") else "", "uly": inst_id.rsplit("-", 1)[0], "ccy": "USDT",
            })
        result.append(Claim(index, user, order_id, inst_id, principal, leverage, kind, loss, liquidated,
                            expected_amount(liquidated, loss, principal)))
    for account in accounts:
        (directory / f"{account['name']}.json").write_text(json.dumps({"accounts": [account]}, indent=1))
    return result, accounts


# ------------------------------------------------------------------------------------ the run

@dataclass
class Figures:
    kills: collections.Counter = field(default_factory=collections.Counter)  # "driver" / "crash:POINT"
    armed_unreached: int = 0
    exits: collections.Counter = field(default_factory=collections.Counter)  # unexpected exit statuses
    reorgs: collections.Counter = field(default_factory=collections.Counter)  # depth → count
    halts: int = 0
    rpc_faults: collections.Counter = field(default_factory=collections.Counter)  # kind → injected
    okx_bursts: collections.Counter = field(default_factory=collections.Counter)  # mode → bursts
    broadcast_modes: collections.Counter = field(default_factory=collections.Counter)  # client wording → fault periods
    okx_faulted: int = 0
    filings: int = 0
    refilings: int = 0
    cascades: int = 0  # --cascade-size: bursts filed
    starts: int = 0


class Chaos:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.work: Path = args.work
        self.c = args.confirmations
        self.figures = Figures()
        self.children: list[subprocess.Popen] = []
        self.keeper_proc: subprocess.Popen | None = None
        self.keeper_armed: str | None = None
        self.keeper_log = open(self.work / "keeper.log", "ab")
        self.chain_lock = threading.Lock()
        self.mining = threading.Event()
        self.stopping = threading.Event()
        self.snapshots: dict[int, str] = {}  # head height when taken → snapshot id
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.work), "LGK_VAULT_KEY": VAULT_KEY}

    # -- processes -------------------------------------------------------------------------------
    def start(self, args: list[str], log_name: str) -> subprocess.Popen:
        process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=open(self.work / log_name, "wb"),
                                   stderr=subprocess.STDOUT, cwd=ROOT)
        self.children.append(process)
        return process

    def listening(self, log_name: str, pattern: str, process: subprocess.Popen) -> str:
        def found():
            if process.poll() is not None:
                raise ChaosAbort(f"{log_name} exited {process.returncode}: {(self.work / log_name).read_text()[-2000:]}")
            match = re.search(pattern, (self.work / log_name).read_text(errors="replace"))
            return match and match.group(1)
        return wait_for(found, 180, log_name)

    def stop_all(self) -> None:
        self.stopping.set()
        self.mining.clear()
        if self.keeper_proc and self.keeper_proc.poll() is None:
            self.keeper_proc.kill()
            self.keeper_proc.wait()
        for process in reversed(self.children):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def lgk(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([self.args.keeper, *args], capture_output=True, text=True, env=self.env, input=stdin, cwd=ROOT)
        if check and result.returncode != 0:
            raise ChaosAbort(f"lg-keeper {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}")
        return result

    # -- setup -----------------------------------------------------------------------------------
    def setup(self) -> None:
        users = self.args.users
        self.claims, self.accounts = make_world(self.rng, self.args.claims, users, self.work / "scenarios")
        deployment_file = self.work / "deployment.json"
        node = self.start([PYTHON, str(HERE / "devnode.py"), "--port", "0", "--out", str(deployment_file),
                           "--users", str(users + 1), "--no-automine", "--pool-token"], "devnode.log")
        self.listening("devnode.log", r"devnode listening on (http://\S+)", node)
        self.deployment = json.loads(deployment_file.read_text())
        self.node = self.deployment["rpcUrl"]
        self.contract = self.deployment["contract"]
        self.users = [Account.from_key(u["privateKey"]) for u in self.deployment["users"]]
        self.noise = self.users[users]  # sends the transaction that makes a reorg's new history differ
        self.keeper_address = self.deployment["keeper"]["address"].lower()
        okx = self.start([PYTHON, str(HERE / "okxsim.py"), "--port", "0", "--scenarios", str(self.work / "scenarios")], "okxsim.log")
        self.okx = self.listening("okxsim.log", r"okxsim listening on (http://\S+)", okx)
        proxy = self.start([PYTHON, str(HERE / "faultproxy.py"), "--upstream", self.node, "--port", "0"], "faultproxy.log")
        self.proxy = self.listening("faultproxy.log", r"faultproxy listening on (http://\S+)", proxy)
        self.current_fault = "none"

        key_file = self.work / "keeper.key"
        key_file.write_text(self.deployment["keeper"]["privateKey"])
        key_file.chmod(0o600)
        self.db_path = self.work / "keeper.sqlite"
        self.config = self.work / "keeper.json"
        self.config.write_text(json.dumps({
            "chain": {"rpcUrls": [self.proxy], "chainId": self.deployment["chainId"], "contract": self.contract,
                      "startBlock": self.deployment["deployBlock"], "confirmations": self.c, "pollIntervalMs": 200,
                      "rescanIntervalSeconds": 2, "requestTimeoutMs": 2000},
            "signer": {"keyFile": str(key_file)},
            "okx": {"baseURL": self.okx, "timeoutMs": 2000},
            "pool": {"currency": "USDT", "decimals": POOL_DECIMALS},
            "policy": {"coverageBps": COVERAGE_BPS, "maxPayoutPerClaim": "50", "dailyLimit": "10000",
                       "minPoolReserve": "0", "reviewAbove": "10000", "coverADL": True, "maxClaimAgeDays": 30},
            "store": {"path": str(self.db_path)},
            "evidence": {"dir": str(self.work / "evidence")},
            "http": {"listen": "127.0.0.1:0"},
            "reconcile": {"intervalSeconds": 15, "pauseOnMismatch": True},
            "vault": {"masterKeyEnv": "LGK_VAULT_KEY"},
        }, indent=2))
        for user, account in enumerate(self.accounts):
            self.lgk("keys", "add", "--wallet", self.users[user].address, "--alias", account["name"], "--config", str(self.config),
                     stdin=f"{account['apiKey']}\n{account['secretKey']}\n{account['passphrase']}\n")
        self.mining.set()
        threading.Thread(target=self.mine_forever, name="miner", daemon=True).start()
        log(f"devnode {self.node} (proxy {self.proxy}), okxsim {self.okx}, {users} users, {len(self.claims)} claims, "
            f"confirmations {self.c}, work {self.work}")

    # -- the chain -------------------------------------------------------------------------------
    def head(self) -> int:
        return int(rpc(self.node, "eth_blockNumber"), 16)

    def mine_one(self) -> None:
        """One block, with a snapshot of the state before it (caller holds chain_lock)."""
        height = self.head()
        self.snapshots[height] = rpc(self.node, "evm_snapshot")
        rpc(self.node, "evm_mine")

    def mine_forever(self) -> None:
        while not self.stopping.wait(self.args.block_time):
            if not self.mining.is_set():
                continue
            with self.chain_lock:
                if self.mining.is_set():
                    try:
                        self.mine_one()
                    except (OSError, RpcFailure) as error:
                        if not self.stopping.is_set():
                            log(f"miner: {error}")

    def pool_size(self) -> int:
        content = rpc(self.node, "txpool_content")
        return sum(len(nonces) for part in content.values() for nonces in part.values())

    def send_tx(self, account, to: str, data: bytes, value: int = 0, gas: int = 300_000) -> str:
        base_fee = int(rpc(self.node, "eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
        tx = Account.sign_transaction({
            "type": 2, "chainId": self.deployment["chainId"], "to": to, "value": value, "data": data, "gas": gas,
            "nonce": int(rpc(self.node, "eth_getTransactionCount", account.address, "pending"), 16),
            "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 4 * base_fee + 10**9,
        }, account.key)
        return rpc(self.node, "eth_sendRawTransaction", "0x" + bytes(tx.raw_transaction).hex())

    def file(self, claim: Claim) -> None:
        data = REQUEST_CLAIM + abi_encode(["uint256", "string", "uint256", "uint16"],
                                          [claim.order_id, claim.inst_id, claim.principal, claim.leverage])
        claim.filed_at_head = self.head()
        claim.tx_hash = self.send_tx(self.users[claim.user], self.contract, data)
        claim.filings += 1
        if claim.filings == 1:
            self.figures.filings += 1
        else:
            self.figures.refilings += 1

    def file_cascade(self, claims: list[Claim]) -> None:
        """Files many claims at once, as in a liquidation cascade: signed with nonces counted here and
        sent in JSON-RPC batches, so that they land within a few blocks."""
        base_fee = int(rpc(self.node, "eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
        head = self.head()
        users = sorted({c.user for c in claims})
        counts = http_json(self.node, [{"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionCount",
                                        "params": [self.users[u].address, "pending"]} for i, u in enumerate(users)])
        nonces = {users[a["id"]]: int(a["result"], 16) for a in counts}
        raws = []
        for claim in claims:
            data = REQUEST_CLAIM + abi_encode(["uint256", "string", "uint256", "uint16"],
                                              [claim.order_id, claim.inst_id, claim.principal, claim.leverage])
            tx = Account.sign_transaction({
                "type": 2, "chainId": self.deployment["chainId"], "to": self.contract, "value": 0, "data": data, "gas": 300_000,
                "nonce": nonces[claim.user], "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 4 * base_fee + 10**9,
            }, self.users[claim.user].key)
            nonces[claim.user] += 1
            raws.append("0x" + bytes(tx.raw_transaction).hex())
        for start in range(0, len(raws), 100):
            answers = http_json(self.node, [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw]}
                                            for i, raw in enumerate(raws[start:start + 100])])
            for answer in answers:
                claim = claims[start + answer["id"]]
                if "error" in answer:
                    raise ChaosAbort(f"requestClaim of claim {claim.index} refused: {answer['error']}")
                claim.tx_hash, claim.filed_at_head = answer["result"], head
                claim.filings += 1
                if claim.filings == 1:
                    self.figures.filings += 1
                else:
                    self.figures.refilings += 1
        self.figures.cascades += 1

    def get_claim(self, claim: Claim, block: str = "latest") -> dict:
        data = GET_CLAIM + abi_encode(["address", "uint256"], [self.users[claim.user].address, claim.order_id])
        raw = rpc(self.node, "eth_call", {"to": self.contract, "data": "0x" + data.hex()}, block)
        principal, leverage, requested_at, amount, liquidated, verified, claimed, root = abi_decode(
            ["uint256", "uint16", "uint256", "uint256", "bool", "bool", "bool", "bytes32"], bytes.fromhex(raw[2:]))
        return {"principal": principal, "requestedAt": requested_at, "amount": amount, "liquidated": liquidated,
                "verified": verified, "claimed": claimed}

    def refile_lost(self, since_head: int) -> None:
        """Files again the claims a reorg removed: not on-chain and unknown to the node."""
        for claim in self.claims:
            if claim.tx_hash is None or claim.filed_at_head < since_head:
                continue
            if rpc(self.node, "eth_getTransactionByHash", claim.tx_hash) is None and self.get_claim(claim)["requestedAt"] == 0:
                self.file(claim)

    def reorg(self, depth: int) -> int | None:
        """Replaces the newest `depth` blocks by `depth + 1` others; returns the common ancestor.

        The snapshot taken at the ancestor also restores the pool as it was then: transactions sent
        since are gone, as from a node that never saw them.
        """
        with self.chain_lock:
            head = self.head()
            ancestor = head - depth
            snapshot = self.snapshots.get(ancestor)
            if snapshot is None:  # not that many blocks mined by the driver yet
                return None
            if not rpc(self.node, "evm_revert", snapshot):
                raise ChaosAbort(f"evm_revert {snapshot} failed")
            for height in [h for h in self.snapshots if h >= ancestor]:
                del self.snapshots[height]
            self.send_tx(self.noise, self.noise.address, b"", value=self.rng.randrange(1, 10**6), gas=21_000)
            for _ in range(depth + 1):
                self.mine_one()
        self.figures.reorgs[depth] += 1
        return ancestor

    # -- the keeper ------------------------------------------------------------------------------
    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)

    def cursor_row(self) -> dict | None:
        if not self.db_path.exists():
            return None
        try:
            with self.db() as db:
                db.row_factory = sqlite3.Row
                row = db.execute("SELECT * FROM cursor WHERE id = 1").fetchone()
                return dict(row) if row else None
        except sqlite3.OperationalError:
            return None

    def start_keeper(self, crash_at: str | None) -> None:
        env = dict(self.env)
        if crash_at:
            env["LGK_CRASH_AT"] = crash_at
        self.keeper_log.write(f"--- chaos: start (LGK_CRASH_AT={crash_at or '-'})\n".encode())
        self.keeper_log.flush()
        self.keeper_proc = subprocess.Popen([self.args.keeper, "run", "--config", str(self.config)], stdin=subprocess.DEVNULL,
                                            stdout=self.keeper_log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.keeper_armed = crash_at
        self.figures.starts += 1

    def end_keeper_life(self) -> None:
        """SIGKILL the keeper unless it already died at its crash point; count which it was."""
        process = self.keeper_proc
        if process is None:
            return
        status = process.poll()
        if status is None:
            process.kill()
            process.wait()
            self.figures.kills["driver"] += 1
            if self.keeper_armed:
                self.figures.armed_unreached += 1
        elif status == -signal.SIGKILL and self.keeper_armed:
            self.figures.kills[f"crash:{self.keeper_armed.split(':')[0]}"] += 1
        else:
            self.figures.exits[status] += 1
            if status in (65, 78):
                raise ChaosAbort(f"lg-keeper run exited {status} (see {self.work / 'keeper.log'})")
        self.keeper_proc = None

    def keeper_alive(self) -> bool:
        return self.keeper_proc is not None and self.keeper_proc.poll() is None

    # -- faults ----------------------------------------------------------------------------------
    def collect_rpc_faults(self) -> None:
        state = http_json(f"{self.proxy}/__admin")
        if state.get("fault") not in (None, "none"):
            self.figures.rpc_faults[self.current_fault] += state["injected"]

    def clear_rpc_fault(self) -> None:
        self.collect_rpc_faults()
        http_json(f"{self.proxy}/__admin", {"fault": "none"})
        self.current_fault = "none"

    def set_rpc_fault(self) -> None:
        if self.rng.random() < 0.25:
            self.clear_rpc_fault()
            return
        self.collect_rpc_faults()
        kind, extra = self.rng.choice(RPC_FAULTS)
        self.current_fault = kind if kind != "http5xx" else f"http{extra['status']}"
        broadcast = self.rng.choice(BROADCAST_MODES)
        if broadcast is not None:
            extra = {**extra, "broadcast": broadcast, "resend": self.rng.random() < 0.5}
            self.figures.broadcast_modes[broadcast] += 1
        http_json(f"{self.proxy}/__admin", {"fault": kind, "every": self.rng.randint(2, 6), "limit": self.rng.randint(1, 8), **extra})

    def okx_burst(self) -> None:
        mode = self.rng.choice(OKX_BURSTS)
        http_json(f"{self.okx}/sim/faults", {"endpoint": "*", "mode": mode, "count": self.rng.randint(3, 25)})
        self.figures.okx_bursts[mode] += 1

    # -- deep reorg ------------------------------------------------------------------------------
    def deep_reorg(self, depth: int) -> None:
        """A finality violation over empty blocks: the keeper must halt; the operator clears it."""
        if self.keeper_alive():
            self.keeper_proc.kill()
            self.keeper_proc.wait()
            self.figures.kills["driver"] += 1
            self.keeper_proc = None
        self.clear_rpc_fault()
        self.mining.clear()
        with self.chain_lock:
            while self.pool_size():
                self.mine_one()
            for _ in range(depth):
                self.mine_one()
            head = self.head()
        # The keeper confirms the empty blocks (head − confirmations ≥ the ancestor + 1); nothing
        # is mined meanwhile, so whatever it sends stays in the pool.
        self.start_keeper(None)
        wait_for(lambda: (self.cursor_row() or {}).get("confirmed_block", -1) >= head - self.c, 60,
                 f"the keeper to confirm block {head - self.c}")
        ancestor = self.reorg(depth)
        if ancestor is None:
            raise ChaosAbort(f"no snapshot {depth} blocks below the head")
        row = wait_for(lambda: (lambda r: r if r and r["halted"] else None)(self.cursor_row()), 60,
                       f"the keeper to halt after a reorg of depth {depth}")
        self.figures.halts += 1
        log(f"deep reorg depth {depth} from block {ancestor + 1}: keeper halted ({row['halted_reason']}); operator clears it")
        self.lgk("resume", "--halt", "--by", "chaos-operator", "--config", str(self.config))
        self.mining.set()

    # -- the loop --------------------------------------------------------------------------------
    def chaos(self) -> None:
        pending = list(self.claims)
        self.rng.shuffle(pending)
        kills_wanted = self.args.kills
        reorgs_left = self.args.reorgs
        lives = 0
        while sum(self.figures.kills.values()) < kills_wanted or pending:
            lives += 1
            kills_left = max(1, kills_wanted - sum(self.figures.kills.values()))
            if reorgs_left and self.rng.random() < reorgs_left / kills_left:
                reorgs_left -= 1
                # Shallow and deep alternate, so that a short run has both.
                deep = (self.args.reorgs - reorgs_left) % 2 == 0
                depth = self.rng.randint(self.c + 1, self.c + 5) if deep else self.rng.randint(1, self.c)
                if depth > self.c:
                    self.deep_reorg(depth)
                else:
                    # The keeper must have indexed the blocks the reorg replaces, or it is no reorg to
                    # it: no block is mined from the moment the driver reads the head to the reorg.
                    if not self.keeper_alive():
                        self.start_keeper(None)
                    self.mining.clear()
                    with self.chain_lock:
                        target = self.head()
                    wait_for(lambda: (self.cursor_row() or {}).get("next_block", 0) > target, 60,
                             f"the keeper to index block {target}")
                    ancestor = self.reorg(depth)
                    self.mining.set()
                    if ancestor is None:
                        reorgs_left += 1
                    else:
                        self.refile_lost(ancestor - 2)
            if not self.keeper_alive():
                armed = None
                if self.rng.random() < 0.6:
                    armed = f"{self.rng.choice(CRASH_POINTS)}:{self.rng.choice([1, 1, 1, 2, 3])}"
                self.start_keeper(armed)
            self.set_rpc_fault()
            if self.rng.random() < 0.3:
                self.okx_burst()
            if self.args.cascade_size:
                # Cascades spread over the run: a life files one with the odds that leave none for the end.
                cascades_left = -(-len(pending) // self.args.cascade_size)
                batch = self.args.cascade_size if pending and self.rng.random() < cascades_left / kills_left else 0
                if batch:
                    self.file_cascade(pending[:batch])
            else:
                batch = self.rng.randint(0, max(1, 2 * len(pending) // max(1, kills_left)))
                for claim in pending[:batch]:
                    self.file(claim)
            del pending[:batch]
            # An armed keeper gets longer to reach its crash point before the driver kills it.
            longest = self.args.max_life * (2 if self.keeper_armed else 1)
            life_end = time.monotonic() + self.rng.uniform(0.3, longest)
            while time.monotonic() < life_end and self.keeper_alive():
                time.sleep(0.05)
            self.end_keeper_life()
            if lives % 10 == 0:
                states = self.claim_states()
                log(f"life {lives}: kills {sum(self.figures.kills.values())}/{kills_wanted}, filed {self.figures.filings}/{len(self.claims)}, "
                    f"reorgs {sum(self.figures.reorgs.values())}, head {self.head()}, claims {dict(sorted(states.items()))}")
        self.clear_rpc_fault()

    def claim_states(self) -> collections.Counter:
        try:
            with self.db() as db:
                return collections.Counter(state for (state,) in db.execute("SELECT state FROM claims"))
        except sqlite3.OperationalError:
            return collections.Counter()

    # -- the end ---------------------------------------------------------------------------------
    def settle(self) -> float:
        """Files what a reorg lost, runs the keeper without faults until every claim is final."""
        hits = http_json(f"{self.okx}/sim/hits")
        self.figures.okx_faulted = sum(e["faulted"] for e in hits["endpoints"].values())
        http_json(f"{self.okx}/sim/reset", {})
        started = time.monotonic()
        self.refile_lost(-1)
        self.start_keeper(None)

        def settled():
            if not self.keeper_alive():
                raise ChaosAbort(f"lg-keeper run exited {self.keeper_proc.returncode} while settling")
            with self.db() as db:
                states = dict(db.execute("SELECT state, count(*) FROM claims GROUP BY state").fetchall())
                unfinished = db.execute("SELECT count(*) FROM txs WHERE state IN ('pending', 'mined')").fetchone()[0]
            done = sum(v for k, v in states.items() if k in FINAL_STATES)
            # A position still open gets no verdict: its claim waits, undecided (docs/EVIDENCE.md, rule 6).
            waiting = sum(1 for c in self.claims if c.kind == "still-open")
            return done == len(self.claims) - waiting and states.get("verifying", 0) >= waiting and unfinished == 0 and states
        try:
            states = wait_for(settled, self.args.settle_timeout, "every claim to be final", interval=0.5)
        except ChaosAbort:
            log(f"not settled: claims {dict(self.claim_states())}")
            raise
        self.keeper_proc.send_signal(signal.SIGTERM)
        status = self.keeper_proc.wait(timeout=60)
        if status != 0:
            self.figures.exits[f"SIGTERM→{status}"] += 1
        self.keeper_proc = None
        log(f"settled in {time.monotonic() - started:.1f}s: {states}")
        # Let the last transactions sink below the confirmed point, then index once for reconcile.
        with self.chain_lock:
            for _ in range(self.c + 1):
                self.mine_one()
        self.mining.clear()
        return time.monotonic() - started

    def check(self) -> tuple[list[str], dict]:
        failures: list[str] = []
        head = self.head()
        # PayoutExecuted per claim.
        logs = rpc(self.node, "eth_getLogs", {"address": self.contract, "fromBlock": hex(self.deployment["deployBlock"]),
                                              "toBlock": hex(head), "topics": [PAYOUT_EXECUTED]})
        payouts = collections.defaultdict(list)
        for entry in logs:
            user = "0x" + entry["topics"][1][-40:]
            order = int(entry["topics"][2], 16)
            payouts[(user.lower(), order)].append(int(entry["data"], 16))
        paid = rejected = double = waited = 0
        for claim in self.claims:
            key = (self.users[claim.user].address.lower(), claim.order_id)
            onchain = self.get_claim(claim)
            events = payouts.pop(key, [])
            where = f"claim {claim.index} ({claim.kind}, user {claim.user}, order {claim.order_id})"
            if onchain["requestedAt"] == 0:
                failures.append(f"{where}: not on-chain")
                continue
            if len(events) > 1:
                double += 1
            if claim.kind == "still-open":
                if onchain["verified"] or events:
                    failures.append(f"{where}: the position is still open, yet a verdict was written; chain {onchain}, PayoutExecuted {events}")
                else:
                    waited += 1
            elif claim.liquidated:
                if not (onchain["verified"] and onchain["liquidated"] and onchain["claimed"] and onchain["amount"] == claim.amount
                        and events == [claim.amount]):
                    failures.append(f"{where}: expected paid {claim.amount} once; chain {onchain}, PayoutExecuted {events}")
                else:
                    paid += 1
            else:
                if not (onchain["verified"] and not onchain["liquidated"] and not onchain["claimed"] and onchain["amount"] == 0
                        and not events):
                    failures.append(f"{where}: expected recorded not liquidated; chain {onchain}, PayoutExecuted {events}")
                else:
                    rejected += 1
        for key, events in payouts.items():
            failures.append(f"PayoutExecuted for no claim of the run: {key} {events}")
        # Every transaction the keeper's key sent, on the canonical chain.
        keeper_txs = []
        for number in range(self.deployment["deployBlock"], head + 1):
            block = rpc(self.node, "eth_getBlockByNumber", hex(number), True)
            keeper_txs += [tx for tx in block["transactions"] if tx["from"].lower() == self.keeper_address]
        reverted = []
        for tx in keeper_txs:
            receipt = rpc(self.node, "eth_getTransactionReceipt", tx["hash"])
            if int(receipt["status"], 16) != 1:
                reverted.append(tx["hash"])
        nonces = sorted(int(tx["nonce"], 16) for tx in keeper_txs)
        setup_nonce = nonces[0] if nonces else 0
        if nonces != list(range(setup_nonce, setup_nonce + len(nonces))):
            failures.append(f"keeper nonces on-chain not contiguous: {len(nonces)} txs from {setup_nonce}")
        latest = int(rpc(self.node, "eth_getTransactionCount", self.keeper_address, "latest"), 16)
        pending = int(rpc(self.node, "eth_getTransactionCount", self.keeper_address, "pending"), 16)
        if latest != pending or latest != setup_nonce + len(nonces):
            failures.append(f"keeper nonce: latest {latest}, pending {pending}, mined txs {len(nonces)} from {setup_nonce}")
        if reverted:
            failures.append(f"{len(reverted)} keeper transactions reverted: {reverted[:5]}")
        # Every transaction hash the keeper stored: its receipt on the canonical chain.
        with self.db() as db:
            stored = db.execute("SELECT hash, state FROM txs").fetchall()
            attempts = db.execute("SELECT count(*) FROM tx_attempts").fetchone()[0]
            waiting = {(self.users[c.user].address.lower(), str(c.order_id)) for c in self.claims if c.kind == "still-open"}
            failed = [row for row in db.execute("SELECT user, order_id, state FROM claims WHERE state NOT IN ('paid', 'rejected')").fetchall()
                      if not ((row[0].lower(), str(row[1])) in waiting and row[2] == "verifying")]
            seen = dict(db.execute("SELECT finality_violation, count(*) FROM reorgs GROUP BY finality_violation").fetchall())
        by_state = collections.Counter(state for _, state in stored)
        for tx_hash, state in stored:
            if state == "confirmed":
                receipt = rpc(self.node, "eth_getTransactionReceipt", tx_hash)
                if receipt is None or int(receipt["status"], 16) != 1:
                    failures.append(f"stored confirmed tx {tx_hash} has receipt {receipt and receipt['status']}")
            elif state != "dropped":
                failures.append(f"stored tx {tx_hash} is {state}")
        if failed:
            failures.append(f"claims not paid or rejected in the database: {failed[:5]}")
        # reconcile and audit verify, on an index at the confirmed head.
        index = self.lgk("index", "--once", "--config", str(self.config), check=False)
        reconcile = self.lgk("reconcile", "--config", str(self.config), check=False)
        audit = self.lgk("audit", "verify", "--config", str(self.config), check=False)
        if index.returncode != 0:
            failures.append(f"index --once exited {index.returncode}: {index.stderr.strip()}")
        if reconcile.returncode != 0:
            failures.append(f"reconcile exited {reconcile.returncode}: {(reconcile.stdout + reconcile.stderr).strip()[:2000]}")
        if audit.returncode != 0:
            failures.append(f"audit verify exited {audit.returncode}: {(audit.stdout + audit.stderr).strip()}")
        return failures, {
            "paid": paid, "rejected": rejected, "waited": waited, "double": double, "keeper_txs": len(keeper_txs), "reverted": len(reverted),
            "stored": dict(by_state), "attempts": attempts, "seen_shallow": seen.get(0, 0), "seen_deep": seen.get(1, 0), "reconcile": reconcile.returncode, "audit": audit.returncode,
            "head": head, "reconcile_text": (reconcile.stdout + reconcile.stderr).strip(),
            "audit_text": (audit.stdout + audit.stderr).strip(),
        }


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def report(chaos: Chaos, result: dict, failures: list[str], duration: float, settle: float, load_before: str) -> None:
    f = chaos.figures
    claims = chaos.claims
    liquidated = [c for c in claims if c.liquidated]
    kinds = collections.Counter(c.kind for c in claims)
    crash = {k.split(":", 1)[1]: v for k, v in sorted(f.kills.items()) if k.startswith("crash:")}
    lines = [
        f"claims            {len(claims)} from {chaos.args.users} users ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})",
        f"liquidated        {len(liquidated)} expected, paid exactly once with the expected amount: {result.get('paid', '?')} "
        f"({sum(c.amount for c in liquidated) / UNIT:.6f} USDT)",
        f"not liquidated    {len(claims) - len(liquidated) - kinds['still-open']} expected, recorded on-chain as not liquidated: {result.get('rejected', '?')}",
        f"still open        {kinds['still-open']} expected to wait with no verdict written: {result.get('waited', '?')}",
        f"double payments   {result.get('double', '?')}",
        f"filings           {f.filings} claims filed, {f.refilings} filed again after a reorg removed them"
        + (f"; {f.cascades} cascades of up to {chaos.args.cascade_size} claims sent at once" if chaos.args.cascade_size else ""),
        f"kills (SIGKILL)   {sum(f.kills.values())}: driver {f.kills['driver']} "
        f"(of which {f.armed_unreached} armed but not reached), at a crash point {sum(crash.values())} "
        f"({', '.join(f'{k} {v}' for k, v in crash.items()) or '-'})",
        f"keeper starts     {f.starts}; other exits {dict(f.exits) or 'none'}",
        f"reorgs            {sum(f.reorgs.values())} by depth {dict(sorted(f.reorgs.items()))} "
        f"(confirmations {chaos.c}; deeper ones halted the keeper {f.halts}× and were cleared with `resume --halt`); "
        f"seen by the keeper: {result.get('seen_shallow', '?')} within the confirmations, {result.get('seen_deep', '?')} finality violations",
        f"RPC faults        {sum(f.rpc_faults.values())} injected ({', '.join(f'{k} {v}' for k, v in sorted(f.rpc_faults.items()))})",
        f"broadcast wording {sum(f.broadcast_modes.values())} fault periods as another client ({', '.join(f'{k} {v}' for k, v in sorted(f.broadcast_modes.items())) or '-'})",
        f"OKX bursts        {sum(f.okx_bursts.values())} ({', '.join(f'{k} {v}' for k, v in sorted(f.okx_bursts.items()))}), "
        f"{f.okx_faulted} faulty answers served",
        f"keeper txs        {result.get('keeper_txs', '?')} mined, reverted {result.get('reverted', '?')}; stored {result.get('stored', '?')}, "
        f"attempts {result.get('attempts', '?')}",
        f"reconcile         exit {result.get('reconcile', '?')}; audit verify exit {result.get('audit', '?')}",
        f"chain             head {result.get('head', '?')}",
        f"duration          {duration:.0f}s (final settling {settle:.0f}s); load average before {load_before}, after {load_average()}",
        f"result            {'PASS' if not failures else f'FAIL ({len(failures)} problems)'}",
    ]
    print("\n".join(lines), flush=True)
    for failure in failures[:40]:
        print(f"  FAIL {failure}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chaos.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keeper", default=str(ROOT / ".build/debug/lg-keeper"))
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--reorgs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--confirmations", type=int, default=3)
    parser.add_argument("--block-time", type=float, default=0.25, help="seconds between the driver's blocks")
    parser.add_argument("--max-life", type=float, default=4.0, help="longest keeper life before the driver's SIGKILL")
    parser.add_argument("--settle-timeout", type=float, default=600)
    parser.add_argument("--cascade-size", type=int, default=0, metavar="K",
                        help="file the claims in cascades of K, each sent at once (within a few blocks), instead of a few per keeper life")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**32)
    if not Path(args.keeper).is_file():
        parser.error(f"no keeper binary at {args.keeper} (swift build)")
    args.work = args.work or Path(tempfile.mkdtemp(prefix="lgk-chaos."))
    args.work.mkdir(parents=True, exist_ok=True)
    if args.cascade_size < 0:
        parser.error("--cascade-size must be positive (0: no cascades)")
    print(f"chaos.py --claims {args.claims} --users {args.users} --kills {args.kills} --reorgs {args.reorgs} --seed {args.seed} "
          f"--confirmations {args.confirmations}" + (f" --cascade-size {args.cascade_size}" if args.cascade_size else ""), flush=True)
    load_before = load_average()
    started = time.monotonic()
    chaos = Chaos(args)
    failures: list[str] = []
    result: dict = {}
    settle = 0.0
    try:
        chaos.setup()
        chaos.chaos()
        settle = chaos.settle()
        failures, result = chaos.check()
    except ChaosAbort as error:
        failures.append(f"aborted: {error}")
    finally:
        chaos.stop_all()
    report(chaos, result, failures, time.monotonic() - started, settle, load_before)
    print(f"work directory: {args.work}", flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
