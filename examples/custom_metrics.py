"""Custom metrics with Metric(): state variables, private helpers and notes, inheritance.

Needs only metricdsl (``pip install metricdsl``). Run: ``python examples/custom_metrics.py``.

1. ``PeakAbsoluteError``: two state variables (the largest error, merged across
   shards with ``max``; the mean error), a private helper used by
   ``update_state`` and a private list of snapshots kept on the Python side.
2. ``PeakRelativeError`` inherits it: its ``update_state`` rescales the errors
   and calls ``super.update_state``; its name and config are its own.
3. ``ClippedMSE`` specialises a builtin (``metric_mean_squared_error``).
4. ``md.testing.check_metric`` checks the laws (jit, one compile, reset,
   merge, config) against a numpy reference.
"""

import numpy as np

import metricdsl as md
from metricdsl import Metric, ops

Y_TRUE = [np.array([1.0, 2.0, 4.0, 8.0]), np.array([0.5, 1.5, 3.0])]
Y_PRED = [np.array([1.5, 1.0, 4.0, 6.5]), np.array([0.5, 2.5, 1.0])]


# 1. Variables, a private helper (traced with the update) and private Python-side notes.
def peak_initialize(name="peak_absolute_error", **kwargs):
    super.initialize(name=name, **kwargs)
    self.peak = self.add_variable((), "zeros", aggregation="max", name="peak")
    self.total = self.add_variable((), "zeros", name="total")
    self.count = self.add_variable((), "zeros", name="count")


def peak_update_state(y_true, y_pred, sample_weight=None):
    errors = private.errors(y_true, y_pred)
    self.peak.assign(ops.maximum(self.peak, ops.max(errors)))
    self.total.assign_add(ops.sum(errors))
    self.count.assign_add(ops.cast(ops.size(errors), self.dtype))


def peak_result():
    return {"peak": self.peak.value, "mean": ops.divide_no_nan(self.total, self.count)}


def peak_snapshot():
    """Note the current peak on the Python side (not metric state: no jit, no config)."""
    private.snapshots.append(round(float(self.peak.value), 6))
    return list(private.snapshots)


def peak_errors(y_true, y_pred):
    return ops.abs(ops.subtract(ops.cast(y_true, self.dtype), ops.cast(y_pred, self.dtype)))


metric_peak_absolute_error = Metric(
    "PeakAbsoluteError", initialize=peak_initialize, update_state=peak_update_state,
    result=peak_result, snapshot=peak_snapshot,
    private={"snapshots": [], "errors": peak_errors})


# 2. Inheritance: a new default name and a rescaled update, the rest inherited.
def relative_initialize(name="peak_relative_error", **kwargs):
    super.initialize(name=name, **kwargs)


def relative_update_state(y_true, y_pred, sample_weight=None):
    scale = ops.abs(ops.cast(y_true, self.dtype))
    super.update_state(ops.divide(y_true, scale), ops.divide(y_pred, scale), sample_weight)


metric_peak_relative_error = Metric(
    "PeakRelativeError", initialize=relative_initialize, update_state=relative_update_state,
    inherit=metric_peak_absolute_error)


# 3. A builtin, specialised: predictions clipped to [0, limit] before the builtin's update.
def clipped_initialize(limit=3.0, name="clipped_mse", **kwargs):
    super.initialize(name=name, **kwargs)
    self.limit = limit


def clipped_update_state(y_true, y_pred, sample_weight=None):
    super.update_state(y_true, ops.clip(y_pred, 0.0, self.limit), sample_weight=sample_weight)


metric_clipped_mse = Metric(
    "ClippedMSE", initialize=clipped_initialize, update_state=clipped_update_state,
    inherit=md.metric_mean_squared_error)


def main() -> None:
    peak = metric_peak_absolute_error()
    for y_true, y_pred in zip(Y_TRUE, Y_PRED):
        peak.update_state(y_true, y_pred)
        snapshots = peak.snapshot()
    result = {k: round(float(v), 6) for k, v in peak.result().items()}
    print(f"peak_absolute_error: {result} | snapshots: {snapshots}")

    relative = metric_peak_relative_error()
    for y_true, y_pred in zip(Y_TRUE, Y_PRED):
        relative.update_state(y_true, y_pred)
    result = {k: round(float(v), 6) for k, v in relative.result().items()}
    print(f"{relative.name}: {result} | is a PeakAbsoluteError: "
          f"{isinstance(relative, metric_peak_absolute_error)}")

    clipped = metric_clipped_mse(limit=3.0)
    for y_true, y_pred in zip(Y_TRUE, Y_PRED):
        clipped.update_state(y_true[:, None], y_pred[:, None])
    print(f"clipped_mse: {float(clipped.result()):.6f} | config: {clipped.get_config()}")

    batches = [(t[:, None], p[:, None]) for t, p in zip(Y_TRUE, Y_PRED)]
    report = md.testing.check_metric(
        lambda: metric_clipped_mse(limit=3.0), batches,
        reference=lambda t, p: np.mean((t - np.clip(p, 0.0, 3.0)) ** 2))
    print(f"check_metric(ClippedMSE): {len(report.checked)} laws hold: "
          f"{', '.join(report.checked)}")


if __name__ == "__main__":
    main()
