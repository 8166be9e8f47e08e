# SPDX-License-Identifier: BSD-3-Clause
"""Export model-v3 with its out-of-distribution score, calibrate on `val`, write model + manifest.

    training/.venv/bin/python training/calibrate_export_v3.py --name tsc_unet192_v3 \
        [--ckpt training/checkpoints/tsc_v3.pt [--ckpt ANOTHER ...] | --best] [--planes ...]

Steps (train for fitting the OOD statistics, val for every choice, never test):
1. EMA weights of the committed checkpoint (or runs/tsc_v3/best.pt with --best), at the size of
   the schedule's last stage (or --size).
2. OOD score: pooled encoder features (S/4, S/8, S/16) of every `train` slice, z-scored, projected
   on the top --ood-components principal components and whitened; exported inside the graph as a
   third output `ood_score` (model.WithOOD: GlobalAveragePool, Concat, Gemm, Mul, Gemm), so the C
   engine runs it like any other output.  Threshold: the --ood-quantile quantile of the score on
   in-distribution `val` slices (with left-right TTA, as the C engine averages it).
3. Per-class logit offsets, temperature and thresholds on `val` with left-right TTA, exactly as
   calibrate_export.py does for v2 (shared functions).
4. The manifest carries the scope block (modalities, planes, sequences, spacing, matrix) that the
   scope gate reads, the OOD output and threshold, and the val metrics per source and per plane.
"""
import argparse
import io
import json
import os
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import calibrate_export as CE  # noqa: E402
import data as D  # noqa: E402
import metrics as M  # noqa: E402
import preprocess as pp  # noqa: E402
from model import Ensemble, WithOOD, build, count_macs  # noqa: E402
from onnx_exec import OnnxExec  # noqa: E402
from train_v3 import CKPT, parse_sizes, run_dir_for, to_float  # noqa: E402


def load_one(path, best, size_arg):
    if best:
        ck = torch.load(os.path.join(run_dir_for(path), "best.pt"), map_location="cpu")
        sd, config, step = ck["ema"], ck["config"], ck["step"]
    else:
        ck = torch.load(path, map_location="cpu")
        sd, config, step = to_float(ck["ema"]), ck["config"], ck["step"]
    net = build(config)
    net.load_state_dict(sd)
    # best.pt records the size it was evaluated at; a checkpoint, its schedule.
    size = size_arg or ck.get("size") or parse_sizes(ck.get("sizes", "192:1"))[-1][1]
    return net.eval(), config, int(step), size


def load(args):
    """One network, or with several --ckpt a deep ensemble of them (one graph, Ensemble)."""
    members = [load_one(p, args.best, args.size) for p in args.ckpt]
    sizes = {m[3] for m in members}
    if len(sizes) != 1:
        raise SystemExit(f"ensemble members disagree on the input size {sorted(sizes)}: pass --size")
    size = sizes.pop()
    if len(members) == 1:
        net, config, step, _ = members[0]
        return net, config, step, size, [net]
    nets = [m[0] for m in members]
    return Ensemble(nets).eval(), [m[1] for m in members], [m[2] for m in members], size, nets


@torch.no_grad()
def features(net, images, bs=64):
    out = []
    for i in range(0, len(images), bs):
        x = torch.from_numpy(images[i:i + bs]).unsqueeze(1)
        out.append(net.forward_features(x)[2].numpy().astype(np.float64))
    return np.concatenate(out)


def fit_ood(feat, k):
    """Whitening Gemm (weight [F,k], bias [k]) of z-scored features on their top-k components."""
    mu = feat.mean(0)
    sd = feat.std(0) + 1e-6
    z = (feat - mu) / sd
    cov = np.cov(z, rowvar=False)
    lam, vec = np.linalg.eigh(cov)
    order = np.argsort(lam)[::-1][:k]
    lam, vec = lam[order], vec[:, order]
    w = vec / np.sqrt(np.maximum(lam, 1e-8))[None]      # z @ w: whitened coordinates
    weight = w / sd[:, None]                              # applied to raw features
    bias = -(mu / sd) @ w
    return weight.astype(np.float32), bias.astype(np.float32), lam


def export(model, size, path, outputs):
    buf = io.BytesIO()
    torch.onnx.export(model.eval(), torch.zeros(1, 1, size, size), buf, opset_version=13,
                      input_names=["image"], output_names=outputs, do_constant_folding=True,
                      **CE.torchscript_export())
    _, ops = CE.load_checked(buf)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return sorted(ops)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", default="3.0.0")
    ap.add_argument("--ckpt", action="append",
                    help="checkpoint (default training/checkpoints/tsc_v3.pt); repeat it for a deep "
                         "ensemble exported as one graph (members averaged)")
    ap.add_argument("--best", action="store_true", help="use runs/<checkpoint name>/best.pt (full precision)")
    ap.add_argument("--size", type=int, default=0, help="input size (default: the schedule's last)")
    ap.add_argument("--data", default=D.DEFAULT_DATA)
    ap.add_argument("--out-dir", default=os.path.join(D.REPO, "resources", "models"))
    ap.add_argument("--planes", default="axial,coronal,sagittal",
                    help="planes the manifest's scope declares (decide from the per-plane val figures)")
    ap.add_argument("--ood-components", type=int, default=48)
    ap.add_argument("--ood-quantile", type=float, default=0.99)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tumor-probability-floor", type=float, default=0.5,
                    help="lowest tumour threshold searched: a slice is called tumour only when a "
                         "tumour is at least this likely (0.5: more likely than not, as a no-tumour "
                         "verdict needs P(no tumour) >= 0.5); 0.05 reproduces the manifests up to 3.2.0")
    ap.add_argument("--debug-max", type=int, default=0, help="pipeline test only: N images per split")
    a = ap.parse_args()
    a.ckpt = a.ckpt or [CKPT]
    torch.set_num_threads(a.threads)

    net, config, step, size, members = load(a)
    # Members of different networks pool different scales: name each network's.
    kinds = dict.fromkeys((type(m).__name__, m.OOD_SCALES) for m in members)
    ood_scales = (next(iter(kinds))[1] if len(kinds) == 1 else
                  "; ".join(f"{n}: {sc}" for n, sc in kinds))
    d = D.load_split_arrays(a.data, size, sources=D.SOURCES_V3)
    tr, va = D.subset(d, "train"), D.subset(d, "val")
    if a.debug_max:
        for part in (tr, va):
            sel = np.linspace(0, len(part["y"]) - 1, a.debug_max).astype(int)
            for k in list(part):
                part[k] = part[k][sel]
    print(f"step {step}, size {size}, train {len(tr['y'])}, val {len(va['y'])}")

    feat = features(net, tr["images"])
    k = min(a.ood_components, feat.shape[1], max(2, len(feat) - 1))
    weight, bias, lam = fit_ood(feat, k)
    model = WithOOD(net, weight, bias).eval()
    os.makedirs(a.out_dir, exist_ok=True)
    onnx_path = os.path.join(a.out_dir, a.name + ".onnx")
    outs = ["seg_logits", "class_logits", "ood_score"]
    ops = export(model, size, onnx_path, outs)
    ex = OnnxExec(onnx_path, torch.float32)
    pick = np.linspace(0, len(va["y"]) - 1, 6).astype(int)
    o = ex(va["images"][pick][:, None])
    with torch.no_grad():
        s, c, q = model(torch.from_numpy(va["images"][pick][:, None]))
    diff = max(float(np.abs(o["seg_logits"] - s.numpy()).max()), float(np.abs(o["class_logits"] - c.numpy()).max()),
               float(np.abs(o["ood_score"] - q.numpy()).max() / max(1.0, float(np.abs(q.numpy()).max()))))
    print(f"exported {onnx_path}; ops {ops}; ONNX vs PyTorch max diff {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("export parity check failed")

    cl, sg, ood = CE.run_tta(ex, va["images"], ood=True)
    class_bias = CE.fit_class_bias(cl, va["y"])
    # Folded into every member's last layer: mean(logits_i + b) = mean(logits_i) + b.
    with torch.no_grad():
        for m in members:
            m.fc.bias += torch.from_numpy(class_bias).float()
    export(model, size, onnx_path, outs)
    cl = cl + class_bias[None].astype(np.float32)
    temperature = CE.fit_temperature(cl, va["y"])
    thr = CE.choose_thresholds(cl, sg, va["y"], va["masks"], temperature,
                               a.tumor_probability_floor)
    ood_thr = float(np.quantile(ood, a.ood_quantile))
    prob = M.softmax(cl, temperature)
    area = (CE.sigmoid(sg) >= thr["mask_probability"]).reshape(len(va["y"]), -1).sum(1)
    v, _, _ = M.verdicts(prob, area, thr)
    flagged = (v != "no_tumor") & (ood <= ood_thr)
    per_plane = {}
    nm = va["source"] == D.ALL_SOURCES.index("normal-mri")
    for plane in ("axial", "coronal", "sagittal"):
        sel = nm & (va["plane"] == plane)
        if sel.any():
            per_plane[plane] = {"n": int(sel.sum()), "flagged": float(flagged[sel].mean()),
                                "tumor_verdicts": float(((v == "tumor") & (ood <= ood_thr))[sel].mean()),
                                "not_assessable_by_ood": float((ood > ood_thr)[sel].mean())}
    per_source = {}
    for si, name in enumerate(D.ALL_SOURCES):
        sel = va["source"] == si
        if sel.any():
            per_source[name] = {"n": int(sel.sum()),
                                "accuracy": float((prob[sel].argmax(1) == va["y"][sel]).mean()),
                                "not_assessable_by_ood": float((ood[sel] > ood_thr).mean())}
    val_r = CE.full_report(cl, sg, va["y"], va["masks"], va["id"], D.native_masks(a.data, va["id"]),
                           temperature, thr)
    val_r["per_source"] = per_source
    val_r["normal_mri_per_plane"] = per_plane
    val_r["tumor_slices_not_assessable_by_ood"] = float((ood[va["y"] != 0] > ood_thr).mean())
    print(json.dumps({k2: v2 for k2, v2 in val_r.items() if not isinstance(v2, (list,))}, indent=1)[:4000])

    manifest = {
        "format_version": 1,
        "name": a.name,
        "version": a.version,
        "onnx": os.path.basename(onnx_path),
        "sha256": CE.sha256(onnx_path),
        "input": {"name": "image", "shape": [1, 1, size, size]},
        "outputs": {"segmentation": "seg_logits", "classification": "class_logits", "ood": "ood_score"},
        "preprocessing": {"rule": pp.RULE, "input_size": size},
        "classes": CE.CLASS_META,
        "temperature": temperature,
        "class_bias_folded_into_graph": [round(float(x), 6) for x in class_bias],
        "thresholds": dict(thr, min_head_area_mm2=4000, max_head_cut_fraction=0.35, vertex_area_fraction=0.55),
        "ood": {"threshold": ood_thr,
                "method": f"Mahalanobis distance of the pooled {ood_scales} encoder features"
                          f"{' of every member side by side' if len(members) > 1 else ''} in their "
                          f"top {k} principal components, fitted on the {len(feat)} train slices; "
                          f"threshold = {a.ood_quantile:.2f} quantile on val (left-right TTA)"},
        "scope": {"modalities": ["MR"], "planes": a.planes.split(","),
                  "sequences": ["T1", "T1 post-contrast", "T2", "FLAIR"], "max_oblique_deg": 25,
                  "pixel_spacing_mm": [0.15, 1.6], "min_matrix": 128},
        "training": {"data": D.SOURCES_V3, "step": step, "config": config,
                     "gmac_per_slice": round(sum(count_macs(m, size) for m in members) / 1e9, 4),
                     "onnx_ops": ops, "tumor_probability_floor": a.tumor_probability_floor,
                     "run_log": [os.path.relpath(os.path.splitext(c)[0] + "_runlog.md", D.REPO)
                                 for c in a.ckpt] if len(a.ckpt) > 1 else
                     os.path.relpath(os.path.splitext(a.ckpt[0])[0] + "_runlog.md", D.REPO),
                     **({"ensemble": {"members": len(members), "combine": "mean of logits"}}
                        if len(members) > 1 else {})},
        "metrics": {"note": "Python metrics of the exported graph on val with TTA; the authoritative "
                            "numbers come from `tumorscope eval`.", "val": val_r, "test_python": None},
    }
    path = os.path.join(a.out_dir, a.name + ".json")
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
