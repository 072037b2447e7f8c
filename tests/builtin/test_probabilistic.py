"""Probabilistic family: kernels and metrics against numpy references and Keras's documented values.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from laws import assert_shards_merge_to_one_pass, assert_stateful_equals_jitted_stateless
from references import probabilistic as ref
from references.accuracy import keras_weighted_mean

import metricdsl as md
from metricdsl import Metric

N, T, C = 8, 3, 5
TOL = {"rtol": 1e-5, "atol": 1e-5}


# -- input strategies (fixed shapes so compiled updates are reused) ------------------------------
def _floats(shape, low, high):
    return hnp.arrays(np.float32, shape, elements=st.floats(low, high, width=32,
                                                            allow_subnormal=False))


def _probs(shape):  # includes the clipping edges 0 and 1
    return _floats(shape, 0, 1)


def _rows(shape, axis=-1):  # probability rows with a positive sum along the class axis
    return _floats(shape, 0, 1).map(lambda p: p + (p.sum(axis, keepdims=True) == 0))


def _logits(shape, bound=10):
    return _floats(shape, -bound, bound)


def _binary(shape):
    return hnp.arrays(np.float32, shape, elements=st.sampled_from([0.0, 1.0]))


def _one_hot(shape, axis=-1):
    ids = hnp.arrays(np.int32, shape[:axis] + shape[axis + 1:] if axis != -1 else shape[:-1],
                     elements=st.integers(0, shape[axis] - 1))
    return ids.map(lambda i: np.moveaxis(np.eye(shape[axis], dtype=np.float32)[i], -1, axis))


def _labels(shape, low=0, high=C - 1):
    return hnp.arrays(np.int32, shape, elements=st.integers(low, high))


def _weights(values_shape):
    w = st.one_of(st.just(0.0), st.floats(0.125, 2, width=32))
    n = values_shape[0]
    return st.one_of(st.none(), w.map(np.float32), hnp.arrays(np.float32, (n,), elements=w),
                     hnp.arrays(np.float32, (n, 1), elements=w),
                     hnp.arrays(np.float32, values_shape, elements=w))


BCE, CCE, SCCE = (md.metric_binary_crossentropy, md.metric_categorical_crossentropy,
                  md.metric_sparse_categorical_crossentropy)

# name: (dual builtin or function-only builtin, kwargs, y_true strategy, y_pred strategy, reference)
CASES = {
    "bce": (BCE, {}, _binary((N, T)), _probs((N, T)), ref.binary_crossentropy_values),
    "bce_logits_smoothing": (BCE, {"from_logits": True, "label_smoothing": 0.2}, _binary((N, T)),
                             _logits((N, T)), ref.binary_crossentropy_values),
    "bce_column_soft_labels": (BCE, {"label_smoothing": 0.1}, _probs((N, 1)), _probs((N, 1)),
                               ref.binary_crossentropy_values),
    "cce": (CCE, {}, _one_hot((N, C)), _rows((N, C)), ref.categorical_crossentropy_values),
    "cce_logits_smoothing": (CCE, {"from_logits": True, "label_smoothing": 0.1},
                             _one_hot((N, C)), _logits((N, C)),
                             ref.categorical_crossentropy_values),
    "cce_axis_1": (CCE, {"axis": 1}, _one_hot((N, C, T), axis=1), _rows((N, C, T), axis=1),
                   ref.categorical_crossentropy_values),
    "scce": (SCCE, {}, _labels((N, 1), -1, C), _rows((N, C)),
             ref.sparse_categorical_crossentropy_values),
    "scce_logits_ignore": (SCCE, {"from_logits": True, "ignore_class": 0}, _labels((N,)),
                           _logits((N, C)), ref.sparse_categorical_crossentropy_values),
    "scce_axis_1_ignore": (SCCE, {"axis": 1, "ignore_class": 2}, _labels((N, T)),
                           _rows((N, C, T), axis=1), ref.sparse_categorical_crossentropy_values),
    "kl_divergence": (md.metric_kl_divergence, {}, _probs((N, C)), _probs((N, C)),
                      ref.kl_divergence_values),
    "poisson": (md.metric_poisson, {}, _labels((N, C), 0, 5).map(lambda a: a.astype("float32")),
                _floats((N, C), 0, 5), ref.poisson_values),
    "binary_focal": (md.metric_binary_focal_crossentropy,
                     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                      "label_smoothing": 0.1}, _binary((N, T)), _probs((N, T)),
                     ref.binary_focal_crossentropy_values),
    "binary_focal_logits": (md.metric_binary_focal_crossentropy, {"from_logits": True},
                            _binary((N, T)), _logits((N, T), 4),  # the focal factors take
                            ref.binary_focal_crossentropy_values),  # 1 - p in float32
    "categorical_focal": (md.metric_categorical_focal_crossentropy,
                          {"alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.1},
                          _one_hot((N, C)), _rows((N, C)),
                          ref.categorical_focal_crossentropy_values),
    "categorical_focal_logits_axis": (md.metric_categorical_focal_crossentropy,
                                      {"from_logits": True, "axis": 1}, _one_hot((N, C, T), 1),
                                      _logits((N, C, T), 4),
                                      ref.categorical_focal_crossentropy_values),
}
# Weighted results: one case per metric class (the options are covered per sample above; each
# weight shape costs a compile), plus the ignore_class weighting quirk.
METRIC_CASES = ["bce_logits_smoothing", "cce_axis_1", "scce", "scce_logits_ignore",
                "kl_divergence", "poisson"]


@functools.cache
def _jitted_call(name):
    """The case's call ``fn(y_true, y_pred, **kwargs)`` compiled once (the eager dual call is
    tested in test_dual_call_returns_per_sample_values)."""
    fn, kwargs, *_ = CASES[name]
    return jax.jit(lambda y_true, y_pred: fn(y_true, y_pred, **kwargs))


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_per_sample_values_match_reference(name, data):
    _, kwargs, true_st, pred_st, ref_fn = CASES[name]
    y_true, y_pred = data.draw(true_st), data.draw(pred_st)
    values = np.asarray(_jitted_call(name)(y_true, y_pred))
    expected = ref_fn(y_true, y_pred, **kwargs)
    assert values.shape == expected.shape and values.dtype == np.float32
    np.testing.assert_allclose(values, expected, **TOL)


@pytest.mark.parametrize("name", METRIC_CASES)
@given(data=st.data())
def test_weighted_result_matches_reference(name, data):
    ctor, kwargs, true_st, pred_st, ref_fn = CASES[name]
    y_true, y_pred = data.draw(true_st), data.draw(pred_st)
    values_shape = ref_fn(y_true, y_pred, **kwargs).shape
    sample_weight = data.draw(_weights(values_shape))
    if name == "scce_axis_1_ignore" and np.ndim(sample_weight) == 1:
        sample_weight = sample_weight[:, None]  # Keras's mask * (N,) weight does not broadcast
    m = ctor(**kwargs)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    if ctor is SCCE:
        expected = ref.sparse_categorical_crossentropy(y_true, y_pred, sample_weight, **kwargs)
    else:
        expected = keras_weighted_mean(ref_fn(y_true, y_pred, **kwargs), sample_weight)
    np.testing.assert_allclose(m.result(), expected, **TOL)


@pytest.mark.parametrize("name", ["bce", "cce_logits_smoothing", "scce_logits_ignore",
                                  "kl_divergence", "poisson"])
def test_stateful_equals_jitted_stateless_streaming_and_merged(name):
    ctor, kwargs, *_, ref_fn = CASES[name]
    rng = np.random.default_rng(2)
    batches = []
    for _ in range(2):
        y_true, y_pred = _sample(name, rng)
        batches.append((y_true, y_pred, rng.uniform(0, 2, N).astype("float32")))
    stateful = ctor(**kwargs)
    assert_stateful_equals_jitted_stateless(stateful, batches)
    assert_shards_merge_to_one_pass(lambda: ctor(**kwargs), batches, stateful)
    all_true, all_pred, all_w = (np.concatenate(parts) for parts in zip(*batches))
    if ctor is SCCE:
        expected = ref.sparse_categorical_crossentropy(all_true, all_pred, all_w, **kwargs)
    else:
        expected = keras_weighted_mean(ref_fn(all_true, all_pred, **kwargs), all_w)
    np.testing.assert_allclose(stateful.result(), expected, **TOL)
    stateful.reset_state()
    assert float(stateful.result()) == 0.0
    assert all(float(np.sum(np.abs(v.value))) == 0.0 for v in stateful.variables)


def _sample(name, rng):
    """A concrete random batch for a case (shapes of its strategies)."""
    if name == "bce":
        return rng.integers(0, 2, (N, T)).astype("float32"), rng.uniform(size=(N, T))
    if name == "cce_logits_smoothing":
        return np.eye(C)[rng.integers(0, C, N)], rng.normal(size=(N, C)) * 3
    if name == "scce_logits_ignore":
        return rng.integers(0, C, N), rng.normal(size=(N, C)) * 3
    if name == "kl_divergence":
        return rng.dirichlet(np.ones(C), N), rng.dirichlet(np.ones(C), N)
    return rng.poisson(2.0, (N, C)).astype("float32"), rng.uniform(0.1, 4, (N, C))


# -- config and attributes ---------------------------------------------------------------------
CONFIGS = [  # (constructor, non-default kwargs, exact Keras get_config keys)
    (md.metric_kl_divergence, {}, ["name", "dtype"]),
    (md.metric_poisson, {}, ["name", "dtype"]),
    (BCE, {"from_logits": True, "label_smoothing": 0.2},
     ["name", "dtype", "from_logits", "label_smoothing"]),
    (CCE, {"from_logits": True, "label_smoothing": 0.1, "axis": 1},
     ["name", "dtype", "from_logits", "label_smoothing", "axis"]),
    (SCCE, {"from_logits": True, "ignore_class": 3, "axis": 1},
     ["name", "dtype", "from_logits", "ignore_class", "axis"]),
]


@pytest.mark.parametrize("ctor, kwargs, keys", CONFIGS)
def test_config_round_trip_and_attributes(ctor, kwargs, keys):
    m = ctor(name="custom", dtype="float32", **kwargs)
    config = m.get_config()
    assert sorted(config) == sorted(keys)
    assert {k: config[k] for k in kwargs} == kwargs
    clone = type(m).from_config(config)
    assert clone.get_config() == config and type(clone) is type(m)
    for key in keys[2:]:
        assert getattr(clone, key) == config[key] == getattr(m, key)


@pytest.mark.parametrize("ctor, name, defaults", [
    (md.metric_kl_divergence, "kl_divergence", {}),
    (md.metric_poisson, "poisson", {}),
    (BCE, "binary_crossentropy", {"from_logits": False, "label_smoothing": 0}),
    (CCE, "categorical_crossentropy", {"from_logits": False, "label_smoothing": 0, "axis": -1}),
    (SCCE, "sparse_categorical_crossentropy",
     {"from_logits": False, "ignore_class": None, "axis": -1}),
])
def test_defaults_match_keras(ctor, name, defaults):
    m = ctor()
    assert m.name == name and m.dtype == "float32" and float(m.result()) == 0.0
    assert {k: getattr(m, k) for k in defaults} == defaults
    assert list(m.get_config())[:2] == ["name", "dtype"]
    assert list(ctor.__signature__.parameters) == ["name", "dtype", *defaults]


# -- Keras's acceptance vectors (keras3_metrics_spec.md §6.3, re-measured on Keras 3 / JAX) ----
def test_keras_categorical_crossentropy_logits():  # §6.3 row 7
    y_true, logits = [[0, 1, 0], [0, 0, 1]], [[1, 9, 0], [1, 8, 1]]
    m = CCE(from_logits=True)
    m.update_state(y_true, logits, sample_weight=[1.5, 2.0])
    np.testing.assert_allclose(m.result(), 4.001238, atol=1e-5)
    m = CCE(from_logits=True, label_smoothing=0.1)
    m.update_state(y_true, logits)
    np.testing.assert_allclose(m.result(), 3.6678069, atol=1e-5)


def test_keras_sparse_ignore_class_counts_ignored_rows_only_when_unweighted():  # §6.3 row 8
    y_true = [0, 1, 2]
    y_pred = [[0.8, 0.1, 0.1], [0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    m = SCCE(ignore_class=0)
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), 0.7846262, atol=1e-6)  # the ignored row stays in N
    m = SCCE(ignore_class=0)
    m.update_state(y_true, y_pred, sample_weight=[0.5, 1.5, 2.0])
    np.testing.assert_allclose(m.result(), 1.3377458, atol=1e-6)
    values = SCCE(y_true, y_pred, ignore_class=0)
    np.testing.assert_allclose(values, [0.0, 0.05129331, 2.3025851], atol=1e-6)


def test_keras_binary_crossentropy_clipping():  # §6.3 row 9
    m = BCE()
    m.update_state([[1, 0], [1, 0]], [[1, 1], [1, 0]], sample_weight=[1.5, 2.0])
    np.testing.assert_allclose(m.result(), 3.4162254, atol=1e-5)


@pytest.mark.parametrize("ctor, y_true, y_pred, weight, unweighted, weighted", [
    # The examples in Keras 3's class docstrings (probabilistic_metrics.py).
    (md.metric_kl_divergence, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], [1, 0],
     0.45814306, 0.9162892),
    (md.metric_poisson, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.49999997, 0.99999994),
    (BCE, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], [1, 0], 0.81492424, 0.9162905),
    (CCE, [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], [0.3, 0.7],
     1.1769392, 1.6271976),
    (SCCE, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], [0.3, 0.7], 1.1769392, 1.6271976),
])
def test_keras_docstring_examples(ctor, y_true, y_pred, weight, unweighted, weighted):
    m = ctor()
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), unweighted, rtol=1e-6)
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=np.array(weight, "float32"))
    np.testing.assert_allclose(m.result(), weighted, rtol=1e-6)


# -- call shapes -------------------------------------------------------------------------------
def test_dual_call_returns_per_sample_values():
    y_true, y_pred = np.eye(3)[[1, 2]], np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert CCE(y_true, y_pred).shape == (2,)
    assert SCCE([[1], [2]], y_pred).shape == (2,)
    assert BCE(y_true, y_pred).shape == (2,)
    assert BCE(y_true, y_pred, axis=0).shape == (3,)  # the function has Keras's axis argument
    assert md.metric_kl_divergence(y_true, y_pred).shape == (2,)
    assert md.metric_poisson(y_true=y_true, y_pred=y_pred).shape == (2,)
    assert isinstance(md.metric_poisson(), md.metric_poisson)


@pytest.mark.parametrize("fn", [md.metric_binary_focal_crossentropy,
                                md.metric_categorical_focal_crossentropy])
def test_focal_crossentropies_are_function_only(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__}\(\) is function-only.*y_true, y_pred"):
        fn()
    with pytest.raises(TypeError, match="function-only"):
        fn(gamma=1.0)
    with pytest.raises(TypeError, match="function-only"):
        Metric("Focal", inherit=fn)
    m = md.metric_mean_wrapper(fn)  # Keras: usable as a compile metric callable
    y_true, y_pred = np.eye(3)[[1, 2]], np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), np.mean(fn(y_true, y_pred)), rtol=1e-6)


def test_keras_focal_docstring_values():
    # keras.losses.binary_focal_crossentropy / categorical_focal_crossentropy docstrings.
    values = md.metric_binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]],
                                                 gamma=2.0)
    np.testing.assert_allclose(values, [0.330, 0.206], atol=1e-3)
    values = md.metric_categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]],
                                                      [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(values, [3.2e-05, 4.66273e-01], atol=1e-6)


def test_one_class_categorical_warns():
    with pytest.warns(UserWarning, match="num_classes > 1"):
        CCE(np.ones((2, 1)), np.ones((2, 1)))


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ctor, y_true, y_pred, fragment", [
    (BCE, np.zeros(4), np.zeros((4, 1)), "BinaryCrossentropy.*same shape"),
    (CCE, np.eye(3)[:2], np.eye(3), "CategoricalCrossentropy.*same shape"),
    (SCCE, np.zeros(2), np.eye(3), r"SparseCategoricalCrossentropy.*\(3,\)"),
    (md.metric_kl_divergence, np.zeros((2, 3)), np.zeros((4, 3)), "KLDivergence.*broadcast"),
    (md.metric_poisson, np.zeros((2, 3)), np.zeros((2, 2)), "Poisson.*broadcast"),
])
def test_mismatched_shapes_raise_before_any_state_change(ctor, y_true, y_pred, fragment):
    m = ctor()
    m.update_state(np.eye(3)[:1] if ctor is not SCCE else [0], np.eye(3)[:1] * 0.5 + 0.1)
    before = [np.asarray(v.value) for v in m.variables]
    with pytest.raises(ValueError, match=rf"^{fragment}"):
        m.update_state(y_true, y_pred)
    assert all(np.array_equal(a, v.value) for a, v in zip(before, m.variables))
    with pytest.raises(ValueError, match=r"^metric_\w+: .*" + fragment.split(".*", 1)[1]):
        ctor(y_true, y_pred)


def test_bad_axis_is_rejected():
    with pytest.raises(ValueError, match="axis must be of type int"):
        CCE(np.eye(3), np.eye(3), axis=True)
    with pytest.raises(ValueError, match="axis=2 is out of range"):
        SCCE([0, 1], np.eye(3)[:2], axis=2)


def test_ignore_class_weight_must_broadcast_against_the_mask():
    # Keras multiplies the (N, T) mask by the weight as given: an (N,) weight does not broadcast.
    m = SCCE(ignore_class=0)
    with pytest.raises(ValueError, match=r"sample_weight of shape .* the ignore_class mask"):
        m.update_state(np.zeros((4, 3), "int32"), np.ones((4, 3, 5)), sample_weight=np.ones(4))
    assert float(m.result()) == 0.0


@pytest.mark.parametrize("name", ["bce", "cce", "kl_divergence"])
def test_bfloat16_predictions(name):
    # Computed in y_pred's dtype (as Keras); compared with the float64 reference loosely.
    ctor, kwargs, *_, ref_fn = CASES[name]
    y_true, y_pred = _sample(name if name != "cce" else "kl_divergence", np.random.default_rng(4))
    y_true = np.eye(C)[np.argmax(y_true, -1)] if name == "cce" else y_true
    y_pred = np.asarray(y_pred, "float32").astype(jnp.bfloat16)
    values = ctor(y_true, y_pred, **kwargs)
    assert values.dtype == jnp.bfloat16
    expected = ref_fn(y_true, np.asarray(y_pred, "float64"), **kwargs)
    np.testing.assert_allclose(np.asarray(values, "float64"), expected, rtol=2e-2, atol=2e-2)
    m = ctor(**kwargs)
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), expected.mean(), rtol=2e-2)


def test_integer_predictions_are_cast_to_floatx():
    # Deliberate difference: Keras computes in int32 here (eps becomes 0: NaN / 0 results).
    values = md.metric_poisson(np.array([[0, 1], [0, 0]]), np.array([[1, 1], [0, 0]]))
    assert values.dtype == np.float32
    np.testing.assert_allclose(values, [0.99999994, 0.0], rtol=1e-6)
