"""`compile_metrics`: Keras ``compile(metrics=..., weighted_metrics=...)`` → a collection."""

from __future__ import annotations

from typing import Any

from .collection import MetricCollection

__all__ = ["compile_metrics"]


def compile_metrics(metrics: Any = None, weighted_metrics: Any = None, *,
                    output_names: list[str] | None = None) -> MetricCollection:
    """Resolve a Keras ``compile(metrics=..., weighted_metrics=...)`` configuration.

    Entries are string identifiers (``"accuracy"``/``"acc"`` chosen by the first
    batch's shapes as Keras does; class names; snake-case names; ``mse``,
    ``mae``, ``mape``, ``msle``, ``bce``; and beyond Keras ``rmse``, ``kld``,
    ``logcosh``, ``huber`` and ``crossentropy``/``ce`` chosen by shape), metric
    classes (built with no arguments), instances, functions
    ``fn(y_true, y_pred)`` (averaged by a `metric_mean_wrapper` named after the
    function) and config dicts ``{"class_name": ..., "config": {...}}``.

    Args:
        metrics: An entry, a list of entries, a dict ``{output name: entries}``,
            or a list with one entry (or list) per output. Updated without
            ``sample_weight``.
        weighted_metrics: The same, for metrics that receive ``sample_weight``.
        output_names: Names of the outputs when ``y_pred`` is a list (dict
            outputs are named by their keys). Results of a multi-output model
            are keyed ``<output>_<name>``.

    Returns:
        A `MetricCollection` (resolved at its first update or `build`).

    Raises:
        ValueError: (``CompileMetricsError`` or ``UnknownIdentifierError``) for an
            unknown string (close matches listed) or a non-metric entry.

    Example:
        >>> import numpy as np
        >>> import metricdsl as md
        >>> c = md.compile_metrics(["mse"], weighted_metrics=["mse"])
        >>> y_true = np.array([[0.0], [1.0]]); y_pred = np.array([[0.5], [1.0]])
        >>> c.update_state(y_true, y_pred, sample_weight=np.array([1.0, 0.0]))
        >>> {k: round(float(v), 3) for k, v in c.result().items()}
        {'mse': 0.125, 'weighted_mse': 0.25}
    """
    return MetricCollection(metrics, weighted_metrics, output_names=output_names)
