"""Accuracy family: kernels and metrics against numpy references and Keras's documented vectors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from laws import assert_shards_merge_to_one_pass, assert_stateful_equals_jitted_stateless
from references import accuracy as ref

import metricdsl as md
from metricdsl import Metric
from metricdsl.functional.accuracy import accuracy as accuracy_kernel

N, T, C = 8, 3, 5


# -- input strategies (fixed shapes so compiled updates are reused) ------------------------------
def _binary(shape):
    return hnp.arrays(np.float32, shape, elements=st.sampled_from([0.0, 1.0]))


def _scores(shape):
    # Few distinct values: ties exercise argmax (first index) and top-k (ties count as inside).
    return hnp.arrays(np.float32, shape,
                      elements=st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]),
                                         st.floats(0, 1, width=32)))


def _labels(shape, high=C):
    return hnp.arrays(np.int32, shape, elements=st.integers(0, high - 1))


def _one_hot(shape):
    return _labels(shape[:-1], shape[-1]).map(lambda ids: np.eye(shape[-1], dtype=np.float32)[ids])


def _sorted_ids(rows, width):
    perms = st.lists(st.permutations(range(C)), min_size=rows, max_size=rows)
    return perms.map(lambda p: np.asarray(p, np.int32)[:, :width])


def _weights(values_shape):
    w = st.one_of(st.just(0.0), st.floats(0.125, 2, width=32))  # no subnormals (XLA flushes them)
    n = values_shape[0]
    return st.one_of(st.none(), w.map(np.float32), hnp.arrays(np.float32, (n,), elements=w),
                     hnp.arrays(np.float32, (n, 1), elements=w),
                     hnp.arrays(np.float32, values_shape, elements=w))


# name: (constructor, kwargs, y_true strategy, y_pred strategy, reference values fn)
CASES = {
    "accuracy": (md.metric_accuracy, {}, _labels((N, 1), 3).map(lambda a: a.astype("float32")),
                 _labels((N, 1), 3).map(lambda a: a.astype("float32")), ref.accuracy_values),
    "binary_accuracy": (md.metric_binary_accuracy, {"threshold": 0.3}, _binary((N, T)),
                        _scores((N, T)), ref.binary_accuracy_values),
    "binary_accuracy_column": (md.metric_binary_accuracy, {}, _binary((N, 1)), _scores((N, 1)),
                               ref.binary_accuracy_values),
    "categorical_accuracy": (md.metric_categorical_accuracy, {}, _one_hot((N, C)),
                             _scores((N, C)), ref.categorical_accuracy_values),
    "categorical_accuracy_3d": (md.metric_categorical_accuracy, {}, _one_hot((N, T, C)),
                                _scores((N, T, C)), ref.categorical_accuracy_values),
    "sparse_categorical_accuracy": (md.metric_sparse_categorical_accuracy, {}, _labels((N, 1)),
                                    _scores((N, C)), ref.sparse_categorical_accuracy_values),
    "top_k": (md.metric_top_k_categorical_accuracy, {"k": 2}, _one_hot((N, C)), _scores((N, C)),
              ref.top_k_categorical_accuracy_values),
    "sparse_top_k": (md.metric_sparse_top_k_categorical_accuracy, {"k": 2}, _labels((N,)),
                     _scores((N, C)), ref.sparse_top_k_categorical_accuracy_values),
    "sparse_top_k_column_3d": (md.metric_sparse_top_k_categorical_accuracy, {"k": 3},
                               _labels((N, T)), _scores((N, T, C)),
                               ref.sparse_top_k_categorical_accuracy_values),
    "sparse_top_k_sorted_ids": (md.metric_sparse_top_k_categorical_accuracy,
                                {"k": 2, "from_sorted_ids": True}, _labels((N, 1)),
                                _sorted_ids(N, 4), ref.sparse_top_k_categorical_accuracy_values),
}


def _values_fn(name):
    """The per-sample function of a case: the dual call (the kernel for class-only Accuracy)."""
    ctor = CASES[name][0]
    return accuracy_kernel if ctor is md.metric_accuracy else ctor


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_per_sample_values_match_reference(name, data):
    _, kwargs, true_st, pred_st, ref_fn = CASES[name]
    y_true, y_pred = data.draw(true_st), data.draw(pred_st)
    values = np.asarray(_values_fn(name)(y_true, y_pred, **kwargs))
    expected = ref_fn(y_true, y_pred, **kwargs)
    assert values.shape == expected.shape and values.dtype == np.float32
    np.testing.assert_array_equal(values, expected)


# Weighted results for each per-sample values shape ((N,), (N, 1), (N, T)) and each kernel
# family (each weight shape costs a compile; the other metrics' weighting is compared with
# Keras in test_accuracy_probabilistic_keras.py and below with (N,) weights).
@pytest.mark.parametrize("name", ["binary_accuracy", "binary_accuracy_column",
                                  "sparse_categorical_accuracy", "top_k",
                                  "sparse_top_k_sorted_ids"])
@given(data=st.data())
def test_weighted_result_matches_reference(name, data):
    ctor, kwargs, true_st, pred_st, ref_fn = CASES[name]
    y_true, y_pred = data.draw(true_st), data.draw(pred_st)
    expected_values = ref_fn(y_true, y_pred, **kwargs)
    sample_weight = data.draw(_weights(expected_values.shape))
    m = ctor(**kwargs)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    np.testing.assert_allclose(
        m.result(), ref.keras_weighted_mean(expected_values, sample_weight), rtol=1e-5, atol=1e-6)


def _concrete(name, rng):
    """One concrete random batch of a case (numpy rng, same shapes as its strategies)."""
    shapes = {"binary_accuracy": ((N, T), (N, T)), "binary_accuracy_column": ((N, 1), (N, 1))}
    if name == "accuracy":
        return rng.integers(0, 3, (N, 1)).astype("float32"), \
            rng.integers(0, 3, (N, 1)).astype("float32")
    if name in shapes:
        return rng.integers(0, 2, shapes[name][0]).astype("float32"), \
            rng.uniform(size=shapes[name][1]).astype("float32")
    if name.startswith(("categorical", "top_k")):
        shape = (N, T, C) if name.endswith("3d") else (N, C)
        return np.eye(C, dtype="float32")[rng.integers(0, C, shape[:-1])], \
            rng.uniform(size=shape).astype("float32")
    if name == "sparse_top_k_sorted_ids":
        return rng.integers(0, C, (N, 1)), np.argsort(rng.uniform(size=(N, C)), -1)[:, :4]
    if name == "sparse_top_k_column_3d":
        return rng.integers(0, C, (N, T)), rng.uniform(size=(N, T, C)).astype("float32")
    labels_shape = (N, 1) if name == "sparse_categorical_accuracy" else (N,)
    return rng.integers(0, C, labels_shape), rng.uniform(size=(N, C)).astype("float32")


@pytest.mark.parametrize("name", ["accuracy", "binary_accuracy_column", "categorical_accuracy",
                                  "sparse_categorical_accuracy", "top_k", "sparse_top_k",
                                  "sparse_top_k_sorted_ids"])
def test_stateful_equals_jitted_stateless_streaming_and_merged(name):
    ctor, kwargs, *_, ref_fn = CASES[name]
    rng = np.random.default_rng(1)
    batches = [(*_concrete(name, rng), rng.uniform(0, 2, N).astype("float32")) for _ in range(2)]
    stateful = ctor(**kwargs)
    assert_stateful_equals_jitted_stateless(stateful, batches, rtol=0)
    assert_shards_merge_to_one_pass(lambda: ctor(**kwargs), batches, stateful)
    all_true, all_pred, all_w = (np.concatenate(parts) for parts in zip(*batches))
    expected = ref.keras_weighted_mean(ref_fn(all_true, all_pred, **kwargs), all_w)
    np.testing.assert_allclose(stateful.result(), expected, rtol=1e-6)
    stateful.reset_state()
    assert float(stateful.result()) == 0.0
    assert all(float(np.sum(np.abs(v.value))) == 0.0 for v in stateful.variables)


# -- config and attributes ---------------------------------------------------------------------
CONFIGS = [  # (constructor, non-default kwargs, exact Keras get_config keys)
    (md.metric_accuracy, {}, ["name", "dtype"]),
    (md.metric_binary_accuracy, {"threshold": 0.7}, ["name", "dtype", "threshold"]),
    (md.metric_categorical_accuracy, {}, ["name", "dtype"]),
    (md.metric_sparse_categorical_accuracy, {}, ["name", "dtype"]),
    (md.metric_top_k_categorical_accuracy, {"k": 3}, ["name", "dtype", "k"]),
    (md.metric_sparse_top_k_categorical_accuracy, {"k": 3}, ["name", "dtype", "k"]),
    (md.metric_sparse_top_k_categorical_accuracy, {"k": 1, "from_sorted_ids": True},
     ["name", "dtype", "k", "from_sorted_ids"]),
]


@pytest.mark.parametrize("ctor, kwargs, keys", CONFIGS)
def test_config_round_trip_and_attributes(ctor, kwargs, keys):
    m = ctor(name="custom", dtype="float32", **kwargs)
    config = m.get_config()
    assert sorted(config) == sorted(keys)
    assert config == {"name": "custom", "dtype": "float32", **kwargs}
    clone = type(m).from_config(config)
    assert clone.get_config() == config and type(clone) is type(m)
    for key, value in kwargs.items():
        assert getattr(m, key) == value and getattr(clone, key) == value


@pytest.mark.parametrize("ctor, name", [
    (md.metric_accuracy, "accuracy"), (md.metric_binary_accuracy, "binary_accuracy"),
    (md.metric_categorical_accuracy, "categorical_accuracy"),
    (md.metric_sparse_categorical_accuracy, "sparse_categorical_accuracy"),
    (md.metric_top_k_categorical_accuracy, "top_k_categorical_accuracy"),
    (md.metric_sparse_top_k_categorical_accuracy, "sparse_top_k_categorical_accuracy"),
])
def test_defaults_match_keras(ctor, name):
    m = ctor()
    assert m.name == name and m.dtype == "float32" and float(m.result()) == 0.0
    assert [v.name for v in m.variables][:2] == ["total", "count"]


def test_constructor_defaults():
    assert md.metric_binary_accuracy().threshold == 0.5
    assert md.metric_top_k_categorical_accuracy().k == 5
    m = md.metric_sparse_top_k_categorical_accuracy()
    assert (m.k, m.from_sorted_ids) == (5, False)
    assert list(md.metric_top_k_categorical_accuracy.__signature__.parameters) == \
        ["k", "name", "dtype"]


# -- Keras's acceptance vectors (keras3_metrics_spec.md §6.3, re-measured on Keras 3 / JAX) ----
def test_keras_binary_accuracy_thresholds():  # §6.3 row 4
    y_true, y_pred = [[1], [1], [0], [0]], [[0.98], [0.5], [0.1], [0.2]]
    for threshold, expected in ((0.9, 0.75), (0.3, 1.0)):
        m = md.metric_binary_accuracy(threshold=threshold)
        m.update_state(y_true, y_pred)
        np.testing.assert_allclose(m.result(), expected, atol=1e-6)


def test_keras_sparse_categorical_accuracy_weighted():  # §6.3 row 5
    m = md.metric_sparse_categorical_accuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    np.testing.assert_allclose(m.result(), 0.3, atol=1e-6)


def test_keras_sparse_top_k_from_sorted_ids():  # §6.3 row 6
    m = md.metric_sparse_top_k_categorical_accuracy(k=1, from_sorted_ids=True)
    m.update_state([2, 1], [[1, 0, 3], [1, 2, 3]])
    np.testing.assert_allclose(m.result(), 0.5, atol=1e-6)


@pytest.mark.parametrize("ctor, kwargs, y_true, y_pred, unweighted, weighted", [
    # The examples in Keras 3's class docstrings (accuracy_metrics.py), weights [1,1,0,0] etc.
    (md.metric_accuracy, {}, [[1], [2], [3], [4]], [[0], [2], [3], [4]], 0.75, 0.5),
    (md.metric_binary_accuracy, {}, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], 0.75, 0.5),
    (md.metric_categorical_accuracy, {}, [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5, 0.3),
    (md.metric_top_k_categorical_accuracy, {"k": 1}, [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5, 0.3),
    (md.metric_sparse_top_k_categorical_accuracy, {"k": 1}, [2, 1],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5, 0.3),
])
def test_keras_docstring_examples(ctor, kwargs, y_true, y_pred, unweighted, weighted):
    weights = {md.metric_accuracy: [1, 1, 0, 0], md.metric_binary_accuracy: [1, 0, 0, 1]}
    m = ctor(**kwargs)
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), unweighted, atol=1e-6)
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=weights.get(ctor, [0.7, 0.3]))
    np.testing.assert_allclose(m.result(), weighted, atol=1e-6)


# -- call shapes -------------------------------------------------------------------------------
def test_dual_call_returns_keras_per_sample_shapes():
    # R keras3 [run]: metric_binary_accuracy(y_true, y_pred) on this data gives 1, 1, 1, 0.
    values = md.metric_binary_accuracy([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert values.shape == (4, 1)
    np.testing.assert_array_equal(np.ravel(values), [1, 1, 1, 0])
    # The cases' shapes (N = 8 samples, C = 5 classes), as Keras returns them.
    y_true, y_pred = _concrete("categorical_accuracy", np.random.default_rng(3))
    labels = np.argmax(y_true, -1)
    assert md.metric_binary_accuracy(y_true=y_true, y_pred=y_pred, threshold=0.1).shape == (N, C)
    assert md.metric_categorical_accuracy(y_true, y_pred).shape == (N,)
    assert md.metric_top_k_categorical_accuracy(y_true, y_pred, k=2).shape == (N,)
    assert md.metric_sparse_categorical_accuracy(labels[:, None], y_pred).shape == (N,)
    sparse_top_k = md.metric_sparse_top_k_categorical_accuracy
    assert sparse_top_k(labels[:, None], y_pred, k=2).shape == (N, 1)  # keeps y_true's shape
    assert sparse_top_k(labels, y_pred, k=2).shape == (N,)
    sorted_ids = np.argsort(-y_pred, -1)[:, :4]
    np.testing.assert_array_equal(sparse_top_k(labels, sorted_ids, k=2, from_sorted_ids=True),
                                  sparse_top_k(labels, y_pred, k=2))


@pytest.mark.parametrize("ctor", [md.metric_binary_accuracy, md.metric_categorical_accuracy,
                                  md.metric_sparse_categorical_accuracy,
                                  md.metric_top_k_categorical_accuracy,
                                  md.metric_sparse_top_k_categorical_accuracy, md.metric_accuracy])
def test_no_data_gives_an_instance(ctor):
    m = ctor(name="m")
    assert isinstance(m, ctor) and isinstance(m, md.Metric) and m.name == "m"


def test_function_mode_rejects_constructor_arguments():
    with pytest.raises(TypeError, match="name"):
        md.metric_binary_accuracy([1], [1.0], name="x")


def test_accuracy_is_class_only():
    assert not hasattr(kernels, "metric_accuracy_fn")
    with pytest.raises(TypeError):
        md.metric_accuracy(y_true=[1], y_pred=[1])


def test_inherited_class_is_a_plain_metric():
    def initialize(name="strict_accuracy", dtype=None):
        super.initialize(name=name, dtype=dtype, threshold=0.9)

    Strict = Metric("StrictAccuracy", initialize=initialize, inherit=md.metric_binary_accuracy)
    m = Strict()
    m.update_state([[1], [1]], [[0.95], [0.8]])
    assert float(m.result()) == 0.5 and m.threshold == 0.9
    assert isinstance(m, md.metric_binary_accuracy)


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ctor, kwargs, y_true, y_pred, fragment", [
    (md.metric_binary_accuracy, {}, np.zeros(4), np.zeros(3), "BinaryAccuracy"),
    (md.metric_accuracy, {}, np.zeros((4, 2)), np.zeros((4, 3)), "Accuracy"),
    (md.metric_categorical_accuracy, {}, np.eye(3)[:2], np.eye(3), "CategoricalAccuracy"),
    (md.metric_sparse_categorical_accuracy, {}, np.zeros(2), np.eye(3), "SparseCategorical"),
    (md.metric_top_k_categorical_accuracy, {}, np.eye(3)[:2], np.eye(3), "TopKCategorical"),
    (md.metric_sparse_top_k_categorical_accuracy, {"from_sorted_ids": True}, np.zeros(2),
     np.zeros((3, 2)), "SparseTopK"),
])
def test_mismatched_shapes_raise_before_any_state_change(ctor, kwargs, y_true, y_pred, fragment):
    m = ctor(**kwargs)
    m.update_state(y_pred[:1], y_pred[:1])
    before = [np.asarray(v.value) for v in m.variables]
    with pytest.raises(ValueError, match=rf"^{fragment}\w* '{m.name}': metric_\w+: "):
        m.update_state(y_true, y_pred)
    assert all(np.array_equal(a, v.value) for a, v in zip(before, m.variables))
    if ctor is not md.metric_accuracy:
        with pytest.raises(ValueError, match=r"^metric_\w+: "):
            ctor(y_true, y_pred, **kwargs)


@pytest.mark.parametrize("ctor", [md.metric_top_k_categorical_accuracy,
                                  md.metric_sparse_top_k_categorical_accuracy])
@pytest.mark.parametrize("k, error", [(0, ValueError), (-2, ValueError), (True, TypeError),
                                      (1.5, TypeError), ("3", TypeError)])
def test_bad_k_is_rejected(ctor, k, error):
    with pytest.raises(error, match=rf"^{ctor.__name__}: k must be a positive integer.*received"):
        ctor(k=k)
    y_true = np.eye(3) if ctor is md.metric_top_k_categorical_accuracy else [0, 1, 2]
    with pytest.raises(error, match=r"^metric_\w*top_k_categorical_accuracy: k must be"):
        ctor(y_true, np.eye(3), k=k)


def test_k_above_number_of_classes_is_valid():
    # Keras accepts any k >= 1: with k >= C every label is a hit.
    m = md.metric_sparse_top_k_categorical_accuracy(k=10)
    m.update_state([0, 1, 2], np.eye(3)[[1, 2, 0]])
    assert float(m.result()) == 1.0
    values = md.metric_top_k_categorical_accuracy(np.eye(3), np.eye(3)[[1, 2, 0]], k=4)
    np.testing.assert_array_equal(values, [1, 1, 1])


def test_integer_predictions_are_cast_to_floatx():
    # Deliberate difference: integer y_pred is compared as floatx (Keras compares in int32).
    values = md.metric_binary_accuracy(np.array([1, 0, 1]), np.array([1, 0, 0]))
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, [1, 1, 0])
