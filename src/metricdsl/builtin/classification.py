"""Multiclass classification: precision/recall/F1, confusion matrix, MCC, kappa, balanced accuracy.

Two fixed-size states, both additive (streamed batches and `merge_state` over
shards equal one pass):

- `metric_multiclass_precision`, `metric_multiclass_recall`,
  `metric_multiclass_f1_score`: per-class ``(tp, fp, fn, support)``
  vectors of shape ``(num_classes,)``;
- `metric_confusion_matrix`, `metric_matthews_correlation`,
  `metric_cohen_kappa`, `metric_balanced_accuracy`: a ``(num_classes,
  num_classes)`` confusion matrix (rows true, columns predicted).

Two binary ranking metrics over scores: `metric_average_precision` (counts at
evenly spaced thresholds) and `metric_exact_auc` (a histogram of the scores'
float32 bit patterns, exact for bfloat16 scores).

Input rules (`metricdsl.functional.classification`): ``y_true`` holds class
ids or one-hot rows; ``y_pred`` holds scores ``(N, num_classes)`` (the first
maximum is predicted) or class ids; with ``num_classes=2`` floating
``y_pred`` of another shape is the probability of class 1 (``> 0.5``).
States are floatx sums (exact: compensated float32), so fractional
``sample_weight`` works; `metric_exact_auc` keeps a plain float32 histogram
with a record of its rounding instead. Scores follow scikit-learn with
``labels=range(num_classes)``, except that undefined results (no data,
0/0) are 0.0 where scikit-learn warns and gives NaN. ``higher_is_better``
is True except for the confusion matrix (None).
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..factory import Metric
from ..functional import (
    CURVES,
    ClassCounts,
    accumulate_score_histogram,
    average_precision_from_counts,
    balanced_accuracy,
    check_average,
    check_int,
    check_num_bins,
    check_num_classes,
    check_option,
    check_unit,
    check_zero_division,
    class_confusion_matrix,
    class_counts,
    cohen_kappa,
    confusion_counts,
    curve_error_bound,
    curve_from_histogram,
    evenly_spaced_thresholds,
    matthews_correlation,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
    normalized_confusion_matrix,
)
from ..functional._common import metric_label
from ..functional.numbers import Integral, Real
from ..plot import plot_confusion_matrix, plot_method

__all__ = [
    "metric_average_precision", "metric_balanced_accuracy", "metric_cohen_kappa",
    "metric_confusion_matrix", "metric_exact_auc",
    "metric_matthews_correlation", "metric_multiclass_f1_score", "metric_multiclass_precision",
    "metric_multiclass_recall",
]

_COUNT_NAMES = ClassCounts._fields


# -- per-class counts: precision / recall / F1 --------------------------------------------------
def _prf_initialize(num_classes: Integral, average: str | None = "macro",
                    zero_division: Real = 0.0, threshold: Real | None = None,
                    top_k: Integral | None = None, name: str | None = None, dtype: Any = None):
    """Shared set-up: check the arguments, then one ``(num_classes,)`` variable per count."""
    label = metric_label(self)
    self.num_classes = check_num_classes(label, num_classes)
    self.average = check_average(label, average)
    self.zero_division = check_zero_division(label, zero_division)
    self.threshold = None if threshold is None else check_unit(label, "threshold", threshold)
    self.top_k = check_int(label, "top_k", top_k, 1)
    if self.top_k is not None and self.top_k > self.num_classes:
        raise ValueError(f"{label}: top_k={top_k} exceeds num_classes={num_classes}; pass "
                         "top_k <= num_classes.")
    super.initialize(name=name, dtype=dtype)
    for count in _COUNT_NAMES:
        setattr(self, count, self.add_variable((self.num_classes,), "zeros", name=count))


def _prf_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch's weighted per-class counts.

    Args:
        y_true: Class ids ``(N,)``/``(N, 1)`` or one-hot ``(N, C)``; multi-hot
            ``(N, C)`` with a ``threshold``.
        y_pred: Scores ``(N, C)`` or class ids ``(N,)`` (scores with
            ``threshold`` or ``top_k``).
        sample_weight: Optional scalar, ``(N,)``, ``(N, 1)`` (or ``(N, C)`` multilabel) weights.

    Raises:
        ValueError: for shapes that do not fit these rules.
    """
    counts = class_counts(y_true, y_pred, sample_weight, num_classes=self.num_classes,
                          threshold=self.threshold, top_k=self.top_k,
                          dtype=self.true_positives.dtype, owner=metric_label(self))
    for count, value in zip(_COUNT_NAMES, counts):
        getattr(self, count).assign_add(value)


def _prf_result():
    counts = [getattr(self, count) for count in _COUNT_NAMES]
    return self._score(*counts, average=self.average, zero_division=self.zero_division)


_MulticlassCounts = Metric(
    "_MulticlassCounts", initialize=_prf_initialize, update_state=_prf_update_state,
    result=_prf_result, higher_is_better=True)


def _precision_initialize(num_classes: Integral, average: str | None = "macro",
                          zero_division: Real = 0.0, threshold: Real | None = None,
                          top_k: Integral | None = None, name: str | None = "multiclass_precision",
                          dtype: Any = None):
    """Multiclass (or multilabel) precision ``tp / (tp + fp)``, as sklearn's ``precision_score``.

    Counts are accumulated per class over every batch, weighted by
    ``sample_weight``; the result is scikit-learn's with
    ``labels=range(num_classes)``. Without ``threshold`` each sample has one
    predicted class (the first maximum of its scores, or its id); with
    ``top_k`` its ``k`` highest-scored classes; with ``threshold`` every class
    whose score is ``> threshold`` (multilabel, multi-hot ``y_true``).

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        average: ``"micro"`` (counts pooled: accuracy for single-label inputs),
            ``"macro"`` (mean over classes), ``"weighted"`` (by support) or
            ``None`` (one value per class).
        zero_division: A class's value when its denominator is 0: ``0.0``,
            ``1.0`` or ``float("nan")`` (NaN classes are left out of averages).
        threshold: ``None`` or a float in ``[0, 1]`` (multilabel mode).
        top_k: ``None`` or an integer in ``[1, num_classes]``.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_classes < 2``, an unknown ``average``, a
            ``zero_division`` other than 0, 1 or NaN, a ``threshold`` outside
            ``[0, 1]``, or ``top_k`` outside ``[1, num_classes]``.

    Example:
        >>> m = metric_multiclass_precision(3)
        >>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1])
        >>> round(float(m.result()), 6)
        0.5
    """
    super.initialize(num_classes, average=average, zero_division=zero_division,
                     threshold=threshold, top_k=top_k, name=name, dtype=dtype)


metric_multiclass_precision = Metric(
    "MulticlassPrecision", initialize=_precision_initialize, inherit=_MulticlassCounts,
    _score=staticmethod(multiclass_precision), higher_is_better=True)


def _recall_initialize(num_classes: Integral, average: str | None = "macro",
                       zero_division: Real = 0.0, threshold: Real | None = None,
                       top_k: Integral | None = None, name: str | None = "multiclass_recall",
                       dtype: Any = None):
    """Multiclass (or multilabel) recall ``tp / (tp + fn)``, as scikit-learn's ``recall_score``.

    Same state, inputs and arguments as `metric_multiclass_precision`.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        average: ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``.
        zero_division: ``0.0``, ``1.0`` or ``float("nan")``.
        threshold: ``None`` or a float in ``[0, 1]`` (multilabel mode).
        top_k: ``None`` or an integer in ``[1, num_classes]``.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for the arguments `metric_multiclass_precision` rejects.

    Example:
        >>> m = metric_multiclass_recall(3, average=None)
        >>> m.update_state([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]],
        ...                [[0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.1, 0.6, 0.3]])
        >>> m.result().tolist()
        [1.0, 0.0, 0.5]
    """
    super.initialize(num_classes, average=average, zero_division=zero_division,
                     threshold=threshold, top_k=top_k, name=name, dtype=dtype)


metric_multiclass_recall = Metric(
    "MulticlassRecall", initialize=_recall_initialize, inherit=_MulticlassCounts,
    _score=staticmethod(multiclass_recall), higher_is_better=True)


def _f1_initialize(num_classes: Integral, average: str | None = "macro",
                   zero_division: Real = 0.0, threshold: Real | None = None,
                   top_k: Integral | None = None, name: str | None = "multiclass_f1_score",
                   dtype: Any = None):
    """Multiclass (or multilabel) F1 ``2tp / (2tp + fp + fn)``, as scikit-learn's ``f1_score``.

    Same state, inputs and arguments as `metric_multiclass_precision`; no
    epsilon smoothing (unlike `metric_f1_score`, Keras's).

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        average: ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``.
        zero_division: ``0.0``, ``1.0`` or ``float("nan")``.
        threshold: ``None`` or a float in ``[0, 1]`` (multilabel mode).
        top_k: ``None`` or an integer in ``[1, num_classes]``.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for the arguments `metric_multiclass_precision` rejects.

    Example:
        >>> m = metric_multiclass_f1_score(3, threshold=0.5, average="micro")
        >>> m.update_state([[1, 0, 1], [0, 1, 0]], [[0.9, 0.2, 0.4], [0.6, 0.7, 0.1]])
        >>> round(float(m.result()), 6)
        0.666667
    """
    super.initialize(num_classes, average=average, zero_division=zero_division,
                     threshold=threshold, top_k=top_k, name=name, dtype=dtype)


metric_multiclass_f1_score = Metric(
    "MulticlassF1Score", initialize=_f1_initialize, inherit=_MulticlassCounts,
    _score=staticmethod(multiclass_f1_score), higher_is_better=True)


# -- confusion-matrix state ---------------------------------------------------------------------
def _cm_initialize(num_classes: Integral, name: str | None = None, dtype: Any = None):
    """Shared set-up: check ``num_classes``, then the ``(C, C)`` ``confusion_matrix`` variable."""
    self.num_classes = check_num_classes(metric_label(self), num_classes)
    super.initialize(name=name, dtype=dtype)
    self.confusion_matrix = self.add_variable((self.num_classes, self.num_classes), "zeros",
                                              name="confusion_matrix")


def _cm_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch's weighted confusion matrix.

    Args:
        y_true: Class ids ``(N,)``/``(N, 1)`` or one-hot rows ``(N, C)``.
        y_pred: Scores ``(N, C)``, class ids, or (``num_classes=2``) probabilities of class 1.
        sample_weight: Optional scalar or one weight per sample.

    Raises:
        ValueError: if the numbers of labels, predictions and weights differ.
    """
    self.confusion_matrix.assign_add(class_confusion_matrix(
        y_true, y_pred, sample_weight, num_classes=self.num_classes,
        dtype=self.confusion_matrix.dtype, owner=metric_label(self)))


_ConfusionMatrixState = Metric(
    "_ConfusionMatrixState", initialize=_cm_initialize, update_state=_cm_update_state,
    higher_is_better=None)

_NORMALIZE = (None, "true", "pred", "all")


def _confusion_initialize(num_classes: Integral, normalize: str | None = None,
                          name: str | None = "confusion_matrix", dtype: Any = None):
    """The weighted confusion matrix, as scikit-learn's ``confusion_matrix``.

    ``result[i, j]`` is the total weight of samples of true class ``i``
    predicted as ``j``, optionally normalized over rows (``"true"``),
    columns (``"pred"``) or the total (``"all"``); empty rows or columns
    give 0, as scikit-learn.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        normalize: ``None``, ``"true"``, ``"pred"`` or ``"all"``.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_classes < 2`` or an unknown ``normalize``.

    Example:
        >>> m = metric_confusion_matrix(3)
        >>> m.update_state([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
        >>> m.result().tolist()
        [[2.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 2.0]]
    """
    self.normalize = check_option(metric_label(self), "normalize", normalize, _NORMALIZE)
    super.initialize(num_classes, name=name, dtype=dtype)


def _confusion_result():
    return normalized_confusion_matrix(self.confusion_matrix, self.normalize)


metric_confusion_matrix = Metric(
    "ConfusionMatrix", initialize=_confusion_initialize, result=_confusion_result,
    inherit=_ConfusionMatrixState, higher_is_better=None,
    plot=plot_method(plot_confusion_matrix))


def _mcc_initialize(num_classes: Integral = 2, name: str | None = "matthews_correlation",
                    dtype: Any = None):
    """Matthews correlation coefficient, as scikit-learn's ``matthews_corrcoef`` (multiclass R_K).

    From the accumulated confusion matrix; in ``[-1, 1]``, 0 when all labels
    or all predictions fall in one class (as scikit-learn) or with no data.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2; default 2).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_classes < 2``.

    Example:
        >>> m = metric_matthews_correlation()
        >>> m.update_state([1, 1, 1, 0], [0.9, 0.2, 0.8, 0.4])
        >>> round(float(m.result()), 6)
        0.57735
    """
    super.initialize(num_classes, name=name, dtype=dtype)


def _mcc_result():
    return matthews_correlation(self.confusion_matrix)


metric_matthews_correlation = Metric(
    "MatthewsCorrelation", initialize=_mcc_initialize, result=_mcc_result,
    inherit=_ConfusionMatrixState, higher_is_better=True)

_KAPPA_WEIGHTS = (None, "linear", "quadratic")


def _kappa_initialize(num_classes: Integral, weights: str | None = None,
                      name: str | None = "cohen_kappa", dtype: Any = None):
    """Cohen's kappa, as scikit-learn's ``cohen_kappa_score`` (``y_true`` the first rater).

    ``1 - Σ w·O / Σ w·E`` from the accumulated confusion matrix ``O`` and
    its chance matrix ``E``; ``weights`` ``"linear"``/``"quadratic"`` score
    ordinal disagreement by ``|i - j|``/``(i - j)²``. 0 when undefined (no
    data, or a single class throughout) where scikit-learn gives NaN.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        weights: ``None``, ``"linear"`` or ``"quadratic"``.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_classes < 2`` or unknown ``weights``.

    Example:
        >>> m = metric_cohen_kappa(3)
        >>> m.update_state([0, 1, 2, 2], [0, 1, 2, 1])
        >>> round(float(m.result()), 6)
        0.636364
    """
    self.weights = check_option(metric_label(self), "weights", weights, _KAPPA_WEIGHTS)
    super.initialize(num_classes, name=name, dtype=dtype)


def _kappa_result():
    return cohen_kappa(self.confusion_matrix, self.weights)


metric_cohen_kappa = Metric(
    "CohenKappa", initialize=_kappa_initialize, result=_kappa_result,
    inherit=_ConfusionMatrixState, higher_is_better=True)


def _balanced_initialize(num_classes: Integral, name: str | None = "balanced_accuracy",
                         dtype: Any = None):
    """Balanced accuracy, as scikit-learn's ``balanced_accuracy_score``: mean per-class recall.

    Classes without true samples are left out of the mean; 0 with no data.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_classes < 2``.

    Example:
        >>> m = metric_balanced_accuracy(2)
        >>> m.update_state([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])
        >>> round(float(m.result()), 6)
        0.625
    """
    super.initialize(num_classes, name=name, dtype=dtype)


def _balanced_result():
    return balanced_accuracy(self.confusion_matrix)


metric_balanced_accuracy = Metric(
    "BalancedAccuracy", initialize=_balanced_initialize, result=_balanced_result,
    inherit=_ConfusionMatrixState, higher_is_better=True)


# -- average precision --------------------------------------------------------------------------
_AP_COUNTS = ("true_positives", "false_positives", "false_negatives")


def _ap_initialize(num_thresholds: Integral = 200, name: str | None = "average_precision",
                   dtype: Any = None):
    """Average precision ``Σ (R_j - R_{j+1})·P_j``, sklearn's step function, over binned scores.

    Binary ``y_true`` (nonzero is positive) and scores ``y_pred`` in ``[0,
    1]`` (clipped) are counted at ``num_thresholds`` thresholds as
    `metric_auc` does: ``-ε``, ``i/(num_thresholds-1)``, ``1+ε``; inputs of
    any shape are pooled. The result is exactly scikit-learn's
    ``average_precision_score`` on the scores rounded up to their bucket
    (scores in one bucket tie). Binning error: it differs from the exact AP
    only through buckets holding more than one sample, by at most the share
    of positives lying in such buckets (each bucket's term ``ΔR·P`` moves by
    at most ``ΔR``); none when every bucket holds at most one sample.
    0 with no positives.

    Args:
        num_thresholds: Number of thresholds (an integer >= 2, default 200).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_thresholds < 2``.

    Example:
        >>> m = metric_average_precision()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> round(float(m.result()), 6)
        0.833333
    """
    label = metric_label(self)
    self.num_thresholds = check_int(label, "num_thresholds", num_thresholds, 2, none_ok=False)
    super.initialize(name=name, dtype=dtype)
    inner = evenly_spaced_thresholds(self.num_thresholds)[1:-1]
    self.thresholds = [0.0 - ops.EPSILON, *inner, 1.0 + ops.EPSILON]
    for count in _AP_COUNTS:
        setattr(self, count, self.add_variable((self.num_thresholds,), "zeros", name=count))


def _ap_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch's counts at each threshold.

    Args:
        y_true: Binary labels (nonzero is positive), any shape.
        y_pred: Scores in ``[0, 1]``, the same shape (a trailing size-1 axis aside).
        sample_weight: Optional scalar or weights broadcastable to ``y_true``.

    Raises:
        ValueError: if the shapes of ``y_true`` and ``y_pred`` differ.
    """
    counts = confusion_counts(y_true, y_pred, sample_weight, thresholds=self.thresholds,
                              evenly=True, dtype=self.true_positives.dtype,
                              owner=metric_label(self))
    for count in _AP_COUNTS:
        getattr(self, count).assign_add(getattr(counts, count))


def _ap_result():
    return average_precision_from_counts(*(getattr(self, c) for c in _AP_COUNTS))


metric_average_precision = Metric(
    "AveragePrecision", initialize=_ap_initialize, update_state=_ap_update_state,
    result=_ap_result, higher_is_better=True)


# -- exact ROC AUC / average precision ----------------------------------------------------------
def _exact_auc_initialize(curve: str = "ROC", num_bins: Integral = 65536,
                          name: str | None = "exact_auc", dtype: Any = None):
    """ROC AUC or average precision from a fixed histogram of the scores' float32 bit patterns.

    Each score (cast to float32) falls in one of ``num_bins`` bins ordered as
    the scores: the top ``log2(num_bins)`` bits of its order-preserving bit
    pattern (`metricdsl.functional.curves`). The state is the (weighted)
    count of negatives and positives per bin, ``histogram`` of shape ``(2,
    num_bins)`` in float32 (512 KiB at the default 2**16 bins), and its
    rounding record, ``additions`` and ``inexact`` (int32 scalars), so
    memory does not grow with N and shards merge by addition. Unweighted
    counts and whole-number weights are exact while no bin exceeds 2**24;
    beyond that, or with fractional weights, `error_bound` accounts for the
    rounding from the record. ``curve="ROC"`` gives scikit-learn's
    ``roc_auc_score`` (Mann-Whitney, ties half), ``curve="PR"`` its
    ``average_precision_score``, on the scores tied within bins: exactly
    theirs (up to float32 rounding, 2**-20 relative) whenever scores share a
    bin only when equal, as bfloat16 scores with the default 2**16 bins (and
    float16 scores that are bfloat16 values), and the state is exact.
    Otherwise `error_bound` gives a guaranteed bound on the distance to the
    exact value, from the state. Binary ``y_true`` (nonzero is positive)
    and ``y_pred`` of the same shape (a trailing size-1 axis aside) are
    flattened and pooled; multi-label columns are not kept apart. Weights
    must not be negative; ``validate=True`` checks that, labels 0/1 and
    finite scores. 0 when undefined (no positives, or for ROC no negatives).

    Args:
        curve: ``"ROC"`` or ``"PR"`` (average precision); lower case accepted.
        num_bins: A power of two in ``[256, 65536]`` (default 65536: bfloat16 resolution).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()`` (the histogram is float32).

    Raises:
        ValueError: for an unknown ``curve`` or a ``num_bins`` that is not a
            power of two in ``[256, 65536]``.

    Example:
        >>> m = metric_exact_auc()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> round(float(m.result()), 6)
        0.75
        >>> float(m.error_bound()) < 1e-6
        True
    """
    label = metric_label(self)
    self.curve = check_option(label, "curve", curve.upper() if isinstance(curve, str) else curve,
                              CURVES)
    self.num_bins = check_num_bins(label, num_bins)
    super.initialize(name=name, dtype=dtype)
    self.histogram = self.add_variable((2, self.num_bins), "zeros", dtype="float32",
                                       name="histogram", compensated=False)
    self.additions = self.add_variable((), "zeros", dtype="int32", name="additions")
    self.inexact = self.add_variable((), "zeros", dtype="int32", aggregation="max",
                                     name="inexact")


def _exact_auc_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch to the per-bin counts and the rounding record.

    Args:
        y_true: Binary labels (nonzero is positive), any shape.
        y_pred: Scores (any real range), the same shape (a trailing size-1 axis aside).
        sample_weight: Optional non-negative scalar or weights broadcastable to ``y_pred``.

    Raises:
        ValueError: if the shapes do not fit; with ``validate=True``, if
            ``y_true`` is not 0/1, ``y_pred`` is not finite or a weight is negative.
    """
    histogram, additions, inexact = accumulate_score_histogram(
        self.histogram, y_true, y_pred, sample_weight, owner=metric_label(self))
    self.histogram.assign(histogram)
    # past 2**24 the bound is already vacuous; the cap keeps merged sums inside int32
    self.additions.assign(ops.minimum(self.additions + additions, 2 ** 24))
    self.inexact.assign(ops.maximum(self.inexact, inexact))


def _exact_auc_result():
    return ops.cast(curve_from_histogram(self.histogram, self.curve), self.dtype)


def _exact_auc_error_bound():
    """A guaranteed bound on ``|result() - exact|``: ties inside bins, rounding, at most 1.

    ``exact`` is scikit-learn's value on the float32 scores. ROC: ``Σ_b p_b
    n_b / (2 P N)``; PR: the worst order inside each bin; plus the state's
    rounding when it is not exact (`metricdsl.functional.curve_error_bound`).
    About ``2**-20 · result`` when no bin holds both classes and the state is exact.
    """
    return ops.cast(curve_error_bound(self.histogram, self.curve, self.additions, self.inexact),
                    self.dtype)


metric_exact_auc = Metric(
    "ExactAUC", initialize=_exact_auc_initialize, update_state=_exact_auc_update_state,
    result=_exact_auc_result, error_bound=_exact_auc_error_bound, higher_is_better=True)
