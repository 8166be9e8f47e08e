# SPDX-License-Identifier: BSD-3-Clause
"""Python evaluation of an exported model on one split (run on `test` once, at the end).

    /usr/bin/python3 training/evaluate.py --model resources/models/<name>.json [--split test]
        [--data ../shared/data] [--write-manifest] [--out <file.json>]

Executes the exported .onnx file itself (onnx_exec.py), with the C engine's left-right TTA,
the manifest's temperature and thresholds and the documented verdict rule.  Reports accuracy,
per-class precision/recall/F1, confusion, tumour AUC, sensitivity/specificity at the thresholds
(inconclusive counted as flagged, and tumour-verdict-only), inconclusive rate, Dice/IoU over
tumour slices (at S x S and mapped back to 256 x 256), ECE (15 bins), and the false-positive
rate on the no-tumor set's and on lgg-flair's tumour-free slices.  The authoritative numbers
are `tumorscope eval`'s (C engine); these are labelled "measured in Python".
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D                     # noqa: E402
from calibrate_export import full_report, run_tta, sha256  # noqa: E402
from onnx_exec import OnnxExec       # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="manifest .json next to its .onnx")
    ap.add_argument("--split", default="test")
    ap.add_argument("--data", default=D.DEFAULT_DATA)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-manifest", action="store_true", help="store the result as metrics.test_python")
    ap.add_argument("--out", default=None)
    ap.add_argument("--debug-max", type=int, default=0, help="pipeline test only: use N images")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    man = json.load(open(a.model))
    onnx_path = os.path.join(os.path.dirname(os.path.abspath(a.model)), man["onnx"])
    assert sha256(onnx_path) == man["sha256"], "onnx file does not match the manifest sha256"
    size = man["preprocessing"]["input_size"]
    assert man["preprocessing"]["rule"] == "tsc-v1"

    d = D.load_split_arrays(a.data, size)
    sp = D.subset(d, a.split)
    if a.debug_max:
        sel = np.linspace(0, len(sp["y"]) - 1, a.debug_max).astype(int)
        sp = {k: v[sel] for k, v in sp.items()}
    ex = OnnxExec(onnx_path, torch.float32)
    cl, sg = run_tta(ex, sp["images"])
    gt_native = D.native_masks(a.data, sp["id"])
    r = full_report(cl, sg, sp["y"], sp["masks"], sp["id"], gt_native, man["temperature"],
                    man["thresholds"], sp["source"])
    r["split"] = a.split
    r["n"] = int(len(sp["y"]))
    r["measured_in"] = "Python (training/evaluate.py, exported ONNX graph, left-right TTA)"
    # False-positive rates asked for explicitly: no-tumor set, lgg-flair tumour-free slices.
    r["fpr_no_tumor_dataset"] = r["by_dataset"].get("no-tumor", {}).get("false_positive_rate")
    r["fpr_lgg_flair_tumour_free"] = r["by_dataset"].get("lgg-flair", {}).get("false_positive_rate")

    text = json.dumps(r, indent=1)
    print(text)
    out = a.out or os.path.join(os.path.dirname(os.path.abspath(a.model)), "..", "..", "training", "runs",
                                f"{man['name']}_{a.split}_metrics.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(f"wrote {os.path.abspath(out)}")
    if a.write_manifest and a.split == "test":
        man["metrics"]["test_python"] = r
        with open(a.model, "w") as f:
            json.dump(man, f, indent=1)
        print(f"updated {a.model} metrics.test_python")


if __name__ == "__main__":
    main()
