"""The fused update: eager members, untraceable fallback, sharing across collections."""

import numpy as np
import pytest
from compile_data import REGRESSION, WEIGHTS, N, need

import metricdsl as md
from metricdsl import Metric


def test_eager_member_in_a_collection():
    def init(name="eager_count", **kwargs):
        super.initialize(name=name, **kwargs)
        self.n = self.add_variable((), "zeros", name="n")

    def update(y_true, y_pred, sample_weight=None):
        self.n.assign_add(float(np.asarray(y_pred).shape[0]))

    Eager = Metric("EagerCount", init, update, lambda: self.n, run_eagerly=True)
    c = md.compile_metrics(["mse", Eager()])
    c.update_state(*REGRESSION)
    c.update_state(*REGRESSION)
    assert float(c.result()["eager_count"]) == 2 * N


def test_untraceable_member_falls_back_to_eager_with_a_warning():
    def init(name="calls", **kwargs):
        super.initialize(name=name, **kwargs)
        self.n = self.add_variable((), "zeros", name="n")
        self.seen = 0

    def update(y_true, y_pred, sample_weight=None):
        self.seen = self.seen + 1  # a Python side effect: cannot run once per trace
        self.n.assign_add(1.0)

    Calls = Metric("Calls", init, update, lambda: self.n)
    metric = Calls()
    c = md.compile_metrics(["mse", metric])
    with pytest.warns(md.MetricEagerWarning, match="Calls"):
        c.update_state(*REGRESSION)
    c.update_state(*REGRESSION)
    out = c.result()
    assert float(out["calls"]) == 2.0 and metric.seen == 2
    np.testing.assert_allclose(out["mse"], np.mean((REGRESSION[0] - REGRESSION[1]) ** 2),
                               rtol=1e-6)


def test_identical_collections_share_the_compiled_update():
    from metricdsl.compile.fused import _SHARED

    need("MeanSquaredError")
    first = md.compile_metrics(["mse", "mae"], weighted_metrics=["mse"])
    first.update_state(*REGRESSION, sample_weight=WEIGHTS)
    count = len(_SHARED)
    second = md.compile_metrics(["MSE", "MAE"], weighted_metrics=["mean_squared_error"])
    second.update_state(*REGRESSION, sample_weight=WEIGHTS)
    assert len(_SHARED) == count
    assert list(second.result()) == ["MSE", "MAE", "mean_squared_error"]
    for a, b in zip(first.result().values(), second.result().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
