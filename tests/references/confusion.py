"""Numpy references for the confusion-matrix family: Keras 3's formulas, written out plainly.

Counts use the explicit N×T comparison (fine at test sizes): on Keras's
general path ``y_pred > t`` in float32 without clipping; on its fast path
(evenly spaced thresholds) the float32 bucket arithmetic
``ceil(clip(p, 0, 1)·(T-1)) - 1`` (floored at 0 with epsilon end points),
where a prediction exceeds threshold ``j`` iff its bucket is ``>= j``.
"""

import numpy as np

EPSILON = 1e-7
NEG_INF = -1e10


def keras_evenly_distributed(thresholds):
    """Keras's fast-path test: >= 3 values, allclose to ``arange(n)/(n-1)`` (atol 1e-7)."""
    n = len(thresholds)
    if n < 3:
        return False
    return bool(np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=EPSILON))


def auc_thresholds(num_thresholds=200, thresholds=None):
    """Keras AUC's thresholds (with ``-eps``/``1+eps`` end points) and its fast-path flag."""
    if thresholds is not None:
        inner = sorted(float(t) for t in np.atleast_1d(thresholds))
        evenly = keras_evenly_distributed(np.array([0.0, *inner, 1.0]))
    else:
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        evenly = True
    return [0.0 - EPSILON, *inner, 1.0 + EPSILON], evenly


def rate_thresholds(num_thresholds=200):
    """Thresholds of Sensitivity/Specificity/PrecisionAtRecall/RecallAtPrecision and the flag."""
    if num_thresholds == 1:
        return [0.5], False
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0, *inner, 1.0], True


def _top_k_filter(y_pred, k):
    """Keep the k largest per row (ties: lower index first, like lax.top_k), others NEG_INF."""
    order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(y_pred.shape, bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return np.where(mask, y_pred, np.float32(NEG_INF)).astype(np.float32)


def _exceeds(y_pred, thresholds, evenly):
    """Boolean (..., T): does each prediction count as above each threshold (Keras's rule)."""
    t = np.asarray(thresholds, dtype=np.float32)
    if not evenly:
        return y_pred[..., None] > t
    with np.errstate(invalid="ignore"):
        bucket = np.ceil(np.clip(y_pred, 0, 1) * np.float32(len(t) - 1)) - 1
        if t[0] < 0 or t[-1] > 1:
            bucket = np.maximum(bucket, 0)
        bucket = np.where(np.isnan(bucket), 0, bucket)   # XLA CPU converts NaN to 0
    return bucket[..., None] >= np.arange(len(t))


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, *, evenly=False,
                     top_k=None, class_id=None, multi_label=False, label_weights=None):
    """Keras's weighted (tp, fp, tn, fn), each (T,) or (T, L) for multi-label, in float64.

    Inputs must already share a shape (or differ by a trailing size-1 axis of
    y_pred); sample_weight is a scalar, (N,) or the full shape.
    """
    y_true = np.asarray(y_true, np.float32)
    y_pred = np.asarray(y_pred, np.float32)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    w = np.ones(y_pred.shape) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if w.ndim == 1 and y_pred.ndim == 2 and w.shape[0] == y_pred.shape[0]:
        w = w[:, None]
    w = np.broadcast_to(w, y_pred.shape)
    if top_k is not None:
        y_pred = _top_k_filter(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred, w = (a[..., class_id:class_id + 1] for a in (y_true, y_pred, w))
    if label_weights is not None and not multi_label:
        w = w * np.broadcast_to(np.asarray(label_weights, np.float64), y_pred.shape)
    if not multi_label:
        y_true, y_pred, w = y_true.reshape(-1, 1), y_pred.reshape(-1, 1), w.reshape(-1, 1)
    above = _exceeds(y_pred, thresholds, evenly)          # (N, L, T)
    pos = (y_true != 0)[..., None]
    w = w[..., None]
    cells = [np.sum(w * (pos & above), 0), np.sum(w * (~pos & above), 0),
             np.sum(w * (~pos & ~above), 0), np.sum(w * (pos & ~above), 0)]
    cells = [c.T for c in cells]                          # (T, L)
    return tuple(c if multi_label else c[:, 0] for c in cells)


def _div(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    out = np.zeros(a.shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def precision(tp, fp):
    """divide_no_nan(tp, tp + fp)."""
    return _div(tp, tp + fp)


def recall(tp, fn):
    """divide_no_nan(tp, tp + fn)."""
    return _div(tp, tp + fn)


def rate_at_constraint(tp, fp, tn, fn, constrained, dependent, value):
    """max(dependent where constrained >= value, initial 0) (Keras's _find_max_under_constraint)."""
    rates = {"sensitivity": _div(tp, tp + fn), "recall": _div(tp, tp + fn),
             "specificity": _div(tn, tn + fp), "precision": _div(tp, tp + fp)}
    feasible = rates[constrained].astype(np.float32) >= np.float32(value)
    return float(np.max(np.where(feasible, rates[dependent], 0), initial=0))


def auc(tp, fp, tn, fn, curve="ROC", summation_method="interpolation", label_weights=None):
    """Keras AUC.result() in float64 (counts (T,) or (T, L) for multi-label)."""
    tp, fp, tn, fn = (np.asarray(a, np.float64) for a in (tp, fp, tn, fn))
    curve, method = curve.upper(), summation_method.lower()
    if curve == "PR" and method == "interpolation":
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        slope = _div(dtp, np.maximum(p[:-1] - p[1:], 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        terms = _div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    else:
        rec = _div(tp, tp + fn)
        if curve == "ROC":
            x, y = _div(fp, fp + tn), rec
        elif curve == "PR":
            x, y = rec, _div(tp, tp + fp)
        else:
            s = _div(tp + fn, tn + fp)
            rg = np.where(tp == 0, 0.0, 1 - s * _div(fn, tp))
            pg = np.where(tp == 0, 1.0, 1 - s * _div(fp, tp))
            x, y = np.maximum(rg, 0), pg
        h = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
             "majoring": np.maximum(y[:-1], y[1:])}[method]
        terms = (x[:-1] - x[1:]) * h
    if terms.ndim == 1:
        return float(terms.sum())
    by_label = terms.sum(0)
    if label_weights is None:
        return float(by_label.mean())
    lw = np.asarray(label_weights, np.float64)
    return float(_div(np.sum(by_label * lw), np.sum(lw)))
