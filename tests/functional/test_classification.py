"""The multiclass classification kernels against scikit-learn (``labels=range(C)``) and numpy."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from metricdsl import functional as F

SK_PRF = {"precision": (skm.precision_score, F.multiclass_precision),
          "recall": (skm.recall_score, F.multiclass_recall),
          "f1": (skm.f1_score, F.multiclass_f1_score)}


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _data(seed, n, c, weighted):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, c, n)
    scores = rng.uniform(size=(n, c)).astype("float32")
    w = rng.uniform(0.1, 2.0, n).astype("float32") if weighted else None
    return y_true, scores, w


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 30), c=st.integers(2, 5),
       weighted=st.booleans(), one_hot=st.booleans(), pred_ids=st.booleans(),
       average=st.sampled_from(F.AVERAGES), zero_division=st.sampled_from([0.0, 1.0, np.nan]))
def test_single_label_prf_matches_sklearn(seed, n, c, weighted, one_hot, pred_ids, average,
                                          zero_division):
    y_true, scores, w = _data(seed, n, c, weighted)
    y_hat = scores.argmax(-1)
    counts = F.class_counts(np.eye(c)[y_true] if one_hot else y_true,
                            y_hat if pred_ids else scores, w, num_classes=c)
    for name, (sk_fn, kernel) in SK_PRF.items():
        want = _sk(sk_fn, y_true, y_hat, labels=np.arange(c), average=average, sample_weight=w,
                   zero_division=zero_division)
        got = kernel(*counts, average=average, zero_division=zero_division)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 30), c=st.integers(2, 5),
       weighted=st.booleans(), average=st.sampled_from(F.AVERAGES),
       zero_division=st.sampled_from([0.0, 1.0, np.nan]))
def test_multilabel_prf_matches_sklearn(seed, n, c, weighted, average, zero_division):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, (n, c))
    scores = rng.uniform(size=(n, c)).astype("float32")
    w = rng.uniform(0.1, 2.0, n).astype("float32") if weighted else None
    counts = F.class_counts(y_true, scores, w, num_classes=c, threshold=0.6)
    for name, (sk_fn, kernel) in SK_PRF.items():
        want = _sk(sk_fn, y_true, scores > np.float32(0.6), average=average, sample_weight=w,
                   zero_division=zero_division)
        got = kernel(*counts, average=average, zero_division=zero_division)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)


def test_top_k_counts_match_the_definition(rng):
    n, c, k = 25, 5, 2
    y_true, scores, w = _data(3, n, c, True)
    predicted = np.zeros((n, c), bool)
    np.put_along_axis(predicted, np.argsort(-scores, axis=-1)[:, :k], True, axis=-1)
    true = np.eye(c, dtype=bool)[y_true]
    want = [np.sum(w[:, None] * (a & b), 0) for a, b in
            ((true, predicted), (~true, predicted), (true, ~predicted), (true, true))]
    got = F.class_counts(y_true, scores, w, num_classes=c, top_k=k)
    np.testing.assert_allclose(np.stack(got), np.stack(want), rtol=1e-6)


@pytest.mark.parametrize("weight_shape", [None, (), (40,), (40, 1), (40, 5)])
def test_single_label_counts_follow_the_mask_definition(weight_shape, rng):
    """Per-sample weights take the pair histogram, per-class ones the masks: one definition.

    Predicted ids outside [0, C) count as misses, true ids outside count nowhere (their
    one-hot row is all zero).
    """
    n, c = 40, 5
    y_true = rng.integers(-1, c + 1, n)
    predicted = rng.integers(-1, c + 1, n)
    w = None if weight_shape is None else rng.uniform(0.5, 2, weight_shape).astype("float32")
    true = (y_true[:, None] == np.arange(c))
    hit = (predicted[:, None] == np.arange(c))
    weights = np.broadcast_to(1.0 if w is None else (w if w.ndim != 1 else w[:, None]), (n, c))
    want = [np.sum(weights * (a & b), 0) for a, b in
            ((true, hit), (~true, hit), (true, ~hit), (true, true))]
    got = F.class_counts(y_true, predicted, w, num_classes=c)
    np.testing.assert_allclose(np.stack(got), np.stack(want), rtol=1e-6)


def test_binary_probabilities_and_class_ids():
    np.testing.assert_array_equal(F.class_labels([0.2, 0.7, 1.0, 0.0], 2, predictions=True),
                                  [0, 1, 1, 0])
    np.testing.assert_array_equal(F.class_labels([[2], [0]], 3), [2, 0])
    np.testing.assert_array_equal(F.class_labels([[0, 0, 1], [1, 0, 0]], 3), [2, 0])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("c", [2, 4])
def test_confusion_matrix_scores_match_sklearn(weighted, c):
    y_true, scores, w = _data(11 + c, 40, c, weighted)
    y_hat = scores.argmax(-1)
    cm = F.class_confusion_matrix(y_true, scores, w, num_classes=c)
    for normalize in (None, "true", "pred", "all"):
        want = skm.confusion_matrix(y_true, y_hat, labels=np.arange(c), sample_weight=w,
                                    normalize=normalize)
        np.testing.assert_allclose(F.normalized_confusion_matrix(cm, normalize), want,
                                   rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(F.matthews_correlation(cm),
                               skm.matthews_corrcoef(y_true, y_hat, sample_weight=w), rtol=1e-5,
                               atol=1e-6)
    for weights in (None, "linear", "quadratic"):
        np.testing.assert_allclose(
            F.cohen_kappa(cm, weights),
            skm.cohen_kappa_score(y_true, y_hat, weights=weights, sample_weight=w), rtol=1e-5,
            atol=1e-6)
    np.testing.assert_allclose(F.balanced_accuracy(cm),
                               skm.balanced_accuracy_score(y_true, y_hat, sample_weight=w),
                               rtol=1e-6)


def test_degenerate_confusion_matrices_are_zero_not_nan():
    empty = np.zeros((3, 3), "float32")
    one_class = np.diag([5.0, 0.0, 0.0]).astype("float32")
    for cm in (empty, one_class):
        assert float(F.matthews_correlation(cm)) == 0.0
        assert float(F.cohen_kappa(cm)) == 0.0
    assert float(F.balanced_accuracy(empty)) == 0.0
    # scikit-learn: all predictions in one class gives MCC 0
    assert skm.matthews_corrcoef([0, 1, 2], [1, 1, 1]) == 0.0
    cm = F.class_confusion_matrix([0, 1, 2], [1, 1, 1], num_classes=3)
    assert float(F.matthews_correlation(cm)) == 0.0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="metric_x: Argument `num_classes` must be an integer"):
        F.check_num_classes("metric_x", 1)
    with pytest.raises(ValueError, match=r"Invalid `average`.*Received: average='samples'"):
        F.check_average("metric_x", "samples")
    with pytest.raises(ValueError, match="Invalid `zero_division`"):
        F.check_zero_division("metric_x", 0.5)
    with pytest.raises(ValueError, match="different numbers of samples"):
        F.class_counts([0, 1, 1], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="multilabel"):
        F.class_counts([0, 1], [[0.1, 0.9], [0.3, 0.2]], num_classes=2, threshold=0.5)
