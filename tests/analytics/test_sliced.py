"""md.sliced: per-group results equal filter-then-compute; counts, masking, errors, composition."""

import importlib

import jax
import numpy as np
import pytest
from sklearn.metrics import r2_score

import metricdsl as md
from metricdsl.errors import CompileMetricsError

G, PER_GROUP = 3, 8
N = G * PER_GROUP


def _data(kind, rng):
    """(y_true, y_pred) of N samples for a family of metrics."""
    if kind == "binary":
        return (rng.integers(0, 2, (N, 1)).astype("float32"),
                rng.uniform(0.01, 0.99, (N, 1)).astype("float32"))
    if kind == "regression":
        return rng.uniform(0.1, 2, (N, 3)).astype("float32"), rng.uniform(0.1, 2, (N, 3)).astype(
            "float32")
    probs = rng.dirichlet(np.ones(4), N).astype("float32")
    labels = rng.integers(0, 4, N)
    if kind == "sparse":
        return labels, probs
    return np.eye(4, dtype="float32")[labels], probs  # categorical


CASES = [
    *[(name, "binary", {}) for name in (
        "metric_accuracy", "metric_auc", "metric_average_precision", "metric_binary_accuracy",
        "metric_binary_crossentropy", "metric_binary_iou", "metric_brier_score",
        "metric_expected_calibration_error", "metric_false_negatives", "metric_false_positives",
        "metric_hinge", "metric_matthews_correlation", "metric_precision", "metric_recall",
        "metric_squared_hinge", "metric_true_negatives", "metric_true_positives")],
    ("metric_balanced_accuracy", "sparse", {"num_classes": 4}),
    ("metric_cohen_kappa", "sparse", {"num_classes": 4}),
    ("metric_confusion_matrix", "sparse", {"num_classes": 4}),
    ("metric_multiclass_f1_score", "sparse", {"num_classes": 4}),
    ("metric_multiclass_precision", "sparse", {"num_classes": 4}),
    ("metric_multiclass_recall", "sparse", {"num_classes": 4}),
    ("metric_mean_iou", "sparse", {"num_classes": 4, "sparse_y_pred": False}),
    ("metric_iou", "sparse", {"num_classes": 4, "target_class_ids": [0, 2],
                                 "sparse_y_pred": False}),
    ("metric_precision_at_recall", "binary", {"recall": 0.5}),
    ("metric_recall_at_precision", "binary", {"precision": 0.5}),
    ("metric_sensitivity_at_specificity", "binary", {"specificity": 0.5}),
    ("metric_specificity_at_sensitivity", "binary", {"sensitivity": 0.5}),
    *[(name, "sparse", {}) for name in (
        "metric_sparse_categorical_accuracy", "metric_sparse_categorical_crossentropy",
        "metric_sparse_top_k_categorical_accuracy")],
    *[(name, "categorical", {}) for name in (
        "metric_categorical_accuracy", "metric_categorical_crossentropy",
        "metric_categorical_hinge", "metric_kl_divergence", "metric_top_k_categorical_accuracy",
        "metric_one_hot_mean_iou", "metric_one_hot_iou", "metric_ndcg",
        "metric_mean_reciprocal_rank")],
    *[(name, "regression", {}) for name in (
        "metric_mean_squared_error", "metric_mean_absolute_error",
        "metric_mean_absolute_percentage_error", "metric_mean_squared_logarithmic_error",
        "metric_root_mean_squared_error", "metric_log_cosh_error", "metric_cosine_similarity",
        "metric_poisson", "metric_pearson_correlation", "metric_concordance_correlation")],
]
EXTRA = {"metric_one_hot_mean_iou": {"num_classes": 4}, "metric_one_hot_iou": {
    "num_classes": 4, "target_class_ids": [1]}, "metric_ndcg": {"k": 3},
    "metric_mean_reciprocal_rank": {"k": 3}, "metric_sparse_top_k_categorical_accuracy": {"k": 2},
    "metric_top_k_categorical_accuracy": {"k": 2}}


FAST = {"metric_binary_accuracy", "metric_true_positives", "metric_mean_iou",
        "metric_categorical_crossentropy", "metric_mean_squared_error"}  # `pytest -m slow`: all


@pytest.mark.parametrize(("name", "kind", "kwargs"), [
    pytest.param(*case, marks=() if case[0] in FAST else pytest.mark.slow) for case in CASES],
    ids=[c[0] for c in CASES])
def test_each_group_equals_the_metric_on_that_group_alone(name, kind, kwargs, rng):
    make = getattr(md, name)
    kwargs = {**kwargs, **EXTRA.get(name, {})}
    y_true, y_pred = _data(kind, rng)
    weight = rng.uniform(0.5, 2, N).astype("float32")
    if "iou" in name:  # integer confusion matrices warn on fractional weights
        weight = rng.integers(1, 3, N).astype("int32")
    groups = rng.permutation(np.repeat(np.arange(G), PER_GROUP))
    m = md.sliced(make(**kwargs), G)
    m.update_state(y_true, y_pred, weight, groups=groups)
    plain = make(**kwargs)
    update = jax.jit(plain.stateless_update_state)
    for g in range(G):
        keep = groups == g
        state = update(plain.stateless_reset_state(), y_true[keep], y_pred[keep], weight[keep])
        expected, got = plain.stateless_result(state), m.result()
        jax.tree_util.tree_map(lambda e, r, g=g: np.testing.assert_allclose(
            r[g], e, rtol=2e-5, atol=2e-6), expected, got)


def test_a_lazily_built_metric_builds_on_the_first_update_and_equals_each_group_alone(rng):
    y_true = rng.normal(size=(90, 2)).astype("float32")
    y_pred = (y_true + 0.5 * rng.normal(size=(90, 2))).astype("float32")
    weight = rng.uniform(0.5, 2, 90).astype("float32")
    groups = rng.integers(0, 3, 90)
    m = md.sliced(md.metric_r2_score(), 3)
    assert not m.built
    m.update_state(y_true[:40], y_pred[:40], weight[:40], groups=groups[:40])
    m.update_state(y_true[40:], y_pred[40:], weight[40:], groups=groups[40:])
    for g in range(3):  # filter, then compute
        keep = groups == g
        ref = r2_score(y_true[keep], y_pred[keep], sample_weight=weight[keep])
        np.testing.assert_allclose(m.result()[g], ref, rtol=1e-5)
    np.testing.assert_allclose(m.metric.result(), r2_score(y_true, y_pred, sample_weight=weight),
                               rtol=1e-5)
    stateless = md.sliced(md.metric_r2_score(), 3)
    state = jax.jit(stateless.stateless_update_state)(stateless.stateless_reset_state(), y_true,
                                                      y_pred, weight, groups=groups)
    np.testing.assert_allclose(stateless.stateless_result(state), m.result(), rtol=1e-6)


def test_counts_are_exact_and_1024_groups_fit_one_step(rng):
    n, groups = 16384, rng.integers(0, 1024, 16384)
    y_true = rng.integers(0, 2, n).astype("float32")
    y_pred = rng.uniform(size=n).astype("float32")
    m = md.sliced(md.metric_true_positives(), 1024)
    m.update_state(y_true, y_pred, groups=groups)
    expected = np.bincount(groups, weights=(y_true == 1) & (y_pred > 0.5), minlength=1024)
    np.testing.assert_array_equal(m.result(), expected)
    np.testing.assert_array_equal(m.group_count.value, np.bincount(groups, minlength=1024))
    accuracy = md.sliced(md.metric_binary_accuracy(), 1024, min_count=12)
    accuracy.update_state(y_true, y_pred, groups=groups)
    hits = np.bincount(groups, weights=y_true == (y_pred > 0.5), minlength=1024)
    counts = np.bincount(groups, minlength=1024)
    ref = np.where(counts < 12, np.nan, hits / np.maximum(counts, 1))
    np.testing.assert_allclose(accuracy.result(), ref, rtol=1e-6)
    assert np.isnan(ref).any() and not np.isnan(ref).all()


def test_chunked_updates_equal_one_block(rng, monkeypatch):
    module = importlib.import_module("metricdsl.analytics.sliced")

    y_true, y_pred = rng.integers(0, 2, 50).astype("float32"), rng.uniform(size=50).astype(
        "float32")
    groups = rng.integers(0, 4, 50)
    whole = md.sliced(md.metric_binary_accuracy(), 4)
    whole.update_state(y_true, y_pred, groups=groups)
    monkeypatch.setattr(module, "CHUNK_ELEMENTS", 2 * 7)  # 7 samples per chunk, padded
    chunked = md.sliced(md.metric_binary_accuracy(), 4, name="chunked")
    chunked.update_state(y_true, y_pred, groups=groups)
    np.testing.assert_allclose(chunked.result(), whole.result(), rtol=1e-6)
    np.testing.assert_allclose(chunked.metric.result(), whole.metric.result(), rtol=1e-6)


def test_bootstrap_of_a_sliced_metric_gives_intervals_per_group(rng):
    y_true = rng.integers(0, 2, 400).astype("float32")
    y_pred = rng.uniform(size=400).astype("float32")
    groups = rng.integers(0, 3, 400)
    m = md.bootstrap(md.sliced(md.metric_binary_accuracy(), 3), num_samples=100)
    m.update_state(y_true, y_pred, groups=groups)
    out = m.result()
    ref = [np.mean((y_true == (y_pred > .5))[groups == g]) for g in range(3)]
    np.testing.assert_allclose(out["value"], ref, rtol=1e-6)
    low, high = np.asarray(out["low"]), np.asarray(out["high"])
    assert low.shape == (3,) and np.all(low < ref) and np.all(ref < high)


@pytest.mark.slow
def test_a_collection_updates_sliced_and_bootstrap_members_together(rng):
    y_true = rng.integers(0, 2, 200).astype("float32")
    y_pred = rng.uniform(size=200).astype("float32")
    collection = md.compile_metrics([md.bootstrap(md.metric_auc(), num_samples=30, name="auc"),
                                     "mse"])
    collection.update_state(y_true, y_pred)
    alone = md.bootstrap(md.metric_auc(), num_samples=30)
    alone.update_state(y_true, y_pred)
    result = collection.result()
    assert float(result["auc_low"]) == float(alone.result()["low"])


def test_errors_name_the_wrapper_metric_argument_and_leave_the_state(rng):
    m = md.sliced(md.metric_binary_accuracy(), 3)
    y_true, y_pred = np.ones(4, "float32"), np.ones(4, "float32")
    m.update_state(y_true, y_pred, groups=[0, 1, 2, 0])
    before = [np.asarray(v.value) for v in m.variables]
    with pytest.raises(ValueError, match=r"Sliced 'sliced_binary_accuracy': update_state needs "
                                         r"groups=.*shape \(4,\)"):
        m.update_state(y_true, y_pred)
    with pytest.raises(ValueError, match=r"groups must have shape \(4,\).*received shape \(3,\)"):
        m.update_state(y_true, y_pred, groups=[0, 1, 2])
    with pytest.raises(TypeError, match="integer group ids; received dtype float32"):
        m.update_state(y_true, y_pred, groups=np.zeros(4, "float32"))
    m.validate = True
    with pytest.raises(ValueError, match=r"groups holds ids outside \[0, 3\)"):
        m.update_state(y_true, y_pred, groups=[0, 1, 3, 0])
    for value, old in zip(m.variables, before):
        np.testing.assert_array_equal(value.value, old)
    with pytest.raises(ValueError, match=r"sliced\(BinaryAccuracy .*`num_groups`.*received 0"):
        md.sliced(md.metric_binary_accuracy(), 0)
    with pytest.raises(TypeError, match="`metric` must be a metricdsl metric instance"):
        md.sliced(md.metric_binary_accuracy, 2)


def test_a_collection_passes_groups_to_its_sliced_members_only(rng):
    y_true = rng.integers(0, 2, 64).astype("float32")
    y_pred = rng.uniform(size=64).astype("float32")
    groups = rng.integers(0, 4, 64).astype("int32")
    sliced = md.sliced(md.metric_binary_accuracy(name="acc"), 4)
    collection = md.compile_metrics([sliced, md.metric_mean_squared_error(name="mse")])
    collection.update_state(y_true, y_pred, groups=groups)
    per_group = np.asarray(collection.result()["sliced_acc"])
    expected = [np.mean((y_pred[groups == g] > 0.5) == (y_true[groups == g] > 0.5))
                for g in range(4)]  # filter, then compute
    np.testing.assert_allclose(per_group, expected, rtol=1e-6)
    assert float(collection.result()["mse"]) == pytest.approx(np.mean((y_true - y_pred) ** 2),
                                                              rel=1e-6)
    state = collection.stateless_update_state(collection.stateless_reset_state(), y_true, y_pred,
                                              groups=groups)
    np.testing.assert_allclose(np.asarray(collection.stateless_result(state)["sliced_acc"]),
                               expected, rtol=1e-6)
    plain = md.compile_metrics([md.metric_mean_squared_error(name="mse")])
    with pytest.raises(CompileMetricsError, match="no member keeps a state per group"):
        plain.update_state(y_true, y_pred, groups=groups)
