"""Plots drawn from a metric's own state: ROC/PR curves, confusion-matrix heatmaps, histories.

No second pass over the data: `metric_auc` already holds its confusion counts
at every threshold, the confusion and IoU metrics their matrix, `History`
its per-epoch values. Each function returns a matplotlib ``Figure`` made
without pyplot (nothing is opened or kept open; Jupyter displays it, and
``fig.savefig("roc.png")`` writes it); pass ``ax=`` to draw into axes of your
own, e.g. pyplot's, to show them with ``plt.show()``. matplotlib (the
``plot`` extra: ``pip install "metricdsl[plot]"``) is imported when a plot
is drawn, never with metricdsl.

Example:
    >>> import metricdsl as md
    >>> m = md.metric_auc(num_thresholds=5, name="roc_auc")
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> fig = m.plot()                           # the ROC curve, its area in the legend
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'roc_auc (AUC = 0.750)'
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from .functional import AUCCurve, auc_from_counts, curve_points, parse_choice
from .functional._common import metric_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot", "plot_confusion_matrix", "plot_curve", "plot_history", "plot_method"]

_NO_MATPLOTLIB = (
    "metricdsl plots need matplotlib, which is not installed. Install the `plot` extra: "
    "pip install \"metricdsl[plot]\" (or pip install matplotlib).")
_AXIS_LABELS = {AUCCurve.ROC: ("False positive rate", "True positive rate"),
                AUCCurve.PR: ("Recall", "Precision"),
                AUCCurve.PRGAIN: ("Recall gain", "Precision gain")}
_ANNOTATE_UP_TO = 30  # classes; a bigger matrix is drawn without its numbers


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new pyplot-free figure with one axes."""
    if ax is not None:
        return ax.get_figure(), ax  # type: ignore[return-value] - an Axes has a figure
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(_NO_MATPLOTLIB) from error
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def plot_curve(metric: Any, curve: str | AUCCurve | None = None, *,
               ax: Axes | None = None) -> Figure:
    """Draw the ROC, PR or PR-gain curve of a `metric_auc` from its counts at each threshold.

    One point per threshold: ROC is (false positive rate, recall), PR
    (recall, precision), PRGAIN (recall gain, precision gain); PR leaves out
    the thresholds where nothing is predicted positive (precision undefined).
    The legend gives the area, computed as the metric computes it (its
    ``summation_method``); a ``multi_label`` AUC draws one curve per label.
    ROC gets the chance diagonal, PR the positive rate.

    Args:
        metric: A `metric_auc` instance (updated: the counts are its state).
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``; default the metric's ``curve``.
        ax: Axes to draw into; default a new figure.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: for an unknown ``curve``.
        ImportError: when matplotlib is not installed.
    """
    kind = AUCCurve(metric.curve if curve is None else
                    parse_choice(metric_label(metric), "curve", curve, AUCCurve))
    counts = [jnp.asarray(getattr(metric, name).value) for name in
              ("true_positives", "false_positives", "true_negatives", "false_negatives")]
    fig, ax = _axes(ax, (5.0, 4.5))
    columns = [counts] if counts[0].ndim == 1 else \
        [[c[:, j] for c in counts] for j in range(counts[0].shape[1])]
    lowest = 0.0
    for j, (tp, fp, tn, fn) in enumerate(columns):
        x, y = (np.asarray(v) for v in curve_points(tp, fp, tn, fn, kind))
        keep = np.asarray(tp + fp > 0) if kind == AUCCurve.PR else np.ones(x.shape, bool)
        area = float(auc_from_counts(tp, fp, tn, fn, curve=kind,
                                     summation_method=metric.summation_method))
        label = metric.name if len(columns) == 1 else f"label {j}"
        ax.plot(x[keep], y[keep], marker="." if x.size <= 50 else None,
                label=f"{label} (AUC = {area:.3f})")
        lowest = min(lowest, float(y[keep].min(initial=0.0)))
    _chance_line(ax, kind, columns[0])
    ax.set_xlabel(_AXIS_LABELS[kind][0])
    ax.set_ylabel(_AXIS_LABELS[kind][1])
    ax.set_xlim(-0.01, 1.01)  # the unit square, markers on its edges whole
    ax.set_ylim(lowest - 0.01, 1.01)
    ax.set_title(f"{metric.name}: {kind.value} curve")
    ax.legend(loc="lower right" if kind == AUCCurve.ROC else "best")
    return fig


def _chance_line(ax: Axes, kind: AUCCurve, counts: Sequence[jax.Array]) -> None:
    """ROC's diagonal, or PR's horizontal line at the positive rate (what guessing scores)."""
    if kind == AUCCurve.ROC:
        ax.plot([0.0, 1.0], [0.0, 1.0], linestyle="--", color="grey", linewidth=1, label="chance")
    elif kind == AUCCurve.PR:
        tp, fp, tn, fn = (float(c[0]) for c in counts)
        total = tp + fp + tn + fn
        rate = (tp + fn) / total if total > 0 else 0.0
        ax.axhline(rate, linestyle="--", color="grey", linewidth=1,
                   label=f"positive rate ({rate:.3f})")


def plot_confusion_matrix(metric: Any, *, labels: Sequence[str] | None = None,
                          ax: Axes | None = None) -> Figure:
    """Draw a confusion matrix as a heatmap, each cell with its value; rows true, columns predicted.

    The matrix is the metric's: `metric_confusion_matrix`'s result (normalized
    as configured), or the IoU metrics' accumulated ``total_cm`` counts (the
    title then gives the IoU).

    Args:
        metric: `metric_confusion_matrix` or an IoU metric (`metric_iou`,
            `metric_mean_iou`, `metric_binary_iou`, the one-hot ones).
        labels: Class names for the ticks; default the class ids.
        ax: Axes to draw into; default a new figure.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: if ``labels`` does not name every class.
        ImportError: when matplotlib is not installed.
    """
    counts = getattr(metric, "total_cm", None)
    matrix = np.asarray(metric.result() if counts is None else counts.value)
    size = matrix.shape[0]
    names = [str(i) for i in range(size)] if labels is None else [str(n) for n in labels]
    if len(names) != size:
        raise ValueError(
            f"{metric_label(metric)}.plot: labels names {len(names)} classes ({names!r}); "
            f"expected one name per class ({size}).")
    fig, ax = _axes(ax, (1.2 + 0.6 * max(size, 4), 0.8 + 0.6 * max(size, 4)))
    image = ax.imshow(matrix, cmap="Blues", vmin=min(0, matrix.min()))
    fig.colorbar(image, ax=ax)
    if size <= _ANNOTATE_UP_TO:
        _annotate(ax, matrix)
    ax.set_xticks(range(size), names)
    ax.set_yticks(range(size), names)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    title = metric.name if counts is None else f"{metric.name} = {float(metric.result()):.4f}"
    ax.set_title(title)
    return fig


def _annotate(ax: Axes, matrix: np.ndarray) -> None:
    """Each cell's value, white on dark cells: whole numbers as integers, else 3 digits."""
    whole = bool(np.all(matrix == np.round(matrix)))
    dark = matrix.min() + 0.6 * (matrix.max() - matrix.min())
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:.0f}" if whole else f"{value:.3g}", ha="center", va="center",
                color="white" if value > dark and matrix.max() > matrix.min() else "black")


def plot_history(history: Any, keys: Sequence[str] | None = None) -> Figure:
    """Draw per-epoch curves of a `History`: one panel per metric, training and ``val_`` lines.

    Like R keras3's ``plot(history)``. Keys whose values are arrays (per-class
    results) are left out; epochs where a key was not recorded (``nan``) are gaps.

    Args:
        history: A `History`.
        keys: The metrics to draw (names without ``val_``); default every scalar one.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: for an empty history, or a key it does not hold.
        ImportError: when matplotlib is not installed.
    """
    data = history.to_dict()
    scalar = [k for k, values in data.items()
              if all(isinstance(v, (int, float)) for v in values)]
    names = list(dict.fromkeys(k.removeprefix("val_") for k in scalar)) if keys is None \
        else list(keys)
    missing = [k for k in names if k not in data and f"val_{k}" not in data]
    if not history.epoch or missing or not names:
        raise ValueError(
            f"History.plot: nothing to draw for keys={names!r} (missing: {missing!r}); the "
            f"history has {len(history.epoch)} epochs and keys {list(data)!r}.")
    fig, axes = _panels(len(names))
    for ax, name in zip(axes, names):
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            if key in data:
                ax.plot(history.epoch, np.asarray(data[key], dtype=float), marker="o",
                        label=label)
        ax.set_ylabel(name)
        ax.legend(loc="best")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("epoch")
    return fig


def _panels(count: int) -> tuple[Figure, list[Axes]]:
    """A figure with ``count`` stacked panels sharing the epoch axis."""
    fig, first = _axes(None, (6.0, 0.6 + 2.2 * count))
    fig.delaxes(first)
    axes = fig.subplots(count, 1, sharex=True, squeeze=False)[:, 0]
    return fig, list(axes)


def plot(obj: Any, *args: Any, **kwargs: Any) -> Figure:
    """``plot(x)`` as in R: ``x.plot(...)`` for a `History` or a metric that can be drawn.

    Args:
        obj: A `History`, a `metric_auc`, a confusion-matrix or IoU metric.
        *args: Passed to ``obj.plot``.
        **kwargs: Passed to ``obj.plot``.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        TypeError: if ``obj`` has no plot.
    """
    if not callable(getattr(obj, "plot", None)):
        raise TypeError(
            f"metricdsl.plot.plot: {type(obj).__name__} has no plot; expected a History, "
            "a metric_auc, metric_confusion_matrix or an IoU metric.")
    return obj.plot(*args, **kwargs)


def plot_method(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """``fn(metric, ...)`` as a ``plot`` method (``m.plot(...)``), for a metric declaration."""

    @functools.wraps(fn)
    def method(self, *args: Any, **kwargs: Any) -> Figure:
        return fn(self, *args, **kwargs)

    return method

