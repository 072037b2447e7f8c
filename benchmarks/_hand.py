"""The floor: each family's update written by hand, with no metric machinery.

Every kernel is written once over an array module ``xp`` (``jax.numpy`` or
``numpy``): the jitted jax version is the suite's ``hand`` column and the numpy
version its ``numpy`` column, so both compute exactly the same counts. The
``*_result`` functions turn accumulated counts into the metric's value (numpy).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

NUM_THRESHOLDS = 200  # Keras's AUC default


def bincount(xp, index, weight, length):
    """``bincount`` with a fixed ``length`` in both array modules."""
    if xp is np:
        return np.bincount(index, weight, minlength=length)[:length]
    return jnp.bincount(index, weight, length=length)


def mse_counts(xp, y_true, y_pred):
    """``[Σ (y_true - y_pred)², N]``."""
    error = y_true.ravel() - y_pred.ravel()
    return xp.stack([xp.sum(error * error), xp.float32(error.shape[0])])


def binary_accuracy_counts(xp, y_true, y_pred):
    """``[Σ (y_true == (y_pred > 0.5)), N]``."""
    hits = y_true.ravel() == (y_pred.ravel() > 0.5)
    return xp.stack([xp.sum(hits, dtype=xp.float32), xp.float32(hits.shape[0])])


def categorical_accuracy_counts(xp, y_true, y_pred):
    """``[Σ (argmax y_true == argmax y_pred), N]`` over one-hot rows."""
    hits = xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1)
    return xp.stack([xp.sum(hits, dtype=xp.float32), xp.float32(hits.shape[0])])


def auc_counts(xp, y_true, y_pred):
    """``[tp, fp, tn, fn]`` at Keras's 200 evenly spaced thresholds, shape ``(4, 200)``.

    A score lands in bucket ``ceil(p·199)`` (clipped into [0, 1]); a threshold's
    counts are the sums over the buckets above it (one histogram, one cumsum).
    """
    scores = xp.clip(y_pred.ravel(), 0, 1)
    bucket = xp.maximum(xp.ceil(scores * (NUM_THRESHOLDS - 1)) - 1, 0).astype(xp.int32) + 1
    width = NUM_THRESHOLDS + 1
    cell = bucket + width * (y_true.ravel() > 0).astype(xp.int32)
    histogram = bincount(xp, cell, None, 2 * width).reshape(2, width).astype(xp.float32)
    above = xp.flip(xp.cumsum(xp.flip(histogram, -1), -1), -1)
    tp, fp = above[1, 1:], above[0, 1:]
    return xp.stack([tp, fp, above[0, :1] - fp, above[1, :1] - tp])


def precision_counts(xp, y_true, y_pred):
    """``[tp, fp]`` at threshold 0.5."""
    above, positive = y_pred.ravel() > 0.5, y_true.ravel() > 0
    return xp.stack([xp.sum(above & positive, dtype=xp.float32),
                     xp.sum(above & ~positive, dtype=xp.float32)])


def recall_counts(xp, y_true, y_pred):
    """``[tp, fn]`` at threshold 0.5."""
    above, positive = y_pred.ravel() > 0.5, y_true.ravel() > 0
    return xp.stack([xp.sum(above & positive, dtype=xp.float32),
                     xp.sum(~above & positive, dtype=xp.float32)])


def confusion_counts(xp, y_true, y_pred, classes):
    """The ``classes × classes`` confusion matrix of integer labels (rows: true)."""
    index = y_true.ravel() * classes + y_pred.ravel()
    return bincount(xp, index, None, classes * classes).reshape(classes, classes).astype(
        xp.float32)


def f1_counts(xp, y_true, y_pred):
    """``[tp, fp, fn]`` per class, argmax predictions against one-hot targets."""
    predicted = (y_pred >= xp.max(y_pred, axis=-1, keepdims=True)).astype(xp.float32)
    tp = xp.sum(predicted * y_true, axis=0)
    return xp.stack([tp, xp.sum(predicted, axis=0) - tp, xp.sum(y_true, axis=0) - tp])


def ratio_result(counts):
    """``counts[0] / counts[1]`` (a mean's total over its count)."""
    return float(counts[0] / counts[1])


def auc_result(counts):
    """ROC AUC from ``[tp, fp, tn, fn]``: Keras's trapezoidal interpolation."""
    tp, fp, tn, fn = np.asarray(counts, np.float64)
    tpr, fpr = tp / np.maximum(tp + fn, 1e-30), fp / np.maximum(fp + tn, 1e-30)
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


def precision_result(counts):
    """``tp / (tp + fp)`` (also recall's ``tp / (tp + fn)``)."""
    tp, other = np.asarray(counts, np.float64)
    return float(tp / (tp + other))


def mean_iou_result(matrix):
    """Mean over classes seen of ``tp / (row + column - tp)``, as Keras's MeanIoU."""
    matrix = np.asarray(matrix, np.float64)
    tp = np.diag(matrix)
    union = matrix.sum(0) + matrix.sum(1) - tp
    return float(np.sum(tp[union > 0] / union[union > 0]) / np.count_nonzero(union))


def f1_result(counts):
    """Per-class ``2tp / (2tp + fp + fn)``."""
    tp, fp, fn = np.asarray(counts, np.float64)
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1e-30)


def jitted(counts_fn, **static):
    """The jax kernel ``state + counts_fn(jnp, y_true, y_pred)``, jitted."""
    @jax.jit
    def update(state, y_true, y_pred):
        return state + counts_fn(jnp, y_true, y_pred, **static)
    return update
