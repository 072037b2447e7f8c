"""Ranking: `metric_ndcg`, `metric_mean_reciprocal_rank`, `metric_hit_rate`,
`metric_mean_average_precision_at_k`.

Inputs are ``(batch, list_size)`` arrays: ``y_true`` the relevance of each
item (graded gains for NDCG; nonzero is relevant for the others) and
``y_pred`` its score. Each metric is a weighted mean (`metric_mean_wrapper`)
over lists of a per-list kernel of `metricdsl.functional.ranking`;
``sample_weight`` weights lists (``(batch,)``). ``k`` above the list size is
the list size. Every metric here has ``higher_is_better = True``.
"""

from __future__ import annotations

from typing import Any

from ..factory import Metric
from ..functional import check_int, hit_rate, mean_average_precision_at_k, ndcg, reciprocal_rank
from ..functional._common import metric_label
from ..functional.numbers import Integral
from .reduction import metric_mean_wrapper

__all__ = ["metric_hit_rate", "metric_mean_average_precision_at_k", "metric_mean_reciprocal_rank",
           "metric_ndcg"]


def _ndcg_initialize(k: Integral | None = None, name: str | None = "ndcg", dtype: Any = None):
    """Normalized discounted cumulative gain at ``k``, as scikit-learn's ``ndcg_score``.

    Per list ``DCG@k / IDCG@k`` with linear gains ``y_true`` and discounts
    ``1/log2(rank + 1)``; tied scores share their positions' mean discount;
    a list with no gain scores 0. Averaged over lists, weighted by ``sample_weight``.

    Args:
        k: Rank cut-off (an integer >= 1), or ``None`` for the whole list.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``k < 1``.

    Example:
        >>> m = metric_ndcg()
        >>> m.update_state([[10, 0, 0, 1, 5]], [[0.1, 0.2, 0.3, 4, 70]])
        >>> round(float(m.result()), 6)
        0.695694
    """
    self.k = check_int(metric_label(self), "k", k, 1)
    super.initialize(fn=ndcg, name=name, dtype=dtype, k=k)


metric_ndcg = Metric("NDCG", initialize=_ndcg_initialize, inherit=metric_mean_wrapper,
                     higher_is_better=True)


def _mrr_initialize(k: Integral | None = None, name: str | None = "mean_reciprocal_rank",
                    dtype: Any = None):
    """Mean reciprocal rank: per list ``1 / rank`` of the first relevant item (0 if none by ``k``).

    Ties in ``y_pred`` are broken by position (the earlier item ranks first).

    Args:
        k: Rank cut-off (an integer >= 1), or ``None`` for the whole list.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``k < 1``.

    Example:
        >>> m = metric_mean_reciprocal_rank()
        >>> m.update_state([[0, 1, 0], [1, 0, 0]], [[0.9, 0.5, 0.1], [0.2, 0.3, 0.1]])
        >>> float(m.result())
        0.5
    """
    self.k = check_int(metric_label(self), "k", k, 1)
    super.initialize(fn=reciprocal_rank, name=name, dtype=dtype, k=k)


metric_mean_reciprocal_rank = Metric(
    "MeanReciprocalRank", initialize=_mrr_initialize, inherit=metric_mean_wrapper,
    higher_is_better=True)


def _hit_rate_initialize(k: Integral, name: str | None = "hit_rate", dtype: Any = None):
    """Hit rate at ``k``: the weighted share of lists with a relevant item in their top ``k``.

    Ties in ``y_pred`` are broken by position (the earlier item ranks first).

    Args:
        k: Rank cut-off (an integer >= 1).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``k`` that is not an integer >= 1.

    Example:
        >>> m = metric_hit_rate(1)
        >>> m.update_state([[0, 1, 0], [1, 0, 0]], [[0.9, 0.5, 0.1], [0.2, 0.3, 0.1]])
        >>> float(m.result())
        0.0
    """
    self.k = check_int(metric_label(self), "k", k, 1, none_ok=False)
    super.initialize(fn=hit_rate, name=name, dtype=dtype, k=k)


metric_hit_rate = Metric("HitRate", initialize=_hit_rate_initialize, inherit=metric_mean_wrapper,
                         higher_is_better=True)


def _map_initialize(k: Integral, name: str | None = "mean_average_precision_at_k",
                    dtype: Any = None):
    """Mean average precision at ``k``: per list ``Σ_{i<=k} P@i·rel_i / min(k, R)``.

    ``R`` is the list's number of relevant items (nonzero ``y_true``); a list
    with none scores 0. Ties in ``y_pred`` are broken by position.

    Args:
        k: Rank cut-off (an integer >= 1).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``k`` that is not an integer >= 1.

    Example:
        >>> m = metric_mean_average_precision_at_k(3)
        >>> m.update_state([[1, 0, 1, 0]], [[0.9, 0.8, 0.7, 0.1]])
        >>> round(float(m.result()), 6)
        0.833333
    """
    self.k = check_int(metric_label(self), "k", k, 1, none_ok=False)
    super.initialize(fn=mean_average_precision_at_k, name=name, dtype=dtype, k=k)


metric_mean_average_precision_at_k = Metric(
    "MeanAveragePrecisionAtK", initialize=_map_initialize, inherit=metric_mean_wrapper,
    higher_is_better=True)
