"""Confusion-matrix metrics (Keras 3 ``confusion_metrics``): counts, precision, recall, AUC.

Every metric here counts weighted true/false positives/negatives at a list of
thresholds (a prediction is positive at ``t`` when ``y_pred > t``, strictly).
No N×T comparison matrix is ever built: each prediction is first bucketed
into "how many thresholds it exceeds" — by Keras's index arithmetic
``ceil(p·(T-1)) - 1`` when the thresholds are evenly spaced (Keras's fast
path, which clips predictions into ``[0, 1]``), else by a binary search over
the sorted thresholds (Keras's general path, no clipping) — then one
histogram over ``(label column, y_true, bucket)`` and a reverse cumulative sum
give every count: O(N log T) time and O(N + T) memory per update.

State variables are floatx regardless of the metric ``dtype`` (as in Keras).
Each count variable has a ``<name>_compensation`` twin after Keras's variables
(Neumaier compensation, `reduction.accumulate`), so float32 counts stay exact
past 2^24 where Keras's stall: a deliberate difference in ``variables``.
"""

from __future__ import annotations

import enum
import numbers
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric
from .reduction import accumulate, accumulated, add_compensations

__all__ = [
    "metric_auc",
    "metric_false_negatives",
    "metric_false_positives",
    "metric_precision",
    "metric_precision_at_recall",
    "metric_recall",
    "metric_recall_at_precision",
    "metric_sensitivity_at_specificity",
    "metric_specificity_at_sensitivity",
    "metric_true_negatives",
    "metric_true_positives",
]

NEG_INF = ops.NEG_INF


class AUCCurve(str, enum.Enum):
    """The curve `metric_auc` integrates (Keras's ``AUCCurve``; compares equal to its value)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"


class AUCSummationMethod(str, enum.Enum):
    """How `metric_auc` sums its Riemann terms (Keras's ``AUCSummationMethod``)."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"


class ConfusionCounts(NamedTuple):
    """Weighted counts at each threshold: arrays of shape ``(T,)``, or ``(T, L)`` multi-label."""

    true_positives: jax.Array
    false_positives: jax.Array
    true_negatives: jax.Array
    false_negatives: jax.Array


# -- construction-time checks (static configuration) -------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def parse_thresholds(owner: str, thresholds: Any, default: float) -> list:
    """Keras's ``parse_init_thresholds``: a list of thresholds, each checked to lie in [0, 1].

    Raises:
        ValueError: if a threshold is None, NaN or outside ``[0, 1]``.
    """
    if thresholds is None:
        return [default]
    values = list(np.ravel(np.asarray(thresholds, dtype=object))) \
        if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values
               if not isinstance(t, numbers.Real) or isinstance(t, bool) or not 0 <= t <= 1]
    if invalid or not values:
        raise ValueError(
            f"{owner}: Threshold values must be in [0, 1]. Received: thresholds={thresholds!r} "
            f"(invalid: {invalid or 'empty list'}). Pass a float or a non-empty list of floats "
            "in [0, 1]; a prediction counts as positive when y_pred > threshold.")
    return values


def is_evenly_distributed(thresholds: Any) -> bool:
    """Keras's test for its fast path: at least 3 values, ``allclose`` to ``linspace(0, 1)``."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), even, atol=ops.EPSILON))


def _check_int(owner: str, argument: str, value: Any, minimum: int, none_ok: bool = True) -> Any:
    if (value is None and none_ok) or (_is_int(value) and value >= minimum):
        return value
    raise ValueError(
        f"{owner}: argument `{argument}` must be an integer >= {minimum}"
        f"{' or None' if none_ok else ''}; received {argument}={value!r}.")


def _check_unit(owner: str, argument: str, value: Any) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value <= 1:
        return value
    raise ValueError(
        f"{owner}: Argument `{argument}` must be in the range [0, 1]. "
        f"Received: {argument}={value!r}.")


def _parse_choice(owner: str, argument: str, value: Any, enum_cls: type) -> enum.Enum:
    key = getattr(value, "value", value)
    for member in enum_cls:
        if isinstance(key, str) and key in (member.value, member.value.lower(),
                                            member.value.capitalize()):
            return member
    raise ValueError(
        f"{owner}: Invalid {argument} value: {value!r}. Expected one of "
        f"{[m.value for m in enum_cls]} (any of them in lower case too).")


# -- kernels: input alignment -------------------------------------------------------------------
def _shape_error(owner: str, message: str) -> ValueError:
    return ValueError(f"{owner}: {message}")


def filter_top_k(x: jax.Array, k: int) -> jax.Array:
    """Keep the ``k`` largest entries of the last axis (``lax.top_k`` ties), others ``NEG_INF``."""
    _, index = lax.top_k(x, k)
    mask = jnp.put_along_axis(jnp.zeros(x.shape, x.dtype), index, 1, axis=-1, inplace=False)
    return x * mask + NEG_INF * (1 - mask)


def _aligned_weights(sample_weight, y_true, dtype):
    """Keras: the weight gets a trailing axis, then the rank of ``y_true`` where possible."""
    sample_weight = jnp.expand_dims(ops.cast(sample_weight, dtype), -1)
    return ops.squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)[1]


def _top_k_filtered(owner, y_pred, top_k):
    if y_pred.ndim == 0 or top_k > y_pred.shape[-1]:
        raise _shape_error(owner, (
            f"top_k={top_k} exceeds the number of classes: y_pred has shape {y_pred.shape} "
            "(the last axis holds the classes). Use top_k <= num_classes."))
    return filter_top_k(y_pred, top_k)


def _class_column(owner, class_id, y_true, y_pred, sample_weight):
    """Keras's ``[..., class_id, None]`` slice (of a full-shape weight too)."""
    if y_pred.ndim < 2:
        raise _shape_error(owner, (
            "When class_id is provided, y_pred must be a 2D array with shape "
            f"(num_samples, num_classes), found shape: {y_pred.shape}"))
    if class_id >= y_pred.shape[-1]:
        raise _shape_error(owner, (
            f"class_id={class_id} is out of range for y_pred with {y_pred.shape[-1]} classes "
            f"(shape {y_pred.shape}); expected 0 <= class_id < {y_pred.shape[-1]}."))
    if sample_weight is not None and sample_weight.shape == y_pred.shape:
        sample_weight = sample_weight[..., class_id, None]
    return y_true[..., class_id, None], y_pred[..., class_id, None], sample_weight


def _check_shapes(owner, y_true, y_pred, multi_label, num_labels):
    if y_true.shape != y_pred.shape:
        raise _shape_error(owner, (
            f"y_true and y_pred must have the same shape (a trailing size-1 axis aside); "
            f"received {y_true.shape} and {y_pred.shape}."))
    if multi_label and (y_pred.ndim != 2 or y_pred.shape[-1] != (num_labels or y_pred.shape[-1])):
        raise _shape_error(owner, (
            f"`y_pred` must have shape (N, {num_labels or 'num_labels'}) when "
            f"`multi_label=True`; received shape {y_pred.shape}."))


def _broadcast(owner, argument, x, shape):
    try:
        return jnp.broadcast_to(x, shape)
    except ValueError:
        raise _shape_error(owner, (
            f"{argument} of shape {x.shape} does not broadcast to y_pred's shape {shape} "
            "(after Keras's squeeze-or-expand to y_true's rank). Pass a scalar, shape (N,), "
            "or y_pred's full shape.")) from None


def _combined_weights(owner, sample_weight, label_weights, shape):
    """Sample weights times (Keras: ``expand_dims(label_weights, 0)``) label weights, or None."""
    weights = None if sample_weight is None else \
        _broadcast(owner, "sample_weight", sample_weight, shape)
    if label_weights is None:
        return weights
    per_label = _broadcast(owner, "label_weights", jnp.expand_dims(label_weights, 0), shape)
    return per_label if weights is None else weights * per_label


def aligned_inputs(y_true, y_pred, sample_weight=None, *, top_k=None, class_id=None,
                   multi_label=False, num_labels=None, label_weights=None, from_logits=False,
                   dtype="float32", owner="confusion metric"):
    """Keras's input handling: ranks, top-k filter, class slice, weights.

    Returns:
        ``(y_true, y_pred, weights)`` of one shape (``weights`` None when no
        sample or label weights are given).

    Raises:
        ValueError: (from shapes, at trace time) for mismatched shapes, a
            ``class_id`` or ``top_k`` beyond the classes, or multi-label inputs
            that are not ``(N, num_labels)``.
    """
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    y_pred, y_true = ops.squeeze_or_expand_to_same_rank(y_pred, y_true)
    _check_shapes(owner, y_true, y_pred, multi_label, num_labels)
    if sample_weight is not None:
        sample_weight = _aligned_weights(sample_weight, y_true, dtype)
    if top_k is not None:
        y_pred = _top_k_filtered(owner, y_pred, top_k)
    if class_id is not None:
        y_true, y_pred, sample_weight = _class_column(owner, class_id, y_true, y_pred,
                                                      sample_weight)
    return y_true, y_pred, _combined_weights(owner, sample_weight, label_weights, y_pred.shape)


# -- kernels: bucketing and counting ------------------------------------------------------------
def threshold_buckets(y_pred: jax.Array, thresholds, evenly: bool) -> jax.Array:
    """How many thresholds each prediction exceeds (``y_pred > t``): int32 in ``[0, T]``.

    ``evenly``: Keras's fast-path arithmetic on ``clip(y_pred, 0, 1)``,
    ``ceil(p·(T-1)) - 1`` (floored at 0 when the end thresholds carry AUC's
    epsilon), plus one. Otherwise a binary search over the sorted thresholds
    (in ``y_pred``'s dtype); NaN exceeds none. A single threshold gives the
    boolean ``y_pred > t``.
    """
    count = len(thresholds)
    if count == 1:
        return y_pred > jnp.asarray(thresholds[0], y_pred.dtype)
    if evenly:
        bucket = jnp.ceil(jnp.clip(y_pred, 0.0, 1.0) * (count - 1)) - 1
        if thresholds[0] < 0 or thresholds[-1] > 1:
            bucket = jax.nn.relu(bucket)
        return bucket.astype(jnp.int32) + 1
    ordered = np.sort(np.asarray(thresholds, dtype=y_pred.dtype))
    above = jnp.searchsorted(ordered, y_pred, side="left").astype(jnp.int32)
    return jnp.where(jnp.isnan(y_pred), 0, above)


def bucket_histogram(buckets, positive, weights, num_thresholds: int, dtype) -> jax.Array:
    """Sum of weights per ``(label column, y_true, bucket)``: shape ``(L, 2, T+1)``.

    ``buckets``/``positive``/``weights`` have shape ``(N,)`` (one column) or
    ``(N, L)``. Unweighted counts are exact integers (``bincount``), then cast.
    """
    width = num_thresholds + 1
    columns = buckets.shape[-1] if buckets.ndim == 2 else 1
    cell = buckets + width * positive.astype(jnp.int32)
    if buckets.ndim == 2:
        cell = cell + 2 * width * jnp.arange(columns, dtype=jnp.int32)
    length = columns * 2 * width
    if weights is None:
        histogram = jnp.bincount(cell.ravel(), length=length).astype(dtype)
    else:
        histogram = jax.ops.segment_sum(weights.ravel(), cell.ravel(), num_segments=length)
    return histogram.reshape(columns, 2, width)


def single_threshold_counts(positive, above, weights, dtype) -> ConfusionCounts:
    """Counts for one threshold, whose two buckets are the mask ``above``: masked sums.

    Same numbers as the histogram route; the float sums fuse into the
    comparison where a scatter (or an integer sum) would not, and XLA drops
    the cells a metric does not keep. Unweighted counts are exact below 2^24
    per batch, as in Keras. Shape ``(1, L)``.
    """
    cells = (positive & above, ~positive & above, ~positive & ~above, positive & ~above)
    weights = jnp.ones((), dtype) if weights is None else weights
    sums = [jnp.sum(jnp.where(c, weights, 0), axis=0) for c in cells]
    return ConfusionCounts(*(s.reshape(1, -1) for s in sums))


def counts_from_histogram(histogram: jax.Array, order=None) -> ConfusionCounts:
    """TP/FP/TN/FN at each threshold from a ``(L, 2, T+1)`` bucket histogram.

    ``above[b] = Σ histogram[b:]`` (reverse cumulative sum); the count above
    threshold ``j`` is ``above[j + 1]`` and the total is ``above[0]``.
    ``order`` maps the sorted thresholds back to the caller's order.
    """
    above = ops.reverse_cumsum(histogram, axis=-1)
    total, above = above[..., :1], above[..., 1:]
    if order is not None:
        above = above[..., order]
    tp, fp = above[:, 1].T, above[:, 0].T
    fn, tn = (total[:, 1] - above[:, 1]).T, (total[:, 0] - above[:, 0]).T
    return ConfusionCounts(tp, fp, tn, fn)


def _caller_order(thresholds, dtype, evenly):
    """The static permutation from sorted thresholds back to the given order (None if sorted)."""
    values = np.asarray(thresholds, dtype=dtype)
    if evenly or np.all(values[:-1] <= values[1:]):
        return None
    return np.argsort(np.argsort(values, kind="stable"), kind="stable")


def confusion_counts(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike = None, *,
                     thresholds, evenly: bool = False, top_k=None, class_id=None,
                     multi_label: bool = False, num_labels=None, label_weights=None,
                     from_logits: bool = False,
                     dtype: str = "float32", owner: str = "confusion metric") -> ConfusionCounts:
    """One batch's weighted TP/FP/TN/FN at each threshold (Keras's confusion-matrix update).

    ``TP[j] = Σ w·[y_true ≠ 0]·[y_pred > t_j]`` and likewise for the other
    cells; multi-label keeps one column per label, otherwise all entries are
    pooled. O(N log T) time, O(N + T) memory.

    Args:
        y_true, y_pred, sample_weight: one batch (Keras's shape rules).
        thresholds: the threshold list (static), in the caller's order.
        evenly: use Keras's evenly-spaced fast path (predictions clipped to [0, 1]).
        top_k, class_id, multi_label, label_weights, from_logits: as in Keras.
        num_labels: the expected number of label columns when ``multi_label``.
        dtype: the counts' dtype (the state variables' dtype).
        owner: metric description used in error messages.

    Returns:
        `ConfusionCounts` of shape ``(T,)``, or ``(T, L)`` when ``multi_label``.
    """
    y_true, y_pred, weights = aligned_inputs(
        y_true, y_pred, sample_weight, top_k=top_k, class_id=class_id,
        multi_label=multi_label, num_labels=num_labels, label_weights=label_weights,
        from_logits=from_logits, dtype=dtype, owner=owner)
    if not multi_label:
        y_true, y_pred = y_true.ravel(), y_pred.ravel()
        weights = None if weights is None else weights.ravel()
    if len(thresholds) == 1:
        counts = single_threshold_counts(y_true != 0, threshold_buckets(y_pred, thresholds, evenly),
                                         weights, dtype)
    else:
        buckets = threshold_buckets(y_pred, thresholds, evenly)
        histogram = bucket_histogram(buckets, y_true != 0, weights, len(thresholds), dtype)
        counts = counts_from_histogram(histogram, _caller_order(thresholds, dtype, evenly))
    return counts if multi_label else ConfusionCounts(*(c[:, 0] for c in counts))


# -- kernels: results ---------------------------------------------------------------------------
def precision_from_counts(tp: ArrayLike, fp: ArrayLike) -> jax.Array:
    """``tp / (tp + fp)``, 0 where nothing was predicted positive."""
    return ops.divide_no_nan(tp, ops.add(tp, fp))


def recall_from_counts(tp: ArrayLike, fn: ArrayLike) -> jax.Array:
    """``tp / (tp + fn)``, 0 where there are no positives."""
    return ops.divide_no_nan(tp, ops.add(tp, fn))


def _one_or_all(values: jax.Array) -> jax.Array:
    """Keras returns a scalar for a single threshold, else the vector."""
    return values[0] if values.shape[0] == 1 else values


def rate_at_constraint(tp, fp, tn, fn, *, constrained: str, dependent: str, value: float):
    """Largest ``dependent`` rate over thresholds whose ``constrained`` rate is ``>= value``.

    Rates: ``sensitivity``/``recall`` ``tp/(tp+fn)``, ``specificity``
    ``tn/(tn+fp)``, ``precision`` ``tp/(tp+fp)``. 0 when no threshold qualifies.
    """
    rates = {"sensitivity": recall_from_counts(tp, fn), "recall": recall_from_counts(tp, fn),
             "specificity": ops.divide_no_nan(tn, ops.add(tn, fp)),
             "precision": precision_from_counts(tp, fp)}
    feasible = rates[constrained] >= jnp.asarray(value, rates[constrained].dtype)
    return jnp.max(jnp.where(feasible, rates[dependent], 0), initial=0)


def _interpolated_pr_terms(tp, fp, fn):
    """Davis & Goadrich PR-AUC pieces between consecutive thresholds (Keras's formula)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    prec_slope = ops.divide_no_nan(dtp, jnp.maximum(p[:-1] - p[1:], 0))
    intercept = tp[1:] - prec_slope * p[1:]
    safe_p_ratio = jnp.where((p[:-1] > 0) & (p[1:] > 0),
                             ops.divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)), 1.0)
    return ops.divide_no_nan(prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
                             jnp.maximum(tp[1:] + fn[1:], 0))


def _curve_points(tp, fp, tn, fn, curve):
    """``(x, y)`` of the ROC, PR or PR-gain curve at each threshold."""
    recall = recall_from_counts(tp, fn)
    if curve == AUCCurve.ROC:
        return ops.divide_no_nan(fp, fp + tn), recall
    if curve == AUCCurve.PR:
        return recall, precision_from_counts(tp, fp)
    scale = ops.divide_no_nan(tp + fn, tn + fp)
    recall_gain = jnp.where(tp == 0, 0.0, 1.0 - scale * ops.divide_no_nan(fn, tp))
    precision_gain = jnp.where(tp == 0, 1.0, 1.0 - scale * ops.divide_no_nan(fp, tp))
    return jnp.maximum(recall_gain, 0.0), precision_gain


def auc_from_counts(tp, fp, tn, fn, *, curve="ROC", summation_method="interpolation",
                    label_weights=None) -> jax.Array:
    """Keras's Riemann-sum AUC from counts at thresholds sorted ascending.

    ``Σ (x[i] - x[i+1])·h[i]`` with heights ``h`` the mean (interpolation), min
    (minoring) or max (majoring) of neighbouring ``y``; PR with interpolation
    uses Davis & Goadrich. ``(T, L)`` counts give per-label AUCs averaged,
    weighted by ``label_weights`` when given.
    """
    curve, method = AUCCurve(curve), AUCSummationMethod(summation_method)
    if curve == AUCCurve.PR and method == AUCSummationMethod.INTERPOLATION:
        terms = _interpolated_pr_terms(tp, fp, fn)
    else:
        x, y = _curve_points(tp, fp, tn, fn, curve)
        if method == AUCSummationMethod.INTERPOLATION:
            heights = (y[:-1] + y[1:]) / 2.0
        elif method == AUCSummationMethod.MINORING:
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        terms = (x[:-1] - x[1:]) * heights
    if terms.ndim == 1:
        return jnp.sum(terms)
    by_label = jnp.sum(terms, axis=0)
    if label_weights is None:
        return jnp.mean(by_label)
    return ops.divide_no_nan(jnp.sum(by_label * label_weights), jnp.sum(label_weights))


# -- shared members -----------------------------------------------------------------------------
_COUNT_NAMES = ConfusionCounts._fields


def _owner(metric) -> str:
    return f"{type(metric).__name__} {metric.name!r}"


def _batch_counts(metric, y_true, y_pred, sample_weight) -> ConfusionCounts:
    """`confusion_counts` with the metric's static configuration."""
    multi_label = getattr(metric, "multi_label", False)
    return confusion_counts(
        y_true, y_pred, sample_weight, thresholds=tuple(metric.thresholds),
        evenly=metric._thresholds_distributed_evenly, top_k=getattr(metric, "top_k", None),
        class_id=getattr(metric, "class_id", None), multi_label=multi_label,
        num_labels=getattr(metric, "_num_labels", None),
        label_weights=None if multi_label else getattr(metric, "label_weights", None),
        from_logits=getattr(metric, "_from_logits", False),
        dtype=metric.variables[0].dtype, owner=_owner(metric))


def _state(metric) -> list:
    """The metric's TP, FP, TN, FN values (those it keeps)."""
    return [accumulated(metric, name) for name in _COUNT_NAMES if hasattr(metric, name)]


def _confusion_update_state(y_true, y_pred, sample_weight=None):
    """Accumulate the batch's counts into the metric's TP/FP/TN/FN variables.

    Args:
        y_true: Ground truth; nonzero means positive.
        y_pred: Predictions (scores), compared with each threshold.
        sample_weight: Optional weights, a scalar or broadcastable to ``y_true``.
    """
    counts = _batch_counts(self, y_true, y_pred, sample_weight)
    for name in _COUNT_NAMES:
        if hasattr(self, name):
            accumulate(self, name, getattr(counts, name))


def _thresholds_get_config():
    """Keras's config, with ``thresholds`` (as given) made JSON-able."""
    config = super.get_config()
    given = self.init_thresholds
    config["thresholds"] = given.tolist() if hasattr(given, "tolist") else given
    return config


def _set_thresholds(metric, thresholds, default):
    metric.init_thresholds = thresholds
    metric.thresholds = parse_thresholds(type(metric).__name__, thresholds, default)
    metric._thresholds_distributed_evenly = is_evenly_distributed(metric.thresholds)


def _add_count_variables(metric, shape, names):
    for name in names:
        setattr(metric, name, metric.add_variable(shape, "zeros", name=name))
    add_compensations(metric, names)


# -- TruePositives / FalsePositives / TrueNegatives / FalseNegatives ----------------------------
def _count_initialize(confusion_matrix_cond, thresholds=None, name=None, dtype=None):
    """Weighted count of one confusion-matrix cell at each threshold."""
    super.initialize(name=name, dtype=dtype)
    self._confusion_matrix_cond = confusion_matrix_cond
    _set_thresholds(self, thresholds, 0.5)
    _add_count_variables(self, (len(self.thresholds),), ["accumulator"])


def _count_update_state(y_true, y_pred, sample_weight=None):
    """Add the batch's weighted count of the cell at each threshold.

    Args:
        y_true: Ground truth; nonzero means positive.
        y_pred: Predictions, compared with each threshold (``y_pred > t``).
        sample_weight: Optional weights, a scalar or broadcastable to ``y_true``.
    """
    counts = _batch_counts(self, y_true, y_pred, sample_weight)
    accumulate(self, "accumulator", getattr(counts, self._confusion_matrix_cond))


def _count_result():
    """The count: a scalar for one threshold, else one value per threshold."""
    return _one_or_all(accumulated(self, "accumulator"))


_ConfusionMatrixConditionCount = Metric(
    "_ConfusionMatrixConditionCount", initialize=_count_initialize,
    update_state=_count_update_state, result=_count_result, get_config=_thresholds_get_config)


def _tp_initialize(thresholds=None, name=None, dtype=None):
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
    "TruePositives", initialize=_tp_initialize, inherit=_ConfusionMatrixConditionCount)


def _fp_initialize(thresholds=None, name=None, dtype=None):
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
    "FalsePositives", initialize=_fp_initialize, inherit=_ConfusionMatrixConditionCount)


def _tn_initialize(thresholds=None, name=None, dtype=None):
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
    "TrueNegatives", initialize=_tn_initialize, inherit=_ConfusionMatrixConditionCount)


def _fn_initialize(thresholds=None, name=None, dtype=None):
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
    "FalseNegatives", initialize=_fn_initialize, inherit=_ConfusionMatrixConditionCount)

# -- Precision / Recall -------------------------------------------------------------------------
def _thresholded_setup(metric, thresholds, top_k, class_id, names):
    owner = type(metric).__name__
    metric._direction = "up"
    metric.top_k = _check_int(owner, "top_k", top_k, 1)
    metric.class_id = _check_int(owner, "class_id", class_id, 0)
    _set_thresholds(metric, thresholds, 0.5 if top_k is None else NEG_INF)
    _add_count_variables(metric, (len(metric.thresholds),), names)


def _precision_initialize(thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
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
    return _one_or_all(precision_from_counts(*_state(self)))


metric_precision = Metric(
    "Precision", initialize=_precision_initialize, update_state=_confusion_update_state,
    result=_precision_result, get_config=_thresholds_get_config)


def _recall_initialize(thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
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
    return _one_or_all(recall_from_counts(*_state(self)))


metric_recall = Metric(
    "Recall", initialize=_recall_initialize, update_state=_confusion_update_state,
    result=_recall_result, get_config=_thresholds_get_config)


# -- SensitivityAtSpecificity & co --------------------------------------------------------------
def _at_initialize(value, num_thresholds=200, class_id=None, name=None, dtype=None):
    """Shared set-up of the "rate at a constraint" metrics (Keras's SensitivitySpecificityBase)."""
    super.initialize(name=name, dtype=dtype)
    owner = type(self).__name__
    self._direction = "up"
    self.num_thresholds = _check_int(owner, "num_thresholds", num_thresholds, 1, none_ok=False)
    self.value = value
    self.class_id = _check_int(owner, "class_id", class_id, 0)
    if num_thresholds == 1:
        self.thresholds, self._thresholds_distributed_evenly = [0.5], False
    else:
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds, self._thresholds_distributed_evenly = [0.0, *inner, 1.0], True
    _add_count_variables(self, (len(self.thresholds),), _COUNT_NAMES)


def _at_result():
    """The best dependent rate among thresholds meeting the constraint (0.0 if none)."""
    constrained, dependent = self._constraint
    return rate_at_constraint(*_state(self), constrained=constrained, dependent=dependent,
                              value=self.value)


_SensitivitySpecificityBase = Metric(
    "_SensitivitySpecificityBase", initialize=_at_initialize,
    update_state=_confusion_update_state, result=_at_result)


def _sens_at_spec_initialize(specificity, num_thresholds=200, class_id=None, name=None,
                             dtype=None):
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
    _check_unit("SensitivityAtSpecificity", "specificity", specificity)
    super.initialize(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.specificity = specificity


metric_sensitivity_at_specificity = Metric(
    "SensitivityAtSpecificity", initialize=_sens_at_spec_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=("specificity", "sensitivity"))


def _spec_at_sens_initialize(sensitivity, num_thresholds=200, class_id=None, name=None,
                             dtype=None):
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
    _check_unit("SpecificityAtSensitivity", "sensitivity", sensitivity)
    super.initialize(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.sensitivity = sensitivity


metric_specificity_at_sensitivity = Metric(
    "SpecificityAtSensitivity", initialize=_spec_at_sens_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=("sensitivity", "specificity"))


def _prec_at_recall_initialize(recall, num_thresholds=200, class_id=None, name=None,
                               dtype=None):
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
    _check_unit("PrecisionAtRecall", "recall", recall)
    super.initialize(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.recall = recall


metric_precision_at_recall = Metric(
    "PrecisionAtRecall", initialize=_prec_at_recall_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=("recall", "precision"))


def _recall_at_prec_initialize(precision, num_thresholds=200, class_id=None, name=None,
                               dtype=None):
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
    _check_unit("RecallAtPrecision", "precision", precision)
    super.initialize(precision, num_thresholds=num_thresholds, class_id=class_id, name=name,
                     dtype=dtype)
    self.precision = precision


metric_recall_at_precision = Metric(
    "RecallAtPrecision", initialize=_recall_at_prec_initialize,
    inherit=_SensitivitySpecificityBase, _constraint=("precision", "recall"))


# -- AUC ----------------------------------------------------------------------------------------
def _auc_initialize(num_thresholds=200, curve="ROC", summation_method="interpolation",
                    name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                    label_weights=None, from_logits=False):
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
    owner = "AUC"
    parsed_curve = _parse_choice(owner, "curve", curve, AUCCurve)
    parsed_method = _parse_choice(owner, "summation_method", summation_method, AUCSummationMethod)
    super.initialize(name=name, dtype=dtype)
    self._direction = "up"
    self.curve, self.summation_method = parsed_curve, parsed_method
    self._init_from_thresholds = thresholds is not None
    if thresholds is not None:
        inner = sorted(parse_thresholds(owner, thresholds, 0.5))
        self.num_thresholds = len(inner) + 2
        self._thresholds_distributed_evenly = is_evenly_distributed([0.0, *inner, 1.0])
    else:
        self.num_thresholds = _check_int(owner, "num_thresholds", num_thresholds, 2, False)
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds_distributed_evenly = True
    self._thresholds = np.array([0.0 - ops.EPSILON, *inner, 1.0 + ops.EPSILON])
    self.multi_label = bool(multi_label)
    self.num_labels = _check_int(owner, "num_labels", num_labels, 1)
    self.label_weights = _auc_label_weights(owner, label_weights, self.dtype)
    self._from_logits = from_logits
    self.built = False
    if num_labels is not None and not self.multi_label:
        raise ValueError(
            f"{owner}: `num_labels` is needed only when `multi_label` is True; received "
            f"num_labels={num_labels!r} with multi_label={multi_label!r}.")
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
            f"AUC {metric.name!r}: `label_weights` has {metric.label_weights.shape[0]} entries "
            f"but there are {num_labels} labels.")
    metric._num_labels = num_labels
    shape = (metric.num_thresholds,) if num_labels is None else (metric.num_thresholds, num_labels)
    _add_count_variables(metric, shape, _COUNT_NAMES)
    metric.built = True


def _auc_build(y_true=None, y_pred=None):
    """Create the ``(num_thresholds, num_labels)`` state from the first ``y_pred`` (multi-label).

    A no-op once built (always, without ``multi_label``).

    Raises:
        ValueError: if ``y_pred`` is not rank 2.
    """
    if self.built:
        return
    shape = tuple(y_pred.shape)
    if len(shape) != 2:
        raise ValueError(
            f"AUC {self.name!r}: `y_pred` must have rank 2 when `multi_label=True`. "
            f"Found rank {len(shape)}. Full shape received for `y_pred`: {shape}")
    self._build_input_shape = shape
    _auc_add_variables(self, shape[1])


def _auc_result():
    """The AUC (for multi-label, the mean or label-weighted mean of per-label AUCs)."""
    return auc_from_counts(*_state(self), curve=self.curve,
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
    "AUC", initialize=_auc_initialize, update_state=_confusion_update_state, result=_auc_result,
    build=_auc_build, get_config=_auc_get_config,
    thresholds=property(lambda self: self._thresholds.tolist(),
                        doc="The thresholds, with AUC's epsilon end points (a list)."))
