# SPDX-License-Identifier: BSD-3-Clause
"""Train model-v3 on one GPU within a fixed wall-clock budget (the lent H200: <= 8 minutes).

Never a dependency: the CPU path (training/train_v3.py) trains the same network; this script only
makes more epochs fit when a GPU is lent.  It reads the packed training split
(training/gpu/pack.py; parts found in --data-dirs), trains the v3 TumorNet at the packed size with
the same augmentation and losses as train_v3.py (bf16 autocast, channels-last, AdamW, EMA), with
one warm-up + cosine schedule over a step count fixed after 30 timed warm-up steps so that the
run ends inside --minutes, and writes a weights-only fp16 checkpoint (live + EMA) that
calibrate_export_v3.py reads (`--ckpt OUT/tsc_v3_gpu.pt`).  Calibration and export stay on the CPU.

    python3 training/gpu/train_gpu.py --out $OUT [--minutes 7] [--init training/checkpoints/tsc_v3.pt]
    python3 training/gpu/train_gpu.py --stash-only      # copy carried parts to /tmp for a later call

Dry run on the CPU (tiny): pack.py --size 64 --limit 64 --out /tmp/p && \
    train_gpu.py --device cpu --data-dirs /tmp/p --batch 8 --minutes 0.3 --out /tmp/o
"""
import argparse
import glob
import hashlib
import io
import json
import lzma
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import data as D  # noqa: E402
from model import V3_DEC_WIDTHS, V3_WIDTHS, build  # noqa: E402
from train import augment  # noqa: E402
from train_v3 import EMA, lr_at, seg_loss, to_float, to_half  # noqa: E402

STASH = "/tmp/tsc-gpu-data"


def find_parts(dirs):
    """name -> path of every verified part in `dirs` (first found wins), and the sizes seen."""
    found, sizes = {}, set()
    for d in dirs:
        pj = os.path.join(d, "parts.json")
        if not os.path.exists(pj):
            continue
        meta = json.load(open(pj))
        sizes.add(meta["size"])
        for p in meta["parts"]:
            path = os.path.join(d, p["file"])
            if p["file"] in found or not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != p["sha256"]:
                    print(f"{path}: checksum mismatch, ignored", flush=True)
                    continue
            found[p["file"]] = (path, meta)
    return found, sizes


def load_parts(found):
    xs, ms, ys, ss = [], [], [], []
    for name in sorted(found):
        z = np.load(io.BytesIO(lzma.decompress(open(found[name][0], "rb").read())))
        xs.append(z["images"])
        ms.append(np.unpackbits(z["masks"], axis=-1)[..., : z["images"].shape[-1]])
        ys.append(z["y"].astype(np.int64))
        ss.append(z["source"].astype(np.int64))
    return np.concatenate(xs), np.concatenate(ms), np.concatenate(ys), np.concatenate(ss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dirs", default=f"{os.path.join(HERE, 'data')},{STASH}")
    ap.add_argument("--stash-only", action="store_true")
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp/tsc-gpu-out"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--minutes", type=float, default=7.0, help="wall budget for the whole run")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--init", default="", help="start from this fp16 checkpoint (train_v3.py's)")
    ap.add_argument("--seed", type=int, default=20261203)
    a = ap.parse_args()
    t_start = time.time()
    dirs = [d for d in a.data_dirs.split(",") if d]
    found, sizes = find_parts(dirs)
    if a.stash_only:
        os.makedirs(STASH, exist_ok=True)
        for name, (path, meta) in found.items():
            shutil.copy(path, os.path.join(STASH, name))
        if found:
            meta = next(iter(found.values()))[1]
            with open(os.path.join(STASH, "parts.json"), "w") as f:
                json.dump(meta, f)
        print(f"stashed {len(found)} parts in {STASH}")
        return
    if not found or len(sizes) != 1:
        raise SystemExit(f"no consistent packed data in {dirs} (sizes {sorted(sizes)})")
    meta = next(iter(found.values()))[1]
    missing = [p["file"] for p in meta["parts"] if p["file"] not in found]
    if missing:
        print(f"warning: parts missing, training on the others: {missing}", flush=True)
    dev = torch.device(a.device if a.device != "cuda" or torch.cuda.is_available() else "cpu")
    torch.manual_seed(a.seed)
    x8, m8, y, src = load_parts(found)
    size = x8.shape[-1]
    X = torch.from_numpy(x8).to(dev)
    Mk = torch.from_numpy(m8).to(dev)
    Y = torch.from_numpy(y).to(dev)
    w = torch.from_numpy(D.balanced_weights_v3(y, src)).to(dev)
    print(f"{len(y)} images at {size}^2 on {dev} "
          f"({torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu'}); "
          f"load {time.time() - t_start:.1f} s", flush=True)

    config = {"arch": "TumorNet", "widths": list(V3_WIDTHS), "dec_widths": list(V3_DEC_WIDTHS)}
    model = build(config)
    model.config = config
    if a.init:
        ck = torch.load(a.init, map_location="cpu")
        config = ck["config"]
        model = build(config)
        model.config = config
        model.load_state_dict(to_float(ck["ema"]))
    ema = EMA(model, decay=0.999)
    model = model.to(dev).to(memory_format=torch.channels_last)
    ema.model = ema.model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    gen = torch.Generator().manual_seed(a.seed)
    bf16 = dev.type == "cuda"

    def step_once(step, total):
        lr = lr_at(step, total, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        j = torch.multinomial(w, a.batch, replacement=True)
        x = X[j].unsqueeze(1).float() / 255.0
        m = Mk[j].unsqueeze(1).float()
        x, m = augment(x, m, gen)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            seg, cls = model(x)
        loss = seg_loss(seg.float(), m) + F.cross_entropy(cls.float(), Y[j])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        ema.update(model, step)
        return float(loss)

    budget = a.minutes * 60.0
    model.train()
    # 30 warm-up steps at a low rate time the machine; the schedule's length follows from them.
    t0 = time.time()
    probe = 30
    for s in range(probe):
        step_once(s, 10**9)  # lr_at at step << warm-up: ~10 % of the peak
    if dev.type == "cuda":
        torch.cuda.synchronize()
    per_step = (time.time() - t0) / probe
    left = budget - (time.time() - t_start) - 30.0  # keep 30 s for saving
    total = max(probe + 10, probe + int(left / per_step))
    print(f"{per_step * 1000:.1f} ms/step ({a.batch / per_step:.0f} img/s): schedule of {total} steps "
          f"({total * a.batch / len(y):.1f} epochs)", flush=True)
    losses = []
    for s in range(probe, total):
        losses.append(step_once(s, total))
        if (s + 1) % 200 == 0:
            print(f"step {s + 1}/{total} loss {np.mean(losses[-200:]):.4f} "
                  f"elapsed {time.time() - t_start:.0f} s", flush=True)
        if time.time() - t_start > budget - 20:
            print(f"budget reached at step {s + 1}", flush=True)
            total = s + 1
            break
    os.makedirs(a.out, exist_ok=True)
    out = os.path.join(a.out, "tsc_v3_gpu.pt")
    torch.save({"config": config, "step": total, "total_steps": total, "best": -1,
                "model": to_half({k: v.cpu() for k, v in model.state_dict().items()}),
                "ema": to_half({k: v.cpu() for k, v in ema.model.state_dict().items()}),
                "sizes": f"{size}:1", "lr": a.lr, "seed": a.seed,
                "log": {"images": len(y), "size": size, "batch": a.batch, "ms_per_step": per_step * 1000,
                        "img_per_s": a.batch / per_step, "epochs": total * a.batch / len(y),
                        "final_loss": float(np.mean(losses[-100:])) if losses else None,
                        "wall_s": time.time() - t_start, "device": str(dev)}}, out)
    print(f"wrote {out} ({os.path.getsize(out) / 2**20:.1f} MiB) after {time.time() - t_start:.0f} s")


if __name__ == "__main__":
    main()
