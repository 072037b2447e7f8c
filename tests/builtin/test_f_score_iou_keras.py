"""F-scores and the IoU family against real Keras 3 (JAX backend): values, configs, names."""

import os
import re

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import metricdsl as md

pytestmark = [
    pytest.mark.keras,
    # Keras's confusion_matrix casts indices to int64, which JAX (x64 off) truncates with a warning
    pytest.mark.filterwarnings("ignore:Explicitly requested dtype int64:UserWarning"),
]

N, C = 40, 4


def _run(metric, *batches):
    for batch in batches:
        metric.update_state(*batch)
    return np.asarray(metric.result())


def _fscore_batches(seed):
    rng = np.random.default_rng(seed)
    y_true = (rng.uniform(size=(N, C)) < 0.4).astype("float32")
    y_pred = rng.choice(np.float32([0.0, 0.2, 0.5, 0.8, 1.0]), size=(N, C))
    weight = rng.uniform(size=N).astype("float32")
    half = N // 2
    return [(y_true[:half], y_pred[:half], weight[:half]),
            (y_true[half:], y_pred[half:], weight[half:])]


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.5])
def test_fbeta_matches_keras(average, threshold):
    batches = _fscore_batches(0)
    ours = md.metric_fbeta_score(average=average, beta=2.0, threshold=threshold)
    ours.run_eagerly = True
    theirs = keras.metrics.FBetaScore(average=average, beta=2.0, threshold=threshold)
    np.testing.assert_allclose(_run(ours, *batches), _run(theirs, *batches), rtol=1e-5, atol=1e-6)
    f1 = keras.metrics.F1Score(average=average, threshold=threshold, name="f")
    assert md.metric_f1_score(average=average, threshold=threshold, name="f").get_config() \
        == f1.get_config()
    assert ours.get_config() == theirs.get_config()


def _iou_batches(seed, low=-1, high=C + 1, float_weights=False):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(low, high, size=(2, 2, N)).astype("int32")
    y_true[0, :3] = 255
    weight = rng.uniform(0, 2, size=(2, N)).astype("float32") if float_weights else \
        rng.integers(0, 3, size=(2, N)).astype("int32")
    return [(y_true[i], y_pred[i], weight[i]) for i in range(2)]


@pytest.mark.parametrize("name, args, kwargs, float_weights", [
    ("IoU", (C, [0, 2]), {}, False),
    ("IoU", (C, [1]), {"ignore_class": 255, "dtype": "float32"}, True),
    ("MeanIoU", (C,), {"ignore_class": 0}, False),
    ("MeanIoU", (C,), {"dtype": "float32"}, True),
])
def test_sparse_iou_matches_keras(name, args, kwargs, float_weights):
    snake = {"IoU": "iou", "MeanIoU": "mean_iou"}[name]
    batches = _iou_batches(1, float_weights=float_weights)
    ours = getattr(md, f"metric_{snake}")(*args, name="m", **kwargs)
    ours.run_eagerly = True
    theirs = getattr(keras.metrics, name)(*args, name="m", **kwargs)
    np.testing.assert_allclose(_run(ours, *batches), _run(theirs, *batches), rtol=1e-6)
    np.testing.assert_allclose(ours.total_cm, theirs.total_cm.value, rtol=1e-6)
    assert ours.get_config() == theirs.get_config()


def test_one_hot_and_binary_iou_match_keras():
    rng = np.random.default_rng(2)
    y_true = np.eye(C, dtype="float32")[rng.integers(0, C, size=(N, 3))]
    y_pred = rng.uniform(size=(N, 3, C)).astype("float32")
    weight = rng.integers(0, 3, size=(N, 3)).astype("int32")
    pairs = [(md.metric_one_hot_iou(C, [1, 3], name="a"),
              keras.metrics.OneHotIoU(C, [1, 3], name="a")),
             (md.metric_one_hot_mean_iou(C, name="b"), keras.metrics.OneHotMeanIoU(C, name="b"))]
    for ours, theirs in pairs:
        ours.run_eagerly = True
        np.testing.assert_allclose(_run(ours, (y_true, y_pred, weight)),
                                   _run(theirs, (y_true, y_pred, weight)), rtol=1e-6)
        assert ours.get_config() == theirs.get_config()
    labels = rng.integers(0, 2, size=N).astype("int32")
    scores = rng.choice(np.float32([0.1, 0.3, 0.5, 0.7]), size=N)
    ours = md.metric_binary_iou([0], threshold=0.3, name="c")
    ours.run_eagerly = True
    theirs = keras.metrics.BinaryIoU([0], threshold=0.3, name="c")
    np.testing.assert_allclose(_run(ours, (labels, scores)), _run(theirs, (labels, scores)))
    assert ours.get_config() == theirs.get_config()


def test_default_names_and_empty_results_match_keras():
    pairs = [(md.metric_iou(C, [0]), keras.metrics.IoU(C, [0])),
             (md.metric_mean_iou(C), keras.metrics.MeanIoU(C)),
             (md.metric_binary_iou(), keras.metrics.BinaryIoU()),
             (md.metric_one_hot_iou(C, [0]), keras.metrics.OneHotIoU(C, [0])),
             (md.metric_one_hot_mean_iou(C), keras.metrics.OneHotMeanIoU(C))]
    for ours, theirs in pairs:
        assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)
        assert float(ours.result()) == float(theirs.result()) == 0.0
        assert ours.dtype == theirs.dtype == "int32"
        assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
