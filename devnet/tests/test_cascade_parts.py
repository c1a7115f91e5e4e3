"""bench/cascade.py's parts that need no keeper: the config merge, percentiles, the liquidated world.

The cascade itself is a benchmark (`make bench-cascade`, minutes), not part of `make test`.
"""

from __future__ import annotations

import json
import random
import sys

from conftest import DEVNET_DIR

sys.path.insert(0, str(DEVNET_DIR.parent / "bench"))
import cascade  # noqa: E402


def test_extra_config_is_merged_key_by_key():
    base = {"chain": {"confirmations": 2, "pollIntervalMs": 300}, "okx": {"timeoutMs": 5000}}
    extra = {"chain": {"pollIntervalMs": 100}, "pipeline": {"maxConcurrentVerifications": 32}}
    assert cascade.merge(base, extra) == {"chain": {"confirmations": 2, "pollIntervalMs": 100}, "okx": {"timeoutMs": 5000},
                                          "pipeline": {"maxConcurrentVerifications": 32}}
    assert base["chain"]["pollIntervalMs"] == 300


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert cascade.percentile(values, 95) == 95
    assert cascade.percentile(values, 100) == 100
    assert cascade.percentile([7], 95) == 7
    assert cascade.percentile([3, 1, 2], 50) == 2


def test_every_claim_of_the_cascade_world_is_a_liquidation_with_its_forced_order(tmp_path):
    claims, accounts = cascade.make_world(random.Random(1), 12, 4, tmp_path, kinds=cascade.LIQUIDATIONS)
    assert len(claims) == 12 and len(accounts) == 4
    assert all(c.liquidated and c.kind == "liquidation" and c.amount > 0 for c in claims)
    for account in accounts:
        document = json.loads((tmp_path / f"{account['name']}.json").read_text())["accounts"][0]
        assert len(document["positionsHistory"]) == 3 and {p["type"] for p in document["positionsHistory"]} == {"3"}
        assert sum(o["category"] == "full_liquidation" for o in document["orders"]) == 3
        assert len(document["fills"]) == 3


def test_the_function_selectors_name_the_keepers_transactions():
    names = cascade.selectors()
    assert names["0x" + cascade.function_signature_to_4byte_selector("executePayout(address,uint256)").hex()] == "executePayout"
    assert "verifyPayout" in names.values()
