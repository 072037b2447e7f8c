"""Hinge kernels: hinge, squared hinge and categorical hinge (Keras 3's loss functions).

Integer or boolean ``y_pred`` is cast to floatx first, and ``y_true``/``y_pred``
go through Keras's squeeze-or-expand rank alignment.
"""

from __future__ import annotations

import jax
from jax.typing import ArrayLike

from .. import ops
from ._common import aligned_pair, kernel_label, reduce_last_axis

__all__ = ["categorical_hinge", "hinge", "squared_hinge"]


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
    y_true, y_pred = aligned_pair(kernel_label("hinge"), y_true, y_pred)
    return reduce_last_axis(lambda t, p: ops.maximum(1.0 - _hinge_labels(t) * p, 0.0),
                            y_true, y_pred)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(max(1 - y_true * y_pred, 0)^2)``; labels mapped as in `hinge`.

    Returns:
        Array of shape ``y_pred.shape[:-1]``.
    """
    y_true, y_pred = aligned_pair(kernel_label("squared_hinge"), y_true, y_pred)
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
    y_true, y_pred = aligned_pair(kernel_label("categorical_hinge"), y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)
