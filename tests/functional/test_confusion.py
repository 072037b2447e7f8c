"""The confusion-matrix kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F

N = 40


@pytest.mark.parametrize("thresholds", [[0.5], [0.2, 0.5, 0.8], [0.9, 0.1, 0.4],
                                        ref.rate_thresholds(11)[0]])
@pytest.mark.parametrize("w_shape", [None, (), (N,)])
def test_confusion_counts_match_reference(thresholds, w_shape, rng):
    y_true = rng.integers(0, 2, size=N).astype("float32")
    y_pred = rng.uniform(size=N).astype("float32")
    w = None if w_shape is None else rng.uniform(0.5, 2.0, size=w_shape).astype("float32")
    evenly = F.is_evenly_distributed(thresholds)
    assert evenly == ref.keras_evenly_distributed(np.asarray(thresholds))
    got = F.confusion_counts(y_true, y_pred, w, thresholds=tuple(thresholds), evenly=evenly)
    want = ref.confusion_counts(y_true, y_pred, thresholds, w, evenly=evenly)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5)


def test_multi_label_top_k_and_class_id_counts(rng):
    y_true = rng.integers(0, 2, size=(N, 3)).astype("float32")
    y_pred = rng.uniform(size=(N, 3)).astype("float32")
    t = (0.3, 0.6)
    for kwargs in ({"multi_label": True}, {"top_k": 2}, {"class_id": 1}):
        got = F.confusion_counts(y_true, y_pred, thresholds=t, **kwargs)
        want = ref.confusion_counts(y_true, y_pred, list(t), **kwargs)
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-5)


@pytest.mark.parametrize("curve", ["ROC", "PR", "PRGAIN"])
@pytest.mark.parametrize("method", ["interpolation", "minoring", "majoring"])
def test_auc_from_counts_matches_reference(curve, method, rng):
    thresholds, evenly = ref.auc_thresholds(20)
    y_true = rng.integers(0, 2, size=N)
    y_pred = rng.uniform(size=N).astype("float32")
    counts = ref.confusion_counts(y_true, y_pred, thresholds, evenly=evenly)
    np.testing.assert_allclose(
        F.auc_from_counts(*[np.float32(c) for c in counts], curve=curve, summation_method=method),
        ref.auc(*counts, curve=curve, summation_method=method), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("constrained, dependent", [
    ("specificity", "sensitivity"), ("sensitivity", "specificity"),
    ("recall", "precision"), ("precision", "recall")])
@pytest.mark.parametrize("value", [0.0, 0.4, 0.9])
def test_rates_match_reference(constrained, dependent, value, rng):
    thresholds, evenly = ref.rate_thresholds(15)
    counts = ref.confusion_counts(rng.integers(0, 2, size=N), rng.uniform(size=N), thresholds,
                                  evenly=evenly)
    counts32 = [np.float32(c) for c in counts]
    np.testing.assert_allclose(
        F.rate_at_constraint(*counts32, constrained=constrained, dependent=dependent, value=value),
        ref.rate_at_constraint(*counts, constrained, dependent, value), rtol=1e-5)
    tp, fp, _, fn = counts32
    np.testing.assert_allclose(F.precision_from_counts(tp, fp), ref.precision(*counts[:2]),
                               rtol=1e-5)
    np.testing.assert_allclose(F.recall_from_counts(tp, fn), ref.recall(counts[0], counts[3]),
                               rtol=1e-5)


def test_threshold_helpers():
    assert F.parse_thresholds("m", None, 0.5) == [0.5]
    assert F.parse_thresholds("m", (0.1, 0.2), 0.5) == [0.1, 0.2]
    assert F.evenly_spaced_thresholds(5) == ref.rate_thresholds(5)[0]
    assert F.one_or_all(np.array([3.0])).shape == ()
    assert F.RateConstraint("recall", "precision") == F.RateConstraint("recall", "precision")
    assert F.parse_choice("m", "curve", "pr", F.AUCCurve) is F.AUCCurve.PR


@pytest.mark.parametrize("call, match", [
    (lambda: F.parse_thresholds("metric_x", [-1, 2], 0.5),
     r"^metric_x: Threshold values must be in \[0, 1\]\. Received: \[-1, 2\]\. Pass"),
    (lambda: F.check_int("metric_x", "num_thresholds", 1, 2, none_ok=False),
     r"^metric_x: Argument `num_thresholds` must be an integer > 1\. Received: num_thresholds=1"),
    (lambda: F.check_unit("metric_x", "recall", 1.5),
     r"^metric_x: Argument `recall` must be in the range \[0, 1\]\. Received: recall=1\.5\. Pass"),
    (lambda: F.parse_choice("metric_x", "summation_method", "trapezoid", F.AUCSummationMethod),
     r'^metric_x: Invalid AUC summation method value: "trapezoid"\. Expected values are'),
    (lambda: F.confusion_counts(np.zeros(4), np.zeros(3), thresholds=(0.5,)),
     r"^metric_confusion_counts: y_true and y_pred must have the same shape"),
])
def test_checks_raise_with_the_label_and_keras_text(call, match):
    with pytest.raises(ValueError, match=match):
        call()
