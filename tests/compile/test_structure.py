"""Output structures: list, dict and nested outputs, metrics per output, structure errors."""

import collections

import numpy as np
import pytest
from compile_data import (
    REGRESSION,
    WEIGHTS,
    N,
    classes,
    need,
    result_of,
)

import metricdsl as md
from metricdsl.compile import CompileMetricsError


def test_list_outputs_with_output_names_and_list_of_lists():
    need("MeanSquaredError")
    y = [REGRESSION[0], REGRESSION[0] + 1]
    p = [REGRESSION[1], REGRESSION[1]]
    c = md.compile_metrics([["mse"], ["mse", "mae"]], output_names=["first", "second"])
    c.update_state(y, p)
    assert list(c.result()) == ["first_mse", "second_mse", "second_mae"]
    c2 = md.compile_metrics([["mse"], ["mse"]])  # no output names: Keras numbers the duplicates
    c2.update_state(y, p)
    assert list(c2.result()) == ["mse", "mse_1"]


def test_dict_outputs_sorted_missing_outputs_and_ordered_dict():
    need("MeanSquaredError")
    y = {"b": REGRESSION[0], "a": REGRESSION[0]}
    p = {"b": REGRESSION[1], "a": REGRESSION[1] + 1}
    c = md.compile_metrics({"b": "mse", "a": "mae"})
    c.update_state(y, p)
    assert list(c.result()) == ["a_mae", "b_mse"]
    c = md.compile_metrics({"a": "mse"})  # b has no metrics
    c.update_state(y, p)
    assert list(c.result()) == ["a_mse"]
    od_y = collections.OrderedDict([("b", REGRESSION[0]), ("a", REGRESSION[0])])
    od_p = collections.OrderedDict([("b", REGRESSION[1]), ("a", REGRESSION[1])])
    c = md.compile_metrics({"a": "mse", "b": "mse"})
    c.update_state(od_y, od_p)
    assert list(c.result()) == ["b_mse", "a_mse"]


def test_single_output_flattens_everything_and_weights_per_output():
    need("MeanSquaredError")
    c = md.compile_metrics({"out": ["mse", ["mae"]]}, output_names=["out"])
    c.update_state(*REGRESSION)
    assert list(c.result()) == ["mse", "mae"]
    y = [REGRESSION[0], REGRESSION[0]]
    p = [REGRESSION[1], REGRESSION[1] * 2]
    w2 = np.ones(N, "float32")
    per_output = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
    per_output.update_state(y, p, sample_weight=[WEIGHTS, w2])
    shared = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
    shared.update_state(y, p, sample_weight=WEIGHTS)
    mse = classes()["MeanSquaredError"]
    np.testing.assert_allclose(per_output.result()["b_mse"], result_of(mse, (y[1], p[1])),
                               rtol=1e-6)
    np.testing.assert_allclose(shared.result()["b_mse"], result_of(mse, (y[1], p[1]), WEIGHTS),
                               rtol=1e-6)
    by_name = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
    by_name.update_state(y, p, sample_weight={"a": WEIGHTS, "b": w2})
    np.testing.assert_allclose(by_name.result()["a_mse"], shared.result()["a_mse"], rtol=1e-6)


def test_deeply_nested_outputs():
    need("MeanSquaredError")
    y = {"a": [REGRESSION[0], REGRESSION[0]], "b": REGRESSION[0]}
    p = {"a": [REGRESSION[1], REGRESSION[0]], "b": REGRESSION[1]}
    c = md.compile_metrics({"a": [["mse"], ["mae"]], "b": ["mse"]})
    c.update_state(y, p)
    out = c.result()
    assert list(out) == ["mse", "mae", "mse_1"]
    assert float(out["mae"]) == 0.0


def test_dict_keyed_by_unknown_output():
    need("MeanSquaredError")
    y = {"a": REGRESSION[0], "b": REGRESSION[0]}
    c = md.compile_metrics({"a": "mse", "c": "mae"})
    with pytest.raises(CompileMetricsError, match=r"\['c'\].*outputs"):
        c.update_state(y, y)
    single = md.compile_metrics({"typo": "mse"}, output_names=["out"])
    with pytest.raises(CompileMetricsError, match=r"\['typo'\]"):
        single.update_state(*REGRESSION)
    two = md.compile_metrics(["mse"], output_names=["a", "b"])
    with pytest.raises(CompileMetricsError, match="one entry per output"):
        two.update_state([REGRESSION[0]] * 2, [REGRESSION[1]] * 2)


def test_wrong_output_structure_at_update():
    need("MeanSquaredError")
    c = md.compile_metrics({"a": "mse", "b": "mse"})
    y = {"a": REGRESSION[0], "b": REGRESSION[0]}
    c.update_state(y, y)
    with pytest.raises(CompileMetricsError, match=r"y_pred must be a dict with the outputs"):
        c.update_state(y, {"a": REGRESSION[0]})
    flat = md.compile_metrics(["mse"])
    flat.update_state(*REGRESSION)
    with pytest.raises(CompileMetricsError, match="structure"):
        flat.update_state([REGRESSION[0]] * 2, [REGRESSION[1]] * 2)
    with pytest.raises(CompileMetricsError, match=r"2 entries for 1 outputs|sample_weight"):
        pair = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
        pair.update_state([REGRESSION[0]] * 2, [REGRESSION[1]] * 2,
                          sample_weight=[WEIGHTS, WEIGHTS, WEIGHTS])
