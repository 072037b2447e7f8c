"""Correlation metrics against numpy references, textbook formulas and Keras's vectors."""

import pickle

import numpy as np
import pytest
import references as ref
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from laws import assert_stateful_equals_jitted_stateless

import metricdsl as md

# Quarter steps are exact in float32 (see test_regression.py).
GRID = st.integers(-16, 16).map(lambda k: k / 4)
WEIGHT = st.integers(0, 8).map(lambda k: k / 4)
# (axis, input shape, sample_weight shape): weights None, scalar, (N,), (N, 1), full per-sample
# shape, and coefficients over one axis or a tuple of axes.
CASES = [
    (-1, (4, 2, 3), None), (-1, (4, 2, 3), ()), (-1, (4, 2, 3), (4,)), (-1, (4, 2, 3), (4, 1)),
    (-1, (4, 2, 3), (4, 2)), (1, (4, 2, 3), (4, 3)), ((1, 2), (4, 2, 3), (4,)),
]
METRICS = {"pearson_correlation": ref.pearson_correlation,
           "concordance_correlation": ref.concordance_correlation}


def arrays(shape, elements=GRID):
    return hnp.arrays(np.float32, shape, elements=elements)


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("metric", sorted(METRICS))
@given(data=st.data())
def test_correlation_metrics_match_reference(metric, data):
    axis, shape, w_shape = data.draw(st.sampled_from(CASES))
    y_true, y_pred = data.draw(arrays(shape)), data.draw(arrays(shape))
    sample_weight = None if w_shape is None else data.draw(arrays(w_shape, WEIGHT))
    m = getattr(md, f"metric_{metric}")(axis=axis)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    close(m.result(), METRICS[metric](y_true, y_pred, sample_weight, axis=axis))


def test_textbook_formulas(rng):
    y_true, y_pred = rng.normal(size=(2, 4, 3)).astype(np.float32)
    pearson = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred)]
    close(md.metric_pearson_correlation(y_true, y_pred), pearson)
    covariance = [np.cov(t, p, bias=True)[0, 1] for t, p in zip(y_true, y_pred)]
    lin = [2 * c / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)
           for c, t, p in zip(covariance, y_true, y_pred)]
    close(md.metric_concordance_correlation(y_true, y_pred), lin)


def test_constant_rows():
    # Pearson divides by a zero deviation (NaN, as Keras); CCC keeps its eps and stays finite.
    constant = np.ones((4, 3), np.float32)
    varying = np.tile(np.arange(3.0, dtype=np.float32), (4, 1))
    assert np.isnan(md.metric_pearson_correlation(constant, varying)).all()
    close(md.metric_concordance_correlation(constant, constant), np.zeros(4))


# -- Keras acceptance vectors (keras3_metrics_spec.md §6.3 row 25) --------------------------------
Y_TRUE_25 = [[0, 1, 0.5], [1, 1, 0.2], [1, 1, 0.1], [0.1, 0.7, 0]]
Y_PRED_25 = [[0.1, 0.9, 0.5], [1, 0.9, 0.2], [0.2, 0.8, 0], [0.3, 0.3, 0.9]]


def test_keras_vector_pearson():
    m = md.metric_pearson_correlation()
    m.update_state(Y_TRUE_25, Y_PRED_25)
    close(m.result(), 0.519195)


def test_keras_vector_concordance():
    m = md.metric_concordance_correlation()
    m.update_state(Y_TRUE_25, Y_PRED_25)
    close(m.result(), 0.4911529)
    close(md.metric_concordance_correlation(Y_TRUE_25, Y_PRED_25),
          [0.9756098, 0.9876543, 0.4651163, -0.4637681])


# -- the Metric API -------------------------------------------------------------------------------
def _batch(rng, shape=(4, 2, 3)):
    y_true, y_pred = rng.normal(size=(2, *shape)).astype(np.float32)
    return y_true, y_pred, rng.uniform(size=shape[0]).astype(np.float32)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_stateful_equals_jitted_stateless(metric, rng):
    m = getattr(md, f"metric_{metric}")(axis=(1, 2))
    assert_stateful_equals_jitted_stateless(m, [_batch(rng) for _ in range(2)])


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_reset_config_and_pickle(metric, rng):
    m = getattr(md, f"metric_{metric}")(name="custom", dtype="float32", axis=(1, 2))
    assert m.axis == (1, 2)
    y_true, y_pred, sample_weight = _batch(rng)
    m.update_state(y_true, y_pred, sample_weight)
    value = float(m.result())
    config = m.get_config()
    assert config == {"name": "custom", "dtype": "float32", "axis": (1, 2)}
    clone = type(m).from_config(config)
    clone.update_state(y_true, y_pred, sample_weight)
    close(clone.result(), value)
    close(pickle.loads(pickle.dumps(clone)).result(), value)
    # A JSON round trip turns the tuple into a list; the metric accepts it.
    listed = type(m).from_config({**config, "axis": [1, 2]})
    listed.update_state(y_true, y_pred, sample_weight)
    close(listed.result(), value)
    m.reset_state()
    assert float(m.result()) == 0.0


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_function_call_returns_per_sample_values(metric, rng):
    y_true, y_pred, _ = _batch(rng)
    for axis, shape in ((-1, (4, 2)), ((1, 2), (4,))):
        values = getattr(md, f"metric_{metric}")(y_true, y_pred, axis=axis)
        expected = getattr(ref, f"{metric}_values")(y_true, y_pred, axis=axis)
        assert values.shape == expected.shape == shape
        close(values, expected)


def test_bad_shapes_name_the_metric():
    m = md.metric_pearson_correlation()
    with pytest.raises(ValueError, match="PearsonCorrelation 'pearson_correlation': y_pred"):
        m.update_state(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="concordance_correlation: y_pred of shape"):
        md.metric_concordance_correlation(np.ones((2, 3)), np.ones((3, 3)))
