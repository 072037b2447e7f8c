"""Numpy (float64) references for the correlation family (Keras 3 formulas; never calls metricdsl).

``*_values`` return per-sample values; the names without the suffix return
the metric result of one update on a fresh metric.
"""

import numpy as np

from .accuracy import mean_metric
from .regression import _EPS, _pair


def pearson_correlation_values(y_true, y_pred, axis=-1):
    t, p = _pair(y_true, y_pred)
    dt = t - t.mean(axis=axis, keepdims=True)
    dp = p - p.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (dt * dp).mean(axis=axis) / (t.std(axis=axis) * p.std(axis=axis))


def concordance_correlation_values(y_true, y_pred, axis=-1):
    t, p = _pair(y_true, y_pred)
    mt, mp = t.mean(axis=axis), p.mean(axis=axis)
    cov = ((t - t.mean(axis=axis, keepdims=True)) * (p - p.mean(axis=axis, keepdims=True))).mean(
        axis=axis)
    return 2.0 * cov / (t.var(axis=axis) + p.var(axis=axis) + (mt - mp) ** 2 + _EPS)


pearson_correlation = mean_metric(pearson_correlation_values)
concordance_correlation = mean_metric(concordance_correlation_values)
