"""Members shared by the confusion-matrix metrics (`confusion`, `thresholds` modules).

Not kernels: they read the metric's configuration and variables and call
the kernels of `metricdsl.functional.confusion`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..functional import ConfusionCounts, confusion_counts, is_evenly_distributed, parse_thresholds
from ..functional._common import metric_label

__all__ = ["COUNT_NAMES", "add_count_variables", "confusion_update_state", "count_state",
           "set_thresholds", "thresholds_get_config"]

COUNT_NAMES = ConfusionCounts._fields


def batch_counts(metric: Any, y_true, y_pred, sample_weight) -> ConfusionCounts:
    """`confusion_counts` with the metric's static configuration."""
    multi_label = getattr(metric, "multi_label", False)
    return confusion_counts(
        y_true, y_pred, sample_weight, thresholds=tuple(metric.thresholds),
        evenly=metric._thresholds_distributed_evenly, top_k=getattr(metric, "top_k", None),
        class_id=getattr(metric, "class_id", None), multi_label=multi_label,
        num_labels=getattr(metric, "_num_labels", None),
        label_weights=None if multi_label else getattr(metric, "label_weights", None),
        from_logits=getattr(metric, "_from_logits", False),
        dtype=metric.variables[0].dtype, owner=metric_label(metric))


def count_state(metric: Any) -> list:
    """The metric's TP, FP, TN, FN values (those it keeps)."""
    return [getattr(metric, name).value for name in COUNT_NAMES if hasattr(metric, name)]


def confusion_update_state(y_true, y_pred, sample_weight=None):
    """Accumulate the batch's counts into the metric's TP/FP/TN/FN variables.

    Args:
        y_true: Ground truth; nonzero means positive.
        y_pred: Predictions (scores), compared with each threshold.
        sample_weight: Optional weights, a scalar or broadcastable to ``y_true``.
    """
    counts = batch_counts(self, y_true, y_pred, sample_weight)
    for name in COUNT_NAMES:
        if hasattr(self, name):
            getattr(self, name).assign_add(getattr(counts, name))


def thresholds_get_config():
    """Keras's config, with ``thresholds`` (as given) made JSON-able."""
    config = super.get_config()
    given = self.init_thresholds
    config["thresholds"] = given.tolist() if hasattr(given, "tolist") else given
    return config


def set_thresholds(metric: Any, thresholds: Any, default: float) -> None:
    """Keep ``thresholds`` as given, parsed, and whether they are evenly spaced (Keras's fields)."""
    metric.init_thresholds = thresholds
    metric.thresholds = parse_thresholds(metric_label(metric), thresholds, default)
    metric._thresholds_distributed_evenly = is_evenly_distributed(metric.thresholds)


def add_count_variables(metric: Any, shape: tuple, names: Sequence[str]) -> None:
    """One floatx count variable per name (Keras's; float sums are compensated, exact)."""
    for name in names:
        setattr(metric, name, metric.add_variable(shape, "zeros", name=name))
