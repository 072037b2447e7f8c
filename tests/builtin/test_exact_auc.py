"""`metric_exact_auc` against scikit-learn: streaming, weights, shapes, merge, errors, configs."""

import pickle

import jax
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

import metricdsl as md

REFERENCE = {"ROC": roc_auc_score, "PR": average_precision_score}
N = 96


def _data(rng):
    """bfloat16-valued scores (exact at 2**16 bins), informative, with repeated values."""
    y = rng.integers(0, 2, N)
    y[:2] = [0, 1]
    raw = (y + rng.normal(size=N)).astype("float32")
    scores = (raw.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)  # bfloat16 values
    scores[::7] = scores[1]
    return y.astype("float32"), scores


@pytest.mark.parametrize("w_shape", [None, (), (N, 1)])
@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_streamed_batches_equal_sklearn(curve, w_shape, rng):
    y, s = _data(rng)
    w = None if w_shape is None else rng.integers(1, 4, w_shape).astype("float32")
    m = md.metric_exact_auc(curve)
    for part in (slice(0, 32), slice(32, 64), slice(64, None)):
        weight = w if w is None or w.ndim == 0 else w[part]
        m.update_state(y[part, None], s[part, None], sample_weight=weight)
    sk_weight = None if w is None else np.broadcast_to(w.reshape(-1), (N,))
    np.testing.assert_allclose(m.result(), REFERENCE[curve](y, s, sample_weight=sk_weight),
                               rtol=1e-6)
    assert 0 < float(m.error_bound()) < 1  # ties it cannot see through (equal scores count)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_merged_shards_equal_one_pass_and_bound_holds_on_float32(curve, rng):
    y = rng.integers(0, 2, N).astype("float32")
    s = rng.normal(size=N).astype("float32") * 1e-3 + 0.5  # shares bins: not exact
    one, shards = md.metric_exact_auc(curve), [md.metric_exact_auc(curve) for _ in range(3)]
    one.update_state(y, s)
    for shard, part in zip(shards, np.array_split(np.arange(N), 3)):
        shard.update_state(y[part], s[part])
    shards[0].merge_state(shards[1:])
    np.testing.assert_array_equal(shards[0].histogram.value, one.histogram.value)
    exact = REFERENCE[curve](y, s)
    assert abs(float(one.result()) - exact) <= float(one.error_bound())


def test_infinite_and_signed_zero_scores(rng):
    y = np.array([0, 1, 0, 1, 1, 0], "float32")
    s = np.array([-np.inf, np.inf, 0.25, 1e30, -0.0, 0.0], "float32")
    m = md.metric_exact_auc()
    m.update_state(y, s)
    # the same ranking with finite stand-ins: -inf < -0.0 == 0.0 < 0.25 < 1e30 < inf
    np.testing.assert_allclose(m.result(), roc_auc_score(y, [-9, 9, 0.25, 8, 0, 0]), rtol=1e-6)


def test_no_data_and_one_class_give_zero():
    m = md.metric_exact_auc()
    assert float(m.result()) == 0.0
    m.update_state([1, 1], [0.2, 0.7])
    assert float(m.result()) == 0.0  # ROC undefined without negatives (scikit-learn raises)


def test_state_is_fixed_and_under_a_megabyte():
    m = md.metric_exact_auc()
    step = jax.jit(m.stateless_update_state)
    state = m.stateless_reset_state()
    for n in (2, 2, 4096):  # the state's size does not depend on the data seen
        state = step(state, np.ones(n, "float32"), np.linspace(0, 1, n, dtype="float32"))
        sizes = [np.asarray(x).nbytes for x in jax.tree_util.tree_leaves(state)]
        assert sum(sizes) == 2 * 65536 * 4 + 2 * 4 < 1_000_000  # the histogram and its record
    assert [(v.name, v.shape, v.dtype) for v in m.variables] == [
        ("histogram", (2, 65536), "float32"), ("additions", (), "int32"), ("inexact", (), "int32")]
    assert m.histogram.residual is None  # exactness is tracked by the record instead
    assert md.metric_exact_auc(num_bins=2**15).histogram.shape == (2, 2**15)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_fractional_weights_merged_and_copied_stay_within_the_bound(curve, rng):
    y, s = _data(rng)
    w = rng.uniform(0.1, 2, N).astype("float32")
    shards = [md.metric_exact_auc(curve) for _ in range(3)]
    for shard, part in zip(shards, np.array_split(np.arange(N), 3)):
        shard.update_state(y[part], s[part], sample_weight=w[part])
    shards[0].merge_state(shards[1:])
    merged = pickle.loads(pickle.dumps(shards[0]))
    assert merged.histogram.residual is None and int(merged.inexact) == 1
    exact = REFERENCE[curve](y, s, sample_weight=w)
    result, bound = float(merged.result()), float(merged.error_bound())
    assert abs(result - exact) <= bound < 0.5
    np.testing.assert_allclose(result, exact, rtol=1e-6)  # in practice far inside the bound


def test_registry_compile_and_config_round_trip(rng):
    y, s = _data(rng)
    c = md.compile_metrics(["exact_auc", md.metric_exact_auc("PR", name="exact_ap")])
    c.update_state(y[:, None], s[:, None])
    result = c.result()
    np.testing.assert_allclose(result["exact_auc"], roc_auc_score(y, s), rtol=1e-6)
    np.testing.assert_allclose(result["exact_ap"], average_precision_score(y, s), rtol=1e-6)
    m = md.metric_exact_auc("pr", num_bins=4096, name="ap")
    again = md.deserialize(md.serialize(m))
    assert type(again) is type(m) and again.get_config() == m.get_config()
    assert (again.curve, again.num_bins) == ("PR", 4096)
    assert type(md.get("ExactAUC")) is type(md.get("exact_auc")) is type(m)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"curve": "PRGAIN"}, r"ExactAUC: Invalid `curve` argument value\. Expected one of "
                          r"\['ROC', 'PR'\]\. Received: curve='PRGAIN'"),
    ({"curve": 1}, r"Received: curve=1"),
    ({"num_bins": 1000}, r"ExactAUC: Argument `num_bins` must be a power of two in "
                         r"\[256, 65536\].*Received: num_bins=1000"),
    ({"num_bins": 2**17}, r"Received: num_bins=131072"),
    ({"num_bins": 128}, r"Received: num_bins=128"),
])
def test_bad_arguments_name_metric_argument_and_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        md.metric_exact_auc(**kwargs)


def test_validation_rejects_bad_labels_and_nan_leaving_the_state():
    m = md.metric_exact_auc()
    m.validate = True
    m.update_state([0, 1], [0.2, 0.7])
    before = float(m.result())
    with pytest.raises(ValueError, match=r"ExactAUC 'exact_auc': y_true must hold binary labels "
                                         r"0 or 1; received other values"):
        m.update_state([0, 2], [0.2, 0.7])
    with pytest.raises(ValueError, match=r"ExactAUC 'exact_auc': y_pred contains NaN"):
        m.update_state([0, 1], [np.nan, 0.7])
    with pytest.raises(ValueError, match=r"ExactAUC 'exact_auc': sample_weight must be "
                                         r"non-negative .*received a negative weight"):
        m.update_state([0, 1], [0.2, 0.7], sample_weight=[1.0, -1.0])
    assert float(m.result()) == before == 1.0


def test_shape_mismatch_is_reported_before_any_change():
    m = md.metric_exact_auc()
    with pytest.raises(ValueError, match=r"ExactAUC 'exact_auc': y_true and y_pred must have the "
                                         r"same shape"):
        m.update_state([0, 1, 1], [0.2, 0.7])
    assert float(np.asarray(m.histogram.value).sum()) == 0.0
