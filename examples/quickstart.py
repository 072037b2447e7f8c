"""metricdsl quickstart: define metrics with Metric(), use them statefully and under jax.jit.

Needs only metricdsl (``pip install metricdsl``). Run: ``python examples/quickstart.py``.
"""

import jax
import jax.numpy as jnp

import metricdsl as md
from metricdsl import Metric, ops


# 1. The Keras overview's BinaryTruePositives, written with Metric().
def btp_initialize(name="binary_true_positives", **kwargs):
    super.initialize(name=name, **kwargs)
    self.true_positives = self.add_weight(name="tp", initializer="zeros")


def btp_update_state(y_true, y_pred, sample_weight=None):
    values = ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool"))
    values = ops.cast(values, self.dtype)
    if sample_weight is not None:
        values = values * ops.cast(sample_weight, self.dtype)
    self.true_positives.assign_add(ops.sum(values))


metric_binary_true_positives = Metric(
    "BinaryTruePositives", initialize=btp_initialize, update_state=btp_update_state,
    result=lambda: self.true_positives)

m = metric_binary_true_positives()
m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
print("Intermediate result:", float(m.result()))
m.update_state([1, 1, 1, 1], [0, 1, 1, 0])
print("Final result:", float(m.result()))


# 2. Specialise a builtin: `super` reaches metric_mean, `private` keeps per-instance notes.
def scaled_initialize(scale=100.0, name="scaled_mean", **kwargs):
    super.initialize(name=name, **kwargs)
    self.scale = scale


def scaled_update_state(values, sample_weight=None):
    private.batches += 1  # Python-side bookkeeping, invisible to config and state
    super.update_state(ops.multiply(values, self.scale), sample_weight=sample_weight)


metric_scaled_mean = Metric(
    "ScaledMean", initialize=scaled_initialize, update_state=scaled_update_state,
    private={"batches": 0}, inherit=md.metric_mean, run_eagerly=True)

pct = metric_scaled_mean(scale=100.0)
pct.update_state([0.25, 0.75])
pct.update_state([1.0], sample_weight=[2.0])
print("Scaled mean:", float(pct.result()), "| config:", pct.get_config())

# 3. The stateless API inside one jax.jit loop: the state is an explicit pytree.
mse = md.metric_mean_wrapper(lambda y_true, y_pred: ops.mean(ops.square(y_true - y_pred), -1),
                             name="mse")


@jax.jit
def evaluate(y_true, y_pred):
    def step(state, batch):
        return mse.stateless_update_state(state, *batch), None

    state, _ = jax.lax.scan(step, mse.stateless_reset_state(), (y_true, y_pred))
    return mse.stateless_result(state)


y_true = jnp.arange(24.0).reshape(4, 3, 2)
print("MSE over 4 batches under jax.jit:", float(evaluate(y_true, y_true + 0.5)))
