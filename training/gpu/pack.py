# SPDX-License-Identifier: BSD-3-Clause
"""Pack the model-v3 training split compactly for the GPU machine.

    training/.venv/bin/python training/gpu/pack.py [--size 192] [--part-mb 30] [--out training/gpu/data]

The images go through the same tsc-v1 preprocessing as every other path (data.py, at --size),
are stored as uint8 (x 255; the preprocessing output is already in [0,1]), the masks as bits,
with labels and sources, in xz-compressed parts of at most --part-mb MiB each, so that each part
travels with the repository to the device machine within its 64 MiB limit (the repository itself
takes ~28 MiB).  training/gpu/data/ is git-ignored: the data never enter the repository.
`parts.json` lists the parts with their SHA-256.
"""
import argparse
import hashlib
import io
import json
import lzma
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import data as D  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--data", default=D.DEFAULT_DATA)
    ap.add_argument("--split", default="train")
    ap.add_argument("--part-mb", type=float, default=30.0)
    ap.add_argument("--limit", type=int, default=0, help="dry runs: first N images only")
    ap.add_argument("--out", default=os.path.join(HERE, "data"))
    a = ap.parse_args()
    d = D.subset(D.load_split_arrays(a.data, a.size, sources=D.SOURCES_V3), a.split)
    n = len(d["y"]) if not a.limit else min(a.limit, len(d["y"]))
    x = np.clip(np.round(d["images"][:n] * 255), 0, 255).astype(np.uint8)
    m = np.packbits(d["masks"][:n].astype(bool), axis=-1)
    os.makedirs(a.out, exist_ok=True)
    # Images per part from the compression ratio of a sample (xz on these images: ~2x).
    sample = lzma.compress(x[: min(200, n)].tobytes(), preset=6)
    per_img = len(sample) / min(200, n) * 1.15 + m[0].nbytes
    per_part = max(1, int(a.part_mb * 2**20 / per_img))
    parts = []
    for i, start in enumerate(range(0, n, per_part)):
        sl = slice(start, min(n, start + per_part))
        buf = io.BytesIO()
        np.savez(buf, images=x[sl], masks=m[sl], y=d["y"][sl].astype(np.int8),
                 source=d["source"][sl].astype(np.int8))
        blob = lzma.compress(buf.getvalue(), preset=6)
        name = f"part-{i:03d}.npz.xz"
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(blob)
        parts.append({"file": name, "n": int(sl.stop - sl.start), "bytes": len(blob),
                      "sha256": hashlib.sha256(blob).hexdigest()})
        print(f"{name}: {parts[-1]['n']} images, {len(blob) / 2**20:.1f} MiB", flush=True)
    with open(os.path.join(a.out, "parts.json"), "w") as f:
        json.dump({"size": a.size, "split": a.split, "rule": "tsc-v1", "n": n, "parts": parts,
                   "sources": D.ALL_SOURCES}, f, indent=1)


if __name__ == "__main__":
    main()
