"""The exact-curve kernels (functional/curves.py) against scikit-learn and the float formats' bits.

Bins: ordered as the scores, one bfloat16 value per bin at 2**16 bins. Results:
scikit-learn's ``roc_auc_score`` / ``average_precision_score`` to float32 rounding when
scores share bins only when equal; otherwise within `curve_error_bound` (hypothesis and
a seeded sweep over float32 scores of several shapes of distribution).
"""

import functools

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from metricdsl import functional as F

N = 300  # one batch shape for every random case: one compile per kernel
accumulate = jax.jit(F.accumulate_score_histogram)


@functools.partial(jax.jit, static_argnames=("num_bins", "weighted"))
def _curves(y_true, y_pred, weight, num_bins=65536, weighted=False):
    """(ROC, ROC bound, AP, AP bound) of one batch, through the update kernel."""
    zeros = jnp.zeros((2, num_bins), "float32")
    histogram, additions, inexact = F.accumulate_score_histogram(
        zeros, y_true, y_pred, weight if weighted else None)
    return tuple(value for curve in F.CURVES for value in (
        F.curve_from_histogram(histogram, curve),
        F.curve_error_bound(histogram, curve, additions, inexact)))


def _scores(kind, rng, y):
    """float32 scores of one of several shapes: spread, clustered, tied, informative, extreme."""
    if kind == "normal":
        s = rng.normal(size=N)
    elif kind == "uniform":
        s = rng.uniform(size=N)
    elif kind == "clustered":  # a few bins hold everything
        s = 1 + 1e-4 * rng.normal(size=N)
    elif kind == "ties":  # decimal values, not bfloat16: equal scores and shared bins
        s = rng.integers(0, 7, N) / 10
    elif kind == "informative":
        s = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(size=N))))
    else:  # extreme (finite: scikit-learn rejects inf), subnormals and signed zeros
        s = rng.choice([-3e38, -1.0, -0.0, 0.0, 1e-45, 1e-40, 1e-38, 0.5, 1.0, 3e38], N)
        s = np.clip(s * (1 + 1e-3 * rng.uniform(size=N)), -3.4e38, 3.4e38)
    return s.astype("float32")


KINDS = ["normal", "uniform", "clustered", "ties", "informative", "extreme"]


def _check_bound(seed, kind, weighted):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, N)
    y[:2] = [0, 1]
    scores = _scores(kind, rng, y)
    # fractional weights: the state is inexact and the bound counts its rounding as well
    w = rng.uniform(0.1, 3, N).astype("float32") if weighted else None
    roc, roc_bound, ap, ap_bound = (float(v) for v in _curves(
        y.astype("float32"), scores, np.ones(N, "float32") if w is None else w,
        weighted=weighted))
    wide = scores.astype("float64")  # the same values; scikit-learn's checks sum them
    exact_roc = roc_auc_score(y, wide, sample_weight=w)
    exact_ap = average_precision_score(y, wide, sample_weight=w)
    assert abs(roc - exact_roc) <= roc_bound, (seed, kind, roc, exact_roc, roc_bound)
    assert abs(ap - exact_ap) <= ap_bound, (seed, kind, ap, exact_ap, ap_bound)
    return roc_bound, ap_bound


@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(KINDS), weighted=st.booleans())
def test_error_bound_holds_on_float32_scores(seed, kind, weighted):
    _check_bound(seed, kind, weighted)


def test_error_bound_holds_over_a_seeded_sweep():
    bounds = [_check_bound(seed, KINDS[seed % len(KINDS)], seed % 2 == 1) for seed in range(60)]
    assert max(b for pair in bounds for b in pair) < 1  # a bound, not a vacuous one


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("source", ["bfloat16", "float16"])
def test_scores_apart_in_bins_give_sklearn_exactly(source, weighted, rng):
    """bfloat16 scores (and float16 scores that are bfloat16 values): equal to sklearn."""
    y = rng.integers(0, 2, N)
    raw = rng.normal(size=N) * rng.choice([1e-3, 1.0, 30.0], N)
    scores = raw.astype(ml_dtypes.bfloat16).astype("float32")
    if source == "float16":
        scores = np.clip(scores, -6e4, 6e4).astype("float16")  # bfloat16 values in range are exact
        assert np.all(scores.astype("float32") == np.clip(raw.astype(ml_dtypes.bfloat16)
                                                          .astype("float32"), -6e4, 6e4))
    scores = np.concatenate([scores[: N // 2], scores[: N // 2]])  # many exact ties too
    w = rng.integers(1, 5, N).astype("float32") if weighted else None
    roc, _, ap, _ = _curves(y.astype("float32"), scores.astype("float32"),
                            np.ones(N, "float32") if w is None else w, weighted=weighted)
    np.testing.assert_allclose(roc, roc_auc_score(y, scores, sample_weight=w), rtol=1e-6)
    np.testing.assert_allclose(ap, average_precision_score(y, scores, sample_weight=w), rtol=1e-6)


def test_bins_are_ordered_and_hold_one_bfloat16_value_each():
    bits = np.arange(2**16, dtype=np.uint32) << 16
    every_bf16 = bits.view(np.float32)
    every_bf16 = np.sort(every_bf16[~np.isnan(every_bf16)])
    bins = np.asarray(F.score_bins(every_bf16, 65536))
    assert np.all(np.diff(bins) >= 0)  # ordered as the scores
    # one bin per value (-0.0 and 0.0 are one value)
    assert len(np.unique(bins)) == len(np.unique(every_bf16)) == 2**16 - 2 * 127 - 1
    # a float32 shares the bin of the bfloat16 it truncates to (same top 16 bits)
    rng = np.random.default_rng(1)
    x = (rng.normal(size=1000) * 10.0 ** rng.integers(-30, 30, 1000)).astype("float32")
    truncated = (x.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
    np.testing.assert_array_equal(F.score_bins(x, 65536), F.score_bins(truncated, 65536))
    # fewer bins: the top log2(num_bins) bits of the same key, still ordered
    coarse = np.asarray(F.score_bins(every_bf16, 256))
    np.testing.assert_array_equal(coarse, bins >> 8)
    assert np.all(np.diff(coarse) >= 0)


def test_float16_scores_share_bins_beyond_bfloat16_precision():
    """float16 carries 11 significant bits, a bin 8: 1 and 1 + 2**-10 share one."""
    pair = np.array([1.0, 1.0 + 2.0**-10, 1.0 + 2.0**-7], "float16")
    assert F.score_bins(pair, 65536).tolist()[:2] == [F.score_bins(pair, 65536).tolist()[0]] * 2
    assert len(set(F.score_bins(pair, 65536).tolist())) == 2


def test_large_counts_stay_exact():
    """Counts far beyond 2**24 per bin and in total: scikit-learn on bin ids weighted by them."""
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 2**31 - 1, (2, 4096)).astype("float64")
    counts[:, rng.uniform(size=4096) < 0.5] = 0
    counts = counts.astype("float32")  # the state's float32 values
    histogram = np.zeros((2, 256 * 16), "float32")
    histogram[:] = counts
    y = np.repeat([0, 1], 4096)
    index = np.tile(np.arange(4096), 2)
    w = counts.astype("float64").ravel()
    for curve, reference in (("ROC", roc_auc_score), ("PR", average_precision_score)):
        np.testing.assert_allclose(F.curve_from_histogram(histogram, curve),
                                   reference(y, index, sample_weight=w), rtol=1e-6)


def test_whole_counts_are_exact_to_two_to_the_24_and_bounded_beyond():
    """Ones into a bin at 2**24 - 4: exact to 2**24, then the record makes the bound count them."""
    cell = int(F.score_bins(np.float32(0.75), 256))
    y_cell = np.zeros((2, 256), "float32")
    for start, k in ((2.0**24 - 4, 4), (2.0**24 - 4, 41), (2.0**24, 3)):  # both routes
        histogram = y_cell.copy()
        histogram[1, cell], histogram[0, cell - 1] = start, 1
        value, additions, inexact = accumulate(histogram, np.ones(k, "float32"),
                                               np.full(k, 0.75, "float32"))
        assert int(inexact) == 0 and int(additions) == 2
        exact = float(value[1, cell]) == start + k  # odd totals past 2**24 round in float32
        assert exact == (start + k <= 2**24)
        bound = float(F.curve_error_bound(value, "ROC", additions, inexact))
        ties_and_result = float(F.curve_error_bound(value, "ROC"))  # as if exact
        assert (bound == ties_and_result) == exact and bound >= ties_and_result
        assert abs(float(F.curve_from_histogram(value, "ROC")) - 1.0) <= bound


def test_both_update_routes_give_one_histogram(rng):
    y = rng.integers(0, 2, 320).astype("float32")
    s = rng.normal(size=320).astype("float32")
    w = rng.uniform(0.5, 2, 320).astype("float32")
    for weight in (None, w):
        zeros = np.zeros((2, 256), "float32")
        dense, dense_additions, _ = accumulate(zeros, y, s, weight)
        sparse, additions = zeros, 0
        for part in np.arange(320).reshape(16, 20):  # 20 samples: touched bins only
            sparse, more, inexact = accumulate(sparse, y[part], s[part],
                                               None if weight is None else weight[part])
            additions += int(more)
        assert int(inexact) == (weight is not None)
        if weight is None:  # whole counts: exact, and one addition per update (plus a merge)
            np.testing.assert_array_equal(sparse, dense)
            assert (int(dense_additions), additions) == (2, 16 * 2)
        else:
            np.testing.assert_allclose(sparse, dense, rtol=1e-6)
            assert additions > 16 and int(dense_additions) > 2


def test_one_class_gives_zero():
    """Undefined (scikit-learn raises or warns): ROC without negatives, both without positives."""
    s = np.linspace(0, 1, N, dtype="float32")
    roc, _, ap, _ = _curves(np.ones(N, "float32"), s, np.ones(N, "float32"))
    assert float(roc) == 0.0 and float(ap) == 1.0  # every threshold: precision 1
    assert [float(v) for v in _curves(np.zeros(N, "float32"), s, np.ones(N, "float32"))] \
        == [0.0, 0.0, 0.0, 0.0]


def test_num_bins_check_names_argument_and_value():
    for bad in (0, 255, 1000, 2**17, 512.0, True, "256"):
        with pytest.raises(ValueError, match=rf"owner: Argument `num_bins` .*Received: "
                                             rf"num_bins={bad!r}"):
            F.check_num_bins("owner", bad)
    assert F.check_num_bins("owner", np.int64(1024)) == 1024
