"""Members shared by the confusion-matrix metrics (`confusion`, `thresholds` modules).

Not kernels: they read the metric's configuration and variables and call
the kernels of `metricdsl.functional.confusion`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..functional import (
    ConfusionCounts,
    SharedState,
    confusion_counts,
    is_evenly_distributed,
    parse_thresholds,
)
from ..functional._common import metric_label

__all__ = ["COUNT_NAMES", "add_count_variables", "batch_counts", "confusion_shared_state",
           "confusion_update_state", "count_state", "set_thresholds", "thresholds_get_config"]

COUNT_NAMES = ConfusionCounts._fields


def confusion_shared_state() -> SharedState:
    """The metric's update as one `confusion_counts` call: its static configuration as the key.

    Metrics whose configurations agree (thresholds, top_k, class_id, labels,
    logits, count dtype) keep the same counts of the same inputs: in a
    collection they compute them once. Each takes the cells it keeps.
    """
    multi_label = getattr(self, "multi_label", False)
    label_weights = None if multi_label else getattr(self, "label_weights", None)
    config = (("thresholds", tuple(self.thresholds)),
              ("evenly", self._thresholds_distributed_evenly),
              ("top_k", getattr(self, "top_k", None)),
              ("class_id", getattr(self, "class_id", None)),
              ("multi_label", multi_label), ("num_labels", getattr(self, "_num_labels", None)),
              ("label_weights", None if label_weights is None
               else tuple(np.asarray(label_weights).tolist())),
              ("from_logits", getattr(self, "_from_logits", False)),
              ("dtype", self.variables[0].dtype))
    kept = getattr(self, "_confusion_matrix_cond", None)
    fields = (kept,) if kept else tuple(n for n in COUNT_NAMES if hasattr(self, n))
    return SharedState(confusion_counts, config, fields, owner=metric_label(self))


def batch_counts(metric: Any, y_true, y_pred, sample_weight) -> ConfusionCounts:
    """The batch's counts from the metric's `confusion_shared_state` declaration."""
    return metric.shared_state().compute(y_true, y_pred, sample_weight)


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
