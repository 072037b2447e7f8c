"""The IoU family: Keras acceptance vectors, scikit-learn, numpy references, the stateless API."""

import pickle
import re

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from references.iou import iou_confusion_matrix, iou_keras, iou_per_class
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import jaccard_score

import metricdsl as md
from metricdsl import Metric
from metricdsl.functional import confusion_matrix

N, C = 60, 5


def _eager(metric):
    """Run op by op: jnp primitives are compiled once per shape and shared by every config,
    where the compiled path would compile each configuration anew. The compiled path is
    checked against this in the stateless/streaming tests."""
    metric.run_eagerly = True
    return metric


def _labels(seed, low=0, high=C, shape=(N,)):
    rng = np.random.default_rng(seed)
    return (rng.integers(low, high, size=shape).astype("int32"),
            rng.integers(low, high, size=shape).astype("int32"))


# -- Keras acceptance vectors (spec §6.3 rows 21-23, re-measured on Keras 3 / JAX, float32) -----
def test_row21_mean_iou_ignore_class_255():
    m = md.metric_mean_iou(num_classes=3, ignore_class=255)
    m.update_state([0, 1, 2, 255], [0, 1, 1, 1])
    np.testing.assert_allclose(m.result(), 0.5, atol=1e-5)


def test_row22_iou_and_binary_iou():
    weight = [0.2, 0.3, 0.4, 0.1]
    iou = _eager(md.metric_iou(num_classes=2, target_class_ids=[1, 0], dtype="float32"))
    iou.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=weight)
    binary = _eager(md.metric_binary_iou(threshold=0.3, dtype="float32"))
    binary.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=weight)
    np.testing.assert_allclose([iou.result(), binary.result()], [0.1736111] * 2, atol=1e-6)


@pytest.mark.parametrize("dtype, weight", [("float32", [0.1, 0.2, 0.3, 0.3, 0.1]),
                                           (None, [1, 2, 3, 3, 1])])
def test_row23_one_hot_mean_iou(dtype, weight):
    y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]]
    y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5],
              [0.6, 0.2, 0.2]]
    m = _eager(md.metric_one_hot_mean_iou(num_classes=3, dtype=dtype))
    m.update_state(y_true, y_pred, sample_weight=weight)
    np.testing.assert_allclose(m.result(), 0.0925926, atol=1e-6)


def test_keras_docstring_examples():
    # Keras IoU / MeanIoU / OneHotIoU docstrings (integer weights, the default int dtype)
    iou = _eager(md.metric_iou(num_classes=2, target_class_ids=[0]))
    iou.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    np.testing.assert_allclose(iou.result(), 0.33333334, atol=1e-6)
    mean = _eager(md.metric_mean_iou(num_classes=2))
    mean.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    np.testing.assert_allclose(mean.result(), 0.33333334, atol=1e-6)
    one_hot = _eager(md.metric_one_hot_iou(num_classes=3, target_class_ids=[0, 2],
                                           dtype="float32"))
    one_hot.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
                         [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
                         sample_weight=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(one_hot.result(), 0.07142857, atol=1e-6)


def test_empty_result_is_zero():
    for m in (md.metric_mean_iou(3), md.metric_binary_iou(), md.metric_one_hot_iou(3, [1])):
        assert float(_eager(m).result()) == 0.0


# -- the confusion-matrix kernel vs numpy and scikit-learn --------------------------------------
def test_confusion_kernel_is_one_bincount():
    jaxpr = str(jax.make_jaxpr(lambda t, p, w: confusion_matrix(t, p, w, C, 3, "int32"))(
        *_labels(0), np.ones(N, "int32")))
    assert jaxpr.count("scatter-add") == 1 and "dot_general" not in jaxpr


@pytest.mark.parametrize("ignore_class", [None, 2, -1, 255])
def test_confusion_matrix_matches_sklearn_exact_ints(ignore_class):
    y_true, y_pred = _labels(1, low=-1, high=C + 2)      # includes out-of-range labels
    y_true[:5] = 255
    weight = np.random.default_rng(2).integers(0, 4, size=N).astype("int32")
    m = _eager(md.metric_mean_iou(num_classes=C, ignore_class=ignore_class))
    m.update_state(y_true, y_pred, sample_weight=weight)
    keep = (y_true >= 0) & (y_true < C) & (y_pred >= 0) & (y_pred < C) & (y_true != ignore_class)
    expected = sk_confusion_matrix(y_true[keep], y_pred[keep], labels=range(C),
                                   sample_weight=weight[keep])
    assert m.total_cm.dtype == "int32"
    np.testing.assert_array_equal(m.total_cm, expected)
    np.testing.assert_array_equal(m.total_cm, iou_confusion_matrix(
        y_true, y_pred, C, weight, ignore_class))


def test_per_class_iou_matches_sklearn_jaccard():
    y_true, y_pred = _labels(3, high=C - 1)            # class C-1 absent: left out of the mean
    weight = np.random.default_rng(4).uniform(size=N).astype("float32")
    jaccard = jaccard_score(y_true, y_pred, labels=range(C), average=None, sample_weight=weight,
                            zero_division=0)
    present = np.isin(np.arange(C), np.concatenate([y_true, y_pred]))
    assert not present[C - 1]
    for ids in ([0], [1, 3], [3, 4], list(range(C))):
        m = _eager(md.metric_iou(C, ids, dtype="float32"))
        m.update_state(y_true, y_pred, sample_weight=weight)
        expected = np.mean(jaccard[ids][present[ids]])
        np.testing.assert_allclose(m.result(), expected, rtol=1e-5)
    np.testing.assert_allclose(jaccard[present], iou_per_class(iou_confusion_matrix(
        y_true, y_pred, C, weight))[present], rtol=1e-12)


def test_label_maps_and_one_hot_score_maps():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, C, size=(3, 4, 5)).astype("int32")
    scores = rng.uniform(size=(3, 4, 5, C)).astype("float32")
    weight = rng.integers(0, 3, size=(3, 4, 5)).astype("int32")
    cm = iou_confusion_matrix(y_true, scores.argmax(-1), C, weight)
    sparse = _eager(md.metric_mean_iou(C))
    sparse.update_state(y_true, scores.argmax(-1), sample_weight=weight)
    dense = _eager(md.metric_mean_iou(C, sparse_y_pred=False))
    dense.update_state(y_true, scores, sample_weight=weight)
    channels_first = _eager(md.metric_one_hot_mean_iou(C, axis=1))
    channels_first.update_state(np.moveaxis(np.eye(C)[y_true], -1, 1),
                                np.moveaxis(scores, -1, 1), sample_weight=weight)
    for m in (sparse, dense, channels_first):
        np.testing.assert_array_equal(m.total_cm, cm)
        np.testing.assert_allclose(m.result(), iou_keras(cm, range(C)), rtol=1e-6)


def test_float_weights_with_int_dtype_are_truncated():
    # Keras's truncation, with Keras's warning
    m = _eager(md.metric_iou(2, [0, 1]))
    with pytest.warns(UserWarning, match="You are passing weight as `float`"):
        m.update_state([0, 1, 1], [0, 1, 0], sample_weight=np.float32([0.3, 1.7, 2.9]))
    np.testing.assert_array_equal(m.total_cm, [[0, 0], [2, 1]])
    np.testing.assert_array_equal(m.total_cm, iou_confusion_matrix(
        [0, 1, 1], [0, 1, 0], 2, [0.3, 1.7, 2.9], integer_weights=True))


def test_float_labels_and_binary_threshold_is_inclusive():
    m = _eager(md.metric_iou(3, [0, 1, 2]))
    m.update_state(np.float32([0.0, 1.9, 2.2, -0.5]), np.float32([0.0, 1.0, 2.0, 0.0]))
    np.testing.assert_array_equal(m.total_cm, [[2, 0, 0], [0, 1, 0], [0, 0, 1]])  # truncation
    binary = _eager(md.metric_binary_iou([1], threshold=0.5))
    binary.update_state([1, 0, 1, 0], [0.5, 0.49, 0.9, 0.1])
    np.testing.assert_array_equal(binary.total_cm, [[2, 0], [0, 2]])


# -- hypothesis: weights, class ids, thresholds, ignore classes ----------------------------------
@given(seed=st.integers(0, 2**16),
       ids=st.lists(st.integers(-C, C - 1), min_size=1, max_size=C, unique=True),
       ignore_class=st.sampled_from([None, 0, 3, 255, -1]),
       weight_kind=st.sampled_from(["none", "scalar", "ints", "floats"]))
def test_hypothesis_iou_matches_reference(seed, ids, ignore_class, weight_kind):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(-1, C + 1, size=(2, N)).astype("int32")
    weight = {"none": None, "scalar": np.int32(rng.integers(1, 4)),
              "ints": rng.integers(0, 5, size=N).astype("int32"),
              "floats": rng.uniform(0, 3, size=(N, 1)).astype("float32")}[weight_kind]
    dtype = "float32" if weight_kind == "floats" else None
    m = _eager(md.metric_iou(C, ids, ignore_class=ignore_class, dtype=dtype))
    m.update_state(y_true, y_pred, sample_weight=weight)
    cm = iou_confusion_matrix(y_true, y_pred, C, weight, ignore_class)
    np.testing.assert_allclose(m.total_cm, cm, rtol=1e-6)
    np.testing.assert_allclose(m.result(), iou_keras(cm, ids), rtol=1e-5, atol=1e-7)


# XLA on CPU flushes subnormal floats to zero (Keras on JAX does the same), numpy does not.
@given(threshold=st.floats(-1.0, 2.0, allow_subnormal=False), seed=st.integers(0, 2**16),
       ids=st.sampled_from([[0], [1], (0, 1)]))
def test_hypothesis_binary_iou_thresholds(threshold, seed, ids):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=N).astype("int32")
    y_pred = rng.choice(np.float32([0.0, 0.25, 0.5, 0.75, 1.0, threshold]), size=N)
    m = _eager(md.metric_binary_iou(ids, threshold=threshold))
    m.update_state(y_true, y_pred)
    cm = iou_confusion_matrix(y_true, y_pred >= np.float32(threshold), 2)
    np.testing.assert_array_equal(m.total_cm, cm)
    np.testing.assert_allclose(m.result(), iou_keras(cm, ids), rtol=1e-6)


# -- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make, fragment", [
    (lambda: md.metric_iou(1, [0]),
     r"IoU 'io_u\w*': Invalid `num_classes`.*Received: num_classes=1"),
    (lambda: md.metric_mean_iou(2.0), r"MeanIoU 'mean_io_u\w*': Invalid `num_classes`"),
    (lambda: md.metric_iou(3, [0, 3]),
     r"IoU 'io_u\w*': Target class id 3 is out of range, which is \[0, 3\)\."),
    (lambda: md.metric_iou(3, [-4]), r"Target class id -4 is out of range"),
    (lambda: md.metric_one_hot_iou(3, [1, 5]), r"OneHotIoU .*Target class id 5 is out of range"),
    (lambda: md.metric_binary_iou([2]),
     r"BinaryIoU .*Target class id 2 is out of range, which is \[0, 2\)"),
    (lambda: md.metric_iou(3, []), r"Invalid `target_class_ids`.*non-empty"),
    (lambda: md.metric_iou(3, [0], ignore_class="void"), r"Invalid `ignore_class`"),
    (lambda: md.metric_iou(3, [0], sparse_y_true=1), r"Invalid `sparse_y_true`"),
    (lambda: md.metric_binary_iou(threshold="0.5"), r"Invalid `threshold`"),
])
def test_constructor_validation(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make()


def test_update_validation_keeps_state():
    m = _eager(md.metric_mean_iou(3))
    m.update_state([0, 1], [0, 1])
    with pytest.raises(ValueError, match=r"MeanIoU .*y_true has 2 labels .* y_pred has 3"):
        m.update_state([0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        m.update_state([0, 1], [0, 1], sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match=r"after the argmax"):
        _eager(md.metric_one_hot_mean_iou(3)).update_state(np.eye(3), [0, 1, 2])
    np.testing.assert_array_equal(m.total_cm, np.diag([1, 1, 0]))


# -- names, attributes, config, stateless API ----------------------------------------------------
def test_default_names_are_keras_auto_names():
    for make, base in [(lambda: md.metric_iou(2, [0]), "io_u"),
                       (lambda: md.metric_mean_iou(2), "mean_io_u"),
                       (lambda: md.metric_binary_iou(), "binary_io_u"),
                       (lambda: md.metric_one_hot_iou(2, [0]), "one_hot_io_u"),
                       (lambda: md.metric_one_hot_mean_iou(2), "one_hot_mean_io_u")]:
        first, second = make().name, make().name
        assert re.fullmatch(rf"{base}(_\d+)?", first) and re.fullmatch(rf"{base}_\d+", second)
        assert first != second
    assert md.metric_mean_iou(2, name="miou").name == "miou"


def test_attributes_and_positional_order():
    m = md.metric_iou(4, (3, 1), "x", None, 255, False, True, 1)
    assert (m.num_classes, m.target_class_ids, m.name, m.dtype, m.ignore_class) == (
        4, [3, 1], "x", "int32", 255)
    assert (m.sparse_y_true, m.sparse_y_pred, m.axis) == (False, True, 1)
    assert m.total_cm.shape == (4, 4) and m.total_cm.dtype == "int32"
    assert m.variables == [m.total_cm] and m.total_cm.name == "total_confusion_matrix"
    assert md.metric_mean_iou(3).target_class_ids == [0, 1, 2]
    b = md.metric_binary_iou([1], 0.3)
    assert (b.num_classes, b.target_class_ids, b.threshold) == (2, [1], 0.3)
    one_hot = md.metric_one_hot_mean_iou(3, None, "float32")
    assert not one_hot.sparse_y_true and not one_hot.sparse_y_pred
    assert [v.name for v in one_hot.variables] == ["total_confusion_matrix"]  # as Keras
    assert isinstance(one_hot, md.metric_mean_iou) and isinstance(one_hot, md.metric_iou)


@pytest.mark.parametrize("make, keys", [
    (lambda: md.metric_iou(3, (0, 2), name="a"),
     {"name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_true",
      "sparse_y_pred", "axis"}),
    (lambda: md.metric_mean_iou(3, ignore_class=255),
     {"name", "dtype", "num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis"}),
    (lambda: md.metric_binary_iou((0, 1), 0.4), {"name", "dtype", "target_class_ids",
                                                 "threshold"}),
    (lambda: md.metric_one_hot_iou(3, [1], dtype="float32"),
     {"name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_pred",
      "axis"}),
    (lambda: md.metric_one_hot_mean_iou(3),
     {"name", "dtype", "num_classes", "ignore_class", "sparse_y_pred", "axis"}),
])
def test_config_round_trip(make, keys):
    m = make()
    config = m.get_config()
    assert set(config) == keys and config["dtype"] in ("int32", "float32")
    if "target_class_ids" in config:
        assert isinstance(config["target_class_ids"], list)
    clone = type(m).from_config(config)
    assert clone.get_config() == config and type(clone) is type(m)


def test_stateless_under_jit_streaming_merge_reset():
    y_true, y_pred = _labels(6)
    weight = np.random.default_rng(7).integers(0, 3, size=N).astype("int32")
    halves = [slice(0, N // 2), slice(N // 2, N)]
    m = md.metric_mean_iou(C, ignore_class=0)
    for part in halves:
        m.update_state(y_true[part], y_pred[part], sample_weight=weight[part])
    cm = iou_confusion_matrix(y_true, y_pred, C, weight, ignore_class=0)
    np.testing.assert_array_equal(m.total_cm, cm)
    np.testing.assert_allclose(m.result(), iou_keras(cm, range(C)), rtol=1e-6)
    update = jax.jit(m.stateless_update_state)
    state = m.stateless_reset_state()
    for part in halves:
        state = update(state, y_true[part], y_pred[part], weight[part])
    assert state[0].dtype == "int32"
    np.testing.assert_array_equal(state[0], cm)
    np.testing.assert_allclose(jax.jit(m.stateless_result)(state), m.result())
    shard = md.metric_mean_iou(C, ignore_class=0)
    shard.update_state(y_true[halves[0]], y_pred[halves[0]], sample_weight=weight[halves[0]])
    other = pickle.loads(pickle.dumps(shard))
    other.reset_state()
    other.update_state(y_true[halves[1]], y_pred[halves[1]], sample_weight=weight[halves[1]])
    shard.merge_state([other])
    np.testing.assert_array_equal(shard.total_cm, cm)
    m.reset_state()
    np.testing.assert_array_equal(m.total_cm, np.zeros((C, C)))
    assert float(m.result()) == 0.0


def test_counts_past_float32_range():
    ones = np.ones(4, "int32")
    exact = _eager(md.metric_binary_iou([1]))
    compensated = _eager(md.metric_binary_iou([1], dtype="float32"))
    for m in (exact, compensated):
        m.update_state(ones, np.ones(4, "float32"), sample_weight=np.int32(2**22))
        for _ in range(3):
            m.update_state(ones, np.ones(4, "float32"))
    assert int(np.asarray(exact.total_cm)[1, 1]) == 2**24 + 12
    assert float(np.asarray(compensated.total_cm)[1, 1]) == 2**24 + 12


def test_user_subclass():
    def _update_state(y_true, y_pred, sample_weight=None):
        super.update_state(y_true, y_pred - 1, sample_weight)    # 1-based predictions

    OneBased = Metric("OneBasedMeanIoU", update_state=_update_state, inherit=md.metric_mean_iou)
    m = _eager(OneBased(3))
    m.update_state([0, 1, 2], [1, 2, 3])
    np.testing.assert_allclose(m.result(), 1.0, atol=1e-6)
    assert m.name.startswith("one_based_mean_io_u")


def test_float_weights_with_an_int_state_warn_as_keras_does():
    m = md.metric_mean_iou(num_classes=2)
    with pytest.warns(UserWarning, match=r"MeanIoU 'mean_io_u\w*': You are passing weight as "
                                         r"`float`, but dtype is `int`"):
        m.update_state([0, 1], [0, 1], sample_weight=np.float32([0.5, 1.0]))
    m = md.metric_mean_iou(num_classes=2, dtype="float32")
    m.update_state([0, 1], [0, 1], sample_weight=np.float32([0.5, 1.0]))  # no warning
