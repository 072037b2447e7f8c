"""metricdsl.keras: metricdsl metrics inside a real Keras 3 model (JAX backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import metricdsl as md
import metricdsl.keras
from metricdsl import Metric, ops
from metricdsl.keras import to_keras

pytestmark = pytest.mark.keras


def _init(name="sum_abs_pred", dtype=None):
    super.initialize(name=name, dtype=dtype)
    self.total = self.add_variable((), "zeros", name="total")


SumAbsPred = Metric(
    "SumAbsPred", _init,
    lambda y_true, y_pred, sample_weight=None: self.total.assign_add(ops.sum(ops.abs(y_pred))),
    lambda: self.total)


def _model(units=3, activation=None):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])


def _md_results(metrics, y_true, y_pred):
    """The metricdsl numbers on the same predictions, through compile_metrics."""
    collection = md.compile_metrics(metrics)
    collection.update_state(y_true, y_pred)
    return {k: float(v) for k, v in collection.result().items()}


def test_adapter_reports_the_same_numbers_as_keras_in_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.normal(size=(64, 3)).astype("float32")
    w = rng.uniform(size=64).astype("float32")
    model = _model()
    model.compile(optimizer="sgd", loss="mse", metrics=[
        to_keras(md.metric_mean_absolute_error(), name="md_mae"),
        keras.metrics.MeanAbsoluteError(name="k_mae"),
        to_keras(md.metric_r2_score(), name="md_r2"),  # lazily built
        keras.metrics.R2Score(name="k_r2"),
        to_keras(SumAbsPred()),
    ], weighted_metrics=[to_keras("mse", name="md_wmse"),
                         keras.metrics.MeanSquaredError(name="k_wmse")])
    history = model.fit(x, y, sample_weight=w, batch_size=16, epochs=2, verbose=0,
                        validation_data=(x[:32], y[:32]))
    logs = history.history
    for ours, theirs in [("md_mae", "k_mae"), ("md_r2", "k_r2"), ("md_wmse", "k_wmse")]:
        for prefix in ("", "val_"):
            np.testing.assert_allclose(logs[prefix + ours], logs[prefix + theirs], rtol=1e-5,
                                       err_msg=prefix + ours)
    assert len(logs["sum_abs_pred"]) == 2 and logs["sum_abs_pred"][0] > 0
    results = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    y_pred = model.predict(x, verbose=0)
    expected = _md_results([md.metric_mean_absolute_error(), md.metric_r2_score()], y, y_pred)
    np.testing.assert_allclose(results["md_mae"], expected["mean_absolute_error"], rtol=1e-5)
    np.testing.assert_allclose(results["md_r2"], expected["r2_score"], rtol=1e-5)
    np.testing.assert_allclose(results["md_mae"], results["k_mae"], rtol=1e-5)
    np.testing.assert_allclose(results["sum_abs_pred"], np.abs(y_pred).sum(), rtol=1e-4)


def test_adapter_standalone_config_and_errors():
    metric = to_keras(md.metric_mean_squared_error(name="m"))
    assert isinstance(metric, keras.metrics.Metric) and metric.name == "m"
    metric.update_state(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
    np.testing.assert_allclose(metric.result(), 0.5)
    metric.reset_state()
    np.testing.assert_allclose(metric.result(), 0.0)
    again = type(metric).from_config(metric.get_config())
    assert again.name == "m" and type(again.metric) is md.metric_mean_squared_error
    with pytest.raises(TypeError, match="expected a metricdsl metric"):
        to_keras(42)
    with pytest.raises(ValueError, match="Did you mean: 'accuracy'"):
        to_keras(["acuracy"])
    with pytest.raises(TypeError, match="name= names one metric"):
        to_keras(["mae", "mse"], name="x")
    with pytest.raises(TypeError, match="name= names one metric"):
        to_keras(keras.metrics.AUC(), name="x")


def test_string_entry_resolves_at_the_first_batch_and_round_trips():
    metric = to_keras("acc")
    assert metric.name == "acc" and metric.metric is None
    np.testing.assert_allclose(metric.result(), 0.0)
    metric.update_state(np.array([[0], [2]]), np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]]))
    assert type(metric.metric) is md.metric_sparse_categorical_accuracy
    np.testing.assert_allclose(metric.result(), 0.5)
    again = type(metric).from_config(metric.get_config())
    assert again.name == "acc" and again.metric is None  # re-resolved by the next shapes
    again.update_state(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]]))
    assert type(again.metric) is md.metric_binary_accuracy
    np.testing.assert_allclose(again.result(), 0.5)


def test_to_keras_keeps_the_structure_of_a_compile_config():
    auc = keras.metrics.AUC()
    config = to_keras({"a": ["mae", md.metric_auc(), auc, keras.metrics.Precision],
                       "b": ("accuracy", None), "c": md.metric_mean_absolute_error,
                       "d": {"class_name": "MeanSquaredError", "config": {"name": "msq"}}})
    assert list(config) == ["a", "b", "c", "d"]
    adapter = md.keras.KerasMetric
    assert isinstance(config["a"], list) and isinstance(config["b"], tuple)
    assert [type(e) for e in config["a"][:2]] == [adapter, adapter]
    assert config["a"][2] is auc and config["a"][3] is keras.metrics.Precision
    assert config["b"][1] is None and config["b"][0].name == "accuracy"
    assert type(config["c"]) is adapter and config["c"].name == "mean_absolute_error"
    assert type(config["d"].metric) is md.metric_mean_squared_error and config["d"].name == "msq"
    nested = to_keras([["mae"], ["acc", keras.metrics.mean_squared_error]])
    assert [len(n) for n in nested] == [1, 2] and nested[1][1] is keras.metrics.mean_squared_error
    assert to_keras(None) is None


def per_sample_gap(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred) ** 3, axis=-1)


@pytest.mark.parametrize("task", ["binary", "categorical", "sparse"])
def test_converted_strings_give_keras_numbers(task):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(48, 4)).astype("float32")
    if task == "binary":
        y, units, activation = rng.integers(0, 2, (48, 1)).astype("float32"), 1, "sigmoid"
        loss, metrics = "binary_crossentropy", ["accuracy", "AUC"]
    elif task == "categorical":
        y, units, activation = np.eye(3, dtype="float32")[rng.integers(0, 3, 48)], 3, "softmax"
        loss, metrics = "categorical_crossentropy", ["accuracy", "AUC"]
    else:
        y, units, activation = rng.integers(0, 3, (48, 1)), 3, "softmax"
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy", "acc"]
    logs = {}
    for label, config in [("keras", metrics), ("md", to_keras(metrics))]:
        model = _model(units, activation)
        model.compile(optimizer="sgd", loss=loss, metrics=config)
        logs[label] = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                                validation_data=(x[:24], y[:24])).history
    assert sorted(logs["md"]) == sorted(logs["keras"])
    for key in logs["keras"]:
        np.testing.assert_allclose(logs["md"][key], logs["keras"][key], rtol=1e-5, err_msg=key)


def test_multi_output_dict_and_nested_lists_match_metricdsl_on_the_predictions():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 4)).astype("float32")
    y_a = rng.normal(size=(32, 1)).astype("float32")
    y_b = rng.integers(0, 3, (32, 1))
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    outputs = {"a": keras.layers.Dense(1, name="a")(inputs),
               "b": keras.layers.Dense(3, activation="softmax", name="b")(inputs)}
    losses = {"a": "mse", "b": "sparse_categorical_crossentropy"}
    by_dict = keras.Model(inputs, outputs)
    top2 = md.metric_sparse_top_k_categorical_accuracy(k=2)
    by_dict.compile(loss=losses, metrics=to_keras(
        {"a": ["rmse", per_sample_gap], "b": ["accuracy", top2]}))
    results = by_dict.evaluate(x, {"a": y_a, "b": y_b}, batch_size=8, verbose=0, return_dict=True)
    pred = by_dict.predict(x, verbose=0)
    expected_a = _md_results(["rmse", per_sample_gap], y_a, pred["a"])
    expected_b = _md_results(["accuracy", md.metric_sparse_top_k_categorical_accuracy(k=2)],
                             y_b, pred["b"])
    assert expected_a["per_sample_gap"] > 0 and 0 < expected_b["accuracy"] < 1
    expected = {**{f"a_{k}": v for k, v in expected_a.items()},
                **{f"b_{k}": v for k, v in expected_b.items()}}
    assert sorted(expected) == sorted(k for k in results if not k.endswith("loss"))
    for key, value in expected.items():
        np.testing.assert_allclose(results[key], value, rtol=1e-5, err_msg=key)
    by_list = keras.Model(inputs, [outputs["a"], outputs["b"]])
    by_list.compile(loss=[losses["a"], losses["b"]], metrics=to_keras([["mae"], ["acc"]]))
    listed = by_list.evaluate(x, [y_a, y_b], batch_size=8, verbose=0, return_dict=True)
    np.testing.assert_allclose(listed["a_mae"], _md_results(["mae"], y_a, pred["a"])["mae"],
                               rtol=1e-5)
    np.testing.assert_allclose(listed["b_acc"], expected_b["accuracy"], rtol=1e-5)


def _fit_with_unwrapped_metric():
    rng = np.random.default_rng(3)
    model = _model(1)
    model.compile(loss="mse", metrics=[md.metric_mean_absolute_error()])
    model.fit(rng.normal(size=(8, 4)), rng.normal(size=(8, 1)), epochs=1, verbose=0)


def test_unwrapped_metric_in_compile_fails_with_the_stateless_advice():
    # Keras wraps the (callable) metric in its MeanMetricWrapper and calls it inside the
    # jitted train step: the stateful update refuses the traced values.
    with pytest.raises(TypeError, match=r"traced value.*stateless_update_state"):
        _fit_with_unwrapped_metric()


def test_unwrapped_metric_in_compile_says_to_wrap_it_with_to_keras():
    with pytest.raises(TypeError, match=r"metricdsl\.keras\.to_keras"):
        _fit_with_unwrapped_metric()
