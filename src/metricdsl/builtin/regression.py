"""Regression metrics: squared, absolute, percentage, logarithmic, cosine, log-cosh, Huber, R².

Per-sample kernels follow Keras 3's loss functions (``eps = 1e-7``). One
deliberate difference: integer or boolean ``y_pred`` is cast to floatx before
any math (Keras computes in ``y_pred``'s dtype, so integer predictions turn
``eps`` and ``log 2`` into 0); ``y_true`` is then cast to ``y_pred``'s dtype.
The kernels live in `metricdsl.functional.regression`.

``higher_is_better``: False for the errors (MSE, MAE, MAPE, MSLE, RMSE,
log-cosh), True for cosine similarity and R².
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric, function_only
from ..functional import (
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    r2_batch_sums,
    r2_score,
    squared_error,
)
from ..functional._common import aligned_shapes, check_broadcast, check_pair, metric_label
from ..functional.numbers import Integral
from ._members import paired_update_state
from .reduction import metric_mean, metric_mean_wrapper

__all__ = [
    "metric_cosine_similarity", "metric_huber", "metric_log_cosh", "metric_log_cosh_error",
    "metric_mean_absolute_error", "metric_mean_absolute_percentage_error",
    "metric_mean_squared_error", "metric_mean_squared_logarithmic_error", "metric_r2_score",
    "metric_root_mean_squared_error",
]


def _mse_initialize(name: str | None = "mean_squared_error", dtype: Any = None):
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
    "MeanSquaredError", initialize=_mse_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, functional=mean_squared_error, higher_is_better=False)


def _mae_initialize(name: str | None = "mean_absolute_error", dtype: Any = None):
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
    "MeanAbsoluteError", initialize=_mae_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, functional=mean_absolute_error, higher_is_better=False)


def _mape_initialize(name: str | None = "mean_absolute_percentage_error", dtype: Any = None):
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
    update_state=paired_update_state, inherit=metric_mean_wrapper,
    functional=mean_absolute_percentage_error, higher_is_better=False)


def _msle_initialize(name: str | None = "mean_squared_logarithmic_error", dtype: Any = None):
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
    update_state=paired_update_state, inherit=metric_mean_wrapper,
    functional=mean_squared_logarithmic_error, higher_is_better=False)


def _rmse_initialize(name: str | None = "root_mean_squared_error", dtype: Any = None):
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
    check_pair(metric_label(self), y_true, y_pred)
    super.update_state(squared_error(y_true, y_pred, self.dtype), sample_weight=sample_weight)


def _rmse_result():
    return ops.sqrt(super.result())


metric_root_mean_squared_error = Metric(
    "RootMeanSquaredError", initialize=_rmse_initialize, update_state=_rmse_update_state,
    result=_rmse_result, inherit=metric_mean, higher_is_better=False)


def _cosine_initialize(name: str | None = "cosine_similarity", dtype: Any = None,
                       axis: Integral | Sequence[Integral] = -1):
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
    "CosineSimilarity", initialize=_cosine_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, higher_is_better=True)


def _logcosh_initialize(name: str | None = "logcosh", dtype: Any = None):
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
    "LogCoshError", initialize=_logcosh_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, higher_is_better=False)


# R2Score -------------------------------------------------------------------------------------

_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


def _r2_initialize(class_aggregation: str | None = "uniform_average", num_regressors: Any = 0,
                   name: str | None = "r2_score", dtype: Any = None):
    """Coefficient of determination R² (optionally adjusted), per output and aggregated.

    Per output ``j``: ``R²_j = 1 - Σ w (y - ŷ)² / Σ w (y - ȳ_w)²`` over every
    batch seen (``ȳ_w`` the weighted mean). Zero variance with a non-zero
    residual scores 0; zero variance with a zero residual stays NaN (Keras).
    Inputs must be 2-D ``(batch_size, num_outputs)``; the per-output state is
    created from the first batch. With ``num_regressors = p > 0`` the adjusted
    score ``1 - (1 - R²)(n - 1)/(n - p - 1)`` is returned when ``p < n - 1``
    (``n = y_true.size`` summed over batches, Keras 3.15's count of every target
    value; Keras 3.16 counts rows with a non-zero weight), else the plain score (Keras warns
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
    label = metric_label(self)
    if class_aggregation not in _R2_AGGREGATIONS:
        raise ValueError(
            f"{label}: Invalid value for argument `class_aggregation`. Expected one of "
            f"{_R2_AGGREGATIONS}. Received: class_aggregation={class_aggregation}")
    if not isinstance(num_regressors, numbers.Real):
        raise TypeError(
            f"{label}: Invalid type for argument `num_regressors`. Expected a number >= 0. "
            f"Received: num_regressors={num_regressors!r}")
    if num_regressors < 0:
        raise ValueError(
            f"{label}: Invalid value for argument `num_regressors`. Expected a value >= 0. "
            f"Received: num_regressors={num_regressors}. Pass the number of independent "
            "regressors, or 0 for the plain R².")
    self.class_aggregation = class_aggregation
    self.num_regressors = num_regressors
    self.num_samples = self.add_variable((), "zeros", name="num_samples")
    self.built = False


def _r2_check_shapes(true_shape, pred_shape):
    if len(true_shape) != 2 or len(pred_shape) != 2 or true_shape[-1] not in (1, pred_shape[-1]):
        raise ValueError(
            f"{metric_label(self)}: R2Score expects 2D inputs with shape "
            "(batch_size, output_dim). Received input shapes: "
            f"y_pred.shape={tuple(pred_shape)} and y_true.shape={tuple(true_shape)}. Pass both "
            "with the same output_dim (or y_true of shape (N, 1)), e.g. y[:, None] for a "
            "single output.")
    check_broadcast(metric_label(self), "y_pred", pred_shape, "y_true", true_shape)


def _r2_build(y_true, y_pred):
    """Create the per-output state (``squared_sum``, ``sum``, ``residual``, ``count``).

    Args:
        y_true: The first batch's targets (an array or ``jax.ShapeDtypeStruct``).
        y_pred: The first batch's predictions (idem).

    Raises:
        ValueError: unless both are 2-D with the same number of outputs.
    """
    true_shape, pred_shape = aligned_shapes(y_true, y_pred)
    self._check_shapes(true_shape, pred_shape)
    num_outputs = pred_shape[-1]
    self.squared_sum = self.add_variable((num_outputs,), "zeros", name="squared_sum")
    self.sum = self.add_variable((num_outputs,), "zeros", name="sum")
    self.total_mse = self.add_variable((num_outputs,), "zeros", name="residual")
    self.count = self.add_variable((num_outputs,), "zeros", name="count")
    self.built = True


def _r2_check_batch(y_true, y_pred, sample_weight):
    true_shape, pred_shape = aligned_shapes(y_true, y_pred)
    self._check_shapes(true_shape, pred_shape)
    if pred_shape[-1] != self.sum.shape[0]:
        raise ValueError(
            f"{metric_label(self)}: y_pred has {pred_shape[-1]} outputs but this metric was "
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
                f"{metric_label(self)}: sample_weight of shape {ops.shape(sample_weight)} does "
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
    higher_is_better=True)


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
