"""Correlation metrics: Pearson and concordance correlation coefficients.

Each is a per-sample coefficient across ``axis`` (the feature axis by
default), averaged over samples. Kernels follow Keras 3 exactly; integer or
boolean ``y_pred`` is cast to floatx first (a deliberate difference).

The kernels live in `metricdsl.functional.correlation`; both metrics have
``higher_is_better = True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..factory import Metric
from ..functional import concordance_correlation, pearson_correlation
from ..functional.numbers import Integral
from ._members import paired_update_state
from .reduction import metric_mean_wrapper

__all__ = ["metric_concordance_correlation", "metric_pearson_correlation"]


def _pearson_initialize(name: str | None = "pearson_correlation", dtype: Any = None,
                        axis: Integral | Sequence[Integral] = -1):
    """Pearson correlation: weighted mean over samples of each sample's coefficient along ``axis``.

    Called with ``y_true, y_pred`` (and ``axis``) it returns the per-sample
    coefficients instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        axis: Axis (or tuple of axes) along which each coefficient is computed.

    Example:
        >>> m = metric_pearson_correlation()
        >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        >>> round(float(m.result()), 5)
        0.9967
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    super.initialize(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
    self.axis = axis


metric_pearson_correlation = Metric(
    "PearsonCorrelation", initialize=_pearson_initialize, update_state=paired_update_state,
    inherit=metric_mean_wrapper, functional=pearson_correlation, higher_is_better=True)


def _concordance_initialize(name: str | None = "concordance_correlation", dtype: Any = None,
                            axis: Integral | Sequence[Integral] = -1):
    """Concordance correlation (Lin's CCC): weighted mean of each sample's CCC along ``axis``.

    Called with ``y_true, y_pred`` (and ``axis``) it returns the per-sample
    coefficients instead.

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.
        axis: Axis (or tuple of axes) along which each coefficient is computed.

    Example:
        >>> m = metric_concordance_correlation()
        >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        >>> round(float(m.result()), 5)
        0.98163
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    super.initialize(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
    self.axis = axis


metric_concordance_correlation = Metric(
    "ConcordanceCorrelation", initialize=_concordance_initialize,
    update_state=paired_update_state, inherit=metric_mean_wrapper,
    functional=concordance_correlation, higher_is_better=True)
