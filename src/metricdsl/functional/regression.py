"""Regression kernels: squared, absolute, percentage, logarithmic, cosine, log-cosh, Huber, R².

Per-sample kernels follow Keras 3's loss functions (``eps = 1e-7``); integer
or boolean ``y_pred`` is cast to floatx first, then ``y_true`` to its dtype.
The R² kernels split the score into additive per-output sums
(`r2_batch_sums`) and the score from them (`r2_score`).
"""

from __future__ import annotations

import math
from typing import Any

import jax
from jax.typing import ArrayLike

from .. import ops
from ._common import aligned_pair, check_pair, flat_column, kernel_label, reduce_last_axis

__all__ = [
    "cosine_similarity", "huber", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "r2_batch_sums", "r2_score", "squared_error",
]

_LOG_2 = math.log(2.0)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean((y_true - y_pred)^2)`` over the last axis.

    Args:
        y_true: Targets, shape ``(N, ..., d)``.
        y_pred: Predictions, same shape (a trailing axis of size 1 may be missing on one side).

    Returns:
        Array of shape ``(N, ...)``.
    """
    y_true, y_pred = aligned_pair(kernel_label("mean_squared_error"), y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.square(t - p), y_true, y_pred)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(|y_true - y_pred|)`` over the last axis.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = aligned_pair(kernel_label("mean_absolute_error"), y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.abs(t - p), y_true, y_pred)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|)`` over the last axis.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = aligned_pair(kernel_label("mean_absolute_percentage_error"), y_true, y_pred)

    def percentage(t, p):
        return 100.0 * ops.abs((t - p) / ops.maximum(ops.abs(t), ops.EPSILON))

    return reduce_last_axis(percentage, y_true, y_pred)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2)``.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = aligned_pair(kernel_label("mean_squared_logarithmic_error"), y_true, y_pred)

    def squared_log_error(t, p):
        first_log = ops.log(ops.maximum(p, ops.EPSILON) + 1.0)
        return ops.square(first_log - ops.log(ops.maximum(t, ops.EPSILON) + 1.0))

    return reduce_last_axis(squared_log_error, y_true, y_pred)


def _l2_normalize(x: jax.Array, axis: int | tuple[int, ...]) -> jax.Array:
    """``x * min(rsqrt(sum(x^2, axis)), 1 / eps)`` (Keras's ``normalize``; zero vectors stay 0)."""
    inv_norm = ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x * ops.minimum(inv_norm, 1.0 / ops.EPSILON)


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike,
                      axis: int | tuple[int, ...] = -1) -> jax.Array:
    """Per-sample ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the loss negates it).

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: Axis (or tuple of axes) along which the similarity is computed.

    Returns:
        Array with ``axis`` removed.
    """
    y_true, y_pred = aligned_pair(kernel_label("cosine_similarity"), y_true, y_pred)
    return ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(log(cosh(y_pred - y_true)))``, computed as ``x + softplus(-2x) - log 2``.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = aligned_pair(kernel_label("log_cosh"), y_true, y_pred)

    def logcosh(t, p):
        error = p - t
        return error + ops.softplus(-2.0 * error) - _LOG_2

    return reduce_last_axis(logcosh, y_true, y_pred)


def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> jax.Array:
    """Per-sample Huber loss ``mean(where(|e| <= delta, e^2 / 2, delta * |e| - delta^2 / 2))``.

    Args:
        y_true: Targets.
        y_pred: Predictions.
        delta: Where the quadratic part turns linear.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = aligned_pair(kernel_label("huber"), y_true, y_pred)
    cutoff = ops.cast(delta, y_pred.dtype)

    def huber_loss(t, p):
        abs_error = ops.abs(p - t)
        return ops.where(abs_error <= cutoff, 0.5 * ops.square(abs_error),
                         cutoff * abs_error - 0.5 * ops.square(cutoff))

    return reduce_last_axis(huber_loss, y_true, y_pred)


def squared_error(y_true: ArrayLike, y_pred: ArrayLike, dtype: Any) -> jax.Array:
    """Element-wise ``(y_pred - y_true)^2`` in ``dtype`` after Keras's rank alignment (for RMSE).

    ``(N, 1)`` columns go through `flat_column` (the fast path for Keras-shaped inputs).
    """
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_pair(kernel_label("root_mean_squared_error"), y_true, y_pred)
    y_true, y_pred = flat_column(y_true, y_pred)
    return ops.square(y_pred - y_true)


def r2_batch_sums(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None,
                  dtype: Any) -> tuple[jax.Array, ...]:
    """One batch's contribution to R2Score's accumulators.

    Inputs are cast to ``dtype`` and rank-aligned; ``y_true`` of shape ``(N, 1)``
    broadcasts against ``y_pred`` of ``(N, k)``; ``sample_weight`` defaults to 1,
    a rank-1 weight is given a feature axis, then it is broadcast to the
    targets' shape (Keras's rules).

    Returns:
        ``(num_samples, squared_sum, sum, residual, count)``: Keras's sample
        count ``size(y_true)`` (every target value, weighted or not: the ``n`` of
        the adjusted score), and per output ``Σ w·y²``, ``Σ w·y``,
        ``Σ w·(y - ŷ)²`` and ``Σ w``.
    """
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    num_samples = ops.cast(ops.size(y_true), dtype)
    y_true = ops.broadcast_to(y_true, ops.shape(y_pred))
    weight = ops.ones((), dtype) if sample_weight is None else ops.cast(sample_weight, dtype)
    if ops.ndim(weight) == 1:
        weight = ops.expand_dims(weight, 1)
    weight = ops.broadcast_to(weight, ops.shape(y_true))
    weighted_y_true = y_true * weight
    return (num_samples,
            ops.sum(y_true * weighted_y_true, axis=0),
            ops.sum(weighted_y_true, axis=0),
            ops.sum(ops.square(y_true - y_pred) * weight, axis=0),
            ops.sum(weight, axis=0))


def r2_score(num_samples: ArrayLike, squared_sum: ArrayLike, sum_: ArrayLike,
             residual: ArrayLike, count: ArrayLike,
             class_aggregation: str | None = "uniform_average",
             num_regressors: float = 0) -> jax.Array:
    """R² (optionally adjusted) from R2Score's accumulators.

    Per output: ``R² = 1 - residual / (squared_sum - sum²/count)``, with an
    infinite score (zero variance, non-zero residual) replaced by 0 and a NaN
    (0/0) kept, as Keras does. ``class_aggregation``: ``None`` → per-output
    vector, ``"uniform_average"`` → mean, ``"variance_weighted_average"`` →
    weighted by each output's total sum of squares. With ``num_regressors = p
    > 0`` and ``n = num_samples``: ``1 - (1 - R²)(n - 1)/(n - p - 1)`` when
    ``p < n - 1``, plain R² otherwise. An empty state (``n == 0``) scores 0.
    """
    num_samples, squared_sum, sum_, residual, count = (
        ops.convert_to_tensor(v) for v in (num_samples, squared_sum, sum_, residual, count))
    mean = ops.divide(sum_, count)
    total = squared_sum - sum_ * mean
    raw_scores = 1.0 - ops.divide(residual, total)
    raw_scores = ops.where(ops.isinf(raw_scores), 0.0, raw_scores)
    if class_aggregation == "uniform_average":
        score = ops.mean(raw_scores)
    elif class_aggregation == "variance_weighted_average":
        score = ops.divide(ops.sum(total * raw_scores), ops.sum(total))
    else:
        score = raw_scores
    if num_regressors != 0:
        n, p = num_samples, float(num_regressors)
        safe_den = ops.where(p < n - 1.0, n - p - 1.0, 1.0)
        score = ops.where(p < n - 1.0, 1.0 - (1.0 - score) * (n - 1.0) / safe_den, score)
    return ops.where(num_samples == 0, ops.zeros_like(score), score)
