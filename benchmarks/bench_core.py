"""Core overhead: a stateful update vs a hand-written jax.jit kernel; class creation time.

Run: ``python benchmarks/bench_core.py``. Prints a table, writes results/core.json.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report

import metricdsl as md
from metricdsl import Metric, ops


def _btp_initialize(name="binary_true_positives", **kwargs):
    super.initialize(name=name, **kwargs)
    self.true_positives = self.add_variable((), "zeros", name="true_positives")


def _btp_update_state(y_true, y_pred, sample_weight=None):
    values = ops.cast(ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool")),
                      self.dtype)
    self.true_positives.assign_add(ops.sum(values))


SCALE, OFFSET = 1.0, 0.0


def _shift(values):
    return values + OFFSET


def _reads_update_state(y_true, y_pred, sample_weight=None):  # reads ops, SCALE, _shift, OFFSET
    self.true_positives.assign_add(ops.sum(_shift(ops.cast(y_pred, self.dtype))) * SCALE)


def _define_reader():
    return Metric("ReadsGlobals", initialize=_btp_initialize,
                  update_state=_reads_update_state, result=lambda: self.true_positives)


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
    mean = md.metric_mean()
    hand_state = {"tp": jnp.float32(0), "mean": (jnp.float32(0), jnp.float32(0))}

    def hand_btp():  # the hand kernels carry their state from call to call, as a metric does
        hand_state["tp"] = _hand_btp(hand_state["tp"], y_true, y_pred)
        return hand_state["tp"]

    def hand_mean():
        hand_state["mean"] = _hand_mean(*hand_state["mean"], y_pred)
        return hand_state["mean"]

    reader = _define_reader()()

    times = interleaved({
        "ours_reader": lambda: (reader.update_state(y_true, y_pred),
                                reader.true_positives.value)[1],
        "hand_btp": hand_btp,
        "ours_btp": lambda: (metric.update_state(y_true, y_pred), metric.true_positives.value)[1],
        "hand_mean": hand_mean,
        "ours_mean": lambda: (mean.update_state(y_pred), mean.total.value)[1]})
    for case, key in (("BinaryTruePositives update, batch 32", "btp"),
                      ("metric_mean update, batch 32", "mean")):
        hand, ours = times[f"hand_{key}"], times[f"ours_{key}"]
        rows.append({"case": case, "hand_us": hand * 1e6, "metricdsl_us": ours * 1e6,
                     "ratio": ours / hand, "target": "<= 2"})
    rows.append({"case": "update reading 4 free names, batch 32",
                 "hand_us": times["hand_btp"] * 1e6,
                 "metricdsl_us": times["ours_reader"] * 1e6,
                 "ratio": times["ours_reader"] / times["hand_btp"], "target": "<= 2"})
    guard = reader._md_compiled("update").guarded
    start = time.perf_counter()
    for _ in range(100_000):
        guard._intact()
    rows.append({"case": f"live-lookup check ({len(guard.checks)} names)",
                 "metricdsl_us": (time.perf_counter() - start) / 100_000 * 1e6,
                 "target": "<= 0.5 us"})
    start = time.perf_counter()
    for _ in range(200):
        _define()
    per_class = (time.perf_counter() - start) / 200
    rows.append({"case": "Metric() class creation", "metricdsl_us": per_class * 1e6,
                 "target": "< 1000 us"})
    report("core", rows, ["case", "hand_us", "metricdsl_us", "ratio", "target"])


if __name__ == "__main__":
    main()
