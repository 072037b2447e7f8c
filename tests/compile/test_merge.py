"""Merging collections: merge_state and stateless_merge_state equal one pass."""

import jax
import numpy as np
import pytest
from compile_data import BINARY, REGRESSION, WEIGHTS, need

import metricdsl as md
from metricdsl import Metric, ops
from metricdsl.compile import CompileMetricsError


def test_merge_state_equals_one_pass():
    need("MeanSquaredError", "BinaryAccuracy")
    halves = [(BINARY[0][:3], BINARY[1][:3]), (BINARY[0][3:], BINARY[1][3:])]
    shards = []
    for y_true, y_pred in halves:
        c = md.compile_metrics(["accuracy", "mse"])
        c.update_state(y_true, y_pred)
        shards.append(c)
    shards[0].merge_state(shards[1:])
    whole = md.compile_metrics(["accuracy", "mse"])
    whole.update_state(*BINARY)
    for key, value in whole.result().items():
        np.testing.assert_allclose(shards[0].result()[key], value, rtol=1e-6)
    with pytest.raises(CompileMetricsError, match="cannot merge"):
        shards[0].merge_state(md.compile_metrics(["mae"]))


def _halves_and_whole(metrics, weighted, data, weights):
    """States of a collection over each half of ``data`` and over all of it (one pass)."""
    c = md.compile_metrics(metrics, weighted)
    c.build(*data)
    update = jax.jit(c.stateless_update_state)
    halves = []
    for part in (slice(0, 3), slice(3, None)):
        halves.append(update(c.stateless_reset_state(), data[0][part], data[1][part],
                             sample_weight=weights[part]))
    whole = update(c.stateless_reset_state(), *data, sample_weight=weights)
    return c, halves, whole


def test_stateless_merge_of_two_halves_equals_one_pass():
    need("MeanSquaredError", "BinaryAccuracy", "AUC", "R2Score")
    c, (a, b), whole = _halves_and_whole(
        ["accuracy", "mse", "auc", md.metric_r2_score()], ["mse"], BINARY, WEIGHTS)
    merged = jax.jit(c.stateless_merge_state)(a, b)
    assert isinstance(merged, list) and len(merged) == len(whole)
    expected = c.stateless_result(whole)
    got = c.stateless_result(merged)
    assert list(got) == list(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, err_msg=key)


def test_stateless_merge_follows_each_aggregation():
    def init(name="extremes", **kwargs):
        super.initialize(name=name, **kwargs)
        self.top = self.add_variable((), "zeros", aggregation="max", name="top")
        self.low = self.add_variable((), 1e9, aggregation="min", name="low")
        self.avg = self.add_variable((), "zeros", aggregation="mean", name="avg")
        self.first = self.add_variable((), "zeros", aggregation="only_first_replica",
                                       name="first")

    def update(y_true, y_pred, sample_weight=None):
        self.top.assign(ops.maximum(self.top, ops.max(y_pred)))
        self.low.assign(ops.minimum(self.low, ops.min(y_pred)))
        self.avg.assign(ops.mean(y_pred))
        self.first.assign(ops.mean(y_pred))

    Extremes = Metric("Extremes", init, update,
                      lambda: {"top": self.top, "low": self.low, "avg": self.avg,
                               "first": self.first})
    c = md.compile_metrics([Extremes()])
    y = np.zeros((2, 1), "float32")
    a = c.stateless_update_state(c.stateless_reset_state(), y, np.array([[1.0], [3.0]]))
    b = c.stateless_update_state(c.stateless_reset_state(), y, np.array([[5.0], [7.0]]))
    out = {k: float(v) for k, v in c.stateless_result(c.stateless_merge_state(a, b)).items()}
    assert out == {"extremes_top": 7.0, "extremes_low": 1.0, "extremes_avg": 4.0,
                   "extremes_first": 2.0}


def test_stateless_merge_rejects_aggregation_none_and_bad_states():
    def init(name="opaque", **kwargs):
        super.initialize(name=name, **kwargs)
        self.last = self.add_variable((), "zeros", aggregation="none", name="last")

    def update(y_true, y_pred, sample_weight=None):
        self.last.assign(ops.mean(y_pred))

    Opaque = Metric("Opaque", init, update, lambda: self.last)
    c = md.compile_metrics(["mse", Opaque(name="latest")])
    c.build(*REGRESSION)
    state = c.stateless_reset_state()
    with pytest.raises(CompileMetricsError, match=r"'latest' \(Opaque\).*'last'.*'none'"):
        c.stateless_merge_state(state, state)
    with pytest.raises(CompileMetricsError, match="one entry per metric"):
        c.stateless_merge_state(state, state[:1])
