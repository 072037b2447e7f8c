"""Exact ROC AUC and average precision from a fixed histogram of the scores' bit patterns.

Every float32 score maps to an order-preserving ``uint32`` key (the sign bit
set for non-negatives, all bits inverted for negatives; ``-0.0`` counts as
``0.0``) and its top ``log2(num_bins)`` bits are its bin, so bins are ordered
as the scores are and the state, ``histogram[0]``/``histogram[1]`` the
(weighted) negatives/positives per bin, has a size independent of N and
merges by addition. With ``num_bins = 2**16`` a bin is sign, exponent and the
top 7 mantissa bits: the bfloat16 values. Scores that share a bin only when
they are equal (bfloat16 scores; float16 scores that are bfloat16 values)
give exactly scikit-learn's ``roc_auc_score`` / ``average_precision_score``,
ties included; otherwise `curve_error_bound` bounds the effect of the
unknown order inside each bin.

The histogram is plain float32 (half the memory of a compensated sum):
whole-number counts are exact up to `EXACT_COUNT` per bin, and the update
returns a rounding record (``additions``, ``inexact``) from which
`curve_error_bound` bounds whatever rounding happened beyond that.

Sums over bins are exact before their final rounding (the counts are cut
into slices on power-of-two grids that float32 adds without error), so
cumulative counts beyond 2**24 do not stall and results are within a few
float32 roundings of the exact value of the histogram.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from .. import ops
from ._common import is_int
from .confusion import aligned_inputs

__all__ = ["CURVES", "EXACT_COUNT", "accumulate_score_histogram", "check_num_bins",
           "curve_error_bound", "curve_from_histogram", "score_bins"]

#: The curves `curve_from_histogram` integrates: ROC AUC and average precision ("PR").
CURVES = ("ROC", "PR")
#: Relative rounding allowance of a result computed from a histogram (about 16 float32 ulps).
ROUNDING = 2.0 ** -20
#: Whole-number bin totals up to this are exact in float32 (and so is every sum that reaches them).
EXACT_COUNT = 2.0 ** 24
_UNIT = 2.0 ** -24  # float32's unit roundoff: an addition of non-negatives errs by this, relatively
_PAIRWISE = 256  # batches up to this size sum their cells pairwise (no dense histogram)
_SPARSE_SHARE = 16  # batches of at most 2 * num_bins / 16 samples update only the bins they touch


def check_num_bins(owner: str, num_bins: Any) -> int:
    """``num_bins`` as an int if a power of two in ``[2**8, 2**16]``, else a ``ValueError``."""
    if is_int(num_bins) and 256 <= num_bins <= 65536 and num_bins & (num_bins - 1) == 0:
        return int(num_bins)
    raise ValueError(
        f"{owner}: Argument `num_bins` must be a power of two in [256, 65536] (2**8 to 2**16; "
        f"2**16 keeps the bfloat16 values apart). Received: num_bins={num_bins!r}.")


def score_bins(y_pred: ArrayLike, num_bins: int) -> jax.Array:
    """The bin of each score (float32), int32 in ``[0, num_bins)``, ordered as the scores.

    The top ``log2(num_bins)`` bits of the order-preserving ``uint32`` key of
    the float32 bit pattern; ``-0.0`` and ``0.0`` share a bin. NaN lands
    beyond ``inf`` or ``-inf`` by its sign bit.
    """
    bits = lax.bitcast_convert_type(ops.cast(y_pred, "float32"), jnp.uint32)
    # -0.0 to 0.0 on the bits: a float comparison would also zero subnormals (XLA flushes them)
    bits = jnp.where(bits == jnp.uint32(0x80000000), jnp.uint32(0), bits)
    key = jnp.where(bits >> 31 == 1, ~bits, bits | jnp.uint32(0x80000000))
    return (key >> (32 - int(math.log2(num_bins)))).astype(jnp.int32)


def _exact_float_counts(counts: jax.Array, samples: int) -> tuple[jax.Array, ...]:
    """Integer counts of ``samples`` samples as exact float32 parts (two from 2**24 samples on)."""
    if samples < 2 ** 24:
        return (counts.astype(jnp.float32),)
    return ((counts >> 12 << 12).astype(jnp.float32), (counts & 4095).astype(jnp.float32))


def accumulate_score_histogram(histogram: ArrayLike, y_true: ArrayLike, y_pred: ArrayLike,
                               sample_weight: ArrayLike | None = None, *,
                               owner: str = "metric_exact_auc"
                               ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Add one batch to a float32 ``(2, num_bins)`` histogram: ``(histogram, additions, inexact)``.

    ``histogram[1, b]``/``histogram[0, b]`` gain the total weight of the
    positive (``y_true != 0``)/negative samples whose score is in bin ``b``
    (`score_bins`); inputs of any shape are pooled (Keras's shape rules:
    same shapes, a trailing size-1 axis aside; weights broadcast). Small
    batches update only the bins they touch.

    The rounding record: ``additions`` (int32) bounds the float32 additions
    this batch makes into any one bin, plus one for a later merge of the
    state; ``inexact`` (int32, 0 or 1) is 1 when a weight is not a
    non-negative whole number. Unweighted batch counts are exact integers,
    so with whole-number weights every bin is exact while at most
    `EXACT_COUNT`; `curve_error_bound` bounds the rest from the record.

    Raises:
        ValueError: (shapes only) if ``y_true``, ``y_pred`` and ``sample_weight``
            do not fit; under validation, if ``y_true`` is not 0/1 or a weight is negative.
    """
    histogram = jnp.asarray(ops.unwrap(histogram))
    num_bins = histogram.shape[-1]
    y_true, y_pred, weights = aligned_inputs(y_true, y_pred, sample_weight, dtype="float32",
                                             owner=owner)
    ops.check(lambda: (y_true == 0) | (y_true == 1),
              f"{owner}: y_true must hold binary labels 0 or 1; received other values")
    if weights is not None:
        ops.check(lambda: weights >= 0,
                  f"{owner}: sample_weight must be non-negative (the counts are weight sums); "
                  "received a negative weight")
    cells = (score_bins(y_pred, num_bins) + num_bins * (y_true != 0)).ravel()
    nothing = jnp.zeros((), jnp.int32)
    if cells.size == 0:
        return histogram, nothing, nothing
    flat = histogram.reshape(-1)
    sparse = cells.size * _SPARSE_SHARE <= flat.size
    if sparse and cells.size <= _PAIRWISE:  # each sample's cell total from the batch itself
        same = cells[:, None] == cells[None, :]
        counts = jnp.sum(same, 1)
        batch = (counts.astype(jnp.float32) if weights is None else
                 jnp.sum(jnp.where(same, weights.ravel()[None, :], 0), 1),)
    elif weights is None:
        counts = jnp.bincount(cells, length=flat.size)
        batch = _exact_float_counts(counts, cells.size)
    else:
        counts = jnp.bincount(cells, length=flat.size)
        batch = (jax.ops.segment_sum(weights.ravel(), cells, num_segments=flat.size),)
    if sparse:  # touch only the batch's cells
        value = flat[cells]
        for part in batch:
            value = value + (part if part.shape == cells.shape else part[cells])
        flat = flat.at[cells].set(value)
    else:
        for part in batch:
            flat = flat + part
    if weights is None:  # exact batch counts: one addition per part, and one for a merge
        return flat.reshape(histogram.shape), nothing + len(batch) + 1, nothing
    # a bin's c weights: c - 1 additions in the batch sum, one into the histogram, one to merge
    additions = jnp.max(counts).astype(jnp.int32) + 1
    whole = (weights >= 0) & (weights == jnp.round(weights))
    return flat.reshape(histogram.shape), additions, jnp.any(~whole).astype(jnp.int32)


# -- exact sums over bins -----------------------------------------------------------------------
_SLICES = 5  # a 24-bit head and four 8-bit slices: sums of 2**16 bins exact to ~2**-40 of the total


def _power_of_two(exponent: jax.Array) -> jax.Array:
    """``2.0 ** exponent`` (int32, in float32's normal range), exactly: built from its bits."""
    return lax.bitcast_convert_type((exponent + 127) << 23, jnp.float32)


def _slices(x: jax.Array) -> jax.Array:
    """``x`` (last axis up to 2**16 entries) cut into `_SLICES` exact slices: ``(S, *x.shape)``.

    The first slice is a multiple of ``u = 2**(e - 23)`` where ``2**e > Σ|x|``
    (per row), each next a multiple of ``u / 2**8`` below the last one's grid.
    Any partial sum of a slice is then a multiple of its grid below ``2**24``
    grid units: float32 adds it exactly, in whatever order XLA uses.
    """
    biased = lax.bitcast_convert_type(jnp.sum(jnp.abs(x), -1, keepdims=True), jnp.int32) >> 23
    coarsest = jnp.maximum(biased - 126, -71) - 23  # the finest grid stays normal
    units = _power_of_two(coarsest[None] - 8 * jnp.arange(_SLICES).reshape(-1, *[1] * x.ndim))
    truncated = jnp.floor(x / units) * units  # x cut to each grid: exact
    return truncated - jnp.concatenate([jnp.zeros_like(truncated[:1]), truncated[:-1]])


def _joined(sums: jax.Array) -> jax.Array:
    """Exact sums of the slices, added smallest first: the one rounding step."""
    total = sums[-1]
    for part in sums[-2::-1]:
        total = total + part
    return total


def _exact_suffix_sums(x: jax.Array) -> jax.Array:
    """Suffix sums along the last axis (a power of two) by rows of 16 and 0/1 matrix products.

    Each row's own suffix sums come from one product with a triangular 0/1
    matrix; the sums of the later rows recurse on the row totals. Products
    and sums of exact slices are exact in any order, and the small products
    compile fast, unlike a long ``cumsum``.
    """
    width = min(16, x.shape[-1])
    rows = x.reshape(*x.shape[:-1], -1, width)
    at_or_after = np.tril(np.ones((width, width), np.float32))  # [j, i] = 1 where j >= i
    within = jnp.einsum("...rj,ji->...ri", rows, at_or_after, precision=lax.Precision.HIGHEST)
    if rows.shape[-2] == 1:
        return within.reshape(x.shape)
    totals = within[..., 0]
    later = _exact_suffix_sums(totals) - totals
    return (within + later[..., None]).reshape(x.shape)


def _suffix_sums(x: jax.Array) -> jax.Array:
    """``Σ_{b' >= b} x[..., b']`` in float32, within 3 roundings of exact."""
    return _joined(_exact_suffix_sums(_slices(x)))


def _above(sums: jax.Array) -> jax.Array:
    """``Σ_{b' > b}`` from the inclusive suffix sums."""
    return jnp.append(sums[1:], jnp.zeros((), sums.dtype))


def _total(x: jax.Array) -> jax.Array:
    """``Σ x`` in float32, within 3 roundings of exact."""
    return _joined(jnp.sum(_slices(x), axis=-1))


def _histogram_sums(histogram: ArrayLike):
    """``(p, n, TP, FP)``: per-bin positives, negatives and their sums at and above each bin."""
    histogram = jnp.asarray(ops.unwrap(histogram)).astype(jnp.float32)
    sums = _suffix_sums(histogram)
    return histogram[1], histogram[0], sums[1], sums[0]


@functools.partial(jax.jit, static_argnames="curve")  # one compile per shape, eager calls too
def curve_from_histogram(histogram: ArrayLike, curve: str = "ROC") -> jax.Array:
    """ROC AUC (``"ROC"``) or average precision (``"PR"``) of a ``(2, num_bins)`` histogram.

    With ``p_b``/``n_b`` the positive/negative weight in bin ``b`` (bins in
    score order), ``P = Σ p``, ``N = Σ n``:

    - ROC: Mann-Whitney with ties counted half, ``Σ_b n_b (Σ_{b'>b} p_b' +
      p_b/2) / (P N)``, which is scikit-learn's trapezoidal ``roc_auc_score``
      on scores tied within bins;
    - PR: scikit-learn's step-function ``average_precision_score`` with each
      bin one threshold, ``Σ_b (p_b / P) · TP_b / (TP_b + FP_b)``, ``TP_b =
      Σ_{b'>=b} p_b'``, ``FP_b = Σ_{b'>=b} n_b'``.

    Cumulative sums are exact before their final rounding; the float32 result is within
    ``2**-20`` relative of the histogram's exact value. 0 when undefined (no
    positives, or for ROC no negatives), where scikit-learn raises or warns.
    """
    positives, negatives, tp, fp = _histogram_sums(histogram)
    if curve == "ROC":
        ranked = _above(tp) + positives / 2
        terms = ops.divide_no_nan(negatives, fp[0]) * ops.divide_no_nan(ranked, tp[0])
    else:
        terms = ops.divide_no_nan(positives, tp[0]) * ops.divide_no_nan(tp, tp + fp)
    return _total(terms)


def _log_gap(u: jax.Array) -> jax.Array:
    """An upper bound on ``log1p(u) - u / (1 + u)`` (``u >= 0``): ``u²/2`` for small ``u``."""
    direct = jnp.log1p(u) - u / (1 + u)
    return jnp.where(u < 2.0 ** -6, u * u / 2, direct + 2.0 ** -21 * (1 + jnp.log1p(u)))


def _rounding_share(histogram: jax.Array, additions: ArrayLike | None,
                    inexact: ArrayLike | None) -> jax.Array:
    """``g``: each bin is within ``g`` times its stored value of its exact total.

    0 when exact: whole-number weights (``inexact == 0``) and no bin beyond
    `EXACT_COUNT`, so no addition rounded. Otherwise each of at most
    ``additions`` roundings of non-negative partial sums errs by at most
    ``2**-24`` of the exact total ``h*``: ``|h - h*| <= γ h*``, ``γ = a/(1 - a)``,
    ``a = 2**-24 · additions`` (Higham's bound), and ``g = γ/(1 - γ)``. Infinite
    (a vacuous bound) from ``a >= 1/4`` on.
    """
    if additions is None:
        return jnp.zeros((), jnp.float32)
    a = jnp.asarray(ops.unwrap(additions)).astype(jnp.float32) * _UNIT
    share = jnp.where((a >= 0) & (a < 0.25), a / (1 - 2 * a) * (1 + ROUNDING), jnp.inf)
    exact = jnp.asarray(ops.unwrap(0 if inexact is None else inexact)) == 0
    return jnp.where(exact & (jnp.max(histogram) <= EXACT_COUNT), 0.0, share)


@functools.partial(jax.jit, static_argnames="curve")
def curve_error_bound(histogram: ArrayLike, curve: str = "ROC",
                      additions: ArrayLike | None = None,
                      inexact: ArrayLike | None = None) -> jax.Array:
    """A guaranteed bound on ``|curve_from_histogram - exact|`` for the scores behind ``histogram``.

    ``exact`` is scikit-learn's value on the unbinned scores (with
    non-negative weights). Three parts:

    - **Ties in bins.** The histogram does not know the order of the scores
      inside a bin, so this part is the worst case over every order and tie
      pattern there:

      - ROC: a bin's ``p_b n_b`` pairs count between 0 and 1 each where the
        histogram counts ½, so ``Σ_b p_b n_b / (2 P N)``.
      - PR: with ``T``/``F`` the positive/negative weight above bin ``b`` and
        ``g(k) = (T + k) / (T + F + n_b + k)``, the positive credited at
        cumulative weight ``k`` in the bin gets a precision between ``g(k)``
        (the bin's negatives first) and ``(T + p_b) / (T + F + p_b)`` (its
        positives first, tied), where the histogram credits ``g(p_b)`` to
        each; ``g`` increases, so the bin's sum lies between ``∫_0^{p_b} g``
        and ``p_b (T + p_b) / (T + F + p_b)``. Per bin, over ``P``, the larger
        distance of the two from ``p_b g(p_b)``: ``p_b TP_b n_b / ((TP_b + F)
        (TP_b + FP_b))`` above and ``FP_b h(p_b / (T + FP_b))`` below, ``h(u)
        = log1p(u) - u / (1 + u) <= u²/2`` (``TP_b``/``FP_b`` the weight at
        and above the bin).

    - **Rounding in the state**, from its record (``additions`` and
      ``inexact`` of `accumulate_score_histogram`; None: the histogram is
      exact). Each bin is within a share ``g`` of its exact total; moving a
      bin's positives by ``δ`` moves ROC AUC by at most ``δ / P`` (``δ / N``
      for negatives), so ROC gains ``2g / (1 - g)``; average precision gains
      ``g / (1 - g) · (2 + K' (1 + N / P))``, ``K' = Σ_b p_b / (TP_b + FP_b)``
      widened by ``(1 + g) / (1 - g)``. The ties part grows by ``((1 + g) /
      (1 - g))**4`` for being computed from the stored bins.
    - **Rounding of the result**: ``2**-20`` times it.

    Never above 1 (both values lie in ``[0, 1]``); about ``2**-20 · result``
    when no bin holds both classes and the state is exact.
    """
    histogram = jnp.asarray(ops.unwrap(histogram)).astype(jnp.float32)
    positives, negatives, tp, fp = _histogram_sums(histogram)
    p_total = tp[0]
    if curve == "ROC":
        ties = _total(ops.divide_no_nan(positives, p_total) * ops.divide_no_nan(negatives,
                                                                                fp[0])) / 2
    else:
        above_p, above_n = _above(tp), _above(fp)
        predicted = tp + fp
        late = ops.divide_no_nan(positives * tp * negatives, (tp + above_n) * predicted)
        early = fp * _log_gap(ops.divide_no_nan(positives, above_p + fp))
        ties = ops.divide_no_nan(_total(jnp.maximum(late, early)), p_total)
    bound = ties * (1 + ROUNDING) + ROUNDING * curve_from_histogram(histogram, curve)
    if additions is None:
        return bound
    g = _rounding_share(histogram, additions, inexact)
    spread = (1 + g) / (1 - g)
    if curve == "ROC":
        drift = 2 * g / (1 - g)
    else:
        reach = _total(ops.divide_no_nan(positives, tp + fp)) * spread
        drift = g / (1 - g) * (2 + reach * (1 + ops.divide_no_nan(fp[0], p_total)))
    widened = bound + ties * (spread ** 4 - 1) + drift
    return jnp.where(g == 0, bound, jnp.where(jnp.isfinite(widened), jnp.minimum(widened, 1.0),
                                              1.0))
