"""The DSL means what it says: every Python value a method reads is seen as it is at call time.

The compiled path of the stateful API must compute what the plain Python
would on every call: module globals, ``parent_env`` names, closure cells,
``private`` values, plain attributes and nested metrics' members are looked up
live; a changed value takes effect on the next call.
"""

import threading
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metricdsl as md
from metricdsl import Metric, MetricEagerWarning, mark_active, ops

SCALE = 1.0
CONFIG = {"scale": 1.0}


def init_s(name="g", **kwargs):
    super.initialize(name=name, **kwargs)
    self.s = self.add_variable((), "zeros", name="s")


def _total(x):
    return ops.sum(ops.convert_to_tensor(x, "float32"))


G = Metric("G", initialize=init_s, result=lambda: self.s,
           update_state=lambda x: self.s.assign_add(
               ops.sum(ops.convert_to_tensor(x, "float32")) * SCALE))


def test_module_global_is_read_at_call_time():
    global SCALE
    SCALE = 1.0
    try:
        g = G()
        g.update_state([1.0, 2.0])
        SCALE = 10.0
        g.update_state([1.0, 2.0])
        assert float(g.result()) == 33.0
        fresh = G()
        fresh.update_state([1.0, 2.0])
        assert float(fresh.result()) == 30.0
        SCALE = 1.0  # back to a value compiled before: the first variant serves it again
        fresh.update_state([1.0, 2.0])
        assert float(fresh.result()) == 33.0
    finally:
        SCALE = 1.0


def test_global_dict_changed_in_place_is_seen():
    M = Metric("GlobalDict", initialize=init_s, result=lambda: self.s,
               update_state=lambda x: self.s.assign_add(_total(x) * CONFIG["scale"]))
    m = M()
    m.update_state([1.0, 2.0])
    CONFIG["scale"] = 10.0
    try:
        m.update_state([1.0, 2.0])
    finally:
        CONFIG["scale"] = 1.0
    assert float(m.result()) == 33.0


@pytest.mark.parametrize("kind", ["dict", "module"])
def test_parent_env_value_is_read_at_call_time(kind):
    env = {"FACTOR": 2.0} if kind == "dict" else types.ModuleType("env")
    if kind == "module":
        env.FACTOR = 2.0
    M = Metric("Env", initialize=init_s, result=lambda: self.s, parent_env=env,
               update_state=lambda x: self.s.assign_add(_total(x) * FACTOR))  # noqa: F821
    m = M()
    m.update_state([1.0, 3.0])  # 8
    if kind == "dict":
        env["FACTOR"] = 3.25
    else:
        env.FACTOR = 3.25
    m.update_state([1.0, 3.0])  # 13
    assert float(m.result()) == 21.0


def test_closure_cell_is_read_at_call_time():
    factor = 1.0
    M = Metric("Closure", initialize=init_s, result=lambda: self.s,
               update_state=lambda x: self.s.assign_add(_total(x) * factor))
    m = M()
    m.update_state([1.0, 2.0])
    factor = 10.0
    m.update_state([1.0, 2.0])
    assert float(m.result()) == 33.0
    assert factor == 10.0


def test_plain_helper_functions_globals_are_read_at_call_time():
    global SCALE
    M = Metric("Helper", initialize=init_s, result=lambda: self.s,
               update_state=lambda x: self.s.assign_add(scaled_total(x)))
    m = M()
    m.update_state([1.0, 2.0])
    SCALE = 10.0
    try:
        m.update_state([1.0, 2.0])
    finally:
        SCALE = 1.0
    assert float(m.result()) == 33.0


def scaled_total(x):
    return _total(x) * SCALE


def test_function_in_an_attribute_reads_its_globals_at_call_time():
    global SCALE
    m = md.metric_mean_wrapper(lambda y_true, y_pred: (y_pred - y_true) * SCALE)
    m.update_state([0.0, 0.0], [1.0, 2.0])
    SCALE = 3.0
    try:
        m.update_state([0.0, 0.0], [1.0, 2.0])
    finally:
        SCALE = 1.0
    assert float(m.result()) == pytest.approx((1.5 + 4.5) / 2)


def _threshold_metric():
    def initialize(threshold=0.5, name="above", **kwargs):
        super.initialize(name=name, **kwargs)
        private.threshold = threshold
        self.n = self.add_variable((), "zeros", name="n")

    def update_state(y_pred):
        above = ops.convert_to_tensor(y_pred, "float32") > private.threshold
        self.n.assign_add(ops.sum(ops.cast(above, "float32")))

    @mark_active
    def threshold(value=None):
        if value is None:
            return private.threshold
        private.threshold = value
        return None

    return Metric("Above", initialize, update_state, lambda: self.n, threshold=threshold)


def test_private_value_changed_by_an_active_setter_is_seen():
    Above = _threshold_metric()
    a = Above()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MetricEagerWarning)  # a read of private is no side effect
        a.update_state([0.6, 0.7, 0.9])
        a.threshold = 0.8
        a.update_state([0.6, 0.7, 0.9])
    assert float(a.result()) == 4.0
    assert a.threshold == 0.8
    assert not Above.__dict__.get("_md_eager_detected", False)


def test_two_instances_with_different_private_values_side_by_side():
    Above = _threshold_metric()
    low, high = Above(threshold=0.1), Above(threshold=0.8)
    for _ in range(2):
        low.update_state([0.2, 0.5, 0.9])
        high.update_state([0.2, 0.5, 0.9])
    assert float(low.result()) == 6.0 and float(high.result()) == 2.0


def test_plain_attribute_changed_between_calls():
    def update_state(x):
        self.s.assign_add(_total(x) * self.scale)

    M = Metric("Attr", initialize=init_s, update_state=update_state, result=lambda: self.s)
    m = M()
    m.scale = 1.0
    m.update_state([1.0, 2.0])
    m.scale = 10.0
    m.update_state([1.0, 2.0])
    assert float(m.result()) == 33.0


def test_nested_metric_members_are_read_at_call_time():
    def initialize(name="outer", **kwargs):
        super.initialize(name=name, **kwargs)
        self.inner = md.metric_sum()
        self.inner.weight = 1.0

    def update_state(x):
        self.inner.update_state(ops.convert_to_tensor(x, "float32") * self.inner.weight)

    Outer = Metric("Outer", initialize, update_state, lambda: self.inner.result())
    m = Outer()
    m.update_state([1.0, 2.0])
    m.inner.weight = 10.0
    m.update_state([1.0, 2.0])
    assert float(m.result()) == 33.0


def test_uncopyable_private_objects_are_shared_not_copied():
    lock = threading.Lock()

    def update_state(x):
        with private.lock:  # entering a lock leaves its binding unchanged: no side effect
            self.s.assign_add(_total(x))

    with open(__file__) as handle:
        M = Metric("Locked", initialize=init_s, update_state=update_state,
                   result=lambda: self.s, private={"lock": lock, "handle": handle},
                   peek=lambda: (private.lock, private.handle))
        m = M()
        assert float(m.result()) == 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("error", MetricEagerWarning)
            m.update_state([1.0, 2.0])
        assert float(m.result()) == 3.0
        assert m.peek() == (lock, handle) and m.peek()[0] is lock


def test_first_read_only_use_of_private_keeps_compilation():
    def update_state(x):
        self.s.assign_add(_total(x) * private.factor)

    M = Metric("ReadPrivate", initialize=init_s, update_state=update_state,
               result=lambda: self.s, private={"factor": 2.0})
    m = M()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MetricEagerWarning)
        m.update_state([1.0, 2.0])
        m.update_state([1.0, 2.0])
    assert float(m.result()) == 12.0
    assert not M.__dict__.get("_md_eager_detected", False)


def test_real_side_effect_warns_naming_member_and_name():
    def update_state(x):
        private.log.append(1)
        self.s.assign_add(_total(x))

    M = Metric("Logs", initialize=init_s, update_state=update_state, result=lambda: self.s,
               private={"log": []})
    m = M()
    with pytest.warns(MetricEagerWarning, match=r"update_state changes Python state "
                                                r"\(private 'log'\)"):
        m.update_state([1.0, 2.0])
    m.update_state([1.0])
    assert float(m.result()) == 4.0
    assert M.__dict__["_md_eager_detected"]


def test_attribute_side_effect_names_the_attribute():
    def update_state(x):
        self.calls = getattr(self, "calls", 0) + 1
        self.s.assign_add(_total(x))

    M = Metric("Counts", initialize=init_s, update_state=update_state, result=lambda: self.s)
    m = M()
    with pytest.warns(MetricEagerWarning, match="attribute of Counts 'calls'"):
        m.update_state([1.0])
    m.update_state([1.0])
    assert m.calls == 2 and float(m.result()) == 2.0


def test_guard_check_reuses_the_compiled_function():
    M = Metric("Reuse", initialize=init_s, result=lambda: self.s,
               update_state=lambda x: self.s.assign_add(_total(x) * SCALE))
    m = M()
    traces = []
    original = m._md_compiled("update").guarded.fn

    def counting(*args):
        traces.append(1)
        return original(*args)

    m._md_compiled("update").guarded.fn = counting
    for _ in range(5):
        m.update_state(jnp.ones(3))
    assert float(m.result()) == 15.0 and len(traces) == 1


def test_stateless_jit_sees_current_values_too():
    global SCALE
    g = G()
    step = jax.jit(g.stateless_update_state)
    state = step(g.stateless_reset_state(), jnp.array([1.0, 2.0]))
    np.testing.assert_allclose(g.stateless_result(state), 3.0)


def test_collections_see_changed_globals_too():
    global SCALE

    def scaled_error(y_true, y_pred):
        return (y_pred - y_true) * SCALE

    collection = md.compile_metrics([scaled_error, md.metric_mean_squared_error()])
    collection.update_state(jnp.zeros((4, 1)), jnp.ones((4, 1)))
    SCALE = 3.0
    try:
        collection.update_state(jnp.zeros((4, 1)), jnp.ones((4, 1)))
    finally:
        SCALE = 1.0
    assert float(collection.result()["scaled_error"]) == 2.0
