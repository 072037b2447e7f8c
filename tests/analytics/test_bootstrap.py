"""md.bootstrap: Poisson weights, point estimate, replicates, reproducibility, coverage, errors."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from sklearn.metrics import explained_variance_score, f1_score, roc_auc_score

import metricdsl as md
from metricdsl.analytics.poisson import MAX_WEIGHT, poisson_weights, replicate_keys

_draw = jax.jit(poisson_weights, static_argnums=2)


def _weights(seed, replicates, positions):
    keys = jnp.asarray(replicate_keys(seed, replicates))
    return np.asarray(_draw(keys, jnp.asarray(positions, jnp.uint32), "float32"))


def test_weights_follow_poisson_one():
    w = _weights(0, 64, np.arange(8192)).astype(int)
    observed = np.bincount(w.ravel(), minlength=8)[:8]
    expected = scipy.stats.poisson.pmf(np.arange(8), 1.0) * w.size
    chi2 = ((observed[:7] - expected[:7]) ** 2 / expected[:7]).sum()
    assert chi2 < scipy.stats.chi2.ppf(0.999, 6)
    assert abs(w.mean() - 1) < 0.01 and abs(w.var() - 1) < 0.02
    corr = np.corrcoef(w) - np.eye(64)  # replicates are uncorrelated
    assert np.abs(corr).max() < 5 / math.sqrt(w.shape[1])


def test_weight_table_stops_where_the_tail_is_below_1e_12():
    assert scipy.stats.poisson.sf(MAX_WEIGHT, 1.0) < 1e-12 < scipy.stats.poisson.sf(
        MAX_WEIGHT - 1, 1.0)
    assert _weights(3, 8, np.arange(4096)).max() <= MAX_WEIGHT


def test_weights_depend_on_position_seed_and_replicate_only():
    a = _weights(7, 16, np.arange(100, 300))
    b = _weights(7, 16, np.arange(0, 400))[:, 100:300]
    np.testing.assert_array_equal(a, b)
    for other in (_weights(8, 16, np.arange(100, 300)), _weights(7 + 2 ** 32, 16,
                                                                 np.arange(100, 300))):
        assert np.mean(a == other) < 0.5  # about 0.3 for independent Poisson(1) draws


@pytest.fixture
def binary(rng):
    y_true = rng.integers(0, 2, 600).astype("float32")
    y_pred = np.clip(0.3 * y_true + rng.uniform(size=600) * 0.7, 0, 1).astype("float32")
    return y_true, y_pred


def test_value_is_the_metric_and_replicates_are_reweighted_metrics(binary):
    y_true, y_pred = binary
    m = md.bootstrap(md.metric_auc(), num_samples=20, seed=5)
    m.update_state(y_true, y_pred)
    out = m.result(all_samples=True)
    plain = md.metric_auc()
    plain.update_state(y_true, y_pred)
    assert float(out["value"]) == float(plain.result())
    assert abs(float(out["value"]) - roc_auc_score(y_true, y_pred)) < 2e-3  # 200 thresholds
    weights = _weights(5, 20, np.arange(600))
    for r in (0, 7, 19):  # replicate r is AUC with sample_weight = its Poisson weights
        ref = roc_auc_score(y_true, y_pred, sample_weight=weights[r])
        assert abs(float(out["samples"][r]) - ref) < 3e-3
    tail = np.quantile(np.asarray(out["samples"]), [0.025, 0.975])
    np.testing.assert_allclose([out["low"], out["high"]], tail, rtol=1e-6)
    assert set(m.result()) == {"value", "low", "high"}


def test_replicates_of_a_weighted_mean_match_numpy(binary):
    y_true, y_pred = binary
    w = np.linspace(0.5, 2.0, 600).astype("float32")
    m = md.bootstrap(md.metric_mean_squared_error(), num_samples=8, seed=1)
    m.update_state(y_true[:, None], y_pred[:, None], sample_weight=w)  # (N, 1): N samples
    p = _weights(1, 8, np.arange(600)) * w
    ref = ((y_true - y_pred) ** 2 * p).sum(1) / p.sum(1)
    np.testing.assert_allclose(m.result(all_samples=True)["samples"], ref, rtol=1e-5)


def test_split_batches_give_the_same_replicates_bit_for_bit(binary):
    y_true, y_pred = binary
    whole = md.bootstrap(md.metric_binary_accuracy(), num_samples=50, seed=2)
    whole.update_state(y_true, y_pred)
    split = md.bootstrap(md.metric_binary_accuracy(), num_samples=50, seed=2)
    for part in np.split(np.arange(600), [100, 350]):
        split.update_state(y_true[part], y_pred[part])
    np.testing.assert_array_equal(whole.result(all_samples=True)["samples"],
                                  split.result(all_samples=True)["samples"])
    again = md.bootstrap(md.metric_binary_accuracy(), num_samples=50, seed=2)
    again.update_state(y_true, y_pred)
    np.testing.assert_array_equal(again.result()["low"], whole.result()["low"])


def test_stateless_jit_merge_reset_and_config(binary):
    y_true, y_pred = binary
    m = md.bootstrap(md.metric_binary_accuracy(), num_samples=10)
    state = jax.jit(m.stateless_update_state)(m.stateless_reset_state(), y_true, y_pred)
    m.update_state(y_true, y_pred)
    np.testing.assert_array_equal(m.stateless_result(state)["samples"],
                                  m.result(all_samples=True)["samples"])
    shard = md.bootstrap(md.metric_binary_accuracy(), num_samples=10, seed=9)
    shard.update_state(y_true, y_pred)
    m.merge_state([shard])
    assert float(m.result()["value"]) == pytest.approx(float(np.mean(y_true == (y_pred > .5))))
    m.reset_state()
    assert int(m.seen.value) == 0 and float(m.metric.count.value) == 0
    rebuilt = md.bootstrap.from_config(m.get_config())
    assert rebuilt.get_config() == m.get_config() and rebuilt.metric is not m.metric


def test_a_lazily_built_metric_builds_on_the_first_update(rng):
    y_true = rng.integers(0, 2, (300, 3)).astype("float32")
    y_pred = rng.uniform(size=(300, 3)).astype("float32")
    m = md.bootstrap(md.metric_f1_score(average="macro", threshold=0.5), num_samples=16,
                     seed=4)
    assert not m.built and m.variables == []
    m.update_state(y_true[:120], y_pred[:120])
    m.update_state(y_true[120:], y_pred[120:])
    assert m.built and m.metric.built
    out = m.result(all_samples=True)
    hits = y_pred > 0.5
    np.testing.assert_allclose(out["value"], f1_score(y_true, hits, average="macro"), rtol=1e-6)
    weights = _weights(4, 16, np.arange(300))
    for r in (0, 9, 15):  # replicate r is F1 with sample_weight = its Poisson weights
        ref = f1_score(y_true, hits, average="macro", sample_weight=weights[r])
        np.testing.assert_allclose(out["samples"][r], ref, rtol=1e-5)


def test_a_lazily_built_metric_builds_from_build_and_stateless_calls(rng):
    y_true = rng.normal(size=(200, 2)).astype("float32")
    y_pred = (y_true + rng.normal(size=(200, 2))).astype("float32")
    stateful = md.bootstrap(md.metric_explained_variance(), num_samples=8, seed=3)
    stateful.update_state(y_true, y_pred)
    stateless = md.bootstrap(md.metric_explained_variance(), num_samples=8, seed=3)
    state = jax.jit(stateless.stateless_update_state)(stateless.stateless_reset_state(),
                                                      y_true, y_pred)
    built = md.bootstrap(md.metric_explained_variance(), num_samples=8, seed=3)
    built.build(jax.ShapeDtypeStruct(y_true.shape, "float32"),
                jax.ShapeDtypeStruct(y_pred.shape, "float32"))
    built.update_state(y_true, y_pred)
    expected = stateful.result(all_samples=True)
    assert float(expected["value"]) == pytest.approx(explained_variance_score(y_true, y_pred),
                                                     rel=1e-5)
    for out in (stateless.stateless_result(state), built.result(all_samples=True)):
        np.testing.assert_array_equal(out["samples"], expected["samples"])
        assert float(out["value"]) == float(expected["value"])


def _coverage(metric, data, truth, num_samples=200):
    """Fraction of data sets whose bootstrap interval covers ``truth`` (one vmapped jit)."""
    m = md.bootstrap(metric, num_samples=num_samples, confidence=0.95, seed=0)

    def interval(y_true, y_pred, offset):
        start = m.stateless_reset_state()  # data set k starts at sample position k·n, so the
        start = start.replace([offset if n == "seen" else v for n, v in start.items()])
        out = m.stateless_result(m.stateless_update_state(start, y_true, y_pred))
        return out["low"], out["high"]  # data sets draw independent weights

    sets, n = data[0].shape
    offsets = np.arange(sets, dtype="int32") * n
    low, high = jax.jit(jax.vmap(interval))(*data, offsets)
    return float(np.mean((np.asarray(low) <= truth) & (truth <= np.asarray(high))))


def test_coverage_of_accuracy_and_auc_is_95_percent(rng):
    sets, n, p = 200, 300, 0.7
    y_pred = (rng.uniform(size=(sets, n)) < p).astype("float32")
    accuracy = _coverage(md.metric_binary_accuracy(), (np.ones_like(y_pred), y_pred), p)
    labels = np.tile(np.repeat([0.0, 1.0], n // 2), (sets, 1)).astype("float32")
    scores = 1 / (1 + np.exp(-(rng.normal(size=(sets, n)) + labels)))
    auc = _coverage(md.metric_auc(num_thresholds=1000), (labels, scores.astype("float32")),
                    scipy.stats.norm.cdf(1 / math.sqrt(2)))  # binormal AUC, d' = 1
    # 200 data sets of 300 samples: measured 0.93 (accuracy) and 0.92 (AUC); the band allows
    # two standard errors of a 200-set estimate around the percentile bootstrap's coverage.
    assert 0.90 <= accuracy <= 0.98 and 0.90 <= auc <= 0.98, (accuracy, auc)



def test_errors_name_the_wrapper_metric_argument_and_value():
    with pytest.raises(ValueError, match=r"bootstrap\(BinaryAccuracy .*`num_samples`.*received 1"):
        md.bootstrap(md.metric_binary_accuracy(), num_samples=1)
    with pytest.raises(ValueError, match=r"`confidence` must be in \(0, 1\); received 1.5"):
        md.bootstrap(md.metric_binary_accuracy(), confidence=1.5)
    with pytest.raises(TypeError, match="`num_samples` must be int; received float"):
        md.bootstrap(md.metric_binary_accuracy(), num_samples=10.0)
    with pytest.raises(TypeError, match="`metric` must be a metricdsl metric instance"):
        md.bootstrap("auc")
    peak = md.Metric("Peak", initialize=lambda: (super.initialize(), setattr(
        self, "peak", self.add_variable((), "zeros", aggregation="max", name="peak")))[0],
        update_state=lambda values: self.peak.assign(md.ops.maximum(self.peak,
                                                                    md.ops.max(values))),
        result=lambda: self.peak.value)
    with pytest.raises(ValueError, match=r"merges by sum.*received peak \('max'\)"):
        md.bootstrap(peak())
