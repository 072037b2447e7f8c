"""Probabilistic metrics: cross-entropies, KL divergence, Poisson (Keras ``probabilistic_metrics``).

The per-sample kernels follow Keras's loss functions (``keras.losses``)
exactly: probabilities are clipped to ``[eps, 1 - eps]`` (``eps = 1e-7``),
categorical and sparse cross-entropies first renormalise ``y_pred`` to sum to
1 along the class axis, the logits paths use ``log_softmax`` /
``log_sigmoid``. The metrics are weighted means (`metric_mean_wrapper`) of
them; all five are dual. The focal cross-entropies are function-only, as in
Keras (no metric class exists).

Deliberate difference from Keras: integer or boolean ``y_pred`` is cast to
floatx first. Keras computes in ``y_pred``'s dtype, so integer predictions
turn ``eps`` into 0 (``Poisson`` on integer inputs gives NaN there).

The kernels live in `metricdsl.functional.probabilistic`. Every metric here
is a loss: ``higher_is_better = False``.
"""

from __future__ import annotations

from typing import Any

import jax
from jax.typing import ArrayLike

from ..factory import Metric, function_only
from ..functional import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    ignored_class_sample_weight,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ..functional.numbers import Integral, Real
from .reduction import metric_mean_wrapper

__all__ = [
    "metric_binary_crossentropy",
    "metric_binary_focal_crossentropy",
    "metric_categorical_crossentropy",
    "metric_categorical_focal_crossentropy",
    "metric_kl_divergence",
    "metric_poisson",
    "metric_sparse_categorical_crossentropy",
]


# -- metrics ------------------------------------------------------------------------------------
def _kld_initialize(name: str | None = "kl_divergence", dtype: Any = None):
    """Weighted mean of the Kullback-Leibler divergence `kl_divergence`.

    Per sample ``Σ t·log(t / p)`` over the last axis with both clipped to
    ``[eps, 1]``. Dual: ``metric_kl_divergence(y_true, y_pred)`` returns the
    per-sample values.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_kl_divergence()
        >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 5)
        0.45814
    """
    super.initialize(fn=kl_divergence, name=name, dtype=dtype)


metric_kl_divergence = Metric("KLDivergence", initialize=_kld_initialize,
                              inherit=metric_mean_wrapper, functional=kl_divergence,
                              higher_is_better=False)


def _poisson_initialize(name: str | None = "poisson", dtype: Any = None):
    """Weighted mean of the Poisson deviance term `poisson`.

    Per sample ``mean(p − t·log(p + eps))`` over the last axis. Dual:
    ``metric_poisson(y_true, y_pred)`` returns the per-sample values. Integer
    ``y_pred`` is cast to floatx first (Keras would compute in integers).

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_poisson()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> round(float(m.result()), 6)
        0.5
    """
    super.initialize(fn=poisson, name=name, dtype=dtype)


metric_poisson = Metric("Poisson", initialize=_poisson_initialize, inherit=metric_mean_wrapper,
                        functional=poisson, higher_is_better=False)


def _bce_initialize(name: str | None = "binary_crossentropy", dtype: Any = None,
                    from_logits: bool = False, label_smoothing: Real = 0):
    """Weighted mean of the binary cross-entropy `binary_crossentropy`.

    Per sample ``mean(−(t·log p + (1 − t)·log(1 − p)))`` over the last axis, ``p``
    clipped to ``[eps, 1 − eps]``. Dual: ``metric_binary_crossentropy(y_true,
    y_pred, from_logits=False, label_smoothing=0.0, axis=-1)`` returns the
    per-sample values (the metric itself always averages the last axis).

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: In ``[0, 1]``; labels become ``t·(1 − ls) + 0.5·ls``.

    Example:
        >>> m = metric_binary_crossentropy()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 5)
        0.81492
    """
    super.initialize(fn=binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                     label_smoothing=label_smoothing)
    self.from_logits = from_logits
    self.label_smoothing = label_smoothing


metric_binary_crossentropy = Metric(
    "BinaryCrossentropy", initialize=_bce_initialize, inherit=metric_mean_wrapper,
    functional=binary_crossentropy, higher_is_better=False)


def _cce_initialize(name: str | None = "categorical_crossentropy", dtype: Any = None,
                    from_logits: bool = False, label_smoothing: Real = 0, axis: Integral = -1):
    """Weighted mean of the categorical cross-entropy `categorical_crossentropy`.

    Per sample ``−Σ t·log p`` over ``axis`` for one-hot labels; probabilities
    are renormalised and clipped to ``[eps, 1 − eps]``. Dual:
    ``metric_categorical_crossentropy(y_true, y_pred, from_logits=False,
    label_smoothing=0.0, axis=-1)`` returns the per-sample values.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: In ``[0, 1]``; labels become ``t·(1 − ls) + ls/C``.
        axis: The class axis (0-based; negative counts from the end).

    Example:
        >>> m = metric_categorical_crossentropy()
        >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 5)
        1.17694
    """
    super.initialize(fn=categorical_crossentropy, name=name, dtype=dtype,
                     from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
    self.from_logits = from_logits
    self.label_smoothing = label_smoothing
    self.axis = axis


metric_categorical_crossentropy = Metric(
    "CategoricalCrossentropy", initialize=_cce_initialize, inherit=metric_mean_wrapper,
    functional=categorical_crossentropy, higher_is_better=False)


def _scce_initialize(name: str | None = "sparse_categorical_crossentropy", dtype: Any = None,
                     from_logits: bool = False, ignore_class: Integral | None = None,
                     axis: Integral = -1):
    """Weighted mean of the sparse categorical cross-entropy for integer labels.

    Per sample ``−log p[label]`` (`sparse_categorical_crossentropy`). With
    ``ignore_class``, samples with that label contribute 0; as in Keras they
    are dropped from the mean's denominator only when a ``sample_weight`` is
    given (unweighted, they still count). Dual:
    ``metric_sparse_categorical_crossentropy(y_true, y_pred, from_logits=False,
    ignore_class=None, axis=-1)`` returns the per-sample values.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label id whose samples are ignored, or None.
        axis: The class axis of ``y_pred`` (0-based; negative counts from the end).

    Example:
        >>> m = metric_sparse_categorical_crossentropy()
        >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> round(float(m.result()), 5)
        1.17694
    """
    super.initialize(fn=sparse_categorical_crossentropy, name=name, dtype=dtype,
                     from_logits=from_logits, ignore_class=ignore_class, axis=axis)
    self.from_logits = from_logits
    self.ignore_class = ignore_class
    self.axis = axis


def _scce_update_state(y_true, y_pred, sample_weight=None):
    if sample_weight is not None and self.ignore_class is not None:
        sample_weight = ignored_class_sample_weight(y_true, y_pred, sample_weight,
                                                    self.ignore_class, self.axis, self.dtype)
    super.update_state(y_true, y_pred, sample_weight=sample_weight)


metric_sparse_categorical_crossentropy = Metric(
    "SparseCategoricalCrossentropy", initialize=_scce_initialize,
    update_state=_scce_update_state, inherit=metric_mean_wrapper,
    functional=sparse_categorical_crossentropy, higher_is_better=False)


# -- function-only ------------------------------------------------------------------------------
@function_only
def metric_binary_focal_crossentropy(
        y_true: ArrayLike, y_pred: ArrayLike, apply_class_balancing: bool = False,
        alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
        label_smoothing: float = 0.0, axis: int = -1) -> jax.Array:
    """Per-sample binary focal cross-entropy (function-only; see `binary_focal_crossentropy`).

    ``mean((1 − p_t)^γ · bce [· (t·α + (1 − t)(1 − α))], axis)`` with
    ``p_t = t·p + (1 − t)(1 − p)``.

    Args:
        y_true: Binary labels, the shape of ``y_pred``.
        y_pred: Probabilities (or logits with ``from_logits``).
        apply_class_balancing: Weigh positives by ``alpha``, negatives by ``1 − alpha``.
        alpha: The class-balancing weight of positives.
        gamma: The focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In ``[0, 1]``; labels become ``t·(1 − ls) + 0.5·ls``.
        axis: The axis averaged over.

    Returns:
        ``y_pred.shape`` without ``axis``.

    Raises:
        TypeError: if ``y_true`` or ``y_pred`` is missing (the function is function-only).
        ValueError: if the shapes differ.

    Example:
        >>> values = metric_binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]],
        ...                                           gamma=2.0)
        >>> [round(float(v), 5) for v in values]
        [0.32986, 0.2058]
    """
    return binary_focal_crossentropy(y_true, y_pred, apply_class_balancing, alpha, gamma,
                                     from_logits, label_smoothing, axis)


@function_only
def metric_categorical_focal_crossentropy(
        y_true: ArrayLike, y_pred: ArrayLike, alpha: float = 0.25,
        gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
        axis: int = -1) -> jax.Array:
    """Per-sample categorical focal cross-entropy (function-only; `categorical_focal_crossentropy`).

    ``Σ α·(1 − p)^γ · (−t·log p)`` over ``axis`` on renormalised, clipped ``p``.

    Args:
        y_true: One-hot (or soft) labels, the shape of ``y_pred``.
        y_pred: Probabilities (or logits with ``from_logits``).
        alpha: The weighting factor.
        gamma: The focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In ``[0, 1]``; labels become ``t·(1 − ls) + ls/C``.
        axis: The class axis.

    Returns:
        ``y_pred.shape`` without ``axis``.

    Raises:
        TypeError: if ``y_true`` or ``y_pred`` is missing (the function is function-only).
        ValueError: if the shapes differ.

    Example:
        >>> values = metric_categorical_focal_crossentropy(
        ...     [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
        >>> [round(float(v), 6) for v in values]
        [3.2e-05, 0.466273]
    """
    return categorical_focal_crossentropy(y_true, y_pred, alpha, gamma, from_logits,
                                          label_smoothing, axis)

