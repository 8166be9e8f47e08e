# SPDX-License-Identifier: BSD-3-Clause
"""Metrics shared by train.py (val every epoch) and evaluate.py (final test)."""
import numpy as np

CLASSES = ["no_tumor", "glioma", "meningioma", "pituitary"]


def softmax(z, t=1.0):
    z = np.asarray(z, np.float64) / t
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def auc(score, positive):
    """ROC AUC by the Mann-Whitney rank statistic (ties get average ranks)."""
    score = np.asarray(score, np.float64)
    positive = np.asarray(positive, bool)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), np.float64)
    s = score[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def dice_iou(pred, target):
    """Per-slice Dice and IoU of boolean masks [N, H, W] (empty-vs-empty counts as 1)."""
    pred = pred.reshape(len(pred), -1).astype(bool)
    target = target.reshape(len(target), -1).astype(bool)
    inter = (pred & target).sum(1).astype(np.float64)
    ps, ts = pred.sum(1), target.sum(1)
    union = ps + ts - inter
    dice = np.where(ps + ts > 0, 2 * inter / np.maximum(ps + ts, 1), 1.0)
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return dice, iou


def ece(prob, y, bins=15):
    """Expected calibration error of the top-1 confidence, equal-width bins."""
    conf = prob.max(1)
    correct = (prob.argmax(1) == y).astype(np.float64)
    return ece_of(conf, correct, bins)


def classification_report(prob, y):
    pred = prob.argmax(1)
    k = len(CLASSES)
    cm = np.zeros((k, k), np.int64)
    for t, p in zip(y, pred):
        cm[t, p] += 1
    out = {"accuracy": float((pred == y).mean()), "confusion": cm.tolist(), "per_class": {}}
    for c in range(k):
        tp = cm[c, c]
        prec = tp / max(cm[:, c].sum(), 1)
        rec = tp / max(cm[c, :].sum(), 1)
        f1 = 2 * prec * rec / max(prec + rec, 1e-12)
        out["per_class"][CLASSES[c]] = {"precision": float(prec), "recall": float(rec), "f1": float(f1),
                                        "support": int(cm[c, :].sum())}
    out["tumor_auc"] = auc(1.0 - prob[:, 0], y != 0)
    out["ece_15"] = ece(prob, y)
    return out


# ----------------------------------------------------------------------------- verdict rule
def verdicts(prob, area, thr):
    """The C engine's slice verdict (src/analysis/slice.c decide(), docs/RESULT_FORMAT.md).

    prob: calibrated softmax [N,4]; area: predicted mask area at S x S (pixels with
    p >= mask_probability).  Tumour: P(tumour) >= tumor_probability and the area reaches
    min_tumor_area_px; no tumour: P(no tumour) >= min_confidence and no such area; anything
    else inconclusive.  A tumour's type is the most likely one given a tumour and is "type
    uncertain" (not inconclusive) when P(type | tumour) < min_confidence.  Returns (verdict
    array of 'tumor'/'no_tumor'/'inconclusive', label index (the type for tumours, 0 for no
    tumour, the most likely type for inconclusive), the stated confidence (P(no tumour) or
    P(type | tumour); NaN for inconclusive))."""
    pt = 1.0 - prob[:, 0]
    cls_says = pt >= thr["tumor_probability"]
    normal = prob[:, 0] >= max(thr["min_confidence"], 0.5)  # never "no tumour" under 50 %
    seg_says = (area >= thr["min_tumor_area_px"]) & (area > 0)
    typ = 1 + prob[:, 1:].argmax(1)
    p_type = prob[np.arange(len(prob)), typ] / np.maximum(pt, 1e-12)
    tumor = cls_says & seg_says
    no = normal & ~seg_says & ~tumor
    v = np.where(tumor, "tumor", np.where(no, "no_tumor", "inconclusive"))
    label = np.where(no, 0, typ)
    conf = np.where(tumor, p_type, np.where(no, prob[:, 0], np.nan))
    return v.astype(object), label, conf


def decision_report(prob, area, y, thr):
    v, label, conf = verdicts(prob, area, thr)
    tum = y != 0
    flagged = v != "no_tumor"
    tv = v == "tumor"
    correct = label == y
    return {
        "accuracy_label": float(correct.mean()),
        "sensitivity": float(flagged[tum].mean()) if tum.any() else float("nan"),
        "specificity": float((~flagged[~tum]).mean()) if (~tum).any() else float("nan"),
        "sensitivity_tumor_verdict_only": float(tv[tum].mean()) if tum.any() else float("nan"),
        "specificity_tumor_verdict_only": float((~tv[~tum]).mean()) if (~tum).any() else float("nan"),
        "inconclusive_rate": float((v == "inconclusive").mean()),
        "ece_label_15": ece_of(conf[np.isfinite(conf)], correct[np.isfinite(conf)]),
    }


def ece_of(conf, correct, bins=15):
    """Expected calibration error of confidences `conf` against 0/1 `correct`, equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    e = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            e += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(e)
