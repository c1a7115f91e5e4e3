#!/usr/bin/env bash
# The indexing benchmark (issue 4, BENCHMARKS.md): `lg-keeper index --once` against the log-replay
# server, the same rows inserted with SQLite's C API (the ceiling), and the server alone.
#
#   bench/index.sh [--quick] [--logs N] [--runs R] [--range BLOCKS] [--seed S] [--sample K]
#                  [--events-only-ceiling] [--web3-logs N] [--no-build] [--bin DIR] [--work DIR] [--keep]
#
# --quick: 10,000 logs, one run (what the test runs so that the harness cannot rot).
# --events-only-ceiling: also time a ceiling that writes the events rows alone.
# --web3-logs N: also run bench/web3_indexer.py (web3.py get_logs + sqlite3, in the devnet venv)
#   against the same server over the blocks holding the first N logs (all of them when N ≥ --logs,
#   then its rows are checked like the keeper's); its rate is compared with the keeper's.
# Every measurement runs R times (default 3) and the table shows the median. Exits non-zero when
# the keeper's rows differ from the served logs (count, or any column of a sample).
set -euo pipefail

cd "$(dirname "$0")/.."
LOGS=1000000 RUNS=3 RANGE=500 SEED=1 SAMPLE=500 BUILD=1 BIN="" WORK="" KEEP=0 EVENTS_ONLY=0 WEB3_LOGS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) LOGS=10000 RUNS=1 ;;
    --logs) LOGS="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --range) RANGE="$2"; shift ;;
    --seed) SEED="$2"; shift ;;
    --sample) SAMPLE="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --bin) BIN="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --keep) KEEP=1 ;;
    --events-only-ceiling) EVENTS_ONLY=1 ;;
    --web3-logs) WEB3_LOGS="$2"; shift ;;
    *) echo "bench/index.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

if [ ! -x /usr/bin/time ] || ! /usr/bin/time -v true >/dev/null 2>&1; then
  echo "bench/index.sh: GNU time (/usr/bin/time -v) is missing: run \`make bench-deps\`" >&2; exit 69
fi
if [ "$BUILD" = 1 ]; then
  swift build -c release --product lg-keeper >&2
  swift build -c release --product lg-bench >&2
fi
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
KEEPER="$BIN/lg-keeper" BENCH="$BIN/lg-bench"
for tool in "$KEEPER" "$BENCH"; do [ -x "$tool" ] || { echo "bench/index.sh: no $tool (build first)" >&2; exit 69; }; done

if [ -z "$WORK" ]; then WORK="$(mktemp -d "${TMPDIR:-/tmp}/lg-bench.XXXXXX")"; fi
mkdir -p "$WORK"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

CORPUS=(--logs "$LOGS" --seed "$SEED")
: >"$WORK/server.log"   # before the server's shell opens it: the loop below may read it first
"$BENCH" serve "${CORPUS[@]}" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 200); do
  PORT="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log")"
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.05
done
[ -n "$PORT" ] || { echo "bench/index.sh: the replay server did not start:" >&2; cat "$WORK/server.log" >&2; exit 70; }
URL="http://127.0.0.1:$PORT"
read -r _ CONTRACT _ CHAIN_ID _ HEAD _ < <("$BENCH" describe "${CORPUS[@]}")

cat >"$WORK/keeper.json" <<EOF
{
  "chain": {"rpcUrls": ["$URL"], "chainId": $CHAIN_ID, "contract": "$CONTRACT", "startBlock": 0,
            "confirmations": 0, "useFinalizedTag": false, "pollIntervalMs": 2000, "maxBlockRange": $RANGE,
            "rescanIntervalSeconds": 300, "blockHashWindow": 1024, "requestTimeoutMs": 120000},
  "store": {"path": "$WORK/keeper.sqlite"}
}
EOF

TICKS="$(getconf CLK_TCK)"
# CPU seconds (user + system) the replay server has used so far.
server_cpu() { awk -v t="$TICKS" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$SERVER_PID/stat"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Wall clock "h:mm:ss" or "m:ss.ss" from GNU time, in seconds.
wall_seconds() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }

echo "bench/index.sh: $LOGS logs in blocks 1…$HEAD, ranges of $RANGE blocks, $RUNS run(s); work dir $WORK" >&2
: >"$WORK/keeper.tsv"
for run in $(seq 1 "$RUNS"); do
  rm -f "$WORK"/keeper.sqlite*
  before="$(server_cpu)"
  if ! /usr/bin/time -v "$KEEPER" index --once --config "$WORK/keeper.json" >"$WORK/keeper.out" 2>"$WORK/keeper.time"; then
    echo "bench/index.sh: lg-keeper index failed:" >&2; cat "$WORK/keeper.out" "$WORK/keeper.time" >&2; exit 70
  fi
  after="$(server_cpu)"
  wall="$(wall_seconds "$WORK/keeper.time")"
  cpu="$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$WORK/keeper.time")"
  rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$WORK/keeper.time")"
  # The row count every run; every column of a sample on the last.
  sample=0; [ "$run" = "$RUNS" ] && sample="$SAMPLE"
  if ! "$BENCH" check "${CORPUS[@]}" --db "$WORK/keeper.sqlite" --sample "$sample" >"$WORK/check.out"; then
    cat "$WORK/check.out" >&2; echo "bench/index.sh: the keeper's rows differ from the served logs" >&2; exit 1
  fi
  echo "$wall $cpu $rss $(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" >>"$WORK/keeper.tsv"
  echo "  keeper run $run: ${wall} s wall, ${cpu} s cpu, ${rss} MB peak RSS; $(tail -1 "$WORK/check.out")" >&2
done

: >"$WORK/fetch.tsv"
for run in $(seq 1 "$RUNS"); do
  before="$(server_cpu)"
  line="$("$BENCH" fetch "${CORPUS[@]}" --range "$RANGE" --url "$URL")"
  after="$(server_cpu)"
  echo "$(echo "$line" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p') $(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" >>"$WORK/fetch.tsv"
  echo "  server alone run $run: $line" >&2
done

: >"$WORK/ceiling.tsv"; : >"$WORK/ceiling-events.tsv"
for run in $(seq 1 "$RUNS"); do
  variants=(full); [ "$EVENTS_ONLY" = 1 ] && variants+=(events)
  for variant in "${variants[@]}"; do
    flag=(); file=ceiling.tsv
    if [ "$variant" = events ]; then flag=(--events-only); file=ceiling-events.tsv; fi
    line="$("$BENCH" ceiling "${CORPUS[@]}" --range "$RANGE" --db "$WORK/ceiling.sqlite" "${flag[@]}")"
    echo "$line" | sed -n 's/.* in \([0-9.]*\) s (cpu \([0-9.]*\) s).*/\1 \2/p' >>"$WORK/$file"
    echo "  ceiling run $run: $line" >&2
  done
  rm -f "$WORK"/ceiling.sqlite*
done

W_ROW=""
if [ "$WEB3_LOGS" -gt 0 ]; then
  PYTHON="${LGK_PYTHON:-$PWD/devnet/.venv/bin/python}"
  [ "$WEB3_LOGS" -gt "$LOGS" ] && WEB3_LOGS="$LOGS"
  W_LAST="$("$BENCH" describe "${CORPUS[@]}" --through-log "$((WEB3_LOGS - 1))" | sed -n 's/.* through_block \([0-9]*\).*/\1/p')"
  : >"$WORK/web3.tsv"
  for run in $(seq 1 "$RUNS"); do
    rm -f "$WORK"/web3.sqlite*
    line="$("$PYTHON" bench/web3_indexer.py --url "$URL" --contract "$CONTRACT" --db "$WORK/web3.sqlite" --from 0 --to "$W_LAST" --range "$RANGE")"
    echo "$line" | sed -n 's/^web3.py indexer: \([0-9]*\) logs in \([0-9.]*\) s (cpu \([0-9.]*\) s).*/\1 \2 \3/p' >>"$WORK/web3.tsv"
    echo "  web3.py run $run: $line" >&2
  done
  if [ "$WEB3_LOGS" = "$LOGS" ] && ! "$BENCH" check "${CORPUS[@]}" --db "$WORK/web3.sqlite" --sample "$SAMPLE" >"$WORK/web3-check.out"; then
    cat "$WORK/web3-check.out" >&2; echo "bench/index.sh: the web3.py indexer's rows differ from the served logs" >&2; exit 1
  fi
fi

rate() { awk -v n="$LOGS" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }
col() { awk -v c="$2" '{ print $c }' "$WORK/$1" | median; }
K_WALL="$(col keeper.tsv 1)" K_CPU="$(col keeper.tsv 2)" K_RSS="$(col keeper.tsv 3)" K_SRV="$(col keeper.tsv 4)"
F_WALL="$(col fetch.tsv 1)" F_SRV="$(col fetch.tsv 2)"
C_WALL="$(col ceiling.tsv 1)" C_CPU="$(col ceiling.tsv 2)"
if [ "$WEB3_LOGS" -gt 0 ]; then
  W_N="$(col web3.tsv 1)" W_WALL="$(col web3.tsv 2)" W_CPU="$(col web3.tsv 3)"
  wrate() { awk -v n="$W_N" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
  W_ROW="| web3.py get_logs + sqlite3 ($W_N logs) | $W_WALL | $(wrate "$W_WALL") | $W_CPU | $(wrate "$W_CPU") | |"
fi
E_ROW=""
if [ "$EVENTS_ONLY" = 1 ]; then
  E_WALL="$(col ceiling-events.tsv 1)" E_CPU="$(col ceiling-events.tsv 2)"
  E_ROW="| SQLite C API ceiling (events only) | $E_WALL | $(rate "$E_WALL") | $E_CPU | $(rate "$E_CPU") | |"
fi

cat <<EOF

| $LOGS logs, ranges of $RANGE blocks, median of $RUNS | seconds (wall) | logs/s (wall) | CPU seconds | logs per CPU-second | peak RSS |
|---|---:|---:|---:|---:|---:|
| lg-keeper index --once | $K_WALL | $(rate "$K_WALL") | $K_CPU | $(rate "$K_CPU") | $K_RSS MB |
| SQLite C API ceiling (events, claims, blocks, cursor) | $C_WALL | $(rate "$C_WALL") | $C_CPU | $(rate "$C_CPU") | |${E_ROW:+
$E_ROW}${W_ROW:+
$W_ROW}
| replay server alone (lg-bench fetch; CPU = server's) | $F_WALL | $(rate "$F_WALL") | $F_SRV | $(rate "$F_SRV") | |
| replay server during the keeper runs (CPU = server's) | | | $K_SRV | $(rate "$K_SRV") | |

keeper / ceiling (same rows): $(pct "$(rate "$K_WALL")" "$(rate "$C_WALL")") by wall time, $(pct "$(rate "$K_CPU")" "$(rate "$C_CPU")") by CPU time (target ≥ 30%)
rows: $(tail -1 "$WORK/check.out")
EOF
if [ "$WEB3_LOGS" -gt 0 ]; then
  echo "keeper / web3.py: $(awk -v a="$(rate "$K_WALL")" -v b="$(wrate "$W_WALL")" 'BEGIN { printf "%.1f×", a / b }') by wall time, $(awk -v a="$(rate "$K_CPU")" -v b="$(wrate "$W_CPU")" 'BEGIN { printf "%.1f×", a / b }') by CPU time (target ≥ 20×; web3.py over the first $W_N logs, the keeper over all $LOGS)"
  if [ -s "$WORK/web3-check.out" ]; then echo "web3.py rows: $(tail -1 "$WORK/web3-check.out")"; fi
fi
