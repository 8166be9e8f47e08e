#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs every libFuzzer target for a while and prints a Markdown table for
# docs/RELIABILITY.md: executions, exec/s, coverage (libFuzzer's cov: edges
# and ft: features) and crashes.  Builds nothing: configure and build first,
#
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DTSC_FUZZ=ON -DTSC_BUILD_VIEWER=OFF -DTSC_ASAN=ON
#   cmake --build build-fuzz --target fuzz_dicom_load fuzz_manifest fuzz_csv fuzz_nifti fuzz_png \
#       fuzz_nn_load
#
# usage: bench/fuzz.sh [SECONDS] [BUILD_DIR]     (defaults: 600, build-fuzz)
#
# Each target starts from a copy of its committed corpus; the inputs it finds
# and its crash artifacts go to the work folder (FUZZ_WORK, default
# BUILD_DIR/fuzz-work/<date-time>), never into tests/.  A crash stops that
# target (libFuzzer's default); pin the input as tests/fuzz/corpus/<target>/
# crash-<what>, fix, and rerun.
# Environment: FUZZ_TARGETS (names, space-separated), FUZZ_JOBS (targets run
# at once, default 1), FUZZ_NICE (niceness, default 10), FUZZ_ARGS (extra
# libFuzzer flags).
set -u
SECONDS_EACH=${1:-600}
BUILD=${2:-build-fuzz}
SRC=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=${FUZZ_TARGETS:-"fuzz_dicom_load fuzz_manifest fuzz_csv fuzz_nifti fuzz_png fuzz_nn_load"}
JOBS=${FUZZ_JOBS:-1}
NICE=${FUZZ_NICE:-10}
WORK=${FUZZ_WORK:-$BUILD/fuzz-work/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$WORK" || exit 2
WORK=$(cd "$WORK" && pwd)

# libFuzzer's limit on one allocation, as in the <target>_corpus_stays_within_
# libfuzzer_limits ctests (tests/fuzz/CMakeLists.txt says why DICOM differs).
malloc_limit() {
    case $1 in
    fuzz_dicom_load) echo 4200 ;;
    *) echo 600 ;;
    esac
}

# Seeds of one target, one path per line.
seeds() {
    case $1 in
    fuzz_nn_load) ls -d "$SRC"/tests/nn/fixtures/*.onnx "$SRC"/tests/nn/corpus/* 2>/dev/null ;;
    *) ls -d "$SRC/tests/fuzz/corpus/$1"/* 2>/dev/null ;;
    esac
}

run_one() {
    local t=$1 bin="$BUILD/bin/$1" dir="$WORK/$1"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    seeds "$t" | while read -r f; do cp "$f" "$dir/corpus/"; done
    local dict=()
    [ -f "$SRC/tests/fuzz/dict/$t.dict" ] && dict=(-dict="$SRC/tests/fuzz/dict/$t.dict")
    # fuzz_dicom_load writes each input to a file; its folder goes here (on
    # /dev/shm when possible) and is removed afterwards.
    local tmp
    tmp=$(mktemp -d /dev/shm/tsc-fuzz.XXXXXX 2>/dev/null || mktemp -d "$dir/tmp.XXXXXX")
    local start=$(date +%s)
    # ASan's leak check runs after each input that allocated more than it
    # freed; leaks inside DCMTK itself are suppressed (tests/fuzz/lsan.supp).
    TSC_FUZZ_TMPDIR=$tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SRC/tests/fuzz/lsan.supp:print_suppressions=0} \
        nice -n "$NICE" "$bin" "$dir/corpus" "${dict[@]}" -max_total_time="$SECONDS_EACH" \
        -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit "$t")" \
        -artifact_prefix="$dir/artifacts/" \
        ${FUZZ_ARGS:-} > "$dir/log" 2>&1
    echo $? > "$dir/rc"
    rm -rf "$tmp"
    echo $(($(date +%s) - start)) > "$dir/elapsed"
}

missing=()
running=0
for t in $TARGETS; do
    if [ ! -x "$BUILD/bin/$t" ]; then
        missing+=("$t")
        continue
    fi
    echo "fuzzing $t for ${SECONDS_EACH}s (log: $WORK/$t/log)" >&2
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

status=0
echo "| target | seconds | executions | exec/s | cov | ft | corpus | crashes |"
echo "|---|---|---|---|---|---|---|---|"
for t in $TARGETS; do
    dir="$WORK/$t"
    if [ ! -f "$dir/log" ]; then
        echo "| $t | not built | | | | | | |"
        continue
    fi
    log="$dir/log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<< "$last")
    crashes=$(find "$dir/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
              -o -name 'oom-*' \) | wc -l)
    [ "$crashes" -gt 0 ] || [ "$(cat "$dir/rc")" != 0 ] && status=1
    echo "| $t | $(cat "$dir/elapsed") | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $crashes |"
done
for t in "${missing[@]}"; do echo "not built: $BUILD/bin/$t" >&2; done
echo "work folder (new inputs, artifacts, logs): $WORK" >&2
exit $status
