#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Time the tumorscope engine against ONNX Runtime and OpenVINO on the same ONNX files.

    python3 bench/model/peers.py [--threads 2] [--iters 50] [--warmup 10] [--repeats 3]
                                 [--precisions fp32,bf16,int8] [--tumorscope build/bin/tumorscope]
    python3 bench/model/peers.py --quick      # the ctest: tiny model, a few runs

Engines, one process each, rotated within every repeat so that they share the
machine's load: ours (`tumorscope bench-model`, once per `--precisions`
entry; int8 with the ranges of the model's manifest when it has an "int8"
block, else ranges calibrated on the benchmark input), ONNX Runtime (CPU execution provider, ORT_ENABLE_ALL graph
optimisations, intra-op threads = ours, inter-op 1) and OpenVINO (CPU, LATENCY
hint, INFERENCE_NUM_THREADS = ours) with its inference precision pinned to f32,
and once more with bf16 (OpenVINO's default on CPUs with AVX512_BF16), to
compare with our bf16 mode.  Every engine gets the same input (a file of
float32 values, seeded) and its outputs are compared with ours in fp32: max abs
diff.  Each engine runs `--warmup` untimed then `--iters` timed runs per
repeat; the table shows the median over repeats of the per-repeat median and
90th percentile.

Models: the U-Net16@256 reference that run.py builds (exported with Debian's
torch, else the training venv's, `--torch-python`), and every ONNX file in
resources/models/.

ONNX Runtime and OpenVINO are benchmark peers only, never product
dependencies: they live in a git-ignored virtual environment, bench/.venv,
created here with `--bootstrap-python` (default `python3`, which must reach
PyPI) when missing.  --quick never installs: without the peers it exits 77,
which ctest reports as skipped.
"""
import argparse
import array
import glob
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VENV = os.path.join(ROOT, "bench", ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")
PEER_PACKAGES = ["onnxruntime", "openvino", "numpy", "onnx"]  # onnx: rebatch.py
SKIP = 77  # ctest SKIP_RETURN_CODE


# ---- workers: run inside the venv, one process per engine and repeat -------------

def percentile(ts, q):
    s = sorted(ts)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def timed(fn, warmup, iters):
    sys.path.insert(0, HERE)
    from run import time_runs  # run.py imports only the standard library at load
    ts = time_runs(fn, warmup, iters)
    return {"median_ms": statistics.median(ts), "p90_ms": percentile(ts, 0.9), "min_ms": min(ts)}


def worker(a):
    import numpy as np
    if a.worker == "shapes":
        import onnxruntime as ort
        s = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
        print(json.dumps([[d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
                          for i in s.get_inputs()]))
        return
    flat = np.fromfile(a.input, dtype=np.float32)
    if a.worker == "ort":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = a.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        s = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
        feeds, off = {}, 0
        for i in s.get_inputs():
            shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
            n = int(np.prod(shape))
            feeds[i.name] = flat[off:off + n].reshape(shape)
            off += n
        run = lambda: s.run(None, feeds)
        version = ort.__version__
    else:
        import openvino as ov
        core = ov.Core()
        precision = "f32" if a.worker == "ov" else "bf16"
        c = core.compile_model(core.read_model(a.model), "CPU", {
            "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": a.threads,
            "INFERENCE_PRECISION_HINT": precision})
        req = c.create_infer_request()
        feeds, off = [], 0
        for i in c.inputs:
            n = int(np.prod(list(i.shape)))
            feeds.append(flat[off:off + n].reshape(list(i.shape)))
            off += n
        run = lambda: [r.copy() for r in req.infer(feeds).values()]
        version = "%s %s" % (ov.__version__, c.get_property("INFERENCE_PRECISION_HINT"))
    r = timed(run, a.warmup, a.iters)
    outs = run()
    if a.worker != "ort":
        outs = [outs[k] for k in range(len(outs))]
    with open(a.output, "wb") as f:
        for o in outs:
            f.write(np.ascontiguousarray(o, dtype=np.float32).tobytes())
    r["version"] = version
    print(json.dumps(r))


# ---- driver (standard library only, so that ctest can run it with any python3) --

def peers_ready():
    if not os.access(VENV_PY, os.X_OK):
        return False
    return subprocess.run([VENV_PY, "-c", "import onnxruntime, openvino, numpy"],
                          capture_output=True).returncode == 0


def bootstrap(python):
    print("installing the benchmark peers into %s (%s)" % (VENV, ", ".join(PEER_PACKAGES)), flush=True)
    if not os.access(VENV_PY, os.X_OK):
        subprocess.run([python, "-m", "venv", VENV], check=True)
    subprocess.run([VENV_PY, "-m", "pip", "install", "-q"] + PEER_PACKAGES, check=True)


def cpu_info():
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip() == "model name" and model == "unknown":
                    model = v.strip()
                elif k.strip() == "flags" and not flags:
                    flags = set(v.split())
    except OSError:
        pass
    keep = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
            "amx_bf16", "amx_int8"]
    return {"model": model, "flags": [k for k in keep if k in flags], "cores": os.cpu_count()}


def read_floats(path):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def max_abs_diff(a, b):
    if len(a) != len(b):
        return float("inf")
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def run_ours(exe, model, a, precision, inp, outp):
    cmd = [exe, "bench-model", model, "--threads", str(a.threads), "--iters", str(a.iters),
           "--warmup", str(a.warmup), "--input", inp, "--output", outp]
    if precision != "fp32":  # fp32 is the default and runs on builds without --precision
        cmd += ["--precision", precision]
    if precision == "int8":
        # A shipped model's manifest carries its calibrated ranges; without one
        # bench-model calibrates on the benchmark input (fine for timing).
        manifest = os.path.splitext(model)[0] + ".json"
        try:
            with open(manifest) as f:
                if "int8" in json.load(f):
                    cmd += ["--int8-ranges", manifest]
        except (OSError, ValueError):
            pass
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if p.returncode:
        return {"error": (p.stderr.strip().splitlines() or ["failed"])[-1][-300:]}
    get = lambda k: float(re.search(r"^%s:\s+([0-9.]+)" % k, p.stdout, re.M).group(1))
    r = {k + "_ms": get(k + "_ms") for k in ("median", "p90", "min")}
    r["gflop"] = get("gflop")
    # The plan line ends with the precision the model ran in (after any fallback).
    m = re.search(r"^plan:.*, (fp32|bf16|int8)$", p.stdout, re.M)
    r["version"] = m.group(1) if m else "?"
    return r


def run_peer(kind, model, a, inp, outp):
    p = subprocess.run([VENV_PY, os.path.abspath(__file__), "--worker", kind, "--model", model,
                        "--threads", str(a.threads), "--iters", str(a.iters), "--warmup",
                        str(a.warmup), "--input", inp, "--output", outp],
                       capture_output=True, text=True, env=ENV)
    if p.returncode:
        return {"error": (p.stderr.strip().splitlines() or ["failed"])[-1][-300:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def torch_python(given):
    """The first of the candidates (a path or a name on PATH) whose python imports torch."""
    for py in [given] if given else ["/usr/bin/python3", os.path.join(ROOT, "training", ".venv",
                                                                       "bin", "python")]:
        exe = shutil.which(py)
        if exe and subprocess.run([exe, "-c", "import torch"], capture_output=True).returncode == 0:
            return exe
    sys.exit("no python with torch to export the U-Net16 reference: pass --torch-python, or "
             "make training/.venv (training/README.md)")


def model_shapes(model):
    p = subprocess.run([VENV_PY, os.path.abspath(__file__), "--worker", "shapes", "--model", model],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def write_input(model, path):
    """Seeded standard-normal floats for every input of the model, back to back."""
    rng = random.Random(0)
    n = 0
    for shape in model_shapes(model):
        k = 1
        for d in shape:
            k *= d
        n += k
    array.array("f", (rng.gauss(0.0, 1.0) for _ in range(n))).tofile(open(path, "wb"))


def engine_precision(engine):
    """The multiply-add precision an engine's convolutions run in, whose measured peak its
    GFLOP/s are compared with: bf16 and int8 modes against the bf16 and VNNI peaks."""
    for prec in ("bf16", "int8"):
        if prec in engine:
            return prec
    return "fp32"


def find_tumorscope():
    for p in [os.path.join(ROOT, "build/bin/tumorscope")] + sorted(
            glob.glob(os.path.join(ROOT, "build*/bin/tumorscope"))):
        if os.access(p, os.X_OK):
            return p
    raise SystemExit("tumorscope not built; pass --tumorscope PATH")


ENV = dict(os.environ)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--precisions", default="fp32,bf16,int8",
                    help="our engine's modes to time (bench-model --precision)")
    ap.add_argument("--size", type=int, default=256, help="U-Net16 input size")
    ap.add_argument("--models", help="comma-separated ONNX files instead of the default set")
    ap.add_argument("--tumorscope")
    ap.add_argument("--torch-python",
                    help="a python with torch, to export the U-Net16 reference (default: "
                    "/usr/bin/python3, else training/.venv/bin/python, whichever has torch)")
    ap.add_argument("--bootstrap-python", default="python3",
                    help="creates bench/.venv and pip-installs the peers when missing")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--omp-wait-policy", default="passive")
    ap.add_argument("--quick", action="store_true",
                    help="ctest mode: a small fixture, 1 repeat of 3 runs, exit 77 without peers")
    ap.add_argument("--worker")
    ap.add_argument("--model")
    ap.add_argument("--input")
    ap.add_argument("--output")
    a = ap.parse_args()
    if a.worker:
        return worker(a)

    if not peers_ready():
        if a.quick:
            print("SKIP: ONNX Runtime/OpenVINO are not installed in %s; run "
                  "bench/model/peers.py once without --quick to install them" % VENV)
            return SKIP
        bootstrap(a.bootstrap_python)
    if a.omp_wait_policy != "default":
        ENV["OMP_WAIT_POLICY"] = a.omp_wait_policy
    exe = a.tumorscope or find_tumorscope()
    os.makedirs(a.out, exist_ok=True)
    if a.quick:
        a.iters, a.warmup, a.repeats = 3, 1, 1
        models = [("unet_small fixture", os.path.join(ROOT, "tests/nn/fixtures/unet_small.onnx"))]
    elif a.models:
        models = [(os.path.basename(m), os.path.abspath(m)) for m in a.models.split(",")]
    else:
        unet = os.path.join(a.out, "unet16_%d.onnx" % a.size)
        subprocess.run([torch_python(a.torch_python), "-c", "import sys; sys.path.insert(0, %r); import run; "
                        "run.export_unet(%r, %d)" % (HERE, unet, a.size)], check=True)
        models = [("U-Net16 @ %d" % a.size, unet)]
        shipped = os.path.join(ROOT, "resources", "models")
        models += [(f, os.path.join(shipped, f)) for f in sorted(os.listdir(shipped))
                   if f.endswith(".onnx")]
    cpu = cpu_info()
    sys.path.insert(0, HERE)
    from run import measure_peaks, save_results  # run.py imports only the standard library at load
    peaks = measure_peaks(a.out, a.threads)
    print("cpu: %s, %d cores, %s; measured peaks at %d threads, GOP/s: %s" % (
        cpu["model"], cpu["cores"], " ".join(cpu["flags"]), a.threads,
        ", ".join("%s %s" % (k, "n/a" if v is None else "%.0f" % v) for k, v in peaks.items())),
        flush=True)
    print("load average before: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    engines = [("ours " + p, p) for p in a.precisions.split(",") if p]
    engines += [("onnxruntime", "ort"), ("openvino f32", "ov"), ("openvino bf16", "ov-bf16")]
    results = []
    for label, path in models:
        inp = os.path.join(a.out, "input.f32")
        write_input(path, inp)
        reps = {e: [] for e, _ in engines}
        outs = {}
        for _ in range(a.repeats):
            for e, kind in engines:
                o = os.path.join(a.out, "out-%s.f32" % kind)
                r = (run_ours(exe, path, a, kind, inp, o) if e.startswith("ours")
                     else run_peer(kind, path, a, inp, o))
                reps[e].append(r)
                if "error" not in r:
                    outs[e] = read_floats(o)
        row = {"model": label, "threads": a.threads, "peak_gops": peaks, "cpu": cpu,
               "iters": a.iters, "warmup": a.warmup, "repeats": a.repeats,
               "loadavg": os.getloadavg()[0], "engines": {}}
        ref = outs.get(engines[0][0])
        for e, _ in engines:
            ok = [r for r in reps[e] if "error" not in r]
            if not ok:
                row["engines"][e] = {"error": reps[e][0]["error"]}
                continue
            d = {k: statistics.median(r[k] for r in ok) for k in ("median_ms", "p90_ms", "min_ms")}
            d["version"] = ok[0].get("version")
            d["max_abs_diff_vs_ours_fp32"] = (max_abs_diff(outs[e], ref)
                                              if ref is not None and e in outs else None)
            if "gflop" in ok[0]:
                row["gflop"] = ok[0]["gflop"]
            row["engines"][e] = d
        results.append(row)
        print(json.dumps(row), flush=True)
    save_results(results, os.path.join(a.out, "peers.json"))
    print("\n| model | engine | median ms | p90 ms | best ms | GFLOP/s (median) |"
          " of this precision's peak | max abs diff vs ours fp32 |")
    print("|---|---|---|---|---|---|---|---|")
    failed = 0
    for r in results:
        for e, d in r["engines"].items():
            if "error" in d:
                print("| %s | %s | failed: %s | | | | | |" % (r["model"], e, d["error"]))
                failed += e.startswith("ours")
                continue
            gf = r.get("gflop", 0) / (d["median_ms"] * 1e-3)
            diff = d["max_abs_diff_vs_ours_fp32"]
            prec = engine_precision(e)
            pk = r["peak_gops"].get(prec)
            print("| %s | %s | %.2f | %.2f | %.2f | %.0f | %s | %s |" % (
                r["model"], e, d["median_ms"], d["p90_ms"], d["min_ms"], gf,
                "%.0f%% of %s %.0f" % (100 * gf / pk, prec, pk) if pk else "n/a",
                "n/a" if diff is None else "%.2g" % diff))
    if a.quick:
        # The quick run is a test: every engine must run and agree with ours.
        for r in results:
            for e, d in r["engines"].items():
                if "error" in d or d["max_abs_diff_vs_ours_fp32"] is None:
                    print("FAIL: %s did not run: %s" % (e, d.get("error")))
                    return 1
                tol = 5e-2 if "bf16" in e or "int8" in e else 1e-3
                if d["max_abs_diff_vs_ours_fp32"] > tol:
                    print("FAIL: %s differs from ours by %g (> %g)" % (
                        e, d["max_abs_diff_vs_ours_fp32"], tol))
                    return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
