"""Numpy (float64) references for the regression family.

Written from the formulas in the Keras 3 documentation, never calling
metricdsl. Each ``*_values`` function returns per-sample values; the
same-named function without the suffix returns the metric result of one
``update_state(y_true, y_pred, sample_weight)`` on a fresh metric.
"""

import numpy as np

from .accuracy import mean_metric

_EPS = 1e-7


def _f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def _align_ranks(x1, x2, expand_rank_1=True):
    """Keras's squeeze-or-expand: fix a rank difference of one with a trailing size-1 axis."""
    x1, x2 = np.asarray(x1), np.asarray(x2)
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            return x1, x2[:, None]
        return x1[..., 0], x2
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            return x1[:, None], x2
        return x1, x2[..., 0]
    return x1, x2


def _keras_weighted_mean(values, sample_weight=None):
    """Result of Keras's ``Mean`` after one update (``reduce_to_samplewise_values`` rules)."""
    values, weight = _f64(values), _f64(sample_weight)
    if weight is not None:
        values, weight = _align_ranks(values, weight)
        weight_ndim = weight.ndim
        if values.ndim > weight_ndim:
            values = values.mean(axis=tuple(range(weight_ndim, values.ndim)))
        weight = np.broadcast_to(weight, values.shape)
        values = values * weight
        if weight_ndim > 1:
            weight = weight.mean(axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    if weight is not None:
        count = weight.sum()
    else:
        count = values.shape[0] if values.ndim >= 1 else 1
    return 0.0 if count == 0 else values.sum() / count


def _pair(y_true, y_pred):
    return _align_ranks(_f64(y_true), _f64(y_pred))


# Per-sample values -----------------------------------------------------------

def mean_squared_error_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return ((t - p) ** 2).mean(axis=-1)


def mean_absolute_error_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return np.abs(t - p).mean(axis=-1)


def mean_absolute_percentage_error_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return 100.0 * (np.abs(t - p) / np.maximum(np.abs(t), _EPS)).mean(axis=-1)


def mean_squared_logarithmic_error_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return ((np.log1p(np.maximum(p, _EPS)) - np.log1p(np.maximum(t, _EPS))) ** 2).mean(axis=-1)


def cosine_similarity_values(y_true, y_pred, axis=-1):
    t, p = _pair(y_true, y_pred)
    t_norm = np.maximum(np.sqrt((t * t).sum(axis=axis, keepdims=True)), _EPS)
    p_norm = np.maximum(np.sqrt((p * p).sum(axis=axis, keepdims=True)), _EPS)
    return ((t / t_norm) * (p / p_norm)).sum(axis=axis)


def log_cosh_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return np.log(np.cosh(p - t)).mean(axis=-1)


def huber_values(y_true, y_pred, delta=1.0):
    t, p = _pair(y_true, y_pred)
    err = np.abs(p - t)
    quadratic = np.minimum(err, delta)
    return (0.5 * quadratic ** 2 + delta * (err - quadratic)).mean(axis=-1)


# Metric results after one update -------------------------------------------

mean_squared_error = mean_metric(mean_squared_error_values)
mean_absolute_error = mean_metric(mean_absolute_error_values)
mean_absolute_percentage_error = mean_metric(mean_absolute_percentage_error_values)
mean_squared_logarithmic_error = mean_metric(mean_squared_logarithmic_error_values)
cosine_similarity = mean_metric(cosine_similarity_values)
log_cosh_error = mean_metric(log_cosh_values)


def root_mean_squared_error(y_true, y_pred, sample_weight=None):
    """``sqrt`` of the Keras-weighted mean of the element-wise squared errors."""
    t, p = _pair(y_true, y_pred)
    return np.sqrt(_keras_weighted_mean((p - t) ** 2, sample_weight))


def r2_score(y_true, y_pred, sample_weight=None, class_aggregation="uniform_average",
             num_regressors=0):
    """R2Score after one update: weighted per-output R², aggregated, optionally adjusted.

    ``n`` for the adjusted score is Keras 3.15's: every target value, ``y_true.size``.
    Zero variance with a non-zero residual scores 0; 0/0 stays NaN.
    """
    t, p = _pair(y_true, y_pred)
    w = np.ones(()) if sample_weight is None else _f64(sample_weight)
    if w.ndim == 1:
        w = w[:, None]
    w = np.broadcast_to(w, t.shape)
    count = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * t).sum(axis=0) / count
        total = (w * (t - mean) ** 2).sum(axis=0)
        raw = 1.0 - (w * (t - p) ** 2).sum(axis=0) / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if class_aggregation == "uniform_average":
            score = raw.mean()
        elif class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
    n = float(t.size)
    if num_regressors and num_regressors < n - 1:
        score = 1.0 - (1.0 - score) * (n - 1.0) / (n - num_regressors - 1.0)
    return score
