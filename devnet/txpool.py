"""A minimal transaction pool with geth's replacement and ordering rules."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from formatters import fee_cap, tip_cap

PRICE_BUMP_PERCENT = 10
"""geth's default txpool.pricebump: a replacement must raise both fee caps by 10 %."""


class TxPoolError(Exception):
    """A transaction the pool refuses; the message is geth's wording."""


@dataclass(frozen=True)
class PooledTx:
    """A signed transaction waiting for a block."""

    tx: Any
    sender: bytes
    seq: int = field(compare=False)

    @property
    def hash(self) -> bytes:
        return self.tx.hash

    @property
    def nonce(self) -> int:
        return self.tx.nonce

    def effective_tip(self, base_fee: int) -> int:
        """What the block producer earns per gas at this base fee."""
        return min(tip_cap(self.tx), fee_cap(self.tx) - base_fee)


class TxPool:
    """Pending and queued transactions, keyed by (sender, nonce) and by hash."""

    def __init__(self) -> None:
        self._by_sender: dict[bytes, dict[int, PooledTx]] = {}
        self._by_hash: dict[bytes, PooledTx] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._by_hash)

    def __iter__(self) -> Iterator[PooledTx]:
        return iter(list(self._by_hash.values()))

    def get(self, tx_hash: bytes) -> Optional[PooledTx]:
        """The pooled transaction with this hash, if any."""
        return self._by_hash.get(tx_hash)

    def add(self, tx: Any, sender: bytes) -> Optional[PooledTx]:
        """Add a transaction, replacing one with the same sender and nonce.

        Returns the replaced transaction. Raises TxPoolError "already known" for
        a duplicate and "replacement transaction underpriced" when either fee
        cap is not raised by at least PRICE_BUMP_PERCENT.
        """
        if tx.hash in self._by_hash:
            raise TxPoolError("already known")
        slot = self._by_sender.setdefault(sender, {})
        old = slot.get(tx.nonce)
        if old is not None and not _is_sufficient_bump(old.tx, tx):
            raise TxPoolError("replacement transaction underpriced")
        if old is not None:
            del self._by_hash[old.hash]
        entry = PooledTx(tx=tx, sender=sender, seq=next(self._seq))
        slot[tx.nonce] = entry
        self._by_hash[tx.hash] = entry
        return old

    def remove(self, tx_hash: bytes) -> None:
        """Forget a transaction (mined or dropped)."""
        entry = self._by_hash.pop(tx_hash, None)
        if entry is None:
            return
        slot = self._by_sender[entry.sender]
        del slot[entry.nonce]
        if not slot:
            del self._by_sender[entry.sender]

    def pending_nonce(self, sender: bytes, state_nonce: int) -> int:
        """Next nonce after the sender's contiguous pooled transactions."""
        nonces = self._by_sender.get(sender, {})
        nonce = state_nonce
        while nonce in nonces:
            nonce += 1
        return nonce

    def prune(self, state_nonce: Callable[[bytes], int]) -> None:
        """Drop transactions whose nonce the chain has already used."""
        for entry in list(self._by_hash.values()):
            if entry.nonce < state_nonce(entry.sender):
                self.remove(entry.hash)

    def best_executable(
        self, next_nonce: Callable[[bytes], int], base_fee: int, gas_left: int
    ) -> Optional[PooledTx]:
        """The next transaction a block producer would pick.

        Candidates are each sender's transaction at its next nonce that pays
        the base fee and fits the gas left; the highest effective tip wins,
        ties go to the earliest arrival.
        """
        best = None
        for sender, slot in self._by_sender.items():
            entry = slot.get(next_nonce(sender))
            if entry is None or fee_cap(entry.tx) < base_fee or entry.tx.gas > gas_left:
                continue
            if best is None or _rank(entry, base_fee) > _rank(best, base_fee):
                best = entry
        return best

    def copy(self) -> "TxPool":
        """An independent pool with the same transactions (for snapshots)."""
        clone = TxPool()
        for entry in sorted(self._by_hash.values(), key=lambda e: e.seq):
            clone.add(entry.tx, entry.sender)
        return clone


def _rank(entry: PooledTx, base_fee: int) -> tuple[int, int]:
    return (entry.effective_tip(base_fee), -entry.seq)


def _is_sufficient_bump(old: Any, new: Any) -> bool:
    def bumped(old_value: int, new_value: int) -> bool:
        threshold = old_value * (100 + PRICE_BUMP_PERCENT) // 100
        return new_value > old_value and new_value >= threshold

    return bumped(fee_cap(old), fee_cap(new)) and bumped(tip_cap(old), tip_cap(new))
