"""Shared pieces of the kernels: message labels, input checks, rank alignment, weighted sums.

Every error message starts with a label saying who raised it, in one of two
formats, each made by one helper here: `kernel_label` for a kernel
(``"metric_<kernel>"``) and `metric_label` for a metric instance
(``"<ClassName> '<name>'"``). Checks read shapes only (never array values),
so they run at trace time and cost nothing per call.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, TypeGuard

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from .. import ops
from ._rowwise import rows

__all__ = [
    "aligned_pair", "aligned_shapes", "aligned_weight_shape", "check_broadcast",
    "check_class_ids", "check_min_rank", "check_pair", "flat_column", "float_pair", "float_pred",
    "is_int", "kernel_label", "metric_label", "reduce_last_axis", "samplewise_values",
    "weighted_sum", "weighted_total_and_count",
]

_EQUAL_SHAPES = "Expected equal shapes, e.g. both (batch_size, d)."
_MATCHING_BATCH = "Pass arrays of matching batch shape."


# -- message labels -----------------------------------------------------------------------------
def kernel_label(kernel: str, keras_class: str | None = None) -> str:
    """The label of a kernel's messages: ``"metric_<kernel>"`` (the builtin's name).

    Validation messages (`check_class_ids`) also name the Keras class,
    ``"metric_<kernel> (<KerasClass>)"``: they surface from a metric's
    compiled update, after the kernel's own call is gone.
    """
    return f"metric_{kernel}" if keras_class is None else f"metric_{kernel} ({keras_class})"


def metric_label(metric: Any) -> str:
    """The label of a metric instance's messages: ``"<ClassName> '<name>'"``.

    Before the base constructor has run (no ``name`` yet), just the class name.
    """
    name = getattr(metric, "name", None)
    cls = type(metric).__name__
    return cls if name is None else f"{cls} {name!r}"


# -- input checks (static: shapes, dtypes, Python values) ---------------------------------------
def is_int(value: Any) -> TypeGuard[int]:
    """A Python or numpy integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_broadcast(label: str, first: str, first_shape: tuple, second: str,
                    second_shape: tuple, hint: str = _MATCHING_BATCH) -> None:
    """Raise a ``ValueError`` starting with ``label`` unless the two shapes broadcast together.

    Both shapes are the ones after Keras's rank alignment (a trailing size-1
    axis squeezed or added); ``hint`` says how to fix the call.
    """
    try:
        np.broadcast_shapes(tuple(first_shape), tuple(second_shape))
    except ValueError:
        raise ValueError(
            f"{label}: {first} of shape {tuple(first_shape)} does not broadcast with {second} of "
            f"shape {tuple(second_shape)} (after squeezing or expanding a trailing size-1 axis "
            f"to the same rank). {hint}") from None


def check_min_rank(label: str, argument: str, shape: tuple, rank: int) -> None:
    """Raise a ``ValueError`` starting with ``label`` if ``shape`` has fewer than ``rank`` axes."""
    if len(shape) < rank:
        raise ValueError(
            f"{label}: {argument} must have at least {rank} axis(es) (the last one indexing "
            f"classes or the values of one sample); received shape {tuple(shape)}.")


def check_class_ids(label: str, argument: str, labels: ArrayLike, num_classes: int,
                    ignore_class: int | None = None) -> None:
    """Under validation: ``labels`` are whole numbers in ``[0, num_classes)`` (or ``ignore_class``).

    A no-op unless the metric's ``validate`` is set (see `ops.check`).
    """
    def valid():
        ids = ops.convert_to_tensor(labels)
        ok = (ids >= 0) & (ids < num_classes) & (ids == jnp.floor(ids))
        return ok if ignore_class is None else ok | (ids == ignore_class)

    ops.check(valid, f"{label}: {argument} holds class ids outside [0, {num_classes}) or not "
                     "whole numbers")


# -- input conversion and rank alignment --------------------------------------------------------
def float_pred(y_pred: ArrayLike) -> jax.Array:
    """``y_pred`` as an array; integer and boolean predictions cast to floatx."""
    y_pred = ops.convert_to_tensor(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = ops.cast(y_pred, ops.floatx())
    return y_pred


def float_pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """`float_pred` of ``y_pred``, and ``y_true`` cast to its dtype."""
    y_pred = float_pred(y_pred)
    return ops.cast(y_true, y_pred.dtype), y_pred


def aligned_shapes(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[tuple, tuple]:
    """The shapes of ``y_true``, ``y_pred`` after Keras's rank alignment (no data touched)."""
    specs = [jax.ShapeDtypeStruct(ops.shape(x), "float32") for x in (y_true, y_pred)]
    true_spec, pred_spec = jax.eval_shape(ops.squeeze_or_expand_to_same_rank, *specs)
    return true_spec.shape, pred_spec.shape


def aligned_pair(label: str, y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """`float_pair` brought to the same rank as Keras does, with a broadcast check."""
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(*float_pair(y_true, y_pred))
    check_broadcast(label, "y_pred", y_pred.shape, "y_true", y_true.shape, _EQUAL_SHAPES)
    return y_true, y_pred


def aligned_weight_shape(values: ArrayLike, sample_weight: ArrayLike) -> tuple[tuple, tuple]:
    """Shapes of (weight, values reduced to the weight's rank) after squeeze-or-expand."""
    specs = [jax.ShapeDtypeStruct(np.shape(x), "float32") for x in (values, sample_weight)]
    values_spec, weight_spec = jax.eval_shape(ops.squeeze_or_expand_to_same_rank, *specs)
    return weight_spec.shape, values_spec.shape[:len(weight_spec.shape)]


# -- per-sample values and weighted sums --------------------------------------------------------
def _reduce_from(x: jax.Array, start: int, reduce_fn: Callable) -> jax.Array:
    """``x`` reduced over its axes from ``start`` on; a reshape when they all have size 1."""
    axes = tuple(range(start, jnp.ndim(x)))
    if all(x.shape[a] == 1 for a in axes):
        return jnp.reshape(x, x.shape[:start])
    return reduce_fn(x, axis=axes)


def samplewise_values(values: ArrayLike, sample_weight: ArrayLike | None, reduce_fn: Callable,
                      dtype: Any) -> tuple[jax.Array, jax.Array | None]:
    """Keras's ``reduce_to_samplewise_values``: per-sample values and weights.

    ``values`` is cast to ``dtype``; with a ``sample_weight``, both are brought
    to the same rank (Keras's squeeze-or-expand), ``values`` is reduced over
    the axes the weight lacks, weighted, and the weight reduced to per-sample.
    Finally the values are reduced to one per sample. Trailing size-1 axes are
    reshaped away and the weighting runs on a flat row view (`rows`): the
    same values, without XLA CPU's slow ``(N, 1)`` loops.

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


def weighted_sum(values: ArrayLike, sample_weight: ArrayLike | None, dtype: Any) -> jax.Array:
    """``Σ values·weight`` of one batch (Keras Sum's increment)."""
    values, _ = samplewise_values(values, sample_weight, jnp.sum, dtype)
    return jnp.sum(rows(values))


def weighted_total_and_count(values: ArrayLike, sample_weight: ArrayLike | None,
                             dtype: Any) -> tuple[jax.Array, jax.Array]:
    """Keras Mean's increments: ``(Σ v·w, Σ w)``; the count is N (or 1 for a scalar) unweighted."""
    values, sample_weight = samplewise_values(values, sample_weight, jnp.mean, dtype)
    if sample_weight is not None:
        count = jnp.sum(rows(sample_weight))
    else:
        count = jnp.asarray(values.shape[0] if values.ndim else 1, dtype)
    return jnp.sum(rows(values)), count


def reduce_last_axis(fn: Callable, y_true: jax.Array, y_pred: jax.Array,
                     reduce: Callable = jnp.mean) -> jax.Array:
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


def flat_column(y_true: jax.Array, y_pred: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Keras-shaped ``(N, 1)`` inputs fenced from XLA fusion as a row view (same shapes out).

    On XLA CPU a fused float computation over an ``(N, 1)`` array runs several
    times slower than over ``(N,)``; computing from a row view behind an
    optimization barrier restores full speed. Other shapes pass unchanged.
    """
    if jnp.ndim(y_pred) == 2 and jnp.shape(y_pred)[-1] == 1 \
            and jnp.shape(y_true) == jnp.shape(y_pred):
        true_rows, pred_rows = lax.optimization_barrier((rows(jnp.ravel(y_true)),
                                                         rows(jnp.ravel(y_pred))))
        return jnp.reshape(true_rows, jnp.shape(y_pred)), jnp.reshape(pred_rows, jnp.shape(y_pred))
    return y_true, y_pred


def check_pair(label: str, y_true: ArrayLike, y_pred: ArrayLike) -> None:
    """Raise unless ``y_true`` and ``y_pred`` broadcast after Keras's rank alignment (by shape)."""
    true_shape, pred_shape = aligned_shapes(y_true, y_pred)
    check_broadcast(label, "y_pred", pred_shape, "y_true", true_shape, _EQUAL_SHAPES)
