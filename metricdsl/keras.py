"""Use metricdsl metrics in a Keras 3 model (JAX backend): ``model.compile(metrics=[...])``.

``to_keras(metric)`` returns a ``keras.metrics.Metric`` that holds Keras
variables mirroring the metricdsl metric's variables; its ``update_state``,
``result`` and ``reset_state`` run the metric's stateless functions on those
variables' values, so the numbers are the metricdsl metric's, and Keras's
jitted train/eval steps carry the state as usual. Keras is imported only
when this module's functions are called (``pip install metricdsl[keras]``).

Example:
    >>> import os; os.environ.setdefault("KERAS_BACKEND", "jax")  # doctest: +SKIP
    >>> import keras, metricdsl as md  # doctest: +SKIP
    >>> from metricdsl.keras import to_keras  # doctest: +SKIP
    >>> model.compile(loss="mse", metrics=[to_keras(md.metric_mean_absolute_error())])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from .base import MetricBase

__all__ = ["to_keras"]  # KerasMetric: module attribute, created on first use

_CLASS: list = []
_KERAS_AGGREGATIONS = {"sum": "sum", "mean": "mean", "only_first_replica": "only_first_replica"}


def _keras():
    try:
        import keras
    except ImportError as err:
        raise ImportError(
            "metricdsl.keras needs Keras 3: pip install 'metricdsl[keras]' (keras>=3.8) and set "
            "KERAS_BACKEND=jax.") from err
    if keras.backend.backend() != "jax":
        raise RuntimeError(
            f"metricdsl.keras works with the JAX backend of Keras; this Keras runs on "
            f"{keras.backend.backend()!r}. Set KERAS_BACKEND=jax before importing keras.")
    return keras


def _adapter_class() -> type:
    if _CLASS:
        return _CLASS[0]
    keras = _keras()

    class KerasMetric(keras.metrics.Metric):
        """A Keras metric running a metricdsl metric's stateless functions on Keras variables.

        Args:
            metric: A metricdsl metric instance (builtin or made with ``Metric()``), or an
                identifier for `metricdsl.get` (``"mse"``, a config dict, a class).
            name: The Keras metric name; default the metric's name.
        """

        def __init__(self, metric: Any, name: str | None = None, dtype: Any = None) -> None:
            from .registry import get

            metric = metric if isinstance(metric, MetricBase) else get(metric)
            if not isinstance(metric, MetricBase):
                raise TypeError(
                    f"to_keras: expected a metricdsl metric or identifier; received {metric!r}. "
                    "Wrap a function with md.metric_mean_wrapper(fn) first.")
            super().__init__(name=name or metric.name, dtype=dtype or metric.dtype)
            self._md_metric = metric
            self._md_vars = []
            if metric.built:
                self._md_create()

        def _md_create(self) -> None:
            initial = self._md_metric.stateless_reset_state()
            for variable, value in zip(self._md_metric.variables, initial):
                self._md_vars.append(self.add_variable(
                    shape=variable.shape, dtype=variable.dtype, name=variable.name,
                    initializer=_constant(value),
                    aggregation=_KERAS_AGGREGATIONS.get(variable.aggregation, "none")))

        def update_state(self, y_true, y_pred, sample_weight=None):
            metric = self._md_metric
            if not metric.built:
                metric.build(*[_shape_struct(x) for x in (y_true, y_pred)])
                self._md_create()
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            new = metric.stateless_update_state([v.value for v in self._md_vars], y_true, y_pred,
                                                **kwargs)
            for variable, value in zip(self._md_vars, new):
                variable.assign(value)

        def result(self):
            return self._md_metric.stateless_result([v.value for v in self._md_vars])

        def reset_state(self):
            if not self._md_vars:
                return
            for variable, value in zip(self._md_vars, self._md_metric.stateless_reset_state()):
                variable.assign(value)

        @property
        def metric(self) -> MetricBase:
            """The wrapped metricdsl metric (its own variables are not updated by Keras)."""
            return self._md_metric

        def get_config(self):
            from .registry import serialize

            return {"name": self.name, "dtype": self.dtype, "metric": serialize(self._md_metric)}

        @classmethod
        def from_config(cls, config):
            from .registry import deserialize

            config = dict(config)
            return cls(deserialize(config.pop("metric")), **config)

    KerasMetric.__module__ = __name__
    keras.saving.register_keras_serializable(package="metricdsl")(KerasMetric)
    _CLASS.append(KerasMetric)
    return KerasMetric


def _constant(value):
    import numpy as np

    array = np.asarray(value)

    def initializer(shape, dtype=None):
        return array.astype(dtype) if dtype is not None else array

    return initializer


def _shape_struct(x):
    import jax

    return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)


def to_keras(metric: Any, name: str | None = None) -> Any:
    """Wrap a metricdsl metric as a ``keras.metrics.Metric`` for ``model.compile(metrics=...)``.

    Args:
        metric: A metricdsl metric instance or an identifier accepted by `metricdsl.get`.
        name: The Keras metric name; default the metric's name.

    Returns:
        A ``KerasMetric`` (a ``keras.metrics.Metric`` subclass) reporting the
        metricdsl metric's values in ``fit``/``evaluate``.

    Raises:
        ImportError: if Keras is not installed.
        RuntimeError: if Keras does not run on the JAX backend.
    """
    return _adapter_class()(metric, name=name)


def __getattr__(name: str) -> Any:
    if name == "KerasMetric":
        return _adapter_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
