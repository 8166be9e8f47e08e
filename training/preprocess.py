# SPDX-License-Identifier: BSD-3-Clause
"""Numpy reference implementation of preprocessing rule "tsc-v1" (docs/PREPROCESSING.md).

This file is the Python twin of src/analysis/preprocess.c; a ctest compares the two
(max abs diff <= 1e-5), so it follows the doc literally:

* Step 1: per-slice percentile window (0.5 / 99.5, numpy-style linear interpolation on the
  finite values, float64), clamp to [0, 1], non-finite -> 0.
* Step 2: centre the slice in a square field of view fov = max(W*dx, H*dy) and resample to
  S x S with a separable antialiased triangle filter.  Columns first (W -> S per row), then
  rows (H -> S per column).  The weight denominator sums over *all* taps j, also those outside
  the image, so the zero padding darkens the border.
* Cast to float32 once, at the end.

Vectorised: one 1-D weight matrix per axis (cached per (n, d, fov, S)), then two matrix
products in float64.
"""
from functools import lru_cache
import math

import numpy as np

RULE = "tsc-v1"


def _percentile_linear(a_sorted: np.ndarray, q: float) -> float:
    """Percentile exactly as the doc writes it (numpy's default 'linear' method)."""
    n = a_sorted.shape[0]
    pos = q / 100.0 * (n - 1)
    i = int(math.floor(pos))
    f = pos - i
    lo = a_sorted[i]
    hi = a_sorted[min(i + 1, n - 1)]
    return float(lo + f * (hi - lo))


def intensity(image: np.ndarray) -> np.ndarray:
    """Step 1 on the native grid.  Returns float64 values in [0, 1]."""
    v = np.asarray(image, dtype=np.float64)
    finite = np.isfinite(v)
    a = np.sort(v[finite], kind="stable")
    out = np.zeros(v.shape, dtype=np.float64)
    if a.size == 0:
        return out
    lo = _percentile_linear(a, 0.5)
    hi = _percentile_linear(a, 99.5)
    if hi > lo:
        x = (v - lo) / (hi - lo)
        x = np.clip(x, 0.0, 1.0)
        out = np.where(finite, x, 0.0)
    return out


def _fov(h: int, w: int, dx: float, dy: float) -> float:
    return max(w * dx, h * dy)


@lru_cache(maxsize=64)
def _axis_weights(n: int, d: float, fov: float, size: int) -> np.ndarray:
    """[size, n] float64 matrix of normalised triangle weights for one axis.

    Row i holds w_j / sum_j w_j for 0 <= j < n; the denominator includes the taps that fall
    outside the image (they multiply the zero padding), as the doc requires.
    """
    o = fov / size
    off = (fov - n * d) / 2.0
    scale = o / d
    support = max(scale, 1.0)
    m = np.zeros((size, n), dtype=np.float64)
    for i in range(size):
        c = ((i + 0.5) * o - off) / d
        j0 = math.floor(c - support - 0.5)
        j1 = math.ceil(c + support - 0.5)
        j = np.arange(j0, j1 + 1, dtype=np.float64)
        w = np.maximum(0.0, 1.0 - np.abs((j + 0.5 - c) / support))
        den = w.sum()
        if den == 0.0:
            continue  # out_i = 0
        inside = (j >= 0) & (j < n)
        m[i, j[inside].astype(np.int64)] = w[inside] / den
    m.setflags(write=False)
    return m


def resample(x: np.ndarray, dx: float = 1.0, dy: float = 1.0, size: int = 128) -> np.ndarray:
    """Step 2 alone (no intensity window), float64 in, float64 [size, size] out.

    Used for ground-truth masks (then thresholded at 0.5) and by preprocess().
    """
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape
    fov = _fov(h, w, dx, dy)
    wx = _axis_weights(w, float(dx), float(fov), int(size))  # [S, W]
    wy = _axis_weights(h, float(dy), float(fov), int(size))  # [S, H]
    tmp = x @ wx.T          # columns first: every row W -> S  -> [H, S]
    return wy @ tmp         # then rows: every column H -> S    -> [S, S]


def preprocess(image: np.ndarray, dx: float = 1.0, dy: float = 1.0, size: int = 128) -> np.ndarray:
    """Full rule tsc-v1: [H, W] slice -> [size, size] float32 in [0, 1]."""
    return resample(intensity(image), dx, dy, size).astype(np.float32)


def resample_mask(mask: np.ndarray, dx: float = 1.0, dy: float = 1.0, size: int = 128) -> np.ndarray:
    """Training target: a 0/1 (or 0/255) mask through Step 2, thresholded at 0.5 -> uint8 0/1."""
    m = (np.asarray(mask) > 0).astype(np.float64)
    return (resample(m, dx, dy, size) >= 0.5).astype(np.uint8)


@lru_cache(maxsize=64)
def _back_weights(n: int, d: float, fov: float, size: int) -> np.ndarray:
    """[n, size] bilinear (clamp-to-edge) sampling matrix from the S grid to n native pixels."""
    o = fov / size
    off = (fov - n * d) / 2.0
    m = np.zeros((n, size), dtype=np.float64)
    for k in range(n):
        mm = (k + 0.5) * d + off          # native pixel centre in mm
        u = mm / o - 0.5                   # output-grid coordinate
        u0 = math.floor(u)
        f = u - u0
        i0 = min(max(u0, 0), size - 1)     # clamp-to-edge
        i1 = min(max(u0 + 1, 0), size - 1)
        m[k, i0] += 1.0 - f
        m[k, i1] += f
    m.setflags(write=False)
    return m


def to_native(prob: np.ndarray, h: int, w: int, dx: float = 1.0, dy: float = 1.0) -> np.ndarray:
    """Back-map an [S, S] map (probabilities / heat map) to the native [h, w] grid (float32)."""
    p = np.asarray(prob, dtype=np.float64)
    size = p.shape[0]
    assert p.shape == (size, size)
    fov = _fov(h, w, dx, dy)
    bx = _back_weights(w, float(dx), float(fov), size)  # [W, S]
    by = _back_weights(h, float(dy), float(fov), size)  # [H, S]
    return (by @ p @ bx.T).astype(np.float32)


if __name__ == "__main__":
    # Quick self-check: constant image -> interior ones, darkened border; non-square geometry.
    rng = np.random.default_rng(0)
    img = rng.normal(size=(200, 150)).astype(np.float32)
    img[3, 4] = np.nan
    t = preprocess(img, dx=0.8, dy=1.2, size=128)
    print(t.shape, t.dtype, float(t.min()), float(t.max()))
    ref = np.percentile(img[np.isfinite(img)].astype(np.float64), [0.5, 99.5])
    a = np.sort(img[np.isfinite(img)].astype(np.float64))
    assert np.allclose(ref, [_percentile_linear(a, 0.5), _percentile_linear(a, 99.5)])
    back = to_native(t, 200, 150, 0.8, 1.2)
    print(back.shape, back.dtype)
