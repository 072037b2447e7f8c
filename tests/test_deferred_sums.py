"""Deferred compensated sums: the compiled updates add them vectorised, bit for bit.

Inside the compiled stateful update (and a collection's fused one) a compensated
``assign_add`` is recorded and added when the state is packed, one vectorised sum
per dtype. The state must be bit for bit what the same compiled update computes
with one sum per variable as written (deferral off), whatever the update reads or
writes after an add; and close to the eager path (XLA may round a fused reduction
differently from an op-by-op one).
"""

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metricdsl as md
import metricdsl.compile.fused as fused
import metricdsl.compiled as compiled_path
from metricdsl import Metric, ops


def _updated(make, batches, defer=True):
    """A fresh metric (or collection) from ``make()`` after compiled updates on ``batches``.

    ``defer=False`` compiles the same update afresh without deferred sums.
    """
    saved = compiled_path.deferred_sums, fused.deferred_sums
    compiled_path._CACHE.clear()
    fused._SHARED.clear()
    if not defer:
        compiled_path.deferred_sums = fused.deferred_sums = contextlib.nullcontext
    try:
        metric = make()
        for batch in batches:
            metric.update_state(*batch)
        return metric
    finally:
        compiled_path.deferred_sums, fused.deferred_sums = saved
        compiled_path._CACHE.clear()
        fused._SHARED.clear()


def _state(metric):
    """Every variable's value and residual as numpy arrays."""
    return [(np.asarray(v.value), None if v.residual is None else np.asarray(v.residual))
            for v in metric.variables]


def _assert_same_bits(a, b):
    for (value_a, res_a), (value_b, res_b) in zip(_state(a), _state(b)):
        np.testing.assert_array_equal(value_a, value_b)
        np.testing.assert_array_equal(res_a, res_b)


def _initialize(name="tricky", **kwargs):
    super.initialize(name=name, **kwargs)
    self.total = self.add_variable((), "zeros", name="total")
    self.sq = self.add_variable((3,), "zeros", name="sq")
    self.last = self.add_variable((), "zeros", name="last")
    self.count = self.add_variable((), "zeros", dtype="int32", name="count")


def _update_state(y_true, y_pred, sample_weight=None):
    error = ops.cast(y_true, "float32") - ops.cast(y_pred, "float32")
    self.total.assign_add(ops.sum(error))
    self.total.assign_add(1e-7 * ops.sum(error * error))  # a second add to the same variable
    self.sq.assign_add(ops.stack([ops.sum(error), self.total, ops.max(error)]))  # reads the sum
    self.last.assign_add(ops.sum(y_pred))
    self.last.assign(self.last * 0.5)  # an add, then an assignment from the added value
    self.count.assign_add(ops.size(error))
    scanned, _ = jax.lax.scan(lambda c, x: (c + x * self.total, None), 0.0, error)  # read in scan
    self.sq.assign_add(ops.stack([scanned, 0.0, 0.0]))


metric_tricky = Metric("Tricky", initialize=_initialize, update_state=_update_state,
                       result=lambda: self.total + self.sq[1] + self.last)


def _batches(seed=0, n=5, size=7):
    rng = np.random.default_rng(seed)
    return [(jnp.asarray(rng.normal(size=size) * 10.0 ** rng.integers(-3, 4), jnp.float32),
             jnp.asarray(rng.normal(size=size), jnp.float32)) for _ in range(n)]


def test_reads_and_writes_after_an_add_see_it_bit_for_bit():
    batches = _batches()
    deferred, direct = (_updated(metric_tricky, batches, defer) for defer in (True, False))
    _assert_same_bits(deferred, direct)
    eager = metric_tricky()
    eager.run_eagerly = True
    for batch in batches:
        eager.update_state(*batch)
    for (value, _), (want, _) in zip(_state(deferred), _state(eager)):
        np.testing.assert_allclose(value, want, rtol=1e-5)


def _binary_batches(shape, weighted, seed, n=4):
    rng = np.random.default_rng(seed)
    return [(jnp.asarray(rng.uniform(size=shape) < 0.4, jnp.float32),
             jnp.asarray(rng.uniform(0.01, 0.99, size=shape), jnp.float32),
             *([jnp.asarray(rng.uniform(size=(shape[0], 1)), jnp.float32)] if weighted else []))
            for _ in range(n)]


@pytest.mark.parametrize("make", [
    md.metric_auc, md.metric_mean_squared_error, lambda: md.metric_f1_score(threshold=0.5),
    lambda: md.metric_precision(thresholds=[0.2, 0.5, 0.8]),
])
def test_builtins_deferred_equal_direct_bit_for_bit(make):
    batches = _binary_batches((32, 3), True, 1)
    _assert_same_bits(*(_updated(make, batches, defer) for defer in (True, False)))


def test_a_fused_collection_deferred_equals_direct_bit_for_bit():
    def make():
        return md.compile_metrics(["accuracy", "auc", "precision", "recall", "mse", "bce",
                                   md.metric_true_positives(name="tp")])

    batches = _binary_batches((32, 1), False, 2)
    deferred, direct = (_updated(make, batches, defer) for defer in (True, False))
    for a, b in zip(deferred.metrics, direct.metrics):
        _assert_same_bits(a, b)


def test_no_sum_is_left_pending_after_a_compiled_update():
    m = metric_tricky()
    for y_true, y_pred in _batches(3, n=2):
        m.update_state(y_true, y_pred)
    assert all(getattr(v, "_md_increment", None) is None for v in m.variables)
    state = jax.jit(m.stateless_update_state)(m.stateless_reset_state(), *_batches(4, n=1)[0])
    assert all(isinstance(x, jax.Array) for x in jax.tree_util.tree_leaves(state))


OUTSIDE = md.metric_sum()


def _side_initialize(name="side", **kwargs):
    super.initialize(name=name, **kwargs)
    self.total = self.add_variable((), "zeros", name="total")


def _side_update_state(values):
    self.total.assign_add(ops.sum(values))
    OUTSIDE.update_state(values)  # another metric's state: a side effect


metric_side = Metric("SideEffecting", initialize=_side_initialize,
                     update_state=_side_update_state, result=lambda: self.total)


def test_a_write_to_another_metric_runs_the_update_eagerly_where_it_happens():
    m = metric_side()
    with pytest.warns(md.MetricEagerWarning, match=r"SideEffecting: update_state writes "
                                                   r"Variable 'total', which belongs to another "
                                                   r"metric"):
        m.update_state(np.ones(3, "float32"))
    m.update_state(np.ones(3, "float32"))
    assert float(m.result()) == float(OUTSIDE.result()) == 6.0  # plain Python's numbers
    assert getattr(OUTSIDE.variables[0], "_md_increment", None) is None
