#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the fixtures that hold src/analysis/preprocess.c to training/preprocess.py.

Run from anywhere with the system Python (it has numpy and PIL):

    /usr/bin/python3 tests/preprocess/make_fixture.py

It writes tests/preprocess/fixtures/: `cases.txt` (one line per case:
`name kind rows cols dx dy size`) and, per case, `NAME.in.f32` and `NAME.out.f32`
(raw little-endian float32, row-major).  Kinds:

- preprocess: in = rows x cols slice, out = size x size tensor of preprocess();
- to_native:  in = size x size map, out = rows x cols of to_native();
- resample_mask: in = rows x cols 0/1 mask, out = size x size 0/1 of resample_mask().

The images are synthetic but look like MRI slices (a head with scalp, skull, brain
texture and a lesion, noisy background), so the percentile window and the border
handling see realistic histograms.  Regenerate after any change to the rule and commit
the result together with the change.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "training"))
import preprocess as pp  # noqa: E402  (the numpy twin under test)

OUT = os.path.join(HERE, "fixtures")


def blur(a, sigma):
    """Separable Gaussian (PIL cannot blur float images); soft edges like a real scan."""
    r = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    a = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 1, a)
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 0, a)


def phantom(h, w, rng, peak=1000.0, lesion=True):
    """A head-like float32 slice: scalp ring, dark skull, textured brain, optional lesion."""
    img = Image.new("F", (w, h), 0.0)
    d = ImageDraw.Draw(img)
    cx, cy, rx, ry = w / 2, h / 2, w * 0.42, h * 0.45
    d.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=0.55 * peak)          # scalp
    d.ellipse([cx - rx * 0.93, cy - ry * 0.93, cx + rx * 0.93, cy + ry * 0.93], fill=0.08 * peak)  # skull
    d.ellipse([cx - rx * 0.87, cy - ry * 0.87, cx + rx * 0.87, cy + ry * 0.87], fill=0.45 * peak)  # brain
    d.ellipse([cx - rx * 0.2, cy - ry * 0.25, cx + rx * 0.05, cy + ry * 0.1], fill=0.15 * peak)    # ventricle
    if lesion:
        lx, ly, lr = cx + rx * 0.35, cy - ry * 0.3, min(rx, ry) * 0.18
        d.ellipse([lx - lr, ly - lr * 0.8, lx + lr, ly + lr * 0.8], fill=0.9 * peak)
    a = blur(np.asarray(img, dtype=np.float64), 1.2)
    texture = rng.normal(0.0, 0.04 * peak, size=(h, w))
    a = a + np.where(a > 0.2 * peak, texture, 0.0)
    # Rician-like background noise: magnitude of a complex Gaussian.
    noise = np.hypot(rng.normal(0, 0.02 * peak, (h, w)), rng.normal(0, 0.02 * peak, (h, w)))
    return np.maximum(a + noise, 0.0).astype(np.float32)


def write(name, arr):
    arr = np.ascontiguousarray(arr, dtype="<f4")
    arr.tofile(os.path.join(OUT, name))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261124)
    lines = ["# name kind rows cols dx dy size (see make_fixture.py)"]

    def case_pre(name, img, dx, dy, size):
        h, w = img.shape
        out = pp.preprocess(img, dx=dx, dy=dy, size=size)
        assert out.dtype == np.float32 and out.shape == (size, size)
        write(name + ".in.f32", img)
        write(name + ".out.f32", out)
        lines.append(f"{name} preprocess {h} {w} {dx!r} {dy!r} {size}")
        return out

    # 1. Non-square, anisotropic, with NaN and Inf pixels (a corrupt block and strays).
    a = phantom(96, 128, rng)
    a[:6, :9] = np.nan
    a[rng.integers(0, 96, 40), rng.integers(0, 128, 40)] = np.nan
    a[50, 70] = np.inf
    a[51, 71] = -np.inf
    case_pre("aniso_nan", a, 0.9, 1.3, 128)

    # 2. A 512x512 slice with scanner-like integer values (16-bit range).
    b = np.round(phantom(512, 512, rng, peak=1800.0)).astype(np.float32)
    case_pre("mri512", b, 0.46875, 0.46875, 128)

    # 3. A dataset-style 256x256 8-bit PNG (values 0..255), no spacing: dx = dy = 1,
    #    to a size that is not a divisor.
    c = phantom(256, 256, rng, peak=255.0)
    c = np.asarray(Image.fromarray(np.clip(np.round(c), 0, 255).astype(np.uint8)), dtype=np.float32)
    case_pre("png256", c, 1.0, 1.0, 96)

    # 4. A constant image (hi == lo: all zeros), upsampled.
    case_pre("constant", np.full((30, 40), 417.0, dtype=np.float32), 1.0, 1.0, 64)

    # 5. A tall, upsampled slice with a wide spacing ratio (support < 1 on one axis).
    case_pre("tall_up", phantom(50, 20, rng), 2.0, 0.7, 64)

    # to_native: a network-sized map of case 1 back onto its 96x128 grid, and a sharp
    # synthetic probability map onto a non-square grid with the other aspect.
    def case_native(name, prob, h, w, dx, dy):
        nat = pp.to_native(prob, h, w, dx, dy)
        assert nat.dtype == np.float32 and nat.shape == (h, w)
        write(name + ".in.f32", prob)
        write(name + ".out.f32", nat)
        lines.append(f"{name} to_native {h} {w} {dx!r} {dy!r} {prob.shape[0]}")

    case_native("aniso_native", pp.preprocess(a, dx=0.9, dy=1.3, size=64), 96, 128, 0.9, 1.3)
    p = np.zeros((64, 64), dtype=np.float32)
    p[20:40, 30:50] = 1.0
    p[10, 10] = 0.5
    case_native("square_native", p, 70, 45, 1.1, 0.6)

    # resample_mask: an ellipse mask on an anisotropic grid.
    yy, xx = np.mgrid[0:60, 0:80]
    m = (((xx - 50) / 14.0) ** 2 + ((yy - 25) / 7.0) ** 2 <= 1.0).astype(np.uint8)
    mo = pp.resample_mask(m, dx=0.9, dy=1.3, size=32)
    write("mask_aniso.in.f32", m.astype(np.float32))
    write("mask_aniso.out.f32", mo.astype(np.float32))
    lines.append(f"mask_aniso resample_mask 60 80 {0.9!r} {1.3!r} 32")

    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(lines) - 1} cases to {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
