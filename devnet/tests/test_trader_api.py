"""Traders register their own read-only OKX key (issue 18), through `lg-keeper run` on devnode and okxsim.

One keeper with a public listener (`http.publicListen`, loopback over TLS with a certificate made for
the test) beside its operations listener, shared by the module's tests, which run in order. Traders
the operator never met sign EIP-4361 challenges with eth-account (`personal_sign`, EIP-191) and
register keys over HTTPS; claims are filed on-chain and followed through `GET /api/claims/...`.

okxsim answers `GET /api/v5/account/config` with `perm` as OKX documents it: "The permission of the
current requesting API key or Access token: read_only: Read, trade: Trade, withdraw: Withdraw"
(https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
import requests
from eth_account import Account
from eth_account.messages import encode_defunct

from conftest import (DEVNET_DIR, Devnode, keeper_config, leverage_guard, listening, run_devnode, running_keeper, running_okxsim,
                      transact, wait_for)

sys.path.insert(0, str(DEVNET_DIR))
from demo import base_units, scenario  # noqa: E402  (needs the path above)

KEEPER = Path(os.environ.get("LGK_KEEPER", DEVNET_DIR.parent / ".build" / "debug" / "lg-keeper"))
VAULT_KEY = "ef" * 32  # dev only, passed in the environment
DOMAIN = "keeper.test"
ORIGIN = "https://app.leverageguard.test"
POLICY = {"coverageBps": 5000, "maxPayoutPerClaim": "50", "dailyLimit": "100", "minPoolReserve": "0", "reviewAbove": "1000"}
SETTLE_S = 120
# (devnet user, okxsim scenario) of each trader; none of them is in the vault before the tests.
PAID = (0, "01-full-liquidation-long.json")
REMOVED = (1, "02-full-liquidation-short.json")
TRADE = (2, "26-trade-key.json")  # its account has a read-only key and a trade-enabled one (extraKeys)
WITHDRAW = (3, "27-withdraw-key.json")  # a read-only key, a withdraw-enabled one, one that can do all
REFUSED = (4, "05-manual-close-loss.json")

pytestmark = pytest.mark.skipif(not KEEPER.is_file(), reason=f"no keeper binary at {KEEPER} (swift build)")


def sign(account, message: str) -> str:
    """What a wallet's `personal_sign` returns: EIP-191 version 0x45, 65 bytes r‖s‖v as 0x-hex."""
    return "0x" + bytes(Account.sign_message(encode_defunct(text=message), private_key=account.key).signature).hex()


@dataclass
class Trader:
    index: int
    file: str
    account: object

    @property
    def wallet(self) -> str:
        return self.account.address.lower()

    @property
    def key(self) -> dict:
        return scenario(self.file)["account"]

    @property
    def order(self) -> str:
        return scenario(self.file)["claim"]["ordId"]

    def extra_keys(self) -> list[dict]:
        """The account's other keys (okxsim's `extraKeys`): trade- or withdraw-enabled."""
        return self.key.get("extraKeys", [])

    def credentials(self, key: dict | None = None, **changes) -> dict:
        key = key or self.key
        return {"apiKey": key["apiKey"], "secretKey": key["secretKey"], "passphrase": key["passphrase"], "region": "www", **changes}


@dataclass
class Stack:
    node: Devnode
    work: Path
    config: Path
    env: dict
    public: str  # https://127.0.0.1:PORT
    operations: str  # http://127.0.0.1:PORT
    ca: Path
    keeper_log: Path
    contract: object
    answers: list = field(default_factory=list)  # every answer of the public listener, headers and body

    def trader(self, pair: tuple[int, str]) -> Trader:
        return Trader(pair[0], pair[1], self.node.account("user", pair[0]))

    def call(self, method: str, path: str, body: dict | None = None, **headers) -> requests.Response:
        answer = requests.request(method, self.public + path, json=body, headers=headers, verify=str(self.ca), timeout=30)
        self.answers.append(str(answer.headers).encode() + answer.content)
        return answer

    def lgk(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(KEEPER), *args, "--config", str(self.config)], capture_output=True, text=True, env=self.env, timeout=60)
        assert result.returncode == 0, f"lg-keeper {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}"
        return result

    def challenge(self, trader: Trader, action: str = "register", **changes) -> dict:
        body = {"wallet": trader.account.address, "apiKey": trader.key["apiKey"], "region": "www", **changes}
        if action != "register":
            body["action"] = action
        answer = self.call("POST", "/api/keys/challenge", body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def register(self, trader: Trader, *, signer=None, challenge: dict | None = None, key: dict | None = None, **changes) -> requests.Response:
        credentials = trader.credentials(key, **changes)
        challenge = challenge or self.challenge(trader, apiKey=credentials["apiKey"])
        body = {"wallet": trader.account.address, **credentials, "nonce": challenge["nonce"],
                "signature": sign(signer or trader.account, challenge["message"])}
        return self.call("POST", "/api/keys", body)

    def file_claim(self, trader: Trader) -> None:
        c = scenario(trader.file)["claim"]
        principal = base_units(c["principal"], self.node.deployment["assetDecimals"])
        receipt = transact(self.node.web3(), trader.account, self.contract.functions.requestClaim(int(c["ordId"]), c["instId"], principal, c["leverage"]))
        assert receipt["status"] == 1, receipt

    def status(self, trader: Trader) -> dict | None:
        answer = self.call("GET", f"/api/claims/{trader.wallet}/{trader.order}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        return answer.json()

    def vault_wallets(self) -> set[str]:
        return {line.split()[0] for line in self.lgk("keys", "list").stdout.splitlines() if line.startswith("0x")}


def error_of(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, f"{answer.status_code} {answer.text}"
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert error["msg"] and error["hint"], error
    return error


def make_certificate(work: Path) -> tuple[Path, Path]:
    cert, key = work / "tls.crt", work / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    key.chmod(0o600)
    return cert, key


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("trader")
    keeper_log = work / "keeper.log"
    with run_devnode(work, "--pool-token", "--block-time", "0.5") as node, running_okxsim(work) as okx_url:
        cert, tls_key = make_certificate(work)
        config = keeper_config(node, work, okx_url, POLICY, vault={"masterKeyEnv": "LGK_VAULT_KEY"}, http={
            "listen": "127.0.0.1:0", "publicListen": "127.0.0.1:0", "publicDomain": DOMAIN, "publicOrigins": [ORIGIN],
            "tlsCertFile": str(cert), "tlsKeyFile": str(tls_key), "publicRateLimitPerMinute": 1000})
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LGK_VAULT_KEY": VAULT_KEY}
        with running_keeper(KEEPER, config, keeper_log, env) as keeper:
            public = listening(keeper_log, r'msg="http listening" listener=public address=(\S+)', keeper, "the public listener")
            operations = listening(keeper_log, r'msg="http listening" listener=operations address=(\S+)', keeper, "the operations listener")
            yield Stack(node=node, work=work, config=config, env=env, public=f"https://{public}", operations=f"http://{operations}", ca=cert,
                        keeper_log=keeper_log, contract=leverage_guard(node))


def test_the_public_listener_serves_none_of_the_operations_surface(stack):
    for method, path in (("GET", "/metrics"), ("GET", "/readyz"), ("GET", "/console/"), ("GET", "/console/login"), ("POST", "/api/verify")):
        answer = stack.call(method, path, {} if method == "POST" else None)
        assert answer.status_code == 404, f"{method} {path} on the public listener: {answer.status_code}"
    assert requests.get(stack.operations + "/metrics", timeout=10).status_code == 200
    # Plain HTTP to the TLS port is no answer at all.
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(stack.public.replace("https://", "http://") + "/api/claims/0x0/1", timeout=10)


def test_cors_answers_only_the_listed_origins(stack):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    listed = requests.options(stack.public + "/api/keys/challenge", headers={"Origin": ORIGIN, **preflight}, verify=str(stack.ca), timeout=10)
    assert listed.status_code in (200, 204), listed.text
    assert listed.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "POST" in listed.headers.get("Access-Control-Allow-Methods", "")
    other = requests.options(stack.public + "/api/keys/challenge", headers={"Origin": "https://evil.test", **preflight},
                             verify=str(stack.ca), timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_challenge_is_an_eip4361_message_naming_the_key_and_contract(stack):
    trader = stack.trader(PAID)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    challenge = stack.challenge(trader)
    lines = challenge["message"].split("\n")
    # EIP-4361's layout: "${domain} wants you to sign in with your Ethereum account:", the EIP-55 address, a blank
    # line, the statement, a blank line, then URI, Version, Chain ID, Nonce, Issued At, Expiration Time.
    assert lines[0] == f"{DOMAIN} wants you to sign in with your Ethereum account:"
    assert lines[1] == trader.account.address  # checksummed, as eth-account gives it
    assert lines[2] == "" and lines[4] == ""
    statement = lines[3]
    assert trader.key["apiKey"] in statement and "region www" in statement and "read-only" in statement
    assert stack.node.deployment["contract"] in statement
    assert trader.key["secretKey"] not in challenge["message"] and trader.key["passphrase"] not in challenge["message"]
    fields = dict(line.split(": ", 1) for line in lines[5:])
    assert fields["URI"] == f"https://{DOMAIN}/api/keys"
    assert fields["Version"] == "1"
    assert fields["Chain ID"] == str(stack.node.deployment["chainId"])
    assert fields["Nonce"] == challenge["nonce"] and re.fullmatch(r"[0-9a-f]{32}", challenge["nonce"])
    issued = datetime.fromisoformat(fields["Issued At"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(fields["Expiration Time"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=5) <= issued <= datetime.now(timezone.utc)
    assert expires - issued == timedelta(minutes=10)
    assert challenge["expiresAt"] == fields["Expiration Time"]
    assert stack.challenge(trader)["nonce"] != challenge["nonce"]  # one-time nonces


def test_a_trader_never_met_registers_a_read_only_key_and_is_paid_with_no_operator(stack):
    trader = stack.trader(PAID)
    assert trader.wallet not in stack.vault_wallets()
    answer = stack.register(trader)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"wallet": trader.wallet, "apiKey": trader.key["apiKey"], "region": "www", "resumedClaims": 0}
    assert trader.wallet in stack.vault_wallets()
    stack.file_claim(trader)
    paid = wait_for(lambda: (s := stack.status(trader)) and s["state"] == "paid" and s["evidence"] and s["evidence"]["chain"] == "match" and s,
                    SETTLE_S, lambda: f"the claim paid, its root on chain; status {stack.status(trader)}")
    s = scenario(trader.file)
    expected = min(Decimal(s["expect"]["loss"]), Decimal(s["claim"]["principal"]), Decimal(POLICY["maxPayoutPerClaim"])) * POLICY["coverageBps"] / 10_000
    assert Decimal(paid["amount"]) == expected and paid["currency"] == stack.node.deployment["assetSymbol"]
    assert paid["liquidated"] is True and paid["next"]["step"] == "nothing"
    on_chain = stack.contract.functions.getClaim(trader.account.address, int(trader.order)).call()
    assert on_chain[6] is True and "0x" + on_chain[7].hex() == paid["evidence"]["root"]
    receipts = {name: stack.node.web3().eth.get_transaction_receipt(paid[name]) for name in ("verdictTx", "payoutTx")}
    assert all(r["status"] == 1 for r in receipts.values())
    history = stack.lgk("claims", "show", trader.wallet, trader.order).stdout
    assert "approve" not in history and "operator" not in history.lower()


def test_a_replayed_signature_is_refused(stack):
    trader = stack.trader(PAID)
    challenge = stack.challenge(trader)
    assert stack.register(trader, challenge=challenge).status_code == 200
    error = error_of(stack.register(trader, challenge=challenge), 401, "NONCE_USED")
    assert "challenge" in error["hint"]


def test_a_stale_signature_is_refused(stack):
    trader = stack.trader(PAID)
    challenge = stack.challenge(trader)
    # Ten minutes pass: the challenge's expiry is moved into the past in the keeper's own database.
    with sqlite3.connect(stack.work / "keeper.sqlite", timeout=30) as db:
        db.execute("UPDATE trader_challenges SET expires_at = expires_at - 600001 WHERE nonce = ?", (challenge["nonce"],))
    error = error_of(stack.register(trader, challenge=challenge), 401, "NONCE_EXPIRED")
    assert "10 minutes" in error["hint"]
    error_of(stack.register(trader, challenge={**challenge, "nonce": "0" * 32}), 401, "NONCE_UNKNOWN")


def test_a_signature_by_another_wallet_is_refused_and_stores_nothing(stack):
    victim, other = stack.trader(REFUSED), stack.trader(WITHDRAW)
    challenge = stack.challenge(victim)
    error = error_of(stack.register(victim, challenge=challenge, signer=other.account), 401, "BAD_SIGNATURE")
    assert other.account.address in error["msg"] and "wallet" in error["hint"]
    assert victim.wallet not in stack.vault_wallets()
    garbled = {"wallet": victim.account.address, **victim.credentials(), "nonce": challenge["nonce"], "signature": "0x1234"}
    error_of(stack.call("POST", "/api/keys", garbled), 401, "BAD_SIGNATURE")


def test_a_key_okx_refuses_is_refused_with_the_okx_code(stack):
    trader = stack.trader(REFUSED)
    error = error_of(stack.register(trader, passphrase="not-the-passphrase"), 422, "AUTH_ERROR")
    assert "50105" in error["msg"]
    assert trader.wallet not in stack.vault_wallets()


@pytest.mark.parametrize("pair", [TRADE, WITHDRAW])
def test_a_key_that_can_trade_or_withdraw_is_refused_and_not_stored(stack, pair):
    trader = stack.trader(pair)
    assert trader.extra_keys()
    for key in trader.extra_keys():
        error = error_of(stack.register(trader, key=key), 422, "KEY_NOT_READ_ONLY")
        powers = [p for p in key["permissions"] if p != "read_only"]
        assert powers and all(p in error["msg"] for p in powers) and "Read" in error["hint"], (key["name"], error)
        assert trader.wallet not in stack.vault_wallets()


def test_after_delete_a_claim_waits_for_a_key_and_resumes_when_one_is_registered(stack):
    trader = stack.trader(REMOVED)
    assert stack.register(trader).status_code == 200
    challenge = stack.challenge(trader, action="remove")
    assert "remove" in challenge["message"].split("\n")[3]
    removal = {"wallet": trader.account.address, "apiKey": trader.key["apiKey"], "nonce": challenge["nonce"], "signature": sign(trader.account, challenge["message"])}
    error_of(stack.call("POST", "/api/keys", {**trader.credentials(), **removal}), 401, "CHALLENGE_MISMATCH")  # a remove challenge registers nothing
    answer = stack.call("DELETE", "/api/keys", removal)
    assert answer.status_code == 200, answer.text
    assert trader.wallet not in stack.vault_wallets()
    stack.file_claim(trader)
    waiting = wait_for(lambda: (s := stack.status(trader)) and s["state"] == "needs_key" and s, SETTLE_S,
                       lambda: f"the claim waiting in needs_key; status {stack.status(trader)}")
    assert waiting["next"]["step"] == "register_key"
    again = stack.register(trader)
    assert again.status_code == 200 and again.json()["resumedClaims"] == 1, again.text
    wait_for(lambda: (s := stack.status(trader)) and s["state"] == "paid", SETTLE_S, lambda: f"the claim paid; status {stack.status(trader)}")
    with sqlite3.connect(stack.work / "keeper.sqlite", timeout=30) as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM audit_log WHERE subject = ? ORDER BY id", (trader.wallet,))]
    assert kinds.count("keys.registered") == 2 and kinds.count("keys.removed") == 1, kinds


def test_the_evidence_bundle_goes_only_to_the_wallet(stack):
    trader, other = stack.trader(PAID), stack.trader(TRADE)
    status = stack.status(trader)
    assert status and status["evidence"]["root"]
    path = f"/api/claims/{trader.wallet}/{trader.order}"
    assert stack.call("GET", path + "/evidence").status_code == 405
    challenge = stack.call("POST", path + "/challenge").json()
    error_of(stack.call("POST", path + "/evidence", {"nonce": challenge["nonce"], "signature": sign(other.account, challenge["message"])}),
             401, "BAD_SIGNATURE")
    bundle = stack.call("POST", path + "/evidence", {"nonce": challenge["nonce"], "signature": sign(trader.account, challenge["message"])})
    assert bundle.status_code == 200, bundle.text
    assert bundle.json()["evidence"]["root"] == status["evidence"]["root"]
    error_of(stack.call("GET", f"/api/claims/{trader.wallet}/123456789"), 404, "CLAIM_NOT_FOUND")
    error_of(stack.call("GET", "/api/claims/0xnot-a-wallet/1"), 400, "BAD_REQUEST")


def test_no_secret_of_a_registered_key_is_in_logs_database_metrics_or_answers(stack):
    secrets = []
    for pair in (PAID, REMOVED, TRADE, WITHDRAW):
        account = scenario(pair[1])["account"]
        for key in [account, *account.get("extraKeys", [])]:
            secrets += [key["secretKey"], key["passphrase"]]
    assert len(stack.answers) > 30
    places = {"keeper log": stack.keeper_log.read_bytes(), "metrics": requests.get(stack.operations + "/metrics", timeout=10).content,
              "trader API's answers": b"\n".join(stack.answers)}
    for path in stack.work.glob("keeper.sqlite*"):
        places[path.name] = path.read_bytes()
    for path in (stack.work / "evidence").rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes()
    for name, content in places.items():
        for secret in secrets:
            assert secret.encode() not in content, f"a secret of a registered key is in the {name}"
    # The API key is no secret (the challenge names it) but is not kept in clear either: the vault seals it.
    for name in (p for p in places if p.startswith("keeper.sqlite")):
        assert scenario(PAID[1])["account"]["apiKey"].encode() not in places[name], f"the API key is in clear in {name}"
