#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Does batching slices through the network pay on this CPU?  Times the
# network alone (`tumorscope bench-model --batch N`) on a copy of the model
# whose batch axis is symbolic (bench/model/rebatch.py), batch 1/2/4/8 with
# 1 and 2 OpenMP threads, the configurations interleaved in every round
# (the machine is shared: each figure is the median over rounds of the
# round's median, with the load average when it was taken).  CPU ms is the
# process's CPU time per image (all threads): the work a run costs, which
# the wall time mixes with waiting for a core on a loaded machine.
# usage: bench/analysis/batch_sweep.sh [BUILD_DIR] [ROUNDS] [MODEL.onnx]
#   needs bench/.venv with `onnx` (python3 -m venv bench/.venv &&
#   bench/.venv/bin/pip install onnx numpy)
set -eu
BUILD=${1:-build}
ROUNDS=${2:-3}
MODEL=${3:-resources/models/$(sed 's/\.json$//' resources/models/default.txt).onnx}
CLI="$BUILD/bin/tumorscope"
OUT=bench/model/out
[ -x "$CLI" ] || { echo "build first" >&2; exit 2; }
[ -x bench/.venv/bin/python ] || { echo "needs bench/.venv with onnx (see the header)" >&2; exit 2; }
export OMP_WAIT_POLICY=passive
mkdir -p "$OUT"
NB="$OUT/$(basename "$MODEL" .onnx)_nb.onnx"
bench/.venv/bin/python bench/model/rebatch.py "$MODEL" "$NB" >/dev/null
TMP="$OUT/batch_sweep.txt" # raw: threads batch round wall_ms cpu_ms (per image) load
: >"$TMP"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); model $MODEL"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for t in 1 2; do
        for b in 1 2 4 8; do
            iters=$((16 / b + 2))
            ms=$("$CLI" bench-model "$NB" --threads "$t" --batch "$b" --iters "$iters" --warmup 1 |
                awk '/^image_ms:/ {w = $2} /^image_cpu_ms:/ {c = $2} END {print w, c}')
            echo "$t $b $r $ms $(cut -d' ' -f1 /proc/loadavg)" >>"$TMP"
        done
    done
    r=$((r + 1))
done
echo "| threads | batch | wall ms per image (median of rounds) | CPU ms per image (median) | wall per round | CPU per round | load per round |"
echo "|---|---|---|---|---|---|---|"
for t in 1 2; do
    for b in 1 2 4 8; do
        awk -v t="$t" -v b="$b" 'BEGIN {n = 0} $1 == t && $2 == b {w[n] = $4; c[n] = $5; ws = ws (n ? " " : "") $4; cs = cs (n ? " " : "") $5; ls = ls (n ? " " : "") $6; n++}
            END {
                for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
                    if (w[j] < w[i]) {x = w[i]; w[i] = w[j]; w[j] = x}
                    if (c[j] < c[i]) {x = c[i]; c[i] = c[j]; c[j] = x}
                }
                printf "| %d | %d | %.1f | %.1f | %s | %s | %s |\n", t, b, w[int(n / 2)], c[int(n / 2)], ws, cs, ls
            }' "$TMP"
    done
done
