"""The calibration kernels and binned average precision against scikit-learn and numpy."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from metricdsl import functional as F


def _ece_reference(confidence, accuracy, w, num_bins, norm):
    """ECE from its definition: equal-width bins [i/B, (i+1)/B), the last one closed."""
    index = np.minimum(np.floor(confidence * np.float32(num_bins)), num_bins - 1).astype(int)
    n = np.bincount(index, w, num_bins)
    gap = np.abs(np.bincount(index, w * accuracy, num_bins)
                 - np.bincount(index, w * confidence, num_bins)) / np.where(n > 0, n, 1)
    if norm == "l1":
        return np.sum(n / n.sum() * gap)
    if norm == "l2":
        return np.sqrt(np.sum(n / n.sum() * gap ** 2))
    return np.max(gap[n > 0])


@settings(max_examples=6)  # each example compiles its own shapes
@given(seed=st.integers(0, 2**16), n=st.integers(1, 40), c=st.sampled_from([1, 2, 3, 5]),
       weighted=st.booleans())
def test_brier_and_ece_match_references(seed, n, c, weighted):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 2, n).astype("float32") if weighted else np.ones(n, "float32")
    if c == 1:
        y_true = rng.integers(0, 2, n)
        proba = rng.uniform(size=n).astype("float32")
        sk_proba, confidence, accuracy = proba, proba, y_true
        y_in = y_true
    else:
        y_true = rng.integers(0, c, n)
        proba = rng.dirichlet(np.ones(c), n).astype("float32")
        sk_proba, confidence = proba, proba.max(-1)
        accuracy = (proba.argmax(-1) == y_true).astype("float32")
        y_in = np.eye(c, dtype="float32")[y_true]
    brier = F.brier_score(y_in, proba)
    want = skm.brier_score_loss(y_true, sk_proba, sample_weight=w, labels=np.arange(max(c, 2)))
    np.testing.assert_allclose(np.average(brier, weights=w), want, rtol=1e-5)
    bins = F.calibration_bins(y_in, proba, w, 7, "float32")
    for norm in ("l1", "l2", "max"):
        np.testing.assert_allclose(F.expected_calibration_error(*bins, norm=norm),
                                   _ece_reference(confidence, accuracy, w, 7, norm),
                                   rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("weighted", [False, True])
def test_explained_variance_matches_sklearn(weighted, rng):
    y_true = rng.normal(size=(50, 3)).astype("float32")
    y_pred = (y_true + rng.normal(scale=0.5, size=(50, 3))).astype("float32")
    y_pred[:, 2] = y_true[:, 2]
    w = rng.uniform(0.1, 2, 50).astype("float32") if weighted else None
    sums = F.explained_variance_sums(y_true, y_pred, w)
    for multioutput in F.MULTIOUTPUT:
        np.testing.assert_allclose(
            F.explained_variance(*sums, multioutput=multioutput),
            skm.explained_variance_score(y_true, y_pred, sample_weight=w,
                                         multioutput=multioutput), rtol=1e-5)


def test_explained_variance_constant_targets_follow_force_finite():
    y_true = np.full((4, 2), 3.0, "float32")
    y_pred = np.array([[3, 3], [3, 4], [3, 3], [3, 3]], "float32")
    sums = F.explained_variance_sums(y_true, y_pred, None)
    np.testing.assert_array_equal(F.explained_variance(*sums, multioutput="raw_values"),
                                  skm.explained_variance_score(y_true, y_pred,
                                                               multioutput="raw_values"))


def test_binned_average_precision_is_sklearn_on_bucketed_scores(rng):
    y_true = rng.integers(0, 2, 300)
    scores = rng.uniform(size=300).astype("float32")
    w = rng.uniform(0.1, 2, 300).astype("float32")
    num_thresholds = 50
    thresholds = [0.0 - 1e-7, *F.evenly_spaced_thresholds(num_thresholds)[1:-1], 1.0 + 1e-7]
    counts = F.confusion_counts(y_true, scores, w, thresholds=thresholds, evenly=True)
    got = F.average_precision_from_counts(counts.true_positives, counts.false_positives,
                                          counts.false_negatives)
    bucket = np.sum(scores[:, None] > np.asarray(thresholds, "float32")[None, :], axis=1)
    np.testing.assert_allclose(got, skm.average_precision_score(y_true, bucket, sample_weight=w),
                               rtol=1e-5)
    exact = skm.average_precision_score(y_true, scores, sample_weight=w)
    shared = np.bincount(bucket)[bucket] > 1
    bound = np.sum(w * y_true * shared) / np.sum(w * y_true)
    assert abs(float(got) - exact) <= bound + 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert float(F.average_precision_from_counts(*[np.zeros(5, "float32")] * 3)) == 0.0
