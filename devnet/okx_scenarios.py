"""Accounts, orders, positions history, fills and instruments for the OKX v5 simulator.

The data come from JSON scenario files (devnet/scenarios/*.json). Each file may hold
`instruments` (shared by all scenarios) and `accounts`; a scenario file also states the claim
a trader would make (`claim`) and the verdict the keeper must reach (`expect`).

Records are written as OKX answers them (field names as in OKX's v5 documentation, numbers as
decimal strings, "" when empty). Fields left out take OKX's empty value; unknown fields are an
error, so that a typo in a scenario cannot go unnoticed. Time fields (cTime, uTime, fillTime,
ts, listTime) may be relative to the simulator's anchor time, e.g. "now-3d4h" or "now-90m",
so that the scenarios stay inside OKX's retention windows whenever the simulator runs.
A positions-history entry may carry `"repeat": {"count": N, "everyMs": -3600000}` to expand
into N records, each shifted by `everyMs` and with `posId` suffixed by its index (for paging).
Any order, position or fill may carry `"visibleAfterMs": N`: the simulator serves it only once it
has run N milliseconds (since start or /sim/reset), as OKX's history may show a record late.

An account belongs to one OKX region (`"region": "www" | "us" | "eea"`, default www): its keys
answer only on that region's listener. Besides its own key it may hold `extraKeys` (a key that
replaces an expired one, or one with other permissions), each `{name, apiKey, secretKey, passphrase,
expiresAfterMs?, permissions?, label?}`; `permissions` are account/config's `perm` words (read_only,
trade, withdraw; default the account's, whose default is ["read_only"]); a key
with `expiresAfterMs` answers 50119 once the simulator has run that long (0: expired from the
start). `tradeOrderRetentionDays` (default 90) is how long trade/order serves an order after its
last update; older ones are only in orders-history-archive.
"""
import copy
import json
import os
import re

DAY_MS = 86_400_000

ORDER_FIELDS = {
    "instType": "", "instId": "", "tgtCcy": "", "ccy": "", "ordId": "", "clOrdId": "", "tag": "",
    "px": "", "pxUsd": "", "pxVol": "", "pxType": "", "sz": "", "pnl": "0", "ordType": "market",
    "side": "", "posSide": "", "tdMode": "", "accFillSz": "0", "fillPx": "", "tradeId": "",
    "fillSz": "", "fillTime": "", "avgPx": "", "state": "", "stpId": "", "stpMode": "",
    "lever": "", "attachAlgoClOrdId": "", "tpTriggerPx": "", "tpTriggerPxType": "", "tpOrdPx": "",
    "slTriggerPx": "", "slTriggerPxType": "", "slOrdPx": "", "attachAlgoOrds": [],
    "linkedAlgoOrd": {"algoId": ""}, "feeCcy": "", "fee": "0", "rebateCcy": "", "rebate": "0",
    "source": "", "category": "normal", "reduceOnly": "false", "isTpLimit": "false",
    "cancelSource": "", "cancelSourceReason": "", "quickMgnType": "", "algoClOrdId": "",
    "algoId": "", "uTime": "", "cTime": "", "tradeQuoteCcy": "",
}

POSITION_FIELDS = {
    "instType": "", "instId": "", "mgnMode": "", "type": "", "cTime": "", "uTime": "",
    "openAvgPx": "", "nonSettleAvgPx": "", "closeAvgPx": "", "posId": "", "openMaxPos": "",
    "closeTotalPos": "", "realizedPnl": "", "settledPnl": "", "pnlRatio": "", "fee": "",
    "fundingFee": "", "liqPenalty": "", "pnl": "", "posSide": "", "lever": "", "direction": "",
    "triggerPx": "", "uly": "", "ccy": "",
}

FILL_FIELDS = {
    "instType": "", "instId": "", "tradeId": "", "ordId": "", "clOrdId": "", "billId": "",
    "subType": "", "tag": "", "fillPx": "", "fillSz": "", "fillIdxPx": "", "fillPnl": "0",
    "fillPxVol": "", "fillPxUsd": "", "fillMarkVol": "", "fillFwdPx": "", "fillMarkPx": "",
    "side": "", "posSide": "", "execType": "T", "feeCcy": "", "fee": "", "ts": "", "fillTime": "",
    "feeRate": "", "tradeQuoteCcy": "",
}

INSTRUMENT_FIELDS = {
    "instType": "SWAP", "instId": "", "uly": "", "instFamily": "", "baseCcy": "", "quoteCcy": "",
    "settleCcy": "", "ctValCcy": "", "optType": "", "stk": "", "listTime": "", "expTime": "",
    "lever": "", "tickSz": "", "lotSz": "", "minSz": "", "ctVal": "", "ctMult": "", "ctType": "",
    "alias": "", "state": "live", "maxLmtSz": "", "maxMktSz": "", "maxLmtAmt": "", "maxMktAmt": "",
    "maxTwapSz": "", "maxIcebergSz": "", "maxTriggerSz": "", "maxStopSz": "", "ruleType": "normal",
}

ACCOUNT_FIELDS = {"name", "uid", "apiKey", "secretKey", "passphrase", "demo", "permissions", "label",
                  "ipWhitelist", "deleted", "orders", "positionsHistory", "fills", "region", "extraKeys",
                  "expiresAfterMs", "tradeOrderRetentionDays"}
KEY_FIELDS = {"name", "apiKey", "secretKey", "passphrase", "expiresAfterMs", "permissions", "label"}
# A key's permissions, in the words of account/config's `perm`: "The permission of the current requesting
# API key or Access token `read_only`: Read `trade`: Trade `withdraw`: Withdraw", comma-separated when
# several (the documented example answers "read_only,withdraw,trade")
# (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
PERMISSIONS = ("read_only", "trade", "withdraw")
REGIONS = ("www", "us", "eea")
# Simulator-only fields of a record, never served.
META_FIELDS = {"visibleAfterMs"}

# Retention windows (epoch ms), as OKX documents them:
# orders-history: "Get completed orders which are placed in the last 7 days, including those placed
#   7 days ago but completed in the last 7 days. The incomplete orders that have been canceled are
#   only reserved for 2 hours." (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-7-days)
# orders-history-archive: "Get completed orders which are placed in the last 3 months, including
#   those placed 3 months ago but completed in the last 3 months." and "This interface does not
#   contain the order data of the `Canceled orders without any fills` type"
#   (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-3-months)
# trade/order: OKX does not document how long it serves an order (checked 2026,
#   https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-details); 90 days here,
#   `tradeOrderRetentionDays` per account.
ORDERS_HISTORY_DAYS = 7
CANCELED_UNFILLED_MS = 2 * 3_600_000
ARCHIVE_DAYS = 90
TRADE_ORDER_DAYS = 90
FORCED_CATEGORIES = ("full_liquidation", "partial_liquidation", "adl")

TIME_FIELDS = ("cTime", "uTime", "fillTime", "ts", "listTime")
_RELATIVE = re.compile(r"^now((?:[+-]\d+(?:ms|d|h|m|s))*)$")
_OFFSET = re.compile(r"([+-])(\d+)(ms|d|h|m|s)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS}


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with the file and the reason."""


def resolve_time(value, anchor_ms):
    """Epoch-ms string for an absolute ("1700000000000"), relative ("now-2d3h") or empty value."""
    if value == "" or (isinstance(value, str) and value.isdigit()):
        return value
    match = _RELATIVE.match(value) if isinstance(value, str) else None
    if not match:
        raise ScenarioError(f"time {value!r} is neither epoch milliseconds nor now±offset")
    total = anchor_ms
    for sign, amount, unit in _OFFSET.findall(match.group(1)):
        total += (1 if sign == "+" else -1) * int(amount) * _UNIT_MS[unit]
    return str(total)


def inst_type(inst_id):
    """OKX's instType for an instrument ID: BTC-USDT-SWAP → SWAP, BTC-USD-250328 → FUTURES…"""
    parts = inst_id.split("-")
    if parts[-1] == "SWAP":
        return "SWAP"
    if len(parts) == 3 and parts[2].isdigit():
        return "FUTURES"
    if len(parts) == 5:
        return "OPTION"
    return "MARGIN" if len(parts) == 2 else ""


def _record(raw, fields, anchor_ms, where):
    meta = {name: raw[name] for name in META_FIELDS if name in raw}
    raw = {name: value for name, value in raw.items() if name not in META_FIELDS}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {sorted(unknown)}")
    for name, value in meta.items():
        if not isinstance(value, int) or value < 0:
            raise ScenarioError(f"{where}: {name} must be a whole number of milliseconds")
    record = copy.deepcopy(fields)
    record.update(copy.deepcopy(raw))
    for name in TIME_FIELDS:
        if name in record:
            record[name] = resolve_time(record[name], anchor_ms)
    for name, value in record.items():
        if not isinstance(value, type(fields[name])):
            raise ScenarioError(f"{where}: field {name} must be a {type(fields[name]).__name__} (OKX sends strings)")
    if "instType" in fields and not record["instType"]:
        record["instType"] = inst_type(record["instId"])
    if meta:
        record["_meta"] = meta
    return record


def served(rows, elapsed_ms=None):
    """The rows as OKX sends them: without simulator-only fields, and (when `elapsed_ms` is given)
    without those not yet visible."""
    out = []
    for row in rows:
        meta = row.get("_meta", {})
        if elapsed_ms is not None and elapsed_ms < meta.get("visibleAfterMs", 0):
            continue
        out.append({k: v for k, v in row.items() if k != "_meta"})
    return out


def _expand_positions(entries, where):
    """Expands `repeat` entries (see the module documentation)."""
    expanded = []
    for index, entry in enumerate(entries):
        repeat = entry.get("repeat")
        if repeat is None:
            expanded.append(entry)
            continue
        base = {k: v for k, v in entry.items() if k != "repeat"}
        count, every = int(repeat["count"]), int(repeat["everyMs"])
        for i in range(count):
            item = dict(base)
            for name in ("cTime", "uTime"):
                item[name] = f"{base[name]}{'+' if i * every >= 0 else '-'}{abs(i * every)}ms"
            item["posId"] = f"{base['posId']}{i:04d}"
            expanded.append(item)
    return expanded


def _permissions(raw, where, default):
    permissions = raw.get("permissions", default)
    if not isinstance(permissions, list) or not permissions or len(set(permissions)) != len(permissions) \
            or any(p not in PERMISSIONS for p in permissions):
        raise ScenarioError(f"{where}: permissions must be distinct words of {PERMISSIONS}")
    return list(permissions)


class Key:
    """One API key of an account (OKX: a key belongs to one account and one region's host), with its
    permissions (default the account's) and its note (`label`, default the key's name)."""

    def __init__(self, raw, where, account_permissions=("read_only",)):
        unknown = set(raw) - KEY_FIELDS
        if unknown:
            raise ScenarioError(f"{where}: unknown key field(s) {sorted(unknown)}")
        for name in ("apiKey", "secretKey", "passphrase"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise ScenarioError(f"{where}: a key needs a non-empty {name}")
        expires = raw.get("expiresAfterMs")
        if expires is not None and (not isinstance(expires, int) or expires < 0):
            raise ScenarioError(f"{where}: expiresAfterMs must be a whole number of milliseconds")
        self.name = raw.get("name", raw["apiKey"])
        self.api_key, self.secret_key, self.passphrase = raw["apiKey"], raw["secretKey"], raw["passphrase"]
        self.expires_after_ms = expires
        self.permissions = _permissions(raw, where, list(account_permissions))
        self.label = raw.get("label", self.name)
        if not isinstance(self.label, str):
            raise ScenarioError(f"{where}: label must be a string")
        self.expired = False  # set by POST /sim/keys

    def is_expired(self, elapsed_ms):
        return self.expired or (self.expires_after_ms is not None and elapsed_ms >= self.expires_after_ms)

    def public(self):
        return {"name": self.name, "apiKey": self.api_key, "secretKey": self.secret_key, "passphrase": self.passphrase,
                "permissions": self.permissions, "perm": ",".join(self.permissions), "label": self.label,
                "expiresAfterMs": self.expires_after_ms, "expired": self.expired}


class Account:
    """One OKX (sub-)account, its API key (and any replacement keys) and its records."""

    def __init__(self, raw, anchor_ms, where):
        unknown = set(raw) - ACCOUNT_FIELDS
        if unknown:
            raise ScenarioError(f"{where}: unknown account field(s) {sorted(unknown)}")
        for name in ("uid", "apiKey", "secretKey", "passphrase"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise ScenarioError(f"{where}: account needs a non-empty {name}")
        self.name = raw.get("name", raw["uid"])
        self.uid = raw["uid"]
        self.api_key = raw["apiKey"]
        self.secret_key = raw["secretKey"]
        self.passphrase = raw["passphrase"]
        self.region = raw.get("region", "www")
        if self.region not in REGIONS:
            raise ScenarioError(f"{where}: region must be one of {REGIONS}")
        self.permissions = _permissions(raw, where, ["read_only"])
        own = {"name": self.name, "apiKey": self.api_key, "secretKey": self.secret_key, "passphrase": self.passphrase}
        for name in ("expiresAfterMs", "label"):
            if name in raw:
                own[name] = raw[name]
        self.keys = [Key(own, where, self.permissions)] + [Key(k, f"{where} key {k.get('name')}", self.permissions)
                                                            for k in raw.get("extraKeys", [])]
        retention = raw.get("tradeOrderRetentionDays", TRADE_ORDER_DAYS)
        if not isinstance(retention, int) or not 0 < retention <= ARCHIVE_DAYS:
            raise ScenarioError(f"{where}: tradeOrderRetentionDays must be 1..{ARCHIVE_DAYS}")
        self.trade_order_days = retention
        self.demo = bool(raw.get("demo", False))
        self.ip_whitelist = list(raw.get("ipWhitelist", []))
        self.deleted = bool(raw.get("deleted", False))
        self.orders = [_record(o, ORDER_FIELDS, anchor_ms, f"{where} order {o.get('ordId')}")
                       for o in raw.get("orders", [])]
        self.positions = [_record(p, POSITION_FIELDS, anchor_ms, f"{where} position {p.get('posId')}")
                          for p in _expand_positions(raw.get("positionsHistory", []), where)]
        self.fills = [_record(f, FILL_FIELDS, anchor_ms, f"{where} fill {f.get('tradeId')}")
                      for f in raw.get("fills", [])]

    def public(self):
        """The account as JSON, times resolved (credentials included: they are dev-only fakes)."""
        return {"name": self.name, "uid": self.uid, "apiKey": self.api_key, "secretKey": self.secret_key,
                "passphrase": self.passphrase, "region": self.region, "demo": self.demo, "permissions": self.permissions,
                "ipWhitelist": self.ip_whitelist, "deleted": self.deleted, "keys": [k.public() for k in self.keys],
                "tradeOrderRetentionDays": self.trade_order_days,
                "orders": served(self.orders), "positionsHistory": served(self.positions), "fills": served(self.fills)}


class World:
    """Everything the simulator serves, loaded from a scenario directory."""

    def __init__(self, anchor_ms):
        self.anchor_ms = anchor_ms
        self.accounts = {}      # apiKey → Account (every key of the account)
        self.keys = {}          # apiKey → Key
        self.instruments = {}   # instId → record
        self.scenarios = []     # files with a claim: {name, file, description, claim, expect}

    def all_accounts(self):
        """Each account once (an account with extra keys is reachable by each of them)."""
        unique = {}
        for account in self.accounts.values():
            unique.setdefault(id(account), account)
        return list(unique.values())

    @classmethod
    def load(cls, directory, anchor_ms):
        world = cls(anchor_ms)
        files = sorted(f for f in os.listdir(directory) if f.endswith(".json"))
        for file in files:
            path = os.path.join(directory, file)
            try:
                with open(path, encoding="utf-8") as handle:
                    document = json.load(handle)
            except (OSError, json.JSONDecodeError) as error:
                raise ScenarioError(f"{file}: {error}") from error
            world._add(document, file)
        return world

    def _add(self, document, file):
        known = {"name", "description", "source", "instruments", "accounts", "claim", "expect"}
        unknown = set(document) - known
        if unknown:
            raise ScenarioError(f"{file}: unknown top-level field(s) {sorted(unknown)}")
        for raw in document.get("instruments", []):
            record = _record(raw, INSTRUMENT_FIELDS, self.anchor_ms, f"{file} instrument {raw.get('instId')}")
            self.instruments[record["instId"]] = record
        for raw in document.get("accounts", []):
            account = Account(raw, self.anchor_ms, file)
            for key in account.keys:
                if key.api_key in self.accounts:
                    raise ScenarioError(f"{file}: API key {key.name} of account {account.name} is already used")
                self.accounts[key.api_key] = account
                self.keys[key.api_key] = key
        if "claim" in document or "expect" in document:
            if not ("claim" in document and "expect" in document and "name" in document):
                raise ScenarioError(f"{file}: a scenario needs name, claim and expect")
            self.scenarios.append({"name": document["name"], "file": file,
                                   "description": document.get("description", ""),
                                   "claim": document["claim"], "expect": document["expect"]})

    # Queries, answered as OKX does. Each returns a list of records (the envelope's data).

    def order(self, account, ord_id, inst_id, now_ms=None, elapsed_ms=None):
        """trade/order: only the key's own account is searched, and instId must match too; with
        `now_ms`, orders last updated before the account's trade/order retention are gone."""
        oldest = None if now_ms is None else now_ms - account.trade_order_days * DAY_MS
        return served([o for o in account.orders if o["ordId"] == ord_id and o["instId"] == inst_id
                       and (oldest is None or int(o["uTime"]) >= oldest)], elapsed_ms)

    def orders_history(self, account, now_ms, archive, inst_type_, inst_family=None, inst_id=None, category=None,
                       state=None, after=None, before=None, begin=None, end=None, limit=100, elapsed_ms=None):
        """orders-history (7 days) or orders-history-archive (3 months): completed orders (filled or
        canceled), newest first by ordId; `after`/`before` page on ordId, `begin`/`end` filter cTime."""
        window = (ARCHIVE_DAYS if archive else ORDERS_HISTORY_DAYS) * DAY_MS
        rows = []
        for o in account.orders:
            if o["state"] not in ("filled", "canceled", "mmp_canceled"):
                continue
            unfilled_cancel = o["state"] != "filled" and o["accFillSz"] in ("", "0")
            if unfilled_cancel and (archive or int(o["uTime"]) < now_ms - CANCELED_UNFILLED_MS):
                continue
            if int(o["uTime"]) < now_ms - window:
                continue
            if o["instType"] != inst_type_ or (inst_id and o["instId"] != inst_id):
                continue
            if inst_family and not o["instId"].startswith(inst_family + "-"):
                continue
            if (category and o["category"] != category) or (state and o["state"] != state):
                continue
            if (after is not None and int(o["ordId"]) >= after) or (before is not None and int(o["ordId"]) <= before):
                continue
            if (begin is not None and int(o["cTime"]) < begin) or (end is not None and int(o["cTime"]) > end):
                continue
            rows.append(o)
        rows.sort(key=lambda o: int(o["ordId"]), reverse=True)
        return served(rows, elapsed_ms)[:limit]

    def order_id_exists_elsewhere(self, ord_id):
        return any(o["ordId"] == ord_id for a in self.accounts.values() for o in a.orders)

    def positions_history(self, account, now_ms, inst_type_=None, inst_id=None, mgn_mode=None,
                          close_type=None, pos_id=None, after=None, before=None, limit=100, elapsed_ms=None):
        """Newest first by uTime; `after` → uTime < after, `before` → uTime > before; 3 months."""
        oldest = now_ms - 90 * DAY_MS
        rows = [p for p in account.positions
                if int(p["uTime"]) >= oldest
                and (not inst_type_ or p["instType"] == inst_type_)
                and (not inst_id or p["instId"] == inst_id)
                and (not mgn_mode or p["mgnMode"] == mgn_mode)
                and (not close_type or p["type"] == close_type)
                and (not pos_id or p["posId"] == pos_id)
                and (after is None or int(p["uTime"]) < after)
                and (before is None or int(p["uTime"]) > before)]
        rows = served(rows, elapsed_ms)
        rows.sort(key=lambda p: int(p["uTime"]), reverse=True)
        # "All records that have the same uTime will be returned at the current request"
        # (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-positions-history).
        cut = rows[:limit]
        if len(rows) > limit:
            cut += [p for p in rows[limit:] if p["uTime"] == cut[-1]["uTime"]]
        return cut

    def fills(self, account, now_ms, days, inst_type_=None, inst_id=None, ord_id=None,
              after=None, before=None, begin=None, end=None, limit=100, elapsed_ms=None):
        """trade/fills (days=3) and fills-history (days=90): newest first, paging on billId."""
        oldest = now_ms - days * DAY_MS
        rows = [f for f in account.fills
                if int(f["ts"]) >= oldest
                and (not inst_type_ or f["instType"] == inst_type_)
                and (not inst_id or f["instId"] == inst_id)
                and (not ord_id or f["ordId"] == ord_id)
                and (after is None or int(f["billId"]) < after)
                and (before is None or int(f["billId"]) > before)
                and (begin is None or int(f["ts"]) > begin)
                and (end is None or int(f["ts"]) < end)]
        rows.sort(key=lambda f: int(f["billId"]), reverse=True)
        return served(rows, elapsed_ms)[:limit]

    def instruments_of(self, inst_type_, inst_id=None, inst_family=None):
        return served([i for i in self.instruments.values()
                       if i["instType"] == inst_type_ and (not inst_id or i["instId"] == inst_id)
                       and (not inst_family or i["instFamily"] == inst_family) and i["state"] != "expired"])
