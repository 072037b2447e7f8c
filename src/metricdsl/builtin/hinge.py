"""Hinge metrics: hinge, squared hinge and categorical hinge.

Per-sample kernels follow Keras 3's loss functions. Deliberate differences:
integer or boolean ``y_pred`` is cast to floatx first, and ``y_true``/``y_pred``
go through Keras's squeeze-or-expand rank alignment (Keras's hinge functions
skip it, so ``y_true`` of shape ``(N,)`` against ``y_pred`` of shape ``(N, 1)``
silently broadcast to ``(N, N)`` there).

The kernels live in `metricdsl.functional.hinge`; every hinge metric has
``higher_is_better = False``.
"""

from __future__ import annotations

from typing import Any

from ..factory import Metric
from ..functional import categorical_hinge, hinge, squared_hinge
from ._members import paired_update_state
from .reduction import metric_mean_wrapper

__all__ = ["metric_categorical_hinge", "metric_hinge", "metric_squared_hinge"]


def _hinge_initialize(name: str | None = "hinge", dtype: Any = None):
    """Hinge: weighted mean of ``mean(max(1 - y_true * y_pred, 0), axis=-1)``.

    Labels are expected in ``{-1, 1}``; a batch whose labels are all 0 or 1
    is mapped to ``{-1, 1}`` first. Called with ``y_true, y_pred`` it returns
    the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_hinge()
        >>> m.update_state([[0, 1, 0, 1], [0, 0, 1, 1]],
        ...                [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]])
        >>> round(float(m.result()), 5)
        0.50625
    """
    super.initialize(fn=hinge, name=name, dtype=dtype)


metric_hinge = Metric(
    "Hinge", initialize=_hinge_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, functional=hinge, higher_is_better=False)


def _squared_hinge_initialize(name: str | None = "squared_hinge", dtype: Any = None):
    """Squared hinge: weighted mean of ``mean(max(1 - y_true * y_pred, 0)^2, axis=-1)``.

    Labels as in `metric_hinge`. Called with ``y_true, y_pred`` it returns
    the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_squared_hinge()
        >>> m.update_state([[-1, 1, -1, 1], [-1, -1, 1, 1]],
        ...                [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]],
        ...                sample_weight=[1.5, 2.0])
        >>> round(float(m.result()), 5)
        0.34679
    """
    super.initialize(fn=squared_hinge, name=name, dtype=dtype)


metric_squared_hinge = Metric(
    "SquaredHinge", initialize=_squared_hinge_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, functional=squared_hinge, higher_is_better=False)


def _categorical_hinge_initialize(name: str | None = "categorical_hinge", dtype: Any = None):
    """Categorical hinge: weighted mean of ``max(max((1 - y) ŷ) - sum(y ŷ) + 1, 0)`` per sample.

    ``y_true`` is one-hot over the last axis. Called with ``y_true, y_pred``
    it returns the per-sample values instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_categorical_hinge()
        >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
        >>> round(float(m.result()), 5)
        1.4
    """
    super.initialize(fn=categorical_hinge, name=name, dtype=dtype)


metric_categorical_hinge = Metric(
    "CategoricalHinge", initialize=_categorical_hinge_initialize,
    update_state=paired_update_state, inherit=metric_mean_wrapper,
    functional=categorical_hinge, higher_is_better=False)
