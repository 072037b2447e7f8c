"""Regression metrics: squared, absolute, percentage, logarithmic, cosine, log-cosh, Huber, R².

Per-sample kernels follow Keras 3's loss functions (``eps = 1e-7``). One
deliberate difference: integer or boolean ``y_pred`` is cast to floatx before
any math (Keras computes in ``y_pred``'s dtype, so integer predictions turn
``eps`` and ``log 2`` into 0); ``y_true`` is then cast to ``y_pred``'s dtype.
"""

from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric, function_only
from .reduction import flat_column, metric_mean, metric_mean_wrapper, reduce_last_axis

__all__ = [
    "metric_cosine_similarity", "metric_huber", "metric_log_cosh", "metric_log_cosh_error",
    "metric_mean_absolute_error", "metric_mean_absolute_percentage_error",
    "metric_mean_squared_error", "metric_mean_squared_logarithmic_error", "metric_r2_score",
    "metric_root_mean_squared_error",
]

_LOG_2 = math.log(2.0)


# --------------------------------------------------------------------------
# Input handling shared by the regression, hinge and correlation kernels.
# --------------------------------------------------------------------------

def _float_pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """``y_pred`` as a float array (integers and bools cast to floatx), ``y_true`` in its dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = ops.cast(y_pred, ops.floatx())
    return ops.cast(y_true, y_pred.dtype), y_pred


def _check_broadcast(who: str, true_shape: tuple, pred_shape: tuple) -> None:
    """Raise a ``ValueError`` naming ``who`` unless the two (rank-aligned) shapes broadcast."""
    try:
        jnp.broadcast_shapes(tuple(true_shape), tuple(pred_shape))
    except ValueError:
        raise ValueError(
            f"{who}: y_pred of shape {tuple(pred_shape)} does not broadcast with y_true of "
            f"shape {tuple(true_shape)} (after squeezing or expanding a trailing axis of size "
            "1). Expected equal shapes, e.g. both (batch_size, d).") from None


def _aligned_pair(who: str, y_true: ArrayLike,
                  y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Float inputs brought to the same rank as Keras does, with a shape check naming ``who``."""
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(*_float_pair(y_true, y_pred))
    _check_broadcast(who, y_true.shape, y_pred.shape)
    return y_true, y_pred


def _aligned_shapes(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[tuple, tuple]:
    """The shapes of ``y_true``, ``y_pred`` after Keras's rank alignment (no data touched)."""
    specs = [jax.ShapeDtypeStruct(ops.shape(x), "float32") for x in (y_true, y_pred)]
    true_spec, pred_spec = jax.eval_shape(ops.squeeze_or_expand_to_same_rank, *specs)
    return true_spec.shape, pred_spec.shape


def _metric_label(metric) -> str:
    return f"{type(metric).__name__} {metric.name!r}"


# --------------------------------------------------------------------------
# Per-sample kernels (Keras's loss functions; the last axis is averaged).
# --------------------------------------------------------------------------

def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean((y_true - y_pred)^2)`` over the last axis.

    Args:
        y_true: Targets, shape ``(N, ..., d)``.
        y_pred: Predictions, same shape (a trailing axis of size 1 may be missing on one side).

    Returns:
        Array of shape ``(N, ...)``.
    """
    y_true, y_pred = _aligned_pair("mean_squared_error", y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.square(t - p), y_true, y_pred)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(|y_true - y_pred|)`` over the last axis.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = _aligned_pair("mean_absolute_error", y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.abs(t - p), y_true, y_pred)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|)`` over the last axis.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = _aligned_pair("mean_absolute_percentage_error", y_true, y_pred)

    def percentage(t, p):
        return 100.0 * ops.abs((t - p) / ops.maximum(ops.abs(t), ops.EPSILON))

    return reduce_last_axis(percentage, y_true, y_pred)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2)``.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = _aligned_pair("mean_squared_logarithmic_error", y_true, y_pred)

    def squared_log_error(t, p):
        first_log = ops.log(ops.maximum(p, ops.EPSILON) + 1.0)
        return ops.square(first_log - ops.log(ops.maximum(t, ops.EPSILON) + 1.0))

    return reduce_last_axis(squared_log_error, y_true, y_pred)


def _l2_normalize(x: jax.Array, axis) -> jax.Array:
    """``x * min(rsqrt(sum(x^2, axis)), 1 / eps)`` (Keras's ``normalize``; zero vectors stay 0)."""
    inv_norm = ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x * ops.minimum(inv_norm, 1.0 / ops.EPSILON)


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, axis=-1) -> jax.Array:
    """Per-sample ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the loss negates it).

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: Axis (or tuple of axes) along which the similarity is computed.

    Returns:
        Array with ``axis`` removed.
    """
    y_true, y_pred = _aligned_pair("cosine_similarity", y_true, y_pred)
    return ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(log(cosh(y_pred - y_true)))``, computed as ``x + softplus(-2x) - log 2``.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = _aligned_pair("log_cosh", y_true, y_pred)

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
    y_true, y_pred = _aligned_pair("huber", y_true, y_pred)
    delta = ops.cast(delta, y_pred.dtype)

    def huber_loss(t, p):
        abs_error = ops.abs(p - t)
        return ops.where(abs_error <= delta, 0.5 * ops.square(abs_error),
                         delta * abs_error - 0.5 * ops.square(delta))

    return reduce_last_axis(huber_loss, y_true, y_pred)


def squared_error(y_true: ArrayLike, y_pred: ArrayLike, dtype: str) -> jax.Array:
    """Element-wise ``(y_pred - y_true)^2`` in ``dtype`` after Keras's rank alignment (for RMSE).

    ``(N, 1)`` columns go through `flat_column` (the fast path for Keras-shaped inputs).
    """
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_broadcast("root_mean_squared_error", y_true.shape, y_pred.shape)
    y_true, y_pred = flat_column(y_true, y_pred)
    return ops.square(y_pred - y_true)


# --------------------------------------------------------------------------
# R² kernels: additive sums per output, then the score.
# --------------------------------------------------------------------------

def r2_batch_sums(y_true: ArrayLike, y_pred: ArrayLike, sample_weight, dtype: str):
    """One batch's contribution to R2Score's accumulators.

    Inputs are cast to ``dtype`` and rank-aligned; ``sample_weight`` defaults
    to 1, a rank-1 weight is given a feature axis, then it is broadcast to
    ``y_true``'s shape (Keras's rules).

    Returns:
        ``(num_samples, squared_sum, sum, residual, count)``: the number of rows
        with any non-zero weight, and per output ``Σ w·y²``, ``Σ w·y``,
        ``Σ w·(y - ŷ)²`` and ``Σ w``.
    """
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    weight = ops.ones((), dtype) if sample_weight is None else ops.cast(sample_weight, dtype)
    if ops.ndim(weight) == 1:
        weight = ops.expand_dims(weight, 1)
    weight = ops.broadcast_to(weight, ops.shape(y_true))
    weighted_y_true = y_true * weight
    num_samples = ops.sum(ops.any(weight != 0, axis=-1)).astype(dtype)
    return (num_samples,
            ops.sum(y_true * weighted_y_true, axis=0),
            ops.sum(weighted_y_true, axis=0),
            ops.sum(ops.square(y_true - y_pred) * weight, axis=0),
            ops.sum(weight, axis=0))


def r2_score(num_samples, squared_sum, sum_, residual, count,
             class_aggregation="uniform_average", num_regressors=0) -> jax.Array:
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


# --------------------------------------------------------------------------
# Metrics.
# --------------------------------------------------------------------------

def _check_pair(who: str, y_true: ArrayLike, y_pred: ArrayLike) -> None:
    """Check that ``y_true`` and ``y_pred`` broadcast, from their shapes only."""
    _check_broadcast(who, *_aligned_shapes(y_true, y_pred))


def _checked_update_state(y_true, y_pred, sample_weight=None):
    """Add a batch's per-sample values to the weighted mean.

    Args:
        y_true: Targets.
        y_pred: Predictions; shapes must broadcast after Keras's rank alignment.
        sample_weight: Optional weights: scalar, ``(N,)``, ``(N, 1)`` or the
            per-sample values' shape.

    Raises:
        ValueError: if the shapes of ``y_true`` and ``y_pred`` (or
            ``sample_weight``) do not broadcast.
    """
    _check_pair(_metric_label(self), y_true, y_pred)
    super.update_state(y_true, y_pred, sample_weight=sample_weight)


def _mse_initialize(name="mean_squared_error", dtype=None):
    """Mean squared error: weighted mean of ``mean((y_true - y_pred)^2, axis=-1)``.

    Called with ``y_true, y_pred`` it returns the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_mean_squared_error()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
        >>> metric_mean_squared_error([[0, 1], [0, 0]], [[1, 1], [0, 0]]).tolist()
        [0.5, 0.0]
    """
    super.initialize(fn=mean_squared_error, name=name, dtype=dtype)


metric_mean_squared_error = Metric(
    "MeanSquaredError", initialize=_mse_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, functional=mean_squared_error, _direction="down")


def _mae_initialize(name="mean_absolute_error", dtype=None):
    """Mean absolute error: weighted mean of ``mean(|y_true - y_pred|, axis=-1)``.

    Called with ``y_true, y_pred`` it returns the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_mean_absolute_error()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
        >>> float(m.result())
        0.5
    """
    super.initialize(fn=mean_absolute_error, name=name, dtype=dtype)


metric_mean_absolute_error = Metric(
    "MeanAbsoluteError", initialize=_mae_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, functional=mean_absolute_error, _direction="down")


def _mape_initialize(name="mean_absolute_percentage_error", dtype=None):
    """Mean absolute percentage error: weighted mean of ``100 mean(|y - ŷ| / max(|y|, eps))``.

    ``eps = 1e-7``, so a zero target contributes ``|y_pred| * 1e9`` percent, as in Keras.
    Called with ``y_true, y_pred`` it returns the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_mean_absolute_percentage_error()
        >>> m.update_state([[1.0, 2.0], [4.0, 5.0]], [[1.5, 2.0], [4.0, 4.0]])
        >>> round(float(m.result()), 4)
        17.5
    """
    super.initialize(fn=mean_absolute_percentage_error, name=name, dtype=dtype)


metric_mean_absolute_percentage_error = Metric(
    "MeanAbsolutePercentageError", initialize=_mape_initialize,
    update_state=_checked_update_state, inherit=metric_mean_wrapper,
    functional=mean_absolute_percentage_error, _direction="down")


def _msle_initialize(name="mean_squared_logarithmic_error", dtype=None):
    """Mean squared logarithmic error: weighted mean of ``mean((log1p(ŷ) - log1p(y))^2, axis=-1)``.

    Both inputs are first floored at ``eps = 1e-7``. Called with ``y_true,
    y_pred`` it returns the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_mean_squared_logarithmic_error()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 6)
        0.120113
    """
    super.initialize(fn=mean_squared_logarithmic_error, name=name, dtype=dtype)


metric_mean_squared_logarithmic_error = Metric(
    "MeanSquaredLogarithmicError", initialize=_msle_initialize,
    update_state=_checked_update_state, inherit=metric_mean_wrapper,
    functional=mean_squared_logarithmic_error, _direction="down")


def _rmse_initialize(name="root_mean_squared_error", dtype=None):
    """Root mean squared error: ``sqrt(Σ w (y_pred - y_true)^2 / Σ w)`` over all elements seen.

    A `metric_mean` of the element-wise squared errors (Keras's
    ``RootMeanSquaredError``); the result is its square root. Class-only.

    Args:
        name: Metric name.
        dtype: Dtype of the inputs' cast, the state and the result; default ``config.floatx()``.

    Example:
        >>> m = metric_root_mean_squared_error()
        >>> m.update_state([2.0, 4.0, 6.0, 8.0], [1.0, 3.0, 2.0, 3.0], sample_weight=[0, 1, 0, 1])
        >>> round(float(m.result()), 5)
        3.60555
    """
    super.initialize(name=name, dtype=dtype)


def _rmse_update_state(y_true, y_pred, sample_weight=None):
    """Add the batch's squared errors ``(y_pred - y_true)^2`` to the mean.

    Raises:
        ValueError: if the shapes of ``y_true`` and ``y_pred`` (or
            ``sample_weight``) do not broadcast.
    """
    _check_pair(_metric_label(self), y_true, y_pred)
    super.update_state(squared_error(y_true, y_pred, self.dtype), sample_weight=sample_weight)


def _rmse_result():
    return ops.sqrt(super.result())


metric_root_mean_squared_error = Metric(
    "RootMeanSquaredError", initialize=_rmse_initialize, update_state=_rmse_update_state,
    result=_rmse_result, inherit=metric_mean, _direction="down")


def _cosine_initialize(name="cosine_similarity", dtype=None, axis=-1):
    """Cosine similarity: weighted mean of ``sum(l2_normalize(y) * l2_normalize(ŷ), axis)``.

    Class-only (Keras exports no metric function for it). Unlike Keras,
    ``get_config()`` includes ``axis``, so a config round trip keeps it.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        axis: Axis (or tuple of axes) along which the similarity is computed.

    Example:
        >>> m = metric_cosine_similarity(axis=1)
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
        >>> round(float(m.result()), 5)
        0.5
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    super.initialize(fn=cosine_similarity, name=name, dtype=dtype, axis=axis)
    self.axis = axis


metric_cosine_similarity = Metric(
    "CosineSimilarity", initialize=_cosine_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, _direction="up")


def _logcosh_initialize(name="logcosh", dtype=None):
    """Log-cosh error: weighted mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Class-only (the per-sample function is `metric_log_cosh`); the default
    name is Keras's ``"logcosh"``.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_log_cosh_error()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.name, round(float(m.result()), 6)
        ('logcosh', 0.108445)
    """
    super.initialize(fn=log_cosh, name=name, dtype=dtype)


metric_log_cosh_error = Metric(
    "LogCoshError", initialize=_logcosh_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, _direction="down")


# R2Score -------------------------------------------------------------------------------------

_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


def _r2_initialize(class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                   dtype=None):
    """Coefficient of determination R² (optionally adjusted), per output and aggregated.

    Per output ``j``: ``R²_j = 1 - Σ w (y - ŷ)² / Σ w (y - ȳ_w)²`` over every
    batch seen (``ȳ_w`` the weighted mean). Zero variance with a non-zero
    residual scores 0; zero variance with a zero residual stays NaN (Keras).
    Inputs must be 2-D ``(batch_size, num_outputs)``; the per-output state is
    created from the first batch. With ``num_regressors = p > 0`` the adjusted
    score ``1 - (1 - R²)(n - 1)/(n - p - 1)`` is returned when ``p < n - 1``
    (``n`` = rows with a non-zero weight), else the plain score (Keras warns
    there; this stays silent so it can run under ``jax.jit``). With no data
    since the last reset the result is 0 (Keras: NaN); before the first
    update ``result()`` raises (Keras: ``AttributeError``).

    Args:
        class_aggregation: ``None`` (per-output vector), ``"uniform_average"``
            or ``"variance_weighted_average"`` (like scikit-learn's ``multioutput``).
        num_regressors: Number of independent regressors ``p`` (0: plain R²).
        name: Metric name.
        dtype: Dtype the inputs are cast to; the state is floatx (Keras).

    Raises:
        ValueError: for an unknown ``class_aggregation`` or a negative ``num_regressors``.
        TypeError: if ``num_regressors`` is not a number.

    Example:
        >>> m = metric_r2_score()
        >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
        >>> round(float(m.result()), 5)
        0.57143
    """
    super.initialize(name=name, dtype=dtype)
    if class_aggregation not in _R2_AGGREGATIONS:
        raise ValueError(
            "R2Score: Invalid value for argument `class_aggregation`. Expected one of "
            f"{_R2_AGGREGATIONS}. Received: class_aggregation={class_aggregation!r}")
    if not isinstance(num_regressors, numbers.Real):
        raise TypeError(
            "R2Score: Invalid type for argument `num_regressors`. Expected a number >= 0. "
            f"Received: num_regressors={num_regressors!r}")
    if num_regressors < 0:
        raise ValueError(
            "R2Score: Invalid value for argument `num_regressors`. Expected a value >= 0. "
            f"Received: num_regressors={num_regressors}")
    self.class_aggregation = class_aggregation
    self.num_regressors = num_regressors
    self.num_samples = self.add_variable((), "zeros", name="num_samples")
    self.built = False


def _r2_check_shapes(true_shape, pred_shape):
    if len(true_shape) != 2 or len(pred_shape) != 2 or true_shape[-1] != pred_shape[-1]:
        raise ValueError(
            f"{_metric_label(self)}: expects 2D inputs with shape (batch_size, output_dim), "
            "the same output_dim in both. Received input shapes: "
            f"y_pred.shape={tuple(pred_shape)} and y_true.shape={tuple(true_shape)}.")
    _check_broadcast(_metric_label(self), true_shape, pred_shape)


def _r2_build(y_true, y_pred):
    """Create the per-output state (``squared_sum``, ``sum``, ``residual``, ``count``).

    Args:
        y_true: The first batch's targets (an array or ``jax.ShapeDtypeStruct``).
        y_pred: The first batch's predictions (idem).

    Raises:
        ValueError: unless both are 2-D with the same number of outputs.
    """
    true_shape, pred_shape = _aligned_shapes(y_true, y_pred)
    self._check_shapes(true_shape, pred_shape)
    num_outputs = pred_shape[-1]
    self.squared_sum = self.add_variable((num_outputs,), "zeros", name="squared_sum")
    self.sum = self.add_variable((num_outputs,), "zeros", name="sum")
    self.total_mse = self.add_variable((num_outputs,), "zeros", name="residual")
    self.count = self.add_variable((num_outputs,), "zeros", name="count")
    self.built = True


def _r2_check_batch(y_true, y_pred, sample_weight):
    true_shape, pred_shape = _aligned_shapes(y_true, y_pred)
    self._check_shapes(true_shape, pred_shape)
    if pred_shape[-1] != self.sum.shape[0]:
        raise ValueError(
            f"{_metric_label(self)}: y_pred has {pred_shape[-1]} outputs but this metric was "
            f"built for {self.sum.shape[0]}; every batch needs the same output_dim (or call "
            "reset on a new metric).")
    if sample_weight is not None:
        weight_shape = ops.shape(sample_weight)
        weight_shape = (*weight_shape, 1) if len(weight_shape) == 1 else weight_shape
        try:
            fits = jnp.broadcast_shapes(weight_shape, true_shape) == tuple(true_shape)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{_metric_label(self)}: sample_weight of shape {ops.shape(sample_weight)} does "
                f"not broadcast to y_true's shape {tuple(true_shape)}. Pass a scalar, (N,), "
                "(N, 1) or (N, output_dim) weight.")


def _r2_update_state(y_true, y_pred, sample_weight=None):
    """Add a batch to the per-output weighted sums.

    Args:
        y_true: Targets, shape ``(N, num_outputs)``.
        y_pred: Predictions, same shape.
        sample_weight: Optional scalar, ``(N,)``, ``(N, 1)`` or ``(N, num_outputs)`` weights.

    Raises:
        ValueError: for inputs that are not 2-D with the built ``num_outputs``,
            or a ``sample_weight`` that does not broadcast to ``y_true``.
    """
    self._check_batch(y_true, y_pred, sample_weight)
    num_samples, squared_sum, total, residual, count = r2_batch_sums(
        y_true, y_pred, sample_weight, self.dtype)
    self.num_samples.assign_add(num_samples)
    self.squared_sum.assign_add(squared_sum)
    self.sum.assign_add(total)
    self.total_mse.assign_add(residual)
    self.count.assign_add(count)


def _r2_result():
    return r2_score(self.num_samples, self.squared_sum, self.sum, self.total_mse, self.count,
                    self.class_aggregation, self.num_regressors)


metric_r2_score = Metric(
    "R2Score", initialize=_r2_initialize, update_state=_r2_update_state, result=_r2_result,
    build=_r2_build, _check_shapes=_r2_check_shapes, _check_batch=_r2_check_batch,
    _direction="up")


# Function-only builtins ----------------------------------------------------------------------

@function_only
def metric_huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> jax.Array:
    """Per-sample Huber loss (function-only; Keras's ``huber``).

    ``mean(where(|e| <= delta, e^2 / 2, delta |e| - delta^2 / 2), axis=-1)``,
    ``e = y_pred - y_true``.

    Args:
        y_true: Targets, shape ``(N, ..., d)``.
        y_pred: Predictions, same shape.
        delta: Where the quadratic part turns linear.

    Returns:
        Per-sample values, shape ``(N, ...)``.

    Raises:
        TypeError: when called without ``y_true`` and ``y_pred``.
        ValueError: if the shapes do not broadcast.

    Example:
        >>> [round(v, 4) for v in metric_huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).tolist()]
        [0.18, 0.13]
    """
    return huber(y_true, y_pred, delta=delta)


@function_only
def metric_log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample log-cosh error (function-only; Keras's ``log_cosh``).

    ``mean(log(cosh(y_pred - y_true)), axis=-1)``; `metric_log_cosh_error` is its metric class.

    Args:
        y_true: Targets, shape ``(N, ..., d)``.
        y_pred: Predictions, same shape.

    Returns:
        Per-sample values, shape ``(N, ...)``.

    Raises:
        TypeError: when called without ``y_true`` and ``y_pred``.
        ValueError: if the shapes do not broadcast.

    Example:
        >>> [round(v, 5) for v in metric_log_cosh([[0, 1], [0, 0]], [[1, 1], [0, 0]]).tolist()]
        [0.21689, 0.0]
    """
    return log_cosh(y_true, y_pred)
