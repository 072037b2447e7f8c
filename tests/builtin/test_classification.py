"""The multiclass classification metrics against scikit-learn: streamed, merged, jitted."""

import warnings

import jax
import numpy as np
import pytest
from sklearn import metrics as skm

import metricdsl as md

N, C = 36, 4
_rng = np.random.default_rng(5)
Y_TRUE = _rng.integers(0, C, N)
SCORES = _rng.uniform(size=(N, C)).astype("float32")
Y_HAT = SCORES.argmax(-1)
W = _rng.uniform(0.1, 2.0, N).astype("float32")
MULTI_TRUE = _rng.integers(0, 2, (N, C))


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


LABELS = {"labels": np.arange(C)}
CASES = {
    "precision": (lambda: md.metric_multiclass_precision(C, average="weighted"),
                  lambda w: _sk(skm.precision_score, Y_TRUE, Y_HAT, average="weighted",
                                sample_weight=w, **LABELS), False),
    "recall": (lambda: md.metric_multiclass_recall(C, average=None, zero_division=np.nan),
               lambda w: _sk(skm.recall_score, Y_TRUE, Y_HAT, average=None, sample_weight=w,
                             zero_division=np.nan, **LABELS), False),
    "f1": (lambda: md.metric_multiclass_f1_score(C),
           lambda w: _sk(skm.f1_score, Y_TRUE, Y_HAT, average="macro", sample_weight=w, **LABELS),
           False),
    "f1_multilabel": (lambda: md.metric_multiclass_f1_score(C, average="micro", threshold=0.5),
                      lambda w: _sk(skm.f1_score, MULTI_TRUE, SCORES > 0.5, average="micro",
                                    sample_weight=w), True),
    "confusion_matrix": (lambda: md.metric_confusion_matrix(C, normalize="true"),
                         lambda w: skm.confusion_matrix(Y_TRUE, Y_HAT, sample_weight=w,
                                                        normalize="true"), False),
    "matthews": (lambda: md.metric_matthews_correlation(C),
                 lambda w: skm.matthews_corrcoef(Y_TRUE, Y_HAT, sample_weight=w), False),
    "kappa": (lambda: md.metric_cohen_kappa(C, weights="quadratic"),
              lambda w: skm.cohen_kappa_score(Y_TRUE, Y_HAT, weights="quadratic",
                                              sample_weight=w), False),
    "balanced": (lambda: md.metric_balanced_accuracy(C),
                 lambda w: skm.balanced_accuracy_score(Y_TRUE, Y_HAT, sample_weight=w), False),
}


def _inputs(multilabel, part=slice(None)):
    y_true = MULTI_TRUE if multilabel else np.eye(C, dtype="float32")[Y_TRUE]
    return y_true[part], SCORES[part], W[part]


@pytest.mark.parametrize("case", sorted(CASES))
def test_streamed_merged_and_jitted_equal_sklearn(case):
    make, reference, multilabel = CASES[case]
    want = reference(W)
    streamed = make()
    for part in (slice(0, 10), slice(10, 11), slice(11, N)):
        y_true, y_pred, w = _inputs(multilabel, part)
        streamed.update_state(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(streamed.result(), want, rtol=1e-5, atol=1e-6)

    shards = [make(), make()]
    for shard, part in zip(shards, (slice(0, N // 2), slice(N // 2, N))):
        shard.update_state(*_inputs(multilabel, part)[:2], sample_weight=W[part])
    shards[0].merge_state(shards[1:])
    np.testing.assert_allclose(shards[0].result(), streamed.result(), rtol=1e-6, atol=1e-7)

    metric = make()
    y_true, y_pred, w = _inputs(multilabel)
    state = jax.jit(metric.stateless_update_state)(metric.stateless_reset_state(), y_true, y_pred,
                                                   sample_weight=w)
    np.testing.assert_allclose(jax.jit(metric.stateless_result)(state), want, rtol=1e-5,
                               atol=1e-6)
    assert all(np.all(np.asarray(v.value) == 0) for v in metric.variables)


def test_sparse_ids_and_binary_probabilities():
    m = md.metric_multiclass_precision(C, average="micro")
    m.update_state(Y_TRUE[:, None], Y_HAT)
    np.testing.assert_allclose(m.result(), skm.accuracy_score(Y_TRUE, Y_HAT), rtol=1e-6)
    y_true, p = Y_TRUE % 2, SCORES[:, 0]
    for make, sk_fn in ((md.metric_matthews_correlation, skm.matthews_corrcoef),
                        (lambda: md.metric_balanced_accuracy(2), skm.balanced_accuracy_score),
                        (lambda: md.metric_cohen_kappa(2), skm.cohen_kappa_score)):
        metric = make()
        metric.update_state(y_true, p[:, None])
        np.testing.assert_allclose(metric.result(), sk_fn(y_true, p > 0.5), rtol=1e-5, atol=1e-6)


def test_top_k_precision_and_empty_results():
    m = md.metric_multiclass_recall(C, top_k=2, average="micro")
    m.update_state(Y_TRUE, SCORES)
    hits = np.mean([t in np.argsort(-s)[:2] for t, s in zip(Y_TRUE, SCORES)])
    np.testing.assert_allclose(m.result(), hits, rtol=1e-6)
    for metric in (md.metric_multiclass_f1_score(3), md.metric_matthews_correlation(),
                   md.metric_cohen_kappa(3), md.metric_balanced_accuracy(3)):
        assert float(metric.result()) == 0.0
    assert np.all(np.asarray(md.metric_confusion_matrix(3, normalize="all").result()) == 0)


@pytest.mark.parametrize("make, message", [
    (lambda: md.metric_multiclass_precision(1), r"MulticlassPrecision: Argument `num_classes`"),
    (lambda: md.metric_multiclass_recall(3, average="samples"), r"Invalid `average`"),
    (lambda: md.metric_multiclass_f1_score(3, zero_division=2), r"Invalid `zero_division`"),
    (lambda: md.metric_multiclass_f1_score(3, threshold=1.5), r"`threshold` must be in"),
    (lambda: md.metric_multiclass_precision(3, top_k=4), r"top_k=4 exceeds num_classes=3"),
    (lambda: md.metric_confusion_matrix(3, normalize="rows"), r"ConfusionMatrix: .*`normalize`"),
    (lambda: md.metric_cohen_kappa(3, weights="cubic"), r"CohenKappa: .*`weights`"),
    (lambda: md.metric_balanced_accuracy(2.0), r"BalancedAccuracy: Argument `num_classes`"),
])
def test_bad_constructor_arguments_name_metric_and_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_config_round_trip_and_compile_aliases():
    m = md.metric_multiclass_f1_score(3, average=None, top_k=2)
    assert type(m).from_config(m.get_config()).get_config() == m.get_config()
    collection = md.compile_metrics(["mcc"])
    collection.update_state(Y_TRUE % 2, SCORES[:, :1])
    assert set(collection.result()) == {"mcc"}
    with pytest.raises(ValueError, match=r"missing a required argument: .num_classes."):
        md.compile_metrics(["kappa"]).update_state(Y_TRUE, SCORES)
