"""Hinge metrics: hinge, squared hinge and categorical hinge.

Per-sample kernels follow Keras 3's loss functions. Deliberate differences:
integer or boolean ``y_pred`` is cast to floatx first, and ``y_true``/``y_pred``
go through Keras's squeeze-or-expand rank alignment (Keras's hinge functions
skip it, so ``y_true`` of shape ``(N,)`` against ``y_pred`` of shape ``(N, 1)``
silently broadcast to ``(N, N)`` there).
"""

from __future__ import annotations

import jax
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric
from .reduction import metric_mean_wrapper, reduce_last_axis
from .regression import _aligned_pair, _checked_update_state

__all__ = ["metric_categorical_hinge", "metric_hinge", "metric_squared_hinge"]


def _hinge_labels(y_true: jax.Array) -> jax.Array:
    """Map labels to ``{-1, 1}`` (``2y - 1``) when every label is 0 or 1; else keep them."""
    is_binary = ops.all(ops.logical_or(y_true == 0, y_true == 1))
    return ops.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(max(1 - y_true * y_pred, 0))`` over the last axis.

    Labels are expected in ``{-1, 1}``; when all of them are in ``{0, 1}`` they
    are mapped to ``{-1, 1}`` first.

    Args:
        y_true: Labels, shape ``(N, ..., d)``.
        y_pred: Scores, same shape.

    Returns:
        Array of shape ``(N, ...)``.
    """
    y_true, y_pred = _aligned_pair("hinge", y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.maximum(1.0 - _hinge_labels(t) * p, 0.0),
                            y_true, y_pred)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(max(1 - y_true * y_pred, 0)^2)``; labels mapped as in `hinge`.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = _aligned_pair("squared_hinge", y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.square(ops.maximum(1.0 - _hinge_labels(t) * p, 0.0)),
                            y_true, y_pred)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` (last axis).

    Args:
        y_true: One-hot labels, shape ``(N, ..., C)``.
        y_pred: Scores, same shape.

    Returns:
        Array of shape ``(N, ...)``.
    """
    y_true, y_pred = _aligned_pair("categorical_hinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


def _hinge_initialize(name="hinge", dtype=None):
    """Hinge: weighted mean of ``mean(max(1 - y_true * y_pred, 0), axis=-1)``.

    Labels are expected in ``{-1, 1}``; a batch whose labels are all 0 or 1
    is mapped to ``{-1, 1}`` first. Called with ``y_true, y_pred`` it returns
    the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_hinge()
        >>> m.update_state([[0, 1, 0, 1], [0, 0, 1, 1]],
        ...                [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]])
        >>> round(float(m.result()), 5)
        0.50625
    """
    super.initialize(fn=hinge, name=name, dtype=dtype)


metric_hinge = Metric(
    "Hinge", initialize=_hinge_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, functional=hinge, _direction="down")


def _squared_hinge_initialize(name="squared_hinge", dtype=None):
    """Squared hinge: weighted mean of ``mean(max(1 - y_true * y_pred, 0)^2, axis=-1)``.

    Labels as in `metric_hinge`. Called with ``y_true, y_pred`` it returns
    the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_squared_hinge()
        >>> m.update_state([[-1, 1, -1, 1], [-1, -1, 1, 1]],
        ...                [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]],
        ...                sample_weight=[1.5, 2.0])
        >>> round(float(m.result()), 5)
        0.34679
    """
    super.initialize(fn=squared_hinge, name=name, dtype=dtype)


metric_squared_hinge = Metric(
    "SquaredHinge", initialize=_squared_hinge_initialize, update_state=_checked_update_state,
    inherit=metric_mean_wrapper, functional=squared_hinge, _direction="down")


def _categorical_hinge_initialize(name="categorical_hinge", dtype=None):
    """Categorical hinge: weighted mean of ``max(max((1 - y) ŷ) - sum(y ŷ) + 1, 0)`` per sample.

    ``y_true`` is one-hot over the last axis. Called with ``y_true, y_pred``
    it returns the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_categorical_hinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 5)
        1.4
    """
    super.initialize(fn=categorical_hinge, name=name, dtype=dtype)


metric_categorical_hinge = Metric(
    "CategoricalHinge", initialize=_categorical_hinge_initialize,
    update_state=_checked_update_state, inherit=metric_mean_wrapper,
    functional=categorical_hinge, _direction="down")
