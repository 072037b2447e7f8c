"""Reduction metrics: `metric_sum`, `metric_mean` and `metric_mean_wrapper` (Keras Sum, Mean, MeanMetricWrapper).

Totals and counts are kept with Neumaier compensation (the rounding error of
each addition is carried in a ``compensation`` variable: ``total_compensation``
for Sum, ``compensation = [total's, count's]`` for Mean), so float32
accumulation does not stall past 2^24.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import ops
from ..factory import Metric
from ..rowwise import rows, rowwise

__all__ = [
    "accumulate", "accumulated", "add_compensations", "metric_mean", "metric_mean_wrapper",
    "metric_sum", "reduce_last_axis", "samplewise_values",
]


# -- kernels ------------------------------------------------------------------------------------
def _reduce_from(x, start, reduce_fn):
    """``x`` reduced over its axes from ``start`` on; a reshape when they all have size 1."""
    axes = tuple(range(start, jnp.ndim(x)))
    if all(x.shape[a] == 1 for a in axes):
        return jnp.reshape(x, x.shape[:start])
    return reduce_fn(x, axis=axes)


def samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras's ``reduce_to_samplewise_values``: per-sample values and weights.

    ``values`` is cast to ``dtype``; with a ``sample_weight``, both are brought
    to the same rank (Keras's squeeze-or-expand), ``values`` is reduced over
    the axes the weight lacks, weighted, and the weight reduced to per-sample.
    Finally the values are reduced to one per sample. Trailing size-1 axes are
    reshaped away and the weighting runs on a flat row view (`rowwise.rows`):
    the same values, without XLA CPU's slow ``(N, 1)`` loops.

    Returns:
        ``(values, sample_weight)``: shapes ``(N,)`` (or scalar); the weight is
        ``None`` when none was given.
    """
    values = ops.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, dtype)
        values, sample_weight = ops.squeeze_or_expand_to_same_rank(values, sample_weight)
        if values.ndim > sample_weight.ndim:
            values = _reduce_from(values, sample_weight.ndim, reduce_fn)
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = jnp.reshape(rows(jnp.ravel(values)) * rows(jnp.ravel(sample_weight)),
                             values.shape)
        if sample_weight.ndim > 1:
            sample_weight = _reduce_from(sample_weight, 1, reduce_fn)
    if values.ndim > 1:
        values = _reduce_from(values, 1, reduce_fn)
    return values, sample_weight


def weighted_sum(values, sample_weight, dtype):
    """``Σ values·weight`` of one batch (Keras Sum's increment)."""
    values, _ = samplewise_values(values, sample_weight, jnp.sum, dtype)
    return jnp.sum(rows(values))


def weighted_total_and_count(values, sample_weight, dtype):
    """Keras Mean's increments: ``(Σ v·w, Σ w)``; the count is N (or 1 for a scalar) unweighted."""
    values, sample_weight = samplewise_values(values, sample_weight, jnp.mean, dtype)
    if sample_weight is not None:
        count = jnp.sum(rows(sample_weight))
    else:
        count = jnp.asarray(values.shape[0] if values.ndim else 1, dtype)
    return jnp.sum(rows(values)), count


def reduce_last_axis(fn, y_true, y_pred, reduce=jnp.mean):
    """``reduce(fn(y_true, y_pred), axis=-1)`` for element-wise ``fn``; fast on ``(N, 1)`` columns.

    A size-1 last axis is dropped before ``fn`` (a reduction over one element
    is that element), and equal-shaped ``(N,)`` columns are computed as rows
    of 1024: on XLA CPU element-wise math over ``(N, 1)`` arrays runs up to
    20x slower, as the loop vectorises along the size-1 minor axis. ``fn``
    may also use whole-batch reductions (e.g. `all`).
    """
    if jnp.shape(y_true)[-1:] != (1,) or jnp.shape(y_pred)[-1:] != (1,):
        return reduce(fn(y_true, y_pred), axis=-1)
    y_true, y_pred = y_true[..., 0], y_pred[..., 0]
    if y_true.shape != y_pred.shape:
        return fn(y_true, y_pred)
    return jnp.reshape(fn(rows(y_true), rows(y_pred)), y_true.shape)


def flat_column(y_true, y_pred):
    """Keras-shaped ``(N, 1)`` inputs fenced from XLA fusion as a row view (same shapes out).

    On XLA CPU a fused float computation over an ``(N, 1)`` array runs several
    times slower than over ``(N,)``; computing from a row view behind an
    optimization barrier restores full speed. Other shapes pass unchanged.
    """
    if jnp.ndim(y_pred) == 2 and jnp.shape(y_pred)[-1] == 1 \
            and jnp.shape(y_true) == jnp.shape(y_pred):
        fenced = lax.optimization_barrier((rows(jnp.ravel(y_true)), rows(jnp.ravel(y_pred))))
        return tuple(jnp.reshape(x, jnp.shape(y_pred)) for x in fenced)
    return y_true, y_pred


def check_broadcastable(metric, argument, shape, target):
    """Raise a clear ValueError naming the metric when ``shape`` cannot broadcast to ``target``."""
    try:
        np.broadcast_shapes(tuple(shape), tuple(target))
    except ValueError:
        raise ValueError(
            f"{type(metric).__name__} {metric.name!r}: {argument} of shape {tuple(shape)} does not "
            f"broadcast to the values' shape {tuple(target)} (after Keras's squeeze-or-expand to "
            "the same rank). Pass a weight of shape (N,), (N, 1) or the values' full shape.") \
            from None


def _aligned_weight_shape(values, sample_weight):
    """Shapes of (weight, values reduced to the weight's rank) after squeeze-or-expand."""
    specs = [jax.ShapeDtypeStruct(np.shape(x), "float32") for x in (values, sample_weight)]
    values, weight = jax.eval_shape(ops.squeeze_or_expand_to_same_rank, *specs)
    return weight.shape, values.shape[:len(weight.shape)]


# -- compensated accumulators -------------------------------------------------------------------
def add_compensations(metric, names):
    """Give each named variable of ``metric`` a zero twin ``<name>_compensation`` (same shape).

    Call it after creating the variables, so Keras's variables come first in
    ``metric.variables``; then update with `accumulate`, read with `accumulated`.
    """
    for name in names:
        variable = getattr(metric, name)
        setattr(metric, f"{name}_compensation",
                metric.add_variable(variable.shape, "zeros", dtype=variable.dtype,
                                    name=f"{variable.name}_compensation"))


def accumulate(metric, name, increment):
    """``metric.<name> += increment``, Neumaier-compensated when the variable has a twin.

    The rounding error of each float addition is carried in the twin made by
    `add_compensations`, so float32 counts do not stall past 2^24.
    """
    variable = getattr(metric, name)
    twin = getattr(metric, f"{name}_compensation", None)
    if twin is None:
        variable.assign_add(increment)
        return
    total, compensation = ops.compensated_add(variable, twin, increment)
    variable.assign(total)
    twin.assign(compensation)


def accumulated(metric, name):
    """The running sum of `accumulate`: the variable plus its compensation twin, if any."""
    twin = getattr(metric, f"{name}_compensation", None)
    value = getattr(metric, name).value
    return value if twin is None else value + twin.value


# -- Sum ----------------------------------------------------------------------------------------
def _sum_initialize(name="sum", dtype=None):
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
    self.total_compensation = self.add_variable((), "zeros", dtype=self.dtype,
                                                name="total_compensation")


def _check_weight(values, sample_weight):
    if sample_weight is not None:
        check_broadcastable(self, "sample_weight", *_aligned_weight_shape(values, sample_weight))


def _sum_update_state(values, sample_weight=None):
    self._check_weight(values, sample_weight)
    total, compensation = ops.compensated_add(
        self.total, self.total_compensation, weighted_sum(values, sample_weight, self.dtype))
    self.total.assign(total)
    self.total_compensation.assign(compensation)


def _sum_result():
    return ops.cast(self.total + self.total_compensation, self.dtype)


metric_sum = Metric("Sum", initialize=_sum_initialize, update_state=_sum_update_state,
                    result=_sum_result, _check_weight=_check_weight)


# -- Mean ---------------------------------------------------------------------------------------
def _mean_initialize(name="mean", dtype=None):
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
    self.compensation = self.add_variable((2,), "zeros", dtype=self.dtype, name="compensation")


def _mean_update_state(values, sample_weight=None):
    self._check_weight(values, sample_weight)
    increment = ops.stack(weighted_total_and_count(values, sample_weight, self.dtype))
    sums, compensation = ops.compensated_add(ops.stack([self.total, self.count]),
                                             self.compensation, increment)
    self.total.assign(sums[0])
    self.count.assign(sums[1])
    self.compensation.assign(compensation)


def _mean_result():
    return ops.divide_no_nan(self.total + self.compensation[0], self.count + self.compensation[1])


metric_mean = Metric("Mean", initialize=_mean_initialize, update_state=_mean_update_state,
                     result=_mean_result, _check_weight=_check_weight)


# -- MeanMetricWrapper --------------------------------------------------------------------------
def _mmw_initialize(fn, name=None, dtype=None, **kwargs):
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
            f"{type(self).__name__}: fn must be a callable fn(y_true, y_pred); received {fn!r}.")
    if name is None and hasattr(fn, "__wrapped_metric__"):
        name = fn.__name__
    super.initialize(name=name, dtype=dtype)
    self._fn = fn
    self._fn_kwargs = kwargs


def _mmw_update_state(y_true, y_pred, sample_weight=None):
    y_true, y_pred = ops.convert_to_tensor(y_true), _float_pred(y_pred)
    values = rowwise(self._fn, y_true, y_pred, **self._fn_kwargs)
    if values is None:
        values = self._fn(*flat_column(y_true, y_pred), **self._fn_kwargs)
    super.update_state(values, sample_weight=sample_weight)


def _float_pred(y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = ops.cast(y_pred, ops.floatx())
    return y_pred


def _mmw_get_config():
    config = super.get_config()
    if type(self) is metric_mean_wrapper:
        config["fn"] = self._fn
        config.update(self._fn_kwargs)
    return config


metric_mean_wrapper = Metric(
    "MeanMetricWrapper", initialize=_mmw_initialize, update_state=_mmw_update_state,
    get_config=_mmw_get_config, inherit=metric_mean)
