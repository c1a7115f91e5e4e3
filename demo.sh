#!/usr/bin/env bash
# `make demo`: LeverageGuard Keeper end to end on loopback — devnet (a USDT pool) and okxsim started, one
# verification per okxsim scenario, `lg-keeper run` settling traders' claims live (with a reorg),
# each claim from request to payment, a /metrics excerpt, a clean reconciliation and the evidence.
# The orchestration is devnet/demo.py (Python is demo infrastructure; the keeper is the Swift binary).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${LGK_PYTHON:-devnet/.venv/bin/python}
KEEPER=${LGK_KEEPER:-.build/debug/lg-keeper}
exec "$PYTHON" devnet/demo.py --keeper "$KEEPER" "$@"
