# SPDX-License-Identifier: BSD-3-Clause
"""Export the best checkpoint to ONNX, calibrate on `val`, write the model + manifest.

    /usr/bin/python3 training/calibrate_export.py --run training/runs/<run> --name <model name>
        [--data ../shared/data] [--version 1.0.0] [--threads 2]

1. Load <run>/best.pt (EMA weights, selected by the val score during training).
2. Export ONNX opset 13, static [1,1,S,S] input `image`, outputs `seg_logits`, `class_logits`
   (no softmax/sigmoid in the graph); check the op types against the C engine's list and with
   onnx.checker; execute the .onnx file itself (onnx_exec.py) in float64 and compare with
   PyTorch in float64 on val images (max abs diff <= 1e-4).
3. Run the exported graph on all of `val` the way the C engine does (original + left-right
   mirror, outputs averaged), fit the temperature (LBFGS on NLL), then choose the thresholds
   on val (never test): mask probability, tumour probability, min tumour area, min confidence.
4. Write resources/models/<name>.onnx and resources/models/<name>.json (manifest).
"""
import argparse
import hashlib
import inspect
import io
import json
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D          # noqa: E402
import metrics as M       # noqa: E402
import preprocess as pp   # noqa: E402
from model import ALLOWED_OPS, TumorNet, count_macs  # noqa: E402
from onnx_exec import OnnxExec  # noqa: E402

CLASS_META = [
    {"name": "no_tumor", "display": "No tumour", "color": "#009E73"},
    {"name": "glioma", "display": "Glioma", "color": "#D55E00"},
    {"name": "meningioma", "display": "Meningioma", "color": "#0072B2"},
    {"name": "pituitary", "display": "Pituitary", "color": "#CC79A7"},
]


def load_ckpt(run, which="best"):
    """EMA weights of best.pt (best val score during training) or of last.pt (final epoch)."""
    ck = torch.load(os.path.join(run, f"{which}.pt"))
    model = TumorNet(tuple(ck["widths"]))
    model.load_state_dict(ck["model"] if which == "best" else ck["ema"])
    ck = dict(ck, which=which)
    return model.eval(), ck


def select_checkpoint(run, va):
    """Pick best.pt or last.pt on val: the training-time score (acc + min recall + AUC + Dice)/4
    is recomputed after the per-class logit offsets are fitted, because those offsets repair
    exactly the class imbalance that dominated the training-time min-recall term."""
    from train import predict, val_metrics
    res = {}
    for which in ("best", "last"):
        if not os.path.exists(os.path.join(run, f"{which}.pt")):
            continue
        model, ck = load_ckpt(run, which)
        lg, pr = predict(model, va["images"])
        b = fit_class_bias(lg, va["y"])
        r = val_metrics(lg + b[None], pr, va["y"], va["masks"])
        res[which] = r["score"]
        print(f"checkpoint {which} (epoch {ck['epoch'] + 1}): val score after class offsets {r['score']:.4f} "
              f"(acc {r['accuracy']:.4f}, min recall {r['min_recall']:.4f})")
    return max(res, key=res.get), res


def torchscript_export():
    """torch.onnx.export's keyword for the TorchScript exporter (opset 13, the graph our C engine
    reads); torch >= 2.9 defaults to the dynamo exporter."""
    params = inspect.signature(torch.onnx.export).parameters
    return {"dynamo": False} if "dynamo" in params else {}


def load_checked(buf):
    """The exported graph in `buf` and its op types, checked by ONNX; an op the C engine does not
    support stops the script."""
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    ops = {n.op_type for n in proto.graph.node}
    bad = ops - ALLOWED_OPS
    if bad:
        raise SystemExit(f"exported graph uses ops the C engine does not support: {sorted(bad)}")
    return proto, ops


def export_onnx(model, size, path):
    model = model.eval()
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, size, size), buf, opset_version=13,
                      input_names=["image"], output_names=["seg_logits", "class_logits"],
                      do_constant_folding=True, **torchscript_export())
    proto, ops = load_checked(buf)
    for v in list(proto.graph.input) + list(proto.graph.output):
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
        assert all(x > 0 for x in dims), f"non-static shape for {v.name}: {dims}"
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return sorted(ops)


def run_tta(ex, images, bs=16, ood=False):
    """Exported-graph outputs averaged over the image and its left-right mirror, as the C
    engine does (docs/RESULT_FORMAT.md step 1).  Returns class logits [N,4], seg logits [N,S,S]
    and, with `ood`, the graph's ood_score [N] (model-v3)."""
    cl, sg, oo = [], [], []
    for i in range(0, len(images), bs):
        x = images[i:i + bs][:, None]
        a = ex(x)
        b = ex(x[..., ::-1].copy())
        cl.append((a["class_logits"] + b["class_logits"]) / 2)
        sg.append((a["seg_logits"][:, 0] + b["seg_logits"][:, 0, :, ::-1]) / 2)
        if ood:
            oo.append((a["ood_score"][:, 0] + b["ood_score"][:, 0]) / 2)
    if ood:
        return np.concatenate(cl), np.concatenate(sg), np.concatenate(oo)
    return np.concatenate(cl), np.concatenate(sg)


def fit_temperature(logits, y):
    """Temperature scaling: minimise NLL over log T with LBFGS."""
    z = torch.from_numpy(logits).double()
    t = torch.from_numpy(y)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), t)
        loss.backward()
        return loss
    opt.step(closure)
    return float(log_t.exp())


def fit_class_bias(logits, y):
    """Per-class logit offsets b (b[0] = 0) and a temperature, minimising the class-balanced NLL
    of softmax((z + b) / T) on val.  Balanced (each class weighted by 1/its count) so that b
    undoes the bias from the training sampling shares, not val's class frequencies.  b is then
    folded into the Gemm bias of the exported graph; T is refitted afterwards (plain NLL)."""
    z = torch.from_numpy(logits).double()
    t = torch.from_numpy(y)
    cw = torch.tensor([1.0 / max((y == c).sum(), 1) for c in range(logits.shape[1])], dtype=torch.float64)
    b = torch.zeros(logits.shape[1] - 1, dtype=torch.float64, requires_grad=True)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([b, log_t], lr=0.1, max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        bb = torch.cat([torch.zeros(1, dtype=torch.float64), b])
        loss = torch.nn.functional.cross_entropy((z + bb) / log_t.exp(), t, weight=cw)
        loss.backward()
        return loss
    opt.step(closure)
    return np.concatenate([[0.0], b.detach().numpy()])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def native_dice(seg_prob, verdict, ids, gt_native, mask_thr, y):
    """Dice/IoU at the native 256x256 grid as the C engine measures it: the S x S probability
    map mapped back with to_native, thresholded; empty when the verdict is no_tumor.  (The C
    engine additionally removes pixels outside the head and components < 10 mm^2.)"""
    dice, iou = [], []
    for k in np.where(y != 0)[0]:
        h, w = gt_native[k].shape
        pred = pp.to_native(seg_prob[k], h, w) >= mask_thr
        if verdict[k] == "no_tumor":
            pred = np.zeros_like(pred)
        d, i = M.dice_iou(pred[None], gt_native[k][None])
        dice.append(d[0])
        iou.append(i[0])
    return float(np.mean(dice)), float(np.mean(iou))


def full_report(class_logits, seg_logits, y, masks_s, ids, gt_native, temperature, thr, source=None):
    """All Python metrics of one split for one set of thresholds."""
    prob = M.softmax(class_logits, temperature)
    seg_prob = sigmoid(seg_logits)
    area = (seg_prob >= thr["mask_probability"]).reshape(len(y), -1).sum(1)
    r = M.classification_report(prob, y)
    r.update(M.decision_report(prob, area, y, thr))
    tum = y != 0
    d, i = M.dice_iou(seg_prob[tum] >= thr["mask_probability"], masks_s[tum] > 0)
    r["dice_mean_S"] = float(d.mean())
    r["iou_mean_S"] = float(i.mean())
    v, _, _ = M.verdicts(prob, area, thr)
    r["dice_mean_native"], r["iou_mean_native"] = native_dice(seg_prob, v, ids, gt_native,
                                                              thr["mask_probability"], y)
    if source is not None:
        r["by_dataset"] = {}
        for si, sname in enumerate(D.SOURCES):
            sel = source == si
            if not sel.any():
                continue
            flagged = v[sel] != "no_tumor"
            ys = y[sel]
            r["by_dataset"][sname] = {
                "n": int(sel.sum()),
                "accuracy": float((prob[sel].argmax(1) == ys).mean()),
                "false_positive_rate": float(flagged[ys == 0].mean()) if (ys == 0).any() else None,
                "sensitivity": float(flagged[ys != 0].mean()) if (ys != 0).any() else None,
            }
    return r


def choose_thresholds(class_logits, seg_logits, y, masks_s, temperature, tumor_probability_floor=0.05):
    """Grid search on val only.  Order: mask probability (best Dice on tumour slices), then the
    tumour rule (P(tumour) from tumor_probability_floor up, and area; maximise flagged
    sensitivity + specificity minus the inconclusive rate, requiring specificity >= 0.97 where
    reachable), then min confidence (a wrong confident label costs as much as two inconclusive
    slices).  The floor's default, 0.05, is what every manifest up to 3.2.0 was calibrated with."""
    prob = M.softmax(class_logits, temperature)
    seg_prob = sigmoid(seg_logits)
    tum = y != 0
    best_m, best_d = 0.5, -1
    for mt in np.arange(0.25, 0.76, 0.05):
        d, _ = M.dice_iou(seg_prob[tum] >= mt, masks_s[tum] > 0)
        if d.mean() > best_d + 1e-9:
            best_m, best_d = float(round(mt, 2)), d.mean()
    area = (seg_prob >= best_m).reshape(len(y), -1).sum(1)

    cands = []
    for tp in np.arange(tumor_probability_floor, 0.96, 0.025):
        for amin in (0, 3, 5, 8, 10, 15, 20, 30, 40, 60, 80, 120):
            thr = {"mask_probability": best_m, "tumor_probability": float(round(tp, 3)),
                   "min_tumor_area_px": int(amin), "min_confidence": 0.0}
            r = M.decision_report(prob, area, y, thr)
            obj = r["sensitivity"] + r["specificity"] - r["inconclusive_rate"] \
                + 0.5 * (r["sensitivity_tumor_verdict_only"] + r["specificity_tumor_verdict_only"])
            cands.append((r["specificity"] >= 0.97, obj, thr))
    feasible = [c for c in cands if c[0]] or cands
    thr = max(feasible, key=lambda c: c[1])[2]

    best_c, best_cost = 0.0, None
    for mc in np.arange(0.0, 0.81, 0.025):
        t = dict(thr, min_confidence=float(round(mc, 3)))
        v, label, _ = M.verdicts(prob, area, t)
        concl = v != "inconclusive"
        cost = 2 * (concl & (label != y)).sum() + (~concl).sum()
        if best_cost is None or cost < best_cost:
            best_c, best_cost = float(round(mc, 3)), cost
    thr["min_confidence"] = best_c
    return thr


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--data", default=D.DEFAULT_DATA)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out-dir", default=os.path.join(D.REPO, "resources", "models"))
    ap.add_argument("--class-bias", type=int, default=1,
                    help="1: fit per-class logit offsets on val (class-balanced NLL) and fold them into the graph")
    ap.add_argument("--checkpoint", default="auto", choices=["auto", "best", "last"],
                    help="auto: choose best.pt or last.pt by the val score after class offsets")
    ap.add_argument("--debug-max-val", type=int, default=0, help="pipeline test only: use N val images")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    size = int(torch.load(os.path.join(a.run, "last.pt"))["size"])
    d = D.load_split_arrays(a.data, size)
    va = D.subset(d, "val")
    if a.debug_max_val:
        sel = np.linspace(0, len(va["y"]) - 1, a.debug_max_val).astype(int)
        va = {k: v[sel] for k, v in va.items()}
    which, sel_scores = (a.checkpoint, None) if a.checkpoint != "auto" else select_checkpoint(a.run, va)
    model, ck = load_ckpt(a.run, which)
    print(f"using {which}.pt (epoch {ck['epoch'] + 1})")
    out_dir = a.out_dir
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, a.name + ".onnx")
    ops = export_onnx(model, size, onnx_path)
    print(f"exported {onnx_path}; ops {ops}")

    # Parity: the .onnx file executed in float64 vs PyTorch in float64, a few val images.
    ex64 = OnnxExec(onnx_path, torch.float64)
    m64 = TumorNet(tuple(ck["widths"])).double().eval()
    m64.load_state_dict(model.state_dict())
    pick = np.linspace(0, len(va["y"]) - 1, 8).astype(int)
    maxdiff = 0.0
    for k in pick:
        x = va["images"][k:k + 1, None].astype(np.float64)
        o = ex64(x)
        with torch.no_grad():
            s, c = m64(torch.from_numpy(x))
        maxdiff = max(maxdiff, float(np.abs(o["seg_logits"] - s.numpy()).max()),
                      float(np.abs(o["class_logits"] - c.numpy()).max()))
    # And the float32 graph as the C engine runs it vs PyTorch float32.
    ex = OnnxExec(onnx_path, torch.float32)
    x = va["images"][pick][:, None]
    o = ex(x)
    with torch.no_grad():
        s, c = model(torch.from_numpy(x))
    maxdiff32 = max(float(np.abs(o["seg_logits"] - s.numpy()).max()),
                    float(np.abs(o["class_logits"] - c.numpy()).max()))
    print(f"ONNX vs PyTorch max abs diff: float64 {maxdiff:.2e}, float32 {maxdiff32:.2e}")
    before = o["class_logits"].copy()
    ex_before = lambda _pick: before  # noqa: E731
    if maxdiff > 1e-4 or maxdiff32 > 1e-4:
        raise SystemExit("export parity check failed")

    cl, sg = run_tta(ex, va["images"])
    np.savez_compressed(os.path.join(a.run, "val_outputs.npz"), class_logits=cl, seg_logits=sg)
    class_bias = np.zeros(4)
    if a.class_bias:
        class_bias = fit_class_bias(cl, va["y"])
        print(f"class bias (folded into the Gemm bias): {np.round(class_bias, 4).tolist()}")
        with torch.no_grad():
            model.fc.bias += torch.from_numpy(class_bias).float()
        export_onnx(model, size, onnx_path)
        ex = OnnxExec(onnx_path, torch.float32)
        o = ex(va["images"][pick][:, None])
        with torch.no_grad():
            s, c = model(torch.from_numpy(va["images"][pick][:, None]))
        d2 = max(float(np.abs(o["seg_logits"] - s.numpy()).max()), float(np.abs(o["class_logits"] - c.numpy()).max()))
        d3 = float(np.abs(o["class_logits"] - (ex_before(pick) + class_bias)).max())
        print(f"re-exported with class bias: ONNX vs PyTorch {d2:.2e}; vs logits+bias {d3:.2e}")
        if d2 > 1e-4 or d3 > 1e-4:
            raise SystemExit("export parity check failed after folding the class bias")
        cl = cl + class_bias[None].astype(np.float32)
    temperature = fit_temperature(cl, va["y"])
    thr = choose_thresholds(cl, sg, va["y"], va["masks"], temperature)
    gt_native = D.native_masks(a.data, va["id"])
    val_r = full_report(cl, sg, va["y"], va["masks"], va["id"], gt_native, temperature, thr, va["source"])
    val_r["nll_before_T"] = float(torch.nn.functional.cross_entropy(torch.from_numpy(cl), torch.from_numpy(va["y"])))
    val_r["nll_after_T"] = float(torch.nn.functional.cross_entropy(torch.from_numpy(cl) / temperature,
                                                                   torch.from_numpy(va["y"])))
    val_r["ece_15_before_T"] = M.ece(M.softmax(cl), va["y"])
    print(f"T = {temperature:.4f}; thresholds {thr}")
    print(json.dumps({k: v for k, v in val_r.items() if not isinstance(v, (dict, list))}, indent=1))

    summary = {}
    sp = os.path.join(a.run, "summary.json")
    if os.path.exists(sp):
        summary = json.load(open(sp))
    last = torch.load(os.path.join(a.run, "last.pt"))
    targs = ck.get("args", {})
    manifest = {
        "format_version": 1,
        "name": a.name,
        "version": a.version,
        "onnx": os.path.basename(onnx_path),
        "sha256": sha256(onnx_path),
        "input": {"name": "image", "shape": [1, 1, size, size]},
        "outputs": {"segmentation": "seg_logits", "classification": "class_logits"},
        "preprocessing": {"rule": pp.RULE, "input_size": size},
        "classes": CLASS_META,
        "temperature": temperature,
        "class_bias_folded_into_graph": [round(float(v), 6) for v in class_bias],
        "thresholds": thr,
        "training": {
            "data": ["figshare-cheng", "lgg-flair", "no-tumor"],
            "splits": {"train": "train", "model_selection_and_calibration": "val", "test": "test"},
            "epochs": int(last["epoch"]) + 1,
            "exported_checkpoint": f"{which}.pt (EMA weights of epoch {int(ck['epoch']) + 1})",
            "checkpoint_selection_val_scores": sel_scores,
            "wall_time_s": round(float(last["elapsed"]), 1),
            "gmac_per_slice": round(count_macs(TumorNet(tuple(ck["widths"])), size) / 1e9, 4),
            "onnx_ops": ops,
            "recipe": (
                f"TumorNet U-Net widths {list(ck['widths'])}, {size}x{size} tsc-v1 input; "
                f"class/source-balanced sampling ({targs.get('epoch_size')} samples/epoch, batch "
                f"{targs.get('batch')}); batched torch augmentation (flip, rot +-15, scale 0.85-1.15, "
                "extra zoom 0.75-1.35 / border cut, translation, bias field, gamma 0.7-1.5, blur, "
                "noise, percentile re-window, contrast/brightness); loss BCE+soft Dice on all slices "
                "+ CE (label smoothing 0.05); AdamW lr "
                f"{targs.get('lr')} wd {targs.get('wd')}, warm-up + cosine on max(step, wall-time) "
                f"progress (budget {targs.get('budget_min')} min), EMA 0.995; best EMA checkpoint by "
                "val score (acc + min recall + AUC + Dice)/4; temperature + thresholds fitted on val "
                "with left-right TTA (per-class logit offsets fitted on val with class-balanced NLL and folded "
                "into the Gemm bias); CPU, 2 threads"),
        },
        "metrics": {
            "note": "measured in Python (training/calibrate_export.py, training/evaluate.py) on the "
                    "exported graph with left-right TTA; Dice/IoU at S x S and at native 256x256 "
                    "(without the C engine's head mask / small-component removal). The authoritative "
                    "numbers come from `tumorscope eval`.",
            "val": val_r,
            "test_python": None,
        },
    }
    man_path = os.path.join(out_dir, a.name + ".json")
    with open(man_path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {man_path}")


if __name__ == "__main__":
    main()
