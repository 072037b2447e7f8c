"""Calibration and goodness-of-fit kernels: Brier score, calibration error, explained variance.

`brier_score` is per sample (its metric is a weighted mean).
`calibration_bins` gives one batch's additive per-bin sums and
`expected_calibration_error` the score from them; `explained_variance_sums`
and `explained_variance` do the same for scikit-learn's
``explained_variance_score``. Every state is a fixed-size array of sums.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .. import ops
from ._common import float_pair

__all__ = [
    "MULTIOUTPUT", "CalibrationBins", "ExplainedVarianceSums", "brier_score", "calibration_bins",
    "expected_calibration_error", "explained_variance", "explained_variance_sums",
]

#: ``multioutput`` values of `explained_variance` (scikit-learn's names).
MULTIOUTPUT = ("uniform_average", "variance_weighted", "raw_values")


def brier_score(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Per-sample Brier score, as scikit-learn's ``brier_score_loss`` (``scale_by_half="auto"``).

    Binary (``y_pred`` of shape ``(N,)`` or ``(N, 1)``, the probability of
    class 1): ``(y - p)²``. Multiclass (``y_pred`` ``(N, C)``, one-hot
    ``y_true``): ``Σ_c (y_c - p_c)²``, halved when ``C == 2`` (then equal to
    the binary score of the second column).
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_pred.ndim < 2 or y_pred.shape[-1] == 1:
        return jnp.reshape(jnp.square(y_true - y_pred), y_pred.shape[:1])
    total = jnp.sum(jnp.square(y_true - y_pred), axis=-1)
    return total / 2 if y_pred.shape[-1] == 2 else total


class CalibrationBins(NamedTuple):
    """Per-bin weighted sums, each ``(num_bins,)``: weight, confidence, accuracy."""

    count: jax.Array
    confidence: jax.Array
    accuracy: jax.Array


def _confidence_and_accuracy(y_true: jax.Array, y_pred: jax.Array):
    """Binary: ``(p, y)``; multiclass: ``(max p, [argmax p == label])`` (ids or one-hot labels)."""
    if y_pred.ndim < 2 or y_pred.shape[-1] == 1:
        return y_pred.reshape(-1), y_true.reshape(-1).astype(y_pred.dtype)
    labels = jnp.argmax(y_true, -1) if y_true.shape == y_pred.shape else y_true.reshape(-1)
    hit = jnp.argmax(y_pred, -1) == labels.astype(jnp.int32)
    return jnp.max(y_pred, -1), hit.astype(y_pred.dtype)


def calibration_bins(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None,
                     num_bins: int, dtype: Any = "float32") -> CalibrationBins:
    """One batch's per-bin sums ``Σ w``, ``Σ w·confidence``, ``Σ w·accuracy``.

    The confidence ``c`` (see `_confidence_and_accuracy`) falls in bin
    ``min(floor(c·num_bins), num_bins - 1)`` (clipped to ``[0, num_bins)``):
    bins ``[i/B, (i+1)/B)``, the last one closed.
    """
    y_true, y_pred = ops.convert_to_tensor(y_true), ops.cast(y_pred, dtype)
    confidence, accuracy = _confidence_and_accuracy(y_true, y_pred)
    index = jnp.clip(jnp.floor(confidence * num_bins), 0, num_bins - 1).astype(jnp.int32)
    w = jnp.ones_like(confidence) if sample_weight is None else \
        jnp.broadcast_to(jnp.ravel(ops.cast(sample_weight, dtype)), confidence.shape)
    sums = [jax.ops.segment_sum(v, index, num_segments=num_bins)
            for v in (w, w * confidence, w * accuracy)]
    return CalibrationBins(*sums)


def expected_calibration_error(count: ArrayLike, confidence: ArrayLike, accuracy: ArrayLike,
                               norm: str = "l1") -> jax.Array:
    """ECE from per-bin sums: the gap ``|acc_b - conf_b|`` of each bin's means, aggregated.

    ``"l1"``: ``Σ_b (n_b/n)·gap_b``; ``"l2"``: ``sqrt(Σ_b (n_b/n)·gap_b²)``;
    ``"max"``: the largest gap over non-empty bins. 0 with no data.
    """
    count, confidence, accuracy = (jnp.asarray(ops.unwrap(x)) for x in
                                   (count, confidence, accuracy))
    gap = jnp.abs(ops.divide_no_nan(accuracy - confidence, count))
    share = ops.divide_no_nan(count, jnp.sum(count))
    if norm == "l1":
        return jnp.sum(share * gap)
    if norm == "l2":
        return jnp.sqrt(jnp.sum(share * gap ** 2))
    return jnp.max(jnp.where(count > 0, gap, 0))


class ExplainedVarianceSums(NamedTuple):
    """Per-output weighted sums, each ``(D,)``: ``Σw``, ``Σw·e``, ``Σw·e²``, ``Σw·y``, ``Σw·y²``.

    ``e = y - ŷ`` is the residual.
    """

    weight: jax.Array
    error: jax.Array
    squared_error: jax.Array
    target: jax.Array
    squared_target: jax.Array


def explained_variance_sums(y_true: ArrayLike, y_pred: ArrayLike,
                            sample_weight: ArrayLike | None, dtype: Any = "float32",
                            ) -> ExplainedVarianceSums:
    """One batch's `ExplainedVarianceSums`; ``(N,)`` inputs are one output, weights are per row."""
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    y_true, y_pred = ops.squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true, y_pred = (jnp.reshape(x, (x.shape[0], -1)) for x in (y_true, y_pred))
    w = jnp.ones((), dtype) if sample_weight is None else ops.cast(sample_weight, dtype)
    w = jnp.broadcast_to(jnp.reshape(w, (-1, 1)) if w.ndim else w, y_true.shape)
    error = y_true - y_pred
    return ExplainedVarianceSums(*(jnp.sum(v, axis=0) for v in (
        w, w * error, w * error ** 2, w * y_true, w * y_true ** 2)))


def explained_variance(weight: ArrayLike, error: ArrayLike, squared_error: ArrayLike,
                       target: ArrayLike, squared_target: ArrayLike,
                       multioutput: str = "uniform_average") -> jax.Array:
    """scikit-learn's ``explained_variance_score`` (``force_finite=True``) from the sums.

    Per output ``1 - Var_w(y - ŷ) / Var_w(y)`` with weighted population
    variances ``Σw·x²/Σw - (Σw·x/Σw)²`` (clipped at 0); a zero variance of
    ``y`` scores 1 for a zero residual variance, else 0. ``multioutput``:
    ``"raw_values"`` (per output), ``"uniform_average"``, or
    ``"variance_weighted"`` (by ``Var_w(y)``; uniform when all are 0).
    0 with no data.
    """
    weight, error, squared_error, target, squared_target = (
        jnp.asarray(ops.unwrap(x)) for x in (weight, error, squared_error, target, squared_target))

    def variance(total, squares):
        mean = ops.divide_no_nan(total, weight)
        return jnp.maximum(ops.divide_no_nan(squares, weight) - mean ** 2, 0)

    numerator, denominator = variance(error, squared_error), variance(target, squared_target)
    scores = jnp.where(denominator > 0, 1 - ops.divide_no_nan(numerator, denominator),
                       jnp.where(numerator > 0, 0.0, 1.0))
    scores = jnp.where(weight > 0, scores, 0.0)
    if multioutput == "raw_values":
        return scores
    if multioutput == "variance_weighted":
        return jnp.where(jnp.sum(denominator) > 0,
                         ops.divide_no_nan(jnp.sum(scores * denominator), jnp.sum(denominator)),
                         jnp.mean(scores))
    return jnp.mean(scores)
