"""Hinge metrics against numpy references and Keras's documented vectors."""

import pickle

import jax
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
LABELS = {  # label conventions: {0, 1} (mapped to {-1, 1}), {-1, 1}, and arbitrary values
    "zero_one": st.sampled_from([0.0, 1.0]),
    "plus_minus_one": st.sampled_from([-1.0, 1.0]),
    "any": GRID,
}
# sample_weight None, scalar, (N,), (N, 1), full per-sample shape; and (N, 1) inputs.
MEAN_CASES = [
    ((4, 2, 3), None), ((4, 2, 3), ()), ((4, 2, 3), (4,)), ((4, 2, 3), (4, 1)),
    ((4, 2, 3), (4, 2)), ((4, 1), (4,)),
]
METRICS = {"hinge": ref.hinge, "squared_hinge": ref.squared_hinge,
           "categorical_hinge": ref.categorical_hinge}


def arrays(shape, elements=GRID):
    return hnp.arrays(np.float32, shape, elements=elements)


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("metric", sorted(METRICS))
@given(data=st.data())
def test_hinge_metrics_match_reference(metric, data):
    shape, w_shape = data.draw(st.sampled_from(MEAN_CASES))
    labels = data.draw(st.sampled_from(sorted(LABELS)))
    y_true, y_pred = data.draw(arrays(shape, LABELS[labels])), data.draw(arrays(shape))
    sample_weight = None if w_shape is None else data.draw(arrays(w_shape, WEIGHT))
    m = getattr(md, f"metric_{metric}")()
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    close(m.result(), METRICS[metric](y_true, y_pred, sample_weight))


def test_binary_labels_are_mapped_only_when_all_are_zero_or_one():
    y_pred = np.array([[0.5, -0.5, 2.0]], np.float32)
    # {0, 1} labels become {-1, 1}: max(1 - [-0.5, -0.5, 2], 0) = [1.5, 1.5, 0].
    close(md.metric_hinge([[0, 1, 1]], y_pred), [1.0])
    # One label outside {0, 1}: the batch is used as given, 0 included.
    close(md.metric_hinge([[0, 1, 2]], y_pred), [np.mean([1.0, 1.5, 0.0])])
    # The mapping is decided on the traced values, so it holds under jax.jit too.
    close(jax.jit(md.metric_squared_hinge)(np.array([[0.0, 1.0, 1.0]]), y_pred), [1.5])


# -- Keras acceptance vectors (keras3_metrics_spec.md §6.3 row 24) --------------------------------
Y_PRED_24 = [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]]


def test_keras_vector_hinge():
    # Hinge() with {0, 1} labels, auto-mapped: 0.50625.
    m = md.metric_hinge()
    m.update_state([[0, 1, 0, 1], [0, 0, 1, 1]], Y_PRED_24)
    close(m.result(), 0.50625)


def test_keras_vector_squared_hinge():
    # SquaredHinge() with {-1, 1} labels and sample_weight [1.5, 2.0]: 0.3467857.
    m = md.metric_squared_hinge()
    m.update_state([[-1, 1, -1, 1], [-1, -1, 1, 1]], Y_PRED_24, sample_weight=[1.5, 2.0])
    close(m.result(), 0.3467857)


# -- the Metric API -------------------------------------------------------------------------------
def _batch(rng, shape=(4, 2, 3)):
    y_true = rng.integers(0, 2, size=shape).astype(np.float32)
    y_pred = rng.normal(size=shape).astype(np.float32)
    return y_true, y_pred, rng.uniform(size=shape[0]).astype(np.float32)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_stateful_equals_jitted_stateless(metric, rng):
    m = getattr(md, f"metric_{metric}")()
    assert_stateful_equals_jitted_stateless(m, [_batch(rng) for _ in range(2)])


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_reset_config_and_pickle(metric, rng):
    m = getattr(md, f"metric_{metric}")(name="custom", dtype="float32")
    y_true, y_pred, sample_weight = _batch(rng)
    m.update_state(y_true, y_pred, sample_weight)
    value = float(m.result())
    assert m.get_config() == {"name": "custom", "dtype": "float32"}
    clone = type(m).from_config(m.get_config())
    clone.update_state(y_true, y_pred, sample_weight)
    close(clone.result(), value)
    close(pickle.loads(pickle.dumps(clone)).result(), value)
    assert md.Metric in type(m).__mro__ and getattr(md, f"metric_{metric}")().name == metric
    m.reset_state()
    assert float(m.result()) == 0.0 and float(m.total.value) == float(m.count.value) == 0.0


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_function_call_returns_per_sample_values(metric, rng):
    y_true, y_pred, _ = _batch(rng)
    values = getattr(md, f"metric_{metric}")(y_true, y_pred)
    expected = getattr(ref, f"{metric}_values")(y_true, y_pred)
    assert values.shape == expected.shape == (4, 2)
    close(values, expected)


def test_bad_shapes_name_the_metric_and_leave_state_unchanged():
    m = md.metric_categorical_hinge()
    m.update_state(np.eye(3)[[0, 1]], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="CategoricalHinge 'categorical_hinge': y_pred of shape"):
        m.update_state(np.eye(3)[[0, 1]], np.zeros((2, 4)))
    close(m.result(), 1.0)
    with pytest.raises(ValueError, match="hinge: y_pred of shape"):
        md.metric_hinge(np.ones((2, 3)), np.ones((3, 2)))


def test_rank_alignment_instead_of_keras_broadcast():
    # Deliberate difference: Keras's hinge skips the squeeze-or-expand step, so (N,) labels
    # against (N, 1) scores broadcast to (N, N); metricdsl aligns them to (N, 1) first.
    y_true, y_pred = np.array([1.0, -1.0, 1.0]), np.array([[0.5], [0.5], [2.0]])
    m = md.metric_hinge()
    m.update_state(y_true, y_pred)
    close(m.result(), np.mean([0.5, 1.5, 0.0]))
