"""Regression metrics against numpy references, scikit-learn and Keras's documented vectors."""

import pickle

import numpy as np
import pytest
import references as ref
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from laws import assert_stateful_equals_jitted_stateless
from sklearn.metrics import r2_score as sk_r2_score

import metricdsl as md

# Quarter steps are exact in float32, so sums of products stay exact and only
# the metric's own rounding separates it from the float64 reference.
GRID = st.integers(-16, 16).map(lambda k: k / 4)
WEIGHT = st.integers(0, 8).map(lambda k: k / 4)


def arrays(shape, elements=GRID):
    return hnp.arrays(np.float32, shape, elements=elements)


def weights(shape):
    return st.none() if shape is None else arrays(shape, WEIGHT)


# (input shape, sample_weight shape): None, scalar, (N,), (N, 1) and the
# per-sample values' full shape. Each (metric, shapes) pair costs one
# compilation, so a few small fixed shapes keep the suite fast; Keras-shaped
# (N, 1) inputs (the flattened fast path) are added for two metrics.
MEAN_CASES = [
    ((4, 2, 3), None), ((4, 2, 3), ()), ((4, 2, 3), (4,)), ((4, 2, 3), (4, 1)),
    ((4, 2, 3), (4, 2)),
]
COLUMN_CASES = [((4, 1), (4,))]

MEAN_METRICS = {  # builtin: numpy reference of one update
    "mean_squared_error": ref.mean_squared_error,
    "mean_absolute_error": ref.mean_absolute_error,
    "mean_absolute_percentage_error": ref.mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": ref.mean_squared_logarithmic_error,
    "log_cosh_error": ref.log_cosh_error,
    "cosine_similarity": ref.cosine_similarity,
}


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("metric", sorted(MEAN_METRICS))
@given(data=st.data())
def test_mean_metrics_match_reference(metric, data):
    column = metric in ("mean_squared_error", "cosine_similarity")
    shape, w_shape = data.draw(st.sampled_from(MEAN_CASES + COLUMN_CASES * column))
    y_true, y_pred = data.draw(arrays(shape)), data.draw(arrays(shape))
    sample_weight = data.draw(weights(w_shape))
    m = getattr(md, f"metric_{metric}")()
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    close(m.result(), MEAN_METRICS[metric](y_true, y_pred, sample_weight))


@given(data=st.data())
def test_rmse_matches_reference(data):
    shape, w_shape = data.draw(st.sampled_from([
        ((4, 3), None), ((4, 3), ()), ((4, 3), (4,)), ((4, 3), (4, 1)), ((4, 3), (4, 3)),
        ((4,), (4,))]))
    y_true, y_pred = data.draw(arrays(shape)), data.draw(arrays(shape))
    sample_weight = data.draw(weights(w_shape))
    m = md.metric_root_mean_squared_error()
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    close(m.result(), ref.root_mean_squared_error(y_true, y_pred, sample_weight))


@given(data=st.data())
def test_cosine_similarity_axis(data):
    axis, shape, w_shape = data.draw(
        st.sampled_from([(0, (4, 3), None), ((1, 2), (4, 2, 3), (4,))]))
    y_true, y_pred = data.draw(arrays(shape)), data.draw(arrays(shape))
    sample_weight = data.draw(weights(w_shape))
    m = md.metric_cosine_similarity(axis=axis)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    close(m.result(), ref.cosine_similarity(y_true, y_pred, sample_weight, axis=axis))


# -- R2 -------------------------------------------------------------------------------------------
R2_GRID = st.integers(-4, 4).map(float)
SKLEARN_MULTIOUTPUT = {None: "raw_values", "uniform_average": "uniform_average",
                       "variance_weighted_average": "variance_weighted"}


def _r2_well_posed(y_true, sample_weight):
    """At least 3 weighted rows and, per output, a variance large against Σ w y².

    Keras's one-pass ``squared_sum - sum * mean`` loses about
    ``eps32 * Σ w y² / total`` in float32; keep that ratio small so the
    float64 reference agrees to 1e-5.
    """
    w = np.ones(()) if sample_weight is None else np.asarray(sample_weight, np.float64)
    w = np.broadcast_to(w[:, None] if w.ndim == 1 else w, y_true.shape)
    if np.any(w != 0, axis=-1).sum() < 3 or np.any(w.sum(0) == 0):
        return False
    mean = (w * y_true).sum(0) / w.sum(0)
    total = (w * (y_true - mean) ** 2).sum(0)
    return bool(np.all(total > 0) and np.all((w * y_true ** 2).sum(0) <= 20 * total))


@pytest.mark.parametrize("class_aggregation, w_shapes", [
    ("uniform_average", [None, (), (6,), (6, 1), (6, 3)]),
    (None, [(6,), (6, 3)]),
    ("variance_weighted_average", [(6,), (6, 3)]),
], ids=str)
@given(data=st.data())
def test_r2_matches_reference_and_sklearn(class_aggregation, w_shapes, data):
    y_true = data.draw(arrays((6, 3), R2_GRID))
    y_pred = data.draw(arrays((6, 3), GRID))
    sample_weight = data.draw(weights(data.draw(st.sampled_from(w_shapes))))
    assume(_r2_well_posed(y_true, sample_weight))
    m = md.metric_r2_score(class_aggregation)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    close(m.result(), ref.r2_score(y_true, y_pred, sample_weight, class_aggregation))
    if sample_weight is None or sample_weight.shape == (6,):  # what scikit-learn accepts
        expected = sk_r2_score(y_true.astype(np.float64), y_pred.astype(np.float64),
                               sample_weight=sample_weight,
                               multioutput=SKLEARN_MULTIOUTPUT[class_aggregation])
        close(m.result(), expected)


@given(data=st.data())
def test_adjusted_r2_matches_reference(data):
    # n = rows with a non-zero weight (3 to 6 here): adjusted while p < n - 1, else plain R².
    num_regressors = data.draw(st.sampled_from([2, 5, 7]))
    y_true, y_pred = data.draw(arrays((6, 3), R2_GRID)), data.draw(arrays((6, 3), GRID))
    sample_weight = data.draw(arrays((6,), WEIGHT))
    assume(_r2_well_posed(y_true, sample_weight))
    m = md.metric_r2_score("variance_weighted_average", num_regressors=num_regressors)
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    expected = ref.r2_score(y_true, y_pred, sample_weight, "variance_weighted_average",
                            num_regressors)
    close(m.result(), expected, rtol=1e-4)


def test_r2_streaming_equals_one_pass(rng):
    y_true, y_pred = rng.normal(size=(2, 12, 3)).astype(np.float32)
    sample_weight = rng.uniform(size=12).astype(np.float32)
    streamed = md.metric_r2_score(None, num_regressors=2)
    for part in (slice(0, 5), slice(5, 12)):
        streamed.update_state(y_true[part], y_pred[part], sample_weight[part])
    close(streamed.result(),
          ref.r2_score(y_true, y_pred, sample_weight, None, num_regressors=2), rtol=1e-4)


def test_r2_no_data_and_reset():
    m = md.metric_r2_score(None)
    with pytest.raises(ValueError, match="first batch"):  # not built yet (Keras: AttributeError)
        m.result()
    m.update_state([[1.0, 2.0], [3.0, 5.0], [2.0, 2.0]], [[1.5, 2.0], [2.5, 4.0], [2.0, 3.0]])
    m.reset_state()
    # Keras gives NaN (0/0) here; metricdsl's empty state scores 0.
    np.testing.assert_array_equal(m.result(), [0.0, 0.0])
    assert all(float(np.sum(np.abs(v.value))) == 0 for v in m.variables)


def test_r2_attributes_and_lazy_build():
    m = md.metric_r2_score("variance_weighted_average", num_regressors=2, name="r2")
    assert (m.class_aggregation, m.num_regressors, m.name) == ("variance_weighted_average", 2, "r2")
    assert not m.built and [v.name for v in m.variables] == ["num_samples"]
    m.update_state(np.ones((4, 3)), np.zeros((4, 3)))
    assert m.built
    assert [v.name for v in m.variables] == ["num_samples", "squared_sum", "sum", "residual",
                                             "count"]
    assert m.squared_sum.shape == m.sum.shape == m.total_mse.shape == m.count.shape == (3,)
    assert float(m.num_samples.value) == 4.0


@pytest.mark.parametrize("kwargs, error, match", [
    ({"class_aggregation": "median"}, ValueError, "R2Score.*`class_aggregation`.*class_aggregation=median"),
    ({"num_regressors": -1}, ValueError, "R2Score.*`num_regressors`.*-1"),
    ({"num_regressors": "2"}, TypeError, "R2Score.*`num_regressors`"),
])
def test_r2_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        md.metric_r2_score(**kwargs)


def test_r2_bad_shapes_leave_state_unchanged():
    m = md.metric_r2_score()
    with pytest.raises(ValueError, match=r"R2Score 'r2_score'.*2D inputs"):
        m.update_state(np.zeros((4,)), np.zeros((4,)))
    assert not m.built
    m.update_state(np.ones((4, 2)), np.zeros((4, 2)))
    before = [np.asarray(v.value) for v in m.variables]
    with pytest.raises(ValueError, match=r"R2Score 'r2_score'.*3 outputs.*built for 2"):
        m.update_state(np.ones((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"R2Score 'r2_score'.*sample_weight of shape \(3,\)"):
        m.update_state(np.ones((4, 2)), np.zeros((4, 2)), sample_weight=np.ones(3))
    for variable, value in zip(m.variables, before):
        np.testing.assert_array_equal(variable.value, value)


# -- Keras acceptance vectors (keras3_metrics_spec.md §6.3) ---------------------------------------
def test_keras_vector_mse():
    # §6.3 row 3: MeanSquaredError, weighted 0.5428571, unweighted 0.5.
    y_true = [[0, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]]
    y_pred = [[0, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1]]
    m = md.metric_mean_squared_error()
    m.update_state(y_true, y_pred, sample_weight=[1, 1.5, 2, 2.5])
    close(m.result(), 0.5428571)
    m.reset_state()
    m.update_state(y_true, y_pred)
    close(m.result(), 0.5)


def test_keras_vector_rmse():
    # §6.3 row 10: RootMeanSquaredError, sqrt(13).
    m = md.metric_root_mean_squared_error()
    m.update_state([2, 4, 6, 8], [1, 3, 2, 3], sample_weight=[0, 1, 0, 1])
    close(m.result(), 3.6055512)


def test_keras_vector_r2():
    # §6.3 row 11: R2Score("variance_weighted_average", num_regressors=1) and R2Score(None, 0).
    y_true = [[0, 0, 1], [0, 1, 0], [1, 0, 0]]
    y_pred = [[0.4, 0.9, 1.6], [0.1, 1.2, 0.6], [1.5, 0.8, 0.6]]
    m = md.metric_r2_score("variance_weighted_average", num_regressors=1)
    m.update_state(y_true, y_pred, sample_weight=[0.8, 0.1, 0.4])
    close(m.result(), -3.742045)
    m = md.metric_r2_score(None, 0)
    m.update_state(y_true, y_pred, sample_weight=[0.8, 0.1, 0.4])
    close(m.result(), [0.1730556, -8.836666, -0.521])


# -- the Metric API -------------------------------------------------------------------------------
def _batch(rng, shape=(4, 2, 3)):
    y_true, y_pred = rng.normal(size=(2, *shape)).astype(np.float32)
    return np.abs(y_true), np.abs(y_pred), rng.uniform(size=shape[0]).astype(np.float32)


# Configurations and shapes as in the tests above, so their compiled updates are reused.
ALL = {  # metric: (constructor arguments, batch shape)
    "mean_squared_error": ({}, (4, 2, 3)), "mean_absolute_error": ({}, (4, 2, 3)),
    "mean_absolute_percentage_error": ({}, (4, 2, 3)),
    "mean_squared_logarithmic_error": ({}, (4, 2, 3)), "log_cosh_error": ({}, (4, 2, 3)),
    "root_mean_squared_error": ({}, (4, 3)), "cosine_similarity": ({"axis": (1, 2)}, (4, 2, 3)),
    "r2_score": ({"class_aggregation": "variance_weighted_average", "num_regressors": 2}, (6, 3)),
}


@pytest.mark.parametrize("metric", sorted(ALL))
def test_stateful_equals_jitted_stateless(metric, rng):
    kwargs, shape = ALL[metric]
    m = getattr(md, f"metric_{metric}")(**kwargs)
    batches = [_batch(rng, shape), _batch(rng, shape)]
    m.build(*batches[0][:2])
    assert_stateful_equals_jitted_stateless(m, batches)


@pytest.mark.parametrize("metric", sorted(ALL))
def test_reset_and_config_round_trip(metric, rng):
    kwargs, shape = ALL[metric]
    m = getattr(md, f"metric_{metric}")(**kwargs, name="custom", dtype="float32")
    y_true, y_pred, sample_weight = _batch(rng, shape)
    m.update_state(y_true, y_pred, sample_weight)
    value = np.asarray(m.result())
    config = m.get_config()
    assert config == {"name": "custom", "dtype": "float32", **kwargs}
    clone = type(m).from_config(config)
    assert clone.get_config() == config
    clone.update_state(y_true, y_pred, sample_weight)
    np.testing.assert_allclose(clone.result(), value, rtol=1e-6)
    m.reset_state()
    assert all(not np.any(v.value) for v in m.variables)
    np.testing.assert_array_equal(m.result(), np.zeros_like(value))
    restored = pickle.loads(pickle.dumps(clone))
    np.testing.assert_allclose(restored.result(), value, rtol=1e-6)


def test_default_names_configs_and_attributes():
    assert md.metric_log_cosh_error().name == "logcosh"
    assert md.metric_root_mean_squared_error().get_config() == {
        "name": "root_mean_squared_error", "dtype": "float32"}
    # Keras drops `axis` from CosineSimilarity's config; metricdsl keeps it.
    assert md.metric_cosine_similarity(axis=1).get_config()["axis"] == 1
    m = md.metric_mean_absolute_error()
    m.update_state([[1.0, 2.0]], [[2.0, 2.0]])
    assert (float(m.total.value), float(m.count.value)) == (0.5, 1.0)
    assert md.metric_cosine_similarity(axis=(0, 1)).axis == (0, 1)


@pytest.mark.parametrize("metric, shape", [
    ("mean_squared_error", (4, 3)), ("mean_absolute_error", (4, 2, 3)),
    ("mean_absolute_percentage_error", (4, 3)), ("mean_squared_logarithmic_error", (4, 1)),
])
def test_function_call_returns_per_sample_values(metric, shape, rng):
    y_true, y_pred, _ = _batch(rng, shape)
    values = getattr(md, f"metric_{metric}")(y_true, y_pred)
    expected = getattr(ref, f"{metric}_values")(y_true, y_pred)
    assert values.shape == expected.shape == shape[:-1]
    close(values, expected)


def test_function_only_builtins(rng):
    # R keras3 documents metric_huber on this data as 0.18, 0.13.
    close(md.metric_huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), [0.18, 0.13])
    y_true, y_pred, _ = _batch(rng, (4, 3))
    y_pred = 3 * y_pred
    close(md.metric_huber(y_true, y_pred, delta=0.5), ref.huber_values(y_true, y_pred, 0.5))
    close(md.metric_log_cosh(y_true, y_pred), ref.log_cosh_values(y_true, y_pred))
    for fn in (md.metric_huber, md.metric_log_cosh):
        with pytest.raises(TypeError, match=f"{fn.__name__}\\(\\) is function-only"):
            fn()
        with pytest.raises(md.MetricDefinitionError, match="function-only"):
            md.Metric("Averaged", inherit=fn)
    m = md.metric_mean_wrapper(md.metric_huber, delta=0.5)
    m.update_state(y_true, y_pred)
    close(m.result(), ref.huber_values(y_true, y_pred, 0.5).mean())


def test_integer_predictions_are_cast_to_float():
    # Deliberate difference: Keras computes in y_pred's int dtype (LogCoshError gives 0.8015924,
    # MAPE NaN); metricdsl casts to floatx first and matches the float results 0.1084452, 2.5e8.
    m = md.metric_log_cosh_error()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    close(m.result(), 0.1084452)
    m = md.metric_mean_absolute_percentage_error()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    close(m.result(), 2.5e8)


def test_bad_shapes_name_the_metric_and_leave_state_unchanged():
    m = md.metric_mean_squared_error()
    m.update_state(np.ones((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="MeanSquaredError 'mean_squared_error': y_pred of shape"):
        m.update_state(np.ones((4, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"MeanSquaredError.*sample_weight"):
        m.update_state(np.ones((4, 3)), np.zeros((4, 3)), sample_weight=np.ones((4, 3)))
    assert float(m.result()) == 1.0 and float(m.count.value) == 4.0
    rmse = md.metric_root_mean_squared_error()
    with pytest.raises(ValueError, match="RootMeanSquaredError 'root_mean_squared_error'"):
        rmse.update_state(np.ones((4, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="mean_absolute_error: y_pred of shape"):
        md.metric_mean_absolute_error(np.ones((4, 3)), np.zeros((4, 2)))


def test_subclassing_a_builtin():
    def result():
        return super.result() ** 2

    squared_rmse = md.Metric("SquaredRMSE", result=result,
                             inherit=md.metric_root_mean_squared_error)
    m = squared_rmse()
    m.update_state([2.0, 4.0, 6.0, 8.0], [1.0, 3.0, 2.0, 3.0], sample_weight=[0, 1, 0, 1])
    close(m.result(), 13.0)


@pytest.mark.parametrize("metric, kwargs, shape", [
    ("mean_squared_error", {}, (4, 2, 3)), ("root_mean_squared_error", {}, (4, 3)),
    ("r2_score", {}, (6, 3)),
])
def test_low_precision_dtypes(metric, kwargs, shape, rng):
    y_true, y_pred, sample_weight = _batch(rng, shape)
    m = getattr(md, f"metric_{metric}")(**kwargs, dtype="bfloat16")
    m.update_state(y_true, y_pred, sample_weight)
    expected = getattr(ref, metric)(y_true, y_pred, sample_weight)
    # R2Score keeps float32 state whatever its dtype (Keras); the others compute in bfloat16.
    assert m.result().dtype == ("float32" if metric == "r2_score" else "bfloat16")
    np.testing.assert_allclose(np.asarray(m.result(), np.float32), expected, rtol=2e-2)


def test_keras_shaped_columns_take_the_fast_path_with_the_same_values(rng):
    # (N, 1) inputs: kernels drop the size-1 axis before the math; values are unchanged.
    y_true, y_pred, sample_weight = _batch(rng, (4, 1))
    for metric in ("log_cosh_error", "root_mean_squared_error", "mean_squared_logarithmic_error"):
        m = getattr(md, f"metric_{metric}")()
        m.update_state(y_true, y_pred, sample_weight)
        close(m.result(), getattr(ref, metric)(y_true, y_pred, sample_weight))


@pytest.mark.parametrize("metric, kwargs, shape", [
    ("r2_score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2}, (6, 3)),
    ("root_mean_squared_error", {}, (4, 3)),
])
def test_merged_shards_equal_one_pass(metric, kwargs, shape, rng):
    batches = [_batch(rng, shape) for _ in range(3)]
    shards = [getattr(md, f"metric_{metric}")(**kwargs) for _ in batches]
    for shard, batch in zip(shards, batches):
        shard.update_state(*batch)
    shards[0].merge_state(shards[1:])
    y_true, y_pred, sample_weight = (np.concatenate(parts) for parts in zip(*batches))
    close(shards[0].result(), getattr(ref, metric)(y_true, y_pred, sample_weight, **kwargs),
          rtol=1e-4)
