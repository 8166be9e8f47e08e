#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Analysis speed on this machine with the shipped model: click -> result per
# slice and seconds per 30-slice series, on
#   - 30 figshare test slices (512x512 originals resized to 256x256 PNG,
#     made into one DICOM series with tumorscope dicomize), and
#   - the real 512x512 Siemens normal-brain series when ../shared is there,
#   - sample_dicom's normal Colin27 series otherwise.
# usage: bench/analysis/run.sh [BUILD_DIR] [SHARED_DATA] [SWEEP_ROUNDS]
# With SWEEP_ROUNDS, the figshare series instead runs that many rounds of the
# series configurations (engine threads x workers x batch, interleaved in
# every round; docs/BENCHMARKS.md, "Series throughput") and prints a table.
set -eu
BUILD=${1:-build}
DATA=${2:-../shared/data}
SWEEP=${3:-}
BENCH="$BUILD/bin/tsc-bench-analysis"
CLI="$BUILD/bin/tumorscope"
[ -x "$BENCH" ] || { echo "build first: cmake --build $BUILD --target tsc-bench-analysis" >&2; exit 2; }
export OMP_WAIT_POLICY=passive
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# sweep STUDY ROUNDS: each configuration once per round, in turn; the table
# gives the medians over rounds of the click median and of the whole series
# (scaled to 30 slices), with the load average of each round.  Since
# 6 December 2026 "t" is the click's cores only (series workers always run
# single-thread engines), so t2w1 and t1w1 series are the same.  Batch > 1
# runs a copy of the default model with a symbolic batch axis
# (bench/model/rebatch.py, which needs bench/.venv with onnx).
sweep() {
    model=resources/models/$(cat resources/models/default.txt)
    nb=bench/model/out/$(basename "$model" .json)_nb
    mkdir -p bench/model/out
    bench/.venv/bin/python bench/model/rebatch.py "${model%.json}.onnx" "$nb.onnx" >/dev/null
    python3 -c 'import hashlib, json, os, sys
m = json.load(open(sys.argv[1]))
m["onnx"] = os.path.basename(sys.argv[2]) + ".onnx"
m["sha256"] = hashlib.sha256(open(sys.argv[2] + ".onnx", "rb").read()).hexdigest()
json.dump(m, open(sys.argv[2] + ".json", "w"), indent=1)' "$model" "$nb"
    raw=bench/model/out/series_sweep.txt # config round click_ms series_s series_cpu_s load
    : >"$raw"
    # name:engine_threads:workers:batch:manifest ($nb: the batchable copy)
    configs=${SWEEP_CONFIGS:-"t2w2b1:2:2:1:$model t2w1b1:2:1:1:$model t1w2b1:1:2:1:$model"}
    configs=${SWEEP_CONFIGS:-"$configs t2w2b2:2:2:2:$nb.json t2w2b4:2:2:4:$nb.json"}
    r=1
    while [ "$r" -le "$2" ]; do
        for c in $configs; do
            name=${c%%:*} rest=${c#*:}
            th=${rest%%:*} rest=${rest#*:}
            wk=${rest%%:*} rest=${rest#*:}
            b=${rest%%:*} man=${rest#*:}
            TSC_BATCH=$b "$BENCH" "$1" 0 1 "$th" "$wk" "$man" | tr '\n' ' ' |
                sed 's/.*"load_average": \([0-9.]*\).*"click_ms": {"median": \([0-9.]*\).*"per_30_slices_median": \([0-9.]*\), "cpu_per_30_slices_median": \([0-9.]*\).*/\2 \3 \4 \1\n/' |
                while read -r click ser cpu load; do echo "$name $r $click $ser $cpu $load" >>"$raw"; done
        done
        r=$((r + 1))
    done
    echo "| config | click ms (median) | 30-slice series s (median) | its CPU s (median) | series s per round | load per round |"
    echo "|---|---|---|---|---|---|"
    for c in $configs; do
        awk -v n="${c%%:*}" 'BEGIN {k = 0} $1 == n {c[k] = $3; s[k] = $4; u[k] = $5; sr = sr (k ? " " : "") $4; l = l (k ? " " : "") $6; k++}
            END {
                for (i = 0; i < k; i++) for (j = i + 1; j < k; j++) {
                    if (c[j] < c[i]) {x = c[i]; c[i] = c[j]; c[j] = x}
                    if (s[j] < s[i]) {x = s[i]; s[i] = s[j]; s[j] = x}
                    if (u[j] < u[i]) {x = u[i]; u[i] = u[j]; u[j] = x}
                }
                printf "| %s | %.1f | %.3f | %.3f | %s | %s |\n", n, c[int(k / 2)], s[int(k / 2)], u[int(k / 2)], sr, l
            }' "$raw"
    done
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -f "$DATA/figshare-cheng/index.csv" ]; then
    mkdir "$TMP/png"
    i=0
    grep ',test$' "$DATA/figshare-cheng/index.csv" | awk -F, 'NR % 15 == 1 {print $1}' | head -30 |
    while read -r id; do
        i=$((i + 1))
        ln -s "$(cd "$DATA/figshare-cheng/images" && pwd)/$id.png" "$TMP/png/$(printf %04d "$i").png"
    done
    "$CLI" dicomize --out "$TMP/figshare30" --patient-name 'Bench^Figshare' --patient-id BENCH1 \
        --series-description 'figshare test slices' --uid-seed bench --spacing 0.49 --slice-spacing 6 \
        "$TMP/png" >/dev/null
    if [ -n "$SWEEP" ]; then
        sweep "$TMP/figshare30" "$SWEEP"
        exit 0
    fi
    echo "figshare test slices (30 x 256x256):"
    "$BENCH" "$TMP/figshare30" 0 3
fi
if [ -d "$DATA/dicom/normal-siemens-t1-sag" ]; then
    echo "normal-siemens-t1-sag (real scanner series):"
    "$BENCH" "$DATA/dicom/normal-siemens-t1-sag" 0 2
else
    echo "sample_dicom/01-normal-colin27:"
    "$BENCH" sample_dicom/01-normal-colin27 0 3
fi
