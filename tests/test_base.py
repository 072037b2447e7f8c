"""The base: Keras's Metric API, the stateless core and its laws, auto-jit and eager fallback."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import metricdsl as md
from metricdsl import Metric, MetricEagerWarning, ops
from metricdsl.variables import Variable, VariableError, compensated_sum


def _sum_initialize(name="total_sum", **kwargs):
    super.initialize(name=name, **kwargs)
    self.total = self.add_variable((), "zeros", name="total")
    self.count = self.add_variable((), "zeros", dtype="int32", name="count")


def _sum_update(values, sample_weight=None):
    self.total.assign_add(ops.sum(values))
    self.count.assign_add(ops.size(values))


metric_total = Metric("Total", _sum_initialize, _sum_update, lambda: self.total)


def _fresh(cls=metric_total, **kwargs):
    return cls(**kwargs)


def test_keras_api_surface():
    m = _fresh(name="t")
    assert m.name == "t" and m.dtype == "float32"
    with pytest.raises(AttributeError):
        m.dtype = "float16"
    assert [v.name for v in m.variables] == ["total", "count"]
    assert m.get_config() == {"name": "t", "dtype": "float32"}
    assert repr(m) == "<Total name=t>"
    assert float(m(jnp.array([1.0, 2.0]))) == 3.0  # __call__ = update then result
    w = m.add_weight(name="w")
    assert isinstance(w, Variable) and float(w) == 0.0 and len(m.variables) == 3
    assert md.Metric(name="root").name == "root"
    assert md.metric_mean(dtype="float16").dtype == "float16"


def test_auto_names_are_uniquified_like_keras():
    Anon = Metric("AnonMetricX")
    names = [Anon().name for _ in range(3)]
    assert names == ["anon_metric_x", "anon_metric_x_1", "anon_metric_x_2"]
    assert md.metric_mean().name == md.metric_mean().name == "mean"


@pytest.mark.parametrize("kwargs, message", [
    ({"name": np.ones((3, 1))}, r"LogCoshError: name must be a string or None; received an array "
                                r"of shape \(3, 1\)\. Metric constructors take no data"),
    ({"name": 3}, r"LogCoshError: name must be a string or None; received int 3\."),
    ({"dtype": "float99"}, r"LogCoshError: dtype must be a dtype name .*; received str 'float99'"),
])
def test_bad_name_or_dtype_is_a_clear_error(kwargs, message):
    with pytest.raises(TypeError, match=message):
        md.metric_log_cosh_error(**kwargs)
    with pytest.raises(TypeError, match="name must be"):  # R's call shape on a class-only builtin
        md.metric_log_cosh_error(np.ones((3, 1)), np.ones((3, 1)))


def test_stateless_functions_return_exact_dtypes_and_leave_state_alone():
    m = _fresh()
    state = m.stateless_reset_state()
    assert [(s.dtype, s.shape, s.weak_type) for s in state] == [
        (jnp.float32, (), False), (jnp.int32, (), False)]
    state = jax.jit(m.stateless_update_state)(state, jnp.arange(4.0))
    assert [(s.dtype, s.weak_type) for s in state] == [(jnp.float32, False), (jnp.int32, False)]
    assert float(m.stateless_result(state)) == 6.0 and int(state[1]) == 4
    assert float(m.result()) == 0.0  # stateful variables untouched
    with pytest.raises(ValueError, match="corresponding 1:1"):
        m.stateless_update_state(state[:1], jnp.ones(2))


def test_scan_vmap_and_jit_leak_no_tracers():
    m = _fresh()
    batches = jnp.arange(12.0).reshape(4, 3)

    @jax.jit
    def run(batches):
        def step(state, batch):
            return m.stateless_update_state(state, batch), m.stateless_result(state)

        return jax.lax.scan(step, m.stateless_reset_state(), batches)

    state, partial = run(batches)
    assert float(m.stateless_result(state)) == 66.0
    np.testing.assert_allclose(partial, [0.0, 3.0, 15.0, 36.0])
    per_row = jax.vmap(lambda b: m.stateless_result(
        m.stateless_update_state(m.stateless_reset_state(), b)))(batches)
    np.testing.assert_allclose(per_row, batches.sum(1))
    for variable in m.variables:  # the instance holds concrete arrays only
        assert not isinstance(variable.value, jax.core.Tracer)
    m.update_state(batches)
    assert float(m.result()) == 66.0


def test_stateful_update_inside_jit_is_a_clear_error():
    m = _fresh()
    with pytest.raises(TypeError, match="stateless_update_state"):
        jax.jit(lambda x: m.update_state(x))(jnp.ones(2))


@given(st.lists(st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=5),
                min_size=1, max_size=4))
def test_laws_jit_equals_stateful_split_merge_and_reset(batches):
    stateful, split = _fresh(), [_fresh() for _ in batches]
    state = stateful.stateless_reset_state()
    for batch, shard in zip(batches, split):
        stateful.update_state(np.float32(batch))
        state = jax.jit(stateful.stateless_update_state)(state, np.float32(batch))
        shard.update_state(np.float32(batch))
    np.testing.assert_allclose(stateful.result(), stateful.stateless_result(state), rtol=1e-6)
    merged = split[0]
    merged.merge_state(split[1:])
    np.testing.assert_allclose(merged.result(), stateful.result(), rtol=1e-5, atol=1e-3)
    expected = sum(np.sum(np.float32(b), dtype=np.float64) for b in batches)
    np.testing.assert_allclose(stateful.result(), expected, rtol=1e-5, atol=1e-3)
    stateful.reset_state()
    assert [float(v) for v in stateful.variables] == [0.0, 0.0]


def test_reset_restores_initial_values_not_just_zeros():
    def initialize(name="running_min"):
        super.initialize(name=name)
        self.low = self.add_variable((), jnp.inf, aggregation="min", name="low")

    RunningMin = Metric("RunningMin", initialize,
                        lambda x: self.low.assign(ops.minimum(self.low, ops.min(x))),
                        lambda: self.low)
    m = RunningMin()
    m.update_state([3.0, -2.0])
    assert float(m.result()) == -2.0
    m.reset_state()
    assert float(m.result()) == np.inf
    other = RunningMin()
    other.update_state([-7.0])
    m.merge_state([other])
    assert float(m.result()) == -7.0


class _Boom(RuntimeError):
    pass


def test_an_update_that_raises_leaves_state_unchanged_on_both_paths():
    def update(values, explode=False):
        self.total.assign_add(ops.sum(values))
        if explode:
            raise _Boom("midway")

    for eager in (False, True):
        Boomy = Metric("Boomy", _sum_initialize, update, lambda: self.total)
        m = Boomy()
        m.run_eagerly = eager
        m.update_state(jnp.ones(3))
        with pytest.raises(_Boom):
            m.update_state(jnp.ones(3), explode=True)
        assert float(m.result()) == 3.0
        assert not type(m).__dict__.get("_md_eager_detected", False)


def test_compiles_once_per_signature_and_shares_across_instances():
    traces = []

    def update(values):
        traces.append(values.shape)  # runs only while tracing
        self.total.assign_add(ops.sum(values))

    Traced = Metric("Traced", _sum_initialize, update, lambda: self.total)
    a, b = Traced(), Traced(name="other")
    for m in (a, a, b):
        m.update_state(jnp.ones(4))
    b.update_state(jnp.ones(5))
    assert traces == [(4,), (5,)]
    assert float(a.result()) == 8.0 and float(b.result()) == 9.0


def test_static_config_changes_the_compiled_code():
    def initialize(scale=1.0, name="scaled"):
        super.initialize(name=name)
        self.scale = scale
        self.total = self.add_variable((), "zeros")

    Scaled = Metric("ScaledT", initialize, lambda x: self.total.assign_add(ops.sum(x) * self.scale),
                    lambda: self.total)
    one, ten = Scaled(1.0), Scaled(10.0)
    one.update_state(jnp.ones(2))
    ten.update_state(jnp.ones(2))
    assert (float(one.result()), float(ten.result())) == (2.0, 20.0)
    ten.scale = 100.0
    ten.update_state(jnp.ones(2))
    assert float(ten.result()) == 220.0


@pytest.mark.parametrize("effect", ["attribute", "private", "private_inplace", "print"])
def test_python_side_effects_switch_to_eager_once_with_effects_undone(effect, capsys):
    def update(values):
        if effect == "attribute":
            self.calls = self.calls + 1
        elif effect == "private":
            private.calls = private.calls + 1
        elif effect == "private_inplace":
            private.log.append(1)
        else:
            print("batch")
        self.total.assign_add(ops.sum(values))

    def n_calls():
        return {"attribute": lambda: self.calls, "private": lambda: private.calls,
                "private_inplace": lambda: len(private.log), "print": lambda: None}[effect]()

    def initialize(name="fx"):
        super.initialize(name=name)
        self.total = self.add_variable((), "zeros")
        self.calls = 0

    Effect = Metric("Effect", initialize, update, lambda: self.total,
                    private={"calls": 0, "log": []}, n_calls=n_calls)
    m = Effect()
    with pytest.warns(MetricEagerWarning, match="Effect"):
        m.update_state(jnp.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.update_state(jnp.ones(2))
        Effect().update_state(jnp.ones(2))  # the class is known to be eager: no second warning
    assert float(m.result()) == 4.0
    if effect == "print":
        assert capsys.readouterr().out == "batch\n" * 3
    else:
        assert m.n_calls() == 2  # once per call: the traced run was undone


def test_value_branching_switches_to_eager_and_other_errors_propagate():
    def update(values):
        if ops.sum(values) > 0:  # a Python branch on a value
            self.total.assign_add(ops.sum(values))

    Branchy = Metric("Branchy", _sum_initialize, update, lambda: self.total)
    m = Branchy()
    with pytest.warns(MetricEagerWarning, match="Branchy.*branches"):
        m.update_state(jnp.ones(2))
    m.update_state(-jnp.ones(2))
    assert float(m.result()) == 2.0

    def broken(values):
        raise KeyError("not a tracer problem")

    Broken = Metric("Broken", _sum_initialize, broken, lambda: self.total)
    with pytest.raises(KeyError):
        Broken().update_state(jnp.ones(2))
    assert not Broken.__dict__.get("_md_eager_detected", False)


def test_reset_states_alias_both_directions_and_dict_results():
    def reset_states():
        self.total.assign(0)
        self.count.assign(-1)

    Old = Metric("OldStyle", _sum_initialize, _sum_update, lambda: self.total,
                 reset_states=reset_states)
    m = Old()
    m.update_state(jnp.ones(3))
    m.reset_state()
    assert int(m.count) == -1
    m.update_state(jnp.ones(3))
    m.reset_states()
    assert int(m.count) == -1
    plain = _fresh()
    plain.update_state(jnp.ones(2))
    plain.reset_states()
    assert float(plain.result()) == 0.0

    Both = Metric("Both", _sum_initialize, _sum_update,
                  lambda: {"total": self.total,
                           "mean": self.total / ops.cast(self.count, "float32")})
    b = Both()
    b.update_state(jnp.array([1.0, 3.0]))
    out = b.result()
    assert set(out) == {"total", "mean"} and float(out["mean"]) == 2.0
    state = jax.jit(b.stateless_update_state)(b.stateless_reset_state(), jnp.ones(2))
    assert float(jax.jit(b.stateless_result)(state)["total"]) == 2.0


def test_nested_metrics_are_tracked_in_keras_order():
    def initialize(name="pair"):
        super.initialize(name=name)
        self.own = self.add_variable((), "zeros", name="own")
        self.inner = [md.metric_sum(name="a"), {"b": md.metric_mean(name="b")}]

    def update(values):
        self.own.assign_add(1.0)
        for metric in (self.inner[0], self.inner[1]["b"]):
            metric.update_state(values)

    Pair = Metric("Pair", initialize, update,
                  lambda: self.inner[0].result() + self.inner[1]["b"].result())
    m = Pair()
    assert [v.name for v in m.variables] == ["own", "total", "total", "count"]
    m.update_state(jnp.array([2.0, 4.0]))
    assert float(m.result()) == 9.0
    state = jax.jit(m.stateless_update_state)(m.stateless_reset_state(), jnp.array([1.0]))
    assert float(m.stateless_result(state)) == 2.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_variables_do_arithmetic_and_ops_accept_them():
    v = Variable((2,), "ones", "float32", name="v")
    v.assign_add([1.0, 2.0])
    np.testing.assert_allclose(v + 1, [3.0, 4.0])
    np.testing.assert_allclose(2 * v, [4.0, 6.0])
    np.testing.assert_allclose(np.asarray(v > 2.5), [False, True])
    assert float(ops.sum(v)) == 5.0 and ops.shape(v) == (2,)
    np.testing.assert_allclose(ops.stack([v, v]).shape, (2, 2))
    v.assign_sub(1.0)
    np.testing.assert_allclose(v.numpy(), [1.0, 2.0])
    v.assign(0)  # a scalar broadcasts
    with pytest.raises(VariableError, match="shape"):
        v.assign([1.0, 2.0, 3.0])
    assert v.dtype == "float32" and v.aggregation == "sum"


def test_ops_cover_keras_formulas():
    x = jnp.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    _values, indices = ops.top_k(x, 2)
    np.testing.assert_array_equal(indices, [[1, 2], [0, 2]])
    np.testing.assert_array_equal(ops.in_top_k(jnp.array([2, 1]), x, 1), [False, False])
    np.testing.assert_array_equal(ops.in_top_k(jnp.array([1, 0]), x, 1), [True, True])
    np.testing.assert_allclose(ops.one_hot(jnp.array([0, 2]), 3), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(ops.divide_no_nan(jnp.array([1.0, 2.0]), jnp.array([0.0, 4.0])),
                               [0.0, 0.5])
    a, b = ops.squeeze_or_expand_to_same_rank(jnp.ones((4, 1)), jnp.ones(4))
    assert (a.shape, b.shape) == ((4, 1), (4, 1))
    a, b = ops.squeeze_or_expand_to_same_rank(jnp.ones((4, 3, 1)), jnp.ones((4, 3)))
    assert (a.shape, b.shape) == ((4, 3), (4, 3))
    np.testing.assert_allclose(ops.reverse_cumsum(jnp.array([1.0, 2.0, 3.0])), [6.0, 5.0, 3.0])
    assert ops.cast([1, 0], "bool").dtype == jnp.bool_
    assert ops.cast(1, "float").dtype == jnp.float32 and ops.standardize_dtype("int") == "int32"


def test_compensated_sums_do_not_stall():
    # (2^24 + 600) / (2^24 + 200): plain float32 state stalls at 2^24 (Keras gives 1.0000477).
    m = md.metric_mean()
    m.update_state(jnp.ones(2 ** 24))
    for _ in range(200):
        m.update_state(3.0)
    expected = (2 ** 24 + 600) / (2 ** 24 + 200)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)
    total, residual = jnp.float32(2 ** 24), jnp.float32(0)
    for _ in range(10):
        total, residual = compensated_sum(total, residual, jnp.float32(1))
    assert float(total) == 2 ** 24 + 10 and float(residual) == 0.0  # renormalised: total exact
    total, residual = compensated_sum(jnp.float32(1.0), jnp.float32(0), jnp.float32(np.inf))
    assert float(total) == np.inf and float(residual) == 0.0  # no NaN from inf - inf


def test_uncompensated_sums_opt_out_and_keep_it_through_copies_and_pytrees():
    import copy
    import pickle

    from metricdsl.variables import Variable

    plain = Variable((), "zeros", "float32", name="plain", compensated=False)
    plain.assign(2.0 ** 24)
    plain.assign_add(1.0)
    assert plain.residual is None and float(plain.value) == 2.0 ** 24  # plain float32 rounding
    for clone in (copy.deepcopy(plain), pickle.loads(pickle.dumps(plain)),
                  jax.tree_util.tree_map(lambda x: x, plain)):
        assert not clone.compensated and clone.residual is None
    summed = Variable((), "zeros", "float32", name="plain")
    assert summed.compensated  # the default; the pytree spec tells the two apart
    assert jax.tree_util.tree_structure(summed) != jax.tree_util.tree_structure(plain)


def test_threads_update_their_own_metrics_concurrently():
    # Every new shape traces again; tracing state (scope depth, the metric being
    # traced, stdout capture, validation) is per thread, so threads do not mix.
    import sys
    import threading

    stdout, failures = sys.stdout, []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for n in range(1, 16):
                m = md.metric_mean_squared_error()
                m.validate = seed % 2 == 0
                y_true, y_pred = rng.normal(size=(2, n, 2)).astype("float32")
                m.update_state(y_true, y_pred)
                expected = np.mean((np.float64(y_true) - y_pred) ** 2)
                if not np.isclose(float(m.result()), expected, rtol=1e-5):
                    failures.append((seed, n, float(m.result()), expected))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append((seed, repr(error)))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and sys.stdout is stdout
