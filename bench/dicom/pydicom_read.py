#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reference: read every DICOM file under PATH with pydicom into float32
arrays with the Modality LUT applied, grouped by series (the same work as
tsc-bench-dicom).  Prints JSON with the median over repeats."""
import json
import os
import statistics
import sys
import time

import numpy as np
import pydicom


def read_all(path):
    files = []
    for root, _, names in os.walk(path):
        for n in sorted(names):
            files.append(os.path.join(root, n))
    # Index: headers only, like ours.
    t0 = time.perf_counter()
    series = {}
    for f in files:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception:
            continue
        if "Rows" not in ds:
            continue
        series.setdefault(ds.SeriesInstanceUID, []).append((f, ds))
    for uid, items in series.items():
        items.sort(key=lambda it: float(getattr(it[1], "InstanceNumber", 0) or 0))
    t1 = time.perf_counter()
    n = 0
    for uid, items in series.items():
        for f, _ in items:
            ds = pydicom.dcmread(f)
            arr = ds.pixel_array.astype(np.float32)
            slope = float(getattr(ds, "RescaleSlope", 1) or 1)
            inter = float(getattr(ds, "RescaleIntercept", 0) or 0)
            arr = arr * slope + inter
            n += 1
    t2 = time.perf_counter()
    return len(files), n, (t1 - t0) * 1e3, (t2 - t0) * 1e3


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    runs = [read_all(path) for _ in range(repeats)]
    print(json.dumps({
        "files": runs[0][0], "slices": runs[0][1],
        "index_ms": round(statistics.median(r[2] for r in runs), 2),
        "index_decode_ms": round(statistics.median(r[3] for r in runs), 2),
    }))


if __name__ == "__main__":
    main()
