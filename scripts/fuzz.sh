#!/usr/bin/env bash
# scripts/fuzz.sh - build and run the libFuzzer targets of fuzz/ (clang,
# ASan+UBSan, coverage-instrumented libraries). docs/RELIABILITY.md records
# the figures of the long runs.
#
#   scripts/fuzz.sh build                 configure + build into $FUZZ_BUILD (build/fuzz)
#   scripts/fuzz.sh seed                  regenerate fuzz/corpus/<target>/ (seeds only)
#   scripts/fuzz.sh replay [target...]    run every seed and fuzz/regress/ reproducer once
#   scripts/fuzz.sh smoke [target...]     fuzz each target FUZZ_SMOKE_SECONDS (5) seconds
#   scripts/fuzz.sh run [target...]       long campaign, one target at a time under nice:
#                                         stops at FUZZ_RUNS executions (10000000) or
#                                         FUZZ_SECONDS (1800), whichever comes first; the
#                                         figures go to $FUZZ_BUILD/results.tsv
# Targets: ipc config binance tws (default: all). A crash stops that target with its
# reproducer in $FUZZ_BUILD/crashes/<target>/ and a non-zero exit; copy it into
# fuzz/regress/<target>/ once fixed (tests/c/test_fuzz_regress.c replays that dir).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BUILD="$(realpath -m "${FUZZ_BUILD:-build/fuzz}")"
CC_BIN="${FUZZ_CC:-clang}"
ALL_TARGETS=(ipc config binance tws)
export SHARED_DIR="${SHARED_DIR:-$REPO/../shared}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

die() { echo "fuzz.sh: $*" >&2; exit 2; }

targets() {
    if [ $# -eq 0 ]; then echo "${ALL_TARGETS[@]}"; return; fi
    for t in "$@"; do
        [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || die "unknown target '$t' (${ALL_TARGETS[*]})"
    done
    echo "$@"
}

build() {
    command -v "$CC_BIN" >/dev/null || die "$CC_BIN not found (apt-get install clang libclang-rt-14-dev)"
    # The project's own warning flags (-Werror included) still apply; clang
    # 14 does not know gcc's -Wno-format-truncation, hence the first -Wno.
    local flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
    flags+=" -fno-omit-frame-pointer -g -O1 -Wno-unknown-warning-option"
    local hook=()
    if ! grep -q 'add_subdirectory(fuzz)' CMakeLists.txt; then
        hook=(-DCMAKE_PROJECT_INCLUDE="$REPO/fuzz/hook.cmake")
    fi
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        CC="$CC_BIN" cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DTRADER_FUZZ=ON \
            -DTRADER_SANITIZE=OFF -DCMAKE_C_FLAGS="$flags" \
            -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" "${hook[@]}" >/dev/null
    fi
    cmake --build "$BUILD" --target fuzz_targets -j"${FUZZ_JOBS:-2}"
}

seed() { python3 fuzz/seed_corpus.py; }

bin_of() { echo "$BUILD/bin/$1_fuzz"; }

# Read-only corpus dirs of a target: the seeds and the crash reproducers.
ro_dirs() {
    local d=(fuzz/corpus/"$1")
    [ -d fuzz/regress/"$1" ] && d+=(fuzz/regress/"$1")
    echo "${d[@]}"
}

replay() {
    local t rc=0
    for t in $(targets "$@"); do
        echo "== replay $t"
        # -runs=0: execute the given corpora once, no mutation
        # shellcheck disable=SC2046
        # (pipefail: a failing run fails the pipeline even though grep matched)
        "$(bin_of "$t")" -runs=0 $(ro_dirs "$t") 2>&1 | grep -E 'INITED|DONE|ERROR|SUMMARY|invariant' || rc=1
    done
    return $rc
}

# Largest input the mutator makes. Without it libFuzzer takes the largest
# seed, and the IPC vectors hold 27 KiB frames (map-entry limits) that would
# make almost every run decode kilobytes; 4 KiB frames still reach every rule.
max_len() {
    case "$1" in
        config) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

# fuzz one target: $1 target, $2 seconds, $3 runs (0 = unbounded), $4 nice level,
# $5 directory for its working corpus, crashes, log and results.tsv
fuzz_one() {
    local t=$1 secs=$2 runs=$3 nicelvl=$4 out=$5
    local work="$out/corpus/$t" crashes="$out/crashes/$t" log="$out/logs/$t.log"
    mkdir -p "$work" "$crashes" "$out/logs"
    local args=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
                -artifact_prefix="$crashes/" -max_len="$(max_len "$t")")
    [ "$runs" -gt 0 ] && args+=(-runs="$runs")
    local start end rc=0
    start=$(date +%s.%N)
    # shellcheck disable=SC2046
    nice -n "$nicelvl" "$(bin_of "$t")" "${args[@]}" "$work" $(ro_dirs "$t") >"$log" 2>&1 || rc=$?
    end=$(date +%s.%N)
    local execs eps cov ft corp crashes_n edges
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    # instrumented edges in the whole binary (target + every library linked in)
    edges=$(sed -nE 's/.*\(([0-9]+) inline 8-bit counters\).*/\1/p' "$log" | head -1)
    crashes_n=$(find "$crashes" -type f | wc -l)
    local secs_used
    secs_used=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", b-a}')
    printf '%s\t%s\texecs=%s\texec_per_s=%s\tseconds=%s\tcov=%s/%s\tft=%s\tcorpus=%s\tcrash_files=%s\trc=%s\n' \
        "$(date -u +%FT%TZ)" "$t" "${execs:-?}" "${eps:-?}" "$secs_used" "${cov:-?}" \
        "${edges:-?}" "${ft:-?}" "${corp:-?}" "$crashes_n" "$rc" | tee -a "$out/results.tsv"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz.sh: $t stopped with rc=$rc; see $log and $crashes/" >&2
        grep -E 'ERROR|SUMMARY|invariant' "$log" | head -5 >&2 || true
    fi
    return "$rc"
}

smoke() {
    local t rc=0 secs="${FUZZ_SMOKE_SECONDS:-5}"
    for t in $(targets "$@"); do
        # a scratch corpus per smoke run: the committed seeds stay untouched
        rm -rf "$BUILD/smoke/corpus/$t" "$BUILD/smoke/crashes/$t"
        fuzz_one "$t" "$secs" 0 0 "$BUILD/smoke" || rc=1
    done
    return $rc
}

run() {
    local t rc=0
    for t in $(targets "$@"); do
        fuzz_one "$t" "${FUZZ_SECONDS:-1800}" "${FUZZ_RUNS:-10000000}" 19 "$BUILD" || rc=1
    done
    return $rc
}

# FUZZ_NO_BUILD=1: use the binaries already built (e.g. while a file another
# change is in the middle of does not compile).
maybe_build() {
    if [ "${FUZZ_NO_BUILD:-0}" = 1 ]; then
        for t in "${ALL_TARGETS[@]}"; do [ -x "$(bin_of "$t")" ] || die "no $(bin_of "$t")"; done
    else
        build >/dev/null
    fi
}

# Everything runs from main, called on the last line: bash has then read the
# whole file, so editing this script while a long campaign runs is harmless.
main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
        build) build ;;
        seed) seed ;;
        replay) maybe_build; replay "$@" ;;
        smoke) maybe_build; smoke "$@" ;;
        run) maybe_build; run "$@" ;;
        *) sed -n '2,17p' "$0"; exit 2 ;;
    esac
}

main "$@"; exit $?
