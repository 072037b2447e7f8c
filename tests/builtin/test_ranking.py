"""The ranking metrics: weighted means over lists, streamed, merged and jitted."""

import jax
import numpy as np
import pytest
from sklearn.metrics import ndcg_score

import metricdsl as md

B, L = 12, 6
_rng = np.random.default_rng(13)
Y = _rng.integers(0, 3, (B, L)).astype("float32")
S = _rng.uniform(size=(B, L)).astype("float32")
W = _rng.uniform(0.1, 2.0, B).astype("float32")


def _top(k):
    order = np.argsort(-S, axis=-1, kind="stable")[:, :k]
    return np.take_along_axis(Y, order, axis=-1) != 0


CASES = {
    "ndcg": (lambda: md.metric_ndcg(k=4), lambda w: ndcg_score(Y, S, k=4, sample_weight=w)),
    "mrr": (md.metric_mean_reciprocal_rank,
            lambda w: np.average([1 / (np.argmax(r) + 1) if r.any() else 0 for r in _top(L)],
                                 weights=w)),
    "hit_rate": (lambda: md.metric_hit_rate(2),
                 lambda w: np.average(_top(2).any(-1), weights=w)),
    "map": (lambda: md.metric_mean_average_precision_at_k(3),
            lambda w: np.average(
                [np.sum(np.cumsum(r) / np.arange(1, 4) * r) / min(3, (y != 0).sum())
                 if (y != 0).any() else 0 for r, y in zip(_top(3), Y)], weights=w)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_streamed_merged_and_jitted_equal_reference(case):
    make, reference = CASES[case]
    want = reference(W)
    streamed = make()
    for part in (slice(0, 5), slice(5, B)):
        streamed.update_state(Y[part], S[part], sample_weight=W[part])
    np.testing.assert_allclose(streamed.result(), want, rtol=1e-5)
    shards = [make(), make()]
    for shard, part in zip(shards, (slice(0, 7), slice(7, B))):
        shard.update_state(Y[part], S[part], sample_weight=W[part])
    shards[0].merge_state(shards[1:])
    np.testing.assert_allclose(shards[0].result(), want, rtol=1e-5)
    metric = make()
    state = jax.jit(metric.stateless_update_state)(metric.stateless_reset_state(), Y, S,
                                                   sample_weight=W)
    np.testing.assert_allclose(jax.jit(metric.stateless_result)(state), want, rtol=1e-5)


def test_k_checks_and_aliases():
    with pytest.raises(ValueError, match=r"HitRate: Argument `k` must be an integer > 0"):
        md.metric_hit_rate(0)
    with pytest.raises(TypeError, match="missing a required argument: 'k'"):
        md.metric_mean_average_precision_at_k()
    collection = md.compile_metrics(["ndcg", "mrr"])
    collection.update_state(Y, S)
    np.testing.assert_allclose(collection.result()["ndcg"], ndcg_score(Y, S), rtol=1e-5)
