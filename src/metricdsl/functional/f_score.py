"""F-score kernels: a batch's weighted counts per class, and F-beta from accumulated counts."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .. import ops

__all__ = ["fbeta_counts", "fbeta_from_counts", "fbeta_predictions"]


def fbeta_predictions(y_pred: jax.Array, threshold: float | None) -> jax.Array:
    """Boolean predictions: ``y_pred > threshold``, or (``threshold=None``) the row maximum.

    In argmax mode every entry equal to its row's maximum is predicted (ties
    all count) unless that maximum is 0 (``|max| <= 1e-9``): an all-zero row
    predicts nothing.
    """
    if threshold is None:
        row_max = jnp.max(y_pred, axis=-1, keepdims=True)
        return jnp.logical_and(y_pred >= row_max, jnp.abs(y_pred) > 1e-9)
    return y_pred > threshold


def _weight_to_rank_2(sample_weight: jax.Array) -> jax.Array:
    """A rank-1 weight ``(N,)`` becomes ``(N, 1)``; scalars and 2-D weights are unchanged."""
    return sample_weight[:, None] if sample_weight.ndim == 1 else sample_weight


def fbeta_counts(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None,
                 threshold: float | None, axis: int | None,
                 dtype: Any) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """One batch's weighted ``(tp, fp, fn, support)`` summed over ``axis`` (``None``: all).

    With ``ŷ = fbeta_predictions(y_pred, threshold)`` and weight ``w`` (1 when
    absent; ``(N,)`` acts as ``(N, 1)``): ``tp = Σ w·ŷ·y``, ``fp = Σ w·ŷ·(1-y)``,
    ``fn = Σ w·(1-ŷ)·y``, ``support = Σ w·y``. Inputs are cast to ``dtype``
    first, as Keras does.

    Returns:
        Four arrays of shape ``(C,)`` for ``axis=0``, scalars for ``axis=None``.
    """
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    predicted = ops.cast(fbeta_predictions(y_pred, threshold), dtype)
    y_true = jnp.broadcast_to(y_true, jnp.broadcast_shapes(y_true.shape, predicted.shape))
    if sample_weight is not None:
        weight = _weight_to_rank_2(ops.cast(sample_weight, dtype))
        predicted_w, support_w = predicted * weight, y_true * weight
    else:
        predicted_w, support_w = predicted, y_true
    tp = jnp.sum(predicted * support_w, axis=axis)
    support = jnp.sum(support_w, axis=axis)
    return tp, jnp.sum(predicted_w, axis=axis) - tp, support - tp, support


def fbeta_from_counts(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, support: ArrayLike,
                      beta: float, average: str | None) -> jax.Array:
    """Keras's F-beta from accumulated counts, with its ``eps = 1e-7`` smoothing.

    ``p = tp/(tp+fp+eps)``, ``r = tp/(tp+fn+eps)``,
    ``f = (1+β²)·p·r/(β²·p + r + eps)``; ``"weighted"`` returns
    ``Σ f·support/(Σ support + eps)``, ``"micro"``/``"macro"`` the mean of ``f``,
    ``None`` the per-class vector.
    """
    tp, fp, fn, support = (jnp.asarray(ops.unwrap(x)) for x in (tp, fp, fn, support))
    precision = tp / (tp + fp + ops.EPSILON)
    recall = tp / (tp + fn + ops.EPSILON)
    b2 = beta**2
    score = (precision * recall) / ((b2 * precision) + recall + ops.EPSILON) * (1 + b2)
    if average == "weighted":
        return jnp.sum(score * (support / (jnp.sum(support) + ops.EPSILON)))
    if average is not None:
        return jnp.mean(score)
    return score
