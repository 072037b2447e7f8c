"""Plots drawn from a metric's state: the drawn data checked against scikit-learn and numpy."""

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from sklearn.metrics import (
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

import metricdsl as md

RNG = np.random.default_rng(7)
Y_TRUE = RNG.integers(0, 2, 40)
SCORES = np.sort(RNG.choice(np.arange(1, 100), 40, replace=False) / 100.0)[RNG.permutation(40)]
WEIGHTS = RNG.uniform(0.5, 2.0, 40)
# Thresholds between consecutive scores: the metric's "> t" then matches scikit-learn's ">= score".
MIDPOINTS = list((np.sort(SCORES)[1:] + np.sort(SCORES)[:-1]) / 2)


def points(x, y):
    """The distinct (x, y) points of a curve, sorted, rounded to float32 precision."""
    return sorted({(round(float(a), 5), round(float(b), 5)) for a, b in zip(x, y)})


def png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_curve_matches_scikit_learn(weighted, tmp_path):
    w = WEIGHTS if weighted else None
    m = md.metric_auc(thresholds=MIDPOINTS)
    m.update_state(Y_TRUE, SCORES, sample_weight=w)
    fig = m.plot()
    png(fig, tmp_path, "roc")
    ax = fig.axes[0]
    curve, chance = ax.lines
    fpr, tpr, _ = roc_curve(Y_TRUE, SCORES, sample_weight=w, drop_intermediate=False)
    assert points(curve.get_xdata(), curve.get_ydata()) == points(fpr, tpr)
    assert list(chance.get_xdata()) == [0.0, 1.0] and list(chance.get_ydata()) == [0.0, 1.0]
    area = roc_auc_score(Y_TRUE, SCORES, sample_weight=w)
    assert ax.get_legend().get_texts()[0].get_text() == f"{m.name} (AUC = {area:.3f})"
    assert ax.get_xlim() == (-0.01, 1.01) and ax.get_ylim() == (-0.01, 1.01)
    assert ax.get_xlabel() == "False positive rate" and ax.get_ylabel() == "True positive rate"


def test_pr_curve_follows_the_config_and_matches_scikit_learn():
    m = md.metric_auc(thresholds=MIDPOINTS, curve="PR")
    m.update_state(Y_TRUE, SCORES, sample_weight=WEIGHTS)
    ax = m.plot().axes[0]
    precision, recall, _ = precision_recall_curve(Y_TRUE, SCORES, sample_weight=WEIGHTS,
                                                  drop_intermediate=False)
    # scikit-learn closes the curve at (recall 0, precision 1), where nothing is predicted
    # positive; the plot leaves that undefined point out.
    expected = points(recall[:-1], precision[:-1])
    assert points(ax.lines[0].get_xdata(), ax.lines[0].get_ydata()) == expected
    assert ax.get_xlabel() == "Recall" and ax.get_ylabel() == "Precision"
    positive_rate = np.sum(WEIGHTS * Y_TRUE) / np.sum(WEIGHTS)
    assert ax.lines[1].get_ydata()[0] == pytest.approx(positive_rate, rel=1e-5)
    area = float(m.result())  # the metric's own PR-AUC (Keras's interpolation)
    assert ax.get_legend().get_texts()[0].get_text() == f"{m.name} (AUC = {area:.3f})"


def test_curve_override_and_bad_curve():
    m = md.metric_auc(thresholds=MIDPOINTS)  # a ROC metric, drawn as PR
    m.update_state(Y_TRUE, SCORES)
    precision, recall, _ = precision_recall_curve(Y_TRUE, SCORES, drop_intermediate=False)
    line = m.plot(curve="pr").axes[0].lines[0]
    assert points(line.get_xdata(), line.get_ydata()) == points(recall[:-1], precision[:-1])
    with pytest.raises(ValueError, match="curve"):
        m.plot(curve="DET")
    from matplotlib.figure import Figure

    own = Figure()
    left, right = own.subplots(1, 2)
    assert m.plot(ax=right) is own and len(right.lines) == 2 and not left.lines


def test_multi_label_draws_one_curve_per_label():
    y_true = np.stack([Y_TRUE, 1 - Y_TRUE[::-1]], axis=1)
    scores = np.stack([SCORES, SCORES[::-1]], axis=1)
    m = md.metric_auc(thresholds=MIDPOINTS, multi_label=True)
    m.update_state(y_true, scores)
    ax = m.plot().axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for j in range(2):
        fpr, tpr, _ = roc_curve(y_true[:, j], scores[:, j], drop_intermediate=False)
        assert points(ax.lines[j].get_xdata(), ax.lines[j].get_ydata()) == points(fpr, tpr)
        area = roc_auc_score(y_true[:, j], scores[:, j])
        assert legend[j] == f"label {j} (AUC = {area:.3f})"


@pytest.mark.parametrize("normalize", [None, "true"])
def test_confusion_matrix_heatmap_cells(normalize, tmp_path):
    y_true, y_pred = RNG.integers(0, 3, 30), RNG.integers(0, 3, 30)
    m = md.metric_confusion_matrix(3, normalize=normalize)
    m.update_state(y_true, y_pred, sample_weight=WEIGHTS[:30])
    fig = m.plot(labels=["cat", "dog", "bird"])
    png(fig, tmp_path, "confusion")
    ax = fig.axes[0]
    expected = confusion_matrix(y_true, y_pred, sample_weight=WEIGHTS[:30], normalize=normalize)
    np.testing.assert_allclose(ax.images[0].get_array(), expected, rtol=1e-5)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}
    assert cells == {(i, j): f"{expected[i, j]:.3g}" for i in range(3) for j in range(3)}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert ax.get_xlabel() == "Predicted class" and ax.get_ylabel() == "True class"
    with pytest.raises(ValueError, match=r"labels names 2 classes.*expected one name per class"):
        m.plot(labels=["cat", "dog"])


def test_iou_family_heatmap_shows_the_counts():
    y_true, y_pred = RNG.integers(0, 4, 50), RNG.integers(0, 4, 50)
    m = md.metric_mean_iou(4)
    m.update_state(y_true, y_pred)
    ax = m.plot().axes[0]
    expected = confusion_matrix(y_true, y_pred, labels=range(4))
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in expected.ravel())
    assert ax.get_title() == f"{m.name} = {float(m.result()):.4f}"
    binary = md.metric_binary_iou(threshold=0.5)
    binary.update_state(Y_TRUE, SCORES)
    drawn = binary.plot().axes[0].images[0].get_array()
    np.testing.assert_array_equal(drawn, confusion_matrix(Y_TRUE, SCORES >= 0.5))


def test_history_plot_one_panel_per_metric(tmp_path):
    history = md.History()
    for epoch in range(4):
        history.append({"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch,
                        "f1": np.array([0.1, 0.2])}, val_logs={"loss": 1.5 / (epoch + 1)})
    fig = history.plot()
    png(fig, tmp_path, "history")
    loss, accuracy = fig.axes
    assert loss.get_ylabel() == "loss" and accuracy.get_ylabel() == "accuracy"  # f1 is per-class
    train, val = loss.lines
    assert list(train.get_xdata()) == [0, 1, 2, 3]
    np.testing.assert_allclose(train.get_ydata(), [1.0 / (e + 1) for e in range(4)])
    np.testing.assert_allclose(val.get_ydata(), [1.5 / (e + 1) for e in range(4)])
    assert [t.get_text() for t in loss.get_legend().get_texts()] == ["training", "validation"]
    assert len(accuracy.lines) == 1 and accuracy.get_xlabel() == "epoch"
    assert len(md.plot.plot(history, keys=["accuracy"]).axes) == 1  # R's plot(history)
    with pytest.raises(ValueError, match=r"missing: \['auc'\]"):
        history.plot(keys=["auc"])
    with pytest.raises(ValueError, match="0 epochs"):
        md.History().plot()
    with pytest.raises(TypeError, match="has no plot"):
        md.plot.plot(md.metric_mean())


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    m = md.metric_confusion_matrix(2)
    with pytest.raises(ImportError, match=r"metricdsl\[plot\]"):
        m.plot()


def test_matplotlib_and_flax_are_imported_only_where_they_are_used():
    """``import metricdsl`` stays light: no module but nnx imports them at its top level."""
    package = Path(md.__file__).parent
    top_level = {}
    for path in package.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name.split(".")[0] in ("matplotlib", "flax"):
                    top_level.setdefault(path.name, []).append(name)
    assert top_level == {}  # nnx.py imports flax inside its try block, loaded only as md.nnx
