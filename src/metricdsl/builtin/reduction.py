"""Reduction metrics: `metric_sum`, `metric_mean` and `metric_mean_wrapper`.

Keras's ``Sum``, ``Mean`` and ``MeanMetricWrapper``.

The variables are exactly Keras's (``total``; ``total`` and ``count``); their
float sums are compensated by `Variable.assign_add` (the rounding error rides
along as auxiliary state), so float32 accumulation does not stall past 2^24.

``higher_is_better`` is None here (a sum or mean has no direction); the
builtins that inherit these set their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ops
from ..factory import Metric
from ..functional import float_pred, weighted_sum, weighted_total_and_count
from ..functional._common import aligned_weight_shape, check_broadcast, flat_column, metric_label
from ..functional._rowwise import rowwise

__all__ = ["metric_mean", "metric_mean_wrapper", "metric_sum"]


# -- Sum ----------------------------------------------------------------------------------------
def _sum_initialize(name: str | None = "sum", dtype: Any = None):
    """Weighted sum of the given values.

    ``total = Σ values·sample_weight`` over every batch seen (a weight of the
    values' shape, of shape ``(N,)`` or a scalar).

    Args:
        name: Metric name.
        dtype: State and result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0])
        >>> float(m.result())
        16.0
    """
    super.initialize(name=name, dtype=dtype)
    self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")


def _check_weight(values, sample_weight):
    if sample_weight is not None:
        weight_shape, values_shape = aligned_weight_shape(values, sample_weight)
        check_broadcast(metric_label(self), "sample_weight", weight_shape, "the values",
                        values_shape, "Pass a weight of shape (N,), (N, 1) or the values' full "
                        "shape.")


def _sum_update_state(values, sample_weight=None):
    self._check_weight(values, sample_weight)
    self.total.assign_add(weighted_sum(values, sample_weight, self.dtype))


def _sum_result():
    return self.total.value


metric_sum = Metric("Sum", initialize=_sum_initialize, update_state=_sum_update_state,
                    result=_sum_result, _check_weight=_check_weight, higher_is_better=None)


# -- Mean ---------------------------------------------------------------------------------------
def _mean_initialize(name: str | None = "mean", dtype: Any = None):
    """Weighted mean of the given values.

    ``result = Σ v·w / Σ w`` over every batch (``w = 1`` when no weight is given;
    a per-sample weight of shape ``(N,)`` weighs each sample's mean over its
    trailing axes). With no data the result is 0.

    Args:
        name: Metric name.
        dtype: State and result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_mean()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """
    super.initialize(name=name, dtype=dtype)
    self.total = self.add_variable((), "zeros", dtype=self.dtype, name="total")
    self.count = self.add_variable((), "zeros", dtype=self.dtype, name="count")


def _mean_update_state(values, sample_weight=None):
    self._check_weight(values, sample_weight)
    total, count = weighted_total_and_count(values, sample_weight, self.dtype)
    self.total.assign_add(total)
    self.count.assign_add(count)


def _mean_result():
    return ops.divide_no_nan(self.total, self.count)


metric_mean = Metric("Mean", initialize=_mean_initialize, update_state=_mean_update_state,
                     result=_mean_result, _check_weight=_check_weight, higher_is_better=None)


# -- MeanMetricWrapper --------------------------------------------------------------------------
def _mmw_initialize(fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any):
    """Weighted mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Keras's ``MeanMetricWrapper``: each batch adds ``fn``'s per-sample values
    to a `metric_mean`. The default name is the `custom_metric` name of ``fn``,
    else ``"mean_metric_wrapper"`` (uniquified as Keras does).

    Args:
        fn: ``fn(y_true, y_pred, **kwargs)`` returning per-sample values.
        name: Metric name.
        dtype: State and result dtype; default ``config.floatx()``.
        **kwargs: Extra keyword arguments for ``fn`` (kept in the config).

    Example:
        >>> from metricdsl import ops
        >>> m = metric_mean_wrapper(lambda y_true, y_pred: ops.abs(y_true - y_pred))
        >>> m.update_state([1.0, 2.0], [2.0, 4.0])
        >>> float(m.result()), m.name.startswith("mean_metric_wrapper")
        (1.5, True)
    """
    if not callable(fn):
        raise TypeError(
            f"{metric_label(self)}: fn must be a callable fn(y_true, y_pred); received {fn!r}.")
    if name is None and hasattr(fn, "__wrapped_metric__"):
        name = fn.__name__
    super.initialize(name=name, dtype=dtype)
    self._fn = fn
    self._fn_kwargs = kwargs


def _mmw_update_state(y_true, y_pred, sample_weight=None):
    y_true, y_pred = ops.convert_to_tensor(y_true), float_pred(y_pred)
    try:
        values = self._values(y_true, y_pred)
    except ValueError as error:
        if type(error) is not ValueError:
            raise
        raise ValueError(f"{metric_label(self)}: {error}") from None
    super.update_state(values, sample_weight=sample_weight)


def _mmw_values(y_true, y_pred):
    """``fn``'s per-sample values (on a row view for ``(N, 1)`` columns when ``fn`` allows)."""
    values = rowwise(self._fn, y_true, y_pred, **self._fn_kwargs)
    if values is None:
        values = self._fn(*flat_column(y_true, y_pred), **self._fn_kwargs)
    return values


def _mmw_get_config():
    config = super.get_config()
    if type(self) is metric_mean_wrapper:
        config["fn"] = self._fn
        config.update(self._fn_kwargs)
    return config


metric_mean_wrapper = Metric(
    "MeanMetricWrapper", initialize=_mmw_initialize, update_state=_mmw_update_state,
    get_config=_mmw_get_config, _values=_mmw_values, inherit=metric_mean, higher_is_better=None)
