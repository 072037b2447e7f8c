"""Metrics over a grid of thresholds: AUC and the "rate at a constraint" metrics (Keras 3).

`metric_auc`, `metric_sensitivity_at_specificity`,
`metric_specificity_at_sensitivity`, `metric_precision_at_recall`,
`metric_recall_at_precision`: confusion counts at ``num_thresholds``
thresholds (the kernels of `metricdsl.functional.confusion`), then a
Riemann sum (AUC) or the best rate among the thresholds meeting a
constraint. State variables are floatx, exactly Keras's (compensated sums,
as in `confusion`). Every metric here has ``higher_is_better = True``.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import ops
from ..factory import Metric
from ..functional import (
    AUCCurve,
    AUCSummationMethod,
    RateConstraint,
    Thresholds,
    auc_from_counts,
    check_int,
    check_unit,
    evenly_spaced_thresholds,
    is_evenly_distributed,
    parse_choice,
    parse_thresholds,
    rate_at_constraint,
)
from ..functional._common import metric_label
from ..functional.numbers import Integral, Real
from ..plot import plot_curve, plot_method
from ._confusion_members import (
    COUNT_NAMES,
    add_count_variables,
    confusion_shared_state,
    confusion_update_state,
    count_state,
)

__all__ = [
    "metric_auc",
    "metric_precision_at_recall",
    "metric_recall_at_precision",
    "metric_sensitivity_at_specificity",
    "metric_specificity_at_sensitivity",
]


# -- SensitivityAtSpecificity & co --------------------------------------------------------------
def _at_initialize(value: Real, num_thresholds: Integral = 200, class_id: Integral | None = None,
                   name: str | None = None, dtype: Any = None):
    """Shared set-up of the "rate at a constraint" metrics (Keras's SensitivitySpecificityBase)."""
    super.initialize(name=name, dtype=dtype)
    label = metric_label(self)
    self.num_thresholds = check_int(label, "num_thresholds", num_thresholds, 1, none_ok=False)
    self.value = value
    self.class_id = check_int(label, "class_id", class_id, 0)
    if num_thresholds == 1:
        self.thresholds, self._thresholds_distributed_evenly = [0.5], False
    else:
        self.thresholds = evenly_spaced_thresholds(num_thresholds)
        self._thresholds_distributed_evenly = True
    add_count_variables(self, (len(self.thresholds),), COUNT_NAMES)


def _at_result():
    """The best dependent rate among thresholds meeting the constraint (0.0 if none)."""
    return rate_at_constraint(*count_state(self), constrained=self._constraint.constrained,
                              dependent=self._constraint.dependent, value=self.value)


_SensitivitySpecificityBase = Metric(
    "_SensitivitySpecificityBase", initialize=_at_initialize,
    update_state=confusion_update_state, result=_at_result, shared_state=confusion_shared_state,
    higher_is_better=True)


def _sens_at_spec_initialize(specificity: Real, num_thresholds: Integral = 200,
                             class_id: Integral | None = None, name: str | None = None,
                             dtype: Any = None):
    """Best sensitivity ``tp/(tp+fn)`` among thresholds with ``tn/(tn+fp) >= specificity``.

    The thresholds are ``num_thresholds`` evenly spaced values in ``[0, 1]``
    (``[0.5]`` when ``num_thresholds == 1``). 0.0 when no threshold qualifies.

    Args:
        specificity: A float in ``[0, 1]``.
        num_thresholds: Integer >= 1 (default 200).
        class_id: Optional class index in ``[0, num_classes)`` of ``(N, C)`` inputs.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for ``specificity`` outside ``[0, 1]``, ``num_thresholds < 1``
            or a negative ``class_id``.

    Example:
        >>> m = metric_sensitivity_at_specificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
        >>> m.reset_state()
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
        ...                sample_weight=[1, 1, 2, 2, 1])
        >>> round(float(m.result()), 6)
        0.333333
    """
    check_unit(metric_label(self), "specificity", specificity)
    super.initialize(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.specificity = specificity


metric_sensitivity_at_specificity = Metric(
    "SensitivityAtSpecificity", initialize=_sens_at_spec_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=RateConstraint("specificity", "sensitivity"),
    higher_is_better=True)


def _spec_at_sens_initialize(sensitivity: Real, num_thresholds: Integral = 200,
                             class_id: Integral | None = None, name: str | None = None,
                             dtype: Any = None):
    """Best specificity ``tn/(tn+fp)`` among thresholds with ``tp/(tp+fn) >= sensitivity``.

    The thresholds are ``num_thresholds`` evenly spaced values in ``[0, 1]``
    (``[0.5]`` when ``num_thresholds == 1``). 0.0 when no threshold qualifies.

    Args:
        sensitivity: A float in ``[0, 1]``.
        num_thresholds: Integer >= 1 (default 200).
        class_id: Optional class index in ``[0, num_classes)`` of ``(N, C)`` inputs.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for ``sensitivity`` outside ``[0, 1]``, ``num_thresholds < 1``
            or a negative ``class_id``.

    Example:
        >>> m = metric_specificity_at_sensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 6)
        0.666667
        >>> m.reset_state()
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
        ...                sample_weight=[1, 1, 2, 2, 2])
        >>> float(m.result())
        0.5
    """
    check_unit(metric_label(self), "sensitivity", sensitivity)
    super.initialize(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.sensitivity = sensitivity


metric_specificity_at_sensitivity = Metric(
    "SpecificityAtSensitivity", initialize=_spec_at_sens_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=RateConstraint("sensitivity", "specificity"),
    higher_is_better=True)


def _prec_at_recall_initialize(recall: Real, num_thresholds: Integral = 200,
                               class_id: Integral | None = None, name: str | None = None,
                               dtype: Any = None):
    """Best precision ``tp/(tp+fp)`` over thresholds where recall ``tp/(tp+fn) >= recall``.

    The thresholds are ``num_thresholds`` evenly spaced values in ``[0, 1]``
    (``[0.5]`` when ``num_thresholds == 1``). 0.0 when no threshold qualifies.

    Args:
        recall: A float in ``[0, 1]``.
        num_thresholds: Integer >= 1 (default 200).
        class_id: Optional class index in ``[0, num_classes)`` of ``(N, C)`` inputs.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for ``recall`` outside ``[0, 1]``, ``num_thresholds < 1`` or
            a negative ``class_id``.

    Example:
        >>> m = metric_precision_at_recall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
        >>> m.reset_state()
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
        ...                sample_weight=[2, 2, 2, 1, 1])
        >>> round(float(m.result()), 6)
        0.333333
    """
    check_unit(metric_label(self), "recall", recall)
    super.initialize(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.recall = recall


metric_precision_at_recall = Metric(
    "PrecisionAtRecall", initialize=_prec_at_recall_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=RateConstraint("recall", "precision"),
    higher_is_better=True)


def _recall_at_prec_initialize(precision: Real, num_thresholds: Integral = 200,
                               class_id: Integral | None = None, name: str | None = None,
                               dtype: Any = None):
    """Best recall ``tp/(tp+fn)`` over thresholds where precision ``tp/(tp+fp) >= precision``.

    The thresholds are ``num_thresholds`` evenly spaced values in ``[0, 1]``
    (``[0.5]`` when ``num_thresholds == 1``). 0.0 when no threshold qualifies
    (the precision is not reachable).

    Args:
        precision: A float in ``[0, 1]``.
        num_thresholds: Integer >= 1 (default 200).
        class_id: Optional class index in ``[0, num_classes)`` of ``(N, C)`` inputs.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).

    Raises:
        ValueError: for ``precision`` outside ``[0, 1]``, ``num_thresholds < 1``
            or a negative ``class_id``.

    Example:
        >>> m = metric_recall_at_precision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.5
        >>> m.reset_state()
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
        >>> float(m.result())
        1.0
    """
    check_unit(metric_label(self), "precision", precision)
    super.initialize(precision, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.precision = precision


metric_recall_at_precision = Metric(
    "RecallAtPrecision", initialize=_recall_at_prec_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=RateConstraint("precision", "recall"),
    higher_is_better=True)


# -- AUC ----------------------------------------------------------------------------------------
def _auc_initialize(num_thresholds: Integral = 200, curve: str | AUCCurve = "ROC",
                    summation_method: str | AUCSummationMethod = "interpolation",
                    name: str | None = None, dtype: Any = None, thresholds: Thresholds = None,
                    multi_label: bool = False, num_labels: Integral | None = None,
                    label_weights: Any = None, from_logits: bool = False):
    """Area under the ROC, PR or PR-gain curve, approximated by a Riemann sum over thresholds.

    Predictions are counted at ``num_thresholds`` thresholds: ``-ε``,
    ``(i+1)/(num_thresholds-1)`` and ``1+ε`` (or ``-ε``, the sorted given
    ``thresholds`` and ``1+ε``). ROC integrates recall over the false positive
    rate, PR precision over recall (Davis & Goadrich interpolation), PRGAIN
    precision gain over recall gain. ``minoring``/``majoring`` give lower and
    upper bounds of the ``interpolation`` estimate.

    Args:
        num_thresholds: Integer > 1 (default 200); ignored when ``thresholds`` is given.
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"`` (lower case accepted).
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name: Metric name.
        dtype: Result dtype (the state is floatx, as in Keras).
        thresholds: Optional list of thresholds in ``[0, 1]`` used instead of
            evenly spaced ones.
        multi_label: Treat each column of ``(N, L)`` inputs as its own label and
            average the per-label AUCs (otherwise all entries are pooled).
        num_labels: Number of labels for ``multi_label`` (else taken from the
            first batch).
        label_weights: Optional per-label weights: of the label AUCs when
            ``multi_label``, else of the entries of each column.
        from_logits: Apply a sigmoid to ``y_pred`` first.

    Raises:
        ValueError: for ``num_thresholds < 2``, thresholds outside ``[0, 1]``, an
            unknown ``curve`` or ``summation_method``, ``num_labels`` without
            ``multi_label``, or ``label_weights`` that are not 1-D.

    Example:
        >>> m = metric_auc(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.75
        >>> m.thresholds
        [-1e-07, 0.5, 1.0000001]
        >>> m = metric_auc(num_thresholds=3, curve="PR", summation_method="minoring")
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 2, 3, 4])
        >>> round(float(m.result()), 6)
        0.3
    """
    parsed_curve = parse_choice(metric_label(self), "curve", curve, AUCCurve)
    parsed_method = parse_choice(metric_label(self), "summation_method", summation_method,
                                 AUCSummationMethod)
    super.initialize(name=name, dtype=dtype)
    owner = metric_label(self)
    self.curve, self.summation_method = parsed_curve, parsed_method
    self._init_from_thresholds = thresholds is not None
    if thresholds is not None:
        inner = sorted(parse_thresholds(owner, thresholds, 0.5))
        self.num_thresholds = len(inner) + 2
        self._thresholds_distributed_evenly = is_evenly_distributed([0.0, *inner, 1.0])
    else:
        self.num_thresholds = check_int(owner, "num_thresholds", num_thresholds, 2, False)
        inner = evenly_spaced_thresholds(num_thresholds)[1:-1]
        self._thresholds_distributed_evenly = True
    self._thresholds = np.array([0.0 - ops.EPSILON, *inner, 1.0 + ops.EPSILON])
    self.multi_label = bool(multi_label)
    self.num_labels = check_int(owner, "num_labels", num_labels, 1)
    self.label_weights = _auc_label_weights(owner, label_weights, self.dtype)
    self._from_logits = from_logits
    self.built = False
    if num_labels is not None and not self.multi_label:
        raise ValueError(
            f"{owner}: `num_labels` is needed only when `multi_label` is True. Received "
            f"num_labels={num_labels!r} with multi_label={multi_label!r}; pass "
            "multi_label=True, or leave num_labels out.")
    if not self.multi_label:
        _auc_add_variables(self, None)
    elif num_labels:
        _auc_add_variables(self, num_labels)


def _auc_label_weights(owner, label_weights, dtype):
    if label_weights is None:
        return None
    weights = jnp.asarray(ops.unwrap(label_weights), dtype=dtype)
    if weights.ndim != 1:
        raise ValueError(
            f"{owner}: `label_weights` must be a 1-D list of per-label weights; received shape "
            f"{weights.shape}.")
    return weights


def _auc_add_variables(metric, num_labels):
    if num_labels is not None and metric.label_weights is not None \
            and metric.label_weights.shape[0] not in (1, num_labels):
        raise ValueError(
            f"{metric_label(metric)}: `label_weights` has {metric.label_weights.shape[0]} entries "
            f"but there are {num_labels} labels.")
    metric._num_labels = num_labels
    shape = (metric.num_thresholds,) if num_labels is None else (metric.num_thresholds, num_labels)
    add_count_variables(metric, shape, COUNT_NAMES)
    metric.built = True


def _auc_build(y_true=None, y_pred=None):
    """Create the ``(num_thresholds, num_labels)`` state from the first ``y_pred`` (multi-label).

    A no-op once built (always, without ``multi_label``).

    Raises:
        ValueError: if ``y_pred`` is not rank 2.
    """
    if self.built:
        return
    assert y_pred is not None  # build is called with the first batch
    shape = tuple(y_pred.shape)
    if len(shape) != 2:
        raise ValueError(
            f"{metric_label(self)}: `y_pred` must have rank 2 when `multi_label=True`. "
            f"Found rank {len(shape)}. Full shape received for `y_pred`: {shape}. Pass "
            "(batch_size, num_labels) predictions.")
    self._build_input_shape = shape
    _auc_add_variables(self, shape[1])


def _auc_result():
    """The AUC (for multi-label, the mean or label-weighted mean of per-label AUCs)."""
    return auc_from_counts(*count_state(self), curve=self.curve,
                           summation_method=self.summation_method,
                           label_weights=self.label_weights if self.multi_label else None)


def _auc_get_config():
    """Keras's config: curve names normalized, ``thresholds`` only when given."""
    config = super.get_config()
    config.update(
        num_thresholds=self.num_thresholds, curve=self.curve.value,
        summation_method=self.summation_method.value,
        label_weights=None if self.label_weights is None else self.label_weights.tolist())
    config.pop("thresholds", None)
    if self._init_from_thresholds:
        config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
    return config


metric_auc = Metric(
    "AUC", initialize=_auc_initialize, update_state=confusion_update_state, result=_auc_result,
    build=_auc_build, get_config=_auc_get_config, shared_state=confusion_shared_state,
    higher_is_better=True, plot=plot_method(plot_curve),
    thresholds=property(lambda self: self._thresholds.tolist(),
                        doc="The thresholds, with AUC's epsilon end points (a list)."))
