"""The confusion-matrix family against real Keras 3 (JAX backend): values, configs, names."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import metricdsl as md

pytestmark = pytest.mark.keras

N, C = 32, 3
GRID = np.float32([0.0, 0.15, 0.25, 0.5, 0.85, 1.0])


def _batches(seed, outside=True):
    """Two batches of (y_true, y_pred, sample_weight); scores hit thresholds and leave [0, 1]."""
    rng = np.random.default_rng(seed)
    y_true = (rng.uniform(size=(N, C)) < 0.4).astype("float32")
    y_pred = np.where(rng.uniform(size=(N, C)) < 0.5, rng.choice(GRID, size=(N, C)),
                      rng.uniform(size=(N, C))).astype("float32")
    if outside:
        y_pred = (y_pred * 1.6 - 0.3).astype("float32")
    weight = rng.uniform(0.1, 2.0, size=N).astype("float32")
    half = N // 2
    return [(y_true[:half], y_pred[:half], weight[:half]), (y_true[half:], y_pred[half:], None)]


def _both(name, *args, **kwargs):
    ours = getattr(md, name)(*args, **kwargs)
    ours.run_eagerly = True     # one primitive compile per shape, shared across configurations
    return ours, getattr(keras.metrics, type(ours).__name__)(*args, **kwargs)


def _check(ours, theirs, batches, rtol=1e-5):
    for y_true, y_pred, weight in batches:
        ours.update_state(y_true, y_pred, sample_weight=weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("name, thresholds", [
    ("metric_true_positives", None), ("metric_false_positives", [0.15, 0.5, 0.85]),
    ("metric_true_negatives", [0.85, 0.15]),
    ("metric_false_negatives", [0.0, 0.25, 0.5, 0.75, 1.0]),
    ("metric_true_positives", [0.0, 0.5, 1.0]), ("metric_false_negatives", [0.5, 0.5, 0.3])])
def test_condition_counts_match_keras(name, thresholds):
    _check(*_both(name, thresholds=thresholds), _batches(0))


@pytest.mark.parametrize("name", ["metric_precision", "metric_recall"])
@pytest.mark.parametrize("thresholds, top_k, class_id", [
    (None, None, None), ([0.3, 0.85], None, 1), (None, 2, None), ([0.5, 0.2], 1, 2),
    ([0.0, 0.5, 1.0], 2, 0)])
def test_precision_recall_match_keras(name, thresholds, top_k, class_id):
    _check(*_both(name, thresholds=thresholds, top_k=top_k, class_id=class_id), _batches(1))


@pytest.mark.parametrize("name, value, num_thresholds, class_id", [
    ("metric_sensitivity_at_specificity", 0.4, 200, None),
    ("metric_sensitivity_at_specificity", 0.7, 1, 1),
    ("metric_specificity_at_sensitivity", 0.4, 200, None),
    ("metric_specificity_at_sensitivity", 0.2, 9, 2),
    ("metric_precision_at_recall", 0.4, 200, None), ("metric_precision_at_recall", 0.7, 2, 1),
    ("metric_recall_at_precision", 0.4, 200, None), ("metric_recall_at_precision", 0.2, 9, 2)])
def test_rate_at_constraint_matches_keras(name, value, num_thresholds, class_id):
    _check(*_both(name, value, num_thresholds, class_id), _batches(2))


@pytest.mark.parametrize("curve", ["ROC", "PR", "PRGAIN"])
@pytest.mark.parametrize("method", ["interpolation", "minoring", "majoring"])
def test_auc_curves_match_keras(curve, method):
    _check(*_both("metric_auc", 50, curve, method), _batches(3), rtol=1e-4)


@pytest.mark.parametrize("kwargs", [
    {"thresholds": [0.6, 0.3]}, {"thresholds": [0.25, 0.5, 0.75]},
    {"multi_label": True}, {"multi_label": True, "num_labels": C, "label_weights": [1, 2, 0.5]},
    {"label_weights": [1, 2, 0.5]}, {"from_logits": True, "curve": "PR"},
    {"multi_label": True, "thresholds": [0.1, 0.5], "curve": "PR"}])
def test_auc_options_match_keras(kwargs):
    _check(*_both("metric_auc", **kwargs), _batches(4), rtol=1e-4)


def test_fast_and_general_paths_disagree_outside_unit_interval_as_in_keras():
    # spec §4.3: the evenly-spaced path clips predictions, the general path does not
    for kwargs, expected in (({"num_thresholds": 5}, 1.0), ({"thresholds": [0.3, 0.6]}, 0.0)):
        ours, theirs = _both("metric_auc", **kwargs)
        _check(ours, theirs, [([0, 1, 1], [-0.5, 1.5, 0.6], None)])
        np.testing.assert_allclose(ours.result(), expected)


@pytest.mark.parametrize("name, args, kwargs", [
    ("metric_true_positives", (), {"thresholds": 0.3}),
    ("metric_false_negatives", (), {"thresholds": [0.2, 0.8]}),
    ("metric_precision", (), {"thresholds": [0.2, 0.4], "top_k": 2, "class_id": 1}),
    ("metric_recall", (), {}),
    ("metric_sensitivity_at_specificity", (0.3,), {"class_id": 2}),
    ("metric_specificity_at_sensitivity", (0.3, 20), {}),
    ("metric_precision_at_recall", (0.3,), {}),
    ("metric_recall_at_precision", (0.3,), {"num_thresholds": 7}),
    ("metric_auc", (), {}),
    ("metric_auc", (), {"thresholds": [0.7, 0.2], "curve": "pr", "summation_method": "Majoring",
                            "label_weights": [1.0, 2.0], "from_logits": True}),
    ("metric_auc", (), {"multi_label": True, "num_labels": 4}),
])
def test_configs_attributes_and_variables_match_keras(name, args, kwargs):
    ours, theirs = _both(name, *args, **kwargs)
    mine, keras_config = ours.get_config(), theirs.get_config()
    mine.pop("name"), keras_config.pop("name")
    if keras_config.get("label_weights") is not None:
        keras_config["label_weights"] = np.asarray(keras_config["label_weights"]).tolist()
    assert mine == keras_config
    keras_variables = [(v.name, tuple(v.shape)) for v in theirs.variables]
    assert [(v.name, v.shape) for v in ours.variables] == keras_variables
    np.testing.assert_allclose(ours.thresholds, theirs.thresholds)
    for attribute in ("num_thresholds", "class_id", "top_k", "init_thresholds", "value",
                      "multi_label", "num_labels"):
        if hasattr(theirs, attribute):
            assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    # Keras's private `_direction` ("up"/"down", or absent) is our public `higher_is_better`
    direction = getattr(theirs, "_direction", None)
    assert ours.higher_is_better == {"up": True, "down": False, None: None}[direction]
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_default_names_are_keras_snake_case():
    for name in ("metric_auc", "metric_precision", "metric_false_positives",
                 "metric_recall_at_precision"):
        args = (0.5,) if name.endswith("precision") and "recall" in name else ()
        ours, theirs = _both(name, *args)
        base = theirs.name.rsplit("_", 1)[0] if theirs.name[-1].isdigit() else theirs.name
        assert ours.name.startswith(base)
