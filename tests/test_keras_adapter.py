"""metricdsl.keras: metricdsl metrics inside a real Keras 3 model (JAX backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import metricdsl as md
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


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    return model


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
    np.testing.assert_allclose(results["md_mae"], results["k_mae"], rtol=1e-5)
    np.testing.assert_allclose(results["md_r2"], results["k_r2"], rtol=1e-5)
    np.testing.assert_allclose(results["sum_abs_pred"],
                               np.abs(model.predict(x, verbose=0)).sum(), rtol=1e-4)


def test_adapter_standalone_config_and_errors():
    metric = to_keras(md.metric_mean_squared_error(name="m"))
    assert isinstance(metric, keras.metrics.Metric) and metric.name == "m"
    metric.update_state(np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]]))
    np.testing.assert_allclose(metric.result(), 0.5)
    metric.reset_state()
    np.testing.assert_allclose(metric.result(), 0.0)
    again = type(metric).from_config(metric.get_config())
    assert again.name == "m" and type(again.metric) is md.metric_mean_squared_error
    with pytest.raises(TypeError, match="metric_mean_wrapper"):
        to_keras(lambda y_true, y_pred: y_pred)
