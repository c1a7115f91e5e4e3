#!/usr/bin/env bash
# The provider-mode benchmark (issue 14, BENCHMARKS.md): `lg-keeper index --once` over the log-replay
# server's corpus, directly and through devnet/faultproxy.py in each provider mode; every run's rows
# are checked against the served logs (lg-bench check), and each mode's time is set against the
# direct run's.
#
#   bench/providers.sh [--logs N] [--modes "m1 m2 …"] [--no-build] [--bin DIR] [--work DIR] [--keep]
#
# Defaults: 50,000 logs, every mode. The limits are scaled to the corpus (about 30 logs a block) so
# that each mode refuses something; they are in the MODES table below.
set -euo pipefail

cd "$(dirname "$0")/.."
LOGS=50000 BUILD=1 BIN="" WORK="" KEEP=0 ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --logs) LOGS="$2"; shift ;;
    --modes) ONLY="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --bin) BIN="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --keep) KEEP=1 ;;
    *) echo "bench/providers.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

# mode | faultproxy settings | keeper chain settings
MODES='direct|-|"maxBatchSize": 50
proxy-none|{"fault":"none"}|"maxBatchSize": 50
geth-batch|{"fault":"geth-batch","batchLimit":30}|"maxBatchSize": 200
erigon-batch|{"fault":"erigon-batch"}|"maxBatchSize": 200
cu429|{"fault":"cu429","cups":5000,"retryAfter":1}|"maxBatchSize": 50
cu429-paced|{"fault":"cu429","cups":5000,"retryAfter":1}|"maxBatchSize": 20, "maxRequestsPerSecond": 280
cu429-20k|{"fault":"cu429","cups":20000,"retryAfter":1}|"maxBatchSize": 50
infura-range|{"fault":"infura-range"}|"maxBatchSize": 50
alchemy-range|{"fault":"alchemy-range","maxRange":100}|"maxBatchSize": 50
reth-range|{"fault":"reth-range","maxResults":5000}|"maxBatchSize": 50
quicknode-range|{"fault":"quicknode-range","maxRange":200}|"maxBatchSize": 50
bsc-range|{"fault":"bsc-range","maxRange":100}|"maxBatchSize": 50
lb-lag|{"fault":"lb-lag","blocks":2}|"maxBatchSize": 50'

if [ "$BUILD" = 1 ]; then
  swift build -c release --product lg-keeper >&2
  swift build -c release --product lg-bench >&2
fi
BIN="${BIN:-$(swift build -c release --show-bin-path)}"
KEEPER="$BIN/lg-keeper" BENCH="$BIN/lg-bench" PYTHON="${LGK_PYTHON:-$PWD/devnet/.venv/bin/python}"
for tool in "$KEEPER" "$BENCH"; do [ -x "$tool" ] || { echo "bench/providers.sh: no $tool (build first)" >&2; exit 69; }; done
if [ -z "$WORK" ]; then WORK="$(mktemp -d "${TMPDIR:-/tmp}/lg-providers.XXXXXX")"; fi
mkdir -p "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Starts a server printing "listening on http://127.0.0.1:PORT" into $1.log; sets PORT.
wait_port() {
  PORT=""
  for _ in $(seq 1 200); do
    PORT="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")"
    [ -n "$PORT" ] && return 0
    sleep 0.05
  done
  echo "bench/providers.sh: no server in $1:" >&2; cat "$1" >&2; exit 70
}
CORPUS=(--logs "$LOGS" --seed 1)
"$BENCH" serve "${CORPUS[@]}" >"$WORK/server.log" 2>&1 &
PIDS+=($!); wait_port "$WORK/server.log"; SERVER="http://127.0.0.1:$PORT"
# The proxy exits when its standard input closes: keep a pipe open for it.
mkfifo "$WORK/lifeline"; sleep 100000 >"$WORK/lifeline" & PIDS+=($!)
"$PYTHON" devnet/faultproxy.py --upstream "$SERVER" <"$WORK/lifeline" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!); wait_port "$WORK/proxy.log"; PROXY="http://127.0.0.1:$PORT"
read -r _ CONTRACT _ CHAIN_ID _ HEAD _ < <("$BENCH" describe "${CORPUS[@]}")
echo "bench/providers.sh: $LOGS logs in blocks 1…$HEAD; work dir $WORK" >&2

printf '| mode (%s logs, maxBlockRange 500) | proxy settings | keeper settings | runs | seconds | × direct | refused by the proxy | rows |\n|---|---|---|---:|---:|---:|---:|---|\n' "$LOGS"
DIRECT=""
while IFS='|' read -r MODE SETTINGS CHAIN; do
  if [ -n "$ONLY" ] && [ "$MODE" != direct ] && ! [[ " $ONLY " == *" $MODE "* ]]; then continue; fi
  URL="$PROXY"; [ "$MODE" = direct ] && URL="$SERVER"
  [ "$SETTINGS" != - ] && curl -fsS -XPOST "$PROXY/__admin" -d "$SETTINGS" >/dev/null
  rm -f "$WORK"/keeper.sqlite*
  cat >"$WORK/keeper.json" <<JSON
{"chain": {"rpcUrls": ["$URL"], "chainId": $CHAIN_ID, "contract": "$CONTRACT", "startBlock": 0, "confirmations": 0,
           "maxBlockRange": 500, "requestTimeoutMs": 120000, $CHAIN},
 "store": {"path": "$WORK/keeper.sqlite"}}
JSON
  # --once stops at the head the node reported (a lagging backend's is lower): run again until all is in, at most 3 times.
  start="$(date +%s.%N)" runs=0 rows=0
  while [ "$runs" -lt 3 ] && [ "$rows" -lt "$LOGS" ]; do
    "$KEEPER" index --once --config "$WORK/keeper.json" >"$WORK/$MODE.out" 2>&1 || { echo "bench/providers.sh: $MODE failed:" >&2; cat "$WORK/$MODE.out" >&2; exit 70; }
    runs=$((runs + 1)); rows="$(sqlite3 "$WORK/keeper.sqlite" 'SELECT count(*) FROM events')"
  done
  seconds="$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')"
  "$BENCH" check "${CORPUS[@]}" --db "$WORK/keeper.sqlite" --sample 500 >"$WORK/$MODE.check" || {
    cat "$WORK/$MODE.check" >&2; echo "bench/providers.sh: $MODE: the rows differ from the served logs" >&2; exit 1; }
  injected="-"; [ "$SETTINGS" != - ] && injected="$(curl -fsS "$PROXY/__admin" | sed -n 's/.*"injected": \([0-9]*\).*/\1/p')"
  [ "$MODE" = direct ] && DIRECT="$seconds"
  ratio="$(awk -v a="$seconds" -v b="$DIRECT" 'BEGIN { printf "%.1f×", a / b }')"
  printf '| %s | `%s` | `%s` | %s | %s | %s | %s | %s |\n' "$MODE" "$SETTINGS" "$CHAIN" "$runs" "$seconds" "$ratio" "$injected" "$(tail -1 "$WORK/$MODE.check")"
done <<<"$MODES"
curl -fsS -XPOST "$PROXY/__admin" -d '{"fault":"none"}' >/dev/null
