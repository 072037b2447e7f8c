"""The confusion-matrix family: Keras acceptance vectors, numpy references, scikit-learn, jit."""

import json
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import references.confusion as ref
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

import metricdsl as md
from metricdsl.functional import confusion_counts, threshold_buckets

N, C = 24, 3
GRID = np.float32([0.0, 0.15, 0.25, 0.3, 0.5, 0.75, 0.85, 1.0])   # predictions equal to thresholds
COUNTS = {"true_positives": (md.metric_true_positives, 0),
          "false_positives": (md.metric_false_positives, 1),
          "true_negatives": (md.metric_true_negatives, 2),
          "false_negatives": (md.metric_false_negatives, 3)}
RATES = {  # metric → (constrained, dependent)
    md.metric_sensitivity_at_specificity: ("specificity", "sensitivity"),
    md.metric_specificity_at_sensitivity: ("sensitivity", "specificity"),
    md.metric_precision_at_recall: ("recall", "precision"),
    md.metric_recall_at_precision: ("precision", "recall"),
}


def _data(seed, shape=(N, C), outside=False):
    """Labels and scores: half on a grid of threshold values, optionally outside [0, 1]."""
    rng = np.random.default_rng(seed)
    y_true = (rng.uniform(size=shape) < 0.4).astype("float32")
    y_pred = np.where(rng.uniform(size=shape) < 0.5, rng.choice(GRID, size=shape),
                      rng.uniform(size=shape)).astype("float32")
    if outside:
        y_pred = (y_pred * 1.6 - 0.3).astype("float32")
    weight = rng.uniform(0.1, 2.0, size=shape[0]).astype("float32")
    return y_true, y_pred, weight


def _weights(kind, weight, shape):
    return {None: None, "scalar": np.float32(1.7), "per_sample": weight,
            "full": np.broadcast_to(weight.reshape(-1, *[1] * (len(shape) - 1)), shape) * 0.5}[kind]


def _thresholds(given, default=0.5):
    return [default] if given is None else list(np.atleast_1d(given).astype(float))


def _eager(metric):
    """Run op by op: primitives compile once per shape for every configuration (the compiled
    path is compared with eager runs in the jit tests below)."""
    metric.run_eagerly = True
    return metric


# -- Keras acceptance vectors (spec §6.3 rows 12-18, re-measured on Keras 3 / JAX, float32) -----
ROW12_TRUE = [[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
ROW12_PRED = [[0.9, 0.2, 0.8, 0.1], [0.2, 0.9, 0.7, 0.6], [0.1, 0.2, 0.4, 0.3], [0, 1, 0.7, 0.3]]
ROW12_WEIGHT = [[1, 2, 3, 5], [7, 11, 13, 17], [19, 23, 29, 31], [5, 15, 10, 0]]


@pytest.mark.parametrize("metric, expected", [
    (md.metric_false_positives, [125, 42, 12]), (md.metric_true_positives, [37, 28, 15]),
    (md.metric_true_negatives, [24, 107, 137]), (md.metric_false_negatives, [5, 14, 27])])
def test_row12_condition_counts(metric, expected):
    m = metric(thresholds=[0.15, 0.5, 0.85])
    m.update_state(ROW12_TRUE, ROW12_PRED, sample_weight=ROW12_WEIGHT)
    np.testing.assert_allclose(m.result(), expected, atol=1e-5)


def test_row13_precision_top_k_two_updates():
    m = md.metric_precision(top_k=3)
    m.update_state([[0, 1, 1, 0, 1]], [[0.2, 0.1, 0.4, 0, 0.2]], sample_weight=[[1, 4, 2, 3, 5]])
    m.update_state([1, 0, 1, 1, 1], [0.2, 0.6, 0.4, 0.2, 0.2], sample_weight=3)
    np.testing.assert_allclose(m.result(), 13 / 17, atol=1e-6)


def test_row14_precision_two_thresholds():
    m = md.metric_precision(thresholds=[0.5, 1.0])
    m.update_state([[0, 1], [1, 0]], [[1, 0], [0.6, 0]], sample_weight=[[4, 0], [3, 1]])
    np.testing.assert_allclose(m.result(), [0.4285714, 0.0], atol=1e-6)


@pytest.mark.parametrize("curve, method, weighted, expected", [
    ("ROC", "interpolation", True, 0.7857143), ("ROC", "majoring", True, 1.0),
    ("ROC", "minoring", True, 0.5714286), ("PR", "interpolation", True, 0.916613),
    ("PR", "minoring", True, 0.3), ("PRGAIN", "interpolation", True, 0.5),
    ("ROC", "interpolation", False, 0.75)])
def test_row15_auc_three_thresholds(curve, method, weighted, expected):
    m = md.metric_auc(num_thresholds=3, curve=curve, summation_method=method)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9],
                   sample_weight=[1, 2, 3, 4] if weighted else None)
    np.testing.assert_allclose(m.result(), expected, atol=1e-5)


@pytest.mark.parametrize("multi_label, label_weights, expected", [
    (True, None, 0.9375), (True, [0.75, 0.25], 0.90625), (False, None, 0.90625),
    (False, [0.75, 0.25], 0.8828125)])
def test_row16_auc_multi_label(multi_label, label_weights, expected):
    m = md.metric_auc(num_thresholds=5, multi_label=multi_label, label_weights=label_weights)
    m.update_state([[0, 0], [0, 0], [1, 1], [1, 1]],
                   [[0, 0.1], [0.5, 0.2], [0.3, 0.3], [0.9, 0.4]])
    np.testing.assert_allclose(m.result(), expected, atol=1e-6)


def test_row17_sensitivity_at_specificity():
    m = md.metric_sensitivity_at_specificity(0.4)
    m.update_state([0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
                   [0, 0.1, 0.2, 0.3, 0.4, 0.01, 0.02, 0.25, 0.26, 0.26],
                   sample_weight=list(range(1, 11)))
    np.testing.assert_allclose(m.result(), 0.675, atol=1e-6)


@pytest.mark.parametrize("metric, expected", [(md.metric_recall_at_precision, 0.8333333),
                                              (md.metric_precision_at_recall, 0.7142857)])
def test_row18_rate_at_two_thirds(metric, expected):
    m = metric(2 / 3)
    m.update_state([0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1],
                   [0.05, 0.1, 0.2, 0.3, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.9, 0.95])
    np.testing.assert_allclose(m.result(), expected, atol=1e-6)


# -- numpy references ---------------------------------------------------------------------------
@pytest.mark.parametrize("thresholds, w_kind", [
    (None, None), (0.3, "scalar"), ([0.15, 0.5, 0.85], "per_sample"), ([0.85, 0.15, 0.5], "full"),
    ([0.0, 0.5, 1.0], "full"), ([0.0, 0.25, 0.5, 0.75, 1.0], "per_sample"),
    ([0.0, 0.25, 0.5, 0.75, 1.0], None), ([0.5, 0.5, 1.0], "scalar")])
def test_condition_counts_match_reference(thresholds, w_kind):
    y_true, y_pred, weight = _data(1, outside=True)
    w = _weights(w_kind, weight, y_pred.shape)
    t = _thresholds(thresholds)
    expected = ref.confusion_counts(y_true, y_pred, t, w, evenly=ref.keras_evenly_distributed(t))
    for metric, index in COUNTS.values():
        m = _eager(metric(thresholds=thresholds))
        m.update_state(y_true, y_pred, sample_weight=w)
        want = expected[index] if len(t) > 1 else expected[index][0]
        np.testing.assert_allclose(m.result(), want, rtol=1e-5)


@pytest.mark.parametrize("metric, result", [(md.metric_precision, ref.precision),
                                            (md.metric_recall, ref.recall)])
@pytest.mark.parametrize("thresholds, top_k, class_id, w_kind", [
    (None, None, None, None), ([0.3, 0.5, 0.85], None, None, "full"),
    ([0.0, 0.5, 1.0], None, 1, "per_sample"), (None, 1, None, "full"), (None, 2, 2, None),
    ([0.2, 0.75], 2, None, "per_sample"), ([0.85, 0.0, 0.3], 1, 0, "full"),
    ([0.0, 0.5, 1.0], 2, 1, "full"), (0.25, None, 2, "scalar")])
def test_precision_recall_match_reference(metric, result, thresholds, top_k, class_id, w_kind):
    y_true, y_pred, weight = _data(2, outside=True)
    w = _weights(w_kind, weight, y_pred.shape)
    t = _thresholds(thresholds, 0.5 if top_k is None else ref.NEG_INF)
    tp, fp, _, fn = ref.confusion_counts(y_true, y_pred, t, w, top_k=top_k, class_id=class_id,
                                         evenly=ref.keras_evenly_distributed(t))
    m = _eager(metric(thresholds=thresholds, top_k=top_k, class_id=class_id))
    m.update_state(y_true, y_pred, sample_weight=w)
    want = result(tp, fp if metric is md.metric_precision else fn)
    np.testing.assert_allclose(m.result(), want if len(t) > 1 else want[0], rtol=1e-5)


@pytest.mark.parametrize("metric", list(RATES))
@pytest.mark.parametrize("value, num_thresholds, class_id", [
    (0.0, 200, None), (0.4, 200, 1), (0.8, 7, None), (1.0, 2, 0), (0.5, 1, 2)])
def test_rate_at_constraint_matches_reference(metric, value, num_thresholds, class_id):
    y_true, y_pred, weight = _data(3, outside=True)
    t, evenly = ref.rate_thresholds(num_thresholds)
    counts = ref.confusion_counts(y_true, y_pred, t, weight, evenly=evenly, class_id=class_id)
    m = _eager(metric(value, num_thresholds, class_id))
    m.update_state(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(m.result(), ref.rate_at_constraint(*counts, *RATES[metric], value),
                               rtol=1e-5, atol=1e-7)
    assert m.thresholds == pytest.approx(t) and m.num_thresholds == num_thresholds


_AUC_CURVES = [(c, m) for c in ("ROC", "PR", "PRGAIN")
               for m in ("interpolation", "minoring", "majoring")]
_AUC_LAYOUTS = [(n, t, ml, lw) for n, t in ((3, None), (200, None), (200, [0.3, 0.6]),
                                           (200, [0.75, 0.25, 0.5]))
                for ml, lw in ((False, None), (False, [0.5, 1.0, 2.0]), (True, None),
                               (True, [0.5, 1.0, 2.0]))]


@pytest.mark.parametrize("curve, method, num_thresholds, thresholds, multi_label, label_weights",
                         [(c, m, 200, None, False, None) for c, m in _AUC_CURVES]
                         + [(c, m, 3, [0.3, 0.6], True, [0.5, 1.0, 2.0]) for c, m in _AUC_CURVES]
                         + [("ROC", "interpolation", *layout) for layout in _AUC_LAYOUTS[::3]]
                         + [("PR", "interpolation", *layout) for layout in _AUC_LAYOUTS[::5]])
def test_auc_matches_reference(curve, method, num_thresholds, thresholds, multi_label,
                               label_weights):
    y_true, y_pred, weight = _data(4, outside=True)
    t, evenly = ref.auc_thresholds(num_thresholds, thresholds)
    counts = ref.confusion_counts(y_true, y_pred, t, weight, evenly=evenly,
                                  multi_label=multi_label,
                                  label_weights=None if multi_label else label_weights)
    want = ref.auc(*counts, curve, method, label_weights if multi_label else None)
    m = _eager(md.metric_auc(num_thresholds, curve, method, thresholds=thresholds,
                             multi_label=multi_label, label_weights=label_weights))
    m.update_state(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(m.result(), want, rtol=2e-5, atol=1e-6)


def test_auc_from_logits_and_input_dtypes():
    y_true, y_pred, weight = _data(5)
    logits = np.log(y_pred.clip(0.01, 0.99) / (1 - y_pred.clip(0.01, 0.99)))
    plain = md.metric_auc()
    plain.update_state(y_true, jax.nn.sigmoid(logits), weight)
    for labels in (y_true, y_true.astype(bool), y_true.astype("int32")):
        m = md.metric_auc(from_logits=True)
        m.update_state(labels, logits, weight)
        np.testing.assert_allclose(m.result(), plain.result(), rtol=1e-6)
    # bfloat16 scores are cast to the float32 state dtype before bucketing: exact
    low = jnp.asarray(y_pred, jnp.bfloat16)
    for metric in (md.metric_auc(), md.metric_precision(thresholds=[0.3, 0.7])):
        metric.update_state(y_true, low)
        want = ref.confusion_counts(y_true, np.asarray(low, np.float32), metric.thresholds,
                                    evenly=metric._thresholds_distributed_evenly)
        np.testing.assert_allclose(metric.true_positives.numpy(), want[0])


@given(st.permutations(range(N)), st.sampled_from([8, 16]))
def test_counts_invariant_to_order_split_and_unit_weights(order, split):
    y_true, y_pred, _ = _data(9, outside=True)
    config = {"thresholds": (0.0, 0.25, 0.5, 0.75, 1.0), "evenly": True}
    whole = confusion_counts(y_true, y_pred, **config)
    unit = confusion_counts(y_true, y_pred, np.ones(N, "float32"), **config)
    parts = [confusion_counts(y_true[order][s], y_pred[order][s], **config)
             for s in (slice(0, split), slice(split, None))]
    for index, cell in enumerate(whole):
        np.testing.assert_array_equal(unit[index], cell)
        np.testing.assert_array_equal(parts[0][index] + parts[1][index], cell)


def test_nan_predictions_follow_keras():
    # Keras: on the general path NaN > t is False; on the fast path XLA turns the NaN bucket
    # into 0, so NaN counts above the first (epsilon) threshold only.
    y_true = np.float32([0, 1, 1, 0, 1])
    y_pred = np.float32([np.nan, 0.3, np.nan, 0.7, 0.9])
    for thresholds, evenly in [([0.3, 0.6], False), ([0.0, 0.5, 1.0], True)]:
        m = md.metric_true_positives(thresholds=thresholds)
        m.update_state(y_true, y_pred)
        want = ref.confusion_counts(y_true, y_pred, thresholds, evenly=evenly)[0]
        np.testing.assert_allclose(m.result(), want)
    auc = md.metric_auc(num_thresholds=5)
    auc.update_state(y_true, y_pred)
    t, _ = ref.auc_thresholds(5)
    np.testing.assert_allclose(auc.result(), ref.auc(*ref.confusion_counts(
        y_true, y_pred, t, evenly=True)), rtol=1e-6)


# -- scikit-learn -------------------------------------------------------------------------------
def _separated_scores(rng, y_true, num_thresholds, shift):
    """Scores ``(k + 0.5)/(T-1)`` between AUC's thresholds ``k/(T-1)``: one score per bucket.

    Positives get ``k`` raised by ``shift`` buckets so the classifier is informative.
    """
    k = rng.integers(0, num_thresholds - 1, y_true.shape[0]) + shift * (y_true > 0)
    return ((np.clip(k, 0, num_thresholds - 2) + 0.5) / (num_thresholds - 1)).astype("float32")


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_equals_sklearn_when_buckets_separate_scores(weighted):
    rng = np.random.default_rng(6)
    y_true = (rng.uniform(size=2000) < 0.3).astype("float32")
    y_pred = _separated_scores(rng, y_true, 101, 15)
    weight = rng.uniform(0.2, 3.0, 2000).astype("float32") if weighted else None
    m = md.metric_auc(num_thresholds=101)
    m.update_state(y_true, y_pred, weight)
    # ROC with interpolation is the trapezoid rule through the exact ROC vertices
    np.testing.assert_allclose(m.result(), roc_auc_score(y_true, y_pred, sample_weight=weight),
                               rtol=1e-5)


def test_pr_auc_brackets_sklearn_average_precision():
    rng = np.random.default_rng(7)
    y_true = (rng.uniform(size=5000) < 0.3).astype("float32")
    y_pred = _separated_scores(rng, y_true, 201, 40)
    ap = average_precision_score(y_true, y_pred)
    results = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = md.metric_auc(num_thresholds=201, curve="PR", summation_method=method)
        m.update_state(y_true, y_pred)
        results[method] = float(m.result())
    # sklearn's step sum uses the precision at the higher-recall end of each recall step,
    # which lies between Keras's min and max heights; Davis-Goadrich interpolation is close.
    assert results["minoring"] - 1e-6 <= ap <= results["majoring"] + 1e-6
    assert results["interpolation"] == pytest.approx(ap, abs=0.01)


def test_precision_recall_equal_sklearn_with_class_id():
    from sklearn.metrics import precision_score, recall_score
    y_true, y_pred, weight = _data(8)
    predicted = (y_pred[:, 1] > 0.5).astype(int)
    for metric, score in ((md.metric_precision, precision_score), (md.metric_recall, recall_score)):
        m = metric(class_id=1)
        m.update_state(y_true, y_pred, weight)
        np.testing.assert_allclose(m.result(), score(y_true[:, 1], predicted,
                                                     sample_weight=weight), rtol=1e-6)


# -- kernels ------------------------------------------------------------------------------------
@given(st.lists(st.sampled_from([0.0, 0.15, 0.25, 0.3, 0.5, 0.75, 1.0])
                | st.floats(0, 1, width=32, allow_subnormal=False),   # XLA flushes subnormals
                min_size=2, max_size=12))
def test_threshold_buckets_count_thresholds_strictly_below(thresholds):
    y_pred = np.concatenate([GRID, np.float32([-1.0, 2.0, np.inf, -np.inf, np.nan]),
                             np.linspace(0, 1, 17, dtype="f4"), np.zeros(12, "f4")])
    y_pred[-len(thresholds):] = thresholds                  # predictions equal to thresholds
    t = np.float32(thresholds)
    with np.errstate(invalid="ignore"):
        want = np.sum(y_pred[:, None] > t[None, :], axis=1)
    got = threshold_buckets(jnp.asarray(y_pred), tuple(sorted(thresholds)), False)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("thresholds", [(0.0, 0.5, 1.0), tuple(np.linspace(0, 1, 200)),
                                        tuple(ref.auc_thresholds(200)[0])])
def test_evenly_spaced_buckets_use_keras_arithmetic(thresholds):
    y_pred = np.concatenate([np.linspace(-0.2, 1.2, 1001, dtype="f4"), GRID])
    got = threshold_buckets(jnp.asarray(y_pred), thresholds, True)
    want = ref._exceeds(y_pred, thresholds, True).sum(axis=1)
    np.testing.assert_array_equal(got, want)


@given(thresholds=st.lists(st.floats(0, 1, width=32, allow_subnormal=False), min_size=1,
                          max_size=4),
       class_id=st.none() | st.integers(0, C - 1), top_k=st.none() | st.integers(1, C),
       weighted=st.booleans(), seed=st.integers(0, 3))
def test_counts_kernel_matches_reference(thresholds, class_id, top_k, weighted, seed):
    y_true, y_pred, weight = _data(seed, outside=True)
    w = weight if weighted else None
    got = confusion_counts(y_true, y_pred, w, thresholds=tuple(thresholds),
                           evenly=ref.keras_evenly_distributed(thresholds), top_k=top_k,
                           class_id=class_id)
    want = ref.confusion_counts(y_true, y_pred, thresholds, w, top_k=top_k, class_id=class_id,
                                evenly=ref.keras_evenly_distributed(thresholds))
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


@given(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.5, 0.9, 1.0]), min_size=2, max_size=5),
       st.integers(0, 3))
def test_multi_label_counts_kernel_matches_reference(thresholds, seed):
    y_true, y_pred, weight = _data(seed)
    got = confusion_counts(y_true, y_pred, weight, thresholds=tuple(thresholds),
                           multi_label=True)
    want = ref.confusion_counts(y_true, y_pred, thresholds, weight, multi_label=True)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_no_n_by_t_buffer_at_a_million_samples():
    spec = jax.ShapeDtypeStruct((10**6, 1), jnp.float32)
    for metric in (md.metric_auc(), md.metric_auc(thresholds=list(np.linspace(0.01, 0.99, 198)))):
        state = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in metric.variables]
        compiled = jax.jit(metric.stateless_update_state).lower(state, spec, spec, spec).compile()
        assert compiled.memory_analysis().temp_size_in_bytes < 100 * 2**20   # N×T f32: 800 MB


# -- state, jit, configs ------------------------------------------------------------------------
def _constructors():
    return [md.metric_true_positives(thresholds=[0.2, 0.7]), md.metric_false_negatives(),
            md.metric_precision(thresholds=[0.85, 0.3], top_k=2, class_id=1),
            md.metric_recall(top_k=1), md.metric_sensitivity_at_specificity(0.4, class_id=2),
            md.metric_recall_at_precision(0.6, num_thresholds=1),
            md.metric_auc(curve="PR", thresholds=[0.7, 0.2]),
            md.metric_auc(multi_label=True, label_weights=[1.0, 2.0, 0.5])]


@pytest.mark.parametrize("index", range(8))
def test_stateless_jit_equals_stateful_and_batches_stream(index):
    batches = [_data(seed) for seed in (10, 11)]
    stateful, stateless = _constructors()[index], _constructors()[index]
    for y_true, y_pred, weight in batches:
        stateful.update_state(y_true, y_pred, weight)
    stateless.build(batches[0][0], batches[0][1])
    update, result = jax.jit(stateless.stateless_update_state), jax.jit(stateless.stateless_result)
    state = stateless.stateless_reset_state()
    for batch in batches:
        state = update(state, *batch)
    once = _eager(_constructors()[index])
    once.update_state(*(np.concatenate(parts) for parts in zip(*batches)))
    shards = [_constructors()[index] for _ in batches]
    for shard, batch in zip(shards, batches):
        shard.update_state(*batch)
    shards[0].merge_state(shards[1:])
    np.testing.assert_allclose(result(state), stateful.result(), rtol=1e-6)
    np.testing.assert_allclose(once.result(), stateful.result(), rtol=1e-5)
    np.testing.assert_allclose(shards[0].result(), stateful.result(), rtol=1e-6)
    stateful.reset_state()
    assert all(not np.any(v.numpy()) for v in stateful.variables)
    np.testing.assert_array_equal(stateful.result(), np.zeros_like(stateful.result()))


@pytest.mark.parametrize("index", range(8))
def test_config_round_trip_and_pickle(index):
    metric = _constructors()[index]
    config = metric.get_config()
    json.dumps(config)
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert clone.thresholds == metric.thresholds
    y_true, y_pred, weight = _data(12)
    metric.update_state(y_true, y_pred, weight)
    restored = pickle.loads(pickle.dumps(metric))
    np.testing.assert_allclose(restored.result(), metric.result())


def test_config_keys_are_keras():
    keys = {
        md.metric_true_positives: {"name", "dtype", "thresholds"},
        md.metric_precision: {"name", "dtype", "thresholds", "top_k", "class_id"},
        md.metric_recall: {"name", "dtype", "thresholds", "top_k", "class_id"},
        md.metric_auc: {"name", "dtype", "num_thresholds", "curve", "summation_method",
                        "multi_label", "num_labels", "label_weights", "from_logits"},
    }
    for metric, expected in keys.items():
        assert set(metric().get_config()) == expected
    config = md.metric_auc(curve="pr", summation_method="Minoring", thresholds=[0.7, 0.2],
                           label_weights=[1, 2]).get_config()
    assert (config["curve"], config["summation_method"], config["num_thresholds"]) == \
        ("PR", "minoring", 4)
    assert config["thresholds"] == [0.2, 0.7] and config["label_weights"] == [1.0, 2.0]
    assert set(md.metric_sensitivity_at_specificity(0.3).get_config()) == {
        "name", "dtype", "specificity", "num_thresholds", "class_id"}
    assert set(md.metric_recall_at_precision(0.3).get_config()) == {
        "name", "dtype", "precision", "num_thresholds", "class_id"}


def test_keras_attributes_and_names():
    auc = md.metric_auc(num_thresholds=3)
    assert auc.name.startswith("auc") and auc.thresholds == [-1e-7, 0.5, 1 + 1e-7]
    assert (auc.num_thresholds, auc.curve.value, auc.summation_method.value) == \
        (3, "ROC", "interpolation")
    counts = ["true_positives", "false_positives", "true_negatives", "false_negatives"]
    assert [v.name for v in auc.variables] == counts  # exactly Keras's
    assert auc.true_positives.shape == (3,) and auc.true_positives.dtype == "float32"
    explicit = md.metric_auc(thresholds=[0.6, 0.2])
    assert explicit.num_thresholds == 4 and explicit.thresholds == [-1e-7, 0.2, 0.6, 1 + 1e-7]
    count = md.metric_false_positives(thresholds=0.3)
    assert count.thresholds == [0.3] and count.init_thresholds == 0.3
    assert [v.name for v in count.variables] == ["accumulator"]
    precision = md.metric_precision(top_k=2, class_id=1)
    assert (precision.thresholds, precision.top_k, precision.class_id) == ([-1e10], 2, 1)
    rate = md.metric_sensitivity_at_specificity(0.4)    # Keras's positional order
    assert (rate.specificity, rate.value, rate.num_thresholds, rate.class_id) == \
        (0.4, 0.4, 200, None)
    assert rate.thresholds[:2] == [0.0, 1 / 199] and len(rate.variables) == 4
    assert md.metric_precision_at_recall(0.7, 50, 2).class_id == 2
    assert isinstance(md.metric_recall(), md.Metric)


def test_auc_multi_label_builds_lazily_like_keras():
    lazy = md.metric_auc(multi_label=True)
    assert not lazy.built and lazy.variables == []
    lazy.reset_state()                                   # a no-op before the build
    y_true, y_pred, _ = _data(13)
    lazy.update_state(y_true, y_pred)
    assert lazy.built and lazy.true_positives.shape == (200, C)
    eager = md.metric_auc(multi_label=True, num_labels=C)
    assert eager.built and eager.false_negatives.shape == (200, C)
    eager.update_state(y_true, y_pred)
    np.testing.assert_allclose(eager.result(), lazy.result())
    with pytest.raises(ValueError, match="rank 2"):
        md.metric_auc(multi_label=True).update_state(y_true[:, 0], y_pred[:, 0])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        md.metric_auc(multi_label=True, num_labels=2).update_state(y_true, y_pred)


def test_empty_results_are_zero():
    for metric in (md.metric_precision(), md.metric_recall(thresholds=[0.2, 0.4]),
                   md.metric_auc(), md.metric_auc(curve="PR"), md.metric_auc(curve="PRGAIN"),
                   md.metric_precision_at_recall(0.5), md.metric_true_negatives()):
        assert not np.any(np.asarray(metric.result()))


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("build, match", [
    (lambda: md.metric_precision(thresholds=[0.5, 1.5]),
     r"^Precision 'precision\w*': Threshold values must be in \[0, 1\]. Received: \[1\.5\]"),
    (lambda: md.metric_true_positives(thresholds=[None]),
     r"^TruePositives '\w+': Threshold values must be in \[0, 1\]. Received: \[None\]"),
    (lambda: md.metric_recall(thresholds=float("nan")), r"^Recall '\w+': Threshold values"),
    (lambda: md.metric_auc(thresholds=[-0.1]), r"^AUC 'auc\w*': Threshold values"),
    (lambda: md.metric_true_positives(thresholds=[]),
     r"^TruePositives '\w+': thresholds is an empty"),
    (lambda: md.metric_precision(top_k=0),
     r"^Precision '\w+': Argument `top_k` must be an integer > 0 or None\. Received: top_k=0"),
    (lambda: md.metric_recall(class_id=-1),
     r"^Recall '\w+': Argument `class_id` must be an integer > -1"),
    (lambda: md.metric_auc(num_thresholds=1),
     r"^AUC 'auc\w*': Argument `num_thresholds` must be an integer > 1\. "
     r"Received: num_thresholds=1"),
    (lambda: md.metric_precision_at_recall(0.5, num_thresholds=0),
     r"^PrecisionAtRecall '\w+': Argument `num_thresholds` must be an integer > 0\. Received: "
     r"num_thresholds=0"),
    (lambda: md.metric_sensitivity_at_specificity(1.2),
     r"^SensitivityAtSpecificity: Argument `specificity` must be in the range \[0, 1\]\. "
     r"Received: specificity=1\.2"),
    (lambda: md.metric_auc(curve="ROCK"),
     r'^AUC: Invalid AUC curve value: "ROCK"\. Expected values are'),
    (lambda: md.metric_auc(summation_method="trapezoid"),
     r'^AUC: Invalid AUC summation method value: "trapezoid"\.'),
    (lambda: md.metric_auc(num_labels=3),
     r"^AUC '\w+': `num_labels` is needed only when `multi_label` is True\."),
    (lambda: md.metric_auc(multi_label=True, num_labels=2, label_weights=[1, 2, 3]),
     r"^AUC '\w+': `label_weights` has 3 entries but there are 2 labels"),
])
def test_bad_arguments_fail_at_construction(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("metric, args, match", [
    (lambda: md.metric_precision(class_id=3), (np.ones((4, 3)), np.ones((4, 3))),
     r"Precision 'precision.*': class_id=3 is out of range .* 3 classes"),
    (lambda: md.metric_recall(class_id=0), (np.ones(4), np.ones(4)),
     "When class_id is provided, y_pred must be a 2D array"),
    (lambda: md.metric_precision(top_k=4), (np.ones((4, 3)), np.ones((4, 3))),
     "top_k=4 exceeds the number of classes"),
    (lambda: md.metric_auc(), (np.ones((4, 3)), np.ones((4,))),
     r"y_true and y_pred must have the same shape"),
    (lambda: md.metric_auc(), (np.ones(4), np.ones(4), np.ones(3)),
     r"sample_weight of shape \(3,\) does not broadcast"),
    (lambda: md.metric_auc(label_weights=[1, 2]), (np.ones((4, 3)), np.ones((4, 3))),
     "label_weights of shape"),
])
def test_bad_shapes_fail_at_first_update_and_leave_state(metric, args, match):
    m = metric()
    before = [v.numpy().copy() for v in m.variables]
    with pytest.raises(ValueError, match=match):
        m.update_state(*args)
    for variable, value in zip(m.variables, before):
        np.testing.assert_array_equal(variable.numpy(), value)


@pytest.mark.parametrize("name", ["true_positives", "precision", "auc"])
def test_float32_counts_do_not_stall_past_2_to_24(name):
    # 2^24 positives, then 200 single ones: float32 counts without compensation stay at 2^24
    # (Keras); the compensated sums here are correctly rounded running totals.
    metric = getattr(md, f"metric_{name}")()
    ones = np.ones(1 << 24, np.float32)
    metric.update_state(ones, ones)
    for _ in range(200):
        metric.update_state([1.0], [1.0])
    tp = metric.accumulator if name == "true_positives" else metric.true_positives
    assert float(tp.numpy()[0]) == (1 << 24) + 200
    if name == "true_positives":
        assert float(metric.result()) == (1 << 24) + 200
