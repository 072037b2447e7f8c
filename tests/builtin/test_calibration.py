"""Brier score, ECE, average precision and explained variance: streamed, merged, jitted."""

import jax
import numpy as np
import pytest
from sklearn import metrics as skm

import metricdsl as md

N = 40
_rng = np.random.default_rng(9)
Y_BIN = _rng.integers(0, 2, N)
P_BIN = _rng.uniform(size=N).astype("float32")
W = _rng.uniform(0.1, 2.0, N).astype("float32")
Y_REG = _rng.normal(size=(N, 2)).astype("float32")
P_REG = (Y_REG + _rng.normal(scale=0.4, size=(N, 2))).astype("float32")


def _ece_l1(y, p, w, bins):
    index = np.minimum(np.floor(p * np.float32(bins)), bins - 1).astype(int)
    n = np.bincount(index, w, bins)
    return np.sum(np.abs(np.bincount(index, w * y, bins) - np.bincount(index, w * p, bins))) \
        / n.sum()


def _bucketed_ap(w):
    grid = np.asarray([-1e-7, *md.functional.evenly_spaced_thresholds(200)[1:-1], 1 + 1e-7],
                      "float32")
    bucket = np.sum(P_BIN[:, None] > grid[None, :], axis=1)
    return skm.average_precision_score(Y_BIN, bucket, sample_weight=w)


CASES = {
    "brier": (md.metric_brier_score, (Y_BIN, P_BIN),
              lambda w: skm.brier_score_loss(Y_BIN, P_BIN, sample_weight=w)),
    "ece": (lambda: md.metric_expected_calibration_error(num_bins=10), (Y_BIN, P_BIN),
            lambda w: _ece_l1(Y_BIN, P_BIN, w, 10)),
    "average_precision": (md.metric_average_precision, (Y_BIN, P_BIN), _bucketed_ap),
    "explained_variance": (lambda: md.metric_explained_variance("variance_weighted"),
                           (Y_REG, P_REG),
                           lambda w: skm.explained_variance_score(
                               Y_REG, P_REG, sample_weight=w, multioutput="variance_weighted")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_streamed_merged_and_jitted_equal_reference(case):
    make, (y_true, y_pred), reference = CASES[case]
    want = reference(W)
    streamed = make()
    for part in (slice(0, 13), slice(13, 14), slice(14, N)):
        streamed.update_state(y_true[part], y_pred[part], sample_weight=W[part])
    np.testing.assert_allclose(streamed.result(), want, rtol=1e-5)
    shards = [make(), make()]
    for shard, part in zip(shards, (slice(0, N // 2), slice(N // 2, N))):
        shard.update_state(y_true[part], y_pred[part], sample_weight=W[part])
    shards[0].merge_state(shards[1:])
    np.testing.assert_allclose(shards[0].result(), streamed.result(), rtol=1e-6)
    metric = make()
    if not metric.built:
        metric.build(y_true, y_pred)
    state = jax.jit(metric.stateless_update_state)(metric.stateless_reset_state(), y_true, y_pred,
                                                   sample_weight=W)
    np.testing.assert_allclose(jax.jit(metric.stateless_result)(state), want, rtol=1e-5)


def test_multiclass_brier_and_ece_and_norms():
    y = _rng.integers(0, 3, N)
    p = _rng.dirichlet(np.ones(3), N).astype("float32")
    brier = md.metric_brier_score()
    brier.update_state(np.eye(3)[y], p)
    np.testing.assert_allclose(brier.result(), skm.brier_score_loss(y, p), rtol=1e-5)
    ece = md.metric_expected_calibration_error(num_bins=5, norm="max")
    ece.update_state(y, p)
    conf, acc = p.max(-1), (p.argmax(-1) == y).astype("float32")
    index = np.minimum(np.floor(conf * np.float32(5)), 4).astype(int)
    gaps = [abs(acc[index == b].mean() - conf[index == b].mean()) for b in set(index)]
    np.testing.assert_allclose(ece.result(), max(gaps), rtol=1e-5)
    assert float(md.metric_expected_calibration_error().result()) == 0.0


@pytest.mark.parametrize("make, message", [
    (lambda: md.metric_expected_calibration_error(num_bins=0), r"Argument `num_bins`"),
    (lambda: md.metric_expected_calibration_error(norm="l3"), r"`norm`"),
    (lambda: md.metric_average_precision(num_thresholds=1), r"Argument `num_thresholds`"),
    (lambda: md.metric_explained_variance("weighted"), r"ExplainedVariance: .*`multioutput`"),
])
def test_bad_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_compile_aliases():
    collection = md.compile_metrics(["brier", "ece", "ap"])
    collection.update_state(Y_BIN, P_BIN)
    assert set(collection.result()) == {"brier", "ece", "ap"}
