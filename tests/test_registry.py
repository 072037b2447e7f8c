"""md.get / md.serialize / md.deserialize / md.register (Keras 3 keras.metrics.get semantics)."""

import json
import sys

import numpy as np
import pytest

import metricdsl as md
from metricdsl import Metric, ops, registry
from metricdsl.base import to_snake_case

# Constructor arguments for builtins that cannot be built with no arguments.
REQUIRED = {
    "MeanMetricWrapper": lambda: {"fn": _abs_error},
    "IoU": lambda: {"num_classes": 3, "target_class_ids": [0, 2]},
    "MeanIoU": lambda: {"num_classes": 3},
    "OneHotIoU": lambda: {"num_classes": 3, "target_class_ids": [1]},
    "OneHotMeanIoU": lambda: {"num_classes": 3},
    "PrecisionAtRecall": lambda: {"recall": 0.7},
    "RecallAtPrecision": lambda: {"precision": 0.7},
    "SensitivityAtSpecificity": lambda: {"specificity": 0.4},
    "SpecificityAtSensitivity": lambda: {"sensitivity": 0.6},
    "MulticlassPrecision": lambda: {"num_classes": 3},
    "MulticlassRecall": lambda: {"num_classes": 3},
    "MulticlassF1Score": lambda: {"num_classes": 3},
    "ConfusionMatrix": lambda: {"num_classes": 3},
    "CohenKappa": lambda: {"num_classes": 3},
    "BalancedAccuracy": lambda: {"num_classes": 3},
    "HitRate": lambda: {"k": 2},
    "MeanAveragePrecisionAtK": lambda: {"k": 2},
}


def _abs_error(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def builtin_classes():
    return sorted(registry.builtin_classes().values(), key=lambda c: c.__name__)


def make(cls):
    kwargs = REQUIRED.get(cls.__name__, dict)()
    return cls(**kwargs)


@pytest.mark.parametrize("cls", builtin_classes(), ids=lambda c: c.__name__)
def test_every_builtin_round_trips(cls):
    if cls.__name__ == "MeanMetricWrapper":
        md.register(_abs_error, name="abs_error_for_tests")
    metric = make(cls)
    config = md.serialize(metric)
    assert set(config) == {"class_name", "config", "module"}
    assert config["class_name"] == cls.__name__
    text = json.dumps(config)  # JSON-able
    again = md.deserialize(json.loads(text))
    assert type(again) is cls
    assert md.serialize(again) == config
    assert [v.shape for v in again.variables] == [v.shape for v in metric.variables]


def test_get_follows_keras():
    assert md.get(None) is None
    mse = md.get("mse")
    assert type(mse) is md.metric_mean_squared_error and mse.name == "mean_squared_error"
    for alias, cls in [("MSE", md.metric_mean_squared_error),
                       ("mae", md.metric_mean_absolute_error),
                       ("MAPE", md.metric_mean_absolute_percentage_error),
                       ("msle", md.metric_mean_squared_logarithmic_error),
                       ("BCE", md.metric_binary_crossentropy),
                       ("MeanSquaredError", md.metric_mean_squared_error),
                       ("mean_squared_error", md.metric_mean_squared_error)]:
        assert type(md.get(alias)) is cls
    assert type(md.get("accuracy")) is md.metric_accuracy
    assert md.get("log_cosh_error").name == "logcosh"
    instance = md.metric_mean()
    assert md.get(instance) is instance
    assert type(md.get(md.metric_mean)) is md.metric_mean
    assert md.get(_abs_error) is _abs_error
    assert md.get({"class_name": "Mean", "config": {"name": "m2"}}).name == "m2"
    for rejected in ["acc", "kld", "logcosh", "huber", "ce", "crossentropy", "iou"]:
        with pytest.raises(ValueError, match=f"Could not interpret metric identifier: {rejected}"):
            md.get(rejected)
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        md.get(3)


def test_get_lists_close_matches():
    with pytest.raises(ValueError, match=r"Could not interpret metric identifier: mean_sqared_error"
                                         r".*Did you mean: 'mean_squared_error'"):
        md.get("mean_sqared_error")


def test_get_class_needing_arguments_raises_type_error():
    with pytest.raises(TypeError, match=r"MeanIoU\(\): missing a required argument: 'num_classes'"):
        md.get("mean_io_u")


def test_builtin_classes_are_every_class_backed_builtin():
    exported = {getattr(md, n) for n in md.__all__ if n.startswith("metric_")}
    classes = {obj for obj in exported if isinstance(obj, type)}
    # 49 minus 4 function-only, plus 16 beyond R keras3
    assert len(classes) == 61 and set(builtin_classes()) == classes
    assert set(REQUIRED) <= {c.__name__ for c in classes}


def test_class_table_has_class_snake_and_alias_names():
    table = registry.class_table()
    for cls in builtin_classes():
        assert table[cls.__name__] is cls and table[to_snake_case(cls.__name__)] is cls
    for alias in ["bce", "BCE", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE"]:
        assert alias in table


def test_mean_wrapper_fn_serialized_by_registered_name():
    wrapper = md.metric_mean_wrapper(md.metric_huber, name="hub")
    config = md.serialize(wrapper)
    assert config["config"]["fn"] == {"class_name": "function", "config": "huber",
                                      "module": "metricdsl"}
    assert md.deserialize(config)._fn is md.metric_huber
    named = md.custom_metric("mean_pred_for_tests", lambda y_true, y_pred: ops.mean(y_pred, -1))
    wrapper = md.metric_mean_wrapper(named)
    with pytest.raises(TypeError, match=r"md\.register"):
        md.serialize(wrapper)
    md.register(named)
    config = json.loads(json.dumps(md.serialize(wrapper)))
    again = md.deserialize(config)
    assert again.name == "mean_pred_for_tests" and again._fn is named
    again.update_state([[1.0]], [[2.0, 4.0]])
    assert float(again.result()) == 3.0


def _count_init(name="batch_count", dtype=None, step=1):
    super.initialize(name=name, dtype=dtype)
    self.step = step
    self.n = self.add_variable((), "zeros", name="n")


BatchCount = Metric("BatchCount", _count_init,
                    lambda y_true, y_pred, sample_weight=None: self.n.assign_add(self.step),
                    lambda: self.n)


def test_register_user_class_call_and_decorator_forms():
    assert md.register(BatchCount) is BatchCount
    metric = BatchCount(name="steps", step=2)
    config = md.serialize(metric)
    assert config == {"class_name": "BatchCount", "module": __name__,
                      "config": {"name": "steps", "dtype": "float32", "step": 2}}
    again = md.deserialize(config)
    again.update_state([0.0], [0.0])
    assert again.name == "steps" and float(again.result()) == 2.0
    assert type(md.get("BatchCount")) is BatchCount
    assert type(md.get("batch_count")) is BatchCount

    @md.register(name="RenamedCount")
    class Renamed(BatchCount):
        pass

    assert md.serialize(Renamed())["class_name"] == "RenamedCount"
    assert type(md.deserialize({"class_name": "RenamedCount", "config": {}})) is Renamed


def test_register_errors():
    with pytest.raises(ValueError, match="belongs to the builtin"):
        md.register(Metric("MeanSquaredError", _count_init))
    with pytest.raises(TypeError, match="not a metric class"):
        md.register(int)
    with pytest.raises(TypeError, match="expected a metric class"):
        md.register(3)
    with pytest.raises(ValueError, match="no usable name"):
        md.register(lambda y_true, y_pred: y_pred)
    other = Metric("OtherCount", _count_init)
    md.register(other, name="TakenName")
    with pytest.raises(ValueError, match="already registered"):
        md.register(Metric("Another", _count_init), name="TakenName")


def test_unregistered_class_cannot_be_serialized():
    Local = Metric("LocalOnly", _count_init)
    with pytest.raises(TypeError, match=r"md.register\(LocalOnly\)"):
        md.serialize(Local())
    with pytest.raises(TypeError, match="the class"):
        md.serialize(BatchCount)


def test_deserialize_only_uses_the_registry():
    before = set(sys.modules)
    for config in [{"class_name": "Node", "config": {}, "module": "xml.dom.minidom"},
                   {"class_name": "system", "config": {}, "module": "os"},
                   {"class_name": "function", "config": "eval", "module": "builtins"}]:
        with pytest.raises(ValueError, match="unknown metric"):
            md.deserialize(config)
    assert set(sys.modules) == before
    with pytest.raises(ValueError, match="Did you mean: 'MeanSquaredError'"):
        md.deserialize({"class_name": "MeanSquaredErrors", "config": {}})
    with pytest.raises(TypeError, match="expected a dict"):
        md.deserialize(["Mean"])


def test_nested_arrays_and_metrics_in_configs():
    def init(inner=None, weights=None, name="holder", dtype=None):
        super.initialize(name=name, dtype=dtype)
        self.inner = inner
        self.weights = weights

    Holder = md.register(Metric("Holder", init, get_config=lambda: {
        "name": self.name, "dtype": self.dtype, "inner": self.inner,
        "weights": self.weights}))
    metric = Holder(inner=md.metric_sum(name="s"), weights=np.array([0.5, 2.0], "float32"))
    config = json.loads(json.dumps(md.serialize(metric)))
    again = md.deserialize(config)
    assert type(again.inner) is md.metric_sum and again.inner.name == "s"
    np.testing.assert_array_equal(again.weights, [0.5, 2.0])
    assert again.weights.dtype == np.float32
