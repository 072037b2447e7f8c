"""Ranking kernels on ``(batch, list_size)`` relevance and score arrays: one value per list.

Each kernel takes ``y_true`` (relevance: graded gains for `ndcg`, nonzero
is relevant for the others) and ``y_pred`` (scores) of the same shape
``(B, L)`` and returns ``(B,)`` values; the metrics average them, weighted
per list. ``k=None`` means the whole list; a ``k`` above the list size is
the list size. Items are ranked by decreasing score; `ndcg` averages the
gains of tied scores (scikit-learn's ``ignore_ties=False``), the others
break ties by position (the earlier item first).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import ops

__all__ = ["hit_rate", "mean_average_precision_at_k", "ndcg", "reciprocal_rank"]


def _lists(y_true: ArrayLike, y_pred: ArrayLike, owner: str) -> tuple[jax.Array, jax.Array]:
    """Both inputs as float ``(B, L)`` arrays (``(L,)`` is one list), shapes checked."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_pred = y_pred.astype(ops.floatx()) if not jnp.issubdtype(y_pred.dtype, jnp.floating) \
        else y_pred
    y_true = ops.cast(y_true, y_pred.dtype)
    if y_true.shape != y_pred.shape or y_pred.ndim not in (1, 2):
        raise ValueError(
            f"{owner}: y_true and y_pred must both have shape (batch, list_size); received "
            f"{y_true.shape} and {y_pred.shape}. Pass one row of relevances and one row of scores "
            "per query.")
    return jnp.atleast_2d(y_true), jnp.atleast_2d(y_pred)


def _cutoff(k: int | None, size: int) -> int:
    return size if k is None else min(k, size)


_PAIRWISE = 64  # lists up to this size rank by pairwise comparisons (XLA:CPU sorts slowly)


def _above_and_tied(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Per item, ``(B, L)`` int32: how many items of its list score higher, and tie with it.

    Pairwise (``O(L²)`` per list, fused reductions); NaN ranks below every number.
    """
    a, b = x[:, None, :], x[:, :, None]  # [.., i, j]: item j against item i
    nan_a, nan_b = jnp.isnan(a), jnp.isnan(b)
    higher = (a > b) | (nan_b & ~nan_a)
    tied = (a == b) | (nan_a & nan_b)
    return jnp.sum(higher, -1, dtype=jnp.int32), tied


def _stable_ranks(x: jax.Array) -> jax.Array:
    """0-based rank of each item by decreasing ``x``, ties by position: ``argsort``'s inverse."""
    above, tied = _above_and_tied(x)
    earlier = np.tril(np.ones((x.shape[-1],) * 2, bool), -1)  # [i, j]: j before i
    return above + jnp.sum(tied & earlier, -1, dtype=jnp.int32)


def _ranked_relevant(y_true: jax.Array, y_pred: jax.Array, k: int) -> jax.Array:
    """``y_true != 0`` of the top ``k`` items, ordered by decreasing score (stable), ``(B, k)``."""
    if y_pred.shape[-1] > _PAIRWISE:
        order = jnp.argsort(-y_pred, axis=-1, stable=True)[:, :k]
        return jnp.take_along_axis(y_true, order, axis=-1) != 0
    at = _stable_ranks(y_pred)[:, :, None] == jnp.arange(k)  # [b, item, rank]
    return jnp.any(at & (y_true != 0)[:, :, None], axis=1)


def ndcg(y_true: ArrayLike, y_pred: ArrayLike, k: int | None = None) -> jax.Array:
    """Per-list NDCG@k, as scikit-learn's ``ndcg_score`` (linear gains, ``1/log2(rank + 1)``).

    Tied scores share the mean of their positions' discounts; 0 for a list
    with no gain.
    """
    y_true, y_pred = _lists(y_true, y_pred, "metric_ndcg")
    size = y_pred.shape[-1]
    discount = np.zeros(size, np.float64)
    discount[:_cutoff(k, size)] = 1 / np.log2(np.arange(_cutoff(k, size)) + 2)
    cumulative = jnp.asarray(np.concatenate([[0.0], np.cumsum(discount)]), y_pred.dtype)
    if size > _PAIRWISE:
        ascending = jnp.sort(y_pred, axis=-1)
        search = jax.vmap(jnp.searchsorted, in_axes=(0, 0, None))
        above = size - search(ascending, y_pred, "right")
        tied = size - above - search(ascending, y_pred, "left")
        ideal = -jnp.sort(-y_true, axis=-1) * jnp.asarray(discount, y_pred.dtype)
    else:
        above, ties = _above_and_tied(y_pred)
        tied = jnp.sum(ties, -1, dtype=jnp.int32)
        ideal = y_true * jnp.asarray(discount, y_pred.dtype)[_stable_ranks(y_true)]
    gains = y_true * (cumulative[above + tied] - cumulative[above]) / tied
    return ops.divide_no_nan(jnp.sum(gains, -1), jnp.sum(ideal, -1))


def reciprocal_rank(y_true: ArrayLike, y_pred: ArrayLike, k: int | None = None) -> jax.Array:
    """Per-list ``1 / rank`` of the first relevant item within the top ``k``; 0 if none."""
    y_true, y_pred = _lists(y_true, y_pred, "metric_mean_reciprocal_rank")
    k = _cutoff(k, y_pred.shape[-1])
    relevant = _ranked_relevant(y_true, y_pred, k)
    return jnp.max(jnp.where(relevant, 1 / jnp.arange(1, k + 1, dtype=y_pred.dtype), 0), -1)


def hit_rate(y_true: ArrayLike, y_pred: ArrayLike, k: int | None = None) -> jax.Array:
    """Per-list 1 when a relevant item is within the top ``k``, else 0."""
    y_true, y_pred = _lists(y_true, y_pred, "metric_hit_rate")
    relevant = _ranked_relevant(y_true, y_pred, _cutoff(k, y_pred.shape[-1]))
    return jnp.any(relevant, -1).astype(y_pred.dtype)


def mean_average_precision_at_k(y_true: ArrayLike, y_pred: ArrayLike,
                                k: int | None = None) -> jax.Array:
    """Per-list AP@k: ``Σ_{i<=k} P@i·rel_i / min(k, R)``, ``R`` relevant items (0 if ``R = 0``)."""
    y_true, y_pred = _lists(y_true, y_pred, "metric_mean_average_precision_at_k")
    k = _cutoff(k, y_pred.shape[-1])
    relevant = _ranked_relevant(y_true, y_pred, k).astype(y_pred.dtype)
    precision = jnp.cumsum(relevant, -1) / jnp.arange(1, k + 1, dtype=y_pred.dtype)
    total = jnp.minimum(jnp.sum(y_true != 0, -1), k).astype(y_pred.dtype)
    return ops.divide_no_nan(jnp.sum(precision * relevant, -1), total)
