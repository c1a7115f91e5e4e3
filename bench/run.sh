#!/usr/bin/env bash
# `make bench` (issue 8, BENCHMARKS.md): every benchmark in one run, then one summary table.
#
#   bench/run.sh [--quick] [--logs N] [--runs R] [--web3-logs N] [--iterations N] [--idle S]
#
# 1. bench/index.sh: lg-keeper index --once (N logs, default 1,000,000) against the replay server,
#    the SQLite C API ceiling, and bench/web3_indexer.py (web3.py get_logs + sqlite3) on the first
#    --web3-logs logs of the same server (default 100,000);
# 2. lg-bench verify-core: LiquidationVerifier over okxsim's answers recorded once, ms per claim;
# 3. bench/latency.py: claim-to-payment blocks on a devnet with a block timer, and lg-keeper run's
#    resident memory idle-following after the claims are paid.
# --quick: 10,000 logs (web3.py: all of them), 20 verify iterations, 10 s idle.
set -euo pipefail

cd "$(dirname "$0")/.."
LOGS=1000000 RUNS=1 WEB3_LOGS=100000 ITERATIONS=200 IDLE=30
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) LOGS=10000 WEB3_LOGS=10000 ITERATIONS=20 IDLE=10 ;;
    --logs) LOGS="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --web3-logs) WEB3_LOGS="$2"; shift ;;
    --iterations) ITERATIONS="$2"; shift ;;
    --idle) IDLE="$2"; shift ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
PYTHON="${LGK_PYTHON:-$PWD/devnet/.venv/bin/python}"

swift build -c release --product lg-keeper >&2
swift build -c release --product lg-bench >&2
BIN="$(swift build -c release --show-bin-path)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lg-bench-all.XXXXXX")"
OKX_PID=""
cleanup() {
  if [ -n "$OKX_PID" ]; then kill "$OKX_PID" 2>/dev/null || true; wait "$OKX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

machine() {
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
}
machine >&2

echo "== 1. indexing: keeper, SQLite ceiling, web3.py" >&2
bench/index.sh --no-build --bin "$BIN" --logs "$LOGS" --runs "$RUNS" --web3-logs "$WEB3_LOGS" | tee "$WORK/index.out"
LOAD_INDEX="$(cut -d' ' -f1 /proc/loadavg)"

echo "== 2. verification core" >&2
"$PYTHON" devnet/okxsim.py --port 0 >"$WORK/okxsim.log" 2>&1 &
OKX_PID=$!
OKX_URL=""
for _ in $(seq 1 200); do
  OKX_URL="$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/okxsim.log" | head -1)"
  [ -n "$OKX_URL" ] && break
  sleep 0.1
done
[ -n "$OKX_URL" ] || { echo "bench/run.sh: okxsim did not start" >&2; cat "$WORK/okxsim.log" >&2; exit 70; }
"$BIN/lg-bench" verify-core --okx "$OKX_URL" --scenarios devnet/scenarios --iterations "$ITERATIONS" | tee "$WORK/verify.out"
LOAD_VERIFY="$(cut -d' ' -f1 /proc/loadavg)"
kill "$OKX_PID"; wait "$OKX_PID" 2>/dev/null || true; OKX_PID=""

echo "== 3. claim-to-payment latency and lg-keeper run's memory" >&2
"$PYTHON" bench/latency.py --keeper "$BIN/lg-keeper" --idle "$IDLE" | tee "$WORK/latency.out"
LOAD_LATENCY="$(cut -d' ' -f1 /proc/loadavg)"

field() { sed -n "$2" "$WORK/$1" | head -1; }
K_RATE="$(field index.out 's/^| lg-keeper index --once | [^|]* | \([0-9]*\) | [^|]* | \([0-9]*\) | \([0-9.]*\) MB |$/\1 \2 \3/p')"
C_RATE="$(field index.out 's/^| SQLite C API ceiling (events, claims, blocks, cursor) | [^|]* | \([0-9]*\) | [^|]* | \([0-9]*\) |.*/\1 \2/p')"
W_RATE="$(field index.out 's/^| web3.py get_logs + sqlite3 ([0-9]* logs) | [^|]* | \([0-9]*\) | [^|]* | \([0-9]*\) |.*/\1 \2/p')"
read -r KW KC KRSS <<<"$K_RATE"; read -r CW CC <<<"$C_RATE"; read -r WW WC <<<"$W_RATE"
VERIFY_MS="$(field verify.out 's/.*, \([0-9.]*\) ms cpu per claim;.*/\1/p')"
VERIFY_WALL="$(field verify.out 's/.*): \([0-9.]*\) ms per claim,.*/\1/p')"
LAT_MAX="$(field latency.out 's/^latency: .* max \([0-9]*\) (confirmations \([0-9]*\).*/\1 \2/p')"
read -r LMAX CONF <<<"$LAT_MAX"
MEM="$(field latency.out 's/^memory: .* RSS median \([0-9.]*\) MB, max \([0-9.]*\) MB.*/\1 \2/p')"
read -r MMED MMAX <<<"$MEM"
verdict() { awk -v v="$1" -v g="$2" -v dir="$3" 'BEGIN { if (v == "") print "n/a"; else if ((dir == "ge" && v >= g) || (dir == "le" && v <= g)) print "met"; else print "missed" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "" }'; }
R_WEB3_CPU="$(ratio "$KC" "$WC")" R_WEB3_WALL="$(ratio "$KW" "$WW")"
R_CEIL_CPU="$(ratio "$KC" "$CC")" R_CEIL_WALL="$(ratio "$KW" "$CW")"

cat <<EOF

## Summary ($(machine | sed 's/^machine: //'))

| goal (issue 8) | figure | target | | load (1 min) |
|---|---:|---:|---|---:|
| keeper / web3.py indexer, logs per CPU-second | ${R_WEB3_CPU}× (wall ${R_WEB3_WALL}×) | ≥ 20× | $(verdict "$R_WEB3_CPU" 20 ge) | $LOAD_INDEX |
| keeper / SQLite C API ceiling, logs per CPU-second | $(awk -v r="$R_CEIL_CPU" 'BEGIN { printf "%.0f%%", 100 * r }') (wall $(awk -v r="$R_CEIL_WALL" 'BEGIN { printf "%.0f%%", 100 * r }')) | ≥ 30% | $(verdict "$R_CEIL_CPU" 0.30 ge) | $LOAD_INDEX |
| verification core per claim (CPU; no OKX round trip) | $VERIFY_MS ms (wall $VERIFY_WALL ms) | ≤ 5 ms | $(verdict "$VERIFY_MS" 5 le) | $LOAD_VERIFY |
| claim → PayoutExecuted, worst claim | $LMAX blocks | ≤ $((CONF + 3)) (confirmations $CONF + 3) | $(verdict "$LMAX" $((CONF + 3)) le) | $LOAD_LATENCY |
| lg-keeper run RSS, idle-following (median / max) | $MMED / $MMAX MB | ≤ 30 MB | $(verdict "$MMAX" 30 le) | $LOAD_LATENCY |
| lg-keeper index --once peak RSS, $LOGS-log backfill | $KRSS MB | ≤ 100 MB | $(verdict "$KRSS" 100 le) | $LOAD_INDEX |
EOF
