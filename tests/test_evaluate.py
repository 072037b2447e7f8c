"""md.evaluate (its Keras progress line, steps=) and md.History."""

import io
import itertools
import math
import re

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


class Terminal(io.StringIO):
    """A stream that says it is a terminal, so the progress line is redrawn in place."""

    def isatty(self):
        return True


def keras_format(value):  # Keras's Progbar: 4 decimals, or scientific below 1e-3
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def running(batches, n):
    """mae and mse over the first n batches, in numpy."""
    y_true, y_pred = (np.concatenate(part[:n]) for part in zip(*batches))
    return np.mean(np.abs(y_true - y_pred)), np.mean((y_true - y_pred) ** 2)


LINE = re.compile(r"(?P<done>\d+)/(?P<total>\d+|Unknown)(?: (?P<bar>[━─]{20}))? "
                  r"\d+s \d+(?:us|ms|s)/step(?P<values>.*)")


def test_evaluate_final_line_is_keras_s():
    out = io.StringIO()  # not a terminal: the final line only
    got = md.evaluate(["mae", "mse"], BATCHES, file=out)
    mae, mse = running(BATCHES, 3)
    assert got == pytest.approx({"mae": mae, "mse": mse}, rel=1e-6)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1 and "\r" not in text
    line = LINE.fullmatch(text.rstrip("\n"))
    assert line and line["done"] == "3" and line["total"] == "3" and line["bar"] == "━" * 20
    assert line["values"] == f" - mae: {keras_format(mae)} - mse: {keras_format(mse)}"


def test_evaluate_live_line_shows_running_values(monkeypatch):
    monkeypatch.setattr(md.evaluation, "_REFRESH_SECONDS", 0.0)  # redraw after every batch
    batches = BATCHES + BATCHES[:2]
    out = Terminal()
    md.evaluate(["mae"], batches, file=out)
    drawn = out.getvalue().split("\r")[1:]
    assert len(drawn) == 6 and drawn[-1].endswith("\n")  # 5 batches, then the final line
    final = LINE.fullmatch(drawn[-1].rstrip())
    assert final and final["done"] == "5" and final["values"] == LINE.fullmatch(
        drawn[-2].rstrip())["values"]  # the times may differ
    assert len({running(batches, n)[0] for n in range(1, 6)}) == 5  # the values do change
    for n, text in enumerate(drawn[:5], start=1):
        line = LINE.fullmatch(text.rstrip())
        assert line and line["done"] == str(n) and line["total"] == "5"
        assert line["bar"] == "━" * (4 * n) + "─" * (20 - 4 * n)
        assert line["values"] == f" - mae: {keras_format(running(batches, n)[0])}"


@pytest.mark.parametrize("refresh, reads", [(0.0, 26), (math.inf, 1)])
def test_evaluate_reads_results_only_to_draw(monkeypatch, refresh, reads):
    monkeypatch.setattr(md.evaluation, "_REFRESH_SECONDS", refresh)
    collection = md.compile_metrics(["mae"])
    calls = []
    result = collection.result
    monkeypatch.setattr(collection, "result", lambda: calls.append(1) or result())
    got = md.evaluate(collection, BATCHES * 8 + BATCHES[:1], file=Terminal())  # 25 batches
    assert len(calls) == reads  # each redraw, and the final result
    assert got["mae"] == pytest.approx(float(result()["mae"]))
    calls.clear()
    md.evaluate(collection, BATCHES * 8 + BATCHES[:1], file=io.StringIO())  # a log: no redraws
    assert len(calls) == 1


def test_evaluate_steps_and_unknown_lengths():
    out = io.StringIO()
    got = md.evaluate(["mae"], itertools.cycle(BATCHES), steps=5, file=out)  # endless
    assert got["mae"] == pytest.approx(running(BATCHES + BATCHES[:2], 5)[0], rel=1e-6)
    assert LINE.fullmatch(out.getvalue().rstrip())["total"] == "5"
    out = io.StringIO()
    md.evaluate(["mae"], (b for b in BATCHES), file=out)  # no length, no steps
    line = LINE.fullmatch(out.getvalue().rstrip())
    assert line and line["done"] == "3" and line["total"] == "Unknown" and line["bar"] is None
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=rf"evaluate: steps must be a positive integer.*"
                                             rf"received {bad!r}"):
            md.evaluate(["mae"], BATCHES, steps=bad)


def test_evaluate_error_ends_the_live_line(monkeypatch):
    monkeypatch.setattr(md.evaluation, "_REFRESH_SECONDS", 0.0)
    out = Terminal()
    with pytest.raises(ValueError, match="batch 1 must be a tuple"):
        md.evaluate(["mae"], [BATCHES[0], (Y_TRUE,)], file=out)
    assert out.getvalue().startswith("\r1/2 ") and out.getvalue().endswith("\n")


def test_one_element_results_are_floats_and_arrays_stay_readable():
    from sklearn.metrics import f1_score

    y_pred = (Y_PRED > 0.5).astype("float32")
    got = md.evaluate([md.metric_f1_score(threshold=0.5)], BATCHES, progress=False)
    assert isinstance(got["f1_score"], float)  # Keras's F1Score gives shape (1,) here
    assert got["f1_score"] == pytest.approx(f1_score(Y_TRUE[:, 0], y_pred[:, 0]), rel=1e-6)
    history = md.History()
    history.append(got, val_logs={"cm": np.array([[3.0, 1.0], [0.25, 2.0]])})
    assert str(history).splitlines()[1].split("  ")[-1] == "[[3, 1], [0.25, 2]]"
    assert history.to_dict()["f1_score"] == [got["f1_score"]]


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
