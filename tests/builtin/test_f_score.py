"""FBetaScore / F1Score: Keras vectors, scikit-learn, numpy references, the stateless API."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from references.f_score import fbeta_counts, fbeta_score_keras
from sklearn.metrics import fbeta_score as sk_fbeta_score

import metricdsl as md
from metricdsl import Metric

N, C = 48, 5
AVERAGES = [None, "micro", "macro", "weighted"]

# spec §6.3 row 19: F1Score(threshold=0.5) (also the Keras F1Score/FBetaScore docstrings)
ROW19_TRUE = [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
ROW19_PRED = [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]
# spec §6.3 row 20: argmax mode, 6 rows
ROW20_TRUE = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0], [0, 0, 1]]
ROW20_PRED = [[0.9, 0.1, 0], [0.2, 0.6, 0.2], [0, 0, 1], [0.4, 0.3, 0.3], [0, 0.9, 0.1], [0, 0, 1]]
ROW20_WEIGHT = [0.5, 1, 1, 1, 0.5, 1]


def _data(seed, soft=False):
    rng = np.random.default_rng(seed)
    y_true = (rng.uniform(size=(N, C)) < 0.4).astype("float32")
    if soft:
        y_true = rng.uniform(size=(N, C)).astype("float32")
    y_pred = rng.uniform(size=(N, C)).astype("float32")
    return y_true, y_pred


def _eager(metric):
    """Run op by op: jnp primitives are compiled once per shape and shared by every config,
    where the compiled path would compile each (average, beta, threshold) anew. The compiled
    path is checked against this in the stateless/streaming tests."""
    metric.run_eagerly = True
    return metric


def _weight(shape, seed=1):
    return None if shape is None else np.random.default_rng(seed).uniform(size=shape).astype(
        "float32")


# -- Keras acceptance vectors (spec §6.3, re-measured on Keras 3 / JAX, float32) ----------------
def test_row19_f1_threshold_per_class():
    m = md.metric_f1_score(threshold=0.5)
    m.update_state(ROW19_TRUE, ROW19_PRED)
    np.testing.assert_allclose(m.result(), [0.5, 0.8, 0.6666666], atol=1e-5)


def test_keras_docstring_fbeta_beta_2():
    # Keras FBetaScore docstring: FBetaScore(beta=2.0, threshold=0.5) on row 19's data
    m = _eager(md.metric_fbeta_score(beta=2.0, threshold=0.5))
    m.update_state(np.array(ROW19_TRUE, np.int32), np.array(ROW19_PRED, np.float32))
    np.testing.assert_allclose(m.result(), [0.3846154, 0.90909094, 0.8333334], atol=1e-6)


@pytest.mark.parametrize("metric, weight, expected", [
    (lambda: md.metric_fbeta_score(average="macro", beta=2.0), ROW20_WEIGHT, 0.8995215),
    (lambda: md.metric_f1_score(average="weighted"), None, 0.8444444),
    (lambda: md.metric_f1_score(average="micro"), None, 0.8333333),
])
def test_row20_argmax_mode(metric, weight, expected):
    m = _eager(metric())
    m.update_state(ROW20_TRUE, ROW20_PRED, sample_weight=weight)
    np.testing.assert_allclose(m.result(), expected, atol=1e-5)


# -- scikit-learn (binary indicator targets; Keras's eps smoothing stays below 1e-5) ------------
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("threshold", [None, 0.5])
@pytest.mark.parametrize("beta", [1.0, 2.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_sklearn(average, threshold, beta, weighted):
    y_true, y_pred = _data(0)
    weight = _weight((N,)) if weighted else None
    m = _eager(md.metric_fbeta_score(average=average, beta=beta, threshold=threshold))
    m.update_state(y_true, y_pred, sample_weight=weight)
    if threshold is None:
        y_hat = (y_pred == y_pred.max(axis=1, keepdims=True)).astype(int)
    else:
        y_hat = (y_pred > threshold).astype(int)
    expected = sk_fbeta_score(y_true.astype(int), y_hat, beta=beta, average=average,
                              sample_weight=weight, zero_division=0.0)
    np.testing.assert_allclose(m.result(), expected, atol=2e-5)


# -- numpy reference of the Keras formulas -------------------------------------------------------
@pytest.mark.parametrize("w_shape", [None, (), (N,), (N, 1), (N, C)])
@pytest.mark.parametrize("average", AVERAGES)
def test_matches_reference_weights_and_soft_labels(w_shape, average):
    y_true, y_pred = _data(3, soft=True)
    weight = _weight(w_shape)
    m = _eager(md.metric_fbeta_score(average=average, beta=0.5))
    m.update_state(y_true, y_pred, sample_weight=weight)
    expected = fbeta_score_keras(y_true, y_pred, weight, beta=0.5, average=average)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5, atol=1e-6)


def test_argmax_mode_ties_and_zero_rows():
    y_true = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]
    y_pred = [[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.2, 0.2, 0.2], [-1.0, -1.0, -3.0]]
    m = _eager(md.metric_f1_score())
    m.update_state(y_true, y_pred)
    counts = fbeta_counts(y_true, y_pred)
    np.testing.assert_allclose(m.true_positives, counts[0])
    np.testing.assert_allclose(m.false_positives, counts[1])
    np.testing.assert_allclose(m.false_positives, [1, 2, 0])  # ties all count; zero row: none
    np.testing.assert_allclose(m.result(), fbeta_score_keras(y_true, y_pred), rtol=1e-5)


@given(threshold=st.floats(0.05, 1.0), beta=st.floats(0.1, 4.0),
       average=st.sampled_from(AVERAGES), seed=st.integers(0, 2**16),
       weight_kind=st.sampled_from(["none", "rows", "full", "ints"]))
def test_hypothesis_thresholds_betas_weights(threshold, beta, average, seed, weight_kind):
    rng = np.random.default_rng(seed)
    y_true = (rng.uniform(size=(N, C)) < 0.5).astype("float32")
    y_pred = rng.choice(np.float32([0.0, 0.1, 0.3, 0.5, 0.7, 1.0, threshold]), size=(N, C))
    weight = {"none": None, "rows": rng.uniform(0, 2, size=(N,)).astype("float32"),
              "full": rng.uniform(0, 2, size=(N, C)).astype("float32"),
              "ints": rng.integers(0, 4, size=(N, 1)).astype("float32")}[weight_kind]
    m = _eager(md.metric_fbeta_score(average=average, beta=beta, threshold=threshold))
    m.update_state(y_true, y_pred, sample_weight=weight)
    expected = fbeta_score_keras(y_true, y_pred, weight, beta, threshold, average)
    np.testing.assert_allclose(m.result(), expected, rtol=2e-5, atol=1e-6)


# -- lazy build, validation ----------------------------------------------------------------------
def test_lazy_build_shapes_and_attributes():
    m = _eager(md.metric_fbeta_score(average="macro", beta=2.0, threshold=0.3))
    assert not m.built and m.variables == []
    assert (m.average, m.beta, m.threshold, m.axis) == ("macro", 2.0, 0.3, 0)
    with pytest.raises(ValueError, match="first batch"):
        m.result()
    m.update_state(*_data(0))
    assert m.built
    for name in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
        assert getattr(m, name).shape == (C,) and getattr(m, name).dtype == "float32"
    assert [v.name for v in m.variables][:4] == [
        "true_positives", "false_positives", "false_negatives", "intermediate_weights"]
    micro = md.metric_f1_score(average="micro")
    micro.build(jax.ShapeDtypeStruct((2, C), "float32"), jax.ShapeDtypeStruct((2, C), "float32"))
    assert micro.axis is None and micro.true_positives.shape == ()


@pytest.mark.parametrize("y_true, y_pred", [
    (np.zeros(4), np.zeros(4)), (np.zeros((4, 3)), np.zeros((4, 3, 1))),
])
def test_rejects_non_2d_inputs_at_build(y_true, y_pred):
    m = md.metric_f1_score()
    # Keras says "FBetaScore" for F1Score too
    expected = r"F1Score 'f1_score\w*': FBetaScore expects 2D inputs with shape \(batch_size, "
    with pytest.raises(ValueError, match=expected):
        m.update_state(y_true, y_pred)
    assert not m.built


def test_rejects_later_batch_with_other_class_count():
    m = _eager(md.metric_f1_score())
    m.update_state(np.zeros((4, 3)), np.ones((4, 3)))
    before = [np.asarray(v) for v in m.variables]
    with pytest.raises(ValueError, match=r"built for"):
        m.update_state(np.zeros((4, 5)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"sample_weight"):
        m.update_state(np.zeros((4, 3)), np.ones((4, 3)), sample_weight=np.ones(5))
    for value, variable in zip(before, m.variables):
        np.testing.assert_array_equal(value, variable)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"average": "mean"}, ("Invalid `average` argument value. Expected one of: "
                           "{None, 'micro', 'macro', 'weighted'}. Received: average=mean")),
    ({"beta": 1}, "Invalid `beta` argument value. It should be a Python float."),
    ({"beta": 0.0}, "It should be > 0. Received: beta=0.0"),
    ({"threshold": 1}, "Invalid `threshold` argument value. It should be a Python float."),
    ({"threshold": 1.1}, "It should verify 0 < threshold <= 1. Received: threshold=1.1"),
    ({"threshold": 0.0}, "It should verify 0 < threshold <= 1. Received: threshold=0.0"),
])
def test_argument_validation_messages(kwargs, fragment):
    with pytest.raises(ValueError, match="FBetaScore 'fbeta_score'") as info:
        md.metric_fbeta_score(**kwargs)
    assert fragment in str(info.value)


def test_f1_validation_names_f1():
    with pytest.raises(ValueError, match=r"F1Score 'f1_score'.*Received: average=binary"):
        md.metric_f1_score(average="binary")


# -- stateless API, reset, streaming, merge, config, pickle -------------------------------------
def test_stateless_under_jit_equals_stateful():
    y_true, y_pred = _data(5)
    weight = _weight((N,))
    m = md.metric_f1_score(average="weighted")
    m.update_state(y_true[:24], y_pred[:24], sample_weight=weight[:24])
    m.update_state(y_true[24:], y_pred[24:], sample_weight=weight[24:])
    s = md.metric_f1_score(average="weighted")
    s.build(y_true, y_pred)
    update = jax.jit(s.stateless_update_state)
    state = s.stateless_reset_state()
    state = update(state, y_true[:24], y_pred[:24], weight[:24])
    state = update(state, y_true[24:], y_pred[24:], weight[24:])
    assert all(a.dtype == v.dtype for a, v in zip(state, s.variables))
    np.testing.assert_allclose(jax.jit(s.stateless_result)(state), m.result(), rtol=1e-6)
    np.testing.assert_allclose(m.result(), fbeta_score_keras(y_true, y_pred, weight,
                                                             average="weighted"), rtol=1e-5)


def test_reset_streaming_and_merge_equal_one_pass():
    y_true, y_pred = _data(6)
    expected = fbeta_score_keras(y_true, y_pred, average="weighted")
    m = md.metric_f1_score(average="weighted")
    m.update_state(y_true[:24], y_pred[:24])
    m.reset_state()
    assert all(np.all(np.asarray(v) == 0) for v in m.variables)
    np.testing.assert_allclose(m.result(), 0.0)
    m.update_state(y_true[:24], y_pred[:24])
    m.update_state(y_true[24:], y_pred[24:])
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)
    shard = md.metric_f1_score(average="weighted")
    shard.update_state(y_true[:24], y_pred[:24])
    other = md.metric_f1_score(average="weighted")
    other.update_state(y_true[24:], y_pred[24:])
    shard.merge_state([other])
    np.testing.assert_allclose(shard.result(), m.result(), rtol=1e-6)


def test_compensated_counts_do_not_stall():
    m = md.metric_f1_score(average="micro", threshold=0.5)
    m.update_state([[1.0]], [[1.0]], sample_weight=2.0**24)
    for _ in range(40):
        m.update_state([[1.0]], [[1.0]])
    assert float(m.true_positives) == 2**24 + 40


def test_config_round_trip():
    f1 = md.metric_f1_score(average="micro", threshold=0.4, name="f1")
    assert f1.get_config() == {"name": "f1", "dtype": "float32", "average": "micro",
                               "threshold": 0.4}
    fb = md.metric_fbeta_score(average="weighted", beta=0.5, dtype="float32")
    assert fb.get_config() == {"name": "fbeta_score", "dtype": "float32", "average": "weighted",
                               "beta": 0.5, "threshold": None}
    for m in (f1, fb):
        clone = _eager(type(m).from_config(m.get_config()))
        assert clone.get_config() == m.get_config() and type(clone) is type(m)
        _eager(m).update_state(*_data(7))
        clone.update_state(*_data(7))
        np.testing.assert_allclose(clone.result(), m.result())


def test_pickle_built_metric():
    m = md.metric_f1_score(average="weighted")
    y_true, y_pred = _data(8)
    m.update_state(y_true[:24], y_pred[:24])
    clone = pickle.loads(pickle.dumps(m))
    np.testing.assert_allclose(clone.result(), m.result())


def test_names_class_only_and_inheritance():
    assert md.metric_f1_score().name == "f1_score"
    assert md.metric_fbeta_score().name == "fbeta_score"
    assert md.metric_fbeta_score(None, 2.0, 0.5).threshold == 0.5  # Keras positional order
    assert isinstance(md.metric_f1_score(), md.metric_fbeta_score)

    def _initialize(name="my_f1"):
        super.initialize(average="macro", name=name)

    MyF1 = Metric("MyF1", initialize=_initialize, inherit=md.metric_f1_score)
    m = _eager(MyF1())
    m.update_state(ROW19_TRUE, ROW19_PRED)
    np.testing.assert_allclose(m.result(), fbeta_score_keras(ROW19_TRUE, ROW19_PRED,
                                                             average="macro"), rtol=1e-5)


def test_bfloat16_dtype():
    y_true, y_pred = _data(9)
    m = _eager(md.metric_f1_score(average="macro", threshold=0.5, dtype="bfloat16"))
    m.update_state(y_true, y_pred)
    assert m.true_positives.dtype == "bfloat16"
    expected = fbeta_score_keras(y_true, jnp.asarray(y_pred, "bfloat16").astype("float32"),
                                 threshold=0.5, average="macro")
    np.testing.assert_allclose(np.float32(m.result()), expected, rtol=2e-2)
