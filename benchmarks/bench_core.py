"""Core overhead: a stateful update vs a hand-written jax.jit kernel; class creation time.

Run: ``python benchmarks/bench_core.py``. Prints a table, writes results/core.json.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from _harness import report, seconds_per_call

import metricdsl as md
from metricdsl import Metric, ops


def _btp_initialize(name="binary_true_positives", **kwargs):
    super.initialize(name=name, **kwargs)
    self.true_positives = self.add_variable((), "zeros", name="true_positives")


def _btp_update_state(y_true, y_pred, sample_weight=None):
    values = ops.cast(ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool")),
                      self.dtype)
    self.true_positives.assign_add(ops.sum(values))


def _define():
    return Metric("BinaryTruePositives", initialize=_btp_initialize,
                  update_state=_btp_update_state, result=lambda: self.true_positives)


@jax.jit
def _hand_btp(tp, y_true, y_pred):
    return tp + jnp.sum(jnp.logical_and(y_true.astype(bool), y_pred.astype(bool)).astype("float32"))


@jax.jit
def _hand_mean(total, count, values):
    return total + jnp.sum(values), count + values.shape[0]


def main() -> None:
    rng = np.random.default_rng(0)
    y_true = jnp.asarray(rng.integers(0, 2, 32).astype("float32"))
    y_pred = jnp.asarray(rng.integers(0, 2, 32).astype("float32"))
    rows = []
    metric = _define()()
    tp = jnp.float32(0)
    hand = seconds_per_call(lambda: _hand_btp(tp, y_true, y_pred))
    ours = seconds_per_call(lambda: (metric.update_state(y_true, y_pred),
                                     metric.true_positives.value)[1])
    rows.append({"case": "BinaryTruePositives update, batch 32", "hand_us": hand * 1e6,
                 "metricdsl_us": ours * 1e6, "ratio": ours / hand, "target": "<= 2"})
    mean = md.metric_mean()
    total, count = jnp.float32(0), jnp.float32(0)
    hand = seconds_per_call(lambda: _hand_mean(total, count, y_pred))
    ours = seconds_per_call(lambda: (mean.update_state(y_pred), mean.total.value)[1])
    rows.append({"case": "metric_mean update, batch 32", "hand_us": hand * 1e6,
                 "metricdsl_us": ours * 1e6, "ratio": ours / hand, "target": "<= 2"})
    start = time.perf_counter()
    for _ in range(200):
        _define()
    per_class = (time.perf_counter() - start) / 200
    rows.append({"case": "Metric() class creation", "metricdsl_us": per_class * 1e6,
                 "target": "< 1000 us"})
    report("core", rows, ["case", "hand_us", "metricdsl_us", "ratio", "target"])


if __name__ == "__main__":
    main()
