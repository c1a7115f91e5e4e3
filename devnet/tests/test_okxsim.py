"""The OKX v5 simulator: signatures, OKX's error codes, rate limits, paging, faults, scenarios."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

DEVNET = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, DEVNET)

import okx_scenarios  # noqa: E402  (needs the path above)
import okxsim  # noqa: E402

ALICE = dict(key="a7c4e0f2-3b1d-4c5e-9f6a-01d2e3f4a5b1", secret="5F0A8C4E2B7D9A1C3E6F8B0D2A4C6E81", passphrase="Alice-dev-only-1")
BOB = dict(key="b1d2e3f4-5a6b-4c7d-8e9f-02a3b4c5d6e2", secret="6A1B9D5F3C8E0B2D4F7A9C1E3B5D7F92", passphrase="Bob-dev-only-2")
GRACE = dict(key="a6c7d8e9-af01-4c12-d3e4-07f8a9b0c1d7", secret="BF6AE2A485BD37C9ECF4B6D8A0C2E4F7", passphrase="Grace-dev-only-7")
KEN = dict(key="eafb0c1d-3445-4a56-b7c8-0bd2e3f4a5b1", secret="F3AEC6E8C9F17B0D2038FA1CE4A6C8DB", passphrase="Ken-dev-only-11")
LENA = dict(key="fb0c1d2e-4556-4b67-c8d9-0ce3f4a5b6c2", secret="04BFD7F9DA028C1E3149AB2DF5B7D9EC", passphrase="Lena-dev-only-12")
MIKE = dict(key="0c1d2e3f-5667-4c78-d9ea-0df4a5b6c7d3", secret="15C0E80AEB139D2F425ABC3E06C8EAFD", passphrase="Mike-dev-only-13")
NINA = dict(key="1d2e3f4a-6778-4d89-eafb-0ea5b6c7d8e4", secret="26D1F91BFC24AE30536BCD4F17D9FB0E", passphrase="Nina-dev-only-14")
ALICE_ORDER = "/api/v5/trade/order?ordId=2940071038556348417&instId=BTC-USDT-SWAP"
# Accounts whose keys can do more than read (devnet/scenarios/26-trade-key.json, 27-withdraw-key.json).
ZANE = dict(key="bc1d2e3f-1233-4d8e-9fa0-19f60718293f", secret="C0D1E2F3A4B5C6D7E8F90A1B2C3D4E5F", passphrase="Zane-dev-only-26")
ZANE_TRADE = dict(key="bc1d2e3f-1233-4d8e-9fa0-19f607182940", secret="C1D2E3F4A5B6C7D8E9F00A1B2C3D4E5F", passphrase="Zane-trade-26")
ZELDA = dict(key="cd2e3f4a-2344-4e9f-a0b1-1a0718293a50", secret="D1E2F3A4B5C6D7E8F90A1B2C3D4E5F60", passphrase="Zelda-dev-only-27")
ZELDA_WITHDRAW = dict(key="cd2e3f4a-2344-4e9f-a0b1-1a0718293a51", secret="D2E3F4A5B6C7D8E9F00A1B2C3D4E5F61",
                      passphrase="Zelda-withdraw-27")
ZELDA_ALL = dict(key="cd2e3f4a-2344-4e9f-a0b1-1a0718293a52", secret="D3E4F5A6B7C8D9E0F10A1B2C3D4E5F62", passphrase="Zelda-all-27")
ACCOUNT_CONFIG = "/api/v5/account/config"
# OKX's documented answer of GET /api/v5/account/config ("Response Example",
# https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration, read 2026).
DOCUMENTED_ACCOUNT_CONFIG = {
    "acctLv": "2", "acctStpMode": "cancel_maker", "autoLoan": False, "ctIsoMode": "automatic", "enableSpotBorrow": False,
    "greeksType": "PA", "feeType": "0", "ip": "", "type": "0", "kycLv": "3", "label": "v5 test", "level": "Lv1",
    "levelTmp": "", "liquidationGear": "-1", "mainUid": "44705892343619584", "mgnIsoMode": "automatic", "opAuth": "1",
    "perm": "read_only,withdraw,trade", "posMode": "long_short_mode", "roleType": "0", "spotBorrowAutoRepay": False,
    "spotOffsetType": "", "spotRoleType": "0", "spotTraderInsts": [], "stgyType": "0", "traderInsts": [],
    "uid": "44705892343619584", "settleCcy": "USDC", "settleCcyList": ["USD", "USDC", "USDG"],
}


def okx_timestamp(ms=None):
    ms = int(time.time() * 1000) if ms is None else ms
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


class Sim:
    """A simulator served from a thread of this process, and a small client for it."""

    def __init__(self, still_clock=False, **options):
        self.server = okxsim.make_server(**options)
        if still_clock:
            # Windows, skew periods and delays on a clock that moves only by `advance`, from the simulator's
            # start: a loaded machine's pauses cannot run them out between a test's requests.
            simulator = self.server.sim
            self.now = simulator.started
            simulator.monotonic = lambda: self.now
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def request(self, path, method="GET", body=None, headers=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text.decode()

    def get(self, path, account=ALICE, timestamp=None, secret=None, passphrase=None, simulated=False, omit=()):
        timestamp = timestamp or okx_timestamp()
        headers = {"OK-ACCESS-KEY": account["key"],
                   "OK-ACCESS-SIGN": okxsim.sign(secret or account["secret"], timestamp, "GET", path),
                   "OK-ACCESS-TIMESTAMP": timestamp,
                   "OK-ACCESS-PASSPHRASE": passphrase or account["passphrase"]}
        if simulated:
            headers["x-simulated-trading"] = "1"
        for name in omit:
            headers.pop(name)
        return self.request(path, headers=headers)

    def fault(self, **spec):
        assert self.request("/sim/faults", "POST", spec)[0] == 200

    def advance(self, seconds):
        self.now += seconds

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        okxsim.close_regions(self.server)


@pytest.fixture(scope="module")
def sim():
    server = Sim()
    yield server
    server.close()


@pytest.fixture
def still_sim():
    """A simulator of the test's own whose clock stands still (see Sim): its 2-second rate windows hold
    however long a loaded machine takes over a test's requests."""
    server = Sim(still_clock=True)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def fresh(request):
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").request("/sim/reset", "POST", {})


# Signing [overview-rest-authentication]: OKX's known answers (shared/OKX.md).

@pytest.mark.parametrize("path, expected", [
    ("/api/v5/account/balance?ccy=BTC", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
    ("/api/v5/trade/order?ordId=680800019749904384&instId=BTC-USDT", "/OJUZK6ukjVJUGx9U0OheAtOmW2GkdJ7clAs8OK5fds="),
])
def test_signature_known_answers(path, expected):
    secret, timestamp = "22582BD0CFF14C41EDBF1AB98506286D", "2020-12-08T09:08:57.715Z"
    assert okxsim.sign(secret, timestamp, "GET", path) == expected
    assert okxsim.verify_signature(secret, timestamp, "get", path, "", expected)
    assert not okxsim.verify_signature(secret, timestamp, "GET", path.split("?")[0], "", expected)


def test_timestamps_parse_strictly():
    assert okxsim.parse_timestamp("2020-12-08T09:08:57.715Z") == 1607418537715
    for bad in ("2020-12-08T09:08:57Z", "2020-12-08 09:08:57.715Z", "1607418537715", "2020-13-08T09:08:57.715Z", ""):
        assert okxsim.parse_timestamp(bad) is None


def test_signed_order_request_answers_okx_fields(sim):
    status, body = sim.get(ALICE_ORDER)
    assert status == 200 and body["code"] == "0" and body["msg"] == ""
    [order] = body["data"]
    for field in "ordId instId side posSide tdMode px sz avgPx accFillSz fillTime state lever fee feeCcy pnl category cTime uTime".split():
        assert isinstance(order[field], str), field
    assert order["ordId"] == "2940071038556348417" and order["px"] == "" and order["category"] == "normal"
    assert order["cTime"].isdigit() and len(order["cTime"]) == 13


@pytest.mark.parametrize("change, code", [
    (dict(secret="00000000000000000000000000000000"), "50113"),
    (dict(passphrase="not-the-passphrase"), "50105"),
    (dict(account=dict(ALICE, key="00000000-0000-4000-8000-000000000000")), "50111"),
    (dict(skew_ms=-31_000), "50102"),  # the timestamp is made when the request is sent, not at collection
    (dict(skew_ms=31_000), "50102"),
    (dict(timestamp="2020-12-08T09:08:57Z"), "50112"),
    (dict(omit=["OK-ACCESS-KEY"]), "50103"),
    (dict(omit=["OK-ACCESS-PASSPHRASE"]), "50104"),
    (dict(omit=["OK-ACCESS-SIGN"]), "50106"),
    (dict(omit=["OK-ACCESS-TIMESTAMP"]), "50107"),
    (dict(account=NINA), "50110"),
    (dict(account=LENA), "50101"),
    (dict(simulated=True), "50101"),
])
def test_authentication_failures_answer_401_with_okx_codes(sim, change, code):
    """Codes and statuses of https://www.okx.com/docs-v5/en/#error-code-rest-api-public (API class)."""
    change = dict(change)
    if "skew_ms" in change:
        change["timestamp"] = okx_timestamp(int(time.time() * 1000) + change.pop("skew_ms"))
    status, body = sim.get(ALICE_ORDER, **change)
    assert (status, body["code"]) == (401, code)
    assert "data" not in body, "OKX's gateway answers auth failures without data"


@pytest.mark.parametrize("account, code, message", [
    (MIKE, "50120", "This API key doesn't have permission to use this function"),
])
def test_key_errors_documented_with_http_200(sim, account, code, message):
    """https://www.okx.com/docs-v5/en/#error-code-rest-api-public: "50119 | 200 | API key doesn't exist",
    "50120 | 200 | This API key doesn't have permission to use this function"."""
    assert sim.get(ALICE_ORDER, account=account) == (200, {"code": code, "msg": message, "data": []})


def test_timestamps_within_30_seconds_are_accepted(sim):
    assert sim.get(ALICE_ORDER, timestamp=okx_timestamp(int(time.time() * 1000) - 25_000))[1]["code"] == "0"


def test_demo_key_works_with_the_simulated_trading_header(sim):
    path = "/api/v5/trade/order?ordId=2974000111222333440&instId=BTC-USDT-SWAP"
    assert sim.get(path, account=LENA, simulated=True)[1]["code"] == "0"


@pytest.mark.parametrize("path, status, code", [
    ("/api/v5/trade/order?ordId=1111111111111111111&instId=BTC-USDT-SWAP", 200, "51603"),
    ("/api/v5/trade/order?ordId=2940071038556348417&instId=ETH-USDT-SWAP", 200, "51603"),
    ("/api/v5/trade/order?ordId=2940071038556348417&instId=XYZ-USDT-SWAP", 200, "51001"),
    ("/api/v5/trade/order?ordId=2940071038556348417", 400, "50014"),
    ("/api/v5/trade/order?ordId=29400x&instId=BTC-USDT-SWAP", 400, "51000"),
    ("/api/v5/account/positions-history?limit=101", 400, "51000"),
    ("/api/v5/account/positions-history?after=yesterday", 400, "51000"),
    ("/api/v5/account/positions-history?instType=SPOT", 400, "51000"),
    ("/api/v5/trade/fills-history?instId=BTC-USDT-SWAP", 400, "50014"),
])
def test_request_errors(sim, path, status, code):
    answer_status, body = sim.get(path)
    assert (answer_status, body["code"], body["data"]) == (status, code, [])


def test_order_of_another_account_does_not_exist_for_this_key(sim):
    heidis = "/api/v5/trade/order?ordId=2972777888999000064&instId=BTC-USDT-SWAP"
    status, body = sim.get(heidis, account=GRACE)
    assert (status, body["code"], body["msg"]) == (200, "51603", "Order does not exist.")
    assert sim.server.sim.world.order_id_exists_elsewhere("2972777888999000064")


def test_public_endpoints_need_no_signature(sim):
    status, body = sim.request("/api/v5/public/instruments?instType=SWAP&instId=BTC-USDT-SWAP")
    [instrument] = body["data"]
    assert (instrument["ctVal"], instrument["ctMult"], instrument["ctValCcy"], instrument["settleCcy"], instrument["ctType"]) \
        == ("0.01", "1", "BTC", "USDT", "linear")
    assert sim.request("/api/v5/public/instruments?instType=SWAP&instId=NOPE-USDT-SWAP")[1]["code"] == "51001"
    assert sim.request("/api/v5/public/instruments")[1]["code"] == "50014"
    before = int(time.time() * 1000)
    ts = int(sim.request("/api/v5/public/time")[1]["data"][0]["ts"])
    assert before - 1000 <= ts <= int(time.time() * 1000) + 1000


def test_unknown_paths_and_methods(sim):
    assert sim.request("/api/v5/nope")[0] == 404
    status, body = sim.request("/api/v5/public/time", "POST", {})
    assert (status, body["code"]) == (405, "50115")


# Rate limits: per user (or IP) and endpoint, 2-second windows.

def test_positions_history_allows_10_per_2_seconds_per_user(still_sim):
    sim = still_sim
    path = "/api/v5/account/positions-history?instType=SWAP"
    codes = [sim.get(path)[1]["code"] for _ in range(10)]
    status, body = sim.get(path)
    assert codes == ["0"] * 10 and (status, body["code"]) == (429, "50011")
    assert sim.get(path, account=BOB)[1]["code"] == "0", "another user has their own window"
    hits = sim.request(f"/sim/hits?apiKey={ALICE['key']}")[1]["endpoints"]["/api/v5/account/positions-history"]
    assert (hits["count"], hits["ok"], hits["limited"]) == (11, 10, 1)


def test_trade_order_limit_is_per_user_and_instrument(still_sim):
    sim = still_sim
    for _ in range(60):
        assert sim.get(ALICE_ORDER)[1]["code"] == "0"
    assert sim.get(ALICE_ORDER)[1]["code"] == "50011"
    other_instrument = "/api/v5/trade/order?ordId=1&instId=ETH-USDT-SWAP"
    assert sim.get(other_instrument)[1]["code"] == "51603"


def test_rate_window_slides(still_sim):
    path = "/api/v5/trade/fills-history?instType=SWAP"
    for _ in range(10):
        assert still_sim.get(path)[1]["code"] == "0"
    assert still_sim.get(path)[1]["code"] == "50011"
    still_sim.advance(1.95)
    assert still_sim.get(path)[1]["code"] == "50011", "still within the 2 s window"
    still_sim.advance(0.1)
    assert still_sim.get(path)[1]["code"] == "0"


# Paging.

def test_positions_history_pages_newest_first_on_utime(sim):
    seen, after = [], None
    for _ in range(5):
        path = "/api/v5/account/positions-history?instType=SWAP&instId=BTC-USDT-SWAP&limit=100"
        page = sim.get(path + (f"&after={after}" if after else ""), account=KEN)[1]["data"]
        seen += page
        if len(page) < 100:
            break
        after = page[-1]["uTime"]
    times = [int(p["uTime"]) for p in seen]
    assert len(seen) == 231 and times == sorted(times, reverse=True) and len({p["posId"] for p in seen}) == 231
    assert seen[-1]["type"] == "3" and seen[-1]["posId"] == "1745500000000000001"
    newest = sim.get(f"/api/v5/account/positions-history?before={times[3]}", account=KEN)[1]["data"]
    assert [int(p["uTime"]) for p in newest] == times[:3]
    between = sim.get(f"/api/v5/account/positions-history?after={times[10]}&before={times[20]}", account=KEN)[1]["data"]
    assert [int(p["uTime"]) for p in between] == times[11:20]
    default = sim.get("/api/v5/account/positions-history?instType=SWAP", account=KEN)[1]["data"]
    assert len(default) == 100


def test_positions_history_filters(sim):
    liquidations = sim.get("/api/v5/account/positions-history?type=3", account=KEN)[1]["data"]
    assert [p["posId"] for p in liquidations] == ["1745500000000000001"]
    assert sim.get("/api/v5/account/positions-history?mgnMode=isolated", account=KEN)[1]["data"] == liquidations
    assert sim.get("/api/v5/account/positions-history?instId=ETH-USDT-SWAP", account=KEN)[1]["data"] == []


def test_fills_windows_and_negative_trade_ids(sim):
    recent = sim.get("/api/v5/trade/fills?instType=SWAP")[1]["data"]
    assert [f["tradeId"] for f in recent] == ["-1187790455"], "the 3-day fills window excludes the older open fill"
    assert recent[0]["subType"] == "104"
    history = sim.get("/api/v5/trade/fills-history?instType=SWAP")[1]["data"]
    assert [f["ordId"] for f in history] == ["2940455327716859904", "2940071038556348417"]
    older = sim.get(f"/api/v5/trade/fills-history?instType=SWAP&after={history[0]['billId']}")[1]["data"]
    assert older == history[1:]
    by_order = sim.get("/api/v5/trade/fills-history?instType=SWAP&ordId=2940071038556348417")[1]["data"]
    assert len(by_order) == 1 and by_order[0]["subType"] == "3"


# Faults and the admin endpoints.

@pytest.mark.parametrize("mode, status, code", [
    ("429", 429, "50011"), ("50011", 200, "50011"), ("50013", 429, "50013"), ("50001", 503, "50001"),
    ("50026", 500, "50026"), ("50004", 400, "50004"), ("500", 500, None), ("503", 503, None),
])
def test_faults_answer_like_okx(sim, mode, status, code):
    sim.fault(endpoint="/api/v5/trade/order", mode=mode, count=2)
    for _ in range(2):
        answer_status, body = sim.get(ALICE_ORDER)
        assert answer_status == status
        assert (body["code"] if code else body.startswith("<html>")) == (code or True)
    assert sim.get(ALICE_ORDER)[1]["code"] == "0", "the fault is used up after `count` requests"
    hits = sim.request("/sim/hits?endpoint=/api/v5/trade/order")[1]
    assert hits["endpoints"]["/api/v5/trade/order"]["faulted"] == 2 and hits["total"] == 3


def test_faults_can_target_one_api_key_and_any_endpoint(sim):
    sim.fault(endpoint="*", mode="503", count=5, apiKey=BOB["key"])
    assert sim.get(ALICE_ORDER)[1]["code"] == "0"
    assert sim.get("/api/v5/account/positions-history", account=BOB)[0] == 503


def test_latency_delays_then_answers(sim):
    sim.fault(endpoint="/api/v5/public/time", mode="latency", latencyMs=300)
    started = time.monotonic()
    assert sim.request("/api/v5/public/time")[1]["code"] == "0"
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("mode", ["timeout", "drop"])
def test_timeout_and_drop_close_without_an_answer(sim, mode):
    sim.fault(endpoint="/api/v5/public/time", mode=mode, latencyMs=100)
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        sim.request("/api/v5/public/time", timeout=5)


def test_bad_fault_specs_are_refused(sim):
    assert sim.request("/sim/faults", "POST", {"endpoint": "*", "mode": "explode"})[0] == 400
    assert sim.request("/sim/faults")[1] == {"faults": []}


def test_reset_clears_faults_hits_and_limits(sim):
    sim.fault(endpoint="*", mode="503", count=10)
    sim.request("/sim/reset", "POST", {})
    assert sim.get(ALICE_ORDER)[1]["code"] == "0"
    assert sim.request("/sim/hits")[1]["total"] == 1


def test_max_in_window_counts_arrivals(still_sim):
    sim = still_sim
    for _ in range(4):
        sim.request("/api/v5/public/time")
    endpoint = sim.request("/sim/hits")[1]["endpoints"]["/api/v5/public/time"]
    assert (endpoint["count"], endpoint["maxInWindow"]) == (4, 4)


def test_clock_skew():
    skewed = Sim(clock_skew_ms=60_000)
    try:
        assert skewed.get(ALICE_ORDER)[1]["code"] == "50102"
        assert skewed.get(ALICE_ORDER, timestamp=okx_timestamp(int(time.time() * 1000) + 60_000))[1]["code"] == "0"
        skewed.request("/sim/clock", "POST", {"skewMs": 0})
        assert skewed.get(ALICE_ORDER)[1]["code"] == "0"
        ts = int(skewed.request("/api/v5/public/time")[1]["data"][0]["ts"])
        assert abs(ts - time.time() * 1000) < 5_000
    finally:
        skewed.close()


def test_the_command_line_server_starts_and_stops_with_its_parent():
    process = subprocess.Popen([sys.executable, os.path.join(DEVNET, "okxsim.py"), "--port", "0"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("okxsim listening on http://127.0.0.1:")
        process.stdin.close()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()


# account/config: the key's permissions (perm), as OKX documents the answer.

def test_account_config_answers_the_documented_fields(sim):
    status, body = sim.get(ACCOUNT_CONFIG)
    assert (status, body["code"], body["msg"]) == (200, "0", "")
    [config] = body["data"]
    assert set(config) == set(DOCUMENTED_ACCOUNT_CONFIG)
    for name, documented in DOCUMENTED_ACCOUNT_CONFIG.items():
        assert type(config[name]) is type(documented), name
    assert config["uid"] == config["mainUid"] == "448190362870112256" and config["type"] == "0", "alice is a main account"
    assert (config["perm"], config["label"], config["ip"]) == ("read_only", "alice", "")
    assert config["posMode"] == "long_short_mode", "the scenarios' orders carry posSide long/short"


@pytest.mark.parametrize("account, perm, label", [
    (ALICE, "read_only", "alice"),
    (ZANE, "read_only", "lg read-only"),
    (ZANE_TRADE, "read_only,trade", "lg trade key"),
    (ZELDA, "read_only", "lg read-only"),
    (ZELDA_WITHDRAW, "read_only,withdraw", "lg withdraw key"),
    (ZELDA_ALL, "read_only,trade,withdraw", "lg trade and withdraw"),
])
def test_account_config_perm_is_the_keys_own(sim, account, perm, label):
    """perm: "The permission of the current requesting API key or Access token `read_only`: Read
    `trade`: Trade `withdraw`: Withdraw" — per key: two keys of one account answer one uid, each its perm."""
    [config] = sim.get(ACCOUNT_CONFIG, account=account)[1]["data"]
    assert (config["perm"], config["label"]) == (perm, label)
    owner = {ZANE["key"]: "448190362870112281", ZANE_TRADE["key"]: "448190362870112281",
             ZELDA["key"]: "448190362870112282", ZELDA_WITHDRAW["key"]: "448190362870112282",
             ZELDA_ALL["key"]: "448190362870112282"}.get(account["key"], "448190362870112256")
    assert config["uid"] == owner


def test_account_config_names_the_whitelisted_ips_and_needs_read(sim):
    world = sim.server.sim.world
    nina = world.accounts[NINA["key"]]
    assert nina.ip_whitelist and "127.0.0.1" not in nina.ip_whitelist
    assert sim.get(ACCOUNT_CONFIG, account=NINA)[1]["code"] == "50110"
    # "Permission: Read": mike's key has only trade.
    assert sim.get(ACCOUNT_CONFIG, account=MIKE) == (200, {"code": "50120", "msg": okxsim.ERRORS["50120"][1], "data": []})


@pytest.mark.parametrize("change, code", [
    (dict(secret="00000000000000000000000000000000"), "50113"),
    (dict(passphrase="not-the-passphrase"), "50105"),
    (dict(account=dict(ZANE_TRADE, key="00000000-0000-4000-8000-000000000000")), "50111"),
    (dict(omit=["OK-ACCESS-SIGN"]), "50106"),
])
def test_account_config_refuses_bad_credentials_like_every_private_read(sim, change, code):
    status, body = sim.get(ACCOUNT_CONFIG, **dict(dict(account=ZANE_TRADE), **change))
    assert (status, body["code"]) == (401, code) and "data" not in body


def test_account_config_of_an_expired_key_answers_50119(sim):
    assert sim.request("/sim/keys", "POST", {"apiKey": ZANE["key"]})[0] == 200
    assert sim.get(ACCOUNT_CONFIG, account=ZANE) == (200, {"code": "50119", "msg": "API key doesn't exist", "data": []})
    assert sim.get(ACCOUNT_CONFIG, account=ZANE_TRADE)[1]["code"] == "0", "the account's other key still works"


def test_account_config_allows_5_per_2_seconds_per_user(still_sim):
    """"Rate Limit: 5 requests per 2 seconds", "Rate limit rule: User ID": the keys of one account share it."""
    sim = still_sim
    codes = [sim.get(ACCOUNT_CONFIG, account=ZANE_TRADE)[1]["code"] for _ in range(5)]
    status, body = sim.get(ACCOUNT_CONFIG, account=ZANE)
    assert codes == ["0"] * 5 and (status, body["code"]) == (429, "50011")
    assert sim.get(ACCOUNT_CONFIG, account=ZELDA)[1]["code"] == "0", "another user has their own window"


@pytest.mark.parametrize("account, order", [
    (ZANE_TRADE, "/api/v5/trade/order?ordId=2981000111222333441&instId=BTC-USDT-SWAP"),
    (ZELDA_WITHDRAW, "/api/v5/trade/order?ordId=2982000111222333442&instId=BTC-USDT-SWAP"),
    (ZELDA_ALL, "/api/v5/trade/order?ordId=2982000111222333442&instId=BTC-USDT-SWAP"),
])
def test_keys_that_can_trade_or_withdraw_read_too(sim, account, order):
    status, body = sim.get(order, account=account)
    assert (status, body["code"], len(body["data"])) == (200, "0", 1)


def test_scenario_listing_shows_each_keys_perm(sim):
    accounts = {a["name"]: a for a in sim.request("/sim/scenarios")[1]["accounts"]}
    assert {k["name"]: k["perm"] for k in accounts["zelda"]["keys"]} == {
        "zelda": "read_only", "zelda-withdraw": "read_only,withdraw", "zelda-all": "read_only,trade,withdraw"}
    assert accounts["alice"]["keys"][0]["perm"] == "read_only" and accounts["mike"]["keys"][0]["perm"] == "trade"


def test_scenario_permissions_are_okx_words(tmp_path):
    for permissions in (["read"], ["read_only", "read_only"], [], "read_only"):
        (tmp_path / "bad.json").write_text(json.dumps({"accounts": [
            {"uid": "1", "apiKey": "k", "secretKey": "s", "passphrase": "p", "permissions": permissions}]}))
        with pytest.raises(okx_scenarios.ScenarioError, match="permissions"):
            okx_scenarios.World.load(str(tmp_path), 0)


# The scenario files: consistent with OKX's definitions and with their stated verdicts.

@pytest.fixture(scope="module")
def world():
    return okx_scenarios.World.load(os.path.join(DEVNET, "scenarios"), WORLD_ANCHOR)


def decimal(text):
    return Decimal(text) if text else Decimal(0)


DOCS = "https://www.okx.com/docs-v5/"
REASON_OF_TYPE = {"3": "forced-liquidation", "4": "forced-liquidation", "5": "adl", "6": "adl"}


def test_the_required_scenarios_exist(world):
    names = {s["name"] for s in world.scenarios}
    assert {"full-liquidation-long", "full-liquidation-short", "partial-liquidation", "adl", "manual-close-loss",
            "position-still-open", "order-of-another-account", "liquidation-order-claimed", "claim-too-old",
            "inverse-btc-usd-swap-liquidation", "eth-usd-swap-liquidation", "adl-fully-closed", "posid-reused-first",
            "posid-reused-second", "partial-liquidation-then-manual-close", "position-visible-later", "us-key",
            "underscore-instid", "order-only-in-archive", "credential-in-answer", "key-expired-and-replaced", "trade-key",
            "withdraw-key"} <= names
    for scenario in world.scenarios:
        expect = scenario["expect"]
        assert {"liquidated", "reason", "loss", "currency"} <= set(expect), scenario["name"]
        assert expect["reason"] in ("forced-liquidation", "adl", "manual-close", "unknown")
        assert {"account", "ordId", "instId", "principal", "leverage"} <= set(scenario["claim"]), scenario["name"]


def test_new_scenarios_quote_their_source(world):
    """Each scenario from 14 on names where its rule comes from: a documentation link, or says it found none."""
    for scenario in world.scenarios:
        if int(scenario["file"][:2]) < 14:
            continue
        with open(os.path.join(DEVNET, "scenarios", scenario["file"]), encoding="utf-8") as handle:
            sources = json.load(handle)["source"]
        assert sources and all(DOCS in s or "not found" in s or "shared/OKX.md" in s for s in sources), scenario["file"]


def test_position_records_follow_okx_definitions(world):
    for account in world.all_accounts():
        for p in account.positions:
            total = decimal(p["pnl"]) + decimal(p["fee"]) + decimal(p["fundingFee"]) + decimal(p["liqPenalty"]) + decimal(p["settledPnl"])
            assert decimal(p["realizedPnl"]) == total, p["posId"]
            # triggerPx: "There is value when type is equal to 3, 4 or 5. It is "" when type is equal to 1 or 2"
            # (the documentation is silent on 6: set, as for 5).
            assert (p["triggerPx"] != "") == (p["type"] in ("3", "4", "5", "6")), p["posId"]
            assert p["type"] in okxsim.CLOSE_TYPES, p["posId"]
            # 5 "ADL - position not fully closed", 6 "ADL - position fully closed".
            if p["type"] in ("5", "6"):
                assert (decimal(p["closeTotalPos"]) == decimal(p["openMaxPos"])) == (p["type"] == "6"), p["posId"]
            assert decimal(p["liqPenalty"]) <= 0 and int(p["cTime"]) <= int(p["uTime"])
        for f in account.fills:
            forced = f["tradeId"].startswith("-")
            assert forced == (100 <= int(f["subType"]) <= 107 or 125 <= int(f["subType"]) <= 128), f["tradeId"]


def test_a_reused_posid_keeps_the_documented_30_days(world):
    """posId "will be expired if it is more than 30 days after the last full close position": a posId
    seen in two records must be two lifecycles, the later opened after the earlier closed, within 30 days."""
    for account in world.all_accounts():
        by_pos = {}
        for p in account.positions:
            by_pos.setdefault(p["posId"], []).append(p)
        for pos_id, records in by_pos.items():
            records.sort(key=lambda p: int(p["cTime"]))
            for earlier, later in zip(records, records[1:]):
                assert int(earlier["uTime"]) <= int(later["cTime"]) <= int(earlier["uTime"]) + 30 * okx_scenarios.DAY_MS, pos_id
                assert earlier["closeTotalPos"] == earlier["openMaxPos"], pos_id


def test_order_ids_are_unique_and_forced_orders_reduce_only(world):
    ids = [o["ordId"] for a in world.all_accounts() for o in a.orders]
    assert len(ids) == len(set(ids))
    for account in world.all_accounts():
        for o in account.orders:
            if o["category"] in ("full_liquidation", "partial_liquidation", "adl"):
                assert o["reduceOnly"] == "true"


def lifecycle(account, expect, order_time):
    """The positions-history record the claim's order belongs to: posId and, for a reused posId, the
    lifecycle (cTime ≤ the order's time ≤ uTime)."""
    records = [p for p in account.positions if p["posId"] == expect["posId"]]
    if "posCTime" in expect:
        records = [p for p in records if p["cTime"] == okx_scenarios.resolve_time(expect["posCTime"], account_anchor(account))]
    records = [p for p in records if int(p["cTime"]) <= order_time <= int(p["uTime"])]
    assert len(records) == 1, expect
    return records[0]


def account_anchor(account):
    return WORLD_ANCHOR


def forced_fills_loss(account, record):
    """Σ(fillPnl + fee) of the lifecycle's liquidation orders' fills, plus the position's liqPenalty, as a loss."""
    forced = {o["ordId"] for o in account.orders
              if o["category"] in ("full_liquidation", "partial_liquidation") and o["instId"] == record["instId"]
              and int(record["cTime"]) <= int(o["cTime"]) <= int(record["uTime"])}
    assert forced
    total = sum((decimal(f["fillPnl"]) + decimal(f["fee"]) for f in account.fills if f["ordId"] in forced), Decimal(0))
    return -(total + decimal(record["liqPenalty"]))


def test_expectations_match_the_data(world):
    by_name = {a.name: a for a in world.all_accounts()}
    for scenario in world.scenarios:
        claim, expect = scenario["claim"], scenario["expect"]
        account = by_name[claim["account"]]
        found = okx_scenarios.served(world.order(account, claim["ordId"], claim["instId"]))
        assert bool(found) == (expect.get("error") != "NOT_FOUND"), scenario["name"]
        instrument = world.instruments[claim["instId"]]
        assert expect["currency"] == instrument["settleCcy"], scenario["name"]
        if "posId" in expect:
            order = found[0]
            order_time = int(order["fillTime"] or order["cTime"])
            record = lifecycle(account, expect, order_time)
            assert record["ccy"] == expect["currency"], scenario["name"]
            forced_in_lifecycle = any(
                o["category"] in ("full_liquidation", "partial_liquidation") and o["instId"] == record["instId"]
                and int(record["cTime"]) <= int(o["cTime"]) <= int(record["uTime"]) for o in account.orders)
            if expect.get("lossBasis") == "forced-fills":
                assert Decimal(expect["loss"]) == forced_fills_loss(account, record), scenario["name"]
                assert (expect["reason"], expect["liquidated"]) == ("forced-liquidation", True), scenario["name"]
            else:
                assert Decimal(expect["loss"]) == max(-Decimal(record["realizedPnl"]), Decimal(0)), scenario["name"]
                reason = REASON_OF_TYPE.get(record["type"], "manual-close")
                assert (expect["reason"], expect["liquidated"]) == (reason, reason != "manual-close"), scenario["name"]
            # The latest type is manual only where no liquidation happened, unless the loss is taken from the fills.
            if record["type"] in ("1", "2") and forced_in_lifecycle:
                assert expect.get("lossBasis") == "forced-fills", scenario["name"]
            if order["category"] == "normal":
                assert int(record["cTime"]) <= int(order["fillTime"]) < int(record["uTime"]), scenario["name"]
        else:
            assert (expect["liquidated"], expect["loss"]) == (False, "0"), scenario["name"]
        if "wait" in expect:
            assert "posId" not in expect and expect["reason"] == "unknown", scenario["name"]


WORLD_ANCHOR = int(time.time() * 1000)


def test_scenario_files_are_checked(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"accounts": [
        {"uid": "1", "apiKey": "k", "secretKey": "s", "passphrase": "p", "orders": [{"ordId": "1", "prize": "1"}]}]}))
    with pytest.raises(okx_scenarios.ScenarioError, match="prize"):
        okx_scenarios.World.load(str(tmp_path), 0)
    (tmp_path / "bad.json").write_text(json.dumps({"accounts": [
        {"uid": "1", "apiKey": "k", "secretKey": "s", "passphrase": "p", "orders": [{"ordId": "1", "cTime": "yesterday"}]}]}))
    with pytest.raises(okx_scenarios.ScenarioError, match="yesterday"):
        okx_scenarios.World.load(str(tmp_path), 0)


def test_relative_times():
    assert okx_scenarios.resolve_time("now-1d-2h+3ms", 100_000_000) == str(100_000_000 - 86_400_000 - 7_200_000 + 3)
    assert okx_scenarios.resolve_time("1700000000000", 5) == "1700000000000"
    assert okx_scenarios.resolve_time("", 5) == ""


def test_deleted_key_answers_50119(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({
        "instruments": [{"instId": "BTC-USDT-SWAP"}],
        "accounts": [{"uid": "9", "apiKey": "gone", "secretKey": "s", "passphrase": "p", "deleted": True}]}))
    sim = Sim(scenarios=str(tmp_path))
    try:
        status, body = sim.get(ALICE_ORDER, account=dict(key="gone", secret="s", passphrase="p"))
        assert (status, body["code"], body["msg"]) == (200, "50119", "API key doesn't exist")
    finally:
        sim.close()


# Issue 13: regions, order history, retention, type 6, options, "_" instIds, key expiry, the clock.

UMA = dict(key="7e8f9a0b-deef-4f4a-5b6c-15b2c3d4e5fb", secret="9DE86082639B15A7CA243BE68E4A6275", passphrase="Uma-dev-only-21")
WENDY = dict(key="9a0b1c2d-f011-4b6c-7d8e-17d4e5f6071d", secret="BF0A82A4851D37C9EC465D08A06C8497", passphrase="Wendy-dev-only-23")
YARA = dict(key="ab0c1d2e-0122-4c7d-8e9f-18e5f607182e", secret="D12CA4C6A73F59EB0E687F2AC28EA6B9", passphrase="Yara-dev-only-25")
YARA_NEW = dict(key="bc1d2e3f-1233-4d8e-9fa0-19f607182930", secret="E23DB5D7B8406AFC1F798035D39FB7CA", passphrase="Yara-new-dev-only-26")
TINA = dict(key="6d7e8f9a-cdde-4e3f-4a5b-14a1b2c3d4ea", secret="8CD75F71528A0496B9132AD57D3F5164", passphrase="Tina-dev-only-20")
SAM = dict(key="5c6d7e8f-bccd-4d2e-3f4a-13f0a1b2c3d9", secret="7BC64E604179F385A80219C46C2E4053", passphrase="Sam-dev-only-19")
VICTOR = dict(key="8f9a0b1c-ef00-4a5b-6c7d-16c3d4e5f60c", secret="AEF97193740C26B8DB354CF79F5B7386", passphrase="Victor-dev-only-22")
DAVE_TYPE6 = "/api/v5/account/positions-history?type=6"


def get_on(sim, region, path, account):
    """A signed GET on one region's listener."""
    base = sim.request("/sim/regions")[1][region]
    timestamp = okx_timestamp()
    headers = {"OK-ACCESS-KEY": account["key"], "OK-ACCESS-SIGN": okxsim.sign(account["secret"], timestamp, "GET", path),
               "OK-ACCESS-TIMESTAMP": timestamp, "OK-ACCESS-PASSPHRASE": account["passphrase"]}
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_each_region_has_its_own_listener_and_keys_answer_only_on_theirs(sim):
    regions = sim.request("/sim/regions")[1]
    assert set(regions) == {"www", "us", "eea"} and regions["www"] == sim.base and len(set(regions.values())) == 3
    uma_order = "/api/v5/trade/order?ordId=3210000000000000001&instId=ETH-USDT-SWAP"
    assert get_on(sim, "us", uma_order, UMA)[1]["code"] == "0"
    for region in ("www", "eea"):
        assert get_on(sim, region, uma_order, UMA) == (200, {"code": "50119", "msg": "API key doesn't exist", "data": []})
    assert get_on(sim, "us", ALICE_ORDER, ALICE)[1]["code"] == "50119", "a www key does not work on us"
    status, body = sim.request("/api/v5/public/time")
    assert status == 200 and body["code"] == "0", "public endpoints answer on every host"


def test_orders_history_filters_by_category_and_pages_on_ordid(sim):
    path = "/api/v5/trade/orders-history?instType=SWAP&instId=BTC-USDT-SWAP"
    everything = sim.get(path, account=SAM)[1]["data"]
    assert [o["ordId"] for o in everything] == ["3190000000000000003", "3190000000000000002", "3190000000000000001"]
    forced = sim.get(path + "&category=partial_liquidation", account=SAM)[1]["data"]
    assert [(o["ordId"], o["category"]) for o in forced] == [("3190000000000000002", "partial_liquidation")]
    assert sim.get(path + "&category=full_liquidation", account=SAM)[1]["data"] == []
    older = sim.get(path + "&after=3190000000000000003&limit=1", account=SAM)[1]["data"]
    assert [o["ordId"] for o in older] == ["3190000000000000002"]
    newer = sim.get(path + "&before=3190000000000000001", account=SAM)[1]["data"]
    assert [o["ordId"] for o in newer] == ["3190000000000000003", "3190000000000000002"]
    c_time = int(forced[0]["cTime"])
    window = sim.get(path + f"&begin={c_time}&end={c_time}", account=SAM)[1]["data"]
    assert [o["ordId"] for o in window] == ["3190000000000000002"]
    assert sim.get("/api/v5/trade/orders-history?instId=BTC-USDT-SWAP", account=SAM)[1]["code"] == "50014"
    assert sim.get(path + "&category=nope", account=SAM)[1]["code"] == "51000"


def test_order_history_retention_as_documented(sim):
    """orders-history: placed in the last 7 days; orders-history-archive: the last 3 months; trade/order:
    this account keeps orders 30 days. Wendy's orders are 40 and 35 days old."""
    recent = "/api/v5/trade/orders-history?instType=SWAP&instId=SOL-USDT-SWAP"
    archive = "/api/v5/trade/orders-history-archive?instType=SWAP&instId=SOL-USDT-SWAP"
    assert sim.get(recent, account=WENDY)[1]["data"] == []
    assert [o["ordId"] for o in sim.get(archive, account=WENDY)[1]["data"]] == ["3230000000000000002", "3230000000000000001"]
    status, body = sim.get("/api/v5/trade/order?ordId=3230000000000000001&instId=SOL-USDT-SWAP", account=WENDY)
    assert (status, body["code"], body["msg"]) == (200, "51603", "Order does not exist.")
    assert [o["ordId"] for o in sim.get("/api/v5/trade/orders-history?instType=SWAP&instId=BTC-USDT-SWAP", account=SAM)[1]["data"]]


def test_canceled_orders_without_fills_are_kept_two_hours_and_never_archived(tmp_path):
    order = {"instId": "BTC-USDT-SWAP", "side": "buy", "sz": "1", "state": "canceled", "accFillSz": "0", "category": "normal"}
    (tmp_path / "a.json").write_text(json.dumps({
        "instruments": [{"instId": "BTC-USDT-SWAP"}],
        "accounts": [{"uid": "9", "apiKey": "k", "secretKey": "s", "passphrase": "p", "orders": [
            dict(order, ordId="11", cTime="now-1h", uTime="now-1h"), dict(order, ordId="12", cTime="now-3h", uTime="now-3h"),
            dict(order, ordId="13", cTime="now-3h", uTime="now-3h", state="filled", accFillSz="1")]}]}))
    local = Sim(scenarios=str(tmp_path))
    try:
        key = dict(key="k", secret="s", passphrase="p")
        recent = local.get("/api/v5/trade/orders-history?instType=SWAP", account=key)[1]["data"]
        assert [o["ordId"] for o in recent] == ["13", "11"]
        archived = local.get("/api/v5/trade/orders-history-archive?instType=SWAP", account=key)[1]["data"]
        assert [o["ordId"] for o in archived] == ["13"]
    finally:
        local.close()


def test_positions_history_knows_type_6(sim):
    status, body = sim.get(DAVE_TYPE6, account=dict(key="d3f4a5b6-7c8d-4e9f-a0b1-04c5d6e7f8a4", secret="8C3DBF7152EA04F6B9C1E3A5D7F9B1C4",
                                                    passphrase="Dave-dev-only-4"))
    assert status == 200 and [p["type"] for p in body["data"]] == ["6"]
    assert sim.get("/api/v5/account/positions-history?type=7")[1]["code"] == "51000"


def test_options_need_instfamily_and_underscore_instids_are_served(sim):
    option = "/api/v5/public/instruments?instType=OPTION&instId=BTC-USD-261225-100000-C"
    status, body = sim.request(option)
    assert (status, body["code"], body["msg"]) == (400, "50014", "Parameter instFamily can not be empty.")
    [instrument] = sim.request(option + "&instFamily=BTC-USD")[1]["data"]
    assert (instrument["optType"], instrument["settleCcy"], instrument["instFamily"]) == ("C", "BTC", "BTC-USD")
    [um] = sim.request("/api/v5/public/instruments?instType=SWAP&instId=BTC-USD_UM-SWAP")[1]["data"]
    assert (um["instFamily"], um["settleCcy"]) == ("BTC-USD_UM", "USD")
    path = "/api/v5/trade/order?ordId=3220000000000000002&instId=BTC-USD_UM-SWAP"
    [order] = sim.get(path, account=VICTOR)[1]["data"]
    assert order["category"] == "full_liquidation"


def test_an_expired_key_answers_50119_and_its_replacement_works(sim):
    order = "/api/v5/trade/order?ordId=3250000000000000001&instId=BTC-USDT-SWAP"
    assert sim.get(order, account=YARA) == (200, {"code": "50119", "msg": "API key doesn't exist", "data": []})
    assert sim.get(order, account=YARA_NEW)[1]["code"] == "0"
    assert sim.request("/sim/keys", "POST", {"apiKey": YARA_NEW["key"], "expired": True})[1]["expired"] is True
    assert sim.get(order, account=YARA_NEW)[1]["code"] == "50119"
    sim.request("/sim/reset", "POST", {})
    assert sim.get(order, account=YARA_NEW)[1]["code"] == "0", "reset revives keys expired by /sim/keys"
    assert sim.request("/sim/keys", "POST", {"apiKey": "nope"})[0] == 400


def test_the_clock_can_be_skewed_for_a_while():
    local = Sim(still_clock=True)
    try:
        local.request("/sim/clock", "POST", {"skewMs": 45_000, "forMs": 400})
        assert local.get(ALICE_ORDER)[1]["code"] == "50102"
        ts = int(local.request("/api/v5/public/time")[1]["data"][0]["ts"])
        assert abs(ts - (time.time() * 1000 + 45_000)) < 5_000, "public/time shows the skewed clock"
        local.advance(0.39)
        assert local.get(ALICE_ORDER)[1]["code"] == "50102", "skewed until forMs has passed"
        local.advance(0.02)
        assert local.get(ALICE_ORDER)[1]["code"] == "0", "the skew ends after forMs"
    finally:
        local.close()


def test_a_record_becomes_visible_only_after_its_delay(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({
        "instruments": [{"instId": "BTC-USDT-SWAP"}],
        "accounts": [{"uid": "9", "apiKey": "k", "secretKey": "s", "passphrase": "p", "positionsHistory": [
            {"instId": "BTC-USDT-SWAP", "mgnMode": "cross", "type": "2", "posId": "1", "cTime": "now-1h", "uTime": "now-1m",
             "realizedPnl": "0", "visibleAfterMs": 600}]}]}))
    local = Sim(still_clock=True, scenarios=str(tmp_path))
    try:
        key = dict(key="k", secret="s", passphrase="p")
        assert local.get("/api/v5/account/positions-history", account=key)[1]["data"] == []
        local.advance(0.59)
        assert local.get("/api/v5/account/positions-history", account=key)[1]["data"] == []
        local.advance(0.02)
        [record] = local.get("/api/v5/account/positions-history", account=key)[1]["data"]
        assert "visibleAfterMs" not in record and "_meta" not in record
        local.request("/sim/reset", "POST", {})
        assert local.get("/api/v5/account/positions-history", account=key)[1]["data"] == [], "reset restarts the delay"
    finally:
        local.close()


def test_scenario_20_hides_its_liquidation_for_a_minute(sim):
    history = sim.get("/api/v5/account/positions-history?instId=BTC-USDT-SWAP", account=TINA)[1]["data"]
    assert history == []
    forced = sim.get("/api/v5/trade/orders-history?instType=SWAP&category=full_liquidation", account=TINA)[1]["data"]
    assert forced == []
    assert sim.get("/api/v5/trade/order?ordId=3200000000000000001&instId=BTC-USDT-SWAP", account=TINA)[1]["code"] == "0"


def test_the_command_line_prints_every_region():
    process = subprocess.Popen([sys.executable, os.path.join(DEVNET, "okxsim.py"), "--port", "0"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("okxsim listening on http://127.0.0.1:")
        assert [line.split()[2] for line in lines[1:]] == ["www", "us", "eea"]
        process.stdin.close()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
