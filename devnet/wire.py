"""Ethereum JSON-RPC wire encoding: hex quantities and data, strict parsers.

Outbound values follow the execution-API conventions that geth uses:
quantities are minimal hex ("0x0", "0x1a"), data is even-length hex, addresses
are lowercase hex. Inbound parsers are as strict as geth's, so a client that
gets its encoding wrong finds out here rather than against a real node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

BLOCK_TAGS = ("latest", "earliest", "pending", "safe", "finalized")

_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")


class ParamError(ValueError):
    """A malformed request parameter; the RPC layer answers -32602."""


# ---------------------------------------------------------------- outbound

def quantity(value: int) -> str:
    """Encode a non-negative integer as a JSON-RPC quantity ("0x0", "0x2a")."""
    if value < 0:
        raise ValueError(f"negative quantity {value}")
    return hex(value)


def data(value: bytes) -> str:
    """Encode bytes as 0x-prefixed lowercase hex."""
    return "0x" + bytes(value).hex()


def fixed(value: bytes | int, size: int) -> str:
    """Encode a fixed-size byte string (hash, nonce, bloom), left-padded."""
    if isinstance(value, int):
        value = value.to_bytes(size, "big")
    return data(bytes(value).rjust(size, b"\x00"))


def address(value: bytes | None) -> str | None:
    """Encode a 20-byte address as lowercase hex; None and b"" (creation) map to null."""
    if not value:
        return None
    return fixed(value, 20)


def hash32(value: bytes | int) -> str:
    """Encode a 32-byte hash or word."""
    return fixed(value, 32)


# ---------------------------------------------------------------- inbound

def _hex_body(value: Any) -> str:
    if not isinstance(value, str):
        raise ParamError(f"cannot unmarshal non-string {type(value).__name__} into hex value")
    if not value.startswith(("0x", "0X")):
        raise ParamError("hex string without 0x prefix")
    body = value[2:]
    if not _HEX_DIGITS.fullmatch(body):
        raise ParamError("invalid hex string")
    return body


def parse_quantity(value: Any) -> int:
    """Parse a strict hex quantity: 0x prefix, no leading zeros, not empty."""
    body = _hex_body(value)
    if body == "":
        raise ParamError("hex string \"0x\"")
    if len(body) > 1 and body[0] == "0":
        raise ParamError("hex number with leading zero digits")
    if len(body) > 64:
        raise ParamError("hex number > 256 bits")
    return int(body, 16)


def parse_number(value: Any) -> int:
    """Parse a count given either as a JSON integer or a hex/decimal string.

    Used where real nodes are lenient (eth_feeHistory's blockCount, test controls).
    """
    if isinstance(value, bool):
        raise ParamError("expected a number, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ParamError("negative number")
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return parse_quantity(value)


def parse_data(value: Any) -> bytes:
    """Parse 0x-prefixed even-length hex data ("0x" is empty)."""
    body = _hex_body(value)
    if len(body) % 2:
        raise ParamError("hex string of odd length")
    return bytes.fromhex(body)


def _parse_fixed(value: Any, size: int, what: str) -> bytes:
    raw = parse_data(value)
    if len(raw) != size:
        raise ParamError(f"hex string has length {len(raw) * 2}, want {size * 2} for {what}")
    return raw


def parse_address(value: Any) -> bytes:
    """Parse a 20-byte address (any case; the checksum is not enforced)."""
    return _parse_fixed(value, 20, "common.Address")


def parse_hash(value: Any) -> bytes:
    """Parse a 32-byte hash."""
    return _parse_fixed(value, 32, "common.Hash")


def parse_bool(value: Any) -> bool:
    """Parse a JSON boolean."""
    if not isinstance(value, bool):
        raise ParamError("cannot unmarshal non-bool into bool")
    return value


@dataclass(frozen=True)
class BlockHash:
    """An EIP-1898 block reference by hash."""

    hash: bytes
    require_canonical: bool = False


BlockRef = Union[str, int, BlockHash]
"""A block tag ("latest", ...), a block number, or a BlockHash."""


def parse_block_ref(value: Any) -> BlockRef:
    """Parse a block tag, a hex block number, or an EIP-1898 object."""
    if isinstance(value, str) and value in BLOCK_TAGS:
        return value
    if isinstance(value, dict):
        return _parse_block_object(value)
    if isinstance(value, str) and not value.startswith(("0x", "0X")):
        raise ParamError(f"invalid block tag or number {value!r}")
    return parse_quantity(value)


def _parse_block_object(value: dict) -> BlockRef:
    has_hash, has_number = "blockHash" in value, "blockNumber" in value
    if has_hash == has_number:
        raise ParamError("exactly one of blockHash and blockNumber is required")
    if has_number:
        return parse_block_ref(value["blockNumber"])
    require = value.get("requireCanonical", False)
    return BlockHash(parse_hash(value["blockHash"]), parse_bool(require))
