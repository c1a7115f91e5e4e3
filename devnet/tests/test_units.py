"""Pure units, no chain: wire encoding and parsing, the pool's replacement and nonce rules."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import wire
from txpool import TxPool, TxPoolError

SENDER = b"\x01" * 20


def dynamic_tx(nonce: int, tip: int, fee_cap: int, tag: int = 0):
    """A stand-in for a py-evm EIP-1559 transaction."""
    return SimpleNamespace(hash=bytes([nonce, tag, tip % 256, fee_cap % 256]) * 8, nonce=nonce, gas=21000,
                           type_id=2, max_priority_fee_per_gas=tip, max_fee_per_gas=fee_cap)


# ---------------------------------------------------------------- wire

@pytest.mark.parametrize("value, encoded", [(0, "0x0"), (1, "0x1"), (255, "0xff"), (2**64, "0x10000000000000000")])
def test_quantities_are_minimal_hex(value, encoded):
    assert wire.quantity(value) == encoded
    assert wire.parse_quantity(encoded) == value


@pytest.mark.parametrize("bad", ["0x", "0x01", "12", "0xzz", 12, None, "0x" + "f" * 65])
def test_quantity_parsing_is_strict(bad):
    with pytest.raises(wire.ParamError):
        wire.parse_quantity(bad)


def test_fixed_size_values():
    assert wire.address(b"\xab" * 20) == "0x" + "ab" * 20
    assert wire.address(b"") is None  # contract creation: "to" is null
    assert wire.fixed(0, 8) == "0x0000000000000000"
    assert wire.hash32(1) == "0x" + "00" * 31 + "01"
    with pytest.raises(wire.ParamError):
        wire.parse_address("0x" + "ab" * 19)
    with pytest.raises(wire.ParamError):
        wire.parse_data("0xabc")


def test_block_references():
    assert wire.parse_block_ref("finalized") == "finalized"
    assert wire.parse_block_ref("0x10") == 16
    assert wire.parse_block_ref({"blockNumber": "0x2"}) == 2
    assert wire.parse_block_ref({"blockHash": "0x" + "11" * 32, "requireCanonical": True}) == wire.BlockHash(
        b"\x11" * 32, True)
    for bad in ("latest ", "16", {"blockHash": "0x" + "11" * 32, "blockNumber": "0x1"}, {}):
        with pytest.raises(wire.ParamError):
            wire.parse_block_ref(bad)


def test_lenient_numbers_for_counts():
    assert wire.parse_number(5) == wire.parse_number("5") == wire.parse_number("0x5") == 5
    with pytest.raises(wire.ParamError):
        wire.parse_number(True)


# ---------------------------------------------------------------- pool

def test_replacement_needs_ten_percent_on_both_fees():
    pool = TxPool()
    pool.add(dynamic_tx(0, tip=100, fee_cap=1000), SENDER)
    with pytest.raises(TxPoolError, match="replacement transaction underpriced"):
        pool.add(dynamic_tx(0, tip=109, fee_cap=2000, tag=1), SENDER)
    with pytest.raises(TxPoolError, match="replacement transaction underpriced"):
        pool.add(dynamic_tx(0, tip=200, fee_cap=1099, tag=2), SENDER)
    replacement = dynamic_tx(0, tip=110, fee_cap=1100, tag=3)
    replaced = pool.add(replacement, SENDER)
    assert replaced.tx.max_fee_per_gas == 1000
    assert pool.get(replaced.hash) is None and pool.get(replacement.hash).tx is replacement
    assert len(pool) == 1


def test_duplicates_are_already_known():
    pool = TxPool()
    tx = dynamic_tx(0, tip=1, fee_cap=10)
    pool.add(tx, SENDER)
    with pytest.raises(TxPoolError, match="already known"):
        pool.add(tx, SENDER)


def test_pending_nonce_counts_only_contiguous_transactions():
    pool = TxPool()
    for nonce in (3, 4, 6):
        pool.add(dynamic_tx(nonce, tip=1, fee_cap=10), SENDER)
    assert pool.pending_nonce(SENDER, state_nonce=3) == 5
    assert pool.pending_nonce(SENDER, state_nonce=2) == 2
    assert pool.pending_nonce(b"\x02" * 20, state_nonce=7) == 7
    pool.prune(lambda sender: 5)
    assert sorted(entry.nonce for entry in pool) == [6]


def test_block_building_order_is_by_tip_then_arrival():
    pool, other = TxPool(), b"\x02" * 20
    low = dynamic_tx(0, tip=1, fee_cap=100)
    high = dynamic_tx(0, tip=5, fee_cap=100, tag=1)
    pool.add(low, SENDER)
    pool.add(high, other)

    def next_nonce(sender: bytes) -> int:
        return 0

    assert pool.best_executable(next_nonce, base_fee=10, gas_left=10**6).tx is high
    assert pool.best_executable(next_nonce, base_fee=99, gas_left=10**6).tx is low  # tie on tip 1: arrival
    assert pool.best_executable(next_nonce, base_fee=101, gas_left=10**6) is None  # under the base fee
    assert pool.best_executable(next_nonce, base_fee=10, gas_left=20_000) is None  # does not fit


def test_pool_copies_are_independent():
    pool = TxPool()
    pool.add(dynamic_tx(0, tip=1, fee_cap=10), SENDER)
    clone = pool.copy()
    pool.add(dynamic_tx(1, tip=1, fee_cap=10), SENDER)
    assert len(clone) == 1 and len(pool) == 2
