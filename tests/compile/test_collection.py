"""MetricCollection: add_metric, build, the stateless API under jit and scan."""

import collections
import copy
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from compile_data import BINARY, REGRESSION, WEIGHTS, N, need, result_of

import metricdsl as md
from metricdsl.compile import CompileMetricsError


def test_add_metric_mean_and_sum_reported_and_reset():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse"])
    c.update_state(*REGRESSION)
    c.add_metric(1.0, "loss")
    c.add_metric(np.array([2.0, 4.0]), "loss")
    c.add_metric(3, "steps", aggregation="sum")
    c.update_state(*REGRESSION, extra={"loss": 5.0, "steps": 1})
    out = c.result()
    assert list(out) == ["mse", "loss", "steps"]
    np.testing.assert_allclose(out["loss"], (1 + 2 + 4 + 5) / 4)
    np.testing.assert_allclose(out["steps"], 4.0)
    c.reset_state()
    assert float(c.result()["loss"]) == 0.0 and float(c.result()["steps"]) == 0.0
    with pytest.raises(CompileMetricsError, match="aggregates by 'mean'"):
        c.add_metric(1.0, "loss", aggregation="sum")
    with pytest.raises(CompileMetricsError, match="'mean' or 'sum'"):
        c.add_metric(1.0, "x", aggregation="max")
    with pytest.raises(CompileMetricsError, match="add_metric"):
        c.update_state(*REGRESSION, extra={"unknown": 1.0})


def test_add_metric_without_compiled_metrics():
    c = md.compile_metrics()
    c.add_metric(2.0, "loss")
    c.add_metric(4.0, "loss")
    assert float(c.result()["loss"]) == 3.0
    c.update_state(*REGRESSION, extra={"loss": 6.0})
    assert float(c.result()["loss"]) == 4.0
    state = c.stateless_update_state(c.stateless_reset_state(), *REGRESSION, extra={"loss": 1.0})
    assert c.stateless_result(state) == {"loss": 1.0}


def test_build_with_shape_structs_then_stateless_under_jit():
    need("BinaryAccuracy", "MeanSquaredError", "R2Score")
    c = md.compile_metrics(["accuracy", "mse", md.metric_r2_score()], weighted_metrics=["mse"])
    with pytest.raises(CompileMetricsError, match="build"):
        c.stateless_reset_state()
    spec = jax.ShapeDtypeStruct((N, 1), "float32")
    c.build(spec, spec)
    c.add_metric(None, "loss")
    assert [type(m).__name__ for m in c.metrics] == ["BinaryAccuracy", "MeanSquaredError",
                                                     "R2Score", "MeanSquaredError", "Mean"]

    @jax.jit
    def step(state, y_true, y_pred, w):
        state = c.stateless_update_state(state, y_true, y_pred, sample_weight=w,
                                         extra={"loss": jnp.mean(y_pred)})
        return state, c.stateless_result(state)

    state = c.stateless_reset_state()
    for _ in range(2):
        state, logs = step(state, *BINARY, WEIGHTS)
    reference = md.compile_metrics(["accuracy", "mse", md.metric_r2_score()],
                                   weighted_metrics=["mse"])
    for _ in range(2):
        reference.update_state(*BINARY, sample_weight=WEIGHTS)
        reference.add_metric(np.mean(BINARY[1]), "loss")
    expected = reference.result()
    assert set(logs) == set(expected)
    for key in expected:
        np.testing.assert_allclose(logs[key], expected[key], rtol=1e-5, err_msg=key)
    with pytest.raises(CompileMetricsError, match="one entry per metric"):
        c.stateless_update_state(state[:-1], *BINARY)


def test_stateless_state_is_a_scan_carry():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mae"])
    c.build(*REGRESSION)
    ys = np.stack([REGRESSION[0]] * 3)
    ps = np.stack([REGRESSION[1]] * 3)

    def body(state, batch):
        return c.stateless_update_state(state, *batch), None

    state, _ = jax.lax.scan(body, c.stateless_reset_state(), (ys, ps))
    logs = c.stateless_result(state)
    np.testing.assert_allclose(logs["mse"], np.mean((REGRESSION[0] - REGRESSION[1]) ** 2),
                               rtol=1e-6)


def test_same_instance_twice_is_rejected():
    (mse_cls,) = need("MeanSquaredError")
    m = mse_cls()
    c = md.compile_metrics([m], weighted_metrics=[m])
    with pytest.raises(CompileMetricsError, match="appears twice"):
        c.update_state(*REGRESSION)


def test_stateless_use_after_stateful_updates_leaks_no_tracers():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mae"])
    c.build(*REGRESSION)
    initial = c.stateless_reset_state()
    c.update_state(*REGRESSION)  # the packed state is newer than the members' variables
    state = jax.jit(c.stateless_update_state)(initial, *REGRESSION)
    np.testing.assert_allclose(c.stateless_result(state)["mse"], c.result()["mse"], rtol=1e-6)
    for variable in c.variables:
        assert not isinstance(variable.value, jax.core.Tracer)
    c.update_state(*REGRESSION)
    np.testing.assert_allclose(c.result()["mse"], c.stateless_result(state)["mse"], rtol=1e-6)


# -- copies ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_collection_round_trips_and_keeps_updating(how):
    need("BinaryAccuracy", "MeanSquaredError", "AUC")
    c = md.compile_metrics(["acc", "mse", md.metric_auc()], weighted_metrics=["mse"])
    c.add_metric(2.0, "loss")
    c.update_state(*BINARY, sample_weight=WEIGHTS, extra={"loss": 4.0})
    before = c.result()
    copied = pickle.loads(pickle.dumps(c)) if how == "pickle" else copy.deepcopy(c)
    got = copied.result()
    assert list(got) == list(before)
    for key in before:
        np.testing.assert_allclose(got[key], before[key], rtol=1e-6, err_msg=key)
    for collection in (c, copied):  # both keep updating, independently
        collection.update_state(*BINARY, sample_weight=WEIGHTS, extra={"loss": 6.0})
    for key, value in c.result().items():
        np.testing.assert_allclose(copied.result()[key], value, rtol=1e-6, err_msg=key)
    assert float(copied.result()["loss"]) == 4.0
    assert not set(map(id, copied.variables)) & set(map(id, c.variables))
    state = copied.stateless_update_state(copied.stateless_reset_state(), *BINARY)
    assert set(copied.stateless_result(state)) == set(before)


def test_unbuilt_collection_round_trips():
    c = md.compile_metrics(["mse"])
    for copied in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c)):
        assert not copied.built
        copied.update_state(*REGRESSION)
        np.testing.assert_allclose(copied.result()["mse"],
                                   np.mean((REGRESSION[0] - REGRESSION[1]) ** 2), rtol=1e-6)


# -- the stateless API without build ------------------------------------------------------------
def test_built_members_need_no_build():
    mse, mae = need("MeanSquaredError", "MeanAbsoluteError")
    c = md.compile_metrics([mse(name="mse")], weighted_metrics=[mae(name="mae")])
    assert c.built and [m.name for m in c.metrics] == ["mse", "mae"]
    state = c.stateless_reset_state()
    assert {k: float(v) for k, v in c.stateless_result(state).items()} == {"mse": 0.0,
                                                                           "mae": 0.0}
    state = jax.jit(c.stateless_update_state)(state, *REGRESSION, sample_weight=WEIGHTS)
    reference = md.compile_metrics(["mse"], weighted_metrics=["mae"])
    reference.update_state(*REGRESSION, sample_weight=WEIGHTS)
    for key, value in reference.result().items():
        np.testing.assert_allclose(c.stateless_result(state)[key], value, rtol=1e-6)


def test_built_members_per_output_need_no_build():
    (mse,) = need("MeanSquaredError")
    c = md.compile_metrics({"b": mse(name="mse"), "a": mse(name="mse")})
    state = c.stateless_reset_state()
    y = {"a": REGRESSION[0], "b": REGRESSION[0] + 1}
    p = {"a": REGRESSION[1], "b": REGRESSION[1]}
    state = c.stateless_update_state(state, y, p)
    out = c.stateless_result(state)
    assert list(out) == ["a_mse", "b_mse"]
    np.testing.assert_allclose(out["b_mse"], result_of(mse, (y["b"], p["b"])), rtol=1e-6)


def test_state_from_before_the_build_must_fit_the_outputs_order():
    (mse,) = need("MeanSquaredError")
    c = md.compile_metrics({"a": mse(name="mse"), "b": mse(name="mae")})
    state = c.stateless_reset_state()  # laid out a, b (sorted keys)
    y = collections.OrderedDict([("b", REGRESSION[0]), ("a", REGRESSION[0])])
    with pytest.raises(CompileMetricsError, match=r"order.*build"):
        c.stateless_update_state(state, y, y)  # these outputs order b, a


def test_not_built_error_names_what_waits():
    (r2,) = need("R2Score")
    c = md.compile_metrics(["mse", r2()], weighted_metrics=[md.metric_mean_absolute_error])
    with pytest.raises(CompileMetricsError) as info:
        c.stateless_reset_state()
    message = str(info.value)
    assert "metrics[0] 'mse' is a string identifier" in message
    assert "metrics[1] R2Score 'r2_score' creates its variables" in message
    assert "weighted_metrics[0]" in message and "build(y_true, y_pred)" in message
    lazy = md.compile_metrics([r2(name="lazy_r2")])
    with pytest.raises(CompileMetricsError, match=r"metrics\[0\] R2Score 'lazy_r2'") as info:
        lazy.stateless_result([[]])
    assert "'mse'" not in str(info.value)
