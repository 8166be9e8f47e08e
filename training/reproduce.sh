#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Reproduces the shipped model tsc_unet128_v2 from ../shared/data on this CPU:
#   stage 1  tsc_unet128_v1: 30-epoch schedule from scratch, lr 3e-3, 88-min budget
#   stage 2  tsc_unet128_v2: warm restart from stage 1 (fresh AdamW, warm-up +
#            cosine at lr 1.5e-3), 80-min budget
#   then     export + calibration on val, Python test metrics written into the
#            manifest.  The C figures come from `tumorscope eval` (docs/EVALUATION.md).
# Each stage resumes from its last.pt when the script is run again after an
# interruption.  Run it in the background:
#   nohup setsid nice -n 5 training/reproduce.sh > training/runs/reproduce.log 2>&1 &
# usage: training/reproduce.sh [DATA_DIR]
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
PY=/usr/bin/python3
mkdir -p training/runs
if [ ! -f training/runs/tsc_unet128_v1/summary.json ]; then
    $PY training/train.py --out training/runs/tsc_unet128_v1 --data "$DATA" --lr 3e-3 --budget-min 88
fi
if [ ! -f training/runs/tsc_unet128_v2/summary.json ]; then
    $PY training/train.py --out training/runs/tsc_unet128_v2 --data "$DATA" \
        --init training/runs/tsc_unet128_v1/last.pt --lr 1.5e-3 --budget-min 80 --seed 20261124
fi
$PY training/calibrate_export.py --run training/runs/tsc_unet128_v2 --name tsc_unet128_v2 \
    --version 2.0.0 --data "$DATA"
$PY training/evaluate.py --model resources/models/tsc_unet128_v2.json --split test --write-manifest \
    --data "$DATA"
echo "tsc_unet128_v2.json" > resources/models/default.txt
