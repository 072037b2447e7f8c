"""Every builtin, driven from one table: construction, jit vs eager, reset, config, pickle, merge.

Numeric correctness against independent references lives in tests/builtin/; this
module checks the laws every builtin must obey.
"""

import json
import pickle

import jax
import numpy as np
import pytest

import metricdsl as md

R_KERAS3_NAMES = """
auc binary_accuracy binary_crossentropy binary_focal_crossentropy binary_iou categorical_accuracy
categorical_crossentropy categorical_focal_crossentropy categorical_hinge concordance_correlation
cosine_similarity f1_score false_negatives false_positives fbeta_score hinge huber iou
kl_divergence log_cosh log_cosh_error mean mean_absolute_error mean_absolute_percentage_error
mean_iou mean_squared_error mean_squared_logarithmic_error mean_wrapper one_hot_iou
one_hot_mean_iou pearson_correlation poisson precision precision_at_recall r2_score recall
recall_at_precision root_mean_squared_error sensitivity_at_specificity
sparse_categorical_accuracy sparse_categorical_crossentropy sparse_top_k_categorical_accuracy
specificity_at_sensitivity squared_hinge sum top_k_categorical_accuracy true_negatives
true_positives
""".split()  # noqa: SIM905 - a word list reads better than 48 quoted names
#: metricdsl's own metrics, beyond R keras3's catalogue.
BEYOND_NAMES = """
average_precision balanced_accuracy brier_score cohen_kappa confusion_matrix exact_auc
expected_calibration_error explained_variance hit_rate matthews_correlation
mean_average_precision_at_k mean_reciprocal_rank multiclass_f1_score multiclass_precision
multiclass_recall ndcg
""".split()  # noqa: SIM905 - a word list
FUNCTION_ONLY = {"binary_focal_crossentropy", "categorical_focal_crossentropy", "huber",
                 "log_cosh"}

_rng = np.random.default_rng(7)
N, C = 8, 4
_probs = _rng.dirichlet(np.ones(C), N).astype("float32")
_labels = _rng.integers(0, C, N)
INPUTS = {
    "binary": (_rng.integers(0, 2, (N, 1)).astype("float32"),
               _rng.uniform(0.01, 0.99, (N, 1)).astype("float32")),
    "categorical": (np.eye(C, dtype="float32")[_labels], _probs),
    "sparse": (_labels.astype("float32"), _probs),
    "regression": (_rng.uniform(0.1, 2, (N, 3)).astype("float32"),
                   _rng.uniform(0.1, 2, (N, 3)).astype("float32")),
    "multilabel": (_rng.integers(0, 2, (N, 3)).astype("float32"),
                   _rng.uniform(0.01, 0.99, (N, 3)).astype("float32")),
    "segmentation": (_labels, _rng.integers(0, C, N)),
    "values": (_rng.uniform(-1, 1, (N, 3)).astype("float32"),),
}
CASES = {
    "mean": ({}, "values"), "sum": ({}, "values"),
    "mean_wrapper": ({"fn": md.ops.subtract}, "regression"),
    "accuracy": ({}, "binary"), "binary_accuracy": ({}, "binary"),
    "categorical_accuracy": ({}, "categorical"), "sparse_categorical_accuracy": ({}, "sparse"),
    "top_k_categorical_accuracy": ({"k": 2}, "categorical"),
    "sparse_top_k_categorical_accuracy": ({"k": 2}, "sparse"),
    "binary_crossentropy": ({}, "binary"), "categorical_crossentropy": ({}, "categorical"),
    "sparse_categorical_crossentropy": ({}, "sparse"), "kl_divergence": ({}, "categorical"),
    "poisson": ({}, "regression"), "mean_squared_error": ({}, "regression"),
    "mean_absolute_error": ({}, "regression"), "mean_absolute_percentage_error": ({}, "regression"),
    "mean_squared_logarithmic_error": ({}, "regression"),
    "root_mean_squared_error": ({}, "regression"), "cosine_similarity": ({}, "regression"),
    "log_cosh_error": ({}, "regression"), "r2_score": ({}, "regression"),
    "hinge": ({}, "binary"), "squared_hinge": ({}, "binary"),
    "categorical_hinge": ({}, "categorical"),
    "pearson_correlation": ({}, "regression"), "concordance_correlation": ({}, "regression"),
    "true_positives": ({}, "binary"), "false_positives": ({"thresholds": [0.3, 0.7]}, "binary"),
    "true_negatives": ({}, "binary"), "false_negatives": ({}, "binary"),
    "precision": ({"thresholds": [0.2, 0.5]}, "binary"), "recall": ({}, "binary"),
    "auc": ({}, "binary"), "precision_at_recall": ({"recall": 0.5}, "binary"),
    "recall_at_precision": ({"precision": 0.5}, "binary"),
    "sensitivity_at_specificity": ({"specificity": 0.5}, "binary"),
    "specificity_at_sensitivity": ({"sensitivity": 0.5}, "binary"),
    "f1_score": ({}, "multilabel"),
    "fbeta_score": ({"beta": 2.0, "average": "macro"}, "multilabel"),
    "iou": ({"num_classes": C, "target_class_ids": [0, 2], "dtype": "float32"}, "segmentation"),
    "mean_iou": ({"num_classes": C, "dtype": "float32"}, "segmentation"),
    "binary_iou": ({"dtype": "float32"}, "binary"),
    "one_hot_iou": ({"num_classes": C, "target_class_ids": [1], "dtype": "float32"}, "categorical"),
    "one_hot_mean_iou": ({"num_classes": C, "dtype": "float32"}, "categorical"),
    "multiclass_precision": ({"num_classes": C}, "categorical"),
    "multiclass_recall": ({"num_classes": C, "average": None}, "sparse"),
    "multiclass_f1_score": ({"num_classes": 3, "threshold": 0.5}, "multilabel"),
    "confusion_matrix": ({"num_classes": C}, "categorical"),
    "matthews_correlation": ({}, "binary"), "cohen_kappa": ({"num_classes": C}, "sparse"),
    "balanced_accuracy": ({"num_classes": C}, "categorical"),
    "average_precision": ({}, "binary"), "exact_auc": ({"curve": "PR"}, "binary"),
    "brier_score": ({}, "categorical"),
    "expected_calibration_error": ({}, "categorical"), "explained_variance": ({}, "regression"),
    "ndcg": ({"k": 2}, "multilabel"), "mean_reciprocal_rank": ({}, "multilabel"),
    "hit_rate": ({"k": 1}, "multilabel"), "mean_average_precision_at_k": ({"k": 2}, "multilabel"),
}


def test_public_names_are_r_keras3_plus_accuracy():
    exported = {n[len("metric_"):] for n in md.__all__ if n.startswith("metric_")}
    assert exported == set(R_KERAS3_NAMES) | {"accuracy"} | set(BEYOND_NAMES)
    assert len(R_KERAS3_NAMES) == 48
    assert set(CASES) | FUNCTION_ONLY == exported


def _make(name):
    kwargs, kind = CASES[name]
    return getattr(md, f"metric_{name}")(**kwargs), INPUTS[kind]


def _weight():
    return np.linspace(0.5, 2.0, N).astype("float32")


@pytest.mark.parametrize("name", sorted(CASES))
def test_builtin_laws(name):
    metric, data = _make(name)
    assert isinstance(metric, md.Metric)
    fresh_result = None if not metric.built else np.asarray(metric.result())
    weight = None if name == "sum" else _weight()
    metric.update_state(*data, sample_weight=weight)
    stateful = jax.tree_util.tree_map(np.asarray, metric.result())

    other, _ = _make(name)
    if not other.built:
        other.build(*data[:2])
    update = jax.jit(other.stateless_update_state)
    state = update(other.stateless_reset_state(), *data, sample_weight=weight)
    stateless = jax.jit(other.stateless_result)(state)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                           stateful, stateless)

    config = metric.get_config()
    if name != "mean_wrapper":
        json.dumps(config)
    clone = type(metric).from_config(config)
    assert clone.get_config() == config

    restored = pickle.loads(pickle.dumps(metric))
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6),
                           stateful, jax.tree_util.tree_map(np.asarray, restored.result()))

    metric.reset_state()
    assert metric.variables and len(metric.variables) == len(metric.stateless_reset_state())
    for variable, initial in zip(metric.variables, metric.stateless_reset_state()):
        np.testing.assert_array_equal(variable.value, initial)
    if fresh_result is not None:
        np.testing.assert_allclose(metric.result(), fresh_result)


#: State variables that record the work done (to bound rounding), not a function of the data.
WORK_RECORDS = {"exact_auc": ("additions",)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_split_batches_then_merge_equals_one_pass(name):
    one, data = _make(name)
    one.update_state(*data)
    shards = [_make(name)[0] for _ in range(2)]
    half = N // 2
    for shard, part in zip(shards, (slice(None, half), slice(half, None))):
        shard.update_state(*[d[part] for d in data])
    records = {name: sum(int(getattr(shard, name)) for shard in shards)
               for name in WORK_RECORDS.get(name, ())}
    shards[0].merge_state(shards[1:])
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
                           jax.tree_util.tree_map(np.asarray, one.result()),
                           jax.tree_util.tree_map(np.asarray, shards[0].result()))
    assert [v.name for v in shards[0].variables] == [v.name for v in one.variables]
    for merged, full in zip(shards[0].variables, one.variables):  # the state, not only the result
        if full.name in records:  # counts the additions made: the shards' sum, not one pass's
            assert int(merged) == records[full.name]
            continue
        np.testing.assert_allclose(merged.value, full.value, rtol=1e-5, atol=1e-6,
                                   err_msg=full.name)


@pytest.mark.parametrize("name", sorted(FUNCTION_ONLY))
def test_function_only_builtins(name):
    fn = getattr(md, f"metric_{name}")
    kind = "categorical" if name.startswith("categorical") else "binary"
    values = np.asarray(fn(*INPUTS[kind]))
    assert values.shape == (N,)
    with pytest.raises(TypeError, match="function-only"):
        fn()
    with pytest.raises(md.MetricDefinitionError, match="function-only"):
        md.Metric("Bad", inherit=fn)
