"""Numpy references for FBetaScore / F1Score: Keras 3's formulas, written from the definition.

Counts are summed in float64; predictions are thresholded in float32 as Keras
compares them (in the metric dtype).
"""

import numpy as np

FBETA_EPSILON = 1e-7


def fbeta_predictions(y_pred, threshold=None):
    """0/1 predictions: ``y_pred > threshold``, or each row's maxima (none for an all-zero row)."""
    y_pred = np.asarray(y_pred, np.float32)
    if threshold is None:
        row_max = y_pred.max(axis=-1, keepdims=True)
        return ((y_pred >= row_max) & (np.abs(y_pred) > 1e-9)).astype(np.float64)
    return (y_pred > np.float32(threshold)).astype(np.float64)


def fbeta_counts(y_true, y_pred, sample_weight=None, threshold=None, average=None):
    """Weighted ``(tp, fp, fn, support)`` per class (scalars for ``average="micro"``).

    A rank-1 weight ``(N,)`` weighs rows; a scalar, ``(N, 1)`` or ``(N, C)`` broadcasts.
    """
    y_true = np.asarray(y_true, np.float64)
    predicted = fbeta_predictions(y_pred, threshold)
    weight = np.ones(()) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if weight.ndim == 1:
        weight = weight[:, None]
    y_true, predicted, weight = np.broadcast_arrays(y_true, predicted, weight)
    axis = None if average == "micro" else 0
    tp = np.sum(weight * predicted * y_true, axis=axis)
    fp = np.sum(weight * predicted * (1 - y_true), axis=axis)
    fn = np.sum(weight * (1 - predicted) * y_true, axis=axis)
    support = np.sum(weight * y_true, axis=axis)
    return tp, fp, fn, support


def fbeta_from_counts(tp, fp, fn, support, beta=1.0, average=None):
    """Keras's smoothed F-beta from counts (``eps = 1e-7`` in every denominator)."""
    precision = tp / (tp + fp + FBETA_EPSILON)
    recall = tp / (tp + fn + FBETA_EPSILON)
    b2 = beta**2
    score = (1 + b2) * precision * recall / (b2 * precision + recall + FBETA_EPSILON)
    if average == "weighted":
        return np.sum(score * support / (np.sum(support) + FBETA_EPSILON))
    if average in ("micro", "macro"):
        return np.mean(score)
    return score


def fbeta_score_keras(y_true, y_pred, sample_weight=None, beta=1.0, threshold=None,
                      average=None):
    """Keras ``FBetaScore(average, beta, threshold)`` after one update with these arrays."""
    counts = fbeta_counts(y_true, y_pred, sample_weight, threshold, average)
    return fbeta_from_counts(*counts, beta=beta, average=average)
