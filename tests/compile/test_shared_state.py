"""Shared state: metrics with the same declared computation compute it once per batch.

The property: in a collection, every metric's variables are bit-identical to
what the metric alone computes, with or without sharing, for every pair of
builtins whose declarations agree.
"""

import functools
import itertools
import typing

import jax
import numpy as np
import pytest

import metricdsl as md
from metricdsl import Metric, registry
from metricdsl import functional as F

RNG = np.random.default_rng(7)
N = 12
# Labels 0/1 with a few 2s (positive for the confusion counts, a weight of 2 for F-scores),
# so the two families' semantics differ on these batches; weights are not round numbers.
BATCHES = [(RNG.choice([0.0, 1.0, 2.0], (N, 3), p=[0.5, 0.4, 0.1]).astype("float32"),
            RNG.uniform(0.0, 1.0, (N, 3)).astype("float32"),
            RNG.uniform(0.1, 3.0, N).astype("float32")) for _ in range(2)]


def _declaring_builtins():
    """``{class name: instance}`` of the builtins made with defaults that declare shared state."""
    out = {}
    for cls in registry.builtin_classes().values():
        try:
            metric = cls()
        except TypeError:  # needs an argument (e.g. SensitivityAtSpecificity)
            continue
        if callable(getattr(metric, "shared_state", None)):
            out[cls.__name__] = cls
    return out


DECLARING = _declaring_builtins()


def _declaration(cls):
    metric = cls()
    if not metric.built:
        metric.build(*BATCHES[0][:2])
    return metric.shared_state()


SHARING_PAIRS = [(a, b) for a, b in itertools.combinations(sorted(DECLARING), 2)
                 if _declaration(DECLARING[a]).key == _declaration(DECLARING[b]).key]


@functools.cache
def _alone(cls):
    metric = cls()
    for y_true, y_pred, w in BATCHES:
        metric.update_state(y_true, y_pred, sample_weight=w)
    return [np.asarray(v.value) for v in metric.variables] + [np.asarray(metric.result())]


def _in_collection(classes, share=True):
    metrics = [cls() for cls in classes]
    c = md.MetricCollection(weighted_metrics=metrics)
    c.share_state = share
    for y_true, y_pred, w in BATCHES:
        c.update_state(y_true, y_pred, sample_weight=w)
    return [[np.asarray(v.value) for v in m.variables] + [np.asarray(m.result())]
            for m in metrics], c.result()


def _assert_same_bits(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w), (g, w)


def test_the_confusion_and_f_score_families_declare_and_pair():
    assert {"Precision", "Recall", "TruePositives", "FalseNegatives", "AUC",
            "F1Score", "FBetaScore"} <= set(DECLARING)
    pairs = set(SHARING_PAIRS)
    assert ("Precision", "Recall") in pairs and ("F1Score", "FBetaScore") in pairs
    assert not any({"AUC", "Precision"} == set(p) or {"F1Score", "Precision"} == set(p)
                   for p in pairs)


def test_every_sharing_builtin_keeps_its_own_bits_beside_all_others():
    """Every sharing pair at once: one collection holds each builtin that has a partner."""
    names = sorted({name for pair in SHARING_PAIRS for name in pair})
    names += names[:2]  # and two instances of one class
    in_collection, _ = _in_collection([DECLARING[n] for n in names])
    for name, got in zip(names, in_collection):
        _assert_same_bits(got, _alone(DECLARING[name]))


@pytest.mark.slow
@pytest.mark.parametrize(("a", "b"), SHARING_PAIRS)
def test_every_sharing_pair_keeps_each_metrics_own_bits(a, b):
    in_collection, _ = _in_collection([DECLARING[a], DECLARING[b]])
    for name, got in zip((a, b), in_collection):
        _assert_same_bits(got, _alone(DECLARING[name]))


def test_a_shared_collection_equals_the_unshared_one_and_numpy():
    classes = [DECLARING[n] for n in ("TruePositives", "FalsePositives", "TrueNegatives",
                                      "FalseNegatives", "Precision", "Recall")]
    shared, shared_results = _in_collection(classes)
    unshared, unshared_results = _in_collection(classes, share=False)
    for got, want in zip(shared, unshared):
        _assert_same_bits(got, want)
    _assert_same_bits([np.asarray(v) for v in shared_results.values()],
                      [np.asarray(v) for v in unshared_results.values()])
    positive = np.concatenate([b[0].ravel() != 0 for b in BATCHES])
    above = np.concatenate([b[1].ravel() > 0.5 for b in BATCHES])
    weight = np.concatenate([np.repeat(b[2], 3) for b in BATCHES]).astype(np.float64)
    tp, fp = weight[positive & above].sum(), weight[~positive & above].sum()
    fn = weight[positive & ~above].sum()
    values = list(shared_results.values())
    np.testing.assert_allclose(values[4], tp / (tp + fp), rtol=1e-6)  # precision
    np.testing.assert_allclose(values[5], tp / (tp + fn), rtol=1e-6)  # recall


def test_different_configurations_do_not_share():
    key = md.metric_precision().shared_state().key
    assert md.metric_precision(thresholds=0.3).shared_state().key != key
    assert md.metric_recall(class_id=1).shared_state().key != key
    assert md.metric_precision(top_k=1).shared_state().key != key
    assert md.metric_precision(thresholds=[0.5, 0.5]).shared_state().key != key
    f1 = md.metric_f1_score(threshold=0.5)
    f1.build(*BATCHES[0][:2])
    micro = md.metric_fbeta_score(beta=2.0, threshold=0.5, average="micro")
    micro.build(*BATCHES[0][:2])
    assert f1.shared_state().key != micro.shared_state().key


_CALLS = []


class _Sums(typing.NamedTuple):
    total: typing.Any


def _counting_sums(y_true, y_pred, sample_weight, *, scale):
    """Test kernel: ``Σ scale·y_pred``; records each (trace-time) call."""
    _CALLS.append(scale)
    return _Sums(np.float32(scale) * F.aligned_inputs(y_true, y_pred)[1].sum())


def _user_initialize(scale=1.0, name=None, dtype=None):
    super.initialize(name=name, dtype=dtype)
    self.scale = scale
    self.total = self.add_variable((), "zeros", name="total")


def _user_update(y_true, y_pred, sample_weight=None):
    self.total.assign_add(self.shared_state().compute(y_true, y_pred, sample_weight).total)


ScaledSum = Metric(
    "ScaledSum", initialize=_user_initialize, update_state=_user_update,
    result=lambda: self.total.value,
    shared_state=lambda: F.SharedState(_counting_sums, (("scale", self.scale),), ("total",)))


def test_a_user_metric_declares_shared_state_and_computes_it_once():
    y_true, y_pred, _ = BATCHES[0]
    _CALLS.clear()
    c = md.compile_metrics([ScaledSum(), ScaledSum(), ScaledSum(scale=2.0)])
    c.update_state(y_true, y_pred)
    assert sorted(_CALLS) == [1.0, 2.0]  # traced once per distinct key
    out = list(c.result().values())
    want = float(y_pred.astype(np.float64).sum())
    np.testing.assert_allclose(out, [want, want, 2 * want], rtol=1e-6)


def test_a_subclass_with_its_own_update_does_not_share_its_inputs():
    def doubled(y_true, y_pred, sample_weight=None):
        super.update_state(y_true, y_pred, sample_weight=2.0 * sample_weight)

    Doubled = Metric("DoubledPrecisionWeights", update_state=doubled, inherit=md.metric_precision)
    y_true, y_pred, w = BATCHES[0]
    plain, double = md.metric_precision(), Doubled()
    c = md.MetricCollection(weighted_metrics=[plain, double])
    c.update_state(y_true, y_pred, sample_weight=w)
    alone = md.metric_precision()
    alone.update_state(y_true, y_pred, sample_weight=2.0 * w)
    _assert_same_bits([np.asarray(v.value) for v in double.variables],
                      [np.asarray(v.value) for v in alone.variables])
    assert not np.array_equal(plain.true_positives.value, double.true_positives.value)


def test_sharing_outside_a_collection_computes_once_per_inputs():
    shared = md.metric_precision().shared_state()

    def check(y_true, y_pred):
        with F.sharing():
            first = shared.compute(y_true, y_pred, None)
            assert shared.compute(y_true, y_pred, None) is first
            assert shared.compute(y_true, y_pred + 0, None) is not first
        assert shared.compute(y_true, y_pred, None) is not first
        return first

    jax.eval_shape(check, *BATCHES[0][:2])  # traced only: no compile
