#!/usr/bin/env python3
"""`make demo`: LeverageGuard Keeper end to end on loopback.

    demo.py --keeper .build/debug/lg-keeper [--work DIR]

1. starts the devnet (py-evm behind JSON-RPC, LeverageGuard deployed with a USDT pool: the
   test stablecoin of TestStablecoin.vy, `devnode.py --pool-token`) and okxsim (OKX v5);
2. runs one `lg-keeper verify` per okxsim scenario and prints the verdicts;
3. registers five traders' OKX keys in the keeper's vault and starts `lg-keeper run`;
4. the traders file claims on-chain while the keeper indexes them live, verifies them on OKX,
   writes each verdict and evidence root on-chain and pays the liquidated ones in USDT;
5. a chain reorganisation removes a claim the keeper had indexed; the keeper undoes it and
   settles the claim once it is filed again on the canonical chain;
6. prints each claim from request to payment, where the evidence files are (one checked against
   the chain), a /metrics excerpt, a clean `lg-keeper reconcile` and `audit verify`;
7. ends with the operator console's address and the operator login it created (`console add-operator`,
   a generated password); on a terminal everything keeps serving the console until Enter.

Everything is stopped on exit; the work directory (database, evidence, logs) is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
VAULT_KEY = "ab" * 32  # the demo's vault master key (dev only), passed in the environment
API_SECRET = "demo-api-secret-0123456789"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")

# (devnet user, okxsim scenario) for the claims filed against the running keeper.
CLAIMS = [
    (0, "01-full-liquidation-long.json"),
    (1, "04-adl.json"),
    (2, "05-manual-close-loss.json"),
    (3, "06-position-still-open.json"),  # no verdict may be written while the position is open: it waits
]
WAITING = {"06-position-still-open.json"}
REORGED = (4, "02-full-liquidation-short.json")
SELF_REGISTERED = 1  # this trader registers its own key through the trader API; the others' keys are added by the operator  # filed, indexed, removed by a reorg, filed again


def step(text: str) -> None:
    print(f"\n{BOLD}== {text}{RESET}", flush=True)


def rpc(url: str, method: str, params: list | None = None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def post_json(url: str, body: dict) -> dict:
    """POST a JSON body; the answer's JSON, or the demo stops with the keeper's {code, msg, hint}."""
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise SystemExit(f"demo: POST {url} answered {error.code}: {error.read().decode(errors='replace')}")


class Processes:
    """Background processes, all stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen] = []

    def start(self, args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        process = subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def wait_for(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"demo: timed out waiting for {what}")


def scenario(file: str) -> dict:
    document = json.loads((HERE / "scenarios" / file).read_text())
    claim = document["claim"]
    # A claim's account may be defined in another file (18-posid-reused-second uses 17's).
    accounts = [a for p in sorted((HERE / "scenarios").glob("*.json")) for a in json.loads(p.read_text()).get("accounts", [])]
    account = next(a for a in document.get("accounts", []) + accounts if a["name"] == claim["account"])
    return {"file": file, "name": document["name"], "claim": claim, "account": account, "expect": document["expect"]}


def base_units(amount: str, decimals: int) -> int:
    """A decimal amount such as "12.5" in base units of an asset with `decimals`."""
    whole, _, fraction = amount.partition(".")
    return int(whole) * 10**decimals + int((fraction + "0" * decimals)[:decimals] or 0)


def whole_units(amount: int | str | None, decimals: int, symbol: str = "") -> str:
    """Base units as a decimal amount ("12.5"), followed by `symbol` when given."""
    if amount is None:
        return "-"
    value = int(amount)
    text = f"{value // 10**decimals}.{value % 10**decimals:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(value)
    return f"{text} {symbol}".rstrip()


class Demo:
    def __init__(self, keeper: str, work: Path) -> None:
        self.keeper = keeper
        self.work = work
        self.processes = Processes()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LGK_VAULT_KEY": VAULT_KEY,
                    "LGK_API_SECRET": API_SECRET}
        self.mining = threading.Event()

    def lgk(self, *args: str, env: dict | None = None, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([self.keeper, *args], capture_output=True, text=True, env=env or self.env, input=stdin, cwd=ROOT)
        if check and result.returncode != 0:
            raise SystemExit(f"demo: lg-keeper {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}")
        return result

    # -- 1 --------------------------------------------------------------------------------------
    def start_chain_and_exchange(self) -> None:
        step("Starting the devnet (py-evm behind JSON-RPC, LeverageGuard compiled by Vyper and deployed) and okxsim (OKX v5)")
        deployment = self.work / "deployment.json"
        self.processes.start([PYTHON, str(HERE / "devnode.py"), "--port", "0", "--out", str(deployment), "--pool-token"],
                             self.work / "devnode.log")
        wait_for(lambda: deployment.exists() and deployment.stat().st_size > 0, 120, "the devnode")
        self.deployment = json.loads(deployment.read_text())
        self.symbol, self.decimals = self.deployment["assetSymbol"], self.deployment["assetDecimals"]
        self.deployment_file = deployment
        self.rpc_url = self.deployment["rpcUrl"]
        okx_log = self.work / "okxsim.log"
        self.processes.start([PYTHON, str(HERE / "okxsim.py"), "--port", "0"], okx_log)
        found = wait_for(lambda: re.search(r"listening on (http://127\.0\.0\.1:\d+)", okx_log.read_text()), 60, "okxsim")
        self.okx_url = found.group(1)
        print(f"devnet {self.rpc_url} chain {self.deployment['chainId']}, contract {self.deployment['contract']} (block {self.deployment['deployBlock']})")
        print(f"pool asset {self.symbol} ({self.decimals} decimals, token {self.deployment['asset']}): "
              f"{self.money(self.pool_balance())} in the pool")
        print(f"okxsim {self.okx_url}")
        # Blocks keep coming, as on a real chain: the keeper waits for 2 confirmations.
        self.mining.set()
        threading.Thread(target=self.mine_forever, daemon=True).start()

    def money(self, amount: int | str | None) -> str:
        return whole_units(amount, self.decimals, self.symbol)

    def pool_balance(self) -> int:
        """The contract's poolBalance(): what the pool holds of its asset, in base units."""
        selector = "0x" + keccak(b"poolBalance()")[:4].hex()
        return int(rpc(self.rpc_url, "eth_call", [{"to": self.deployment["contract"], "data": selector}, "latest"]), 16)

    def mine_forever(self) -> None:
        while True:
            time.sleep(1.0)
            if self.mining.is_set():
                try:
                    rpc(self.rpc_url, "evm_mine")
                except OSError:
                    return

    # -- 2 --------------------------------------------------------------------------------------
    def verify_every_scenario(self) -> None:
        step("The verification core: one `lg-keeper verify` per okxsim scenario (the trader's own OKX key, read-only)")
        files = sorted(p.name for p in (HERE / "scenarios").glob("[0-9]*.json"))
        print(f"{DIM}{'scenario':38} {'verdict':14} {'reason':20} {'loss':>8} {'payout':>9}  evidence root (default policy: 50% of min(loss, principal, 10), in USDT){RESET}")
        with urllib.request.urlopen(f"{self.okx_url}/sim/regions", timeout=10) as response:
            regions = json.loads(response.read())  # a key answers only on its own region's host (www, us, eea)
        for file in files:
            s = scenario(file)
            region = s["account"].get("region", "www")
            env = dict(self.env, LGK_OKX_API_KEY=s["account"]["apiKey"], LGK_OKX_SECRET_KEY=s["account"]["secretKey"],
                       LGK_OKX_PASSPHRASE=s["account"]["passphrase"], LGK_OKX_REGION=region)
            args = ["verify", "--ord-id", s["claim"]["ordId"], "--inst-id", s["claim"]["instId"], "--principal", s["claim"]["principal"],
                    "--okx-url", regions[region], "--db", str(self.work / "verify.sqlite"), "--evidence-dir", str(self.work / "verify-evidence")]
            if s["claim"].get("simulated"):
                args.append("--simulated")
            result = self.lgk(*args, env=env, check=False)
            if result.returncode not in (0, 1, 69):
                raise SystemExit(f"demo: verify {file} exited {result.returncode}: {result.stderr.strip()}")
            response = json.loads(result.stdout)
            root = response["evidence"]["root"][:18] + "…"
            if response.get("error"):
                error = f"{response['error']['code']} (exit {result.returncode})"
                print(f"{s['name']:38} {'—':14} {error:20} {'':>8} {'':>9}  {root}")
                continue
            position = response["normalized"]["position"]
            if not position.get("decided", True):
                print(f"{s['name']:38} {'no verdict yet':14} {'(exit 1) ' + position['pending'][:60]}")
                continue
            payout = response["normalized"]["payout"]
            verdict = "LIQUIDATED" if position["liquidated"] else "not liquidated"
            shown = whole_units(payout["amount"], self.decimals) if not payout.get("refusal") else payout["refusal"]
            print(f"{s['name']:38} {verdict:14} {position.get('reason') or '':20} {payout['loss']:>8} {shown:>9}  {root}")

    # -- 3 --------------------------------------------------------------------------------------
    def configure_keeper(self) -> None:
        step("The keeper: configuration, signer key file (0600), traders' OKX keys into the vault (AES-256-GCM)")
        print(f"the operator adds the keys of the traders it knows with `lg-keeper keys add`; trader {SELF_REGISTERED} registers "
              "its own key over the trader API once the keeper runs")
        key_file = self.work / "keeper.key"
        key_file.write_text(self.deployment["keeper"]["privateKey"])
        key_file.chmod(0o600)
        self.config = self.work / "keeper.json"
        self.config.write_text(json.dumps({
            "chain": {"rpcUrls": [self.rpc_url], "chainId": self.deployment["chainId"], "contract": self.deployment["contract"],
                      "startBlock": self.deployment["deployBlock"], "confirmations": 2, "pollIntervalMs": 300},
            "signer": {"keyFile": str(key_file)},
            "okx": {"baseURL": self.okx_url, "timeoutMs": 5000},
            "pool": {"currency": self.symbol, "decimals": self.decimals},
            "policy": {"coverageBps": 5000, "maxPayoutPerClaim": "50", "dailyLimit": "100",
                       "minPoolReserve": "0", "reviewAbove": "100"},
            "store": {"path": str(self.work / "keeper.sqlite")},
            "evidence": {"dir": str(self.work / "evidence")},
            # The trader API on loopback without TLS: a reverse proxy would terminate TLS in front of it (README).
            "http": {"listen": "127.0.0.1:0", "apiSecretEnv": "LGK_API_SECRET", "publicListen": "127.0.0.1:0", "publicDomain": "localhost"},
            "reconcile": {"intervalSeconds": 5, "pauseOnMismatch": True},
            "vault": {"masterKeyEnv": "LGK_VAULT_KEY"},
            "console": {"enabled": True},
        }, indent=2))
        print(f"config {self.config}")
        for user, file in CLAIMS + [REORGED]:
            if user == SELF_REGISTERED:
                continue
            s = scenario(file)
            wallet = self.deployment["users"][user]["address"]
            a = s["account"]
            self.lgk("keys", "add", "--wallet", wallet, "--alias", f"trader{user}-{a['name']}", "--config", str(self.config),
                     stdin=f"{a['apiKey']}\n{a['secretKey']}\n{a['passphrase']}\n")
        print(self.lgk("keys", "list", "--config", str(self.config)).stdout.rstrip())
        # `keys add` asks OKX what a key may do: one that can trade (scenario 26's zane-trade) is never held.
        trade = next(k for a in json.loads((HERE / "scenarios" / "26-trade-key.json").read_text())["accounts"]
                     for k in a.get("extraKeys", []) if "trade" in k["permissions"])
        refused = self.lgk("keys", "add", "--wallet", self.deployment["users"][SELF_REGISTERED]["address"], "--alias", "trade-enabled",
                           "--config", str(self.config), stdin=f"{trade['apiKey']}\n{trade['secretKey']}\n{trade['passphrase']}\n", check=False)
        if refused.returncode != 65:
            raise SystemExit(f"demo: a key that can trade was not refused (exit {refused.returncode}): {refused.stderr.strip()}")
        print(f"a key that can trade is refused (exit 65): {refused.stderr.strip()}")
        # The operator console's login: a generated password, on stdin as an operator would pipe it.
        self.operator, self.operator_password = "demo-operator", secrets.token_urlsafe(12)
        print(self.lgk("console", "add-operator", self.operator, "--by", "demo", "--config", str(self.config),
                       stdin=self.operator_password + "\n").stdout.rstrip())

    # -- 4 --------------------------------------------------------------------------------------
    def run_keeper(self) -> None:
        step("`lg-keeper run`: follow the contract's logs, verify on OKX, write verdicts, pay — live log below")
        self.keeper_log = self.work / "keeper.log"
        self.keeper_process = self.processes.start([self.keeper, "run", "--config", str(self.config)], self.keeper_log, env=self.env)
        found = wait_for(lambda: re.search(r'msg="http listening" listener=operations address=(\S+)', self.keeper_log.read_text()), 60,
                         "the keeper's HTTP server")
        self.http = f"http://{found.group(1)}"
        found = wait_for(lambda: re.search(r'msg="http listening" listener=public address=(\S+)', self.keeper_log.read_text()), 60,
                         "the keeper's public listener")
        self.public = f"http://{found.group(1)}"
        self.shown = 0
        threading.Thread(target=self.follow_log, daemon=True).start()
        self.register_own_key(SELF_REGISTERED)
        for user, file in CLAIMS:
            self.file_claim(user, file)
            time.sleep(1.0)

    def register_own_key(self, user: int) -> None:
        """A trader the operator never met registers its read-only OKX key: it asks a challenge, signs it with its
        wallet (EIP-4361 message, `personal_sign`), and sends key and signature; the keeper checks the key on OKX."""
        file = next(f for u, f in CLAIMS if u == user)
        a, wallet = scenario(file)["account"], Account.from_key(self.deployment["users"][user]["privateKey"])
        challenge = post_json(f"{self.public}/api/keys/challenge", {"wallet": wallet.address, "apiKey": a["apiKey"], "region": "www"})
        print(f"trader {user} asks POST {self.public}/api/keys/challenge and signs the message with its wallet:")
        print("\n".join(f"  {DIM}| {line}{RESET}" for line in challenge["message"].split("\n")))
        signature = "0x" + bytes(Account.sign_message(encode_defunct(text=challenge["message"]), private_key=wallet.key).signature).hex()
        answer = post_json(f"{self.public}/api/keys", {"wallet": wallet.address, "apiKey": a["apiKey"], "secretKey": a["secretKey"],
                                                      "passphrase": a["passphrase"], "region": "www", "nonce": challenge["nonce"], "signature": signature})
        print(f"POST /api/keys with the key and signature {signature[:18]}…: {json.dumps(answer)} (OKX's account/config says perm read_only)")

    def follow_log(self) -> None:
        interesting = re.compile(r'msg=(indexed .*new_events=[1-9]|"claim moved"|"reorg|"keeper started"|"pool asset checked"|"http listening")|level=(warn|error)')
        while True:
            lines = self.keeper_log.read_text(errors="replace").splitlines()
            for line in lines[self.shown:]:
                if interesting.search(line):
                    print(f"  {DIM}{line.removeprefix('lg-keeper ')}{RESET}", flush=True)
            self.shown = len(lines)
            time.sleep(0.2)

    def file_claim(self, user: int, file: str) -> str:
        s = scenario(file)
        c = s["claim"]
        out = subprocess.run([PYTHON, str(HERE / "request_claim.py"), "--deployment", str(self.deployment_file), "--user", str(user),
                              "--order-id", c["ordId"], "--inst-id", c["instId"], "--principal", str(base_units(c["principal"], self.decimals)),
                              "--leverage", str(c["leverage"])], capture_output=True, text=True, check=True).stdout
        print(f"trader {user} files a claim: order {c['ordId']} {c['instId']} principal {c['principal']} {self.symbol} ×{c['leverage']} ({s['name']}) — {out.strip().splitlines()[-1]}", flush=True)
        return out

    # -- 5 --------------------------------------------------------------------------------------
    def reorg(self) -> None:
        step("A chain reorganisation: a claim the keeper indexed is removed from the chain, then filed again")
        self.mining.clear()
        snapshot = rpc(self.rpc_url, "evm_snapshot")
        user, file = REORGED
        self.file_claim(user, file)
        wallet = self.deployment["users"][user]["address"].lower()
        order = scenario(file)["claim"]["ordId"]
        wait_for(lambda: any(c["user"] == wallet and c["orderId"] == order for c in self.claims()), 30, "the keeper to index the claim")
        print(f"the keeper indexed it (not yet confirmed: it waits for 2 blocks); now the chain is reverted and 3 other blocks mined")
        rpc(self.rpc_url, "evm_revert", [snapshot])
        for _ in range(3):
            rpc(self.rpc_url, "evm_mine")
        wait_for(lambda: not any(c["user"] == wallet and c["orderId"] == order for c in self.claims()), 30, "the keeper to undo the reorged claim")
        status = json.loads(self.lgk("status", "--json", "--config", str(self.config)).stdout)
        print(f"the keeper undid it: claim gone from its database; reorgs recorded: {status.get('reorgs', status.get('reorgCount', '?'))}")
        self.mining.set()
        self.file_claim(user, file)

    def claims(self) -> list[dict]:
        return json.loads(self.lgk("claims", "list", "--json", "--config", str(self.config)).stdout)

    # -- 6 --------------------------------------------------------------------------------------
    def report(self) -> None:
        final = {"paid", "rejected", "failed"}
        waiting = len([file for _, file in CLAIMS if file in WAITING])
        wait_for(lambda: len(self.claims()) == len(CLAIMS + [REORGED])
                 and sum(c["state"] in final for c in self.claims()) == len(CLAIMS + [REORGED]) - waiting, 180,
                 "every claim to be settled")
        time.sleep(1.0)
        step("Each claim from request to payment (from the audit log: `lg-keeper claims show USER ORDER`)")
        for claim in self.claims():
            shown = json.loads(self.lgk("claims", "show", claim["user"], claim["orderId"], "--json", "--config", str(self.config)).stdout)
            path = " → ".join([shown["history"][0]["detail"].get("from", "requested")] +
                              [h["detail"]["to"] for h in shown["history"] if h["kind"] == "claim.transition"])
            verdict = {"paid": f"paid {self.money(shown['amount'])}", "rejected": "recorded on-chain as not liquidated",
                       "failed": f"failed: {shown.get('reason')}"}.get(shown["state"], f"waits, no verdict written: {shown.get('reason')}")
            print(f"{shown['user'][:10]}… order {shown['orderId']}: {path}  ⇒ {verdict}")
            print(f"   {DIM}request tx {shown['requestTx'][:18]}… block {shown['requestBlock']}, evidence root {str(shown['evidenceRoot'] or '—')[:18]}…{RESET}")

        step("The claims as an operator lists them (`lg-keeper claims list`)")
        print(self.lgk("claims", "list", "--config", str(self.config)).stdout.rstrip())

        step(f"Trader {SELF_REGISTERED} follows its own claim on the public listener (`GET /api/claims/WALLET/ORDER`)")
        wallet = self.deployment["users"][SELF_REGISTERED]["address"].lower()
        order = scenario(next(f for u, f in CLAIMS if u == SELF_REGISTERED))["claim"]["ordId"]
        with urllib.request.urlopen(f"{self.public}/api/claims/{wallet}/{order}", timeout=10) as response:
            print(json.dumps(json.load(response), indent=2))

        step("The evidence")
        evidence = sorted((self.work / "evidence").rglob("*.json"))
        print(f"{len(evidence)} evidence bundles under {self.work / 'evidence'} (one per verification; .root beside each)")
        paid = next(c for c in self.claims() if c["state"] == "paid")
        check = self.lgk("evidence", "verify", paid["evidenceId"], "--chain", "--config", str(self.config), check=False)
        print(f"$ lg-keeper evidence verify {paid['evidenceId']} --chain")
        print((check.stdout + check.stderr).rstrip())

        step("A /metrics excerpt (Prometheus text format 0.0.4)")
        with urllib.request.urlopen(f"{self.http}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        wanted = re.compile(r"^lgk_(head_block|indexed_block|head_lag_blocks|events|reorgs_total|reorg_depth_max|claims|tx_(sent|confirmed|reverted|bumped)_total"
                            r"|okx_requests_total|daily_payout_used|daily_payout_limit|pool_balance|signer_balance_wei|up|paused)\b")
        for line in metrics.splitlines():
            if wanted.match(line) and not line.endswith(" 0") or re.match(r"^lgk_claims\{state=\"(paid|rejected|failed)\"", line):
                print(f"  {line}")
        with urllib.request.urlopen(f"{self.http}/readyz", timeout=10) as response:
            print(f"  GET /readyz → {response.status} {response.read().decode()}")

        print(f"the pool now holds {self.money(self.pool_balance())}")

        step("Reconciliation: every claim against getClaim, events against decisions, paidToday, pool balance")
        result = self.lgk("reconcile", "--config", str(self.config), check=False)
        print((result.stdout + result.stderr).rstrip())
        print(f"exit {result.returncode}")
        audit = self.lgk("audit", "verify", "--config", str(self.config), check=False)
        print((audit.stdout + audit.stderr).rstrip())
        if result.returncode != 0 or audit.returncode != 0:
            raise SystemExit("demo: reconciliation or audit not clean")

    def console(self) -> None:
        step("The operator console (console.enabled): claims, payouts, health, the order verifier")
        print(f"console: {self.http}/console/ — operator {self.operator}, password {self.operator_password}", flush=True)
        if sys.stdin.isatty():
            try:
                input("the chain, okxsim and the keeper keep serving it: press Enter to stop the demo ")
            except (EOFError, KeyboardInterrupt):
                print()

    def stop(self) -> None:
        step("Stopping")
        if getattr(self, "keeper_process", None) and self.keeper_process.poll() is None:
            self.keeper_process.send_signal(signal.SIGTERM)
            print(f"lg-keeper run exited {self.keeper_process.wait(timeout=30)} on SIGTERM")
        self.mining.clear()
        self.processes.stop_all()
        print(f"work directory kept: {self.work} (keeper.sqlite, evidence/, keeper.log)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keeper", default=str(ROOT / ".build/debug/lg-keeper"))
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="lgk-demo."))
    work.mkdir(parents=True, exist_ok=True)
    demo = Demo(args.keeper, work)
    try:
        demo.start_chain_and_exchange()
        demo.verify_every_scenario()
        demo.configure_keeper()
        demo.run_keeper()
        demo.reorg()
        demo.report()
        demo.console()
    finally:
        demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
