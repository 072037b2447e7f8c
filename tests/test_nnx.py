"""md.nnx.Metrics: a collection as a flax NNX metric, updated in place inside nnx.jit."""

import numpy as np
import pytest

nnx = pytest.importorskip("flax.nnx")

import metricdsl as md
from metricdsl.errors import CompileMetricsError

RNG = np.random.default_rng(3)
Y_TRUE = RNG.integers(0, 2, (12, 1)).astype("float32")
Y_PRED = RNG.uniform(0.05, 0.95, (12, 1)).astype("float32")
LOSSES = [0.5, 0.25, 0.125]


@nnx.jit
def step(metrics, y_true, y_pred, loss):
    metrics.update(y_true, y_pred, loss=loss)


def expected(n_batches):
    """accuracy, mae and the mean loss over the first batches, in numpy."""
    y_true, y_pred = Y_TRUE[:4 * n_batches], Y_PRED[:4 * n_batches]
    return {"accuracy": np.mean((y_pred > 0.5) == (y_true == 1)),
            "mae": np.mean(np.abs(y_true - y_pred)), "loss": np.mean(LOSSES[:n_batches])}


def test_metrics_update_in_place_under_nnx_jit():
    metrics = md.nnx.Metrics(["accuracy", "mae"], track=["loss"], y_true=Y_TRUE, y_pred=Y_PRED)
    assert isinstance(metrics, nnx.Metric)
    for i, loss in enumerate(LOSSES):
        step(metrics, Y_TRUE[4 * i:4 * i + 4], Y_PRED[4 * i:4 * i + 4], loss)
        got = {k: float(v) for k, v in metrics.compute().items()}
        assert got == pytest.approx(expected(i + 1), rel=1e-6)
    state = nnx.state(metrics, md.nnx.MetricState)
    assert len(nnx.to_flat_state(state)) == 1  # the whole collection state: one variable
    metrics.reset()
    assert all(float(v) == 0.0 for v in metrics.compute().values())
    step(metrics, Y_TRUE[:4], Y_PRED[:4], LOSSES[0])
    assert float(metrics.compute()["mae"]) == pytest.approx(expected(1)["mae"], rel=1e-6)


def test_metrics_from_a_collection_or_a_metric():
    from sklearn.metrics import precision_score

    metrics = md.nnx.Metrics(md.compile_metrics([md.metric_precision(name="precision")]))
    metrics.update(Y_TRUE, Y_PRED)
    reference = precision_score(Y_TRUE[:, 0], Y_PRED[:, 0] > 0.5)
    assert float(metrics.compute()["precision"]) == pytest.approx(reference, rel=1e-6)
    single = md.nnx.Metrics(md.metric_mean_absolute_error(name="m"))
    single.update(Y_TRUE, Y_PRED)
    assert float(single.compute()["m"]) == pytest.approx(expected(3)["mae"], rel=1e-6)


def test_metrics_errors():
    with pytest.raises(CompileMetricsError, match="accuracy"):  # resolved from shapes
        md.nnx.Metrics(["accuracy"])
    metrics = md.nnx.Metrics(["mae"], track=["loss"], y_true=Y_TRUE, y_pred=Y_PRED)
    with pytest.raises(CompileMetricsError, match="bogus"):
        metrics.update(Y_TRUE, Y_PRED, loss=1.0, bogus=2.0)
