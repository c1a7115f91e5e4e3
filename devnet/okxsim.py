"""An OKX v5 REST simulator for the keeper's tests and demo (loopback only, stdlib only).

    python okxsim.py --port 0 [--us-port 0] [--eea-port 0] [--scenarios DIR] [--clock-skew-ms N] [--anchor-ms MS]

prints `okxsim listening on http://127.0.0.1:PORT` (the www region) once ready, then one line
`okxsim region REGION listening on URL` for each region. OKX serves each region's keys on its own
host (www.okx.com, us.okx.com, eea.okx.com): each region has its own listener here, and a key
used on another region's listener answers 50119 "API key doesn't exist" (observed on OKX, not
documented). It serves the read endpoints the keeper uses, from the accounts in the scenario
files (see okx_scenarios.py), and behaves as OKX documents it (../shared/OKX.md): signatures
checked exactly, OKX's error codes and HTTP statuses, the published rate limits per user (or IP)
and endpoint, string codes in the envelope, retention windows.

API:  GET /api/v5/public/time                 GET /api/v5/public/instruments?instType=&instFamily=&instId=
      GET /api/v5/trade/order?ordId=&instId=   GET /api/v5/account/positions-history?…
      GET /api/v5/trade/orders-history?instType=&instId=&category=&after=&before=&begin=&end=&limit=
      GET /api/v5/trade/orders-history-archive?… (the same parameters)
      GET /api/v5/trade/fills?…                GET /api/v5/trade/fills-history?instType=…
      GET /api/v5/account/config               uid, the key's perm ("read_only", "read_only,trade", …), label, ip

Admin (for tests; no authentication, loopback only):
  POST /sim/faults  {"endpoint": "/api/v5/trade/order" | "*", "mode": MODE, "count": N,
                     "latencyMs": M, "apiKey": optional}  queue N faulty answers; MODE is
                     429 | 500 | 503 | 50011 | 50013 | 50001 | 50026 | 50004 | 50102 | latency | timeout | drop
  GET  /sim/faults  the queued faults          POST /sim/reset   faults, hits, limits, clock
  GET  /sim/hits[?apiKey=&endpoint=]           per endpoint: count, limited, faulted, maxInWindow
  POST /sim/clock   {"skewMs": N, "forMs": M}  the simulator's clock offset from this host's, for
                                               M ms (then back to --clock-skew-ms) or until changed:
                                               signed requests answer 50102 while |skew| > 30 s
  POST /sim/keys    {"apiKey": K, "expired": true|false}   expire (or revive) one key: 50119
  GET  /sim/regions                            {"www": URL, "us": URL, "eea": URL}
  GET  /sim/scenarios                          the loaded scenarios and accounts, times resolved
Records with `visibleAfterMs` appear that long after start or /sim/reset.
"""
import argparse
import base64
import calendar
import collections
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import stat
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from okx_scenarios import FORCED_CATEGORIES, REGIONS, World

WINDOW_MS = 2000
# "The server rejects requests where this differs from server time by more than 30 seconds (error
# 50102)" (https://www.okx.com/docs-v5/en/#overview-rest-authentication).
TIMESTAMP_TOLERANCE_MS = 30_000
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$")

# OKX's codes, HTTP statuses and messages, as documented in
# https://www.okx.com/docs-v5/en/#error-code-rest-api-public (read 2026). Note 50119, 50120 and 50121
# answer HTTP 200 there, unlike the other key errors (401).
ERRORS = {
    "50001": (503, "Service temporarily unavailable. Please try again later."),
    "50004": (400, "API endpoint request timeout. (does not mean that the request was successful or failed, "
                   "please check the request result)."),
    "50011": (429, "Too Many Requests"),
    "50013": (429, "Systems are busy. Please try again later."),
    "50014": (400, "Parameter {} can not be empty."),
    "50026": (500, "System error. Try again later"),
    "50100": (400, "API frozen, please contact customer service."),
    "50101": (401, "APIKey does not match current environment."),
    "50102": (401, "Timestamp request expired."),
    "50103": (401, "Request header \"OK-ACCESS-KEY\" cannot be empty."),
    "50104": (401, "Request header \"OK-ACCESS-PASSPHRASE\" cannot be empty."),
    "50105": (401, "Request header \"OK-ACCESS-PASSPHRASE\" incorrect."),
    "50106": (401, "Request header \"OK-ACCESS-SIGN\" cannot be empty."),
    "50107": (401, "Request header \"OK-ACCESS-TIMESTAMP\" cannot be empty."),
    "50110": (401, "Your IP {} is not included in your API key's IP whitelist."),
    "50111": (401, "Invalid OK-ACCESS-KEY."),
    "50112": (401, "Invalid OK-ACCESS-TIMESTAMP."),
    "50113": (401, "Invalid signature."),
    "50115": (405, "Invalid request method."),
    "50119": (200, "API key doesn't exist"),
    "50120": (200, "This API key doesn't have permission to use this function"),
    "51000": (400, "Parameter {} error"),
    "51001": (200, "Instrument ID, Instrument ID code or Spread ID doesn't exist."),
    "51603": (200, "Order does not exist."),
}
INST_TYPES = {"SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"}
ORDER_CATEGORIES = {"twap", "adl", "full_liquidation", "partial_liquidation", "delivery", "ddh"}
CLOSE_TYPES = {"1", "2", "3", "4", "5", "6"}
FAULT_MODES = {"429", "500", "503", "50011", "50013", "50001", "50026", "50004", "50102", "latency", "timeout", "drop"}


def sign(secret, timestamp, method, request_path, body=""):
    """OK-ACCESS-SIGN: base64(HMAC-SHA256(secret, timestamp + METHOD + path?query + body))."""
    prehash = f"{timestamp}{method.upper()}{request_path}{body}"
    return base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()


def verify_signature(secret, timestamp, method, request_path, body, signature):
    return hmac.compare_digest(sign(secret, timestamp, method, request_path, body), signature)


def parse_timestamp(text):
    """Epoch ms of an OKX timestamp (2020-12-08T09:08:57.715Z), or None if malformed."""
    match = _TIMESTAMP.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second, millis = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) * 1000 + millis


class OKXFailure(Exception):
    """An OKX error answer: code, HTTP status, message (formatted with `args`). Authentication
    failures answered 401 (and rate limits) carry no `data`; answers with HTTP 200 always do."""

    def __init__(self, code, *args, with_data=True):
        status, message = ERRORS[code]
        super().__init__(message.format(*args))
        self.code, self.status, self.message = code, status, message.format(*args)
        self.with_data = with_data or status == 200


class SlidingWindow:
    """At most `limit` accepted requests per key in any `WINDOW_MS`, counted at arrival."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = collections.defaultdict(collections.deque)

    def allow(self, key, limit, now_ms):
        with self.lock:
            window = self.windows[key]
            while window and window[0] <= now_ms - WINDOW_MS:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now_ms)
            return True

    def reset(self):
        with self.lock:
            self.windows.clear()


class Route:
    """An endpoint: its handler, whether it is signed, its rate limit per 2 s and the limit's scope.
    A handler takes (account, params), or (account, params, key) with `with_key`."""

    def __init__(self, handler, private, limit, scope, with_key=False):
        self.handler, self.private, self.limit, self.scope = handler, private, limit, scope
        self.with_key = with_key


class Simulator:
    """Shared state: the data, the clock, rate limits, faults and the hit log."""

    def __init__(self, world, clock_skew_ms=0):
        self.world = world
        self.default_skew_ms = clock_skew_ms
        self.skew_ms = clock_skew_ms
        self.skew_until = None  # monotonic seconds after which skew_ms falls back to the default
        # The clock of windows, skew periods and delays; a test may put one that stands still in its place.
        self.monotonic = time.monotonic
        self.started = self.monotonic()
        self.region_urls = {}
        self.limits = SlidingWindow()
        self.lock = threading.Lock()
        self.faults = []
        self.hits = []  # (arrival ms on the monotonic clock, apiKey, path, outcome)
        self.routes = {
            "/api/v5/public/time": Route(self.public_time, False, 10, "ip"),
            "/api/v5/public/instruments": Route(self.instruments, False, 20, "ip+instType"),
            "/api/v5/trade/order": Route(self.order, True, 60, "user+instId"),
            # https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-7-days: 40 / 2 s, User ID
            "/api/v5/trade/orders-history": Route(self.orders_history, True, 40, "user"),
            # https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-3-months: 20 / 2 s, User ID
            "/api/v5/trade/orders-history-archive": Route(self.orders_history_archive, True, 20, "user"),
            "/api/v5/account/positions-history": Route(self.positions_history, True, 10, "user"),
            "/api/v5/trade/fills": Route(self.fills, True, 60, "user"),
            "/api/v5/trade/fills-history": Route(self.fills_history, True, 10, "user"),
            # "Rate Limit: 5 requests per 2 seconds / Rate limit rule: User ID / Permission: Read"
            # (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
            "/api/v5/account/config": Route(self.account_config, True, 5, "user", with_key=True),
        }

    def now_ms(self):
        return int(time.time() * 1000) + self.current_skew_ms()

    def current_skew_ms(self):
        with self.lock:
            if self.skew_until is not None and self.monotonic() >= self.skew_until:
                self.skew_ms, self.skew_until = self.default_skew_ms, None
            return self.skew_ms

    def set_skew(self, skew_ms, for_ms=None):
        with self.lock:
            self.skew_ms = skew_ms
            self.skew_until = None if for_ms is None else self.monotonic() + for_ms / 1000

    def elapsed_ms(self):
        """Milliseconds since start or the last reset: the clock of `visibleAfterMs` and key expiry."""
        return int((self.monotonic() - self.started) * 1000)

    def reset(self):
        with self.lock:
            self.faults.clear()
            self.hits.clear()
            self.skew_ms, self.skew_until = self.default_skew_ms, None
            self.started = self.monotonic()
            for key in self.world.keys.values():
                key.expired = False
        self.limits.reset()

    # Faults and hits.

    def add_fault(self, spec):
        mode = str(spec.get("mode", ""))
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {sorted(FAULT_MODES)}")
        fault = {"endpoint": spec.get("endpoint", "*"), "mode": mode, "remaining": int(spec.get("count", 1)),
                 "latencyMs": int(spec.get("latencyMs", 3000 if mode == "timeout" else 200)),
                 "apiKey": spec.get("apiKey")}
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, path, api_key):
        with self.lock:
            for fault in self.faults:
                if fault["remaining"] > 0 and fault["endpoint"] in ("*", path) \
                        and fault["apiKey"] in (None, api_key):
                    fault["remaining"] -= 1
                    return dict(fault)
        return None

    def record_hit(self, api_key, path, outcome, arrival_ms):
        with self.lock:
            self.hits.append((arrival_ms, api_key, path, outcome))

    def hit_summary(self, api_key=None, endpoint=None):
        with self.lock:
            hits = [h for h in self.hits if (api_key is None or h[1] == api_key) and (endpoint is None or h[2] == endpoint)]
        summary = {}
        for path in sorted({h[2] for h in hits}):
            mine = [h for h in hits if h[2] == path]
            times = sorted(h[0] for h in mine if not h[3].startswith("fault:"))
            most, start = 0, 0
            for end, t in enumerate(times):
                while times[start] <= t - WINDOW_MS:
                    start += 1
                most = max(most, end - start + 1)
            summary[path] = {"count": len(mine), "ok": sum(1 for h in mine if h[3] == "0"),
                             "limited": sum(1 for h in mine if h[3] == "limited"),
                             "faulted": sum(1 for h in mine if h[3].startswith("fault:")),
                             "maxInWindow": most,
                             "outcomes": dict(collections.Counter(h[3] for h in mine))}
        return {"total": len(hits), "windowMs": WINDOW_MS, "endpoints": summary}

    # Authentication [overview-rest-authentication].

    def authenticate(self, headers, method, request_path, body, client_ip, region="www"):
        key = headers.get("OK-ACCESS-KEY", "")
        signature = headers.get("OK-ACCESS-SIGN", "")
        timestamp = headers.get("OK-ACCESS-TIMESTAMP", "")
        passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
        for value, code in ((key, "50103"), (passphrase, "50104"), (signature, "50106"), (timestamp, "50107")):
            if not value:
                raise OKXFailure(code, with_data=False)
        sent_ms = parse_timestamp(timestamp)
        if sent_ms is None:
            raise OKXFailure("50112", with_data=False)
        if abs(self.now_ms() - sent_ms) > TIMESTAMP_TOLERANCE_MS:
            raise OKXFailure("50102", with_data=False)
        account = self.world.accounts.get(key)
        if account is None:
            raise OKXFailure("50111", with_data=False)
        api_key = self.world.keys[key]
        # A deleted or expired key, or one of another region's host, "doesn't exist" here.
        if account.deleted or api_key.is_expired(self.elapsed_ms()) or account.region != region:
            raise OKXFailure("50119", with_data=False)
        if not hmac.compare_digest(passphrase, api_key.passphrase):
            raise OKXFailure("50105", with_data=False)
        if not verify_signature(api_key.secret_key, timestamp, method, request_path, body, signature):
            raise OKXFailure("50113", with_data=False)
        if account.demo != (headers.get("x-simulated-trading", "") == "1"):
            raise OKXFailure("50101", with_data=False)
        if account.ip_whitelist and client_ip not in account.ip_whitelist:
            raise OKXFailure("50110", client_ip, with_data=False)
        if "read_only" not in api_key.permissions:
            raise OKXFailure("50120", with_data=False)
        return account, api_key

    def rate_key(self, route, path, account, params, client_ip):
        parts = {"ip": [client_ip], "ip+instType": [client_ip, params.get("instType", "")],
                 "user": [account.uid if account else ""],
                 "user+instId": [account.uid if account else "", params.get("instId", "")]}[route.scope]
        return (path, *parts)

    # Endpoints: each returns the envelope's data or raises OKXFailure.

    def account_config(self, account, params, key):
        """account/config, shaped as OKX's documented example answer (same fields, same types), with
        this account's uid and this key's `perm`, `label` and `ip`. The account is a main account
        (uid = mainUid, type 0) in long/short mode, as the scenarios' orders (posSide long/short) are."""
        return [{
            "acctLv": "2", "acctStpMode": "cancel_maker", "autoLoan": False, "ctIsoMode": "automatic",
            "enableSpotBorrow": False, "greeksType": "PA", "feeType": "0", "ip": ",".join(account.ip_whitelist),
            "type": "0", "kycLv": "2", "label": key.label, "level": "Lv1", "levelTmp": "", "liquidationGear": "-1",
            "mainUid": account.uid, "mgnIsoMode": "automatic", "opAuth": "0", "perm": ",".join(key.permissions),
            "posMode": "long_short_mode", "roleType": "0", "spotBorrowAutoRepay": False, "spotOffsetType": "",
            "spotRoleType": "0", "spotTraderInsts": [], "stgyType": "0", "traderInsts": [], "uid": account.uid,
            "settleCcy": "USDC", "settleCcyList": ["USD", "USDC", "USDG"],
        }]

    def public_time(self, account, params):
        return [{"ts": str(self.now_ms())}]

    def instruments(self, account, params):
        inst_type = require(params, "instType")
        if inst_type not in INST_TYPES:
            raise OKXFailure("51000", "instType")
        # "If instType is `OPTION`, `instFamily` is required."
        # (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments)
        if inst_type == "OPTION":
            require(params, "instFamily")
        rows = self.world.instruments_of(inst_type, params.get("instId") or None, params.get("instFamily") or None)
        if params.get("instId") and not rows:
            raise OKXFailure("51001")
        return rows

    def order(self, account, params):
        inst_id = require(params, "instId")
        ord_id = params.get("ordId", "")
        if not ord_id and not params.get("clOrdId"):
            raise OKXFailure("50014", "ordId")
        if ord_id and not ord_id.isdigit():
            raise OKXFailure("51000", "ordId")
        if inst_id not in self.world.instruments:
            raise OKXFailure("51001")
        rows = [o for o in self.world.order(account, ord_id, inst_id, self.now_ms(), self.elapsed_ms())
                if not params.get("clOrdId") or o["clOrdId"] == params["clOrdId"]]
        if not rows:
            raise OKXFailure("51603")
        return rows

    def orders_history(self, account, params, archive=False):
        inst_type = require(params, "instType")
        if inst_type not in INST_TYPES:
            raise OKXFailure("51000", "instType")
        category = params.get("category", "")
        if category and category not in ORDER_CATEGORIES:
            raise OKXFailure("51000", "category")
        state = params.get("state", "")
        if state and state not in ("canceled", "filled", "mmp_canceled"):
            raise OKXFailure("51000", "state")
        return self.world.orders_history(
            account, self.now_ms(), archive, inst_type, params.get("instFamily") or None, params.get("instId") or None,
            category or None, state or None, optional_int(params, "after"), optional_int(params, "before"),
            optional_int(params, "begin"), optional_int(params, "end"), page_limit(params), self.elapsed_ms())

    def orders_history_archive(self, account, params):
        return self.orders_history(account, params, archive=True)

    def positions_history(self, account, params):
        inst_type = params.get("instType", "")
        if inst_type and inst_type not in {"MARGIN", "SWAP", "FUTURES", "OPTION"}:
            raise OKXFailure("51000", "instType")
        if params.get("mgnMode", "") not in ("", "cross", "isolated"):
            raise OKXFailure("51000", "mgnMode")
        if params.get("type", "") not in CLOSE_TYPES | {""}:
            raise OKXFailure("51000", "type")
        return self.world.positions_history(
            account, self.now_ms(), inst_type or None, params.get("instId") or None,
            params.get("mgnMode") or None, params.get("type") or None, params.get("posId") or None,
            optional_int(params, "after"), optional_int(params, "before"), page_limit(params), self.elapsed_ms())

    def fills(self, account, params, days=3):
        inst_type = params.get("instType", "")
        if inst_type and inst_type not in INST_TYPES:
            raise OKXFailure("51000", "instType")
        return self.world.fills(
            account, self.now_ms(), days, inst_type or None, params.get("instId") or None,
            params.get("ordId") or None, optional_int(params, "after"), optional_int(params, "before"),
            optional_int(params, "begin"), optional_int(params, "end"), page_limit(params), self.elapsed_ms())

    def fills_history(self, account, params):
        require(params, "instType")
        return self.fills(account, params, days=90)


def require(params, name):
    value = params.get(name, "")
    if not value:
        raise OKXFailure("50014", name)
    return value


def optional_int(params, name):
    value = params.get(name, "")
    if value == "":
        return None
    if not value.isdigit():
        raise OKXFailure("51000", name)
    return int(value)


def page_limit(params):
    limit = optional_int(params, "limit")
    if limit is None:
        return 100
    if not 1 <= limit <= 100:
        raise OKXFailure("51000", "limit")
    return limit


def envelope(code="0", msg="", data=None, with_data=True):
    body = {"code": code, "msg": msg}
    if with_data:
        body["data"] = data if data is not None else []
    return json.dumps(body, separators=(",", ":")).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sim = None  # set by make_server
    region = "www"  # the OKX host this listener plays

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK (tens of milliseconds per request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self):
        arrival_ms = self.sim.monotonic() * 1000
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        url = urlsplit(self.path)
        if url.path.startswith("/sim/"):
            return self.admin(url, body)
        api_key = self.headers.get("OK-ACCESS-KEY", "")
        fault = self.sim.take_fault(url.path, api_key)
        if fault and fault["mode"] == "latency":
            time.sleep(fault["latencyMs"] / 1000)
        elif fault:
            # Recorded before answering: a client may look at the hits as soon as it has an answer
            # (or has given up on a slow fault).
            self.sim.record_hit(api_key, url.path, "fault:" + fault["mode"], arrival_ms)
            self.inject(fault)
            return
        status, answer, content_type, outcome = self.serve(url, body)
        self.sim.record_hit(api_key, url.path, outcome, arrival_ms)
        self.answer(status, answer, content_type)

    def serve(self, url, body):
        """One API request's answer: (status, body, content type, outcome for the hit log)."""
        route = self.sim.routes.get(url.path)
        if route is None:
            return 404, b"Not Found", "text/plain", "404"
        try:
            if self.command != "GET":
                raise OKXFailure("50115")
            params = {}
            for name, values in parse_qs(url.query, keep_blank_values=True).items():
                if len(values) != 1:
                    raise OKXFailure("51000", name)
                params[name] = values[0]
            account = key = None
            if route.private:
                headers = {name: self.headers.get(name, "") for name in
                           ("OK-ACCESS-KEY", "OK-ACCESS-SIGN", "OK-ACCESS-TIMESTAMP", "OK-ACCESS-PASSPHRASE",
                            "x-simulated-trading")}
                account, key = self.sim.authenticate(headers, self.command, self.path, body, self.client_address[0],
                                                     self.region)
            window = self.sim.rate_key(route, url.path, account, params, self.client_address[0])
            if not self.sim.limits.allow(window, route.limit, int(self.sim.monotonic() * 1000)):
                limited = OKXFailure("50011", with_data=False)
                return limited.status, envelope(limited.code, limited.message, with_data=False), "application/json", "limited"
            data = route.handler(account, params, key) if route.with_key else route.handler(account, params)
        except OKXFailure as failure:
            answer = envelope(failure.code, failure.message, with_data=failure.with_data)
            return failure.status, answer, "application/json", failure.code
        return 200, envelope(data=data), "application/json", "0"

    def inject(self, fault):
        """Answers (or drops) the request in place of the API, as the fault's mode says."""
        mode = fault["mode"]
        if mode in ("timeout", "drop"):
            if mode == "timeout":
                time.sleep(fault["latencyMs"] / 1000)
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True
            return
        if mode == "429":
            self.answer(429, envelope("50011", "Too Many Requests", with_data=False))
        elif mode in ("500", "503"):
            self.answer(int(mode), f"<html><body><h1>{mode}</h1></body></html>".encode(), "text/html")
        elif mode == "50011":
            self.answer(200, envelope("50011", "Rate limit reached. Please refer to API documentation "
                                               "and throttle requests accordingly."))
        else:
            status, message = ERRORS[mode]
            self.answer(status, envelope(mode, message, with_data=status != 401))

    def admin(self, url, body):
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            spec = json.loads(body) if body else {}
            if url.path == "/sim/faults" and self.command == "POST":
                result = self.sim.add_fault(spec)
            elif url.path == "/sim/faults":
                with self.sim.lock:
                    result = {"faults": [dict(f) for f in self.sim.faults]}
            elif url.path == "/sim/reset" and self.command == "POST":
                self.sim.reset()
                result = {"reset": True}
            elif url.path == "/sim/hits":
                result = self.sim.hit_summary(query.get("apiKey"), query.get("endpoint"))
            elif url.path == "/sim/clock" and self.command == "POST":
                for_ms = spec.get("forMs")
                self.sim.set_skew(int(spec.get("skewMs", 0)), None if for_ms is None else int(for_ms))
                result = {"skewMs": self.sim.current_skew_ms(), "forMs": for_ms}
            elif url.path == "/sim/keys" and self.command == "POST":
                key = self.sim.world.keys.get(spec.get("apiKey", ""))
                if key is None:
                    raise ValueError("no such apiKey")
                key.expired = bool(spec.get("expired", True))
                result = {"apiKey": key.api_key, "expired": key.expired}
            elif url.path == "/sim/regions":
                result = dict(self.sim.region_urls)
            elif url.path == "/sim/scenarios":
                world = self.sim.world
                result = {"anchorMs": world.anchor_ms, "scenarios": world.scenarios,
                          "accounts": [a.public() for a in world.all_accounts()],
                          "instruments": list(world.instruments.values())}
            elif url.path == "/sim/health":
                result = {"ok": True}
            else:
                self.answer(404, b'{"error":"no such admin endpoint"}')
                return
        except (ValueError, TypeError, AttributeError) as error:
            self.answer(400, json.dumps({"error": str(error)}).encode())
            return
        self.answer(200, json.dumps(result).encode())

    do_GET = do_POST = do_PUT = do_DELETE = route


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    # A keeper opening many connections at once (a claim cascade, through bench's latency proxy) must not
    # overflow the listen backlog: the default of 5 drops connections, which then wait a 1 s SYN retransmit.
    request_queue_size = 128


def make_server(port=0, scenarios=None, clock_skew_ms=0, anchor_ms=None, region_ports=None):
    """A ready (not yet serving) simulator for the www region bound to 127.0.0.1:port. The other
    regions' listeners (`region_ports`, default an ephemeral port each) share its state and are
    already serving, from daemon threads; `server.regions` maps each region to its server and
    `close_regions(server)` stops them."""
    directory = scenarios or os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
    world = World.load(directory, anchor_ms if anchor_ms is not None else int(time.time() * 1000))
    sim = Simulator(world, clock_skew_ms)
    ports = {"us": 0, "eea": 0, **(region_ports or {})}
    servers = {}
    for region in REGIONS:
        handler = type(f"BoundHandler_{region}", (Handler,), {"sim": sim, "region": region})
        server = SimServer(("127.0.0.1", port if region == "www" else ports[region]), handler)
        server.sim = sim
        servers[region] = server
        sim.region_urls[region] = f"http://127.0.0.1:{server.server_address[1]}"
    for region, server in servers.items():
        if region != "www":
            threading.Thread(target=server.serve_forever, name=f"okxsim-{region}", daemon=True).start()
    servers["www"].regions = servers
    return servers["www"]


def close_regions(server):
    """Stops the listeners of the regions other than www (started by make_server)."""
    for region, other in getattr(server, "regions", {}).items():
        if region != "www":
            other.shutdown()
            other.server_close()


def stop_with_parent():
    """Make SIGTERM work and exit when the parent goes away.

    A test runner may start us with SIGTERM blocked or ignored (both survive exec), and a
    crashed runner never sends it: so restore the default action, unblock it, and, when standard
    input is a pipe from the parent, exit once it reaches end of file (the parent holds its write
    end). Started from a shell with stdin on a terminal or /dev/null, only SIGTERM stops us.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    try:
        watched = stat.S_ISFIFO(os.fstat(0).st_mode)
    except OSError:
        watched = False
    if not watched:
        return

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, name="lifeline", daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description="OKX v5 REST simulator (loopback only)")
    parser.add_argument("--port", type=int, default=0, help="the www region's port")
    parser.add_argument("--us-port", type=int, default=0)
    parser.add_argument("--eea-port", type=int, default=0)
    parser.add_argument("--scenarios", default=None, help="scenario directory (default devnet/scenarios)")
    parser.add_argument("--clock-skew-ms", type=int, default=0, help="the simulator's clock minus this host's")
    parser.add_argument("--anchor-ms", type=int, default=None, help="'now' for relative scenario times")
    args = parser.parse_args()
    server = make_server(args.port, args.scenarios, args.clock_skew_ms, args.anchor_ms,
                         {"us": args.us_port, "eea": args.eea_port})
    stop_with_parent()
    print(f"okxsim listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    for region, url in server.sim.region_urls.items():
        print(f"okxsim region {region} listening on {url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
