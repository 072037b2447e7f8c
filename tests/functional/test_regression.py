"""The regression kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F

PER_SAMPLE = [
    (F.mean_squared_error, ref.mean_squared_error_values),
    (F.mean_absolute_error, ref.mean_absolute_error_values),
    (F.mean_absolute_percentage_error, ref.mean_absolute_percentage_error_values),
    (F.mean_squared_logarithmic_error, ref.mean_squared_logarithmic_error_values),
    (F.log_cosh, ref.log_cosh_values),
    (F.huber, ref.huber_values),
    (F.cosine_similarity, ref.cosine_similarity_values),
]


@pytest.mark.parametrize("kernel, reference", PER_SAMPLE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(6,), (6, 1), (6, 3), (2, 4, 3)])
def test_per_sample_kernels_match_reference(kernel, reference, shape, rng):
    y_true, y_pred = rng.uniform(0.1, 2.0, size=(2, *shape)).astype("float32")
    got = kernel(y_true, y_pred)
    assert got.shape == np.shape(reference(y_true, y_pred))
    np.testing.assert_allclose(got, reference(y_true, y_pred), rtol=2e-5, atol=1e-6)


def test_huber_delta_and_integer_predictions(rng):
    y_true = rng.normal(size=(5, 3)).astype("float32")
    y_pred = rng.integers(-2, 3, size=(5, 3))
    np.testing.assert_allclose(F.huber(y_true, y_pred, delta=0.5),
                               ref.huber_values(y_true, y_pred.astype("float32"), delta=0.5),
                               rtol=1e-5)


def test_squared_error_is_elementwise_in_the_given_dtype(rng):
    y_true, y_pred = rng.normal(size=(2, 8, 1))
    got = F.squared_error(y_true, y_pred, "float32")
    assert got.dtype == np.float32 and got.shape == (8, 1)
    np.testing.assert_allclose(got, (y_pred - y_true) ** 2, rtol=1e-5)


@pytest.mark.parametrize("aggregation", [None, "uniform_average", "variance_weighted_average"])
@pytest.mark.parametrize("w_shape", [None, (), (7,), (7, 1), (7, 3)])
@pytest.mark.parametrize("num_regressors", [0, 2])
def test_r2_sums_then_score_match_reference(aggregation, w_shape, num_regressors, rng):
    y_true, y_pred = rng.normal(size=(2, 7, 3)).astype("float32")
    w = None if w_shape is None else rng.uniform(0.5, 2.0, size=w_shape).astype("float32")
    score = F.r2_score(*F.r2_batch_sums(y_true, y_pred, w, "float32"), aggregation, num_regressors)
    np.testing.assert_allclose(score, ref.r2_score(y_true, y_pred, w, aggregation, num_regressors),
                               rtol=1e-4, atol=1e-5)


def test_r2_batch_sums_add_over_batches(rng):
    y_true, y_pred = rng.normal(size=(2, 10, 2)).astype("float32")
    whole = F.r2_batch_sums(y_true, y_pred, None, "float32")
    parts = [F.r2_batch_sums(y_true[s], y_pred[s], None, "float32")
             for s in (slice(0, 4), slice(4, 10))]
    for total, a, b in zip(whole, *parts):
        np.testing.assert_allclose(total, np.asarray(a) + np.asarray(b), rtol=1e-5)


def test_shape_mismatch_names_the_kernel():
    with pytest.raises(ValueError, match=r"^metric_mean_squared_error: y_pred of shape \(3,\)"):
        F.mean_squared_error(np.zeros(4), np.zeros(3))
