"""Accuracy metrics: how often predictions match labels (Keras 3 ``accuracy_metrics``).

Each metric is a weighted mean (`metric_mean_wrapper`) of a per-sample kernel
below. All but `metric_accuracy` are dual: called with ``y_true, y_pred`` they
return the kernel's per-sample values (Keras's output shape); called without
data they return a metric instance.

Integer or boolean ``y_pred`` is cast to floatx before the kernel runs (the
metric does so in `metric_mean_wrapper`; the kernels do the same so both call
shapes agree). Keras compares in ``y_pred``'s own dtype; the results differ
only for float labels compared with integer predictions, and for integer ids
of ``2**24`` or more (not exact in float32).
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric
from .reduction import _float_pred, metric_mean_wrapper

__all__ = [
    "metric_accuracy",
    "metric_binary_accuracy",
    "metric_categorical_accuracy",
    "metric_sparse_categorical_accuracy",
    "metric_sparse_top_k_categorical_accuracy",
    "metric_top_k_categorical_accuracy",
]


# -- shared checks ------------------------------------------------------------------------------
def check_broadcast(owner: str, what: str, shape_a: tuple, shape_b: tuple) -> None:
    """Raise a ValueError naming ``owner`` when two shapes do not broadcast together."""
    try:
        np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    except ValueError:
        raise ValueError(
            f"{owner}: {what} have shapes {tuple(shape_a)} and {tuple(shape_b)}, which do "
            "not broadcast together (after squeezing or expanding a trailing size-1 axis to the "
            "same rank). Pass arrays of matching batch shape.") from None


def check_class_ids(owner: str, argument: str, labels, num_classes: int,
                    ignore_class=None) -> None:
    """Under validation: ``labels`` must be whole numbers in ``[0, num_classes)`` (or ``ignore_class``).

    A no-op unless the metric's ``validate`` is set (see `ops.check`).
    """
    def valid():
        ids = ops.convert_to_tensor(labels)
        ok = (ids >= 0) & (ids < num_classes) & (ids == jnp.floor(ids))
        return ok if ignore_class is None else ok | (ids == ignore_class)

    ops.check(valid, f"{owner}: {argument} holds class ids outside [0, {num_classes}) or not "
                     "whole numbers")


def check_min_rank(owner: str, argument: str, shape: tuple, rank: int) -> None:
    """Raise a ValueError naming ``owner`` when ``shape`` has fewer than ``rank`` axes."""
    if len(shape) < rank:
        raise ValueError(
            f"{owner}: {argument} must have at least {rank} axis(es) (the last one indexing "
            f"classes or the values of one sample); received shape {tuple(shape)}.")


def check_k(owner: str, k: int) -> None:
    """Raise unless ``k`` is a positive integer (it may exceed the number of classes)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(
            f"{owner}: k must be a positive integer (how many top predictions count as a hit); "
            f"received {type(k).__name__} {k!r}.")
    if k < 1:
        raise ValueError(
            f"{owner}: k must be a positive integer (how many top predictions count as a hit); "
            f"received k={k!r}.")


# -- kernels ------------------------------------------------------------------------------------
def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-element ``float(y_true == y_pred)`` (Keras's unexported ``accuracy``).

    ``y_true`` is cast to ``y_pred``'s dtype and both are brought to the same
    rank (a trailing size-1 axis is squeezed or added), then compared with
    broadcasting. Returns floatx values of the broadcast shape.

    Raises:
        ValueError: if the shapes do not broadcast.
    """
    y_pred = _float_pred(y_pred)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcast("metric_accuracy (Accuracy)", "y_true and y_pred", y_true.shape, y_pred.shape)
    return ops.cast(y_true == y_pred, ops.floatx())


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Per-element ``float(y_true == (y_pred > threshold))`` (strict ``>``).

    The thresholded prediction is cast to ``y_true``'s dtype before the
    comparison. Trailing axes are kept: ``(N, 1)`` inputs give ``(N, 1)`` values
    (the metric then averages them per sample).

    Raises:
        ValueError: if the shapes do not broadcast.
    """
    y_pred = _float_pred(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcast("metric_binary_accuracy (BinaryAccuracy)", "y_true and y_pred",
                    y_true.shape, y_pred.shape)
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
    owner = "metric_categorical_accuracy (CategoricalAccuracy)"
    y_pred = _float_pred(y_pred)
    check_min_rank(owner, "y_true", np.shape(y_true), 1)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    labels = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    predicted = ops.argmax(y_pred, axis=-1)
    if labels.ndim == y_pred.ndim:
        return _reshaped_matches(owner, labels, predicted)
    check_broadcast(owner, "argmax(y_true) and argmax(y_pred)", labels.shape, predicted.shape)
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
    owner = "metric_sparse_categorical_accuracy (SparseCategoricalAccuracy)"
    y_pred = _float_pred(y_pred)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype)
    original_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim and original_shape[-1] == 1
    if squeezed:
        y_true = jnp.squeeze(y_true, -1)
    predicted = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    check_broadcast(owner, "y_true and argmax(y_pred)", y_true.shape, predicted.shape)
    check_class_ids(owner, "y_true", y_true, y_pred.shape[-1])
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
    check_broadcast(owner, "the labels and the rows of y_pred", labels.shape,
                    y_pred.shape[:-1])
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
    owner = "metric_top_k_categorical_accuracy (TopKCategoricalAccuracy)"
    check_k(owner, k)
    y_pred = _float_pred(y_pred)
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
    owner = "metric_sparse_top_k_categorical_accuracy (SparseTopKCategoricalAccuracy)"
    check_k(owner, k)
    y_pred = _float_pred(y_pred)
    check_min_rank(owner, "y_pred", np.shape(y_pred), 2 if from_sorted_ids else 1)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype if from_sorted_ids else "int32")
    if from_sorted_ids:
        check_min_rank(owner, "y_true", np.shape(y_true), 1)
    labels, y_pred_rows = _flat_rows(owner, y_true, y_pred)
    if not from_sorted_ids:
        check_class_ids(owner, "y_true", labels, y_pred_rows.shape[-1])
    if from_sorted_ids:
        matches = jnp.any(labels[:, None] == y_pred_rows[:, :k], axis=1)
    else:
        matches = ops.in_top_k(labels, y_pred_rows, k)
    return _as_labels_shape(matches, y_true.shape)


# -- metrics ------------------------------------------------------------------------------------
def _accuracy_initialize(name="accuracy", dtype=None):
    """How often predictions equal labels: weighted mean of ``float(y_true == y_pred)``.

    Keras's ``Accuracy`` (class-only: Keras exports no ``accuracy`` function).
    ``result = Σ w·[y_true == y_pred] / Σ w``; with no data, 0.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> float(m.result())
        0.75
    """
    super.initialize(fn=accuracy, name=name, dtype=dtype)


metric_accuracy = Metric("Accuracy", initialize=_accuracy_initialize, inherit=metric_mean_wrapper)


def _binary_accuracy_initialize(name="binary_accuracy", dtype=None, threshold=0.5):
    """How often thresholded predictions match binary labels.

    Weighted mean of `binary_accuracy`: ``float(y_true == (y_pred > threshold))``
    per element, averaged per sample. Dual: ``metric_binary_accuracy(y_true,
    y_pred, threshold=0.5)`` returns the per-element values (Keras's shape,
    e.g. ``(N, 1)`` for ``(N, 1)`` inputs).

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        threshold: A prediction counts as 1 when strictly greater than this.

    Example:
        >>> m = metric_binary_accuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> float(m.result())
        0.75
        >>> metric_binary_accuracy([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]).shape
        (4, 1)
    """
    super.initialize(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
    self.threshold = threshold


metric_binary_accuracy = Metric(
    "BinaryAccuracy", initialize=_binary_accuracy_initialize, inherit=metric_mean_wrapper,
    functional=binary_accuracy)


def _categorical_accuracy_initialize(name="categorical_accuracy", dtype=None):
    """How often ``argmax(y_pred)`` matches one-hot labels ``argmax(y_true)``.

    Weighted mean of `categorical_accuracy` (logits work as well as
    probabilities). Dual: ``metric_categorical_accuracy(y_true, y_pred)``
    returns the per-sample values.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_categorical_accuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        ...                sample_weight=[0.7, 0.3])
        >>> round(float(m.result()), 6)
        0.3
    """
    super.initialize(fn=categorical_accuracy, name=name, dtype=dtype)


metric_categorical_accuracy = Metric(
    "CategoricalAccuracy", initialize=_categorical_accuracy_initialize,
    inherit=metric_mean_wrapper, functional=categorical_accuracy)


def _sparse_categorical_accuracy_initialize(name="sparse_categorical_accuracy", dtype=None):
    """How often ``argmax(y_pred)`` matches integer labels.

    Weighted mean of `sparse_categorical_accuracy`; labels of shape ``(N,)`` or
    ``(N, 1)``. Dual: ``metric_sparse_categorical_accuracy(y_true, y_pred)``
    returns the per-sample values, shape ``(N,)``.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_sparse_categorical_accuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
        ...                sample_weight=[0.7, 0.3])
        >>> round(float(m.result()), 6)
        0.3
    """
    super.initialize(fn=sparse_categorical_accuracy, name=name, dtype=dtype)


metric_sparse_categorical_accuracy = Metric(
    "SparseCategoricalAccuracy", initialize=_sparse_categorical_accuracy_initialize,
    inherit=metric_mean_wrapper, functional=sparse_categorical_accuracy)


def _top_k_initialize(k=5, name="top_k_categorical_accuracy", dtype=None):
    """How often the one-hot label is among the ``k`` highest scores.

    Weighted mean of `top_k_categorical_accuracy` (ties with the label's score
    count as inside the top ``k``; ``k`` may exceed the number of classes).
    Dual: ``metric_top_k_categorical_accuracy(y_true, y_pred, k=5)`` returns
    the per-sample values.

    Args:
        k: How many top scores count as a hit (a positive integer).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        TypeError: if ``k`` is not an integer.
        ValueError: if ``k < 1``.

    Example:
        >>> m = metric_top_k_categorical_accuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """
    check_k("metric_top_k_categorical_accuracy (TopKCategoricalAccuracy)", k)
    super.initialize(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
    self.k = k


metric_top_k_categorical_accuracy = Metric(
    "TopKCategoricalAccuracy", initialize=_top_k_initialize, inherit=metric_mean_wrapper,
    functional=top_k_categorical_accuracy)


def _sparse_top_k_initialize(k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                             from_sorted_ids=False):
    """How often the integer label is among the top ``k`` predictions.

    Weighted mean of `sparse_top_k_categorical_accuracy`. By default ``y_pred``
    holds scores ``(N, C)``; with ``from_sorted_ids=True`` it holds class ids
    sorted by decreasing score ``(N, M)`` and only the first ``k`` columns are
    searched. Dual: ``metric_sparse_top_k_categorical_accuracy(y_true, y_pred,
    k=5, from_sorted_ids=False)`` returns the per-sample values (``y_true``'s
    shape). The config holds ``from_sorted_ids`` only when it is True (as Keras).

    Args:
        k: How many top predictions count as a hit (a positive integer).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        from_sorted_ids: Whether ``y_pred`` holds sorted class ids rather than scores.

    Raises:
        TypeError: if ``k`` is not an integer.
        ValueError: if ``k < 1``.

    Example:
        >>> m = metric_sparse_top_k_categorical_accuracy(k=1, from_sorted_ids=True)
        >>> m.update_state([2, 1], [[1, 0, 3], [1, 2, 3]])
        >>> float(m.result())
        0.5
        >>> sorted(m.get_config())
        ['dtype', 'from_sorted_ids', 'k', 'name']
    """
    check_k("metric_sparse_top_k_categorical_accuracy (SparseTopKCategoricalAccuracy)", k)
    super.initialize(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                     from_sorted_ids=from_sorted_ids)
    self.k = k
    self.from_sorted_ids = from_sorted_ids


def _sparse_top_k_get_config():
    config = super.get_config()
    if not config.get("from_sorted_ids"):
        config.pop("from_sorted_ids", None)
    return config


metric_sparse_top_k_categorical_accuracy = Metric(
    "SparseTopKCategoricalAccuracy", initialize=_sparse_top_k_initialize,
    get_config=_sparse_top_k_get_config, inherit=metric_mean_wrapper,
    functional=sparse_top_k_categorical_accuracy)
