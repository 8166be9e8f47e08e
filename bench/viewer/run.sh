#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Viewer responsiveness benchmark: scrolls a 300-slice series, one slice per
# painted frame, while the shipped model analyses the same series, and holds
# the worst step (step -> painted frame) to the 50 ms budget when the machine
# was idle before the run.  Prints the figures; the per-step latencies land in
# BUILD/tests/viewer/artefacts/*-latency.json.
# usage: bench/viewer/run.sh [BUILD_DIR] [RUNS]
set -eu
BUILD=${1:-build}
RUNS=${2:-3}
[ -f "$BUILD/CTestTestfile.cmake" ] || { echo "build first: make check (or cmake --build $BUILD)" >&2; exit 2; }
MODELS=$(pwd)/resources/models
[ -f "$MODELS/default.txt" ] || { echo "no shipped model in $MODELS" >&2; exit 2; }
export TSC_VIEWER_ENFORCE_BUDGET=1 TSC_VIEWER_BENCH_MODEL_DIR="$MODELS"
rc=0
i=1
while [ "$i" -le "$RUNS" ]; do
    echo "== run $i of $RUNS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    out=$(ctest --test-dir "$BUILD" -R '^viewer_keeps_scrolling_300_slices_while_the_series_is_analysed$' \
          --verbose 2>&1) || rc=1
    printf '%s\n' "$out" | grep -E 'steps \(|note:|check failed|FAIL |Passed|Failed' | sed 's/^[0-9]*: //'
    i=$((i + 1))
done
exit $rc
