"""Numpy references for the accuracy family.

Written from the definitions (Keras 3 documentation of each metric), never
calling metricdsl. Each ``*_values`` function returns per-sample values in
Keras's output shape; the same-named function without the suffix returns the
metric result of one ``update_state(y_true, y_pred, sample_weight)`` on a
fresh metric (Keras ``Mean`` weighting rules).
"""

import numpy as np


def align_ranks(x1, x2):
    """Keras's squeeze-or-expand: fix a rank difference of one with a trailing size-1 axis."""
    x1, x2 = np.asarray(x1), np.asarray(x2)
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[:, None]) if x2.ndim == 1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[:, None], x2) if x1.ndim == 1 else (x1, x2[..., 0])
    return x1, x2


def keras_weighted_mean(values, sample_weight=None):
    """Keras ``Mean`` after one update: per-sample means, weighted by per-sample weights.

    A weight of shape ``(N,)``/``(N, 1)`` weighs each sample's mean over its
    trailing axes; a full-shape weight weighs elements (``Σ v·w / Σ w``); a
    scalar weighs all. The count is ``Σ w`` (``N`` unweighted); 0 when empty.
    """
    values = np.asarray(values, np.float64)
    if sample_weight is None:
        per_sample = values.reshape(values.shape[0], -1).mean(axis=1) if values.ndim else values
        return float(np.mean(per_sample))
    weight = np.asarray(sample_weight, np.float64)
    values, weight = align_ranks(values, weight)
    if values.ndim > weight.ndim:
        values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
    weight = np.broadcast_to(weight, values.shape)
    total = (values * weight).reshape(values.shape[0], -1).mean(axis=1).sum() \
        if values.ndim else float(values * weight)
    count = weight.reshape(weight.shape[0], -1).mean(axis=1).sum() if weight.ndim else float(weight)
    return 0.0 if count == 0 else float(total / count)


def _kth_largest(scores, k):
    """The k-th largest score per row (the smallest when k exceeds the row length)."""
    ordered = -np.sort(-scores, axis=-1)
    return ordered[..., min(k, scores.shape[-1]) - 1]


# Per-sample values -----------------------------------------------------------

def accuracy_values(y_true, y_pred):
    t, p = align_ranks(np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64))
    return (t == p).astype(np.float64)


def binary_accuracy_values(y_true, y_pred, threshold=0.5):
    t, p = align_ranks(np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64))
    return (t == (p > float(np.float32(threshold)))).astype(np.float64)  # float32 compare


def categorical_accuracy_values(y_true, y_pred):
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(np.float64)


def sparse_categorical_accuracy_values(y_true, y_pred):
    y_pred = np.asarray(y_pred)
    labels = np.asarray(y_true).reshape(y_pred.shape[:-1])
    return (labels == np.argmax(y_pred, -1)).astype(np.float64)


def top_k_categorical_accuracy_values(y_true, y_pred, k=5):
    """1 where the label's score is at least the k-th largest score (ties count as inside)."""
    y_pred = np.asarray(y_pred, np.float64)
    labels = np.argmax(y_true, -1)
    label_score = np.take_along_axis(y_pred, labels[..., None], -1)[..., 0]
    return (label_score >= _kth_largest(y_pred, k)).astype(np.float64)


def sparse_top_k_categorical_accuracy_values(y_true, y_pred, k=5, from_sorted_ids=False):
    """Returns ``y_true``'s shape; sorted ids: the label among the first k ids of its row."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = y_true.reshape(y_pred.shape[:-1]).astype(np.int64)
    if from_sorted_ids:
        hit = np.array([label in row[:k] for label, row in
                        zip(labels.ravel(), y_pred.reshape(-1, y_pred.shape[-1]))])
        return hit.reshape(y_true.shape).astype(np.float64)
    label_score = np.take_along_axis(y_pred.astype(np.float64), labels[..., None], -1)[..., 0]
    hit = label_score >= _kth_largest(y_pred.astype(np.float64), k)
    return hit.reshape(y_true.shape).astype(np.float64)


# Metric results ----------------------------------------------------------------

def mean_metric(values_fn):
    """The metric result of one update: Keras's weighted mean of ``values_fn``'s values."""
    def result(y_true, y_pred, sample_weight=None, **kwargs):
        return keras_weighted_mean(values_fn(y_true, y_pred, **kwargs), sample_weight)

    result.__name__ = values_fn.__name__[:-len("_values")]
    result.__doc__ = f"Metric result: weighted mean of `{values_fn.__name__}`."
    return result


binary_accuracy = mean_metric(binary_accuracy_values)
categorical_accuracy = mean_metric(categorical_accuracy_values)
sparse_categorical_accuracy = mean_metric(sparse_categorical_accuracy_values)
top_k_categorical_accuracy = mean_metric(top_k_categorical_accuracy_values)
sparse_top_k_categorical_accuracy = mean_metric(sparse_top_k_categorical_accuracy_values)
