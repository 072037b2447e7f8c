"""F-scores: `metric_fbeta_score` and `metric_f1_score` (Keras ``FBetaScore``, ``F1Score``).

Per class (or over everything for ``average="micro"``) the metric keeps the
weighted counts of true positives, false positives, false negatives and the
support ``Σ w·y_true`` (Keras's ``intermediate_weights``). The state is
created from the first batch's shapes (inputs must be 2-D ``(batch_size,
num_classes)``) and accumulated with Neumaier compensation (a
``*_compensation`` variable after each of Keras's four), so float32 counts do
not stall past 2^24.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import ops
from ..factory import Metric
from .reduction import accumulate, accumulated, add_compensations

__all__ = ["fbeta_counts", "fbeta_from_counts", "fbeta_predictions", "metric_f1_score",
           "metric_fbeta_score"]

_AVERAGES = (None, "micro", "macro", "weighted")
_COUNT_NAMES = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")


# -- kernels ------------------------------------------------------------------------------------
def fbeta_predictions(y_pred: jax.Array, threshold: float | None) -> jax.Array:
    """Boolean predictions: ``y_pred > threshold``, or (``threshold=None``) the row maximum.

    In argmax mode every entry equal to its row's maximum is predicted (ties
    all count) unless that maximum is 0 (``|max| <= 1e-9``): an all-zero row
    predicts nothing.
    """
    if threshold is None:
        row_max = jnp.max(y_pred, axis=-1, keepdims=True)
        return jnp.logical_and(y_pred >= row_max, jnp.abs(y_pred) > 1e-9)
    return y_pred > threshold


def _weight_to_rank_2(sample_weight: jax.Array) -> jax.Array:
    """A rank-1 weight ``(N,)`` becomes ``(N, 1)``; scalars and 2-D weights are unchanged."""
    return sample_weight[:, None] if sample_weight.ndim == 1 else sample_weight


def fbeta_counts(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None,
                 threshold: float | None, axis: int | None, dtype: str):
    """One batch's weighted ``(tp, fp, fn, support)`` summed over ``axis`` (``None``: all).

    With ``ŷ = fbeta_predictions(y_pred, threshold)`` and weight ``w`` (1 when
    absent; ``(N,)`` acts as ``(N, 1)``): ``tp = Σ w·ŷ·y``, ``fp = Σ w·ŷ·(1-y)``,
    ``fn = Σ w·(1-ŷ)·y``, ``support = Σ w·y``. Inputs are cast to ``dtype``
    first, as Keras does.

    Returns:
        Four arrays of shape ``(C,)`` for ``axis=0``, scalars for ``axis=None``.
    """
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    predicted = ops.cast(fbeta_predictions(y_pred, threshold), dtype)
    y_true = jnp.broadcast_to(y_true, jnp.broadcast_shapes(y_true.shape, predicted.shape))
    if sample_weight is not None:
        weight = _weight_to_rank_2(ops.cast(sample_weight, dtype))
        predicted_w, support_w = predicted * weight, y_true * weight
    else:
        predicted_w, support_w = predicted, y_true
    tp = jnp.sum(predicted * support_w, axis=axis)
    support = jnp.sum(support_w, axis=axis)
    return tp, jnp.sum(predicted_w, axis=axis) - tp, support - tp, support


def fbeta_from_counts(tp: ArrayLike, fp: ArrayLike, fn: ArrayLike, support: ArrayLike,
                      beta: float, average: str | None) -> jax.Array:
    """Keras's F-beta from accumulated counts, with its ``eps = 1e-7`` smoothing.

    ``p = tp/(tp+fp+eps)``, ``r = tp/(tp+fn+eps)``,
    ``f = (1+β²)·p·r/(β²·p + r + eps)``; ``"weighted"`` returns
    ``Σ f·support/(Σ support + eps)``, ``"micro"``/``"macro"`` the mean of ``f``,
    ``None`` the per-class vector.
    """
    tp, fp, fn, support = (jnp.asarray(ops.unwrap(x)) for x in (tp, fp, fn, support))
    precision = tp / (tp + fp + ops.EPSILON)
    recall = tp / (tp + fn + ops.EPSILON)
    b2 = beta**2
    score = (precision * recall) / ((b2 * precision) + recall + ops.EPSILON) * (1 + b2)
    if average == "weighted":
        return jnp.sum(score * (support / (jnp.sum(support) + ops.EPSILON)))
    if average is not None:
        return jnp.mean(score)
    return score


# -- FBetaScore ---------------------------------------------------------------------------------
def _label(metric) -> str:
    return f"{type(metric).__name__} {metric.name!r}"


def _fbeta_initialize(average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
    """F-beta score, the weighted harmonic mean of precision and recall, per class.

    ``f = (1+β²)·precision·recall / (β²·precision + recall)`` computed from
    counts accumulated over every batch (Keras's formula, with ``eps = 1e-7``
    in each denominator, so a perfect score reads ``0.9999999``). A prediction
    is positive when ``y_pred > threshold``, or with ``threshold=None`` when it
    equals its row's maximum (ties all positive; an all-zero row predicts
    nothing). Inputs must be 2-D ``(batch_size, num_classes)`` (one-hot or
    multi-label ``y_true``); the state is created from the first batch. A
    ``sample_weight`` may be a scalar, ``(N,)``, ``(N, 1)`` or ``(N, C)``.
    Before the first update ``result()`` raises a ``ValueError`` (Keras:
    ``AttributeError``).

    Args:
        average: ``None`` (per-class vector), ``"micro"`` (global counts),
            ``"macro"`` (mean over classes) or ``"weighted"`` (mean weighted
            by each class's support ``Σ w·y_true``).
        beta: Weight of recall, a Python float ``> 0``.
        threshold: ``None`` (argmax mode) or a Python float in ``(0, 1]``.
        name: Metric name.
        dtype: State and result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for an unknown ``average``, a ``beta`` that is not a float
            ``> 0``, or a ``threshold`` that is not a float in ``(0, 1]``
            (Keras's messages, prefixed with the metric).

    Example:
        >>> m = metric_fbeta_score(beta=2.0, threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> [round(float(v), 4) for v in m.result()]
        [0.3846, 0.9091, 0.8333]
    """
    super.initialize(name=name, dtype=dtype)
    if average not in _AVERAGES:
        raise ValueError(
            f"{_label(self)}: Invalid `average` argument value. Expected one of: "
            f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}")
    if not isinstance(beta, float):
        raise ValueError(
            f"{_label(self)}: Invalid `beta` argument value. It should be a Python float. "
            f"Received: beta={beta} of type '{type(beta)}'. Write e.g. beta=2.0.")
    if beta <= 0.0:
        raise ValueError(
            f"{_label(self)}: Invalid `beta` argument value. It should be > 0. "
            f"Received: beta={beta}")
    if threshold is not None:
        if not isinstance(threshold, float):
            raise ValueError(
                f"{_label(self)}: Invalid `threshold` argument value. It should be a Python float. "
                f"Received: threshold={threshold} of type '{type(threshold)}'. "
                "Write e.g. threshold=0.5, or None for argmax mode.")
        if threshold > 1.0 or threshold <= 0.0:
            raise ValueError(
                f"{_label(self)}: Invalid `threshold` argument value. It should verify "
                f"0 < threshold <= 1. Received: threshold={threshold}")
    self.average = average
    self.beta = beta
    self.threshold = threshold
    self.axis = None if average == "micro" else 0
    self.built = False


def _fbeta_build(y_true, y_pred):
    """Create the count variables from the first batch's shapes.

    Args:
        y_true: The first batch's targets (an array or ``jax.ShapeDtypeStruct``).
        y_pred: The first batch's predictions (idem); its last dimension is the
            number of classes.

    Raises:
        ValueError: unless both are 2-D.
    """
    true_shape, pred_shape = ops.shape(y_true), ops.shape(y_pred)
    if len(pred_shape) != 2 or len(true_shape) != 2:
        raise ValueError(
            f"{_label(self)}: {type(self).__name__} expects 2D inputs with shape "
            f"(batch_size, output_dim). Received input shapes: y_pred.shape={pred_shape} and "
            f"y_true.shape={true_shape}. For binary targets of shape (N,), pass y[:, None].")
    shape = () if self.average == "micro" else (pred_shape[-1],)
    for name in _COUNT_NAMES:
        setattr(self, name, self.add_variable(shape, "zeros", dtype=self.dtype, name=name))
    add_compensations(self, _COUNT_NAMES)
    self.built = True


def _fbeta_check_batch(y_true, y_pred, sample_weight):
    shapes = [ops.shape(y_true), ops.shape(y_pred)]
    if sample_weight is not None:
        weight_shape = ops.shape(sample_weight)
        shapes.append(weight_shape + (1,) if len(weight_shape) == 1 else weight_shape)
    try:
        batch_shape = np.broadcast_shapes(*shapes)
    except ValueError:
        batch_shape = None
    if batch_shape is None or (self.axis == 0 and batch_shape[1:] != self.true_positives.shape):
        raise ValueError(
            f"{_label(self)}: y_true {shapes[0]}, y_pred {shapes[1]} and sample_weight "
            f"{None if sample_weight is None else ops.shape(sample_weight)} do not broadcast to "
            f"(batch_size, {self.true_positives.shape[0] if self.axis == 0 else 'C'}), the "
            "shape this metric was built for. Pass 2-D inputs with the same number of classes "
            "and a scalar, (N,), (N, 1) or (N, C) sample_weight.")


def _fbeta_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch's weighted counts.

    Args:
        y_true: Targets, shape ``(N, C)`` (0/1 entries).
        y_pred: Scores, shape ``(N, C)``.
        sample_weight: Optional scalar, ``(N,)``, ``(N, 1)`` or ``(N, C)`` weights.

    Raises:
        ValueError: if the shapes do not broadcast to ``(N, C)`` for the built ``C``.
    """
    self._check_batch(y_true, y_pred, sample_weight)
    counts = fbeta_counts(y_true, y_pred, sample_weight, self.threshold, self.axis, self.dtype)
    for name, count in zip(_COUNT_NAMES, counts):
        accumulate(self, name, count)


def _fbeta_result():
    counts = [accumulated(self, name) for name in _COUNT_NAMES]
    return fbeta_from_counts(*counts, self.beta, self.average)


metric_fbeta_score = Metric(
    "FBetaScore", initialize=_fbeta_initialize, update_state=_fbeta_update_state,
    result=_fbeta_result, build=_fbeta_build, _check_batch=_fbeta_check_batch,
    _direction="up")


# -- F1Score ------------------------------------------------------------------------------------
def _f1_initialize(average=None, threshold=None, name="f1_score", dtype=None):
    """F1 score: `metric_fbeta_score` with ``beta=1.0`` (harmonic mean of precision and recall).

    ``f1 = 2·precision·recall / (precision + recall)`` per class, from counts
    accumulated over every batch (Keras's ``eps = 1e-7`` smoothing). Same
    inputs, thresholding and averaging as `metric_fbeta_score`; the config
    has no ``beta``.

    Args:
        average: ``None``, ``"micro"``, ``"macro"`` or ``"weighted"``.
        threshold: ``None`` (argmax mode) or a Python float in ``(0, 1]``.
        name: Metric name.
        dtype: State and result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for an unknown ``average`` or a ``threshold`` that is not a
            float in ``(0, 1]``.

    Example:
        >>> m = metric_f1_score(threshold=0.5)
        >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
        ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        >>> [round(float(v), 4) for v in m.result()]
        [0.5, 0.8, 0.6667]
    """
    super.initialize(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)


metric_f1_score = Metric("F1Score", initialize=_f1_initialize, inherit=metric_fbeta_score)
