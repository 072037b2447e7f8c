"""Confusion-matrix counts and rates: TP/FP/TN/FN, precision, recall (Keras ``confusion_metrics``).

Every metric here counts weighted true/false positives/negatives at a list of
thresholds (a prediction is positive at ``t`` when ``y_pred > t``, strictly),
with the kernels of `metricdsl.functional.confusion` (O(N log T) time, O(N +
T) memory, never the N×T comparison matrix). The curve metrics over a grid
of thresholds (AUC, sensitivity at specificity, ...) are in `thresholds`.

State variables are floatx regardless of the metric ``dtype`` (as in Keras),
exactly Keras's variables; their sums are compensated (the residual is
auxiliary state, not a variable), so float32 counts stay exact past 2^24
where Keras's stall.

``higher_is_better``: None for the raw counts, True for precision and recall.
"""

from __future__ import annotations

from typing import Any

from ..factory import Metric
from ..functional import (
    NEG_INF,
    Thresholds,
    check_int,
    one_or_all,
    precision_from_counts,
    recall_from_counts,
)
from ..functional._common import metric_label
from ..functional.numbers import Integral
from ._confusion_members import (
    add_count_variables,
    batch_counts,
    confusion_shared_state,
    confusion_update_state,
    count_state,
    set_thresholds,
    thresholds_get_config,
)

__all__ = [
    "metric_false_negatives",
    "metric_false_positives",
    "metric_precision",
    "metric_recall",
    "metric_true_negatives",
    "metric_true_positives",
]


# -- TruePositives / FalsePositives / TrueNegatives / FalseNegatives ----------------------------
def _count_initialize(confusion_matrix_cond: str, thresholds: Thresholds = None,
                      name: str | None = None, dtype: Any = None):
    """Weighted count of one confusion-matrix cell at each threshold."""
    super.initialize(name=name, dtype=dtype)
    self._confusion_matrix_cond = confusion_matrix_cond
    set_thresholds(self, thresholds, 0.5)
    add_count_variables(self, (len(self.thresholds),), ["accumulator"])


def _count_update_state(y_true, y_pred, sample_weight=None):
    """Add the batch's weighted count of the cell at each threshold.

    Args:
        y_true: Ground truth; nonzero means positive.
        y_pred: Predictions, compared with each threshold (``y_pred > t``).
        sample_weight: Optional weights, a scalar or broadcastable to ``y_true``.
    """
    counts = batch_counts(self, y_true, y_pred, sample_weight)
    self.accumulator.assign_add(getattr(counts, self._confusion_matrix_cond))


def _count_result():
    """The count: a scalar for one threshold, else one value per threshold."""
    return one_or_all(self.accumulator.value)


_ConfusionMatrixConditionCount = Metric(
    "_ConfusionMatrixConditionCount", initialize=_count_initialize,
    update_state=_count_update_state, result=_count_result, get_config=thresholds_get_config,
    shared_state=confusion_shared_state, higher_is_better=None)


def _tp_initialize(thresholds: Thresholds = None, name: str | None = None, dtype: Any = None):
    """Weighted number of true positives (``y_true ≠ 0`` and ``y_pred > t``) per threshold.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default ``0.5``);
            a list gives one count per threshold.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for thresholds outside ``[0, 1]``.

    Example:
        >>> m = metric_true_positives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> float(m.result())
        2.0
        >>> m.reset_state()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        >>> float(m.result())
        1.0
    """
    super.initialize("true_positives", thresholds=thresholds, name=name, dtype=dtype)


metric_true_positives = Metric(
    "TruePositives", initialize=_tp_initialize, inherit=_ConfusionMatrixConditionCount,
    higher_is_better=None)


def _fp_initialize(thresholds: Thresholds = None, name: str | None = None, dtype: Any = None):
    """Weighted number of false positives (``y_true = 0`` and ``y_pred > t``) per threshold.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default ``0.5``);
            a list gives one count per threshold.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for thresholds outside ``[0, 1]``.

    Example:
        >>> m = metric_false_positives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> float(m.result())
        2.0
        >>> m = metric_false_positives(thresholds=[0.15, 0.5, 0.85])
        >>> m.update_state([0, 0, 0, 1], [0.9, 0.6, 0.2, 0.7])
        >>> m.result().tolist()
        [3.0, 2.0, 1.0]
    """
    super.initialize("false_positives", thresholds=thresholds, name=name, dtype=dtype)


metric_false_positives = Metric(
    "FalsePositives", initialize=_fp_initialize, inherit=_ConfusionMatrixConditionCount,
    higher_is_better=None)


def _tn_initialize(thresholds: Thresholds = None, name: str | None = None, dtype: Any = None):
    """Weighted number of true negatives (``y_true = 0`` and ``y_pred <= t``) per threshold.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default ``0.5``);
            a list gives one count per threshold.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for thresholds outside ``[0, 1]``.

    Example:
        >>> m = metric_true_negatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> float(m.result())
        2.0
        >>> m.reset_state()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0], sample_weight=[0, 0, 1, 0])
        >>> float(m.result())
        1.0
    """
    super.initialize("true_negatives", thresholds=thresholds, name=name, dtype=dtype)


metric_true_negatives = Metric(
    "TrueNegatives", initialize=_tn_initialize, inherit=_ConfusionMatrixConditionCount,
    higher_is_better=None)


def _fn_initialize(thresholds: Thresholds = None, name: str | None = None, dtype: Any = None):
    """Weighted number of false negatives (``y_true ≠ 0`` and ``y_pred <= t``) per threshold.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default ``0.5``);
            a list gives one count per threshold.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for thresholds outside ``[0, 1]``.

    Example:
        >>> m = metric_false_negatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> float(m.result())
        2.0
        >>> m.reset_state()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0], sample_weight=[0, 0, 1, 0])
        >>> float(m.result())
        1.0
    """
    super.initialize("false_negatives", thresholds=thresholds, name=name, dtype=dtype)


metric_false_negatives = Metric(
    "FalseNegatives", initialize=_fn_initialize, inherit=_ConfusionMatrixConditionCount,
    higher_is_better=None)


# -- Precision / Recall -------------------------------------------------------------------------
def _thresholded_setup(metric, thresholds, top_k, class_id, names):
    metric.top_k = check_int(metric_label(metric), "top_k", top_k, 1)
    metric.class_id = check_int(metric_label(metric), "class_id", class_id, 0)
    set_thresholds(metric, thresholds, 0.5 if top_k is None else NEG_INF)
    add_count_variables(metric, (len(metric.thresholds),), names)


def _precision_initialize(thresholds: Thresholds = None, top_k: Integral | None = None,
                          class_id: Integral | None = None, name: str | None = None,
                          dtype: Any = None):
    """Precision ``tp / (tp + fp)`` at each threshold.

    With ``top_k``, only the ``k`` highest predictions of each sample can be
    positive (default threshold then ``NEG_INF``: any prediction in the top
    ``k``). With ``class_id``, only that column of ``(N, C)`` inputs counts
    (after the top-k filter).

    Args:
        thresholds: A float or a list of floats in ``[0, 1]``; default ``0.5``
            (``NEG_INF`` with ``top_k``). A list gives a vector result.
        top_k: Optional integer >= 1.
        class_id: Optional class index in ``[0, num_classes)``.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for thresholds outside ``[0, 1]``, ``top_k < 1`` or a
            negative ``class_id`` (a ``class_id`` beyond the classes is reported
            at the first update).

    Example:
        >>> m = metric_precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 6)
        0.666667
        >>> m = metric_precision(top_k=2)
        >>> m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
        >>> float(m.result())
        0.0
    """
    super.initialize(name=name, dtype=dtype)
    _thresholded_setup(self, thresholds, top_k, class_id, ("true_positives", "false_positives"))


def _precision_result():
    """Precision: a scalar for one threshold, else one value per threshold."""
    return one_or_all(precision_from_counts(*count_state(self)))


metric_precision = Metric(
    "Precision", initialize=_precision_initialize, update_state=confusion_update_state,
    result=_precision_result, get_config=thresholds_get_config,
    shared_state=confusion_shared_state, higher_is_better=True)


def _recall_initialize(thresholds: Thresholds = None, top_k: Integral | None = None,
                       class_id: Integral | None = None, name: str | None = None,
                       dtype: Any = None):
    """Recall ``tp / (tp + fn)`` at each threshold.

    ``top_k`` and ``class_id`` work as in `metric_precision`.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]``; default ``0.5``
            (``NEG_INF`` with ``top_k``). A list gives a vector result.
        top_k: Optional integer >= 1.
        class_id: Optional class index in ``[0, num_classes)``.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for thresholds outside ``[0, 1]``, ``top_k < 1`` or a
            negative ``class_id``.

    Example:
        >>> m = metric_recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 6)
        0.666667
        >>> m = metric_recall(thresholds=[0.5, 0.9])
        >>> m.update_state([0, 1, 1, 1], [0.2, 0.6, 0.95, 0.3])
        >>> [round(float(v), 6) for v in m.result()]
        [0.666667, 0.333333]
    """
    super.initialize(name=name, dtype=dtype)
    _thresholded_setup(self, thresholds, top_k, class_id, ("true_positives", "false_negatives"))


def _recall_result():
    """Recall: a scalar for one threshold, else one value per threshold."""
    return one_or_all(recall_from_counts(*count_state(self)))


metric_recall = Metric(
    "Recall", initialize=_recall_initialize, update_state=confusion_update_state,
    result=_recall_result, get_config=thresholds_get_config,
    shared_state=confusion_shared_state, higher_is_better=True)


