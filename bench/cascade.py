#!/usr/bin/env python3
"""A liquidation cascade against `lg-keeper run` (issue 15, `make bench-cascade`, BENCHMARKS.md).

    cascade.py [--keeper .build/release/lg-keeper] [--claims 1000] [--traders 200] [--okx-delay-ms 150]
               [--rpc-delay-ms 30] [--confirmations 2] [--block-time 1] [--timeout 1800] [--work DIR]
               [--keeper-config-extra JSON] [--seed S]
    cascade.py --single [...]     one claim alone: paid in block R + confirmations + 1?

1. writes an okxsim scenario directory with --traders accounts whose positions were all liquidated
   (devnet/chaos.py's make_world: a forced order with its fill and a positions-history record per
   claim), starts devnode (--no-automine: every transaction waits for the next block; a USDT pool of
   TestStablecoin, 6 decimals; the owner raises the daily payout limit and tops up the pool so that
   every claim can be paid) and okxsim, and a latencyproxy in front of each (150 ms for OKX, 30 ms
   for the node): the keeper talks only to the proxies, this driver to the node directly. The driver
   mines a block every --block-time seconds (evm_mine, start to start), as devnode --block-time would,
   except that it can hold the chain while a burst is sent (step 3);
2. registers every trader's OKX key (`lg-keeper keys add`) and starts `lg-keeper run` (its config
   holds today's keys only, since the config reader refuses unknown ones; --keeper-config-extra
   merges more, e.g. '{"pipeline": {"maxConcurrentVerifications": 32}}');
3. once the keeper follows the head, files every claim at once: the requestClaim transactions are
   signed beforehand and sent in JSON-RPC batches while the chain waits (devnode admits only ~25
   transactions a second), so they fill the next blocks, as many a block as its gas limit holds
   (~290: 1,000 claims land in 4 blocks);
4. waits for a PayoutExecuted per claim, checks each claim on-chain (getClaim: verified, liquidated,
   claimed, the expected amount; exactly one PayoutExecuted with that amount), and prints:
   the last request's block R, blocks and seconds from R to the last payment, each claim's
   request → payment blocks (median, p95, max), OKX requests, 429s and 50011s (the proxy's count),
   the keeper's transactions (nonce delta), gas per claim (gasUsed of its transactions / claims) and
   its CPU time (utime + stime from /proc/PID/stat, per claim; and beyond what it spends following an
   idle chain, measured for --idle-sample seconds before the burst).
Exit 0 only when every claim is settled right before --timeout (seconds from the first request).
Everything started is stopped on exit; the work directory (logs, database, scenarios) is kept.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVNET = ROOT / "devnet"
sys.path.insert(0, str(DEVNET))
from chaos import GET_CLAIM, PAYOUT_EXECUTED, POOL_DECIMALS, REQUEST_CLAIM, UNIT, make_world  # noqa: E402

from eth_abi import decode as abi_decode  # noqa: E402
from eth_abi import encode as abi_encode  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import function_signature_to_4byte_selector, keccak  # noqa: E402

PYTHON = sys.executable
VAULT_KEY = "cd" * 32  # dev only, passed in the environment
LIQUIDATIONS = {"liquidation": (1, True, "3")}  # chaos.KINDS' shape: every claim is a full liquidation
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAYOUT_VERIFIED = "0x" + keccak(text="PayoutVerified(address,uint256,uint256,bool,bytes32)").hex()
CLAIM_REQUESTED = "0x" + keccak(text="ClaimRequested(address,uint256,string,uint256,uint16)").hex()


class CascadeError(RuntimeError):
    """The run cannot go on (a component died, a wait timed out)."""


class WaitTimeout(CascadeError):
    pass


def log(text: str) -> None:
    print(f"[cascade {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ plumbing

class Node:
    """JSON-RPC to the devnode, directly (not through the keeper's proxy)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, body, timeout: float = 120):
        request = urllib.request.Request(self.url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)

    def call(self, method: str, *params):
        answer = self.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        if "error" in answer:
            raise CascadeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, calls: list[tuple[str, list]], size: int = 200) -> list:
        """Results in order; an error answer is returned as {"error": …}."""
        results = []
        for start in range(0, len(calls), size):
            chunk = calls[start:start + size]
            answers = self.post([{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(chunk)])
            by_id = {a["id"]: a for a in answers}
            results += [{"error": by_id[i]["error"]} if "error" in by_id[i] else by_id[i]["result"] for i in range(len(chunk))]
        return results

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)


def http_json(url: str, body=None, timeout: float = 30):
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data, {"Content-Type": "application/json"}), timeout=timeout) as r:
        return json.load(r)


def wait_for(predicate, seconds: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(interval)


class Processes:
    """Children with a lifeline (their stdin is our pipe), stopped with SIGTERM then SIGKILL on exit."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.running: list[subprocess.Popen] = []

    def start(self, args: list[str], log_name: str, env: dict | None = None, lifeline: bool = True) -> subprocess.Popen:
        process = subprocess.Popen(args, stdin=subprocess.PIPE if lifeline else subprocess.DEVNULL,
                                   stdout=open(self.work / log_name, "wb"), stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.running.append(process)
        return process

    def listening(self, process: subprocess.Popen, log_name: str, pattern: str, seconds: float = 120) -> str:
        def found():
            if process.poll() is not None:
                raise CascadeError(f"{log_name}: exited {process.returncode}: {(self.work / log_name).read_text()[-2000:]}")
            match = re.search(pattern, (self.work / log_name).read_text(errors="replace"))
            return match and match.group(1)
        return wait_for(found, seconds, log_name)

    def stop_all(self) -> None:
        for process in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class Miner:
    """The chain's block timer: evm_mine every `interval` seconds, start to start (a block that takes
    longer to build starts the next one at once); `paused()` holds it while a burst is sent."""

    def __init__(self, node: Node, interval: float) -> None:
        self.node, self.interval = node, interval
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.durations: list[float] = []
        threading.Thread(target=self._run, name="miner", daemon=True).start()

    def _run(self) -> None:
        next_at = time.monotonic() + self.interval
        while not self.stopping.wait(max(0.0, next_at - time.monotonic())):
            with self.lock:
                started = time.monotonic()
                try:
                    self.node.call("evm_mine")
                except (OSError, CascadeError) as error:
                    if not self.stopping.is_set():
                        log(f"miner: {error}")
                self.durations.append(time.monotonic() - started)
            next_at = max(next_at + self.interval, time.monotonic())

    def paused(self):
        return self.lock


class BlockClock:
    """When each block was first seen (a thread polls eth_blockNumber every 50 ms)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.seen: dict[int, float] = {}
        self.wall: dict[int, float] = {}  # the same moments as Unix time
        self.stopping = threading.Event()
        threading.Thread(target=self._run, name="block-clock", daemon=True).start()

    def _run(self) -> None:
        last = None
        while not self.stopping.wait(0.05):
            try:
                head = self.node.head()
            except (OSError, CascadeError):
                continue
            now, wall = time.monotonic(), time.time()
            for number in range(head if last is None else last + 1, head + 1):
                self.seen.setdefault(number, now)
                self.wall.setdefault(number, wall)
            last = head if last is None else max(last, head)

    def at(self, number: int) -> float:
        return wait_for(lambda: self.seen.get(number), 30, f"block {number}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def merge(base: dict, extra: dict) -> dict:
    """`extra` merged into `base`, objects key by key."""
    result = dict(base)
    for key, value in extra.items():
        result[key] = merge(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


def percentile(values: list[int], p: float) -> int:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def selectors() -> dict[str, str]:
    abi = json.loads((ROOT / "abi" / "LeverageGuard.json").read_text())
    return {"0x" + function_signature_to_4byte_selector(f"{e['name']}({','.join(i['type'] for i in e['inputs'])})").hex(): e["name"]
            for e in abi if e.get("type") == "function"}


# ------------------------------------------------------------------------------------ the run

class Cascade:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.work
        self.processes = Processes(self.work)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.work), "LGK_VAULT_KEY": VAULT_KEY}

    def send(self, account, to: str, data: bytes, nonce: int, gas: int, base_fee: int) -> str:
        tx = Account.sign_transaction({
            "type": 2, "chainId": self.deployment["chainId"], "to": to, "value": 0, "data": data, "gas": gas, "nonce": nonce,
            "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 4 * base_fee + 10**9}, account.key)
        return "0x" + bytes(tx.raw_transaction).hex()

    def owner_tx(self, data: bytes, to: str | None = None) -> None:
        owner = Account.from_key(self.deployment["owner"]["privateKey"])
        nonce = int(self.node.call("eth_getTransactionCount", owner.address, "pending"), 16)
        raw = self.send(owner, to or self.contract, data, nonce, 300_000, self.base_fee())
        tx_hash = self.node.call("eth_sendRawTransaction", raw)
        receipt = wait_for(lambda: self.node.call("eth_getTransactionReceipt", tx_hash), 60, "an owner transaction")
        if int(receipt["status"], 16) != 1:
            raise CascadeError(f"owner transaction {tx_hash} reverted")

    def base_fee(self) -> int:
        return int(self.node.call("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)

    def setup(self) -> None:
        args = self.args
        rng = random.Random(args.seed)
        self.claims, self.accounts = make_world(rng, args.claims, args.traders, self.work / "scenarios", kinds=LIQUIDATIONS)
        deployment_file = self.work / "deployment.json"
        node = self.processes.start([PYTHON, str(DEVNET / "devnode.py"), "--port", "0", "--out", str(deployment_file),
                                     "--users", str(args.traders), "--no-automine", "--pool-token"], "devnode.log")
        self.processes.listening(node, "devnode.log", r"devnode listening on (http://\S+)", 300)
        self.deployment = json.loads(deployment_file.read_text())
        self.node = Node(self.deployment["rpcUrl"])
        self.contract = self.deployment["contract"]
        self.users = [Account.from_key(u["privateKey"]) for u in self.deployment["users"]]
        self.keeper_address = self.deployment["keeper"]["address"].lower()
        self.clock = BlockClock(self.node)
        self.miner = Miner(self.node, args.block_time)

        # Every claim payable today: the daily payout limit above their sum, the pool holding it.
        needed = sum(c.amount for c in self.claims)
        self.owner_tx(function_signature_to_4byte_selector("setDailyPayoutLimit(uint256)") + abi_encode(["uint256"], [needed + 1000 * UNIT]))
        balance = int(self.node.call("eth_call", {"to": self.contract, "data": "0x" + function_signature_to_4byte_selector("poolBalance()").hex()},
                                     "latest"), 16)
        if balance < needed:
            top_up = needed - balance + UNIT
            self.owner_tx(function_signature_to_4byte_selector("approve(address,uint256)") + abi_encode(["address", "uint256"], [self.contract, top_up]),
                          to=self.deployment["asset"])
            self.owner_tx(function_signature_to_4byte_selector("depositToken(uint256)") + abi_encode(["uint256"], [top_up]))

        okx = self.processes.start([PYTHON, str(DEVNET / "okxsim.py"), "--port", "0", "--scenarios", str(self.work / "scenarios")], "okxsim.log")
        okx_url = self.processes.listening(okx, "okxsim.log", r"okxsim listening on (http://\S+)")
        self.okx_sim = okx_url
        self.okx_proxy = self.proxy(okx_url, args.okx_delay_ms, "okx-proxy.log")
        self.rpc_proxy = self.proxy(self.node.url, args.rpc_delay_ms, "rpc-proxy.log")

        key_file = self.work / "keeper.key"
        key_file.write_text(self.deployment["keeper"]["privateKey"])
        key_file.chmod(0o600)
        self.db_path = self.work / "keeper.sqlite"
        self.config = self.work / "keeper.json"
        config = {
            "chain": {"rpcUrls": [self.rpc_proxy], "chainId": self.deployment["chainId"], "contract": self.contract,
                      "startBlock": self.deployment["deployBlock"], "confirmations": args.confirmations, "pollIntervalMs": 300},
            "signer": {"keyFile": str(key_file)},
            "okx": {"baseURL": self.okx_proxy, "timeoutMs": 5000},
            "pool": {"currency": "USDT", "decimals": POOL_DECIMALS},
            "policy": {"coverageBps": 5000, "maxPayoutPerClaim": "50", "dailyLimit": str(max(10_000, 2 * needed // UNIT)),
                       "minPoolReserve": "0", "reviewAbove": "10000", "coverADL": True, "maxClaimAgeDays": 30},
            "store": {"path": str(self.db_path)},
            "evidence": {"dir": str(self.work / "evidence")},
            "http": {"listen": "127.0.0.1:0"},
            "vault": {"masterKeyEnv": "LGK_VAULT_KEY"},
        }
        if args.keeper_config_extra:
            config = merge(config, args.keeper_config_extra)
        self.config.write_text(json.dumps(config, indent=2))
        started = time.monotonic()
        for user, account in enumerate(self.accounts):
            result = subprocess.run([args.keeper, "keys", "add", "--wallet", self.users[user].address, "--alias", account["name"],
                                     "--config", str(self.config)],
                                    input=f"{account['apiKey']}\n{account['secretKey']}\n{account['passphrase']}\n",
                                    capture_output=True, text=True, env=self.env, cwd=ROOT)
            if result.returncode != 0:
                raise CascadeError(f"lg-keeper keys add exited {result.returncode}: {result.stderr.strip()}")
        log(f"devnode {self.node.url} (proxy {self.rpc_proxy}, {args.rpc_delay_ms:g} ms), okxsim {okx_url} (proxy {self.okx_proxy}, "
            f"{args.okx_delay_ms:g} ms); {len(self.accounts)} OKX keys registered in {time.monotonic() - started:.1f} s")

    def proxy(self, upstream: str, delay_ms: float, log_name: str) -> str:
        process = self.processes.start([PYTHON, str(DEVNET / "latencyproxy.py"), "--upstream", upstream, "--delay-ms", str(delay_ms),
                                        "--port", "0"], log_name)
        return self.processes.listening(process, log_name, r"latencyproxy listening on (http://\S+)")

    def start_keeper(self) -> None:
        keeper_log = self.work / "keeper.log"
        self.keeper = self.processes.start([self.args.keeper, "run", "--config", str(self.config)], "keeper.log", env=self.env, lifeline=False)
        self.processes.listening(self.keeper, "keeper.log", r"(keeper started)")
        # Following the head: three blocks seen after the start (the logs of an idle chain are few).
        head = self.node.head()
        wait_for(lambda: self.node.head() >= head + 3, 30, "three blocks")
        if self.keeper.poll() is not None:
            raise CascadeError(f"lg-keeper run exited {self.keeper.returncode}: {keeper_log.read_text()[-2000:]}")

    def file_all(self) -> dict[str, int]:
        """Signs every requestClaim, then sends them in batches; returns tx hash → claim index."""
        base_fee = self.base_fee()
        sample = self.claims[0]
        data = REQUEST_CLAIM + abi_encode(["uint256", "string", "uint256", "uint16"],
                                          [sample.order_id, sample.inst_id, sample.principal, sample.leverage])
        estimate = int(self.node.call("eth_estimateGas", {"from": self.users[sample.user].address, "to": self.contract,
                                                          "data": "0x" + data.hex()}), 16)
        gas = estimate * 5 // 4
        nonces = dict(zip(range(len(self.users)), (int(n, 16) for n in self.node.batch(
            [("eth_getTransactionCount", [u.address, "pending"]) for u in self.users]))))
        raws = []
        for claim in self.claims:
            data = REQUEST_CLAIM + abi_encode(["uint256", "string", "uint256", "uint16"],
                                              [claim.order_id, claim.inst_id, claim.principal, claim.leverage])
            raws.append(self.send(self.users[claim.user], self.contract, data, nonces[claim.user], gas, base_fee))
            nonces[claim.user] += 1
        log(f"{len(raws)} requestClaim transactions signed (gas limit {gas} each, estimate {estimate}); sending")
        # devnode admits ~25 transactions a second: the chain waits while they are sent, so that they fill
        # the next blocks as a cascade's would (as many a block as its gas limit holds).
        with self.miner.paused():
            sending = time.monotonic()
            hashes = self.node.batch([("eth_sendRawTransaction", [raw]) for raw in raws], size=100)
            self.filed_at = time.monotonic()
        failed = [h for h in hashes if isinstance(h, dict)]
        if failed:
            raise CascadeError(f"{len(failed)} requestClaim transactions refused: {failed[:3]}")
        log(f"sent in {self.filed_at - sending:.2f} s (the chain paused meanwhile) at head {self.node.head()}")
        return {h: i for i, h in enumerate(hashes)}

    def requested_blocks(self, hashes: dict[str, int], from_block: int) -> dict[int, int]:
        """claim index → its request's block (its ClaimRequested log), once every request is mined.

        devnode builds a block of ~290 requests in tens of seconds, hence the generous wait."""
        index = {self.key(c): c.index for c in self.claims}
        blocks: dict[int, int] = {}

        def mined():
            for key, found in self.payouts(from_block, CLAIM_REQUESTED).items():
                if key in index:
                    blocks[index[key]] = found[0][0]
            return len(blocks) == len(self.claims)
        try:
            wait_for(mined, 120 + 0.5 * len(self.claims), "every requestClaim to be mined", interval=0.5)
        except WaitTimeout:
            missing = [h for h, i in hashes.items() if i not in blocks][:3]
            receipts = self.node.batch([("eth_getTransactionReceipt", [h]) for h in missing])
            raise CascadeError(f"{len(self.claims) - len(blocks)} requestClaim transactions not mined with a ClaimRequested; "
                               f"receipts of the first: {[r and r.get('status') for r in receipts]}") from None
        return blocks

    def payouts(self, from_block: int, topic: str = PAYOUT_EXECUTED, to_block: int | None = None) -> dict[tuple[str, int], list[tuple[int, int]]]:
        """(user, order id) → [(block, amount)] of every PayoutExecuted (or `topic`) in from_block..to_block (or latest)."""
        logs = self.node.call("eth_getLogs", {"address": self.contract, "fromBlock": hex(from_block),
                                              "toBlock": "latest" if to_block is None else hex(to_block), "topics": [topic]})
        found: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for entry in logs:
            key = ("0x" + entry["topics"][1][-40:], int(entry["topics"][2], 16))
            found.setdefault(key, []).append((int(entry["blockNumber"], 16), int(entry["data"], 16)))
        return found

    def key(self, claim) -> tuple[str, int]:
        return (self.users[claim.user].address.lower(), claim.order_id)

    def check(self, payouts: dict) -> list[str]:
        """Every claim on-chain: verified, liquidated, claimed, the expected amount, one PayoutExecuted of it."""
        calls = [("eth_call", [{"to": self.contract, "data": "0x" + (GET_CLAIM + abi_encode(
            ["address", "uint256"], [self.users[c.user].address, c.order_id])).hex()}, "latest"]) for c in self.claims]
        failures = []
        for claim, raw in zip(self.claims, self.node.batch(calls)):
            _, _, requested_at, amount, liquidated, verified, claimed, _ = abi_decode(
                ["uint256", "uint16", "uint256", "uint256", "bool", "bool", "bool", "bytes32"], bytes.fromhex(raw[2:]))
            events = [a for _, a in payouts.get(self.key(claim), [])]
            if not (requested_at and verified and liquidated and claimed and amount == claim.amount and events == [claim.amount]):
                failures.append(f"claim {claim.index} (order {claim.order_id}): expected paid {claim.amount} once; on-chain amount {amount}, "
                                f"verified {verified}, liquidated {liquidated}, claimed {claimed}, PayoutExecuted {events}")
        return failures

    def keeper_transactions(self, first: int, last: int) -> tuple[int, dict[str, int], int]:
        """The keeper's mined transactions in blocks first..last: count, count by function, gas used."""
        names = selectors()
        blocks = self.node.batch([("eth_getBlockByNumber", [hex(n), True]) for n in range(first, last + 1)], size=100)
        mine = [tx for block in blocks for tx in block["transactions"] if tx["from"].lower() == self.keeper_address]
        by_function: dict[str, int] = {}
        for tx in mine:
            name = names.get(tx["input"][:10], tx["input"][:10])
            by_function[name] = by_function.get(name, 0) + 1
        receipts = self.node.batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx in mine])
        return len(mine), by_function, sum(int(r["gasUsed"], 16) for r in receipts)

    def run(self) -> int:
        args = self.args
        self.setup()
        self.start_keeper()
        # The keeper's CPU while it follows an idle chain: what it would spend anyway while claims wait.
        idle_from, idle_cpu = time.monotonic(), cpu_seconds(self.keeper.pid)
        time.sleep(args.idle_sample)
        idle_rate = (cpu_seconds(self.keeper.pid) - idle_cpu) / (time.monotonic() - idle_from)
        nonce_before = int(self.node.call("eth_getTransactionCount", self.keeper_address, "latest"), 16)
        cpu_before = cpu_seconds(self.keeper.pid)
        cpu_from = time.monotonic()
        first_block = self.node.head() + 1
        hashes = self.file_all()
        requested = self.requested_blocks(hashes, first_block - 1)
        r = max(requested.values())
        r_seen = self.clock.at(r)
        log(f"every request mined: blocks {min(requested.values())}..{r} (R = {r}), "
            f"{time.monotonic() - self.filed_at:.1f} s after sending")

        deadline = self.filed_at + args.timeout
        wanted = {self.key(c) for c in self.claims}
        payouts: dict = {}
        scanned = first_block - 1
        last_report = time.monotonic()
        while True:
            if self.keeper.poll() is not None:
                raise CascadeError(f"lg-keeper run exited {self.keeper.returncode} (see {self.work / 'keeper.log'})")
            # Only the blocks not yet read: devnode's eth_getLogs walks every block of the range, and a
            # poll over the whole run would take the node's time from the keeper.
            head = self.node.head()
            if head > scanned:
                for key, found in self.payouts(scanned + 1, to_block=head).items():
                    payouts.setdefault(key, []).extend(found)
                scanned = head
            done = sum(1 for k in wanted if k in payouts)
            if done == len(wanted):
                break
            if time.monotonic() > deadline:
                break
            if time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                log(f"{done}/{len(wanted)} paid, head {self.node.head()} (R + {self.node.head() - r})")
            time.sleep(0.5)
        cpu_after = cpu_seconds(self.keeper.pid)
        cpu_window = time.monotonic() - cpu_from
        head = self.node.head()
        payouts = self.payouts(first_block)  # once over the whole run, for the checks
        nonce_after = int(self.node.call("eth_getTransactionCount", self.keeper_address, "latest"), 16)
        failures = self.check(payouts)
        paid_blocks = {c.index: payouts[self.key(c)][0][0] for c in self.claims if self.key(c) in payouts}
        delays = [paid_blocks[i] - requested[i] for i in paid_blocks]
        verdicts = self.payouts(first_block, PAYOUT_VERIFIED)
        verified_blocks = {c.index: verdicts[self.key(c)][0][0] for c in self.claims if self.key(c) in verdicts}
        to_verdict = [verified_blocks[i] - requested[i] for i in verified_blocks]
        okx = http_json(f"{self.okx_proxy}/__stats")
        rpc = http_json(f"{self.rpc_proxy}/__stats")
        sent, by_function, gas = self.keeper_transactions(first_block - 3, head)
        n = len(self.claims)
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        lines = [f"cascade: {n} claims from {args.traders} traders; okx delay {args.okx_delay_ms:g} ms, rpc delay {args.rpc_delay_ms:g} ms, "
                 f"confirmations {args.confirmations}, block time {args.block_time:g} s; keeper {args.keeper}; load {load}",
                 f"requests: blocks {min(requested.values())}..{r}, the last request's block R = {r} "
                 f"(seen at {time.strftime('%H:%M:%S', time.gmtime(self.clock.wall[r]))} UTC, {r_seen - self.filed_at:.1f} s after the last was sent)"]
        if paid_blocks:
            last = max(paid_blocks.values())
            lines.append(f"settled: {len(paid_blocks)}/{n} paid, the last in block {last} = R + {last - r}, "
                         f"{self.clock.at(last) - r_seen:.1f} s after R was seen (goal R + 5, limit R + 3)")
            lines.append(f"per claim: request → payment blocks median {statistics.median(delays):g}, p95 {percentile(delays, 95)}, "
                         f"max {max(delays)}, min {min(delays)}; request → PayoutVerified median {statistics.median(to_verdict):g}, "
                         f"max {max(to_verdict)}")
            gaps = [self.clock.at(b + 1) - self.clock.at(b) for b in range(r, last)]
            if gaps:
                lines.append(f"blocks R..{last}: {statistics.median(gaps):.2f} s apart (median), longest {max(gaps):.2f} s; "
                             f"devnode took at most {max(self.miner.durations):.2f} s to build a block")
        else:
            lines.append(f"settled: 0/{n} paid")
        if args.single and paid_blocks:
            p = paid_blocks[0]
            goal = requested[0] + args.confirmations + 1
            lines.append(f"single: requested in block R = {requested[0]}, verdict (PayoutVerified) in block R + "
                         f"{verified_blocks[0] - requested[0]}, paid in block {p} = R + {p - requested[0]} "
                         f"(goal R + confirmations + 1 = {goal}: {'met' if p <= goal else 'missed'})")
        lines.append(f"okx: {okx['requests']} requests ({okx['requests'] / n:.1f} per claim), HTTP 429 {okx['statuses'].get('429', 0)}, "
                     f"code 50011 {okx['codes'].get('50011', 0)}, other codes {{{', '.join(f'{k}: {v}' for k, v in sorted(okx['codes'].items()) if k not in ('0', '50011'))}}}, "
                     f"at most {okx['maxInFlight']} in flight")
        methods = sorted(rpc["rpcMethods"].items(), key=lambda kv: -kv[1])
        lines.append(f"rpc: {rpc['requests']} HTTP requests ({rpc['rpcBatches']} batches), {sum(rpc['rpcMethods'].values())} calls "
                     f"({', '.join(f'{k} {v}' for k, v in methods[:6])}), at most {rpc['maxInFlight']} in flight")
        lines.append(f"keeper txs: {nonce_after - nonce_before} sent (nonce {nonce_before} → {nonce_after}), {sent} mined since the burst "
                     f"({', '.join(f'{k} {v}' for k, v in sorted(by_function.items()))}); gas {gas} = {gas / n:,.0f} per claim")
        cpu = cpu_after - cpu_before
        beyond_idle = max(0.0, cpu - idle_rate * cpu_window)
        lines.append(f"keeper cpu: {cpu:.2f} s in the {cpu_window:.0f} s from the burst to the last payment = {1000 * cpu / n:.2f} ms per claim "
                     f"(goal ≤ 1 ms; OKX and RPC waits are not CPU); following an idle chain it spends {1000 * idle_rate:.1f} ms/s "
                     f"(over {args.idle_sample:g} s before the burst), so {1000 * beyond_idle / n:.2f} ms per claim beyond that; "
                     f"{cpu_after:.2f} s since its start")
        lines.append(f"result: {'PASS' if not failures and len(paid_blocks) == n else 'FAIL'}"
                     + ("" if len(paid_blocks) == n else f" (timed out after {args.timeout:g} s with {n - len(paid_blocks)} claims unpaid)"))
        print("\n".join(lines), flush=True)
        for failure in failures[:20]:
            print(f"  FAIL {failure}", flush=True)
        return 0 if not failures and len(paid_blocks) == n else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cascade.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keeper", default=str(ROOT / ".build" / "release" / "lg-keeper"))
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--traders", type=int, default=200)
    parser.add_argument("--okx-delay-ms", type=float, default=150)
    parser.add_argument("--rpc-delay-ms", type=float, default=30)
    parser.add_argument("--confirmations", type=int, default=2)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds from the first request until every claim must be paid")
    parser.add_argument("--single", action="store_true", help="one claim alone (--claims 1 --traders 1)")
    parser.add_argument("--keeper-config-extra", type=json.loads, default=None, metavar="JSON",
                        help="merged into the keeper's config, e.g. '{\"pipeline\": {\"maxConcurrentVerifications\": 32}}'")
    parser.add_argument("--idle-sample", type=float, default=10, metavar="S",
                        help="seconds of the keeper's idle following measured before the burst (its CPU rate at rest)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.single:
        args.claims, args.traders = 1, 1
    if not 1 <= args.traders <= 1000 or args.claims < 1:
        parser.error("--traders must be 1..1000 (devnode's users) and --claims at least 1")
    if args.keeper_config_extra is not None and not isinstance(args.keeper_config_extra, dict):
        parser.error("--keeper-config-extra must be a JSON object")
    if not Path(args.keeper).is_file():
        parser.error(f"no keeper binary at {args.keeper} (swift build -c release --product lg-keeper)")
    args.work = args.work or Path(tempfile.mkdtemp(prefix="lg-cascade."))
    args.work.mkdir(parents=True, exist_ok=True)
    for stale in ("keeper.sqlite", "keeper.sqlite-wal", "keeper.sqlite-shm"):  # a reused --work: a fresh keeper
        (args.work / stale).unlink(missing_ok=True)
    shutil.rmtree(args.work / "evidence", ignore_errors=True)
    cascade = Cascade(args)
    try:
        return cascade.run()
    except CascadeError as error:
        print(f"cascade: aborted: {error}", flush=True)
        return 1
    finally:
        for thread in ("miner", "clock"):  # quiet before the node goes
            if hasattr(cascade, thread):
                getattr(cascade, thread).stopping.set()
        cascade.processes.stop_all()
        print(f"work directory: {args.work}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
