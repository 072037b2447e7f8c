"""Probabilistic kernels: cross-entropies, KL divergence, Poisson, focal losses (``keras.losses``).

Probabilities are clipped to ``[eps, 1 - eps]`` (``eps = 1e-7``), categorical
and sparse cross-entropies first renormalise ``y_pred`` to sum to 1 along the
class axis, the logits paths use ``log_softmax`` / ``log_sigmoid``. Integer or
boolean ``y_pred`` is cast to floatx first.
"""

from __future__ import annotations

import warnings
from typing import Any

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
    kernel_label,
    reduce_last_axis,
)

__all__ = [
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "ignored_class_sample_weight", "kl_divergence", "poisson",
    "sparse_categorical_crossentropy",
]

_EPS = ops.EPSILON


def _same_shape_pair(owner, y_true, y_pred):
    """``y_pred`` as float and ``y_true`` cast to its dtype; both must have one shape, rank >= 1."""
    y_pred = float_pred(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{owner}: y_true and y_pred must have the same shape; received y_true.shape="
            f"{y_true.shape}, y_pred.shape={y_pred.shape}.")
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    return y_true, y_pred


def _last_axis_pair(kernel: str, y_true: ArrayLike,
                    y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Float ``y_pred``, ``y_true`` in its dtype; they must broadcast to rank ≥ 1 (reduced last)."""
    owner = kernel_label(kernel)
    y_pred = float_pred(y_pred)
    y_true = ops.convert_to_tensor(y_true, y_pred.dtype)
    check_broadcast(owner, "y_true", y_true.shape, "y_pred", y_pred.shape)
    check_min_rank(owner, "y_true and y_pred (broadcast)",
                   np.broadcast_shapes(y_true.shape, y_pred.shape), 1)
    return y_true, y_pred


def _check_axis(owner, axis, rank):
    """Raise unless ``axis`` is an int (not bool) naming an axis of a rank-``rank`` array."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        # Keras raises ValueError here.
        raise ValueError(f"{owner}: axis must be of type int; received {axis!r}.")
    if not -rank <= axis < rank:
        raise ValueError(
            f"{owner}: axis={axis} is out of range for y_pred of rank {rank}.")
    return int(axis) % rank


def _warn_one_class(owner, y_pred):
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"{owner}: expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1; received y_pred.shape={y_pred.shape}. Consider "
            "binary_crossentropy if you only have 2 classes.", UserWarning, stacklevel=4)


def _smooth_categorical(y_true, label_smoothing, dtype):
    """Keras's smoothing ``y·(1 − ls) + ls / C`` with ``C`` the size of the LAST axis."""
    num_classes = jnp.asarray(y_true.shape[-1], dtype)
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _categorical_inputs(kernel: str, y_true: ArrayLike, y_pred: ArrayLike, axis: int,
                        label_smoothing: float) -> tuple[jax.Array, jax.Array, int]:
    """Same-shape float inputs, the class axis (made >= 0) and smoothed labels; warns if C = 1."""
    owner = kernel_label(kernel)
    y_true, y_pred = _same_shape_pair(owner, y_true, y_pred)
    axis = _check_axis(owner, axis, y_pred.ndim)
    _warn_one_class(owner, y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing, y_pred.dtype)
    return y_true, y_pred, axis


def _log_probabilities(y_pred, from_logits, axis):
    """``log_softmax`` of logits, or ``log`` of renormalised, clipped probabilities."""
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    y_pred = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(y_pred, _EPS, 1.0 - _EPS))


def _elementwise_bce(y_true, y_pred, from_logits):
    """Per-element binary cross-entropy (clipped probabilities, or ``log_sigmoid`` of logits)."""
    if from_logits:
        return -y_true * jax.nn.log_sigmoid(y_pred) - (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred)
    y_pred = jnp.clip(y_pred, _EPS, 1.0 - _EPS)
    return -(y_true * jnp.log(y_pred) + (1.0 - y_true) * jnp.log(1.0 - y_pred))


def _binary_inputs(name: str, y_true: ArrayLike, y_pred: ArrayLike, label_smoothing: float,
                   axis: int) -> tuple[jax.Array, jax.Array]:
    """The binary cross-entropies' inputs: same shape, a valid ``axis``, smoothed labels."""
    owner = kernel_label(name)
    y_true, y_pred = _same_shape_pair(owner, y_true, y_pred)
    _check_axis(owner, axis, y_pred.ndim)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true, y_pred


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> jax.Array:
    """Per-sample ``mean(−(t·log p + (1 − t)·log(1 − p)), axis)``.

    ``p`` is clipped to ``[eps, 1 − eps]``; with ``from_logits`` it is
    ``log_sigmoid`` of the logits. Label smoothing: ``t·(1 − ls) + 0.5·ls``.
    ``y_true`` and ``y_pred`` must have the same shape; the result drops ``axis``.

    Raises:
        ValueError: if the shapes differ or ``y_pred`` has rank 0.
    """
    y_true, y_pred = _binary_inputs("binary_crossentropy", y_true, y_pred, label_smoothing,
                                    axis)
    if axis in (-1, y_pred.ndim - 1):
        return reduce_last_axis(lambda t, p: _elementwise_bce(t, p, from_logits), y_true, y_pred)
    return jnp.mean(_elementwise_bce(y_true, y_pred, from_logits), axis=axis)


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> jax.Array:
    """Per-sample ``−Σ t·log p`` over the class ``axis`` for one-hot (or soft) labels.

    Probabilities are renormalised along ``axis`` and clipped to ``[eps, 1 −
    eps]``; logits go through ``log_softmax``. Label smoothing (Keras's rule,
    ``C`` is the size of the last axis whatever ``axis`` is): ``t·(1 − ls) +
    ls/C``. Warns when the last axis has size 1.

    Raises:
        ValueError: if the shapes differ, ``y_pred`` has rank 0, or ``axis`` is
            not an int in range.
    """
    y_true, y_pred, axis = _categorical_inputs("categorical_crossentropy", y_true, y_pred, axis,
                                               label_smoothing)
    return -jnp.sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis=axis)


def _sparse_labels(owner, y_true, y_pred, axis):
    """Integer labels of shape ``y_pred.shape`` without the class axis, and that axis."""
    check_min_rank(owner, "y_pred", np.shape(y_pred), 1)
    class_axis = _check_axis(owner, axis, y_pred.ndim)
    y_true = ops.convert_to_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[class_axis] == 1:
        y_true = jnp.squeeze(y_true, class_axis)
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]
    if y_true.shape != expected:
        raise ValueError(
            f"{owner}: y_true must have y_pred's shape without the class axis {axis}, i.e. "
            f"{expected} (optionally with a size-1 axis there); received y_true.shape="
            f"{y_true.shape}, y_pred.shape={y_pred.shape}.")
    return y_true, class_axis


def _valid_labels(y_true, ignore_class, dtype):
    """Keras's ``y_true != ignore_class`` (the class id compared in ``y_pred``'s dtype)."""
    return y_true != jnp.asarray(ignore_class, dtype)


def sparse_categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike,
                                    from_logits: bool = False, ignore_class: int | None = None,
                                    axis: int = -1) -> jax.Array:
    """Per-sample ``−log p[label]`` for integer labels (class scores along ``axis``).

    ``y_true`` has ``y_pred``'s shape without the class axis (a size-1 axis in
    its place is squeezed). Probabilities are renormalised and clipped to
    ``[eps, 1 − eps]``; logits go through ``log_softmax``. Out-of-range labels
    give 0. With ``ignore_class``, samples labelled with it give 0 (the metric
    drops them from the mean only when a ``sample_weight`` is given, as Keras).

    Raises:
        ValueError: if ``y_true``'s shape does not fit ``y_pred``'s, or ``axis``
            is not an int in range.
    """
    owner = kernel_label("sparse_categorical_crossentropy")
    y_pred = float_pred(y_pred)
    y_true, class_axis = _sparse_labels(owner, y_true, y_pred, axis)
    check_class_ids(kernel_label("sparse_categorical_crossentropy",
                                 "SparseCategoricalCrossentropy"),
                    "y_true", y_true, y_pred.shape[class_axis], ignore_class)
    if ignore_class is not None:
        valid = _valid_labels(y_true, ignore_class, y_pred.dtype)
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(jnp.expand_dims(valid, class_axis), y_pred, 0)
    one_hot = ops.one_hot(ops.cast(y_true, "int32"), y_pred.shape[class_axis], axis=class_axis)
    values = -jnp.sum(one_hot * _log_probabilities(y_pred, from_logits, class_axis),
                      axis=class_axis)
    return values if ignore_class is None else jnp.where(valid, values, 0.0)


def ignored_class_sample_weight(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike,
                                ignore_class: int, axis: int, dtype: Any) -> jax.Array:
    """``sample_weight`` times the ``y_true != ignore_class`` mask (Keras's ``apply_mask``).

    The mask has the per-sample values' shape; the two are brought to the same
    rank (a trailing size-1 axis squeezed or added) and multiplied with
    broadcasting, so ignored samples get weight 0.

    Raises:
        ValueError: if the weight does not broadcast against the mask.
    """
    owner = kernel_label("sparse_categorical_crossentropy")
    y_pred = float_pred(y_pred)
    y_true, _ = _sparse_labels(owner, y_true, y_pred, axis)
    mask = ops.cast(_valid_labels(y_true, ignore_class, y_pred.dtype), dtype)
    mask, sample_weight = ops.squeeze_or_expand_to_same_rank(mask, ops.cast(sample_weight, dtype))
    check_broadcast(owner, "sample_weight", sample_weight.shape, "the ignore_class mask",
                    mask.shape)
    return sample_weight * mask


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``Σ t·log(t / p)`` over the last axis, both clipped to ``[eps, 1]``.

    Raises:
        ValueError: if the shapes do not broadcast or have rank 0.
    """
    y_true, y_pred = _last_axis_pair("kl_divergence", y_true, y_pred)

    def divergence(t, p):
        t = jnp.clip(t, _EPS, 1.0)
        return t * jnp.log(t / jnp.clip(p, _EPS, 1.0))

    return reduce_last_axis(divergence, y_true, y_pred, jnp.sum)


def poisson(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample ``mean(p − t·log(p + eps))`` over the last axis.

    Raises:
        ValueError: if the shapes do not broadcast or have rank 0.
    """
    y_true, y_pred = _last_axis_pair("poisson", y_true, y_pred)
    return reduce_last_axis(lambda t, p: p - t * jnp.log(p + _EPS), y_true, y_pred)


def binary_focal_crossentropy(y_true: ArrayLike, y_pred: ArrayLike,
                              apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> jax.Array:
    """Per-sample ``mean((1 − p_t)^γ · bce [· (t·α + (1 − t)(1 − α))], axis)``.

    ``p_t = t·p + (1 − t)(1 − p)`` on the (sigmoid of the logits, if
    ``from_logits``) unclipped ``p``; ``bce`` is the clipped binary
    cross-entropy; the class-balancing factor applies when
    ``apply_class_balancing``. Label smoothing: ``t·(1 − ls) + 0.5·ls``.

    Raises:
        ValueError: if the shapes differ or ``y_pred`` has rank 0.
    """
    y_true, y_pred = _binary_inputs("binary_focal_crossentropy", y_true, y_pred,
                                    label_smoothing, axis)
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * _elementwise_bce(y_true, y_pred, False)
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> jax.Array:
    """Per-sample ``Σ α·(1 − p)^γ · (−t·log p)`` over the class ``axis``.

    ``p`` is the softmax of the logits (``from_logits``) or ``y_pred``,
    renormalised along ``axis`` and clipped to ``[eps, 1 − eps]``. Label
    smoothing as `categorical_crossentropy`. Warns when the last axis has size 1.

    Raises:
        ValueError: if the shapes differ, ``y_pred`` has rank 0, or ``axis`` is
            not an int in range.
    """
    y_true, y_pred, axis = _categorical_inputs("categorical_focal_crossentropy", y_true, y_pred,
                                               axis, label_smoothing)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    p = jnp.clip(y_pred / jnp.sum(y_pred, axis=axis, keepdims=True), _EPS, 1.0 - _EPS)
    focal = jnp.power(1.0 - p, gamma) * alpha * (-y_true * jnp.log(p))
    return jnp.sum(focal, axis=axis)
