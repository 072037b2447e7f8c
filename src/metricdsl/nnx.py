"""metricdsl metrics as a flax NNX metric: the state lives in an ``nnx.Variable``.

`Metrics` wraps a `MetricCollection` in an ``nnx.Metric`` (``update``,
``compute``, ``reset``), so it goes through ``nnx.jit`` beside the model and
the optimizer and is updated in place inside the jitted step: no state to
thread by hand. The collection's state is one `MetricState` variable
(``nnx.state(metrics, md.nnx.MetricState)`` selects it). flax is imported
with this module (``pip install "metricdsl[nnx]"``), never with metricdsl.

Example:
    >>> import jax, numpy as np
    >>> from flax import nnx
    >>> import metricdsl as md
    >>> metrics = md.nnx.Metrics(["accuracy", "mae"], track=["loss"],
    ...                          y_true=np.zeros((4, 1)), y_pred=np.zeros((4, 1)))
    >>> @nnx.jit
    ... def step(metrics, y_true, y_pred):
    ...     metrics.update(y_true, y_pred, loss=((y_true - y_pred) ** 2).mean())
    >>> step(metrics, np.array([[0.], [1.], [1.], [0.]]), np.array([[.2], [.9], [.4], [.1]]))
    >>> {k: round(float(v), 4) for k, v in metrics.compute().items()}
    {'accuracy': 0.75, 'mae': 0.25, 'loss': 0.105}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    from flax import nnx
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError(
        "metricdsl.nnx needs flax, which is not installed. Install the `nnx` extra: "
        "pip install \"metricdsl[nnx]\" (or pip install flax).") from error

from .base import MetricBase
from .compile import MetricCollection, compile_metrics

__all__ = ["MetricState", "Metrics"]


class MetricState(nnx.Variable):
    """The ``nnx.Variable`` type that holds a `Metrics` module's collection state."""


class Metrics(nnx.Metric):
    """A `MetricCollection` as a flax NNX metric, its state in a `MetricState` variable.

    Args:
        metrics: A `MetricCollection`, a metric instance, or anything
            `compile_metrics` accepts (``["accuracy", md.metric_auc()]``).
        track: Names of values computed elsewhere (a loss) to average: pass
            them to `update` as keywords (``metrics.update(y, p, loss=loss)``).
        y_true: An example batch of targets (an array or ``jax.ShapeDtypeStruct``),
            needed when an entry is resolved from shapes (``"accuracy"``) or built
            from the first batch; the batch size does not matter.
        y_pred: An example batch of predictions, as ``y_true``.

    Raises:
        CompileMetricsError: if an entry waits for the first batch and no
            example batch is given (the message lists those entries).
    """

    def __init__(self, metrics: Any, *, track: Sequence[str] = (), y_true: Any = None,
                 y_pred: Any = None) -> None:
        if isinstance(metrics, MetricBase):
            metrics = [metrics]
        collection = metrics if isinstance(metrics, MetricCollection) else \
            compile_metrics(metrics)
        for name in track:
            collection.add_metric(None, name)
        if y_true is not None or y_pred is not None:
            collection.build(y_true, y_pred)
        self.collection = collection
        self.state = MetricState(collection.stateless_reset_state())

    def update(self, y_true: Any, y_pred: Any, sample_weight: Any = None, **tracked: Any) -> None:
        """Add one batch (works inside ``nnx.jit``); ``tracked`` gives the `track` values.

        Raises:
            CompileMetricsError: if the batch does not have the example's
                structure, or a keyword is not a tracked name.
        """
        self.state.set_value(self.collection.stateless_update_state(
            self.state.get_value(), y_true, y_pred, sample_weight, extra=tracked or None))

    def compute(self) -> dict[str, Any]:
        """The results so far, ``{name: jax.Array}`` (the collection's `result`)."""
        return self.collection.stateless_result(self.state.get_value())

    def reset(self) -> None:
        """Start over: every metric's initial state."""
        self.state.set_value(self.collection.stateless_reset_state())
