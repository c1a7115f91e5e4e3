#!/usr/bin/env bash
# `make fuzz`: builds each fuzz target with libFuzzer and AddressSanitizer in its own scratch path
# (.build-fuzz, so the ordinary build is untouched), runs each for FUZZ_SECONDS, prints one line per
# target and exits non-zero when any target crashed, hung, ran out of memory or broke an invariant.
#   FUZZ_SECONDS=60 FUZZ_TARGETS="rlp abi json jsonrpc okx http siwe" Fuzz/fuzz.sh
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-rlp abi json jsonrpc okx http siwe}
SCRATCH=.build-fuzz
export SWIFT_BACKTRACE=enable=no   # libFuzzer reports the crash; Swift's backtracer would hold the pipe open
# No leak detection, per input (-detect_leaks=0) or at exit: LeakSanitizer cannot follow Swift's
# spare-bit-tagged enum payload pointers and reports every lazily built global holding an indirect
# enum (ABIType, JSON) as a leak. ARC leaks are not what this hunts; traps and memory errors are.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

for target in $TARGETS; do
    echo "fuzz: building fuzz-$target"
    LGK_FUZZ=1 swift build -c debug --scratch-path "$SCRATCH" --product "fuzz-$target" \
        -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -E "error|warning: |Build" || true
    [ -x "$SCRATCH/debug/fuzz-$target" ] || { echo "fuzz: fuzz-$target did not build" >&2; exit 70; }
done

failed=0
summary=()
for target in $TARGETS; do
    work="$SCRATCH/fuzz/corpus/$target" artifacts="$SCRATCH/fuzz/artifacts/$target" log="$SCRATCH/fuzz/$target.log"
    mkdir -p "$work" "$artifacts"
    rm -f "$artifacts"/*
    echo "fuzz: running fuzz-$target for ${SECONDS_PER_TARGET}s (log $log)"
    # The first directory takes new inputs; the seeds and the regressions are read only. The
    # dictionary (Fuzz/dict/) gives the grammar's tokens (JSON, JSON-RPC and OKX members, HTTP).
    "$SCRATCH/debug/fuzz-$target" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=10 -detect_leaks=0 \
        -rss_limit_mb=2048 -artifact_prefix="$artifacts/" "$work" "Fuzz/corpus/$target" \
        $( [ -f "Fuzz/dict/$target.dict" ] && echo "-dict=Fuzz/dict/$target.dict" ) \
        $( [ -d "Fuzz/regressions/$target" ] && echo "Fuzz/regressions/$target" ) >"$log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then   # stopped by a crash: the last status line has the count
        execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
        rate=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    fi
    crashes=$(find "$artifacts" -type f | wc -l)
    line=$(printf 'fuzz-%-8s %4ss  %10s execs  %7s exec/s  %s crash(es)' "$target" "$SECONDS_PER_TARGET" "${execs:-?}" "${rate:-?}" "$crashes")
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        line="$line  FAILED (exit $status): $(grep -m1 -E 'Fatal error|ERROR:|InvariantViolation' "$log" | cut -c1-160)"
        for file in "$artifacts"/*; do [ -f "$file" ] && line="$line"$'\n'"    reproduce: $SCRATCH/debug/fuzz-$target $file  (keep it in Fuzz/regressions/$target/)"; done
    fi
    summary+=("$line")
done

echo
printf '%s\n' "${summary[@]}"
exit $failed
