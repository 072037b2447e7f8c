"""Correlation kernels: per-sample Pearson and concordance correlation (Keras 3's formulas).

Integer or boolean ``y_pred`` is cast to floatx first.
"""

from __future__ import annotations

import jax
from jax.typing import ArrayLike

from .. import ops
from ._common import aligned_pair, kernel_label

__all__ = ["concordance_correlation", "pearson_correlation"]


def pearson_correlation(y_true: ArrayLike, y_pred: ArrayLike,
                        axis: int | tuple[int, ...] = -1) -> jax.Array:
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
    y_true, y_pred = aligned_pair(kernel_label("pearson_correlation"), y_true, y_pred)
    true_centred = y_true - ops.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - ops.mean(y_pred, axis=axis, keepdims=True)
    true_z = true_centred / ops.std(true_centred, axis=axis, keepdims=True)
    pred_z = pred_centred / ops.std(pred_centred, axis=axis, keepdims=True)
    return ops.mean(true_z * pred_z, axis=axis)


def concordance_correlation(y_true: ArrayLike, y_pred: ArrayLike,
                            axis: int | tuple[int, ...] = -1) -> jax.Array:
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
    y_true, y_pred = aligned_pair(kernel_label("concordance_correlation"), y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = ops.var(y_pred - pred_mean, axis=axis, keepdims=True)
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + ops.square(true_mean - pred_mean)
    return ops.mean(2.0 * covar / (norm + ops.EPSILON), axis=axis)
