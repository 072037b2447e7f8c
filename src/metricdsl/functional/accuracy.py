"""Accuracy kernels: per-sample hits of predictions against labels (Keras's ``accuracy_metrics``).

Integer or boolean ``y_pred`` is cast to floatx first. Each kernel returns
Keras's per-sample (or per-element) shape; the metrics average it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import ops
from ._common import (
    check_broadcast,
    check_class_ids,
    check_min_rank,
    float_pred,
    is_int,
    kernel_label,
)

__all__ = [
    "accuracy", "binary_accuracy", "categorical_accuracy", "check_k",
    "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


def check_k(owner: str, k: int) -> None:
    """Raise unless ``k`` is a positive integer (it may exceed the number of classes)."""
    if not is_int(k):
        raise TypeError(
            f"{owner}: k must be a positive integer (how many top predictions count as a hit); "
            f"received {type(k).__name__} {k!r}.")
    if k < 1:
        raise ValueError(
            f"{owner}: k must be a positive integer (how many top predictions count as a hit); "
            f"received k={k!r}.")


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-element ``float(y_true == y_pred)`` (Keras's unexported ``accuracy``).

    ``y_true`` is cast to ``y_pred``'s dtype and both are brought to the same
    rank (a trailing size-1 axis is squeezed or added), then compared with
    broadcasting. Returns floatx values of the broadcast shape.

    Raises:
        ValueError: if the shapes do not broadcast.
    """
    y_pred = float_pred(y_pred)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcast(kernel_label("accuracy"), "y_true", y_true.shape, "y_pred", y_pred.shape)
    return ops.cast(y_true == y_pred, ops.floatx())


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Per-element ``float(y_true == (y_pred > threshold))`` (strict ``>``).

    The thresholded prediction is cast to ``y_true``'s dtype before the
    comparison. Trailing axes are kept: ``(N, 1)`` inputs give ``(N, 1)`` values
    (the metric then averages them per sample).

    Raises:
        ValueError: if the shapes do not broadcast.
    """
    y_pred = float_pred(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcast(kernel_label("binary_accuracy"), "y_true", y_true.shape, "y_pred",
                    y_pred.shape)
    predicted = ops.cast(y_pred > ops.unwrap(threshold), y_true.dtype)
    return ops.cast(y_true == predicted, ops.floatx())


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``float(argmax(y_true) == argmax(y_pred))`` over the last axis.

    Ties resolve to the first maximal index. Returns shape ``y_pred.shape[:-1]``
    (Keras's rule: when ``y_true`` has an extra trailing size-1 axis, the values
    keep it).

    Raises:
        ValueError: if an input has rank 0 or the shapes do not broadcast.
    """
    owner = kernel_label("categorical_accuracy")
    y_pred = float_pred(y_pred)
    check_min_rank(owner, "y_true", np.shape(y_true), 1)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    labels = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    predicted = ops.argmax(y_pred, axis=-1)
    if labels.ndim == y_pred.ndim:
        return _reshaped_matches(owner, labels, predicted)
    check_broadcast(owner, "argmax(y_true)", labels.shape, "argmax(y_pred)", predicted.shape)
    return ops.cast(labels == predicted, ops.floatx())


def _reshaped_matches(owner, labels, predicted):
    """Keras's squeeze-compare-reshape for labels with a trailing size-1 axis."""
    if labels.shape[-1] != 1 or labels.size != predicted.size:
        raise ValueError(
            f"{owner}: labels of shape {labels.shape} do not match predictions of shape "
            f"{predicted.shape}; expected y_true of shape y_pred.shape or "
            "(*y_pred.shape[:-1], 1).")
    matches = ops.cast(jnp.squeeze(labels, -1) == predicted, ops.floatx())
    return jnp.reshape(matches, labels.shape)


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``float(y_true == argmax(y_pred))`` for integer labels.

    ``y_true`` of shape ``(N,)`` or ``(N, 1)`` (generally ``y_pred.shape[:-1]``,
    optionally with a trailing size-1 axis); labels are compared in
    ``y_pred``'s dtype. Returns shape ``(N,)`` (a trailing size-1 axis is
    squeezed).

    Raises:
        ValueError: if ``y_pred`` has rank 0 or the shapes do not broadcast.
    """
    owner = kernel_label("sparse_categorical_accuracy")
    y_pred = float_pred(y_pred)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype)
    original_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim and original_shape[-1] == 1
    if squeezed:
        y_true = jnp.squeeze(y_true, -1)
    predicted = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    check_broadcast(owner, "y_true", y_true.shape, "argmax(y_pred)", predicted.shape)
    check_class_ids(kernel_label("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
                    "y_true", y_true, y_pred.shape[-1])
    matches = ops.cast(y_true == predicted, ops.floatx())
    if squeezed:
        matches = jnp.reshape(matches, original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _flat_rows(owner, labels, y_pred):
    """Keras's flattening for top-k: ``y_pred`` to ``(rows, C)``, labels to ``(rows,)``."""
    if y_pred.ndim > 2:
        y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    if labels.ndim > 1:
        labels = jnp.reshape(labels, (-1,))
    check_broadcast(owner, "the labels", labels.shape, "the rows of y_pred", y_pred.shape[:-1])
    return labels, y_pred


def _as_labels_shape(matches, labels_shape):
    """Per-row matches as floatx, reshaped back to the labels' shape when it had rank > 1."""
    matches = ops.cast(matches, ops.floatx())
    return jnp.reshape(matches, labels_shape) if len(labels_shape) > 1 else matches


def top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> jax.Array:
    """Per-sample ``float(argmax(y_true) is among the top k scores of y_pred)``.

    Ties count as inside the top ``k`` (Keras's JAX rule: ``rank = 1 + #(scores
    > score of the label)``); ``k`` may exceed the number of classes. Returns
    shape ``y_true.shape[:-1]``.

    Raises:
        TypeError: if ``k`` is not an integer.
        ValueError: if ``k < 1``, an input has rank 0, or the batch shapes differ.
    """
    owner = kernel_label("top_k_categorical_accuracy")
    check_k(owner, k)
    y_pred = float_pred(y_pred)
    check_min_rank(owner, "y_true", np.shape(y_true), 1)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    labels = ops.argmax(ops.convert_to_tensor(y_true, y_pred.dtype), axis=-1)
    flat_labels, flat_pred = _flat_rows(owner, labels, y_pred)
    return _as_labels_shape(ops.in_top_k(flat_labels, flat_pred, k), labels.shape)


def sparse_top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5,
                                      from_sorted_ids: bool = False) -> jax.Array:
    """Per-sample ``float(y_true is among the top k predictions)`` for integer labels.

    By default ``y_pred`` holds scores ``(N, C)`` and ties count as inside the
    top ``k``. With ``from_sorted_ids=True`` it holds class ids sorted by
    decreasing score, ``(N, M)``, and the value is ``any(y_pred[:, :k] ==
    y_true)``. Returns ``y_true``'s shape (so ``(N, 1)`` labels give ``(N, 1)``).

    Raises:
        TypeError: if ``k`` is not an integer.
        ValueError: if ``k < 1``, ``y_pred`` has rank 0 (rank < 2 with sorted
            ids), or the batch shapes differ.
    """
    owner = kernel_label("sparse_top_k_categorical_accuracy")
    check_k(owner, k)
    y_pred = float_pred(y_pred)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 2 if from_sorted_ids else 1)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype if from_sorted_ids else "int32")
    if from_sorted_ids:
        check_min_rank(owner, "y_true", np.shape(y_true), 1)
    labels, y_pred_rows = _flat_rows(owner, y_true, y_pred)
    if not from_sorted_ids:
        check_class_ids(kernel_label("sparse_top_k_categorical_accuracy",
                                     "SparseTopKCategoricalAccuracy"),
                        "y_true", labels, y_pred_rows.shape[-1])
    if from_sorted_ids:
        matches = jnp.any(labels[:, None] == y_pred_rows[:, :k], axis=1)
    else:
        matches = ops.in_top_k(labels, y_pred_rows, k)
    return _as_labels_shape(matches, y_true.shape)
