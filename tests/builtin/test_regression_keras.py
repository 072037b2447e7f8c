"""Regression, hinge and correlation metrics against real Keras 3 (JAX backend) on random data."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import metricdsl as md

pytestmark = pytest.mark.keras

# The shapes (and weight shapes) of the other test modules, so that metricdsl's compiled
# updates are shared when the modules run together.
SHAPE, R2_SHAPE = (4, 2, 3), (6, 3)


def _data(seed, shape, labels=None):
    rng = np.random.default_rng(seed)
    y_pred = rng.normal(size=shape).astype(np.float32)
    if labels == "zero_one":
        y_true = rng.integers(0, 2, size=shape).astype(np.float32)
    elif labels == "plus_minus_one":
        y_true = rng.choice([-1.0, 1.0], size=shape).astype(np.float32)
    else:
        y_true = rng.normal(size=shape).astype(np.float32)
    return y_true, y_pred, rng.uniform(size=shape[0]).astype(np.float32)


# (our builtin, Keras class, constructor arguments, label kind)
CASES = [
    ("mean_squared_error", "MeanSquaredError", {}, None),
    ("mean_absolute_error", "MeanAbsoluteError", {}, None),
    ("mean_absolute_percentage_error", "MeanAbsolutePercentageError", {}, None),
    ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", {}, None),
    ("root_mean_squared_error", "RootMeanSquaredError", {}, None),
    ("cosine_similarity", "CosineSimilarity", {}, None),
    ("cosine_similarity", "CosineSimilarity", {"axis": (1, 2)}, None),
    ("log_cosh_error", "LogCoshError", {}, None),
    ("r2_score", "R2Score", {"class_aggregation": None}, None),
    ("r2_score", "R2Score", {"class_aggregation": "uniform_average"}, None),
    ("r2_score", "R2Score", {"class_aggregation": "variance_weighted_average"}, None),
    ("r2_score", "R2Score", {"class_aggregation": "variance_weighted_average",
                             "num_regressors": 2}, None),
    ("hinge", "Hinge", {}, "zero_one"),
    ("hinge", "Hinge", {}, "plus_minus_one"),
    ("squared_hinge", "SquaredHinge", {}, "zero_one"),
    ("squared_hinge", "SquaredHinge", {}, None),
    ("categorical_hinge", "CategoricalHinge", {}, "zero_one"),
    ("pearson_correlation", "PearsonCorrelation", {}, None),
    ("pearson_correlation", "PearsonCorrelation", {"axis": (1, 2)}, None),
    ("concordance_correlation", "ConcordanceCorrelation", {}, None),
    ("concordance_correlation", "ConcordanceCorrelation", {"axis": (1, 2)}, None),
]


def _keras_result(k, metric, rows):
    return np.asarray(k.result())


@pytest.mark.parametrize("metric, keras_name, kwargs, labels", CASES,
                         ids=[f"{c[1]}-{c[2]}-{c[3]}" for c in CASES])
def test_matches_keras(metric, keras_name, kwargs, labels):
    ours = getattr(md, f"metric_{metric}")(**kwargs)
    theirs = getattr(keras.metrics, keras_name)(**kwargs)
    shape = R2_SHAPE if metric == "r2_score" else SHAPE
    for seed in (0, 1):  # two batches: accumulation, then the weighted one
        y_true, y_pred, sample_weight = _data(seed, shape, labels)
        sample_weight = None if seed == 0 else sample_weight
        ours.update_state(y_true, y_pred, sample_weight=sample_weight)
        theirs.update_state(y_true, y_pred, sample_weight=sample_weight)
    np.testing.assert_allclose(ours.result(), _keras_result(theirs, metric, 2 * shape[0]),
                               rtol=1e-5, atol=1e-6)
    expected_config = theirs.get_config()
    if keras_name == "CosineSimilarity":  # Keras drops `axis`; metricdsl keeps it
        expected_config["axis"] = kwargs.get("axis", -1)
    assert ours.get_config() == expected_config
    assert ours.name == theirs.name


def test_r2_full_sample_weight_matches_keras():
    rng = np.random.default_rng(2)
    y_true, y_pred = rng.normal(size=(2, *R2_SHAPE)).astype(np.float32)
    sample_weight = rng.uniform(size=R2_SHAPE).astype(np.float32)
    ours, theirs = md.metric_r2_score(None), keras.metrics.R2Score(None)
    ours.update_state(y_true, y_pred, sample_weight)
    theirs.update_state(y_true, y_pred, sample_weight)
    np.testing.assert_allclose(ours.result(), theirs.result(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("metric, keras_fn, kwargs, labels", [
    ("mean_squared_error", "mean_squared_error", {}, None),
    ("mean_absolute_percentage_error", "mean_absolute_percentage_error", {}, None),
    ("mean_squared_logarithmic_error", "mean_squared_logarithmic_error", {}, None),
    ("huber", "huber", {}, None),
    ("huber", "huber", {"delta": 0.5}, None),
    ("log_cosh", "log_cosh", {}, None),
    ("hinge", "hinge", {}, "zero_one"),
    ("squared_hinge", "squared_hinge", {}, "plus_minus_one"),
    ("categorical_hinge", "categorical_hinge", {}, "zero_one"),
    ("pearson_correlation", "pearson_correlation", {"axis": 1}, None),
    ("concordance_correlation", "concordance_correlation", {}, None),
])
def test_function_calls_match_keras(metric, keras_fn, kwargs, labels):
    y_true, y_pred, _ = _data(3, SHAPE, labels)
    expected = getattr(keras.metrics, keras_fn)(y_true, y_pred, **kwargs)
    actual = getattr(md, f"metric_{metric}")(y_true, y_pred, **kwargs)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
