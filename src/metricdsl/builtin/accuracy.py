"""Accuracy metrics: how often predictions match labels (Keras 3 ``accuracy_metrics``).

Each metric is a weighted mean (`metric_mean_wrapper`) of a per-sample kernel
below. All but `metric_accuracy` are dual: called with ``y_true, y_pred`` they
return the kernel's per-sample values (Keras's output shape); called without
data they return a metric instance.

Integer or boolean ``y_pred`` is cast to floatx before the kernel runs (the
metric does so in `metric_mean_wrapper`; the kernels do the same so both call
shapes agree). Keras compares in ``y_pred``'s own dtype; the results differ
only for float labels compared with integer predictions, and for integer ids
of ``2**24`` or more (not exact in float32). The kernels live in
`metricdsl.functional.accuracy`.

Every accuracy has ``higher_is_better = True``.
"""

from __future__ import annotations

from typing import Any

from ..factory import Metric
from ..functional import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    check_k,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ..functional._common import metric_label
from ..functional.numbers import Integral, Real
from .reduction import metric_mean_wrapper

__all__ = [
    "metric_accuracy",
    "metric_binary_accuracy",
    "metric_categorical_accuracy",
    "metric_sparse_categorical_accuracy",
    "metric_sparse_top_k_categorical_accuracy",
    "metric_top_k_categorical_accuracy",
]


# -- metrics ------------------------------------------------------------------------------------
def _accuracy_initialize(name: str | None = "accuracy", dtype: Any = None):
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


metric_accuracy = Metric("Accuracy", initialize=_accuracy_initialize, inherit=metric_mean_wrapper,
                         higher_is_better=True)


def _binary_accuracy_initialize(name: str | None = "binary_accuracy", dtype: Any = None,
                                threshold: Real = 0.5):
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
    functional=binary_accuracy, higher_is_better=True)


def _categorical_accuracy_initialize(name: str | None = "categorical_accuracy",
                                     dtype: Any = None):
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
    inherit=metric_mean_wrapper, functional=categorical_accuracy, higher_is_better=True)


def _sparse_categorical_accuracy_initialize(name: str | None = "sparse_categorical_accuracy",
                                            dtype: Any = None):
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
    inherit=metric_mean_wrapper, functional=sparse_categorical_accuracy, higher_is_better=True)


def _top_k_initialize(k: Integral = 5, name: str | None = "top_k_categorical_accuracy",
                      dtype: Any = None):
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
    check_k(metric_label(self), k)
    super.initialize(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
    self.k = k


metric_top_k_categorical_accuracy = Metric(
    "TopKCategoricalAccuracy", initialize=_top_k_initialize, inherit=metric_mean_wrapper,
    functional=top_k_categorical_accuracy, higher_is_better=True)


def _sparse_top_k_initialize(k: Integral = 5,
                             name: str | None = "sparse_top_k_categorical_accuracy",
                             dtype: Any = None, from_sorted_ids: bool = False):
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
    check_k(metric_label(self), k)
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
    functional=sparse_top_k_categorical_accuracy, higher_is_better=True)
