#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Analysis speed on this machine with the shipped model: click -> result per
# slice and seconds per 30-slice series, on
#   - 30 figshare test slices (512x512 originals resized to 256x256 PNG,
#     made into one DICOM series with tumorscope dicomize), and
#   - the real 512x512 Siemens normal-brain series when ../shared is there,
#   - sample_dicom's normal Colin27 series otherwise.
# usage: bench/analysis/run.sh [BUILD_DIR] [SHARED_DATA]
set -eu
BUILD=${1:-build}
DATA=${2:-../shared/data}
BENCH="$BUILD/bin/tsc-bench-analysis"
CLI="$BUILD/bin/tumorscope"
[ -x "$BENCH" ] || { echo "build first: cmake --build $BUILD --target tsc-bench-analysis" >&2; exit 2; }
export OMP_WAIT_POLICY=passive
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
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
