"""R2Score equals Keras 3: Keras's own test cases, scikit-learn, and real Keras on odd shapes."""

import os

import numpy as np
import pytest
from sklearn.metrics import r2_score as sk_r2

import metricdsl as md

# keras/src/metrics/regression_metrics_test.py at v3.15.1 (R2ScoreTest).
Y_TRUE = [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
SKLEARN_PRED = [[0.4, 0.5, 0.6], [0.1, 0.2, 0.3], [0.5, 0.8, 0.2]]
TFA_PRED = [[0.4, 0.9, 1.6], [0.1, 1.2, 0.6], [1.5, 0.8, 0.6]]
TFA_WEIGHTS = [0.8, 0.1, 0.4]


@pytest.mark.parametrize("aggregation, expected", [
    (None, [0.37, -1.295, 0.565]), ("uniform_average", -0.12),
    ("variance_weighted_average", -0.12)])
def test_keras_sklearn_comparison_cases(aggregation, expected):
    m = md.metric_r2_score(aggregation, 0, dtype="float32")
    m.update_state(Y_TRUE, SKLEARN_PRED)
    np.testing.assert_allclose(m.result(), expected, atol=1e-3)  # Keras states 2-3 digits


@pytest.mark.parametrize("aggregation, regressors, expected", [
    (None, 0, [0.17305559, -8.836666, -0.521]),
    (None, 1, [0.054920673, -10.241904, -0.7382858]),
    (None, 2, [-0.10259259, -12.115555, -1.0280001]),
    ("uniform_average", 0, -3.0615367889404297),
    ("uniform_average", 1, -3.641756534576416),
    ("uniform_average", 2, -4.415382385253906),
    ("variance_weighted_average", 0, -1.3710224628448486),
    ("variance_weighted_average", 1, -1.7097399234771729),
    ("variance_weighted_average", 2, -2.161363363265991)])
def test_keras_tfa_comparison_cases(aggregation, regressors, expected):
    m = md.metric_r2_score(aggregation, regressors, dtype="float32")
    m.update_state(Y_TRUE, TFA_PRED, TFA_WEIGHTS)
    np.testing.assert_allclose(m.result(), expected, atol=1e-6)


@pytest.mark.parametrize("multioutput, aggregation", [
    ("raw_values", None), ("uniform_average", "uniform_average"),
    ("variance_weighted", "variance_weighted_average")])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_sklearn_on_random_data(multioutput, aggregation, weighted):
    rng = np.random.default_rng(3)
    y_true = rng.normal(size=(64, 4)).astype("float32")
    y_pred = (y_true + rng.normal(scale=0.5, size=(64, 4))).astype("float32")
    weight = rng.uniform(0, 2, size=64).astype("float32") if weighted else None
    m = md.metric_r2_score(aggregation)
    for rows in np.array_split(np.arange(64), 3):  # streamed batches equal one pass
        m.update_state(y_true[rows], y_pred[rows], None if weight is None else weight[rows])
    expected = sk_r2(y_true, y_pred, sample_weight=weight, multioutput=multioutput)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5, atol=1e-6)


def test_adjusted_score_counts_every_target_value_as_keras_does():
    rng = np.random.default_rng(4)
    y_true = rng.normal(size=(20, 2)).astype("float32")
    y_pred = (y_true + rng.normal(size=(20, 2))).astype("float32")
    weight = rng.uniform(size=20).astype("float32")
    m = md.metric_r2_score(num_regressors=3)
    m.update_state(y_true, y_pred, weight)
    r2 = sk_r2(y_true, y_pred, sample_weight=weight)
    n = y_true.size  # Keras's n: size(y_true), not the number of rows
    np.testing.assert_allclose(m.result(), 1 - (1 - r2) * (n - 1) / (n - 3 - 1), rtol=1e-5)


def test_column_targets_broadcast_against_multi_output_predictions():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 3, size=(30, 1)).astype("float32")
    y_pred = rng.dirichlet(np.ones(3), size=30).astype("float32")
    m = md.metric_r2_score(None)
    m.update_state(y_true, y_pred)
    expected = sk_r2(np.repeat(y_true, 3, axis=1), y_pred, multioutput="raw_values")
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)


@pytest.mark.keras
@pytest.mark.parametrize("case", ["column_targets", "weighted_multi_output", "adjusted_weighted"])
def test_equals_real_keras(case):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(6)
    y_pred = rng.dirichlet(np.ones(3), size=40).astype("float32")
    y_true = (rng.integers(0, 3, size=(40, 1)) if case == "column_targets"
              else rng.normal(size=(40, 3))).astype("float32")
    weight = None if case == "column_targets" else rng.uniform(size=40).astype("float32")
    regressors = 2 if case == "adjusted_weighted" else 0
    ours = md.metric_r2_score(num_regressors=regressors)
    theirs = keras.metrics.R2Score(num_regressors=regressors)
    ours.update_state(y_true, y_pred, weight)
    theirs.update_state(y_true, y_pred, weight)
    np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-5, atol=1e-6)
