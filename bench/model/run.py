#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare the tumorscope engine with PyTorch eager and OpenCV DNN.

    /usr/bin/python3 bench/model/run.py [--threads 2,1] [--iters 30] [--repeats 3]
                                        [--tumorscope build/bin/tumorscope] [--out DIR]

Needs Debian's python3-torch, python3-onnx and python3-opencv (the `python3`
on PATH in the dev image lacks them; `TSC_DEPS=dev .ci/install-deps`).

Models: a 2D U-Net with 16 base channels at 256x256 that this script builds
and exports (BN, ConvTranspose, bilinear Resize, Concat), and every ONNX file
in resources/models/ when present.  For each model and thread count the three
engines run the same ONNX file (PyTorch runs the nn.Module for the U-Net, and
an op-by-op torch interpretation of the ONNX graph for shipped models), each
in a fresh process, on a 1-image batch after warm-up.  Each engine is measured
`--repeats` times in rotation; the table shows the median of the per-repeat
medians, because the machine is shared and single runs are noisy.

OpenMP's wait policy is set for every engine (`--omp-wait-policy`, default
passive): on a machine shared with other jobs, libgomp's default spinning at
barriers costs our engine and PyTorch (both OpenMP) up to 5x at 2 threads;
OpenCV uses TBB and is unaffected.  Pass `--omp-wait-policy default` to keep
the environment as it is.
"""
import argparse
import glob
import inspect
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


# ---- the benchmark U-Net ------------------------------------------------------

def build_unet(base=16):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        """The common "bilinear" U-Net layout (as in milesial/Pytorch-UNet) with
        16 base channels: four poolings, 16-32-64-128-128 channels, decoder
        blocks 2c -> c/2.  The three deeper upsamplings are 2x2 transposed
        convolutions, the last one a bilinear Resize, so that BN, ConvTranspose,
        Resize and Concat all appear.  About 2.0 GMAC (4.0 GFLOP) at 256x256."""

        def __init__(s, c=base, classes=2):
            super().__init__()
            ch = [c, 2 * c, 4 * c, 8 * c, 8 * c]
            s.enc = nn.ModuleList([block(1, ch[0])] + [block(ch[i], ch[i + 1]) for i in range(4)])
            out = [c, c, 2 * c, 4 * c]  # decoder output channels per level
            up_in = [ch[4], out[3], out[2], out[1]]  # channels reaching each upsampling
            s.up = nn.ModuleList([nn.ConvTranspose2d(k, k, 2, stride=2) for k in up_in[:3]])
            s.dec = nn.ModuleList([block(up_in[j] + ch[3 - j], out[3 - j]) for j in range(4)])
            s.seg = nn.Conv2d(c, classes, 1)

        def forward(s, x):
            skips = []
            for i, e in enumerate(s.enc):
                x = e(x if i == 0 else F.max_pool2d(x, 2))
                skips.append(x)
            x = skips.pop()
            for i, d in enumerate(s.dec):
                skip = skips.pop()
                if i < 3:
                    x = s.up[i](x)
                else:
                    x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
                x = d(torch.cat([x, skip], 1))
            return s.seg(x)

    torch.manual_seed(0)
    m = UNet()
    for mod in m.modules():  # non-trivial BN statistics
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    return m.eval()


def build_tumornet():
    """The production architecture (training/model.py) with random weights:
    a stand-in until the trained model lands in resources/models/."""
    import torch
    sys.path.insert(0, os.path.join(ROOT, "training"))
    from model import TumorNet
    torch.manual_seed(0)
    return TumorNet().eval()


def export_unet(path, size, builder=None):
    import torch
    m = (builder or build_unet)()
    x = torch.randn(1, 1, size, size)
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False  # the TorchScript exporter: opset 13, as torch 1.13 writes it
    torch.onnx.export(m, (x,), path, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True, **kw)
    torch.save(m.state_dict(), path + ".pt")


# ---- workers (each runs in its own process) -----------------------------------

def time_runs(fn, warmup, iters):
    """Milliseconds of each of `iters` runs after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return ts


def time_loop(fn, warmup, iters):
    ts = time_runs(fn, warmup, iters)
    return statistics.median(ts), min(ts)


def onnx_input_shapes(path):
    import onnx
    m = onnx.load(path)
    inits = {i.name for i in m.graph.initializer}
    shapes = []
    for i in m.graph.input:
        if i.name in inits:
            continue
        dims = [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]
        shapes.append((i.name, dims))
    return shapes


class OnnxTorch:
    """Runs an ONNX graph op by op with torch functions (eager PyTorch on the
    same weights) for models that come without their nn.Module."""

    def __init__(self, path):
        import onnx
        import torch
        from onnx import numpy_helper
        self.torch = torch
        self.m = onnx.load(path)
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
                       for t in self.m.graph.initializer}
        self.outputs = [o.name for o in self.m.graph.output]

    def attrs(self, n):
        from onnx import helper
        return {a.name: helper.get_attribute_value(a) for a in n.attribute}

    def __call__(self, *inputs):
        import torch.nn.functional as F
        torch = self.torch
        env = dict(self.consts)
        names = [n for n, _ in onnx_input_shapes_from_model(self.m)]
        env.update(zip(names, inputs))
        for n in self.m.graph.node:
            a = self.attrs(n)
            x = [env.get(i) if i else None for i in n.input]
            op = n.op_type
            if op == "Conv" or op == "ConvTranspose":
                k = x[1].shape[2:]
                pads = a.get("pads", [0] * (2 * len(k)))
                nd = len(k)
                if pads[:nd] != pads[nd:]:
                    raise NotImplementedError("asymmetric pads")
                kw = dict(stride=a.get("strides", 1), padding=pads[:nd],
                          dilation=a.get("dilations", 1), groups=a.get("group", 1))
                if op == "Conv":
                    y = F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, **kw)
                else:
                    y = F.conv_transpose2d(x[0], x[1], x[2] if len(x) > 2 else None,
                                           output_padding=a.get("output_padding", 0), **kw)
            elif op == "BatchNormalization":
                y = F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(x[0])
            elif op == "LeakyRelu":
                y = F.leaky_relu(x[0], a.get("alpha", 0.01))
            elif op == "Sigmoid":
                y = torch.sigmoid(x[0])
            elif op == "HardSigmoid":
                y = torch.clamp(x[0] * a.get("alpha", 0.2) + a.get("beta", 0.5), 0, 1)
            elif op == "HardSwish":
                y = F.hardswish(x[0])
            elif op == "Tanh":
                y = torch.tanh(x[0])
            elif op == "Clip":
                y = torch.clamp(x[0], x[1].item() if len(x) > 1 and x[1] is not None else None,
                                x[2].item() if len(x) > 2 and x[2] is not None else None)
            elif op in ("Add", "Sub", "Mul", "Div"):
                y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](x[0], x[1])
            elif op == "Concat":
                y = torch.cat(x, a["axis"])
            elif op == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(x[0], a["kernel_shape"], a.get("strides", 1), p[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "AveragePool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.avg_pool2d(x[0], a["kernel_shape"], a.get("strides", 1), p[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)),
                                 count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "GlobalAveragePool":
                y = F.adaptive_avg_pool2d(x[0], 1)
            elif op == "Resize":
                mode = a.get("mode", b"nearest").decode()
                ct = a.get("coordinate_transformation_mode", b"half_pixel").decode()
                sizes = [int(v) for v in x[3].tolist()[2:]] if len(x) > 3 and x[3] is not None and x[3].numel() else None
                scales = None if sizes else [float(v) for v in x[2].tolist()[2:]]
                if mode == "nearest":
                    y = F.interpolate(x[0], size=sizes, scale_factor=scales, mode="nearest")
                else:
                    y = F.interpolate(x[0], size=sizes, scale_factor=scales, mode="bilinear",
                                      align_corners=ct == "align_corners")
            elif op == "Gemm":
                b = x[1].t() if a.get("transB", 0) else x[1]
                y = a.get("alpha", 1.0) * (x[0] @ b)
                if len(x) > 2 and x[2] is not None:
                    y = y + a.get("beta", 1.0) * x[2]
            elif op == "MatMul":
                y = x[0] @ x[1]
            elif op == "Flatten":
                y = torch.flatten(x[0], a.get("axis", 1))
            elif op == "Reshape":
                shape = [int(v) for v in x[1].tolist()]
                shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
                y = x[0].reshape(shape)
            elif op == "Transpose":
                y = x[0].permute(*a["perm"])
            elif op == "Softmax":
                y = torch.softmax(x[0], a.get("axis", -1))
            elif op in ("Identity", "Dropout"):
                y = x[0]
            elif op == "Constant":
                from onnx import numpy_helper
                y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            elif op == "Shape":
                y = torch.tensor(list(x[0].shape), dtype=torch.int64)
            elif op == "Gather":
                y = torch.index_select(x[0], a.get("axis", 0), x[1].reshape(-1)).reshape(
                    list(x[0].shape[:a.get("axis", 0)]) + list(x[1].shape) + list(x[0].shape[a.get("axis", 0) + 1:]))
            elif op == "Unsqueeze":
                y = x[0]
                for ax in sorted(int(v) for v in x[1].tolist()):
                    y = y.unsqueeze(ax)
            elif op == "Squeeze":
                y = x[0].squeeze() if len(x) < 2 else x[0]
                if len(x) > 1:
                    for ax in sorted((int(v) for v in x[1].tolist()), reverse=True):
                        y = y.squeeze(ax)
            elif op == "ReduceMean":
                y = x[0].mean(a.get("axes"), keepdim=bool(a.get("keepdims", 1)))
            else:
                raise NotImplementedError(op)
            env[n.output[0]] = y
        return [env[o] for o in self.outputs]


def onnx_input_shapes_from_model(m):
    inits = {i.name for i in m.graph.initializer}
    return [(i.name, [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim])
            for i in m.graph.input if i.name not in inits]


def worker(args):
    import numpy as np
    shapes = onnx_input_shapes(args.model)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(s).astype(np.float32) for _, s in shapes]
    if args.worker == "torch":
        import torch
        torch.set_num_threads(args.threads)
        if os.path.exists(args.model + ".pt"):
            net = (build_tumornet if "tumornet" in os.path.basename(args.model) else build_unet)()
            net.load_state_dict(torch.load(args.model + ".pt"))
        else:
            net = OnnxTorch(args.model)
        xs = [torch.from_numpy(x) for x in inputs]
        with torch.no_grad():
            med, mn = time_loop(lambda: net(*xs), args.warmup, args.iters)
    elif args.worker == "opencv":
        import cv2
        cv2.setNumThreads(args.threads)
        net = cv2.dnn.readNetFromONNX(args.model)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        for (name, _), x in zip(shapes, inputs):
            net.setInput(x, name)
        names = net.getUnconnectedOutLayersNames()
        med, mn = time_loop(lambda: net.forward(names), args.warmup, args.iters)
    else:
        raise SystemExit("unknown worker")
    print(json.dumps({"median_ms": med, "min_ms": mn}))


# ---- driver ----------------------------------------------------------------------

ENV = dict(os.environ)


def run_ours(exe, model, threads, iters, warmup):
    out = subprocess.run([exe, "bench-model", model, "--threads", str(threads), "--iters",
                          str(iters), "--warmup", str(warmup)], check=True, capture_output=True,
                         text=True, env=ENV).stdout
    get = lambda k: float(re.search(r"^%s:\s+([0-9.]+)" % k, out, re.M).group(1))
    return {"median_ms": get("median_ms"), "min_ms": get("min_ms"), "gflop": get("gflop")}


def run_worker(kind, model, threads, iters, warmup):
    env = dict(ENV, OMP_NUM_THREADS=str(threads))
    p = subprocess.run([sys.executable, __file__, "--worker", kind, "--model", model, "--threads",
                        str(threads), "--iters", str(iters), "--warmup", str(warmup)],
                       capture_output=True, text=True, env=env)
    if p.returncode:
        lines = [l for l in p.stderr.splitlines() if "error" in l.lower()] or ["failed"]
        return {"error": lines[-1].strip()[-300:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure_peaks(out_dir, threads):
    """Measured multiply-add throughput of this CPU per precision (peak.c: AVX-512 FMA,
    vdpbf16ps, vpdpbusd; 16 independent chains per thread), in GOP/s:
    {"fp32": 236.3, "bf16": 472.7, "int8": 945.4}, None where the CPU lacks the instruction."""
    exe = os.path.join(out_dir, "peak")
    src = os.path.join(HERE, "peak.c")
    subprocess.run(["gcc", "-O2", "-fopenmp", src, "-o", exe], check=True)
    out = subprocess.run([exe, str(threads)], check=True, capture_output=True, text=True).stdout
    peaks = {}
    for line in out.splitlines():
        prec, value = line.split()
        peaks[prec] = None if value == "n/a" else float(value)
    return peaks


def save_results(results, path):
    """Keeps the rows as JSON and says how loaded the machine was at the end."""
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())


def find_tumorscope():
    for c in ["build/bin/tumorscope", "build-nn/bin/tumorscope"] + glob.glob("build*/bin/tumorscope"):
        p = os.path.join(ROOT, c)
        if os.access(p, os.X_OK):
            return p
    raise SystemExit("tumorscope not built; pass --tumorscope PATH")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="2,1")
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--tumorscope")
    ap.add_argument("--tumornet-size", type=int, default=128,
                    help="also export training/model.py's TumorNet at this size (0: skip)")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--omp-wait-policy", default="passive",
                    help="OMP_WAIT_POLICY for every engine: passive, active or default")
    ap.add_argument("--worker")
    ap.add_argument("--model")
    args = ap.parse_args()
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)

    if args.omp_wait_policy != "default":
        ENV["OMP_WAIT_POLICY"] = args.omp_wait_policy
    exe = args.tumorscope or find_tumorscope()
    print("load average before: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    os.makedirs(args.out, exist_ok=True)
    unet = os.path.join(args.out, "unet16_%d.onnx" % args.size)
    export_unet(unet, args.size)
    models = [("U-Net 16 @ %d" % args.size, unet)]
    if args.tumornet_size and os.path.exists(os.path.join(ROOT, "training", "model.py")):
        tn = os.path.join(args.out, "tumornet_%d.onnx" % args.tumornet_size)
        export_unet(tn, args.tumornet_size, build_tumornet)
        models.append(("TumorNet arch, random weights @ %d" % args.tumornet_size, tn))
    models += [(os.path.basename(p), p) for p in sorted(glob.glob(os.path.join(ROOT, "resources/models/*.onnx")))]
    thread_counts = [int(t) for t in args.threads.split(",")]
    peaks = {t: measure_peaks(args.out, t)["fp32"] for t in thread_counts}
    results = []
    for label, path in models:
        for t in thread_counts:
            reps = {"ours": [], "torch": [], "opencv": []}
            gflop = None
            for _ in range(args.repeats):
                r = run_ours(exe, path, t, args.iters, args.warmup)
                gflop = r["gflop"]
                reps["ours"].append(r)
                reps["torch"].append(run_worker("torch", path, t, args.iters, args.warmup))
                reps["opencv"].append(run_worker("opencv", path, t, args.iters, args.warmup))
            row = {"model": label, "threads": t, "gflop": gflop, "peak_gflops": peaks[t],
                   "omp_wait_policy": args.omp_wait_policy, "loadavg": os.getloadavg()[0]}
            for k, rs in reps.items():
                ok = [r for r in rs if "median_ms" in r]
                if ok:
                    row[k] = statistics.median(r["median_ms"] for r in ok)
                    row[k + "_min"] = min(r["min_ms"] for r in ok)
                else:
                    row[k] = None
                    row[k + "_error"] = rs[0].get("error")
            results.append(row)
            print(json.dumps(row), flush=True)
    save_results(results, os.path.join(args.out, "results.json"))
    print("\n| model | threads | OMP wait | tumorscope ms | PyTorch ms | OpenCV ms |"
          " ours / best other | ours GFLOP/s | % of peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    fmt = lambda v: "%.1f" % v if v else "n/a"
    for r in results:
        others = [v for v in (r["torch"], r["opencv"]) if v]
        ratio = "%.2f" % (r["ours"] / min(others)) if others and r["ours"] else "n/a"
        gf = r["gflop"] / (r["ours"] * 1e-3) if r["ours"] else 0
        pk = r["peak_gflops"]
        print("| %s | %d | %s | %s (min %s) | %s | %s | %s | %.0f | %s |" % (
            r["model"], r["threads"], r["omp_wait_policy"], fmt(r["ours"]), fmt(r.get("ours_min")), fmt(r["torch"]),
            fmt(r["opencv"]), ratio, gf, "%.0f%% of %.0f" % (100 * gf / pk, pk) if pk else "n/a (no AVX-512)"))


if __name__ == "__main__":
    main()
