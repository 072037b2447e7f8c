"""The ranking kernels against scikit-learn's ``ndcg_score`` and numpy definitions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from metricdsl import functional as F


def _ranked(y_true, y_pred, k):
    """Relevance (nonzero) of each list's top-k items by decreasing score, ties by position."""
    order = np.argsort(-y_pred, axis=-1, kind="stable")[:, :k]
    return np.take_along_axis(y_true, order, axis=-1) != 0


def _references(y_true, y_pred, k):
    k = y_pred.shape[1] if k is None else min(k, y_pred.shape[1])
    rel = _ranked(y_true, y_pred, k)
    ranks = np.arange(1, k + 1)
    rr = np.array([1 / ranks[r][0] if r.any() else 0.0 for r in rel])
    hit = rel.any(-1).astype(float)
    precision = np.cumsum(rel, -1) / ranks
    total = np.minimum((y_true != 0).sum(-1), k)
    ap = np.where(total > 0, (precision * rel).sum(-1) / np.maximum(total, 1), 0.0)
    return rr, hit, ap


@settings(max_examples=4)  # each example compiles its own shapes
@given(seed=st.integers(0, 2**16), batch=st.integers(1, 6), size=st.integers(2, 12),
       k=st.sampled_from([None, 1, 3, 20]), ties=st.booleans())
def test_ranking_kernels_match_references(seed, batch, size, k, ties):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, (batch, size)).astype("float32")
    y_pred = rng.uniform(size=(batch, size)).astype("float32")
    if ties:
        y_pred = np.round(y_pred * 3).astype("float32")
    want = [ndcg_score(y_true[i:i + 1], y_pred[i:i + 1], k=k) for i in range(batch)]
    np.testing.assert_allclose(F.ndcg(y_true, y_pred, k), want, rtol=1e-5, atol=1e-7)
    rr, hit, ap = _references(y_true, y_pred, k)
    np.testing.assert_allclose(F.reciprocal_rank(y_true, y_pred, k), rr, rtol=1e-6)
    np.testing.assert_allclose(F.hit_rate(y_true, y_pred, k), hit)
    np.testing.assert_allclose(F.mean_average_precision_at_k(y_true, y_pred, k), ap, rtol=1e-6)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"metric_ndcg: y_true and y_pred must both have shape"):
        F.ndcg(np.zeros((2, 3)), np.zeros((2, 4)))


@pytest.mark.parametrize("size", [16, 80])  # ranked pairwise, and (over 64 items) by sorting
def test_both_ranking_routes_match_references_with_ties(size, rng):
    y_true = rng.integers(0, 4, (5, size)).astype("float32")
    y_pred = np.round(rng.uniform(size=(5, size)) * 4).astype("float32")  # many ties
    for k in (None, 3):
        want = [ndcg_score(y_true[i:i + 1], y_pred[i:i + 1], k=k) for i in range(5)]
        np.testing.assert_allclose(F.ndcg(y_true, y_pred, k), want, rtol=1e-5, atol=1e-7)
        rr, hit, ap = _references(y_true, y_pred, k)
        np.testing.assert_allclose(F.reciprocal_rank(y_true, y_pred, k), rr, rtol=1e-6)
        np.testing.assert_allclose(F.hit_rate(y_true, y_pred, k), hit)
        np.testing.assert_allclose(F.mean_average_precision_at_k(y_true, y_pred, k), ap,
                                   rtol=1e-6)


def test_pairwise_ranks_are_the_stable_argsort_nan_last():
    from metricdsl.functional.ranking import _stable_ranks

    x = np.array([[0.5, np.nan, 0.5, 2.0, -np.inf, np.nan, 0.1]], "float32")
    order = np.argsort(-x, axis=-1, kind="stable")  # numpy sorts NaN last
    np.testing.assert_array_equal(_stable_ranks(x), np.argsort(order, axis=-1))
