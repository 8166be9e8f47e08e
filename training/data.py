# SPDX-License-Identifier: BSD-3-Clause
"""Dataset reading and the preprocessed-tensor cache.

Reads the three image datasets under <data>/{figshare-cheng,lgg-flair,no-tumor}/index.csv,
keeps their fixed patient-level splits exactly as given, runs every image through
preprocess.py (rule tsc-v1, dx = dy = 1 for PNGs) at the training resolution S, and caches
the result in training/runs/cache/ (git-ignored).  Data is never copied into the repo.
"""
import csv
import hashlib
import os
from multiprocessing import Pool

import cv2
import numpy as np

import preprocess as pp

# Class index order used everywhere (model, manifest, C engine).
CLASSES = ["no_tumor", "glioma", "meningioma", "pituitary"]
CLASS_INDEX = {n: i for i, n in enumerate(CLASSES)}
# Source index order is fixed (stored in caches and logs); v2 was trained on the first three,
# model-v3 adds normal-mri (normal slices in all three planes).
ALL_SOURCES = ["figshare-cheng", "lgg-flair", "no-tumor", "normal-mri"]
SOURCES = ALL_SOURCES[:3]
SOURCES_V3 = ALL_SOURCES
SPLITS = ["train", "val", "test"]

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = os.path.join(REPO, "..", "shared", "data")
CACHE_DIR = os.path.join(HERE, "runs", "cache")


def read_index(data_root, sources=SOURCES):
    """All rows of the given datasets as dicts with source, id, class index, split, paths."""
    rows = []
    for src in sources:
        folder = os.path.join(data_root, src)
        idx = os.path.join(folder, "index.csv")
        if not os.path.exists(idx):
            raise FileNotFoundError(f"dataset index missing: {idx}")
        with open(idx, newline="") as f:
            for r in csv.DictReader(f):
                mask = os.path.join(folder, "masks", r["id"] + ".png")
                rows.append({
                    "source": src,
                    "id": r["id"],
                    # label_name, not the numeric label: figshare and lgg use different codes.
                    "y": CLASS_INDEX[r["label_name"]],
                    "patient": f"{src}/{r['patient_id']}",
                    "split": r["split"],
                    "image": os.path.join(folder, "images", r["id"] + ".png"),
                    "mask": mask if os.path.exists(mask) else None,
                    "plane": r.get("plane", ""),
                    "slice_mm": float(r["slice_mm"]) if r.get("slice_mm") else float("nan"),
                    # slice order within a volume: slice_mm (normal-mri) or slice_index (lgg-flair)
                    "order": float(r.get("slice_mm") or r.get("slice_index") or "nan"),
                })
    # Guard: a patient must never cross splits.
    seen = {}
    for r in rows:
        s = seen.setdefault(r["patient"], r["split"])
        assert s == r["split"], f"patient {r['patient']} in two splits"
    return rows


def edge_slices(rows, frac=0.2):
    """True for slices in the outer `frac` of their series and plane (skull base, vertex,
    lateral convexity): the anatomy a tumour detector mistakes for a lesion.  Only datasets
    with a slice_mm column (normal-mri) have an order; elsewhere all False."""
    groups = {}
    for i, r in enumerate(rows):
        if r["slice_mm"] == r["slice_mm"]:  # not NaN
            groups.setdefault((r["patient"], r["plane"]), []).append(i)
    edge = np.zeros(len(rows), bool)
    for idx in groups.values():
        order = sorted(idx, key=lambda i: rows[i]["slice_mm"])
        k = max(1, int(round(frac * len(order))))
        for i in order[:k] + order[-k:]:
            edge[i] = True
    return edge


def slab_neighbours(d):
    """Neighbour table for the thick-slab augmentation on the rows of `d` (a subset dict):
    int64 [N, 2] with the index of the previous and the next slice of the same volume (same
    patient and plane, adjacent in `order`, gap at most 1.5x the volume's median gap) that has
    the same class, -1 where there is none.  Only lgg-flair (slice_index) and normal-mri
    (slice_mm) have an order; figshare-cheng and no-tumor get -1 everywhere.  Same class only:
    a slab of a tumour slice and a tumour-free neighbour would have no clean class label."""
    nb = np.full((len(d["y"]), 2), -1, np.int64)
    groups = {}
    for i, o in enumerate(d["order"]):
        if o == o:  # not NaN
            groups.setdefault((d["patient"][i], d["plane"][i]), []).append(i)
    for idx in groups.values():
        idx = sorted(idx, key=lambda i: d["order"][i])
        gaps = np.diff([d["order"][i] for i in idx])
        if len(gaps) == 0:
            continue
        limit = 1.5 * np.median(gaps)
        for a, b, g in zip(idx, idx[1:], gaps):
            if 0 < g <= limit and d["y"][a] == d["y"][b]:
                nb[a, 1], nb[b, 0] = b, a
    return nb


def _load_one(args):
    img_path, mask_path, size = args
    img = cv2.imread(img_path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise IOError(img_path)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    x = pp.preprocess(img.astype(np.float32), 1.0, 1.0, size)
    if mask_path is not None:
        m = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
        y = pp.resample_mask(m > 127, 1.0, 1.0, size)
    else:
        y = np.zeros((size, size), np.uint8)  # no-tumor images: empty target
    return x, y


def load_split_arrays(data_root, size, workers=2, log=print, sources=SOURCES):
    """Returns dict with images float32 [N,S,S], masks uint8 [N,S,S], y, source, split, patient, id.

    Cached as one .npz keyed by the index contents, S and the rule name.
    """
    rows = read_index(data_root, sources)
    key = hashlib.sha1(("|".join(f"{r['source']}/{r['id']}/{r['y']}/{r['split']}/{r['mask'] is not None}"
                                 for r in rows) + f"|{size}|{pp.RULE}").encode()).hexdigest()[:12]
    os.makedirs(CACHE_DIR, exist_ok=True)
    path = os.path.join(CACHE_DIR, f"tsc_v1_S{size}_{key}.npz")
    meta = {
        "y": np.array([r["y"] for r in rows], np.int64),
        "source": np.array([ALL_SOURCES.index(r["source"]) for r in rows], np.int64),
        "plane": np.array([r["plane"] for r in rows]),
        "edge": edge_slices(rows),
        "order": np.array([r["order"] for r in rows], np.float64),
        "split": np.array([r["split"] for r in rows]),
        "patient": np.array([r["patient"] for r in rows]),
        "id": np.array([f"{r['source']}/{r['id']}" for r in rows]),
    }
    if os.path.exists(path):
        z = np.load(path)
        return dict(images=z["images"], masks=z["masks"], **meta)
    log(f"building cache {path} ({len(rows)} images, S={size}) ...")
    jobs = [(r["image"], r["mask"], size) for r in rows]
    with Pool(workers) as p:
        out = p.map(_load_one, jobs, chunksize=64)
    images = np.stack([o[0] for o in out]).astype(np.float32)
    masks = np.stack([o[1] for o in out]).astype(np.uint8)
    tmp = path + ".tmp.npz"
    np.savez(tmp, images=images, masks=masks)
    os.replace(tmp, path)
    return dict(images=images, masks=masks, **meta)


def subset(d, split):
    """Rows of one split (all arrays indexed the same way)."""
    sel = d["split"] == split
    return {k: v[sel] for k, v in d.items()}


def cell_share_weights(y, source, share):
    """Per-sample sampling weights that give each (class, source) cell of `share` its share,
    split evenly over the cell's samples; every sample must fall in a cell."""
    w = np.zeros(len(y), np.float64)
    for (c, s), p in share.items():
        sel = (y == c) & (source == s)
        if sel.any():
            w[sel] = p / sel.sum()
    assert (w > 0).all(), "a (class, source) cell without a share"
    return w / w.sum()


def balanced_weights(y, source):
    """Per-sample sampling weights from a fixed share per (class, source) cell.

    The tumour type can only be learnt on figshare (T1-CE, three types), so its three classes
    get equal shares (0.2 each); lgg-flair glioma vs its same-scan negatives keep roughly their
    natural 35/65 ratio (0.10 / 0.18), and the no-tumor set gets 0.12.  Per class: no_tumor
    0.30, glioma 0.30, meningioma 0.20, pituitary 0.20.  (The first epochs of run
    tsc_unet128_v1 used "4 classes equal, sources equal within a class", which gave figshare
    glioma only 1/8 of the draws and biased figshare slices towards meningioma/pituitary.)"""
    fs, lg, nt = (SOURCES.index(s) for s in ("figshare-cheng", "lgg-flair", "no-tumor"))
    share = {(0, lg): 0.18, (0, nt): 0.12, (1, fs): 0.20, (1, lg): 0.10, (2, fs): 0.20, (3, fs): 0.20}
    return cell_share_weights(y, source, share)


def balanced_weights_v3(y, source):
    """Sampling shares of model-v3 per (class, source) cell.  normal-mri (normal anatomy in every
    plane, the v2 failure) gets 0.10; figshare glioma (v2's worst recall) is raised to 0.22.
    Per class: no_tumor 0.32, glioma 0.32, meningioma 0.19, pituitary 0.17."""
    fs, lg, nt, nm = range(4)
    share = {(0, lg): 0.13, (0, nt): 0.09, (0, nm): 0.10, (1, fs): 0.22, (1, lg): 0.10,
             (2, fs): 0.19, (3, fs): 0.17}
    return cell_share_weights(y, source, share)


def hard_negative_weights(y, source, edge, normal_share=0.16, edge_boost=3.0):
    """model-v3 shares with normal-mri raised to `normal_share` (taken from the other cells in
    proportion) and, within normal-mri, edge slices drawn `edge_boost` times as often: the
    hard-negative fine-tune against skull-base and vertex false positives."""
    w = balanced_weights_v3(y, source)
    nm = source == ALL_SOURCES.index("normal-mri")
    w[~nm] *= (1 - normal_share) / w[~nm].sum()
    inner = np.where(edge[nm], edge_boost, 1.0)
    w[nm] = normal_share * inner / inner.sum()
    return w / w.sum()


def native_masks(data_root, ids):
    """Ground-truth masks at native resolution (bool [N,256,256]) for ids 'source/id';
    all-False where the dataset has no mask."""
    out = []
    for sid in ids:
        src, i = str(sid).split("/")
        p = os.path.join(data_root, src, "masks", i + ".png")
        if os.path.exists(p):
            out.append(cv2.imread(p, cv2.IMREAD_GRAYSCALE) > 127)
        else:
            out.append(None)
    shape = next((m.shape for m in out if m is not None), (256, 256))
    return np.stack([m if m is not None else np.zeros(shape, bool) for m in out])


if __name__ == "__main__":
    import argparse, time
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--size", type=int, default=128)
    a = ap.parse_args()
    t = time.time()
    d = load_split_arrays(a.data, a.size)
    print(f"{len(d['y'])} images in {time.time() - t:.1f}s")
    for s in SPLITS:
        sub = subset(d, s)
        print(s, {CLASSES[c]: int((sub["y"] == c).sum()) for c in range(4)},
              "mask px mean", float(sub["masks"].reshape(len(sub["y"]), -1).sum(1)[sub["y"] > 0].mean()))
