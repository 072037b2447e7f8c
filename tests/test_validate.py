"""``metric.validate = True``: data checks naming the metric and argument, before state changes."""

import jax
import numpy as np
import pytest
from jax.experimental import checkify

import metricdsl as md

NAN_CASES = [  # (update arguments, the argument named in the error)
    (([[1.0], [np.nan]], [[1.0], [3.0]]), "y_true"),
    (([[1.0], [2.0]], [[np.inf], [3.0]]), "y_pred"),
    (([[1.0], [2.0]], [[1.0], [3.0]], [1.0, np.nan]), "sample_weight"),
]


@pytest.mark.parametrize("eager", [False, True], ids=["compiled", "eager"])
@pytest.mark.parametrize("args, argument", NAN_CASES)
def test_non_finite_inputs_raise_before_state_changes(args, argument, eager):
    metric = md.metric_mean_squared_error(name="mse")
    metric.validate, metric.run_eagerly = True, eager
    metric.update_state([[1.0], [2.0]], [[1.0], [4.0]])
    before = [v.numpy().copy() for v in metric.variables]
    with pytest.raises(ValueError, match=rf"^MeanSquaredError 'mse': {argument} contains NaN or "
                                         r"infinite values$"):
        metric.update_state(*args)
    for variable, value in zip(metric.variables, before, strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    assert float(metric.result()) == 2.0


def test_validation_is_opt_in_and_does_not_change_results():
    plain, checked = md.metric_mean_absolute_error(), md.metric_mean_absolute_error()
    checked.validate = True
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(2, 16, 3)).astype("float32")
    plain.update_state(y_true, y_pred)
    checked.update_state(y_true, y_pred)
    assert float(plain.result()) == float(checked.result())
    plain.update_state([[np.nan, 0.0, 0.0]], [[0.0, 0.0, 0.0]])  # no check: NaN propagates
    assert np.isnan(float(plain.result()))


LABEL_CASES = [
    (md.metric_sparse_categorical_accuracy, {}, ([0, 2], [[0.2, 0.8], [0.5, 0.5]]),
     r"SparseCategoricalAccuracy\): y_true holds class ids outside \[0, 2\)"),
    (md.metric_sparse_categorical_accuracy, {}, ([0.5, 1.0], [[0.2, 0.8], [0.5, 0.5]]),
     r"SparseCategoricalAccuracy\): y_true holds class ids .* or not whole numbers"),
    (md.metric_sparse_top_k_categorical_accuracy, {"k": 1}, ([-1, 1], [[0.2, 0.8], [0.5, 0.5]]),
     r"SparseTopKCategoricalAccuracy\): y_true holds class ids outside \[0, 2\)"),
    (md.metric_sparse_categorical_crossentropy, {}, ([0, 5], [[0.2, 0.8], [0.5, 0.5]]),
     r"SparseCategoricalCrossentropy\): y_true holds class ids outside \[0, 2\)"),
    (md.metric_mean_iou, {"num_classes": 3, "name": "miou"}, ([0, 3], [0, 1]),
     r"MeanIoU 'miou': y_true holds class ids outside \[0, 3\)"),
    (md.metric_mean_iou, {"num_classes": 3, "name": "miou"}, ([0, 1], [0, -2]),
     r"MeanIoU 'miou': y_pred holds class ids outside \[0, 3\)"),
]


@pytest.mark.parametrize("ctor, kwargs, args, message", LABEL_CASES)
def test_class_ids_out_of_range_raise_before_state_changes(ctor, kwargs, args, message):
    metric = ctor(**kwargs)
    metric.validate = True
    with pytest.raises(ValueError, match=message):
        metric.update_state(*args)
    assert all(not np.any(v.numpy()) for v in metric.variables)


def test_ignored_class_ids_are_valid():
    scce = md.metric_sparse_categorical_crossentropy(ignore_class=-1)
    iou = md.metric_mean_iou(num_classes=2, ignore_class=255)
    for metric in (scce, iou):
        metric.validate = True
    scce.update_state([0, -1], [[0.9, 0.1], [0.5, 0.5]])
    iou.update_state([0, 255, 1], [0, 1, 1])
    assert float(iou.result()) == pytest.approx(1.0, rel=1e-6)  # Keras adds epsilon


def test_stateless_checks_under_checkify_and_validating():
    metric = md.metric_sparse_categorical_accuracy()
    step = checkify.checkify(jax.jit(metric.stateless_update_state))
    with md.ops.validating():
        error, _ = step(metric.stateless_reset_state(), [0, 7], [[0.2, 0.8], [0.5, 0.5]])
        fine, state = step(metric.stateless_reset_state(), [1, 0], [[0.2, 0.8], [0.5, 0.5]])
    assert "y_true holds class ids outside [0, 2)" in error.get()
    assert fine.get() is None and float(metric.stateless_result(state)) == 1.0


@pytest.mark.parametrize("where", ["collection", "member"])
def test_collections_validate_and_keep_every_state_on_failure(where):
    accuracy = md.metric_sparse_categorical_accuracy()
    collection = md.compile_metrics([accuracy, "mse"])
    if where == "collection":
        collection.validate = True
    else:
        accuracy.validate = True
    y_pred = np.array([[0.9, 0.1], [0.2, 0.8]], np.float32)
    collection.update_state(np.array([[0.0], [1.0]], np.float32), y_pred)
    before = collection.result()
    with pytest.raises(ValueError, match="y_true holds class ids outside"):
        collection.update_state(np.array([[0.0], [4.0]], np.float32), y_pred)
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        collection.update_state(np.array([[0.0], [1.0]], np.float32),
                                np.array([[np.nan, 0.1], [0.2, 0.8]], np.float32))
    after = collection.result()
    assert {k: float(v) for k, v in after.items()} == {k: float(v) for k, v in before.items()}


def test_collection_failure_in_an_eager_member_rolls_back_the_fused_ones():
    eager = md.metric_sparse_categorical_accuracy()
    eager.run_eagerly = True
    collection = md.compile_metrics(["mse", eager])
    collection.validate = True
    y_pred = np.array([[0.9, 0.1], [0.2, 0.8]], np.float32)
    collection.update_state(np.array([[0.0], [1.0]], np.float32), y_pred)
    before = {k: float(v) for k, v in collection.result().items()}
    with pytest.raises(ValueError, match="y_true holds class ids outside"):
        collection.update_state(np.array([[0.0], [4.0]], np.float32), y_pred)  # fine for mse
    assert {k: float(v) for k, v in collection.result().items()} == before
