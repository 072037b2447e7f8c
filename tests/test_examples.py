"""Every example runs with one command and prints numbers that an independent computation gives.

Each example runs in a subprocess (as a user runs it); the data it uses comes
from its own module-level functions, and the expected numbers from numpy or
scikit-learn.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(name, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def load(name):
    """The example as a module (its main guard keeps it from running)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def needs(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"{missing} not installed")


def table(text, header):
    """Rows of a History table printed after ``header``, as lists of cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == header)
    return [re.findall(r"\[[^\]]*\]|\S+", line) for line in lines[start + 1:]
            if line.strip() and line.split()[0].isdigit()]


def test_every_example_states_its_extra_and_is_tested():
    names = sorted(p.name for p in EXAMPLES.glob("*.py"))
    tested = {"quickstart.py", "custom_metrics.py", "evaluate_loop.py", "flax_training.py",
              "optax_training.py", "plots.py", "data_parallel.py"}
    assert set(names) == tested
    for name in names:
        doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text())) or ""
        assert "pip install" in doc.split("\n\n")[1], name  # the extra, right below the title


def test_quickstart():
    out, _ = run("quickstart.py")
    tp = np.sum(np.logical_and([0, 1, 1, 1], [0, 1, 0, 0]))
    tp_more = tp + np.sum(np.logical_and([1, 1, 1, 1], [0, 1, 1, 0]))
    assert f"Intermediate result: {float(tp)}" in out and f"Final result: {float(tp_more)}" in out
    scaled = np.average([25.0, 75.0, 100.0], weights=[1, 1, 2])
    assert f"Scaled mean: {scaled}" in out
    assert "MSE over 4 batches under jax.jit: 0.25" in out  # every error is 0.5


def test_custom_metrics():
    out, _ = run("custom_metrics.py")
    example = load("custom_metrics")
    errors = [np.abs(t - p) for t, p in zip(example.Y_TRUE, example.Y_PRED)]
    flat = np.concatenate(errors)
    assert f"'mean': {round(flat.mean(), 6)}, 'peak': {flat.max()}" in out
    assert f"snapshots: {[float(errors[0].max()), float(flat.max())]}" in out
    relative = np.concatenate([e / np.abs(t) for e, t in zip(errors, example.Y_TRUE)])
    assert (f"peak_relative_error: {{'mean': {round(relative.mean(), 6)}, "
            f"'peak': {round(relative.max(), 6)}}} | is a PeakAbsoluteError: True") in out
    y_true, y_pred = np.concatenate(example.Y_TRUE), np.concatenate(example.Y_PRED)
    assert f"clipped_mse: {np.mean((y_true - np.clip(y_pred, 0, 3)) ** 2):.6f}" in out
    assert "check_metric(ClippedMSE): 9 laws hold" in out


def test_evaluate_loop():
    out, err = run("evaluate_loop.py")
    example = load("evaluate_loop")
    stream = example.stream()
    x, labels = (np.concatenate(part) for part in zip(*[next(stream)
                                                         for _ in range(example.STEPS)]))
    logits = x @ example.WEIGHTS + example.BIAS
    rows = table(out, ["epoch", "accuracy", "crossentropy", "f1"])
    assert len(rows) == len(example.TEMPERATURES)
    for (_, accuracy, crossentropy, f1), temperature in zip(rows, example.TEMPERATURES):
        z = logits / temperature
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        predicted = p.argmax(axis=1)
        assert float(accuracy) == pytest.approx(np.mean(predicted == labels[:, 0]), abs=1e-6)
        expected_ce = -np.mean(np.log(np.clip(p[np.arange(len(p)), labels[:, 0]], 1e-7, 1)))
        assert float(crossentropy) == pytest.approx(expected_ce, rel=1e-5)
        per_class = f1_score(labels[:, 0], predicted, average=None)
        np.testing.assert_allclose(ast.literal_eval(f1), per_class, atol=6e-5)
    finals = [line for line in err.splitlines() if line.startswith(f"{example.STEPS}/")]
    assert len(finals) == 3 and all(" - accuracy: " in line for line in finals)


@pytest.mark.slow  # trains for two epochs: about 8 s of CPU
@needs("optax")
def test_optax_training():
    out, _ = run("optax_training.py", "--epochs", "2")
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["epoch 1/2", "epoch 2/2"]
    header = ["epoch", "accuracy", "bce", "AUC", "loss", "val_accuracy", "val_bce"]
    assert lines[2].split() == header and len(lines) == 5
    for epoch, (logs, row) in enumerate(zip(lines[:2], lines[3:])):
        logged = ast.literal_eval(logs.split(": ", 1)[1])  # the per-epoch dict, rounded to 4
        cells = dict(zip(header, map(float, row.split())))
        assert list(logged) == header[1:] and cells["epoch"] == epoch
        assert logged == pytest.approx({k: cells[k] for k in logged}, abs=6e-5)
        assert 0.5 < cells["val_accuracy"] <= 1 and cells["bce"] == cells["loss"]


@pytest.mark.slow  # as optax_training
@needs("flax", "optax")
def test_flax_training():
    out, err = run("flax_training.py", "--epochs", "2")
    rows = table(out, ["epoch", "accuracy", "auc", "loss", "val_accuracy", "val_bce"])
    assert [row[0] for row in rows] == ["0", "1"]
    check = re.search(r"numpy check: val_accuracy=([\d.]+)", out)
    assert check and float(rows[-1][4]) == pytest.approx(float(check[1]), abs=1e-6)
    assert 0.8 < float(check[1]) <= 1.0  # it learns
    assert err.count("8/8 ━") == 2  # one validation line per epoch


@pytest.mark.slow  # tests/test_plot.py checks every plot in-process
@needs("matplotlib")
def test_plots(tmp_path):
    out, _ = run("plots.py", "--out", str(tmp_path))
    example = load("plots")
    for name in ("roc", "pr", "confusion_matrix", "mean_iou", "history"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    labels, scores = example.binary_scores()
    auc = float(re.search(r"auc=([\d.]+);", out)[1])
    assert auc == pytest.approx(roc_auc_score(labels, scores), abs=2e-3)  # 200 thresholds
    truth, predicted = example.class_predictions()
    assert f"confusion_matrix.png: {confusion_matrix(truth, predicted).tolist()}" in out
    truth, predicted = example.segmentation()
    cm = confusion_matrix(truth.ravel(), predicted.ravel())
    iou = np.diag(cm) / (cm.sum(axis=0) + cm.sum(axis=1) - np.diag(cm))
    assert float(re.search(r"mean_iou=([\d.]+)", out)[1]) == pytest.approx(iou.mean(), abs=1e-4)
    assert "history.png: 10 epochs" in out


@pytest.mark.slow  # 8 simulated devices; tests/test_distributed.py runs it by default too
def test_data_parallel():
    out, _ = run("data_parallel.py")
    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, 2, (64, 1)).astype("float32"),
                rng.uniform(0.01, 0.99, (64, 1)).astype("float32")) for _ in range(5)]
    y_true, y_pred = (np.concatenate(part) for part in zip(*batches))
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]]
            for line in out.splitlines() if line.startswith("  ")}
    assert rows["accuracy"][0] == pytest.approx(np.mean((y_pred > 0.5) == (y_true == 1)))
    assert rows["mae"][0] == pytest.approx(np.mean(np.abs(y_true - y_pred)), rel=1e-5)
    assert rows["auc"][0] == pytest.approx(roc_auc_score(y_true, y_pred), abs=3e-3)
    assert all(eight == one for eight, one in rows.values())
