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

ACCOUNT_FIELDS = {"name", "uid", "apiKey", "secretKey", "passphrase", "demo", "permissions",
                  "ipWhitelist", "deleted", "orders", "positionsHistory", "fills"}

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
    unknown = set(raw) - set(fields)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {sorted(unknown)}")
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
    return record


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


class Account:
    """One OKX (sub-)account with one API key."""

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
        self.demo = bool(raw.get("demo", False))
        self.permissions = list(raw.get("permissions", ["read"]))
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
                "passphrase": self.passphrase, "demo": self.demo, "permissions": self.permissions,
                "ipWhitelist": self.ip_whitelist, "deleted": self.deleted, "orders": self.orders,
                "positionsHistory": self.positions, "fills": self.fills}


class World:
    """Everything the simulator serves, loaded from a scenario directory."""

    def __init__(self, anchor_ms):
        self.anchor_ms = anchor_ms
        self.accounts = {}      # apiKey → Account
        self.instruments = {}   # instId → record
        self.scenarios = []     # files with a claim: {name, file, description, claim, expect}

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
        known = {"name", "description", "instruments", "accounts", "claim", "expect"}
        unknown = set(document) - known
        if unknown:
            raise ScenarioError(f"{file}: unknown top-level field(s) {sorted(unknown)}")
        for raw in document.get("instruments", []):
            record = _record(raw, INSTRUMENT_FIELDS, self.anchor_ms, f"{file} instrument {raw.get('instId')}")
            self.instruments[record["instId"]] = record
        for raw in document.get("accounts", []):
            account = Account(raw, self.anchor_ms, file)
            if account.api_key in self.accounts:
                raise ScenarioError(f"{file}: API key of account {account.name} is already used")
            self.accounts[account.api_key] = account
        if "claim" in document or "expect" in document:
            if not ("claim" in document and "expect" in document and "name" in document):
                raise ScenarioError(f"{file}: a scenario needs name, claim and expect")
            self.scenarios.append({"name": document["name"], "file": file,
                                   "description": document.get("description", ""),
                                   "claim": document["claim"], "expect": document["expect"]})

    # Queries, answered as OKX does. Each returns a list of records (the envelope's data).

    def order(self, account, ord_id, inst_id):
        """trade/order: only the key's own account is searched, and instId must match too."""
        return [o for o in account.orders if o["ordId"] == ord_id and o["instId"] == inst_id]

    def order_id_exists_elsewhere(self, ord_id):
        return any(o["ordId"] == ord_id for a in self.accounts.values() for o in a.orders)

    def positions_history(self, account, now_ms, inst_type_=None, inst_id=None, mgn_mode=None,
                          close_type=None, pos_id=None, after=None, before=None, limit=100):
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
        rows.sort(key=lambda p: int(p["uTime"]), reverse=True)
        return rows[:limit]

    def fills(self, account, now_ms, days, inst_type_=None, inst_id=None, ord_id=None,
              after=None, before=None, begin=None, end=None, limit=100):
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
        return rows[:limit]

    def instruments_of(self, inst_type_, inst_id=None):
        return [i for i in self.instruments.values()
                if i["instType"] == inst_type_ and (not inst_id or i["instId"] == inst_id)
                and i["state"] != "expired"]
