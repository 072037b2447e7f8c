"""Numpy (float64) references for the probabilistic family.

Written from the formulas in the Keras 3 documentation (``keras.losses``),
never calling metricdsl. Probabilities are clipped to ``[eps, 1 - eps]`` with
the bounds rounded to float32 as the float32 computation sees them. Each
``*_values`` function returns per-sample values; the same-named function
without the suffix returns the metric result of one update on a fresh metric.
"""

import numpy as np

from .accuracy import align_ranks, keras_weighted_mean, mean_metric

_EPS = 1e-7
_LOW, _HIGH = float(np.float32(_EPS)), float(np.float32(1 - _EPS))


def _f64(x):
    return np.asarray(x, np.float64)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _log_softmax(x, axis):
    return x - np.max(x, axis, keepdims=True) - np.log(
        np.sum(np.exp(x - np.max(x, axis, keepdims=True)), axis, keepdims=True))


def _log_probabilities(y_pred, from_logits, axis):
    if from_logits:
        return _log_softmax(y_pred, axis)
    return np.log(np.clip(y_pred / y_pred.sum(axis, keepdims=True), _LOW, _HIGH))


# Per-sample values -----------------------------------------------------------

def binary_crossentropy_values(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = _f64(y_true), _f64(y_pred)
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = -t * _log_sigmoid(p) - (1 - t) * _log_sigmoid(-p)
    else:
        p = np.clip(p, _LOW, _HIGH)
        bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return bce.mean(axis)


def categorical_crossentropy_values(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                                    axis=-1):
    t, p = _f64(y_true), _f64(y_pred)
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    return -np.sum(t * _log_probabilities(p, from_logits, axis), axis)


def sparse_categorical_crossentropy_values(y_true, y_pred, from_logits=False, ignore_class=None,
                                           axis=-1):
    """``-log p[label]``; 0 for out-of-range labels and for ``ignore_class`` samples."""
    p = _f64(y_pred)
    axis = axis % p.ndim
    labels = np.asarray(y_true).reshape(p.shape[:axis] + p.shape[axis + 1:]).astype(np.int64)
    log_p = np.moveaxis(_log_probabilities(p, from_logits, axis), axis, -1)
    in_range = (labels >= 0) & (labels < log_p.shape[-1])
    picked = np.take_along_axis(log_p, np.where(in_range, labels, 0)[..., None], -1)[..., 0]
    values = np.where(in_range, -picked, 0.0)
    if ignore_class is not None:
        values = np.where(labels == ignore_class, 0.0, values)
    return values


def kl_divergence_values(y_true, y_pred):
    t, p = np.clip(_f64(y_true), _LOW, 1), np.clip(_f64(y_pred), _LOW, 1)
    return np.sum(t * np.log(t / p), -1)


def poisson_values(y_true, y_pred):
    t, p = _f64(y_true), _f64(y_pred)
    return np.mean(p - t * np.log(p + _EPS), -1)


def binary_focal_crossentropy_values(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                                     gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = _f64(y_true), _f64(y_pred)
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    clipped = np.clip(p, _LOW, _HIGH)
    bce = -(t * np.log(clipped) + (1 - t) * np.log(1 - clipped))
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = focal * (t * alpha + (1 - t) * (1 - alpha))
    return focal.mean(axis)


def categorical_focal_crossentropy_values(y_true, y_pred, alpha=0.25, gamma=2.0,
                                          from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = _f64(y_true), _f64(y_pred)
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = np.exp(_log_softmax(p, axis))
    p = np.clip(p / p.sum(axis, keepdims=True), _LOW, _HIGH)
    return np.sum(alpha * (1 - p) ** gamma * -t * np.log(p), axis)


# Metric results ----------------------------------------------------------------

binary_crossentropy = mean_metric(binary_crossentropy_values)
categorical_crossentropy = mean_metric(categorical_crossentropy_values)
kl_divergence = mean_metric(kl_divergence_values)
poisson = mean_metric(poisson_values)


def sparse_categorical_crossentropy(y_true, y_pred, sample_weight=None, from_logits=False,
                                    ignore_class=None, axis=-1):
    """Metric result. Keras's quirk: ``ignore_class`` samples leave the mean only when weighted.

    Unweighted, they count in the denominator with value 0; with a weight, their
    weight is multiplied by 0 (the ``y_true != ignore_class`` mask).
    """
    values = sparse_categorical_crossentropy_values(y_true, y_pred, from_logits, ignore_class,
                                                    axis)
    if sample_weight is not None and ignore_class is not None:
        labels = np.asarray(y_true).reshape(values.shape)
        mask, weight = align_ranks(_f64(labels != ignore_class), _f64(sample_weight))
        sample_weight = weight * mask
    return keras_weighted_mean(values, sample_weight)

