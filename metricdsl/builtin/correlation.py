"""Correlation metrics: Pearson and concordance correlation coefficients.

Each is a per-sample coefficient across ``axis`` (the feature axis by
default), averaged over samples. Kernels follow Keras 3 exactly; integer or
boolean ``y_pred`` is cast to floatx first (a deliberate difference).
"""

from __future__ import annotations

import jax
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric
from .reduction import metric_mean_wrapper
from .regression import _aligned_pair, _checked_update_state

__all__ = ["metric_concordance_correlation", "metric_pearson_correlation"]


def pearson_correlation(y_true: ArrayLike, y_pred: ArrayLike, axis=-1) -> jax.Array:
    """Per-sample Pearson correlation along ``axis``.

    Both inputs are centred along ``axis`` and divided by their population
    standard deviation; the result is ``mean(z_true * z_pred, axis)``. A
    constant row has zero deviation and gives NaN, as in Keras.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: Axis (or tuple of axes) along which the coefficient is computed.

    Returns:
        Array with ``axis`` removed.
    """
    y_true, y_pred = _aligned_pair("pearson_correlation", y_true, y_pred)
    true_centred = y_true - ops.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - ops.mean(y_pred, axis=axis, keepdims=True)
    true_z = true_centred / ops.std(true_centred, axis=axis, keepdims=True)
    pred_z = pred_centred / ops.std(pred_centred, axis=axis, keepdims=True)
    return ops.mean(true_z * pred_z, axis=axis)


def concordance_correlation(y_true: ArrayLike, y_pred: ArrayLike, axis=-1) -> jax.Array:
    """Per-sample concordance correlation (Lin's CCC) along ``axis``.

    ``mean(2 (y_true - μ_pred)(y_pred - μ_pred) / (σ²_true + σ²_pred + (μ_true - μ_pred)² + eps))``
    with population variances; after the mean over ``axis`` this equals the
    textbook ``2 cov / (σ²_true + σ²_pred + (μ_true - μ_pred)²)`` up to ``eps``.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: Axis (or tuple of axes) along which the coefficient is computed.

    Returns:
        Array with ``axis`` removed.
    """
    y_true, y_pred = _aligned_pair("concordance_correlation", y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = ops.var(y_pred - pred_mean, axis=axis, keepdims=True)
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + ops.square(true_mean - pred_mean)
    return ops.mean(2.0 * covar / (norm + ops.EPSILON), axis=axis)


def _pearson_initialize(name="pearson_correlation", dtype=None, axis=-1):
    """Pearson correlation: weighted mean over samples of each sample's coefficient along ``axis``.

    Called with ``y_true, y_pred`` (and ``axis``) it returns the per-sample
    coefficients instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        axis: Axis (or tuple of axes) along which each coefficient is computed.

    Example:
        >>> m = metric_pearson_correlation()
        >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        >>> round(float(m.result()), 5)
        0.9967
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    super.initialize(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
    self.axis = axis


metric_pearson_correlation = Metric(
    "PearsonCorrelation", initialize=_pearson_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, functional=pearson_correlation, _direction="up")


def _concordance_initialize(name="concordance_correlation", dtype=None, axis=-1):
    """Concordance correlation (Lin's CCC): weighted mean of each sample's CCC along ``axis``.

    Called with ``y_true, y_pred`` (and ``axis``) it returns the per-sample
    coefficients instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        axis: Axis (or tuple of axes) along which each coefficient is computed.

    Example:
        >>> m = metric_concordance_correlation()
        >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        >>> round(float(m.result()), 5)
        0.98163
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    super.initialize(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
    self.axis = axis


metric_concordance_correlation = Metric(
    "ConcordanceCorrelation", initialize=_concordance_initialize,
    update_state=_checked_update_state, inherit=metric_mean_wrapper,
    functional=concordance_correlation, _direction="up")
