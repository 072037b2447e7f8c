"""F-scores: `metric_fbeta_score` and `metric_f1_score` (Keras ``FBetaScore``, ``F1Score``).

Per class (or over everything for ``average="micro"``) the metric keeps the
weighted counts of true positives, false positives, false negatives and the
support ``Σ w·y_true`` (Keras's ``intermediate_weights``). The state is
created from the first batch's shapes (inputs must be 2-D ``(batch_size,
num_classes)``) and accumulated with compensated sums (the residual is
auxiliary state, not a variable), so float32 counts do not stall past 2^24.
The kernels live in `metricdsl.functional.f_score`; both metrics have
``higher_is_better = True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..factory import Metric
from ..functional import SharedState, fbeta_counts, fbeta_from_counts
from ..functional._common import metric_label

__all__ = ["metric_f1_score", "metric_fbeta_score"]

_AVERAGES = (None, "micro", "macro", "weighted")
_COUNT_NAMES = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")


# -- FBetaScore ---------------------------------------------------------------------------------
def _fbeta_initialize(average: str | None = None, beta: float = 1.0,
                      threshold: float | None = None, name: str | None = "fbeta_score",
                      dtype: Any = None):
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
            f"{metric_label(self)}: Invalid `average` argument value. Expected one of: "
            f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}")
    if not isinstance(beta, float):
        raise ValueError(
            f"{metric_label(self)}: Invalid `beta` argument value. It should be a Python float. "
            f"Received: beta={beta} of type '{type(beta)}'. Write e.g. beta=2.0.")
    if beta <= 0.0:
        raise ValueError(
            f"{metric_label(self)}: Invalid `beta` argument value. It should be > 0. "
            f"Received: beta={beta}")
    if threshold is not None:
        if not isinstance(threshold, float):
            raise ValueError(
                f"{metric_label(self)}: Invalid `threshold` argument value. "
                "It should be a Python float. "
                f"Received: threshold={threshold} of type '{type(threshold)}'. "
                "Write e.g. threshold=0.5, or None for argmax mode.")
        if threshold > 1.0 or threshold <= 0.0:
            raise ValueError(
                f"{metric_label(self)}: Invalid `threshold` argument value. It should verify "
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
            f"{metric_label(self)}: FBetaScore expects 2D inputs with shape "
            f"(batch_size, output_dim). Received input shapes: y_pred.shape={pred_shape} and "
            f"y_true.shape={true_shape}. For binary targets of shape (N,), pass y[:, None].")
    shape = () if self.average == "micro" else (pred_shape[-1],)
    for name in _COUNT_NAMES:
        setattr(self, name, self.add_variable(shape, "zeros", dtype=self.dtype, name=name))
    self.built = True


def _fbeta_check_batch(y_true, y_pred, sample_weight):
    shapes = [ops.shape(y_true), ops.shape(y_pred)]
    if sample_weight is not None:
        weight_shape = ops.shape(sample_weight)
        shapes.append((*weight_shape, 1) if len(weight_shape) == 1 else weight_shape)
    try:
        batch_shape = np.broadcast_shapes(*shapes)
    except ValueError:
        batch_shape = None
    if batch_shape is None or (self.axis == 0 and batch_shape[1:] != self.true_positives.shape):
        raise ValueError(
            f"{metric_label(self)}: y_true {shapes[0]}, y_pred {shapes[1]} and sample_weight "
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
    counts = self.shared_state().compute(y_true, y_pred, sample_weight)
    for name, count in zip(_COUNT_NAMES, counts):
        getattr(self, name).assign_add(count)


def _fbeta_shared_state():
    """The update as one `fbeta_counts` call, keyed by threshold, averaging axis and dtype.

    An F1 and an F-beta score with the same ``threshold`` and ``average``
    keep the same counts (``beta`` only enters the result): in a collection
    they compute them once.
    """
    config = (("threshold", self.threshold), ("axis", self.axis), ("dtype", self.dtype))
    return SharedState(fbeta_counts, config, _COUNT_NAMES)


def _fbeta_result():
    tp, fp, fn, support = (getattr(self, name).value for name in _COUNT_NAMES)
    return fbeta_from_counts(tp, fp, fn, support, self.beta, self.average)


metric_fbeta_score = Metric(
    "FBetaScore", initialize=_fbeta_initialize, update_state=_fbeta_update_state,
    result=_fbeta_result, build=_fbeta_build, _check_batch=_fbeta_check_batch,
    shared_state=_fbeta_shared_state, higher_is_better=True)


# -- F1Score ------------------------------------------------------------------------------------
def _f1_initialize(average: str | None = None, threshold: float | None = None,
                   name: str | None = "f1_score", dtype: Any = None):
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


metric_f1_score = Metric("F1Score", initialize=_f1_initialize, inherit=metric_fbeta_score,
                         higher_is_better=True)
