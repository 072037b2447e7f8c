"""Intersection-over-Union kernels: a batch's confusion matrix, and the IoU from one.

A batch's ``(C, C)`` matrix is ONE ``bincount`` of ``C·y_true + y_pred`` with
the sample weights, so unweighted counts are exact integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import ops

__all__ = ["binary_labels", "confusion_matrix", "iou_from_confusion_matrix"]


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None,
                     num_classes: int, ignore_class: int | None, dtype: Any) -> jax.Array:
    """One batch's weighted confusion matrix: ONE bincount of ``num_classes·y_true + y_pred``.

    Labels are cast to ``dtype`` (an integer dtype truncates float labels) and
    flattened. Entries whose ``y_true`` or ``y_pred`` lies outside
    ``[0, num_classes)``, or whose ``y_true`` equals ``ignore_class``, are left
    out (their index is set past the end, which ``bincount`` drops).

    Args:
        y_true: Integer class labels, any shape.
        y_pred: Integer class labels with as many elements as ``y_true``.
        sample_weight: ``None``, or a weight with 1 or ``y_true.size`` elements.
        num_classes: ``C``; the matrix is ``(C, C)``.
        ignore_class: A label to leave out, or ``None``.
        dtype: Dtype of the labels' comparison and of the counts.

    Returns:
        ``cm[i, j]`` = total weight of entries with true class ``i`` predicted as ``j``.
    """
    y_true = jnp.ravel(ops.cast(y_true, dtype))
    y_pred = jnp.ravel(ops.cast(y_pred, dtype))
    valid = (y_true >= 0) & (y_true < num_classes) & (y_pred >= 0) & (y_pred < num_classes)
    if ignore_class is not None:
        valid = valid & (y_true != ignore_class)
    index = num_classes * y_true.astype("int32") + y_pred.astype("int32")
    index = jnp.where(valid, index, num_classes * num_classes)
    if sample_weight is not None:
        sample_weight = jnp.broadcast_to(jnp.ravel(ops.cast(sample_weight, dtype)), index.shape)
    counts = jnp.bincount(index, sample_weight, length=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(dtype)


def iou_from_confusion_matrix(total_cm: ArrayLike, target_class_ids: Sequence[int]) -> jax.Array:
    """Keras's mean IoU over ``target_class_ids`` from a confusion matrix (float32).

    Per class ``iou = tp / (tp + fp + fn + eps)`` with ``tp = cm[c, c]``,
    ``tp + fp`` the column sum and ``tp + fn`` the row sum (sums in the
    matrix's dtype, so integer counts stay exact). Classes with ``tp + fp + fn
    = 0`` are left out of the mean: ``Σ iou / (number of present classes + eps)``,
    0 when none is present.
    """
    cm = jnp.asarray(ops.unwrap(total_cm))
    true_positives = jnp.diagonal(cm)
    denominator = jnp.sum(cm, axis=0) + jnp.sum(cm, axis=1) - true_positives
    ids = np.asarray(target_class_ids, dtype=np.int32)
    true_positives = true_positives[ids].astype("float32")
    denominator = denominator[ids].astype("float32")
    present = denominator > 1e-9
    iou = jnp.where(present, true_positives / (denominator + ops.EPSILON), 0.0)
    return jnp.sum(iou) / (jnp.sum(present.astype("float32")) + ops.EPSILON)


def binary_labels(y_pred: ArrayLike, threshold: float) -> jax.Array:
    """BinaryIoU's predicted class: 1 where ``y_pred >= threshold`` (float32 compare), else 0."""
    return (ops.cast(y_pred, "float32") >= threshold).astype("int32")

