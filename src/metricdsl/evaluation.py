"""`evaluate`: a small evaluation loop over batches, and `History`: per-epoch results.

The progress line is Keras's, drawn without any third-party library::

    3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - mae: 0.3750 - mse: 0.1875
"""

from __future__ import annotations

import itertools
import math
import operator
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from .base import MetricBase
from .compile import MetricCollection, compile_metrics
from .plot import plot_history

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["History", "evaluate"]

_REFRESH_SECONDS = 0.1  # between two redraws of a live line (each one reads the results: a sync)
_BAR_WIDTH = 20


def _as_collection(metrics: Any) -> MetricCollection:
    if isinstance(metrics, MetricCollection):
        return metrics
    if isinstance(metrics, MetricBase):
        return compile_metrics([metrics])
    return compile_metrics(metrics)


def _to_python(value: Any) -> Any:
    """A Python float for a one-element result (``0.5``, never ``[0.5]``), else a numpy array."""
    array = np.asarray(value)
    return array.item() if array.size == 1 else array


def _split(batch: Any, index: int) -> tuple:
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(
            f"evaluate: batch {index} must be a tuple (y_true, y_pred[, sample_weight]) (or "
            "(x, y[, sample_weight]) with predict=); received "
            f"{type(batch).__name__} of length {len(batch) if hasattr(batch, '__len__') else '?'}.")
    return batch[0], batch[1], batch[2] if len(batch) == 3 else None


def _check_steps(steps: Any) -> int | None:
    if steps is None or (isinstance(steps, int) and not isinstance(steps, bool) and steps > 0):
        return steps
    raise ValueError(
        f"evaluate: steps must be a positive integer (the number of batches to draw) or None; "
        f"received {steps!r}.")


def evaluate(metrics: Any, batches: Iterable, *, predict: Callable | None = None,
             steps: int | None = None, progress: bool = True,
             file: TextIO | None = None) -> dict[str, Any]:
    """Run metrics over batches; return their results (like Keras ``evaluate(return_dict=True)``).

    Args:
        metrics: A `MetricCollection` (reset first), a metric instance, or anything
            `compile_metrics` accepts.
        batches: An iterable of tuples. Without ``predict``: ``(y_true, y_pred)``
            or ``(y_true, y_pred, sample_weight)``. With ``predict``:
            ``(x, y[, sample_weight])`` and ``y_pred = predict(x)``.
        predict: Optional model function ``x -> y_pred`` (e.g. a jitted apply).
        steps: Evaluate the first ``steps`` batches only (Keras's ``steps``): the
            bar's total for an iterator without a length, and the way to stop
            an endless one.
        progress: Show Keras's progress line, ``12/12 ━━━━ 0s 3ms/step - mae:
            0.3750``, with the running metric values (scalar ones). On a
            terminal or in Jupyter it is redrawn in place at most every 0.1 s
            (each redraw reads the results, which waits for the device); in a
            log file only the final line is written. The final line stays.
        file: Where the line is written; default ``sys.stderr``.

    Returns:
        ``{name: value}``: Python floats for scalar (and one-element) results,
        numpy arrays otherwise.

    Raises:
        ValueError: for a malformed batch, a bad ``steps``, or when ``batches`` is empty.

    Example:
        >>> import numpy as np
        >>> import metricdsl as md
        >>> batches = [(np.array([0.0, 1.0]), np.array([0.0, 0.5])),
        ...            (np.array([1.0, 1.0]), np.array([1.0, 0.0]))]
        >>> md.evaluate(["mae"], batches, progress=False)
        {'mae': 0.375}
    """
    steps = _check_steps(steps)
    collection = _as_collection(metrics)
    collection.reset_state()
    total = steps if steps is not None else (operator.length_hint(batches) or None)
    if steps is not None:
        batches = itertools.islice(batches, steps)
    bar = _ProgressBar(total, sys.stderr if file is None else file) if progress else None
    try:
        count = _run(collection, batches, predict, bar)
        if count == 0:
            raise ValueError("evaluate: batches was empty; there is nothing to evaluate.")
        results = {name: _to_python(value) for name, value in collection.result().items()}
        if bar is not None:
            bar.draw(count, results, final=True)
    finally:
        if bar is not None:
            bar.close()
    return results


def _run(collection: MetricCollection, batches: Iterable, predict: Callable | None,
         bar: _ProgressBar | None) -> int:
    """Update ``collection`` with every batch; return how many there were."""
    count = 0
    for count, batch in enumerate(batches, start=1):
        first, second, sample_weight = _split(batch, count - 1)
        if predict is None:
            y_true, y_pred = first, second
        else:
            y_true, y_pred = second, predict(first)
        collection.update_state(y_true, y_pred, sample_weight=sample_weight)
        if bar is not None and bar.due():
            bar.draw(count, collection.result())
    return count


def _interactive(file: TextIO) -> bool:
    """A terminal or a Jupyter output stream: a line can be redrawn in place with ``\\r``."""
    isatty = getattr(file, "isatty", None)
    return bool(isatty is not None and isatty()) or "ipykernel" in sys.modules


def _format_value(value: float) -> str:
    """Keras's number format: 4 decimals, or 4 significant digits for tiny values."""
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def _format_time(seconds: float, steps: int) -> str:
    """``"1s 93ms/step"``: elapsed time, then the time per batch in a readable unit."""
    per = seconds / max(steps, 1)
    unit = f"{per:.0f}s" if per >= 1 else f"{per * 1e3:.0f}ms" if per >= 1e-3 \
        else f"{per * 1e6:.0f}us"
    return f"{seconds:.0f}s {unit}/step"


class _ProgressBar:
    """Keras's progress line: ``7/12 ━━━━━━━━━━━──────── 1s 93ms/step - mae: 0.3750``.

    Live (redrawn in place) on a terminal or in Jupyter, at most every
    `_REFRESH_SECONDS`; elsewhere only the final line is written.
    """

    def __init__(self, total: int | None, file: TextIO) -> None:
        self.total, self.file, self.live = total, file, _interactive(file)
        self.start = self.last = time.monotonic()
        self.width = 0  # of the line on screen, covered with spaces by a shorter one

    def due(self) -> bool:
        """Whether a live line is due for a redraw (cheap: reads the clock only)."""
        return self.live and time.monotonic() - self.last >= _REFRESH_SECONDS

    def draw(self, count: int, results: Mapping[str, Any], final: bool = False) -> None:
        """Draw the line for ``count`` batches done; ``final`` ends it with a newline."""
        self.last = now = time.monotonic()
        line = f"{self._counter(count)} {_format_time(now - self.start, count)}"
        for name, value in results.items():
            array = np.asarray(value)
            if array.size == 1:  # per-class arrays are left out of the line
                line += f" - {name}: {_format_value(float(array.item()))}"
        if self.live:
            self.file.write("\r" + line.ljust(self.width))
            self.width = len(line)
        elif final:
            self.file.write(line)
        if final:
            self.file.write("\n")
            self.width = 0
        self.file.flush()

    def _counter(self, count: int) -> str:
        if self.total is None:
            return f"{count}/Unknown"
        done = min(_BAR_WIDTH, _BAR_WIDTH * count // self.total)
        return (f"{count:>{len(str(self.total))}}/{self.total} "
                + "━" * done + "─" * (_BAR_WIDTH - done))

    def close(self) -> None:
        """End a live line left unfinished (an error stopped the loop)."""
        if self.width:
            self.file.write("\n")
            self.file.flush()
            self.width = 0


class History:
    """Per-epoch results, keyed as Keras's ``History.history`` (validation keys get ``val_``).

    Every list has one value per recorded epoch (``nan`` where a key was absent
    that epoch), so the history converts to a table or data frame directly.

    Example:
        >>> import metricdsl as md
        >>> history = md.History()
        >>> history.append({"loss": 0.5, "mae": 0.25}, val_logs={"loss": 0.75})
        >>> history.append({"loss": 0.25, "mae": 0.125}, val_logs={"loss": 0.5})
        >>> history.to_dict()
        {'loss': [0.5, 0.25], 'mae': [0.25, 0.125], 'val_loss': [0.75, 0.5]}
        >>> print(history)
        epoch  loss    mae  val_loss
            0   0.5   0.25      0.75
            1  0.25  0.125       0.5
    """

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[Any]] = {}

    def append(self, logs: Mapping[str, Any] | None = None, *,
               val_logs: Mapping[str, Any] | None = None, epoch: int | None = None) -> None:
        """Record one epoch: ``logs`` as given, ``val_logs`` with a ``val_`` prefix.

        Args:
            logs: Training results ``{name: value}`` (e.g. ``collection.result()``).
            val_logs: Validation results; keys already starting with ``val_`` are kept.
            epoch: The epoch number; default the next one (0-based).
        """
        row = {k: _to_python(v) for k, v in (logs or {}).items()}
        for key, value in (val_logs or {}).items():
            row[key if key.startswith("val_") else f"val_{key}"] = _to_python(value)
        done = len(self.epoch)
        self.epoch.append(done if epoch is None else int(epoch))
        for key in row:
            self.history.setdefault(key, [math.nan] * done)
        for key, values in self.history.items():
            values.append(row.get(key, math.nan))

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, list[Any]]:
        """``{name: [value per epoch]}``: training keys, then ``val_`` keys."""
        keys = [k for k in self.history if not k.startswith("val_")] + \
            [k for k in self.history if k.startswith("val_")]
        return {k: list(self.history[k]) for k in keys}

    def __str__(self) -> str:
        data = self.to_dict()
        columns = {"epoch": [str(e) for e in self.epoch]}
        for key, values in data.items():
            columns[key] = [_cell(v) for v in values]
        widths = {k: max([len(k)] + [len(c) for c in cells]) for k, cells in columns.items()}
        lines = ["  ".join(k.rjust(widths[k]) for k in columns)]
        for row in range(len(self.epoch)):
            lines.append("  ".join(columns[k][row].rjust(widths[k]) for k in columns))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.to_dict())}>"

    def plot(self, keys: list[str] | None = None) -> Figure:
        """Per-epoch curves, one panel per metric with its ``val_`` line (R's ``plot(history)``).

        See `metricdsl.plot.plot_history`; needs matplotlib (the ``plot`` extra).

        Args:
            keys: The metrics to draw (names without ``val_``); default every scalar one.

        Returns:
            The matplotlib ``Figure``.
        """
        return plot_history(self, keys)


def _cell(value: Any) -> str:
    """A table cell: ``0.375``; an array as ``[0.5, 0.25]`` (4 significant digits, no wrapping)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, np.ndarray):
        text = np.array2string(value, separator=", ", max_line_width=10**6,
                               formatter={"float_kind": lambda v: f"{v:.4g}"})
        return text.replace("\n", "")
    return str(value)
