#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Trains a tiny multi-task network on synthetic phantoms and exports it as a
tumorscope model (ONNX + manifest) for the analysis tests.

It is a real model trained for the purpose, not a stand-in for the shipped
one: it learns to segment a bright disc inside a head-like ellipse and to
call such slices "glioma", plain heads "no_tumor".  Deterministic (fixed
seeds); about 30 s on 2 CPU cores.

usage: /usr/bin/python3 tests/analysis/make_phantom_model.py [OUT_DIR]
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
import preprocess  # noqa: E402  (the reference implementation of rule tsc-v1)

S = 64
CLASSES = [("no_tumor", "No tumour", "#009E73"), ("glioma", "Glioma", "#D55E00"),
           ("meningioma", "Meningioma", "#0072B2"), ("pituitary", "Pituitary", "#CC79A7")]


def phantom(rng, lesion):
    """A raw slice like the analysis tests make: a head-like ellipse (~400)
    with noise on a dark background, optionally a bright disc (~950), at a
    random size and pixel spacing; then preprocessed by rule tsc-v1 exactly
    as the C pipeline will.  Returns the S×S input and its S×S mask."""
    rows, cols = int(rng.integers(80, 161)), int(rng.integers(80, 161))
    dy, dx = rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.5)
    h, w = rows * dy, cols * dx
    yy = (np.arange(rows) + 0.5)[:, None] * dy - h / 2
    xx = (np.arange(cols) + 0.5)[None, :] * dx - w / 2
    ry, rx = rng.uniform(0.36, 0.42) * min(h, w), rng.uniform(0.30, 0.36) * min(h, w)
    noise = (rng.random((rows, cols)) - 0.5) * 60.0
    img = 5 + np.abs(noise) * 0.1
    head = (yy / ry) ** 2 + (xx / rx) ** 2 <= 1
    img = np.where(head, 400 + noise, img)
    mask = np.zeros((rows, cols), np.float64)
    if lesion:
        r = rng.uniform(0.03, 0.10) * min(h, w)
        cy = rng.uniform(-0.5, 0.5) * (ry - r)
        cx = rng.uniform(-0.5, 0.5) * (rx - r)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        img = np.where(disc, 950 + noise * 0.3, img)
        mask = disc.astype(np.float64)
    x = preprocess.preprocess(img, dx=dx, dy=dy, size=S)
    m = preprocess.resample_mask(mask, dx=dx, dy=dy, size=S).astype(np.float32)
    return x, m


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.dec = nn.Sequential(nn.Conv2d(24, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, len(CLASSES))

    def forward(self, x):
        a = self.enc1(x)
        b = self.enc2(a)
        seg = self.dec(torch.cat([self.up(b), a], 1))
        cls = self.fc(torch.flatten(self.pool(b), 1))
        return seg, cls


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "fixtures")
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    rng = np.random.default_rng(1234)
    n = 1024
    imgs, masks, labels = [], [], []
    for i in range(n):
        les = i % 2 == 0
        im, m = phantom(rng, les)
        imgs.append(im)
        masks.append(m)
        labels.append(1 if les else 0)
    x = torch.from_numpy(np.stack(imgs)[:, None])
    y = torch.from_numpy(np.stack(masks)[:, None])
    c = torch.tensor(labels)
    net = Tiny()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    bce = nn.BCEWithLogitsLoss()
    ce = nn.CrossEntropyLoss()
    for step in range(700):
        idx = torch.randint(0, n, (32,))
        seg, cls = net(x[idx])
        p = torch.sigmoid(seg)
        dice = 1 - (2 * (p * y[idx]).sum() + 1) / (p.sum() + y[idx].sum() + 1)
        loss = bce(seg, y[idx]) + dice + ce(cls, c[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        seg, cls = net(x[:256])
        acc = (cls.argmax(1) == c[:256]).float().mean().item()
        p = (torch.sigmoid(seg) > 0.5).float()
        d = (2 * (p * y[:256]).sum() / (p.sum() + y[:256].sum())).item()
    print(f"phantom model: accuracy {acc:.3f}, dice {d:.3f}")
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "phantom-model.onnx")
    torch.onnx.export(net, torch.zeros(1, 1, S, S), onnx_path, opset_version=13,
                      input_names=["image"], output_names=["seg_logits", "class_logits"])
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    manifest = {
        "format_version": 1, "name": "phantom-test-model", "version": "1.0.0",
        "onnx": "phantom-model.onnx", "sha256": sha,
        "input": {"name": "image", "shape": [1, 1, S, S]},
        "outputs": {"segmentation": "seg_logits", "classification": "class_logits"},
        "preprocessing": {"rule": "tsc-v1", "input_size": S},
        "classes": [{"name": n_, "display": d_, "color": c_} for n_, d_, c_ in CLASSES],
        "temperature": 1.0,
        "thresholds": {"mask_probability": 0.5, "tumor_probability": 0.5,
                       "min_tumor_area_px": 4, "min_confidence": 0.5},
        "training": {"data": "synthetic phantoms (tests/analysis/make_phantom_model.py)",
                     "purpose": "tests of the analysis pipeline only; not a clinical model"},
        "metrics": {"train_phantoms": {"accuracy": round(acc, 4), "dice": round(d, 4)}},
    }
    with open(os.path.join(out, "phantom-model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
