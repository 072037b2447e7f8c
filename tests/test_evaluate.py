"""md.evaluate, md.History and the optax training example."""

import importlib.util
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


def test_evaluate_progress_bar(capsys):
    pytest.importorskip("tqdm")
    got = md.evaluate(["mae"], iter(BATCHES), progress=True)
    assert "evaluate" in capsys.readouterr().err
    assert got["mae"] == pytest.approx(one_pass(["mae"])["mae"], rel=1e-6)


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
    assert lines[0].startswith("epoch 1/2:") and "val_accuracy" in lines[0]
    assert lines[2].split()[:4] == ["epoch", "accuracy", "bce", lines[2].split()[3]]
