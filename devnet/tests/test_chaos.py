"""The small chaos run inside `make test` (the full one is `make chaos`, devnet/chaos.py).

20 claims from 5 users, filed in two cascades of 10 (`--cascade-size`), at least 10 SIGKILLs of `lg-keeper run` (crash points and the driver's),
one reorg within the confirmations and one deeper (the keeper halts, the operator clears it), RPC
faults and OKX bursts; it passes only when every liquidated claim is paid exactly once, every
other one is recorded as not liquidated (a position still open: no verdict at all), no keeper transaction reverted, the nonces are
contiguous, and `reconcile` and `audit verify` are clean. `make test` builds the keeper before
pytest runs; a bare pytest without a built keeper skips this test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEVNET_DIR

KEEPER = Path(os.environ.get("LGK_KEEPER", DEVNET_DIR.parent / ".build" / "debug" / "lg-keeper"))


@pytest.mark.skipif(not KEEPER.is_file(), reason=f"no keeper binary at {KEEPER} (swift build)")
def test_small_chaos_run_settles_every_claim_exactly_once(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEVNET_DIR / "chaos.py"), "--keeper", str(KEEPER), "--claims", "20", "--users", "5",
         "--kills", "10", "--reorgs", "2", "--seed", "8", "--max-life", "2.5", "--settle-timeout", "120", "--cascade-size", "10",
         "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    figures = dict(line.split(None, 1) for line in result.stdout.splitlines() if line[:1].isalpha() and " " in line)
    assert figures["result"].strip() == "PASS", output[-6000:]
    assert figures["double"].startswith("payments   0"), output[-6000:]
    kills = int(figures["kills"].split()[1].rstrip(":"))
    assert kills >= 10, figures["kills"]
    assert "halted the keeper 1×" in figures["reorgs"], figures["reorgs"]
    assert "seen by the keeper: 1 within the confirmations, 1 finality violations" in figures["reorgs"], figures["reorgs"]
