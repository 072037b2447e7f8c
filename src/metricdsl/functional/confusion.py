"""Confusion-matrix kernels: counts at thresholds, precision/recall, rates, AUC.

A prediction is positive at threshold ``t`` when ``y_pred > t`` (strictly).
No N×T comparison matrix is ever built: each prediction is first bucketed
into "how many thresholds it exceeds" — by Keras's index arithmetic
``ceil(p·(T-1)) - 1`` when the thresholds are evenly spaced (Keras's fast
path, which clips predictions into ``[0, 1]``), else by a binary search over
the sorted thresholds (Keras's general path, no clipping) — then one
histogram over ``(label column, y_true, bucket)`` and a reverse cumulative
sum give every count: O(N log T) time and O(N + T) memory per batch.

The argument checks here (`parse_thresholds`, `check_int`, `check_unit`,
`parse_choice`) run on static configuration at construction; their
messages contain Keras's own texts.
"""

from __future__ import annotations

import enum
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import attrs
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from .. import ops
from ._common import is_int
from .shared import sharing_active

__all__ = [
    "NEG_INF",
    "AUCCurve",
    "AUCSummationMethod",
    "ConfusionCounts",
    "RateConstraint",
    "Thresholds",
    "aligned_inputs",
    "auc_from_counts",
    "bucket_histogram",
    "check_int",
    "check_unit",
    "confusion_counts",
    "counts_from_histogram",
    "curve_points",
    "evenly_spaced_thresholds",
    "filter_top_k",
    "is_evenly_distributed",
    "one_or_all",
    "parse_choice",
    "parse_thresholds",
    "precision_from_counts",
    "rate_at_constraint",
    "recall_from_counts",
    "single_threshold_counts",
    "threshold_buckets",
]

NEG_INF = ops.NEG_INF

#: What Keras accepts for ``thresholds``: a number, a sequence of numbers, or None.
Thresholds = numbers.Real | Sequence[numbers.Real] | np.ndarray | None


@attrs.frozen
class RateConstraint:
    """The two rates of a "rate at a constraint": max ``dependent`` s.t. ``constrained >= value``.

    Rates: ``"sensitivity"``/``"recall"`` ``tp/(tp+fn)``, ``"specificity"``
    ``tn/(tn+fp)``, ``"precision"`` ``tp/(tp+fp)``.
    """

    constrained: str
    dependent: str


class AUCCurve(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() of a member
    """The curve `metric_auc` integrates (Keras's ``AUCCurve``; compares equal to its value)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"


class AUCSummationMethod(str, enum.Enum):  # noqa: UP042 - as AUCCurve
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


def parse_thresholds(owner: str, thresholds: Thresholds, default: float) -> list:
    """Keras's ``parse_init_thresholds``: a list of thresholds, each checked to lie in [0, 1].

    Raises:
        ValueError: if a threshold is None, NaN or outside ``[0, 1]`` (Keras's
            message), or the list is empty.
    """
    if thresholds is None:
        return [default]
    values = list(np.ravel(np.asarray(thresholds, dtype=object))) \
        if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values
               if not isinstance(t, numbers.Real) or isinstance(t, bool)
               or not 0 <= cast(float, t) <= 1]
    if invalid:
        raise ValueError(
            f"{owner}: Threshold values must be in [0, 1]. Received: {invalid}. Pass a float or "
            "a list of floats in [0, 1] (a prediction counts as positive when y_pred > "
            f"threshold); got thresholds={thresholds!r}.")
    if not values:
        raise ValueError(
            f"{owner}: thresholds is an empty list. Pass a float or a non-empty list of floats "
            "in [0, 1], or None for the default.")
    return values


def is_evenly_distributed(thresholds: Sequence[float]) -> bool:
    """Keras's test for its fast path: at least 3 values, ``allclose`` to ``linspace(0, 1)``."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), even, atol=ops.EPSILON))


def evenly_spaced_thresholds(num_thresholds: int) -> list[float]:
    """Keras's ``num_thresholds`` thresholds ``i / (num_thresholds - 1)``, from 0.0 to 1.0."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0, *inner, 1.0]


def check_int(owner: str, argument: str, value: Any, minimum: int, none_ok: bool = True) -> Any:
    """``value`` if it is an integer ``>= minimum`` (or None when ``none_ok``), else raise.

    Raises:
        ValueError: with Keras's text ``Argument `<argument>` must be an integer > <minimum - 1>``.
    """
    if (value is None and none_ok) or (is_int(value) and value >= minimum):
        return value
    raise ValueError(
        f"{owner}: Argument `{argument}` must be an integer > {minimum - 1}"
        f"{' or None' if none_ok else ''}. Received: {argument}={value}. Pass a Python int "
        f">= {minimum}{' (or None)' if none_ok else ''}.")


def check_unit(owner: str, argument: str, value: Any) -> float:
    """``value`` if it is a number in ``[0, 1]``, else raise (Keras's message)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) \
            and 0 <= cast(float, value) <= 1:
        return cast(float, value)
    raise ValueError(
        f"{owner}: Argument `{argument}` must be in the range [0, 1]. "
        f"Received: {argument}={value}. Pass a float such as {argument}=0.5.")


#: Keras's name and list of the values of each option, as in its messages.
_CHOICES = {"curve": ("AUC curve", '["PR", "ROC", "PRGAIN"]'),
            "summation_method": ("AUC summation method",
                                 '["interpolation", "majoring", "minoring"]')}


def parse_choice(owner: str, argument: str, value: Any, enum_cls: type[enum.Enum]) -> enum.Enum:
    """The member of ``enum_cls`` named by ``value`` (a member, its value, or that in lower case).

    Raises:
        ValueError: with Keras's text, e.g. ``Invalid AUC curve value: "Invalid".``
    """
    key = getattr(value, "value", value)
    for member in enum_cls:
        if isinstance(key, str) and key in (member.value, member.value.lower(),
                                            member.value.capitalize()):
            return member
    what, expected = _CHOICES[argument]
    raise ValueError(
        f'{owner}: Invalid {what} value: "{key}". Expected values are {expected} (as '
        f"`{argument}`; lower case accepted).")


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
    per_label = _broadcast(owner, "label_weights", jnp.expand_dims(jnp.asarray(label_weights), 0),
                           shape)
    return per_label if weights is None else weights * per_label


def aligned_inputs(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None,
                   *, top_k: int | None = None, class_id: int | None = None,
                   multi_label: bool = False, num_labels: int | None = None,
                   label_weights: ArrayLike | None = None, from_logits: bool = False,
                   dtype: Any = "float32", owner: str = "metric_confusion_counts"):
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


def threshold_buckets(y_pred: jax.Array, thresholds: Sequence[float], evenly: bool) -> jax.Array:
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


def bucket_histogram(buckets: jax.Array, positive: jax.Array, weights: jax.Array | None,
                     num_thresholds: int, dtype: Any) -> jax.Array:
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


def single_threshold_counts(positive: jax.Array, above: jax.Array, weights: jax.Array | None,
                            dtype: Any) -> ConfusionCounts:
    """Counts for one threshold, whose two buckets are the mask ``above``: masked sums.

    Same numbers as the histogram route (unweighted: the same exact integer
    counts, then one cast). `confusion_counts` takes it off CPU, where sibling
    reductions fuse into one pass over the inputs, and on CPU for an
    unweighted metric on its own, where XLA drops the cells it does not keep;
    in a collection's `sharing` block on XLA:CPU (every reduction a pass of
    its own) one histogram gives all four cells in one pass instead, so
    Precision and Recall together cost what one of them does. Shape ``(1, L)``.
    """
    cells = (positive & above, ~positive & above, ~positive & ~above, positive & ~above)
    if weights is None:
        sums = [jnp.sum(c, axis=0, dtype=jnp.int32).astype(dtype) for c in cells]
    else:
        sums = [jnp.sum(jnp.where(c, weights, 0), axis=0) for c in cells]
    return ConfusionCounts(*(s.reshape(1, -1) for s in sums))


def counts_from_histogram(histogram: jax.Array, order: np.ndarray | None = None) -> ConfusionCounts:
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


def _caller_order(thresholds: Sequence[float], dtype: Any, evenly: bool) -> np.ndarray | None:
    """The static permutation from sorted thresholds back to the given order (None if sorted)."""
    values = np.asarray(thresholds, dtype=dtype)
    if evenly or np.all(values[:-1] <= values[1:]):
        return None
    return np.argsort(np.argsort(values, kind="stable"), kind="stable")


def confusion_counts(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None,
                     *, thresholds: Sequence[float], evenly: bool = False,
                     top_k: int | None = None, class_id: int | None = None,
                     multi_label: bool = False, num_labels: int | None = None,
                     label_weights: ArrayLike | None = None, from_logits: bool = False,
                     dtype: Any = "float32",
                     owner: str = "metric_confusion_counts") -> ConfusionCounts:
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
    buckets = threshold_buckets(y_pred, thresholds, evenly)
    if len(thresholds) == 1 and (jax.default_backend() != "cpu"
                                 or (weights is None and not sharing_active())):
        counts = single_threshold_counts(y_true != 0, buckets, weights, dtype)
    else:
        histogram = bucket_histogram(buckets, y_true != 0, weights, len(thresholds), dtype)
        counts = counts_from_histogram(histogram, _caller_order(thresholds, dtype, evenly))
    return counts if multi_label else ConfusionCounts(*(c[:, 0] for c in counts))


def precision_from_counts(tp: ArrayLike, fp: ArrayLike) -> jax.Array:
    """``tp / (tp + fp)``, 0 where nothing was predicted positive."""
    return ops.divide_no_nan(tp, ops.add(tp, fp))


def recall_from_counts(tp: ArrayLike, fn: ArrayLike) -> jax.Array:
    """``tp / (tp + fn)``, 0 where there are no positives."""
    return ops.divide_no_nan(tp, ops.add(tp, fn))


def one_or_all(values: jax.Array) -> jax.Array:
    """Keras returns a scalar for a single threshold, else the vector."""
    return values[0] if values.shape[0] == 1 else values


def rate_at_constraint(tp: ArrayLike, fp: ArrayLike, tn: ArrayLike, fn: ArrayLike, *,
                       constrained: str, dependent: str, value: float) -> jax.Array:
    """Largest ``dependent`` rate over thresholds whose ``constrained`` rate is ``>= value``.

    Rates: ``sensitivity``/``recall`` ``tp/(tp+fn)``, ``specificity``
    ``tn/(tn+fp)``, ``precision`` ``tp/(tp+fp)``. 0 when no threshold qualifies.
    """
    rates = {"sensitivity": recall_from_counts(tp, fn), "recall": recall_from_counts(tp, fn),
             "specificity": ops.divide_no_nan(tn, ops.add(tn, fp)),
             "precision": precision_from_counts(tp, fp)}
    feasible = rates[constrained] >= jnp.asarray(value, rates[constrained].dtype)
    return jnp.max(jnp.where(feasible, rates[dependent], 0), initial=0)


def _interpolated_pr_terms(tp: jax.Array, fp: jax.Array, fn: jax.Array) -> jax.Array:
    """Davis & Goadrich PR-AUC pieces between consecutive thresholds (Keras's formula)."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    prec_slope = ops.divide_no_nan(dtp, jnp.maximum(p[:-1] - p[1:], 0))
    intercept = tp[1:] - prec_slope * p[1:]
    safe_p_ratio = jnp.where((p[:-1] > 0) & (p[1:] > 0),
                             ops.divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)), 1.0)
    return ops.divide_no_nan(prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
                             jnp.maximum(tp[1:] + fn[1:], 0))


def curve_points(tp: jax.Array, fp: jax.Array, tn: jax.Array, fn: jax.Array,
                 curve: AUCCurve) -> tuple[jax.Array, jax.Array]:
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


def auc_from_counts(tp: ArrayLike, fp: ArrayLike, tn: ArrayLike, fn: ArrayLike, *,
                    curve: str = "ROC", summation_method: str = "interpolation",
                    label_weights: ArrayLike | None = None) -> jax.Array:
    """Keras's Riemann-sum AUC from counts at thresholds sorted ascending.

    ``Σ (x[i] - x[i+1])·h[i]`` with heights ``h`` the mean (interpolation), min
    (minoring) or max (majoring) of neighbouring ``y``; PR with interpolation
    uses Davis & Goadrich. ``(T, L)`` counts give per-label AUCs averaged,
    weighted by ``label_weights`` when given.
    """
    curve, method = AUCCurve(curve), AUCSummationMethod(summation_method)
    # The counts are arrays (jax or numpy) indexed by threshold; ArrayLike is the public contract.
    tp, fp, tn, fn = cast("tuple[jax.Array, ...]", (tp, fp, tn, fn))
    if curve == AUCCurve.PR and method == AUCSummationMethod.INTERPOLATION:
        terms = _interpolated_pr_terms(tp, fp, fn)
    else:
        x, y = curve_points(tp, fp, tn, fn, curve)
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
