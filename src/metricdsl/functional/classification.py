"""Multiclass classification kernels: per-class counts, P/R/F1, and confusion-matrix scores.

Two additive states, each a fixed-size array:

- per-class ``(tp, fp, fn, support)`` (`class_counts`), the state of
  `multiclass_precision`, `multiclass_recall` and `multiclass_f1_score`;
- a ``(C, C)`` confusion matrix (`class_confusion_matrix`, rows true,
  columns predicted), the state of `matthews_correlation`, `cohen_kappa`,
  `balanced_accuracy` and `normalized_confusion_matrix`.

Input rules (shapes only, so they hold under ``jax.jit``): ``y_true`` is
one-hot when its last axis has ``num_classes`` entries (rank >= 2), else it
holds class ids. ``y_pred`` holds scores when its last axis has
``num_classes`` entries (the predicted class is the first maximum), else
class ids; with ``num_classes == 2``, floating ids are probabilities of
class 1 (class 1 where ``y_pred > 0.5``, which keeps ``0.``/``1.`` ids).
With a ``threshold`` (multilabel), both are ``(N, C)`` and a class is
predicted where ``y_pred > threshold``. Ids outside ``[0, C)`` count in no
class (``validate=True`` rejects them).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import ops
from ._common import check_class_ids, is_int
from .iou import confusion_matrix

__all__ = [
    "AVERAGES", "ClassCounts", "average_precision_from_counts", "balanced_accuracy",
    "check_average", "check_num_classes",
    "check_option", "check_zero_division", "class_confusion_matrix", "class_counts",
    "class_labels", "cohen_kappa", "matthews_correlation", "multiclass_f1_score",
    "multiclass_precision", "multiclass_recall", "normalized_confusion_matrix",
]

#: The ``average`` values of the multiclass P/R/F1 metrics (scikit-learn's, less "samples").
AVERAGES = ("micro", "macro", "weighted", None)


class ClassCounts(NamedTuple):
    """Weighted per-class counts, each of shape ``(C,)``."""

    true_positives: jax.Array
    false_positives: jax.Array
    false_negatives: jax.Array
    support: jax.Array


# -- argument checks (static, at construction) --------------------------------------------------
def check_num_classes(owner: str, num_classes: Any, minimum: int = 2) -> int:
    """``num_classes`` as an int if it is an integer ``>= minimum``, else a ``ValueError``."""
    if is_int(num_classes) and num_classes >= minimum:
        return int(num_classes)
    raise ValueError(
        f"{owner}: Argument `num_classes` must be an integer >= {minimum}. Received: "
        f"num_classes={num_classes!r}. Pass the number of classes, e.g. num_classes=3.")


def check_option(owner: str, argument: str, value: Any, choices: tuple) -> Any:
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if any(value is c or (isinstance(value, str) and value == c) for c in choices):
        return value
    raise ValueError(
        f"{owner}: Invalid `{argument}` argument value. Expected one of {list(choices)}. "
        f"Received: {argument}={value!r}")


def check_average(owner: str, average: Any) -> str | None:
    """``average`` if it is one of `AVERAGES`, else a ``ValueError``."""
    return check_option(owner, "average", average, AVERAGES)


def check_zero_division(owner: str, zero_division: Any) -> float:
    """``zero_division`` as a float if it is 0, 1 or NaN, else a ``ValueError``."""
    if isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool) \
            and (zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(
        f"{owner}: Invalid `zero_division` argument value. Expected 0.0, 1.0 or float('nan') "
        f"(NaN leaves the undefined classes out of averages). Received: "
        f"zero_division={zero_division!r}")


# -- inputs -------------------------------------------------------------------------------------
def _is_class_axis(x: jax.Array, num_classes: int) -> bool:
    return x.ndim >= 2 and x.shape[-1] == num_classes


def class_labels(y: ArrayLike, num_classes: int, predictions: bool = False) -> jax.Array:
    """Class ids ``(N,)`` from one-hot/score rows (first maximum) or from ids (module rules)."""
    y = ops.convert_to_tensor(y)
    if _is_class_axis(y, num_classes):
        return jnp.argmax(y, axis=-1).astype(jnp.int32).reshape(-1)
    if predictions and num_classes == 2 and jnp.issubdtype(y.dtype, jnp.floating):
        return (y > 0.5).astype(jnp.int32).reshape(-1)
    return y.astype(jnp.int32).reshape(-1)


def _weights(sample_weight: ArrayLike | None, shape: tuple, dtype: Any, owner: str) -> jax.Array:
    """Sample weights broadcast to ``shape`` (``(N,)`` and ``(N, 1)`` act per row)."""
    if sample_weight is None:
        return jnp.ones(shape, dtype)
    w = ops.cast(sample_weight, dtype)
    if w.ndim == 1 and len(shape) == 2:
        w = w[:, None]
    try:
        return jnp.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"{owner}: sample_weight of shape {w.shape} does not broadcast to {shape}; pass a "
            "scalar, one weight per sample (N,) or (N, 1), or (multilabel) (N, C).") from None


def _single_label_ids(y_true, y_pred, num_classes, owner) -> tuple[jax.Array, jax.Array]:
    """``(N,)`` true and predicted class ids (module rules), their counts checked."""
    ids = class_labels(y_true, num_classes)
    predicted_ids = class_labels(y_pred, num_classes, True)
    if ids.shape != predicted_ids.shape:
        raise ValueError(
            f"{owner}: y_true of shape {ops.shape(y_true)} and y_pred of shape "
            f"{ops.shape(y_pred)} hold different numbers of samples; pass one label (an id or a "
            f"one-hot row) and one prediction (an id or a row of {num_classes} scores) per "
            "sample.")
    check_class_ids(owner, "y_true", ids, num_classes)
    return ids, predicted_ids


def _masks(y_true, y_pred, num_classes, threshold, top_k, owner):
    """Boolean ``(N, C)`` masks of the true and the predicted classes."""
    y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)
    if (threshold is not None or top_k is not None) and not _is_class_axis(y_pred, num_classes):
        raise ValueError(
            f"{owner}: with threshold or top_k, y_pred must hold scores of shape (N, "
            f"{num_classes}); received shape {y_pred.shape}.")
    if threshold is not None:
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{owner}: multilabel (threshold set) needs y_true of y_pred's shape "
                f"{y_pred.shape} (multi-hot labels); received {y_true.shape}.")
        true = y_true != 0
        predicted = y_pred > jnp.asarray(threshold, y_pred.dtype)
    else:
        ids, predicted_ids = _single_label_ids(y_true, y_pred, num_classes, owner)
        true = ops.one_hot(ids, num_classes, dtype="bool")
        predicted = ops.one_hot(predicted_ids, num_classes, dtype="bool")
    if top_k is not None:
        _, index = jax.lax.top_k(y_pred, top_k)
        in_top = jnp.any(index[..., None] == jnp.arange(num_classes), axis=-2)
        predicted = in_top if threshold is None else predicted & in_top
    return true.reshape(-1, num_classes), predicted.reshape(-1, num_classes)


def class_counts(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None,
                 *, num_classes: int, threshold: float | None = None, top_k: int | None = None,
                 dtype: Any = "float32",
                 owner: str = "metric_multiclass_precision") -> ClassCounts:
    """One batch's weighted per-class ``(tp, fp, fn, support)``, each ``(C,)``.

    With true mask ``t``, predicted mask ``p`` (module rules; top ``k``
    scores when ``top_k``, intersected with ``y_pred > threshold`` when both)
    and weight ``w``: ``tp = Σ w·t·p``, ``fp = Σ w·(1-t)·p``,
    ``fn = Σ w·t·(1-p)``, ``support = Σ w·t`` (sums over samples). Single-label
    inputs with per-sample weights take one histogram of (true, predicted)
    pairs instead of four sums over ``(N, C)`` masks (the same counts: exact
    integers unweighted).

    Raises:
        ValueError: (shapes only) for scores of the wrong width, mismatched
            multilabel shapes, or a weight that does not broadcast.
    """
    per_sample = sample_weight is None or np.ndim(sample_weight) <= 1 or (
        np.ndim(sample_weight) == 2 and np.shape(sample_weight)[1] == 1)
    if threshold is None and top_k is None and per_sample:
        ids, predicted = _single_label_ids(y_true, y_pred, num_classes, owner)
        w = None if sample_weight is None else _weights(
            jnp.ravel(ops.convert_to_tensor(sample_weight)), ids.shape, dtype, owner)
        return _pair_counts(ids, predicted, w, num_classes, dtype)
    true, predicted = _masks(y_true, y_pred, num_classes, threshold, top_k, owner)
    w = _weights(sample_weight, true.shape, dtype, owner)
    t, p = true.astype(dtype), predicted.astype(dtype)
    return ClassCounts(jnp.sum(w * t * p, 0), jnp.sum(w * (1 - t) * p, 0),
                       jnp.sum(w * t * (1 - p), 0), jnp.sum(w * t, 0))


def _pair_counts(ids: jax.Array, predicted: jax.Array, w: jax.Array | None, num_classes: int,
                 dtype: Any) -> ClassCounts:
    """``(tp, fp, fn, support)`` from one ``(C + 1, C + 1)`` histogram of (true, predicted) ids.

    Ids outside ``[0, C)`` fall in the extra row or column, as their all-zero
    one-hot rows would: a prediction there is a miss, a true id there makes
    its prediction a false positive.
    """
    c = num_classes
    width = c + 1
    true = jnp.where((ids >= 0) & (ids < c), ids, c)
    index = true * width + jnp.where((predicted >= 0) & (predicted < c), predicted, c)
    if w is None:
        cells = jnp.bincount(index, length=width * width).astype(dtype)
    else:
        cells = jax.ops.segment_sum(w, index, num_segments=width * width)
    diagonal = jnp.arange(c)
    cells = cells.reshape(width, width)
    off = cells.at[diagonal, diagonal].set(0)
    return ClassCounts(cells[diagonal, diagonal], jnp.sum(off[:, :c], 0), jnp.sum(off[:c], 1),
                       jnp.sum(cells[:c], 1))


# -- P / R / F1 from the counts -----------------------------------------------------------------
def _ratio(numerator: jax.Array, denominator: jax.Array, zero_division: float) -> jax.Array:
    safe = jnp.where(denominator == 0, 1, denominator)
    return jnp.where(denominator == 0, jnp.asarray(zero_division, numerator.dtype),
                     numerator / safe)


def _averaged(scores: jax.Array, support: jax.Array, average: str | None) -> jax.Array:
    """scikit-learn's ``_nanaverage``: NaN classes left out; support weights, if all zero plain."""
    if average is None or average == "micro":
        return scores
    keep = ~jnp.isnan(scores)
    values = jnp.where(keep, scores, 0)
    plain = values.sum() / keep.sum()
    if average == "macro":
        return plain
    weights = jnp.where(keep, support, 0)
    return jnp.where(weights.sum() == 0, plain, (values * weights).sum() / weights.sum())


def _score(numerator_fn, counts, average, zero_division):
    tp, fp, fn, support = (jnp.asarray(ops.unwrap(c)) for c in counts)
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    numerator, denominator = numerator_fn(tp, fp, fn)
    return _averaged(_ratio(numerator, denominator, zero_division), support, average)


def multiclass_precision(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, support: ArrayLike, *,
                         average: str | None = "macro", zero_division: float = 0.0) -> jax.Array:
    """scikit-learn's ``precision_score`` (``labels=range(C)``): ``tp / (tp + fp)``.

    ``average``: ``"micro"`` (counts summed first), ``"macro"`` (mean over
    classes), ``"weighted"`` (by support), ``None`` (per class). Undefined
    ratios (0/0) are ``zero_division``; NaN ones are left out of the average.
    """
    return _score(lambda tp, fp, fn: (tp, tp + fp), (tp, fp, fn, support), average, zero_division)


def multiclass_recall(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, support: ArrayLike, *,
                      average: str | None = "macro", zero_division: float = 0.0) -> jax.Array:
    """scikit-learn's ``recall_score`` (``labels=range(C)``): ``tp / (tp + fn)``.

    See `multiclass_precision`.
    """
    return _score(lambda tp, fp, fn: (tp, tp + fn), (tp, fp, fn, support), average, zero_division)


def multiclass_f1_score(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, support: ArrayLike, *,
                        average: str | None = "macro", zero_division: float = 0.0) -> jax.Array:
    """scikit-learn's ``f1_score`` (``labels=range(C)``): ``2tp / (2tp + fp + fn)``.

    See `multiclass_precision`.
    """
    return _score(lambda tp, fp, fn: (2 * tp, 2 * tp + fp + fn), (tp, fp, fn, support), average,
                  zero_division)


# -- confusion-matrix scores --------------------------------------------------------------------
def class_confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike,
                           sample_weight: ArrayLike | None = None, *, num_classes: int,
                           dtype: Any = "float32",
                           owner: str = "metric_confusion_matrix") -> jax.Array:
    """One batch's weighted ``(C, C)`` confusion matrix (rows true, columns predicted).

    Labels follow the module rules; ``sample_weight`` is a scalar or one
    weight per sample. One ``bincount`` (`confusion_matrix`).

    Raises:
        ValueError: (shapes only) if ``y_true`` and ``y_pred`` hold different
            numbers of samples, or ``sample_weight`` neither 1 nor that many.
    """
    true = class_labels(y_true, num_classes)
    predicted = class_labels(y_pred, num_classes, predictions=True)
    count = true.shape[0]
    if predicted.shape[0] != count or (sample_weight is not None
                                       and ops.size(sample_weight) not in (1, count)):
        raise ValueError(
            f"{owner}: y_true has {count} samples (shape {ops.shape(y_true)}), y_pred shape "
            f"{ops.shape(y_pred)}, sample_weight shape "
            f"{None if sample_weight is None else ops.shape(sample_weight)}; expected one "
            f"prediction (a class id or a row of {num_classes} scores) and at most one weight "
            "per sample.")
    check_class_ids(owner, "y_true", true, num_classes)
    check_class_ids(owner, "y_pred", predicted, num_classes)
    return confusion_matrix(true, predicted, sample_weight, num_classes, None, dtype)


def normalized_confusion_matrix(cm: ArrayLike, normalize: str | None = None) -> jax.Array:
    """scikit-learn's ``confusion_matrix(normalize=...)``: over rows ``"true"``, columns
    ``"pred"``, the total ``"all"``, or ``None`` (the counts); 0/0 gives 0."""
    cm = jnp.asarray(ops.unwrap(cm))
    if normalize is None:
        return cm
    if normalize == "true":
        return ops.divide_no_nan(cm, cm.sum(axis=1, keepdims=True))
    if normalize == "pred":
        return ops.divide_no_nan(cm, cm.sum(axis=0, keepdims=True))
    return ops.divide_no_nan(cm, cm.sum())


def matthews_correlation(cm: ArrayLike) -> jax.Array:
    """scikit-learn's ``matthews_corrcoef`` from a confusion matrix (multiclass R_K).

    ``(c·s - t·p) / sqrt((s² - p·p)(s² - t·t))`` with ``t``/``p`` the row and
    column sums, ``c`` the trace and ``s`` the total, computed on the matrix
    divided by ``s`` (float32 stays accurate for large counts); 0 when a
    factor of the denominator is 0 (all labels, or all predictions, in one
    class: as scikit-learn) or with no data.
    """
    cm = jnp.asarray(ops.unwrap(cm)).astype(jnp.result_type(float))
    cm = ops.divide_no_nan(cm, cm.sum())
    t, p = cm.sum(axis=1), cm.sum(axis=0)
    degenerate = (jnp.sum(t > 0) <= 1) | (jnp.sum(p > 0) <= 1)
    denominator = jnp.where(degenerate, 1, (1 - p @ p) * (1 - t @ t))
    return jnp.where(degenerate, 0.0, (jnp.trace(cm) - t @ p) / jnp.sqrt(denominator))


def cohen_kappa(cm: ArrayLike, weights: str | None = None) -> jax.Array:
    """scikit-learn's ``cohen_kappa_score`` from a confusion matrix: ``1 - Σ w·O / Σ w·E``.

    ``E`` is the outer product of the marginals over the total; ``w`` is
    ``1 - I`` (``weights=None``), ``|i - j|`` (``"linear"``) or ``(i - j)²``
    (``"quadratic"``). Undefined (``Σ w·E = 0``, e.g. no data or a single
    class) gives 0 where scikit-learn gives NaN.
    """
    cm = jnp.asarray(ops.unwrap(cm)).astype(jnp.result_type(float))
    classes = np.arange(cm.shape[0])
    distance = np.abs(classes[:, None] - classes[None, :]).astype(np.float32)
    w = {None: (distance > 0).astype(np.float32), "linear": distance,
         "quadratic": distance ** 2}[weights]
    expected = ops.divide_no_nan(jnp.outer(cm.sum(axis=0), cm.sum(axis=1)), cm.sum())
    observed, chance = jnp.sum(w * cm), jnp.sum(w * expected)
    return jnp.where(chance == 0, 0.0, 1 - ops.divide_no_nan(observed, chance))


def balanced_accuracy(cm: ArrayLike) -> jax.Array:
    """scikit-learn's ``balanced_accuracy_score``: mean recall over classes present in ``y_true``.

    Classes with no true samples are left out (scikit-learn warns); 0 with no data.
    """
    cm = jnp.asarray(ops.unwrap(cm)).astype(jnp.result_type(float))
    support = cm.sum(axis=1)
    present = support > 0
    recall = ops.divide_no_nan(jnp.diagonal(cm), support)
    return ops.divide_no_nan(jnp.sum(jnp.where(present, recall, 0)), jnp.sum(present))


# -- average precision from binned counts -------------------------------------------------------
def average_precision_from_counts(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike) -> jax.Array:
    """scikit-learn's step-function AP ``Σ (R_j - R_{j+1})·P_j`` from counts at ascending
    thresholds.

    ``R_j = tp_j / (tp_j + fn_j)``, ``P_j = tp_j / (tp_j + fp_j)`` (0 when
    nothing is above threshold ``j``, where ``R_j - R_{j+1} = 0`` anyway) and
    ``R_T = 0``. With the scores bucketed by the thresholds this is exactly
    ``average_precision_score`` on the bucket indices (scores in one bucket
    tie). 0 with no positives.
    """
    tp, fp, fn = (jnp.asarray(ops.unwrap(x)) for x in (tp, fp, fn))
    recall = ops.divide_no_nan(tp, tp + fn)
    precision = ops.divide_no_nan(tp, tp + fp)
    steps = recall - jnp.append(recall[1:], jnp.zeros((), recall.dtype))
    return jnp.sum(steps * precision)
