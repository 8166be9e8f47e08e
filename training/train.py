# SPDX-License-Identifier: BSD-3-Clause
"""Train the multi-task TumorNet on CPU.

    /usr/bin/python3 training/train.py --out training/runs/<name> [--data ../shared/data]
                                       [--epochs N] [--threads 2] [--budget-min 85]

Re-running the same command resumes from <out>/last.pt (model, optimizer, EMA, epoch,
RNG states, elapsed time).  See training/README.md for the recipe.
"""
import argparse
import json
import math
import os
import random
import sys
import time

# On the shared, oversubscribed 2-core machine OpenMP's default spin-waiting burns about half of
# our CPU share (measured: 6.1 vs 3.7 CPU-s per batch); must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D            # noqa: E402
import metrics as M         # noqa: E402
from model import TumorNet, count_macs  # noqa: E402


# ----------------------------------------------------------------------------- augmentation
def _gauss_kernels(sigma, k=5):
    """Per-sample normalised 2-D Gaussian kernels [B,1,k,k]."""
    r = torch.arange(k, dtype=torch.float32) - k // 2
    g = torch.exp(-(r[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    g = g / g.sum(1, keepdim=True)
    return (g[:, :, None] * g[:, None, :])[:, None]


def augment(x, m, gen):
    """Batched augmentation on [B,1,S,S] images in [0,1] and {0,1} masks.

    Geometry (shared by image and mask): flip, rotation +-15 deg, scale 0.85-1.15, extra
    zoom in/out (changes the visible field of view / border), translation, random border
    cut.  Intensity: bias field, gamma, blur, noise, then the tsc-v1 percentile window again
    (as at inference), then mild contrast/brightness.  Together they remove the cheap source
    cues (contrast, noise, size, border) that separate the three datasets.
    """
    b, _, s, _ = x.shape
    dev = x.device  # random parameters are drawn on the CPU generator, applied on x's device
    U = lambda lo, hi, n=b: torch.rand(n, generator=gen) * (hi - lo) + lo  # noqa: E731
    P = lambda p: torch.rand(b, generator=gen) < p                           # noqa: E731

    ang = U(-15, 15) * math.pi / 180
    scale = U(0.85, 1.15)
    zoom = torch.where(P(0.3), torch.exp(U(math.log(0.75), math.log(1.35))), torch.ones(b))
    z = scale * zoom                       # >1 magnifies (crops the FOV), <1 shrinks (adds border)
    flip = torch.where(P(0.5), -torch.ones(b), torch.ones(b))
    cos, sin = torch.cos(ang) / z, torch.sin(ang) / z
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos * flip
    theta[:, 0, 1] = -sin
    theta[:, 1, 0] = sin * flip
    theta[:, 1, 1] = cos
    theta[:, 0, 2] = U(-0.1, 0.1)
    theta[:, 1, 2] = U(-0.1, 0.1)
    grid = F.affine_grid(theta.to(dev), x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    m = (F.grid_sample(m, grid, mode="bilinear", padding_mode="zeros", align_corners=False) > 0.5).float()

    # Random border cut: zero outside a random box (different acquisition FOV / screenshot crop).
    cut = P(0.25)
    if cut.any():
        ii = torch.arange(s, dtype=torch.float32)
        t0, b0 = U(0, 0.15) * s, s - U(0, 0.15) * s
        l0, r0 = U(0, 0.15) * s, s - U(0, 0.15) * s
        rows = (ii[None] >= t0[:, None]) & (ii[None] < b0[:, None])
        cols = (ii[None] >= l0[:, None]) & (ii[None] < r0[:, None])
        box = (rows[:, :, None] & cols[:, None, :]).float()[:, None]
        box = torch.where(cut[:, None, None, None], box, torch.ones_like(box)).to(dev)
        x, m = x * box, m * box

    # Smooth multiplicative bias field from a 4x4 random grid.
    bias = torch.exp(F.interpolate(torch.randn(b, 1, 4, 4, generator=gen) * 0.25, size=(s, s),
                                   mode="bicubic", align_corners=False)).to(dev)
    x = torch.where(P(0.5)[:, None, None, None].to(dev), x * bias, x)
    # Gamma 0.7-1.5.
    g = torch.where(P(0.7), torch.exp(U(math.log(0.7), math.log(1.5))), torch.ones(b))
    x = x.clamp(0, None) ** g[:, None, None, None].to(dev)
    # Random blur.
    blur = P(0.2)
    if blur.any():
        k = _gauss_kernels(U(0.5, 1.2)).to(dev)
        xb = F.conv2d(x.transpose(0, 1), k, padding=2, groups=b).transpose(0, 1)
        x = torch.where(blur[:, None, None, None].to(dev), xb, x)
    # Gaussian noise of random level.
    sigma = torch.where(P(0.5), U(0.005, 0.06), torch.zeros(b))
    x = x + torch.randn(x.shape, generator=gen).to(dev) * sigma[:, None, None, None].to(dev)
    # Re-apply the tsc-v1 percentile window, as every real input gets it.
    flat = x.reshape(b, -1)
    q = torch.quantile(flat, torch.tensor([0.005, 0.995], device=dev), dim=1)
    lo, hi = q[0][:, None, None, None], q[1][:, None, None, None]
    x = torch.where(hi > lo, (x - lo) / (hi - lo).clamp_min(1e-6), torch.zeros_like(x)).clamp(0, 1)
    # Mild contrast / brightness after the window.
    cb = P(0.3)[:, None, None, None].to(dev)
    c = U(0.85, 1.15)[:, None, None, None].to(dev)
    br = U(-0.05, 0.05)[:, None, None, None].to(dev)
    x = torch.where(cb, (x - 0.5) * c + 0.5 + br, x).clamp(0, 1)
    return x, m


# ----------------------------------------------------------------------------- loss / eval
def seg_loss(logits, target):
    """BCE + per-sample soft Dice on every slice.  On no-tumour slices the target is empty, so
    the smoothed Dice term 1 - 1/(sum p + 1) drives the predicted area to zero."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    dice = (2 * (p * t).sum(1) + 1.0) / (p.sum(1) + t.sum(1) + 1.0)
    return bce + (1 - dice).mean()


@torch.no_grad()
def predict(model, images, bs=32):
    """Class logits [N,4] and seg probabilities [N,S,S] (float32) for preprocessed images."""
    model.eval()
    logits, probs = [], []
    for i in range(0, len(images), bs):
        x = torch.from_numpy(images[i:i + bs]).unsqueeze(1)
        s, c = model(x)
        logits.append(c.numpy())
        probs.append(torch.sigmoid(s)[:, 0].numpy())
    return np.concatenate(logits), np.concatenate(probs)


def val_metrics(logits, probs, y, masks):
    prob = M.softmax(logits)
    r = M.classification_report(prob, y)
    tum = y != 0
    dice, iou = M.dice_iou(probs[tum] >= 0.5, masks[tum] > 0)
    area = (probs >= 0.5).reshape(len(y), -1).sum(1)
    r["dice_tumor_slices"] = float(dice.mean())
    r["iou_tumor_slices"] = float(iou.mean())
    r["fp_area_rate_no_tumor"] = float((area[~tum] >= 20).mean())  # seg says something on normals
    rec = [r["per_class"][c]["recall"] for c in M.CLASSES]
    r["min_recall"] = float(min(rec))
    # Model-selection score: accuracy, worst-class recall, tumour AUC and Dice equally weighted.
    r["score"] = float((r["accuracy"] + r["min_recall"] + r["tumor_auc"] + r["dice_tumor_slices"]) / 4)
    return r


# ----------------------------------------------------------------------------- EMA
class EMA:
    """An exponential moving average of a model's weights (BN running stats copied).  `fresh`
    builds an untrained model of the same architecture (train_v3 passes its own)."""

    def __init__(self, model, decay, fresh=None):
        self.decay = decay
        self.model = fresh(model) if fresh else TumorNet(model.widths, dec_widths=model.dec_widths)
        self.model.load_state_dict(model.state_dict())
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model, step):
        d = min(self.decay, (1 + step) / (10 + step))
        for pe, pm in zip(self.model.parameters(), model.parameters()):
            pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        for be, bm in zip(self.model.buffers(), model.buffers()):
            be.copy_(bm)  # BN running stats: follow the live model


def lr_at(progress, base_lr, warmup=0.05, floor=0.02):
    """Linear warm-up then cosine decay to floor*base_lr; progress in [0,1]."""
    if progress < warmup:
        return base_lr * (0.1 + 0.9 * progress / warmup)
    t = min(1.0, (progress - warmup) / (1 - warmup))
    return base_lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def optimizer_step(model, opt, loss, log, nonfinite_msg):
    """Backpropagates `loss` and takes one optimizer step with the gradients clipped to norm 5.
    A non-finite loss is logged as `nonfinite_msg` and ends the run (exit status 2) before any
    weight changes.  train_v3 takes its steps here too."""
    if not torch.isfinite(loss):
        log(nonfinite_msg)
        raise SystemExit(2)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=D.DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--epoch-size", type=int, default=3200, help="balanced samples drawn per epoch")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget-min", type=float, default=88.0,
                    help="training-time budget: the LR schedule runs on max(epoch progress, time "
                         "progress) and training ends when either reaches 1 (0 = epochs only)")
    ap.add_argument("--max-batches", type=int, default=0, help="smoke test: batches per epoch")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--init", default="",
                    help="warm restart: start model and EMA from this checkpoint's weights (a "
                         "last.pt or best.pt of an earlier run) with a fresh optimizer and schedule")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "log.txt"), "a")

    def log(msg):
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    d = D.load_split_arrays(a.data, a.size, log=log)
    tr, va = D.subset(d, "train"), D.subset(d, "val")
    tr_x = torch.from_numpy(tr["images"]).unsqueeze(1)
    tr_m = torch.from_numpy(tr["masks"]).unsqueeze(1).float()
    tr_y = torch.from_numpy(tr["y"])
    weights = D.balanced_weights(tr["y"], tr["source"])

    model = TumorNet()
    ema = EMA(model, decay=0.995)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    steps_per_epoch = a.epoch_size // a.batch
    if a.max_batches:
        steps_per_epoch = min(steps_per_epoch, a.max_batches)
    rng = np.random.default_rng(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    random.seed(a.seed)
    start_epoch, step, elapsed, best = 0, 0, 0.0, -1.0
    history = []

    last = os.path.join(a.out, "last.pt")
    if os.path.exists(last):  # resume
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        ema.model.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        start_epoch, step, elapsed, best = ck["epoch"] + 1, ck["step"], ck["elapsed"], ck["best"]
        history = ck["history"]
        rng.bit_generator.state = ck["np_rng"]
        gen.set_state(ck["torch_gen"])
        torch.set_rng_state(ck["torch_rng"])
        random.setstate(ck["py_rng"])
        log(f"resumed from {last} at epoch {start_epoch}, step {step}, elapsed {elapsed:.0f}s; "
            f"sampling shares per class {np.round(np.bincount(tr['y'], weights, 4), 3).tolist()}")
    else:
        if a.init:  # warm restart (SGDR-style): weights only; optimizer, schedule and RNGs start anew
            ck = torch.load(a.init)
            w = ck["ema"] if "ema" in ck else ck["model"]
            model.load_state_dict(w)
            ema.model.load_state_dict(w)
            log(f"initialised from {a.init} ({'EMA' if 'ema' in ck else 'model'} weights of epoch "
                f"{ck.get('epoch', -1) + 1})")
        log(f"args {json.dumps(vars(a))}")
        log(f"train {len(tr_y)} val {len(va['y'])}; widths {model.widths}; "
            f"GMAC {count_macs(TumorNet(), a.size) / 1e9:.3f}; steps/epoch {steps_per_epoch}")

    budget = a.budget_min * 60.0
    loss_fn_cls = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    total_steps = a.epochs * steps_per_epoch
    epoch = start_epoch
    while epoch < a.epochs:
        progress0 = max(step / total_steps, elapsed / budget if budget > 0 else 0)
        if progress0 >= 1.0:
            log(f"time budget reached before epoch {epoch + 1}; stopping")
            break
        t0 = time.time()
        model.train()
        idx = rng.choice(len(tr_y), size=steps_per_epoch * a.batch, replace=True, p=weights)
        sums = np.zeros(3)
        done = 0
        for bi in range(steps_per_epoch):
            progress = max(step / total_steps, (elapsed + time.time() - t0) / budget if budget > 0 else 0)
            if progress >= 1.0 and bi > 0:
                break  # budget spent mid-epoch: validate and save what we have, then stop
            lr = lr_at(min(progress, 1.0), a.lr)
            for gparam in opt.param_groups:
                gparam["lr"] = lr
            j = torch.from_numpy(idx[bi * a.batch:(bi + 1) * a.batch])
            x, m = augment(tr_x[j], tr_m[j], gen)
            seg, cls = model(x)
            ls = seg_loss(seg, m)
            lc = loss_fn_cls(cls, tr_y[j])
            loss = ls + lc
            optimizer_step(model, opt, loss, log, "non-finite loss; aborting epoch")
            step += 1
            ema.update(model, step)
            sums += [loss.item(), ls.item(), lc.item()]
            done += 1
        train_time = time.time() - t0
        logits, probs = predict(ema.model, va["images"])
        r = val_metrics(logits, probs, va["y"], va["masks"])
        epoch_time = time.time() - t0
        elapsed += epoch_time
        sums /= max(done, 1)
        rec = " ".join(f"{c[:4]}={r['per_class'][c]['recall']:.3f}" for c in M.CLASSES)
        is_best = r["score"] > best
        if is_best:
            best = r["score"]
            save_atomic({"model": ema.model.state_dict(), "widths": model.widths, "size": a.size,
                         "epoch": epoch, "val": r, "args": vars(a)}, os.path.join(a.out, "best.pt"))
        history.append({"epoch": epoch, "batches": done, "loss": sums.tolist(), "lr": lr, "epoch_time_s": epoch_time,
                        "val": {k: r[k] for k in ("accuracy", "tumor_auc", "dice_tumor_slices",
                                                  "min_recall", "score", "ece_15")}})
        log(f"epoch {epoch + 1}/{a.epochs} loss {sums[0]:.4f} (seg {sums[1]:.4f} cls {sums[2]:.4f}) "
            f"lr {lr:.2e} | val acc {r['accuracy']:.4f} {rec} auc {r['tumor_auc']:.4f} "
            f"dice {r['dice_tumor_slices']:.4f} fpseg {r['fp_area_rate_no_tumor']:.3f} "
            f"ece {r['ece_15']:.3f} score {r['score']:.4f}{' *best*' if is_best else ''} | "
            f"train {train_time:.0f}s epoch {epoch_time:.0f}s total {elapsed / 60:.1f}min "
            f"progress {max(step / total_steps, elapsed / budget if budget > 0 else 0):.2f}")
        save_atomic({"model": model.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(),
                     "epoch": epoch, "step": step, "elapsed": elapsed, "best": best, "history": history,
                     "np_rng": rng.bit_generator.state, "torch_gen": gen.get_state(),
                     "torch_rng": torch.get_rng_state(), "py_rng": random.getstate(),
                     "widths": model.widths, "size": a.size, "args": vars(a)}, last)
        epoch += 1
    summary = {"epochs_run": len(history), "wall_time_s": elapsed, "best_score": best,
               "best_epoch": max(history, key=lambda h: h["val"]["score"])["epoch"] if history else None}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log(f"done: {json.dumps(summary)}")


if __name__ == "__main__":
    main()
