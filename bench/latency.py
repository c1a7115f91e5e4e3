#!/usr/bin/env python3
"""Claim-to-payment latency in blocks, and the keeper's resident memory (issue 8, BENCHMARKS.md).

    latency.py --keeper .build/release/lg-keeper [--block-time 1] [--confirmations 2] [--idle 30] [--work DIR]

1. starts devnode with --no-automine --block-time S (every transaction waits for the next block,
   as on a real chain) and okxsim; registers the traders' OKX keys; starts `lg-keeper run`;
2. files one claim per liquidated okxsim scenario, each from its own devnet user, a few seconds apart;
3. waits for every PayoutExecuted and prints, per claim, the ClaimRequested block, the
   PayoutVerified and PayoutExecuted blocks and the difference (goal: ≤ confirmations + 3);
4. leaves the keeper following the chain idle for --idle seconds and samples its VmRSS each second
   (goal: ≤ 30 MB steady), and prints VmHWM (the peak over its whole life).

Prints "latency: …" and "memory: …" summary lines last (read by bench/run.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "devnet"))
from demo import PYTHON, Processes, base_units, rpc, scenario, wait_for  # noqa: E402

from eth_utils import event_abi_to_log_topic  # noqa: E402

VAULT_KEY = "cd" * 32  # dev only, passed in the environment
# The scenarios whose claims are paid: (devnet user, file).
CLAIMS = [
    (0, "01-full-liquidation-long.json"),
    (1, "02-full-liquidation-short.json"),
    (2, "03-partial-liquidation.json"),
    (3, "04-adl.json"),
    (4, "10-liquidation-behind-pages.json"),
]


def topics() -> dict[str, str]:
    abi = json.loads((ROOT / "abi" / "LeverageGuard.json").read_text())
    return {entry["name"]: "0x" + event_abi_to_log_topic(entry).hex() for entry in abi if entry.get("type") == "event"}


def vm(pid: int, field: str) -> float:
    """A /proc/PID/status field (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keeper", required=True)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--confirmations", type=int, default=2)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle following sampled for RSS")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lg-latency."))
    work.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LGK_VAULT_KEY": VAULT_KEY}
    processes = Processes()
    try:
        deployment_file = work / "deployment.json"
        processes.start([PYTHON, str(ROOT / "devnet" / "devnode.py"), "--port", "0", "--out", str(deployment_file),
                         "--no-automine", "--block-time", str(args.block_time), "--pool-token"], work / "devnode.log")
        wait_for(lambda: deployment_file.exists() and deployment_file.stat().st_size > 0, 120, "the devnode")
        deployment = json.loads(deployment_file.read_text())
        url = deployment["rpcUrl"]
        okx_log = work / "okxsim.log"
        processes.start([PYTHON, str(ROOT / "devnet" / "okxsim.py"), "--port", "0"], okx_log)
        okx_url = wait_for(lambda: re.search(r"listening on (http://127\.0\.0\.1:\d+)", okx_log.read_text()), 60, "okxsim").group(1)

        key_file = work / "keeper.key"
        key_file.write_text(deployment["keeper"]["privateKey"])
        key_file.chmod(0o600)
        config = work / "keeper.json"
        config.write_text(json.dumps({
            "chain": {"rpcUrls": [url], "chainId": deployment["chainId"], "contract": deployment["contract"],
                      "startBlock": deployment["deployBlock"], "confirmations": args.confirmations, "pollIntervalMs": 300},
            "signer": {"keyFile": str(key_file)},
            "okx": {"baseURL": okx_url, "timeoutMs": 5000},
            "pool": {"currency": "USDT", "decimals": 6},
            "policy": {"coverageBps": 5000, "maxPayoutPerClaim": "10", "dailyLimit": "1000",
                       "minPoolReserve": "0", "reviewAbove": "1000"},
            "store": {"path": str(work / "keeper.sqlite")},
            "evidence": {"dir": str(work / "evidence")},
            "vault": {"masterKeyEnv": "LGK_VAULT_KEY"},
        }, indent=2))
        for user, file in CLAIMS:
            a = scenario(file)["account"]
            subprocess.run([args.keeper, "keys", "add", "--wallet", deployment["users"][user]["address"], "--alias", f"trader{user}",
                            "--config", str(config)], input=f"{a['apiKey']}\n{a['secretKey']}\n{a['passphrase']}\n",
                           text=True, capture_output=True, check=True, env=env, cwd=ROOT)

        keeper_log = work / "keeper.log"
        keeper = processes.start([args.keeper, "run", "--config", str(config)], keeper_log, env=env)
        wait_for(lambda: "keeper started" in keeper_log.read_text(errors="replace"), 60, "the keeper")

        requested = {}  # (user address lowercase, order id) -> block
        for user, file in CLAIMS:
            c = scenario(file)["claim"]
            out = subprocess.run([PYTHON, str(ROOT / "devnet" / "request_claim.py"), "--deployment", str(deployment_file),
                                  "--user", str(user), "--order-id", c["ordId"], "--inst-id", c["instId"],
                                  "--principal", str(base_units(c["principal"], 6)), "--leverage", str(c["leverage"])],
                                 capture_output=True, text=True, check=True, cwd=ROOT).stdout
            block = int(re.search(r" block (\d+) ", out).group(1))
            requested[(deployment["users"][user]["address"].lower(), int(c["ordId"]))] = block
            print(f"  claim {file}: requested in block {block}", file=sys.stderr, flush=True)
            time.sleep(2 * args.block_time)

        names = topics()

        def found(event: str) -> dict:
            logs = rpc(url, "eth_getLogs", [{"address": deployment["contract"], "fromBlock": hex(deployment["deployBlock"]),
                                             "toBlock": "latest", "topics": [names[event]]}])
            return {("0x" + log["topics"][1][-40:], int(log["topics"][2], 16)): int(log["blockNumber"], 16) for log in logs}

        paid = wait_for(lambda: (lambda p: p if all(k in p for k in requested) else None)(found("PayoutExecuted")),
                        180, "every PayoutExecuted")
        verified = found("PayoutVerified")
        print(f"{'claim (order id)':>22} {'requested':>9} {'verified':>8} {'paid':>5} {'blocks':>6}")
        delays = []
        for key, block in requested.items():
            delays.append(paid[key] - block)
            print(f"{key[1]:>22} {block:>9} {verified.get(key, '-'):>8} {paid[key]:>5} {paid[key] - block:>6}")

        samples = []
        deadline = time.time() + args.idle
        while time.time() < deadline:
            samples.append(vm(keeper.pid, "VmRSS"))
            time.sleep(1.0)
        peak = vm(keeper.pid, "VmHWM")
        anon, file = vm(keeper.pid, "RssAnon"), vm(keeper.pid, "RssFile")
        head = int(rpc(url, "eth_blockNumber"), 16)
        goal = args.confirmations + 3
        print(f"latency: {len(delays)} claims, request→PayoutExecuted blocks min {min(delays)} median {statistics.median(delays):g} "
              f"max {max(delays)} (confirmations {args.confirmations}, block time {args.block_time:g} s; goal ≤ {goal}: "
              f"{'met' if max(delays) <= goal else 'missed'})")
        print(f"memory: lg-keeper run idle-following (head {head}) RSS median {statistics.median(samples):.1f} MB, "
              f"max {max(samples):.1f} MB over {len(samples)} s (last: heap and stacks {anon:.1f} MB, mapped files {file:.1f} MB); "
              f"VmHWM {peak:.1f} MB (goal ≤ 30 MB: "
              f"{'met' if max(samples) <= 30 else 'missed'})")
        return 0
    finally:
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
