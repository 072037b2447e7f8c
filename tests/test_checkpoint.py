"""`md.save_state` / `md.load_state`: exact round trips, clear refusals, resumed evaluations."""

import json
import zipfile

import jax
import numpy as np
import pytest

import metricdsl as md
from metricdsl import ops
from metricdsl.checkpoint import CheckpointError

rng = np.random.default_rng(3)
BATCHES = [(rng.integers(0, 2, (16, 1)).astype("float32"),
            rng.uniform(0.01, 0.99, (16, 1)).astype("float32")) for _ in range(6)]


def _collection():
    c = md.compile_metrics(["accuracy", "auc", "mae", md.metric_f1_score()],
                           weighted_metrics=["mse"])
    c.build(*BATCHES[0])
    return c


def _total_initialize(name="total", **kwargs):
    super.initialize(name=name, **kwargs)
    self.total = self.add_variable((), "zeros", name="total")


metric_total = md.Metric("Total", initialize=_total_initialize,
                         update_state=lambda x: self.total.assign_add(ops.sum(x)),
                         result=lambda: self.total.value)


def _bits(tree):
    return [np.asarray(x).tobytes() for x in jax.tree.leaves(tree)]


def test_metric_round_trip_is_exact_residuals_included(tmp_path):
    m = metric_total()
    m.update_state(np.full(4, 2.0 ** 24, "float32"))
    m.update_state(np.float32(1.0))  # 2**26 + 1: the 1 lives in the residual
    assert float(m.variables[0].residual) == 1.0
    path = md.save_state(tmp_path / "total", m)
    assert path.suffix == ".npz"
    with zipfile.ZipFile(path) as archive:
        assert all(not n.endswith(".pkl") for n in archive.namelist())
    loaded = md.load_state(path, metric_total())
    assert float(loaded.variables[0].residual) == 1.0
    assert _bits(loaded.stateless_reset_state()) == _bits(m.stateless_reset_state())
    assert _bits(md.checkpoint.read_state(path, m)) == _bits(
        md.checkpoint.read_state(md.save_state(tmp_path / "again", loaded), m))


def test_builtin_rebuilds_from_its_config_lazily_built_too(tmp_path):
    f1 = md.metric_f1_score(average="macro")
    for y_true, y_pred in BATCHES[:2]:
        f1.update_state(y_true, y_pred)
    loaded = md.load_state(md.save_state(tmp_path / "f1", f1))
    assert type(loaded) is type(f1) and loaded.get_config() == f1.get_config()
    np.testing.assert_array_equal(loaded.result(), f1.result())


def test_manifest_is_json(tmp_path):
    path = md.save_state(tmp_path / "mae", md.metric_mean_absolute_error())
    with np.load(path, allow_pickle=False) as data:
        manifest = json.loads(str(data["__manifest__"]))
    assert manifest["config"]["class_name"] == "MeanAbsoluteError"
    assert manifest["members"][0]["variables"][0] == ["total", [], "float32"]


def test_collection_round_trip_and_needs_the_object(tmp_path):
    c = _collection()
    for batch in BATCHES[:3]:
        c.update_state(*batch)
    path = md.save_state(tmp_path / "c", c)
    other = md.load_state(path, _collection())
    assert _bits(other.result()) == _bits(c.result())
    with pytest.raises(CheckpointError, match=r"load_state\(.*, collection\)"):
        md.load_state(path)


def test_stateless_state_saves_and_reads_back(tmp_path):
    c = _collection()
    state = c.stateless_reset_state()
    for batch in BATCHES[:2]:
        state = c.stateless_update_state(state, *batch)
    path = md.save_state(tmp_path / "s", c, state=c.named_state(state))
    assert _bits(md.checkpoint.read_state(path, c)) == _bits(state)


@pytest.mark.parametrize("other, message", [
    (lambda: md.metric_sum(), "saved from Mean; loading into Sum"),
    (lambda: md.metric_mean(name="m2"), r"another config \(name: saved 'mean', here 'm2'\)"),
    (lambda: md.metric_mean(dtype="float16"), "another config .*dtype"),
    (lambda: _collection(), "saved from a metric .* loading into a collection"),
])
def test_refuses_another_metric_or_config(tmp_path, other, message):
    path = md.save_state(tmp_path / "mean", md.metric_mean())
    with pytest.raises(CheckpointError, match=message):
        md.load_state(path, other())


def test_refuses_another_shape_naming_the_variable(tmp_path):
    y = np.zeros((2, 2), "float32")
    f1 = md.metric_f1_score()
    f1.update_state(y, y)
    wide = md.metric_f1_score()
    wide.build(np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32"))
    with pytest.raises(CheckpointError, match=r"true_positives: saved \[2\] float32, here "
                                              r"\[3\] float32"):
        md.load_state(md.save_state(tmp_path / "f1", f1), wide)


def test_refuses_a_collection_with_other_metrics(tmp_path):
    path = md.save_state(tmp_path / "c", _collection())
    other = md.compile_metrics(["mae"])
    other.build(*BATCHES[0])
    with pytest.raises(CheckpointError, match=r"\['accuracy', 'auc', 'mae', 'f1_score', 'mse'\]"):
        md.load_state(path, other)


def test_unregistered_class_needs_the_object(tmp_path):
    path = md.save_state(tmp_path / "t", metric_total())
    with pytest.raises(CheckpointError, match=r"md.register\(Total\)"):
        md.load_state(path)


def test_resumed_evaluation_equals_an_uninterrupted_one(tmp_path):
    full = _collection()
    for batch in BATCHES:
        full.update_state(*batch)

    first = _collection()
    for batch in BATCHES[:3]:
        first.update_state(*batch)
    path = md.save_state(tmp_path / "midway", first)
    resumed = md.load_state(path, _collection())
    for batch in BATCHES[3:]:
        resumed.update_state(*batch)
    assert _bits(resumed.result()) == _bits(full.result())
