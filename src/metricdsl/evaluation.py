"""`evaluate`: a small evaluation loop over batches, and `History`: per-epoch results.

tqdm (the ``progress`` extra) is imported only when a progress bar is asked for;
without it, `evaluate` draws a one-line text counter instead.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

import numpy as np

from .base import MetricBase
from .compile import MetricCollection, compile_metrics

__all__ = ["History", "evaluate"]


def _as_collection(metrics: Any) -> MetricCollection:
    if isinstance(metrics, MetricCollection):
        return metrics
    if isinstance(metrics, MetricBase):
        return compile_metrics([metrics])
    return compile_metrics(metrics)


def _to_python(value: Any) -> Any:
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array


def _split(batch: Any, index: int) -> tuple:
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(
            f"evaluate: batch {index} must be a tuple (y_true, y_pred[, sample_weight]) (or "
            "(x, y[, sample_weight]) with predict=); received "
            f"{type(batch).__name__} of length {len(batch) if hasattr(batch, '__len__') else '?'}.")
    return batch[0], batch[1], batch[2] if len(batch) == 3 else None


def evaluate(metrics: Any, batches: Iterable, *, predict: Callable | None = None,
             progress: bool = True, file: TextIO | None = None) -> dict[str, Any]:
    """Run metrics over batches; return their results (like Keras ``evaluate(return_dict=True)``).

    Args:
        metrics: A `MetricCollection` (reset first), a metric instance, or anything
            `compile_metrics` accepts.
        batches: An iterable of tuples. Without ``predict``: ``(y_true, y_pred)``
            or ``(y_true, y_pred, sample_weight)``. With ``predict``:
            ``(x, y[, sample_weight])`` and ``y_pred = predict(x)``.
        predict: Optional model function ``x -> y_pred`` (e.g. a jitted apply).
        progress: Show a progress bar with the running metric values (refreshed
            every 10 batches, since reading them waits for the device) that stays
            on screen with the final values. It is a tqdm bar when tqdm (the
            ``progress`` extra) is installed, else a one-line text counter; no
            warning either way.
        file: Where the bar is written; default ``sys.stderr``.

    Returns:
        ``{name: value}``: Python floats for scalar results, numpy arrays otherwise.

    Raises:
        ValueError: for a malformed batch or when ``batches`` is empty.

    Example:
        >>> import numpy as np
        >>> import metricdsl as md
        >>> batches = [(np.array([0.0, 1.0]), np.array([0.0, 0.5])),
        ...            (np.array([1.0, 1.0]), np.array([1.0, 0.0]))]
        >>> md.evaluate(["mae"], batches, progress=False)
        {'mae': 0.375}
    """
    collection = _as_collection(metrics)
    collection.reset_state()
    bar = _progress_bar(batches, file) if progress else None
    try:
        count = _run(collection, batches, predict, bar)
        if count == 0:
            raise ValueError("evaluate: batches was empty; there is nothing to evaluate.")
        results = {name: _to_python(value) for name, value in collection.result().items()}
        if bar is not None:
            bar.set_postfix_str(_postfix(results))
    finally:
        if bar is not None:
            bar.close()
    return results


def _run(collection: MetricCollection, batches: Iterable, predict: Callable | None,
         bar: Any) -> int:
    """Update ``collection`` with every batch; return how many there were."""
    count = 0
    for count, batch in enumerate(batches, start=1):
        first, second, sample_weight = _split(batch, count - 1)
        if predict is None:
            y_true, y_pred = first, second
        else:
            y_true, y_pred = second, predict(first)
        collection.update_state(y_true, y_pred, sample_weight=sample_weight)
        if bar is not None:
            bar.update(1)
            if count % _POSTFIX_EVERY == 0:
                bar.set_postfix_str(_postfix(collection.result()))
    return count


_POSTFIX_EVERY = 10  # batches between two reads of the running results (each one syncs)


def _postfix(results: Mapping[str, Any]) -> str:
    """``name=value`` for each scalar result (per-class arrays are left out of the bar)."""
    scalars = {name: np.asarray(value) for name, value in results.items()}
    return ", ".join(f"{name}={value.item():.4g}" for name, value in scalars.items()
                     if value.ndim == 0)


def _progress_bar(batches: Iterable, file: TextIO | None) -> Any:
    stream: TextIO = sys.stderr if file is None else file
    total = operator.length_hint(batches) or None
    try:
        from tqdm import tqdm
    except ImportError:
        return _TextBar(total, stream)
    return tqdm(total=total, desc="evaluate", unit="batch", leave=True, file=stream)


class _TextBar:
    """The progress line without tqdm: ``evaluate: 20/50 batches, mae=0.375``, redrawn in place.

    It draws only when the running results change (every ``_POSTFIX_EVERY``
    batches) and at the end, so it costs nothing per batch.
    """

    def __init__(self, total: int | None, file: TextIO) -> None:
        self.total, self.file, self.n, self.postfix, self.shown = total, file, 0, "", ""

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, postfix: str) -> None:
        self.postfix = postfix
        self._draw()

    def close(self) -> None:
        self._draw()
        self.file.write("\n")
        self.file.flush()

    def _draw(self) -> None:
        done = f"{self.n}/{self.total}" if self.total else str(self.n)
        line = f"evaluate: {done} batches" + (f", {self.postfix}" if self.postfix else "")
        if line != self.shown:
            self.file.write("\r" + line.ljust(len(self.shown)))  # spaces cover a longer one
            self.file.flush()
            self.shown = line


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


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
