#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# DICOM indexing + decoding: tumorscope (C, DCMTK) against pydicom + numpy,
# on the real vendor series and on a 1,000-file study.  Prints a Markdown
# table for docs/BENCHMARKS.md.
# usage: bench/dicom/run.sh [BUILD_DIR] [SHARED_DATA]
set -eu
BUILD=${1:-build}
DATA=${2:-../shared/data}
BENCH="$BUILD/bin/tsc-bench-dicom"
[ -x "$BENCH" ] || { echo "build first: cmake --build $BUILD --target tsc-bench-dicom" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 bench/dicom/make_1000.py "$DATA/dicom/normal-siemens-t1-sag" "$TMP/k1000" 1000
echo "| data | files | slices | ours: index ms | ours: index+decode ms | pydicom: index ms | pydicom: index+decode ms | speed-up (index+decode) |"
echo "|---|---|---|---|---|---|---|---|"
for d in "$DATA/dicom/normal-siemens-t1-sag" "$DATA/dicom/normal-ge-epi-fmri" "$TMP/k1000"; do
    ours=$("$BENCH" "$d" 5)
    py=$(/usr/bin/python3 bench/dicom/pydicom_read.py "$d" 3)
    /usr/bin/python3 - "$d" "$ours" "$py" <<'PY'
import json, os, sys
d, a, b = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
name = os.path.basename(d.rstrip("/"))
if name == "k1000": name = "1,000 files (10 series)"
print(f"| {name} | {a['files']} | {a['slices']} | {a['index_ms']:.1f} | {a['index_decode_ms']:.1f} "
      f"| {b['index_ms']:.1f} | {b['index_decode_ms']:.1f} | {b['index_decode_ms']/a['index_decode_ms']:.1f}x |")
PY
done
