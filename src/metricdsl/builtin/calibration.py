"""Calibration and goodness of fit: `metric_brier_score`, `metric_expected_calibration_error`,
`metric_explained_variance`.

The Brier score is a weighted mean (`metric_mean_wrapper`) of the
per-sample `brier_score`; the expected calibration error keeps three
``(num_bins,)`` sums; the explained variance five ``(D,)`` sums per output
(shape from the first batch). Every state is additive and float32-compensated,
so streamed batches and `merge_state` over shards equal one pass. The
kernels live in `metricdsl.functional.calibration`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..factory import Metric
from ..functional import (
    MULTIOUTPUT,
    CalibrationBins,
    ExplainedVarianceSums,
    brier_score,
    calibration_bins,
    check_int,
    check_option,
    expected_calibration_error,
    explained_variance,
    explained_variance_sums,
)
from ..functional._common import aligned_shapes, metric_label
from ..functional.numbers import Integral
from .reduction import metric_mean_wrapper

__all__ = ["metric_brier_score", "metric_expected_calibration_error", "metric_explained_variance"]


# -- Brier score --------------------------------------------------------------------------------
def _brier_initialize(name: str | None = "brier_score", dtype: Any = None):
    """Brier score, as scikit-learn's ``brier_score_loss``: weighted mean of `brier_score`.

    Binary: ``y_pred`` is the probability of class 1, shape ``(N,)`` or
    ``(N, 1)``, and the score ``mean (y - p)²``. Multiclass: ``y_pred`` rows of
    ``C`` probabilities with one-hot ``y_true``, ``mean Σ_c (y_c - p_c)²``
    (halved for ``C = 2``, as scikit-learn's ``scale_by_half="auto"``).

    Args:
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Example:
        >>> m = metric_brier_score()
        >>> m.update_state([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])
        >>> round(float(m.result()), 6)
        0.0375
    """
    super.initialize(fn=brier_score, name=name, dtype=dtype)


metric_brier_score = Metric("BrierScore", initialize=_brier_initialize,
                            inherit=metric_mean_wrapper, higher_is_better=False)


# -- expected calibration error -----------------------------------------------------------------
_NORMS = ("l1", "l2", "max")


def _ece_initialize(num_bins: Integral = 15, norm: str = "l1",
                    name: str | None = "expected_calibration_error", dtype: Any = None):
    """Expected calibration error over ``num_bins`` equal-width confidence bins.

    Binary ``y_pred`` (``(N,)``/``(N, 1)``) is its own confidence and
    ``y_true`` the accuracy; multiclass ``(N, C)`` scores have confidence
    ``max p`` and accuracy ``[argmax p == label]`` (ids or one-hot labels).
    Confidence ``c`` falls in bin ``min(floor(c·num_bins), num_bins - 1)``.
    With per-bin weighted means ``acc_b``, ``conf_b`` and weights ``n_b``:
    ``"l1"`` ``Σ (n_b/n)|acc_b - conf_b|``, ``"l2"`` the root of
    ``Σ (n_b/n)(acc_b - conf_b)²``, ``"max"`` the largest gap (TorchMetrics'
    norms). 0 with no data.

    Args:
        num_bins: Number of bins (an integer >= 1, default 15).
        norm: ``"l1"``, ``"l2"`` or ``"max"``.
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for ``num_bins < 1`` or an unknown ``norm``.

    Example:
        >>> m = metric_expected_calibration_error(num_bins=2)
        >>> m.update_state([0, 1, 1, 0], [0.2, 0.9, 0.7, 0.6])
        >>> round(float(m.result()), 6)
        0.1
    """
    label = metric_label(self)
    self.num_bins = check_int(label, "num_bins", num_bins, 1, none_ok=False)
    self.norm = check_option(label, "norm", norm, _NORMS)
    super.initialize(name=name, dtype=dtype)
    for field in CalibrationBins._fields:
        setattr(self, field, self.add_variable((self.num_bins,), "zeros", name=field))


def _ece_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch's per-bin sums.

    Args:
        y_true: Binary labels ``(N,)``/``(N, 1)``, or class ids / one-hot rows.
        y_pred: Probabilities of class 1, or ``(N, C)`` class probabilities.
        sample_weight: Optional scalar or per-sample weights.
    """
    bins = calibration_bins(y_true, y_pred, sample_weight, self.num_bins, self.count.dtype)
    for field, value in zip(CalibrationBins._fields, bins):
        getattr(self, field).assign_add(value)


def _ece_result():
    return expected_calibration_error(self.count, self.confidence, self.accuracy, self.norm)


metric_expected_calibration_error = Metric(
    "ExpectedCalibrationError", initialize=_ece_initialize, update_state=_ece_update_state,
    result=_ece_result, higher_is_better=False)


# -- explained variance -------------------------------------------------------------------------
def _ev_initialize(multioutput: str = "uniform_average",
                   name: str | None = "explained_variance", dtype: Any = None):
    """Explained variance, as scikit-learn's ``explained_variance_score`` (``force_finite=True``).

    Per output ``1 - Var_w(y - ŷ) / Var_w(y)`` from weighted sums kept per
    output (``(N,)`` inputs are one output; the number of outputs is taken
    from the first batch). A constant ``y`` scores 1 for constant residuals,
    else 0. The variances are computed as ``E[x²] - E[x]²`` from exact sums in
    float32, so accuracy degrades as ``mean²/variance`` of ``y`` or of the
    residual grows (about 1e-7 times that ratio).

    Args:
        multioutput: ``"uniform_average"``, ``"variance_weighted"`` or
            ``"raw_values"`` (one value per output).
        name: Metric name.
        dtype: Result dtype; default ``config.floatx()``.

    Raises:
        ValueError: for an unknown ``multioutput``.

    Example:
        >>> m = metric_explained_variance()
        >>> m.update_state([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
        >>> round(float(m.result()), 4)
        0.9572
    """
    self.multioutput = check_option(metric_label(self), "multioutput", multioutput, MULTIOUTPUT)
    super.initialize(name=name, dtype=dtype)
    self.built = False


def _ev_build(y_true, y_pred):
    """Create the per-output sums from the first batch's shapes (``(N,)``: one output).

    Args:
        y_true: The first batch's targets (an array or ``jax.ShapeDtypeStruct``).
        y_pred: The first batch's predictions (idem).
    """
    _, pred_shape = aligned_shapes(y_true, y_pred)
    outputs = int(np.prod(pred_shape[1:], dtype=np.int64))
    for field in ExplainedVarianceSums._fields:
        setattr(self, field, self.add_variable((outputs,), "zeros", name=field))
    self.built = True


def _ev_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch's per-output weighted sums.

    Args:
        y_true: Targets ``(N,)`` or ``(N, D)``.
        y_pred: Predictions of the same shape.
        sample_weight: Optional scalar or per-sample weights.
    """
    sums = explained_variance_sums(y_true, y_pred, sample_weight, self.weight.dtype)
    for field, value in zip(ExplainedVarianceSums._fields, sums):
        getattr(self, field).assign_add(value)


def _ev_result():
    return explained_variance(*(getattr(self, f) for f in ExplainedVarianceSums._fields),
                              multioutput=self.multioutput)


metric_explained_variance = Metric(
    "ExplainedVariance", initialize=_ev_initialize, build=_ev_build,
    update_state=_ev_update_state, result=_ev_result, higher_is_better=True)
