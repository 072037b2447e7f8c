"""Result keys as Keras 3 logs them: prefixes, ``name_1``, ``weighted_name``, dict results."""

import numpy as np
import pytest
from compile_data import BINARY, REGRESSION, WEIGHTS, classes, need, result_of

import metricdsl as md
from metricdsl import Metric, ops


def test_spec_row_26_compile_metrics_acceptance_vector():
    (mse,) = need("MeanSquaredError")
    y_true = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    y_pred1 = np.array([[0.4, 0.1], [0.2, 0.6], [0.6, 0.1]])
    y_pred2 = np.array([[0.3, 0.2], [0.1, 0.4], [0.2, 0.3]])
    sw = np.array([1, 0, 1])
    c = md.compile_metrics(metrics=[mse()], weighted_metrics=[mse()])
    c.update_state(y_true, y_pred1, sample_weight=sw)
    c.update_state(y_true, y_pred2, sample_weight=sw)
    out = c.result()
    # keras3_metrics_spec.md §6.3 row 26 (keras compile_utils_test.py).
    assert list(out) == ["mean_squared_error", "weighted_mean_squared_error"]
    np.testing.assert_allclose(out["mean_squared_error"], 0.055833336, rtol=1e-6)
    np.testing.assert_allclose(out["weighted_mean_squared_error"], 0.0725, rtol=1e-6)
    c.reset_state()
    assert all(float(v) == 0.0 for v in c.result().values())


def test_duplicate_names_unweighted_and_weighted():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mse", "mse"], weighted_metrics=["mse", "mse", "mae"])
    c.update_state(*REGRESSION, sample_weight=WEIGHTS)
    assert list(c.result()) == ["mse", "mse_1", "mse_2", "weighted_mse", "weighted_mse_1", "mae"]


def test_multi_output_prefixes_and_weighted_keys():
    need("MeanSquaredError")
    y = {"output_1": REGRESSION[0], "output_2": REGRESSION[0] * 2}
    p = {"output_1": REGRESSION[1], "output_2": REGRESSION[1]}
    c = md.compile_metrics({"output_1": ["mse", "mae"], "output_2": ["mse"]},
                           weighted_metrics={"output_1": ["mse"], "output_2": ["mse"]})
    c.update_state(y, p, sample_weight=WEIGHTS)
    out = c.result()
    assert list(out) == ["output_1_mse", "output_1_mae", "output_2_mse",
                         "output_1_weighted_mse", "output_2_weighted_mse"]
    one = result_of(classes()["MeanSquaredError"], (y["output_2"], p["output_2"]), WEIGHTS)
    np.testing.assert_allclose(out["output_2_weighted_mse"], one, rtol=1e-6)


@pytest.mark.keras
def test_naming_and_values_match_real_keras_compile_metrics():
    keras = pytest.importorskip("keras")
    from keras.src.trainers.compile_utils import CompileMetrics

    need("MeanSquaredError", "BinaryAccuracy", "MeanAbsoluteError")
    two = [REGRESSION[0][:, :1], REGRESSION[0][:, 1:]]
    two_pred = [REGRESSION[1][:, :1], REGRESSION[1][:, 1:]]
    configs = [
        (["accuracy", "mse", "acc", "mse"], ["mse", "mae"], None, BINARY[0], BINARY[1]),
        (["mse", "mae"], ["mse", ["mse", "mae"]], ["a", "b"], two, two_pred),
        ([["mse", "mae"], ["mse"]], [["mse"], ["mse", "mse"]], ["a", "b"], two, two_pred),
        ({"b": ["mse"]}, {"a": "mae", "b": ["mae"]}, ["a", "b"], two, two_pred),
        (["mse", "mae"], None, None, two, two_pred),
        ({"b": "mae", "a": ["mse"]}, {"a": "mse"}, None, dict(zip("ba", two)),
         dict(zip("ba", two_pred))),
    ]
    for metrics, weighted, names, y_true, y_pred in configs:
        theirs = CompileMetrics(metrics, weighted, output_names=names)
        ours = md.compile_metrics(metrics, weighted, output_names=names)
        for obj in (theirs, ours):
            obj.update_state(y_true, y_pred, sample_weight=WEIGHTS)
        expected = {k: np.asarray(v) for k, v in theirs.result().items()}
        got = ours.result()
        assert list(got) == list(expected), (metrics, weighted)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-5, err_msg=key)
    del keras


def test_dict_results_report_one_key_per_entry_under_the_member_key():
    def init(name="multi", **kwargs):
        super.initialize(name=name, **kwargs)
        self.total = self.add_variable((), "zeros", name="total")

    def update(y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(y_pred))

    Multi = Metric("Multi", init, update,
                   lambda: {"sum_pred": self.total, "twice": 2 * self.total})
    c = md.compile_metrics(["mse", Multi(), Multi()], weighted_metrics=[Multi()])
    c.update_state(*REGRESSION, sample_weight=WEIGHTS)
    out = c.result()
    # Keras nests a dict result under the metric's key; flat, that is "<key>_<entry>".
    assert list(out) == ["mse", "multi_sum_pred", "multi_twice", "multi_1_sum_pred",
                         "multi_1_twice", "weighted_multi_sum_pred", "weighted_multi_twice"]
    np.testing.assert_allclose(out["multi_1_twice"], 2 * REGRESSION[1].sum(), rtol=1e-6)
    assert c.state_names == ["mse", "multi", "multi_1", "weighted_multi"]


def test_a_numbered_key_taken_by_a_later_metric_is_numbered_again():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mse", md.metric_mean_squared_error(name="mse_1")])
    c.update_state(*REGRESSION)
    assert list(c.result()) == ["mse", "mse_1", "mse_1_1"]
    assert len({float(v) for v in c.result().values()}) == 1
