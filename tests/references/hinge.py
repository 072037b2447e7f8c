"""Numpy (float64) references for the hinge family (Keras 3 formulas; never calls metricdsl).

``*_values`` return per-sample values; the names without the suffix return
the metric result of one update on a fresh metric.
"""

import numpy as np

from .accuracy import mean_metric
from .regression import _pair


def _hinge_labels(t):
    return 2.0 * t - 1.0 if np.isin(t, (0.0, 1.0)).all() else t


def hinge_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return np.maximum(1.0 - _hinge_labels(t) * p, 0.0).mean(axis=-1)


def squared_hinge_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    return (np.maximum(1.0 - _hinge_labels(t) * p, 0.0) ** 2).mean(axis=-1)


def categorical_hinge_values(y_true, y_pred):
    t, p = _pair(y_true, y_pred)
    pos = (t * p).sum(axis=-1)
    neg = ((1.0 - t) * p).max(axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


hinge = mean_metric(hinge_values)
squared_hinge = mean_metric(squared_hinge_values)
categorical_hinge = mean_metric(categorical_hinge_values)
