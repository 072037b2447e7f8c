"""md.evaluate, md.History and the optax training example."""

import ast
import importlib
import importlib.util
import io
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import metricdsl as md

RNG = np.random.default_rng(0)
Y_TRUE = RNG.integers(0, 2, (12, 1)).astype("float32")
Y_PRED = RNG.uniform(0.05, 0.95, (12, 1)).astype("float32")
WEIGHTS = RNG.uniform(size=12).astype("float32")
BATCHES = [(Y_TRUE[i:i + 4], Y_PRED[i:i + 4]) for i in range(0, 12, 4)]


def one_pass(metrics, weighted=None, sample_weight=None):
    c = md.compile_metrics(metrics, weighted)
    c.update_state(Y_TRUE, Y_PRED, sample_weight=sample_weight)
    return {k: float(v) for k, v in c.result().items()}


def test_evaluate_lists_collections_and_metrics():
    expected = one_pass(["accuracy", "mse"])
    got = md.evaluate(["accuracy", "mse"], BATCHES, progress=False)
    assert list(got) == ["accuracy", "mse"] and all(isinstance(v, float) for v in got.values())
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-6)
    collection = md.compile_metrics(["accuracy", "mse"])
    collection.update_state(Y_TRUE, 1 - Y_PRED)  # evaluate resets the collection first
    again = md.evaluate(collection, BATCHES, progress=False)
    assert again == pytest.approx(got, rel=1e-6)
    single = md.evaluate(md.metric_mean_squared_error(name="m"), BATCHES, progress=False)
    assert single == pytest.approx({"m": expected["mse"]}, rel=1e-6)


def test_evaluate_with_predict_and_sample_weights():
    x = RNG.normal(size=(12, 3)).astype("float32")

    def predict(features):
        return 1 / (1 + np.exp(-features[:, :1]))

    batches = [(x[i:i + 6], Y_TRUE[i:i + 6], WEIGHTS[i:i + 6]) for i in (0, 6)]
    got = md.evaluate(["mse"], batches, predict=predict, progress=False)
    c = md.compile_metrics(["mse"])
    c.update_state(Y_TRUE, predict(x))
    assert got["mse"] == pytest.approx(float(c.result()["mse"]), rel=1e-6)
    weighted = md.evaluate(md.compile_metrics(None, ["mse"]), batches, predict=predict,
                           progress=False)
    c = md.compile_metrics(None, ["mse"])
    c.update_state(Y_TRUE, predict(x), sample_weight=WEIGHTS)
    assert weighted["mse"] == pytest.approx(float(c.result()["mse"]), rel=1e-6)


def test_evaluate_tqdm_bar_stays_with_the_final_values():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    got = md.evaluate(["mae", "mse"], BATCHES, file=out)
    expected = one_pass(["mae", "mse"])
    assert got == pytest.approx(expected, rel=1e-6)
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("evaluate: 100%") and "3/3" in last and last.endswith("\n")
    assert f"mae={expected['mae']:.4g}, mse={expected['mse']:.4g}" in last


def test_evaluate_without_tqdm_draws_a_text_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `from tqdm import tqdm` raises ImportError
    with pytest.raises(ImportError):
        importlib.import_module("tqdm")
    got = md.evaluate(["mae"], BATCHES)  # the default progress=True, no warning (they are errors)
    err = capsys.readouterr().err
    assert got["mae"] == pytest.approx(one_pass(["mae"])["mae"], rel=1e-6)
    assert err.endswith("\n") and err.count("\n") == 1
    assert err.split("\r")[-1].rstrip() == f"evaluate: 3/3 batches, mae={got['mae']:.4g}"
    out = io.StringIO()
    md.evaluate(["mae"], (b for b in BATCHES), file=out)  # unknown length: a count, no total
    assert out.getvalue().split("\r")[-1].rstrip() == f"evaluate: 3 batches, mae={got['mae']:.4g}"


def test_evaluate_postfix_shows_running_values_every_few_batches(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(md.evaluation, "_POSTFIX_EVERY", 2)
    batches = BATCHES + BATCHES[:2]
    out = io.StringIO()
    md.evaluate(["mae"], batches, file=out)
    drawn = [line.rstrip() for line in out.getvalue().split("\r")[1:]]

    def running(n):  # mae over the first n batches, one pass
        c = md.compile_metrics(["mae"])
        c.update_state(*[np.concatenate(part) for part in zip(*batches[:n])])
        return f"mae={float(c.result()['mae']):.4g}"

    assert len({running(2), running(4), running(5)}) == 3  # the values do change
    assert drawn == [f"evaluate: 2/5 batches, {running(2)}", f"evaluate: 4/5 batches, {running(4)}",
                     f"evaluate: 5/5 batches, {running(5)}"]


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_evaluate_reads_results_once_per_ten_batches(monkeypatch, with_tqdm):
    if with_tqdm:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)
    collection = md.compile_metrics(["mae"])
    calls = []
    result = collection.result
    monkeypatch.setattr(collection, "result", lambda: calls.append(1) or result())
    got = md.evaluate(collection, BATCHES * 8 + BATCHES[:1], file=io.StringIO())  # 25 batches
    assert len(calls) == 3  # after batches 10 and 20, and the final result
    assert got["mae"] == pytest.approx(float(result()["mae"]))


def test_evaluate_without_progress_writes_nothing(capsys):
    md.evaluate(["mae"], BATCHES, progress=False)
    assert capsys.readouterr() == ("", "")


def test_evaluate_bad_batches():
    with pytest.raises(ValueError, match=r"batch 1 must be a tuple \(y_true, y_pred"):
        md.evaluate(["mse"], [BATCHES[0], (Y_TRUE,)], progress=False)
    with pytest.raises(ValueError, match="empty"):
        md.evaluate(["mse"], [], progress=False)
    with pytest.raises(ValueError, match="unknown metric identifier"):
        md.evaluate(["msee"], BATCHES, progress=False)


def test_history_records_epochs_with_val_prefix():
    history = md.History()
    history.append({"loss": np.float32(0.5), "accuracy": 0.75}, val_logs={"loss": 0.25})
    history.append({"loss": 0.25, "accuracy": 0.875, "auc": 0.5},
                   val_logs={"val_loss": 0.125})
    history.append({"loss": 0.125})
    data = history.to_dict()
    assert list(data) == ["loss", "accuracy", "auc", "val_loss"]
    assert data["loss"] == [0.5, 0.25, 0.125] and isinstance(data["loss"][0], float)
    assert math.isnan(data["auc"][0]) and data["auc"][1] == 0.5
    assert math.isnan(data["val_loss"][2])
    assert history.epoch == [0, 1, 2] and len(history) == 3
    table = str(history).splitlines()
    assert table[0].split() == ["epoch", "loss", "accuracy", "auc", "val_loss"]
    assert table[2].split() == ["1", "0.25", "0.875", "0.5", "0.125"]
    assert repr(history).startswith("<History epochs=3")


def test_history_from_a_collection():
    c = md.compile_metrics(["mse"])
    history = md.History()
    for epoch in range(2):
        c.reset_state()
        c.update_state(Y_TRUE, Y_PRED)
        history.append(c.result(), val_logs=md.evaluate(["mse"], BATCHES, progress=False),
                       epoch=epoch + 10)
    assert history.epoch == [10, 11]
    assert history.to_dict()["mse"][0] == pytest.approx(history.to_dict()["val_mse"][0])


@pytest.mark.skipif(importlib.util.find_spec("optax") is None, reason="optax is not installed")
def test_optax_example_runs():
    example = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "optax_training.py")
    done = subprocess.run([sys.executable, example, "--epochs", "2"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["epoch 1/2", "epoch 2/2"]
    header = ["epoch", "accuracy", "bce", "AUC", "loss", "val_accuracy", "val_bce"]
    assert lines[2].split() == header and len(lines) == 5
    for epoch, (logs, row) in enumerate(zip(lines[:2], lines[3:])):
        logged = ast.literal_eval(logs.split(": ", 1)[1])  # the per-epoch dict, rounded to 4
        table = dict(zip(header, map(float, row.split())))
        assert list(logged) == header[1:] and table["epoch"] == epoch
        assert logged == pytest.approx({k: table[k] for k in logged}, abs=6e-5)
        assert 0.5 < table["val_accuracy"] <= 1 and table["bce"] == table["loss"]
