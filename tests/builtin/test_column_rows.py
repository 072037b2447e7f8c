"""Large Keras-shaped (N, 1) batches: the row-view fast path gives the reference values.

Columns of at least 2048 samples are computed as rows of 128–1024 elements
(`reduction.reduce_last_axis`, `flat_column`, `samplewise_values`, and
`rowwise.rowwise` for user functions that are row-local); sizes with no such
divisor and functions that are not row-local take the plain path. All must
agree with float64 numpy.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import references as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import metricdsl as md
from metricdsl.functional._rowwise import rowwise

# 4096: rows of 1024; 10_000: rows of 1000; 4099 (prime): no row view.
SIZES = (4096, 10_000, 4099)

COLUMN_METRICS = {  # builtin: numpy per-sample values
    "mean_squared_error": ref.mean_squared_error_values,
    "mean_absolute_error": ref.mean_absolute_error_values,
    "mean_absolute_percentage_error": ref.mean_absolute_percentage_error_values,
    "mean_squared_logarithmic_error": ref.mean_squared_logarithmic_error_values,
    "log_cosh_error": ref.log_cosh_values,
    "hinge": ref.hinge_values,
    "squared_hinge": ref.squared_hinge_values,
    "poisson": ref.poisson_values,
    "kl_divergence": ref.kl_divergence_values,
    "binary_crossentropy": ref.binary_crossentropy_values,
}

FUNCTIONAL = {"log_cosh_error": "log_cosh"}  # class-only; its function-only twin computes


def _batch(size, seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, (size, 1)).astype("float32")
    y_pred = rng.uniform(0.01, 0.99, (size, 1)).astype("float32")
    weight = rng.uniform(0, 2, (size,)).astype("float32")
    return y_true, y_pred, weight


def _weighted_mean(values, weight):
    values = np.asarray(values, np.float64).reshape(-1)
    weight = np.ones_like(values) if weight is None else np.asarray(weight, np.float64)
    return float(np.sum(values * weight) / np.sum(weight))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", sorted(COLUMN_METRICS))
def test_large_columns_match_reference(name, size):
    y_true, y_pred, weight = _batch(size, seed=size)
    values = COLUMN_METRICS[name](y_true, y_pred)
    metric = getattr(md, f"metric_{name}")()
    for sample_weight in (None, weight):
        metric.reset_state()
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        np.testing.assert_allclose(float(metric.result()),
                                   _weighted_mean(values, sample_weight), rtol=2e-6)
    functional = FUNCTIONAL.get(name, name)
    per_sample = getattr(md, f"metric_{functional}")(y_true, y_pred)
    assert per_sample.shape == (size,)
    np.testing.assert_allclose(per_sample, values, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("size", SIZES)
def test_large_columns_user_function_and_rmse(size):
    y_true, y_pred, weight = _batch(size, seed=size + 1)
    errors = (np.float64(y_pred) - y_true)[:, 0] ** 2
    wrapper = md.metric_mean_wrapper(lambda t, p: md.ops.mean(md.ops.square(t - p), axis=-1))
    rmse = md.metric_root_mean_squared_error()
    for metric, expected in ((wrapper, _weighted_mean(errors, weight)),
                             (rmse, np.sqrt(_weighted_mean(errors, weight)))):
        metric.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(float(metric.result()), expected, rtol=2e-6)


USER_FUNCTIONS = {  # name: (fn, row-local?, numpy reference of the per-sample values)
    "log": (lambda t, p: md.ops.mean(p - t * md.ops.log(p + 1e-7), axis=-1), True,
            lambda t, p: (p - t * np.log(p + 1e-7))[:, 0]),
    "softplus_where": (lambda t, p: jax.nn.softplus(jnp.where(t > 0.5, p, 1 - p))[:, 0], True,
                       lambda t, p: np.log1p(np.exp(np.where(t > 0.5, p, 1 - p)))[:, 0]),
    "keepdims": (lambda t, p: jnp.square(t - p), True, lambda t, p: ((t - p) ** 2)[:, 0]),
    "all_last_axis": (lambda t, p: jnp.all(p > 0.3, axis=-1).astype(jnp.float32), True,
                      lambda t, p: (p > 0.3)[:, 0].astype(np.float64)),
    "argmax_last_axis": (lambda t, p: jnp.argmax(p, axis=-1).astype(jnp.float32) + p[:, 0],
                         False, lambda t, p: p[:, 0]),
    "batch_centred": (lambda t, p: (p - jnp.mean(p))[:, 0], False,
                      lambda t, p: (p - p.mean())[:, 0]),
    "running": (lambda t, p: jnp.cumsum(p, axis=0)[:, 0] / t.shape[0], False,
                lambda t, p: np.cumsum(p[:, 0]) / len(p)),
    "reversed": (lambda t, p: jnp.abs(t - p[::-1])[:, 0], False,
                 lambda t, p: np.abs(t - p[::-1])[:, 0]),
}


@pytest.mark.parametrize("name", sorted(USER_FUNCTIONS))
def test_user_functions_take_the_row_view_only_when_row_local(name):
    fn, row_local, reference = USER_FUNCTIONS[name]
    y_true, y_pred, weight = _batch(4096, seed=5)
    assert rowwise(fn, jnp.asarray(y_true), jnp.asarray(y_pred)) is None  # eager: as written

    @jax.jit
    def traced(t, p):
        out = rowwise(fn, t, p)
        taken.append(out is not None)
        return fn(t, p) if out is None else out

    taken = []
    np.testing.assert_allclose(traced(y_true, y_pred), fn(y_true, y_pred), rtol=1e-6)
    assert taken == [row_local]
    expected = reference(np.float64(y_true), np.float64(y_pred))
    metric = md.metric_mean_wrapper(fn)
    metric.update_state(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(float(metric.result()), _weighted_mean(expected, weight),
                               rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("size", SIZES)
def test_large_columns_binary_accuracy_keeps_the_column_shape(size):
    y_true, y_pred, weight = _batch(size, seed=size + 2)
    hits = y_true == (y_pred > 0.5)
    assert md.metric_binary_accuracy(y_true, y_pred).shape == (size, 1)  # Keras's shape
    metric = md.metric_binary_accuracy()
    for sample_weight in (None, weight, weight[:, None]):
        metric.reset_state()
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        np.testing.assert_allclose(float(metric.result()), _weighted_mean(hits, weight if
                                   sample_weight is not None else None), rtol=2e-6)


def test_value_branching_functions_run_eagerly_on_large_columns():
    def branchy(t, p):  # needs concrete values: the metric falls back to eager updates
        return (jnp.abs(t - p) if float(jnp.max(p)) > 1.0 else jnp.square(t - p))[:, 0]

    y_true, y_pred, weight = _batch(4096, seed=9)
    metric = md.metric_mean_wrapper(branchy)
    with pytest.warns(md.MetricEagerWarning):
        metric.update_state(y_true, y_pred, sample_weight=weight)
    expected = _weighted_mean((np.float64(y_true) - y_pred)[:, 0] ** 2, weight)
    np.testing.assert_allclose(float(metric.result()), expected, rtol=2e-6)


# Random per-sample programs: chains of element-wise steps, then a last-axis reduction.
_STEPS = [
    lambda t, p, x: x + t, lambda t, p, x: x * p, lambda t, p, x: jnp.log1p(jnp.abs(x)),
    lambda t, p, x: jnp.exp(-jnp.abs(x)), lambda t, p, x: jnp.where(t > 0.5, x, -x),
    lambda t, p, x: jnp.clip(x, -2.0, 2.0), lambda t, p, x: jnp.maximum(x, p) ** 2,
    lambda t, p, x: jax.nn.sigmoid(x) - t, lambda t, p, x: jnp.tanh(x) / (1.0 + p),
    lambda t, p, x: x.astype(jnp.int32).astype(jnp.float32) + x,
]
_ENDS = [lambda x: jnp.mean(x, axis=-1), lambda x: jnp.sum(x, axis=-1), lambda x: x[:, 0],
         lambda x: jnp.max(x, axis=-1, keepdims=True)]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, len(_STEPS) - 1), min_size=1, max_size=6),
       st.integers(0, len(_ENDS) - 1))
def test_random_row_local_programs_match_the_direct_computation(steps, end):
    def program(t, p):
        x = p - t
        for step in steps:
            x = _STEPS[step](t, p, x)
        return _ENDS[end](x)

    y_true, y_pred, _ = _batch(2048, seed=len(steps))
    out = jax.jit(lambda t, p: rowwise(program, t, p))(y_true, y_pred)
    np.testing.assert_allclose(out, program(y_true, y_pred), rtol=1e-6, atol=1e-6)
