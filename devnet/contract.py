"""Compile LeverageGuard.vy and keep abi/LeverageGuard.json in step with it.

    python devnet/contract.py --write   # regenerate abi/LeverageGuard.json
    python devnet/contract.py --check   # exit 1 if the committed ABI is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import vyper

DEVNET_DIR = Path(__file__).resolve().parent
CONTRACT_PATH = DEVNET_DIR / "LeverageGuard.vy"
STABLECOIN_PATH = DEVNET_DIR / "TestStablecoin.vy"
ABI_PATH = DEVNET_DIR.parent / "abi" / "LeverageGuard.json"


@dataclass(frozen=True)
class CompiledContract:
    """The compiler's ABI and deployable bytecode (without constructor arguments)."""

    abi: list
    bytecode: bytes


def compile_contract(path: Path = CONTRACT_PATH) -> CompiledContract:
    """Compile a Vyper source file with the pinned compiler."""
    output = vyper.compile_code(path.read_text(), contract_path=str(path), output_formats=["abi", "bytecode"])
    return CompiledContract(abi=output["abi"], bytecode=bytes.fromhex(output["bytecode"].removeprefix("0x")))


def canonical_abi(abi: list) -> list:
    """The ABI with its entries in a stable order: by (type, name)."""
    return sorted(abi, key=lambda entry: (entry.get("type", ""), entry.get("name", "")))


def render_abi(abi: list) -> str:
    """The committed form: the compiler's ABI, pretty-printed."""
    return json.dumps(abi, indent=2) + "\n"


def load_committed_abi(path: Path = ABI_PATH) -> list:
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the compiled ABI to abi/LeverageGuard.json")
    action.add_argument("--check", action="store_true", help="compare the compiled ABI with the committed one")
    args = parser.parse_args(argv)

    compiled = compile_contract()
    if args.write:
        ABI_PATH.parent.mkdir(parents=True, exist_ok=True)
        ABI_PATH.write_text(render_abi(compiled.abi))
        print(f"wrote {ABI_PATH}")
        return 0
    if canonical_abi(compiled.abi) != canonical_abi(load_committed_abi()):
        print(f"{ABI_PATH} differs from the compiled {CONTRACT_PATH.name}; run with --write", file=sys.stderr)
        return 1
    print("ABI up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
