"""Accuracy and probabilistic metrics against real Keras 3 (JAX backend) on random data.

Every option (threshold, k, from_sorted_ids, from_logits, label_smoothing, axis,
ignore_class, the focal arguments) is compared: the per-sample functions
against ``keras.metrics.<fn>`` and the metrics' weighted results against the
``keras.metrics`` classes, unweighted and with a sample-weight shape (scalar,
``(N,)``, ``(N, 1)``, full: each on several metrics).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import numpy as np
import pytest

import metricdsl as md
from metricdsl.functional.accuracy import accuracy as accuracy_kernel

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.keras

N, T, C = 8, 3, 5
ROTATION = ["per_sample", "column", "full", "scalar"]  # the weighted run of METRICS[i]: i % 4


def _data(kind, rng):
    """(y_true, y_pred) of one input kind, float32 (labels as int32)."""
    one_hot = np.eye(C, dtype="float32")
    makers = {
        "binary": lambda: (rng.integers(0, 2, (N, T)).astype("float32"),
                           rng.uniform(size=(N, T)).astype("float32")),
        "binary_column": lambda: (rng.integers(0, 2, (N, 1)).astype("float32"),
                                  rng.uniform(size=(N, 1)).astype("float32")),
        "logits": lambda: (rng.integers(0, 2, (N, T)).astype("float32"),
                           rng.normal(0, 3, (N, T)).astype("float32")),
        "one_hot": lambda: (one_hot[rng.integers(0, C, N)],
                            rng.uniform(size=(N, C)).astype("float32")),
        "one_hot_logits": lambda: (one_hot[rng.integers(0, C, N)],
                                   rng.normal(0, 3, (N, C)).astype("float32")),
        "one_hot_axis_1": lambda: (np.moveaxis(one_hot[rng.integers(0, C, (N, T))], -1, 1),
                                   rng.uniform(size=(N, C, T)).astype("float32")),
        "sparse": lambda: (rng.integers(0, C, N).astype("int32"),
                           rng.uniform(size=(N, C)).astype("float32")),
        "sparse_column": lambda: (rng.integers(0, C, (N, 1)).astype("int32"),
                                  rng.uniform(size=(N, C)).astype("float32")),
        "sparse_3d": lambda: (rng.integers(0, C, (N, T)).astype("int32"),
                              rng.uniform(size=(N, T, C)).astype("float32")),
        "sparse_logits": lambda: (rng.integers(0, C, N).astype("int32"),
                                  rng.normal(0, 3, (N, C)).astype("float32")),
        "sparse_axis_1": lambda: (rng.integers(0, C, (N, C)).astype("int32"),
                                  rng.uniform(size=(N, C, C)).astype("float32")),
        "sorted_ids": lambda: (rng.integers(0, C, (N, 1)).astype("int32"),
                               np.argsort(rng.uniform(size=(N, C)), -1)[:, :4].astype("int32")),
        "soft": lambda: (rng.dirichlet(np.ones(C), N).astype("float32"),
                         rng.dirichlet(np.ones(C), N).astype("float32")),
        "counts": lambda: (rng.poisson(2.0, (N, C)).astype("float32"),
                           rng.uniform(0.1, 4, (N, C)).astype("float32")),
        "equal": lambda: (rng.integers(0, 3, (N, 1)).astype("float32"),
                          rng.integers(0, 3, (N, 1)).astype("float32")),
    }
    return makers[kind]()


def _weight(kind, values_shape, rng):
    shapes = {"scalar": (), "per_sample": (N,), "column": (N, 1), "full": values_shape}
    return None if kind == "none" else rng.uniform(0, 2, shapes[kind]).astype("float32")


# (metricdsl builtin, Keras class name, Keras function name or None, kwargs, data kind)
METRICS = [
    (md.metric_accuracy, "Accuracy", None, {}, "equal"),
    (md.metric_binary_accuracy, "BinaryAccuracy", "binary_accuracy", {"threshold": 0.3}, "binary"),
    (md.metric_binary_accuracy, "BinaryAccuracy", "binary_accuracy", {}, "binary_column"),
    (md.metric_categorical_accuracy, "CategoricalAccuracy", "categorical_accuracy", {},
     "one_hot"),
    (md.metric_sparse_categorical_accuracy, "SparseCategoricalAccuracy",
     "sparse_categorical_accuracy", {}, "sparse_column"),
    (md.metric_top_k_categorical_accuracy, "TopKCategoricalAccuracy",
     "top_k_categorical_accuracy", {"k": 2}, "one_hot"),
    (md.metric_top_k_categorical_accuracy, "TopKCategoricalAccuracy",
     "top_k_categorical_accuracy", {"k": 7}, "one_hot"),
    (md.metric_sparse_top_k_categorical_accuracy, "SparseTopKCategoricalAccuracy",
     "sparse_top_k_categorical_accuracy", {"k": 2}, "sparse"),
    (md.metric_sparse_top_k_categorical_accuracy, "SparseTopKCategoricalAccuracy",
     "sparse_top_k_categorical_accuracy", {"k": 3}, "sparse_3d"),
    (md.metric_sparse_top_k_categorical_accuracy, "SparseTopKCategoricalAccuracy",
     "sparse_top_k_categorical_accuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids"),
    (md.metric_binary_crossentropy, "BinaryCrossentropy", "binary_crossentropy", {}, "binary"),
    (md.metric_binary_crossentropy, "BinaryCrossentropy", "binary_crossentropy",
     {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    (md.metric_categorical_crossentropy, "CategoricalCrossentropy", "categorical_crossentropy",
     {}, "one_hot"),
    (md.metric_categorical_crossentropy, "CategoricalCrossentropy", "categorical_crossentropy",
     {"from_logits": True, "label_smoothing": 0.1}, "one_hot_logits"),
    (md.metric_categorical_crossentropy, "CategoricalCrossentropy", "categorical_crossentropy",
     {"axis": 1}, "one_hot_axis_1"),
    (md.metric_sparse_categorical_crossentropy, "SparseCategoricalCrossentropy",
     "sparse_categorical_crossentropy", {}, "sparse_column"),
    (md.metric_sparse_categorical_crossentropy, "SparseCategoricalCrossentropy",
     "sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 0},
     "sparse_logits"),
    (md.metric_sparse_categorical_crossentropy, "SparseCategoricalCrossentropy",
     "sparse_categorical_crossentropy", {"axis": 1, "ignore_class": 2}, "sparse_axis_1"),
    (md.metric_kl_divergence, "KLDivergence", "kl_divergence", {}, "soft"),
    (md.metric_poisson, "Poisson", "poisson", {}, "counts"),
]


def _ids(case):
    return f"{case[1]}-{'-'.join(f'{k}={v}' for k, v in case[3].items()) or 'default'}"


@pytest.mark.parametrize("case", [c for c in METRICS if c[2]], ids=_ids)
def test_functions_match_keras(case):
    ours, _, fn_name, kwargs, kind = case
    y_true, y_pred = _data(kind, np.random.default_rng(0))
    # Keras's sparse cross-entropy reads y_true.shape, so it needs arrays, not numpy.
    expected = np.asarray(getattr(keras.metrics, fn_name)(
        keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred), **kwargs))
    values = np.asarray(ours(y_true, y_pred, **kwargs))
    assert values.shape == expected.shape
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("ours, fn_name, kwargs, kind", [
    (md.metric_binary_focal_crossentropy, "binary_focal_crossentropy", {}, "binary"),
    (md.metric_binary_focal_crossentropy, "binary_focal_crossentropy",
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.1},
     "binary"),
    (md.metric_binary_focal_crossentropy, "binary_focal_crossentropy",
     {"from_logits": True, "axis": 0}, "logits"),
    (md.metric_categorical_focal_crossentropy, "categorical_focal_crossentropy",
     {"alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.1}, "one_hot"),
    (md.metric_categorical_focal_crossentropy, "categorical_focal_crossentropy",
     {"from_logits": True}, "one_hot_logits"),
    (md.metric_categorical_focal_crossentropy, "categorical_focal_crossentropy", {"axis": 1},
     "one_hot_axis_1"),
])
def test_focal_functions_match_keras(ours, fn_name, kwargs, kind):
    y_true, y_pred = _data(kind, np.random.default_rng(2))
    expected = np.asarray(getattr(keras.metrics, fn_name)(y_true, y_pred, **kwargs))
    values = np.asarray(ours(y_true, y_pred, **kwargs))
    assert values.shape == expected.shape
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6)


# Each metric unweighted and with one weight shape; the shapes rotate so that each is compared
# on several metrics (each shape costs a compile on both sides).
@pytest.mark.parametrize("case, weight", [
    (case, weight) for i, case in enumerate(METRICS)
    for weight in ("none", ROTATION[i % 4])], ids=lambda x: x if isinstance(x, str) else _ids(x))
def test_metrics_match_keras(case, weight):
    ours, class_name, _, kwargs, kind = case
    rng = np.random.default_rng(1)
    y_true, y_pred = _data(kind, rng)
    values_shape = _values_shape(ours, y_true, y_pred, kwargs)
    sample_weight = _weight(weight, values_shape, rng)
    theirs = getattr(keras.metrics, class_name)(**kwargs)
    theirs.update_state(y_true, y_pred, sample_weight=sample_weight)
    m = ours(**kwargs)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    np.testing.assert_allclose(m.result(), np.asarray(theirs.result()), rtol=1e-5, atol=1e-6)
    assert m.get_config() == theirs.get_config()


def _values_shape(ours, y_true, y_pred, kwargs):
    """The per-sample values' shape (traced only, nothing computed)."""
    fn = accuracy_kernel if ours is md.metric_accuracy else ours
    return jax.eval_shape(lambda t, p: fn(t, p, **kwargs), y_true, y_pred).shape
