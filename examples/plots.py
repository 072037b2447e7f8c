"""Plots from metric state, saved to PNG: ROC and PR curves, a confusion matrix, IoU, a History.

Needs the ``plot`` extra: ``pip install "metricdsl[plot]"`` (or ``metricdsl[examples]``).
Run: ``python examples/plots.py [--out DIR]`` (default: a new temporary directory).

Nothing is recomputed from the data: each plot reads the metric's own state
(AUC's counts at its thresholds, the confusion matrix, the History), so it
costs nothing during the loop. ``m.plot()`` returns a matplotlib Figure.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import metricdsl as md


def binary_scores(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels and the scores of a decent classifier: ``sigmoid(±1.5 + noise)``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = 1 / (1 + np.exp(-(1.5 * (2 * labels - 1) + rng.normal(scale=1.5, size=n))))
    return labels.astype("float32"), scores.astype("float32")


def class_predictions(n: int = 600, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Three classes; predictions right 70% of the time, else a random class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    predicted = np.where(rng.uniform(size=n) < 0.7, labels, rng.integers(0, 3, n))
    return labels, predicted


def segmentation(seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A 48×48 label map of 3 regions, and a prediction with its borders shifted and noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:48, :48]
    truth = np.where(rows < 16, 0, np.where(cols < 24, 1, 2))
    predicted = np.where(rows < 19, 0, np.where(cols < 20, 1, 2))
    flip = rng.uniform(size=truth.shape) < 0.05
    return truth, np.where(flip, rng.integers(0, 3, truth.shape), predicted)


def train_history(epochs: int = 10) -> md.History:
    """Logistic regression by gradient descent; train and validation metrics each epoch."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1200, 2)).astype("float32")
    y = ((x @ np.array([1.5, -1.0]) + rng.normal(scale=0.8, size=1200)) > 0)[:, None]
    y = y.astype("float32")
    train, val = (x[:900], y[:900]), (x[900:], y[900:])

    def predict(w, x):
        return jax.nn.sigmoid(x @ w[:2, None] + w[2])

    def loss(w, x, y):
        p = jnp.clip(predict(w, x), 1e-6, 1 - 1e-6)
        return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))

    step = jax.jit(lambda w, x, y: w - 1.0 * jax.grad(loss)(w, x, y))
    w, history = jnp.array([-1.0, 1.0, 0.0]), md.History()  # a poor start, to learn from
    for _ in range(epochs):
        w = step(w, *train)
        logs = md.evaluate(["accuracy", "bce"], [(train[1], predict(w, train[0]))],
                           progress=False)
        val_logs = md.evaluate(["accuracy", "bce"], [(val[1], predict(w, val[0]))],
                               progress=False)
        history.append(logs, val_logs=val_logs)
    return history


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    labels, scores = binary_scores()
    auc = md.metric_auc(name="auc")
    pr_auc = md.metric_auc(curve="PR", name="pr_auc")
    for m in (auc, pr_auc):
        m.update_state(labels, scores)
    auc.plot().savefig(out / "roc.png")
    pr_auc.plot().savefig(out / "pr.png")
    print(f"roc.png: auc={float(auc.result()):.4f}; pr.png: pr_auc={float(pr_auc.result()):.4f}")

    truth, predicted = class_predictions()
    confusion = md.metric_confusion_matrix(3)
    confusion.update_state(truth, predicted)
    confusion.plot(labels=["cat", "dog", "bird"]).savefig(out / "confusion_matrix.png")
    print(f"confusion_matrix.png: {np.asarray(confusion.result()).astype(int).tolist()}")

    truth, predicted = segmentation()
    iou = md.metric_mean_iou(3, name="mean_iou")
    iou.update_state(truth, predicted)
    iou.plot(labels=["sky", "road", "building"]).savefig(out / "mean_iou.png")
    print(f"mean_iou.png: mean_iou={float(iou.result()):.4f}")

    history = train_history()
    history.plot().savefig(out / "history.png")
    print(f"history.png: {len(history)} epochs, final val_accuracy="
          f"{history.to_dict()['val_accuracy'][-1]:.4f}")
    print(f"written to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    main(args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="metricdsl_plots_")))
