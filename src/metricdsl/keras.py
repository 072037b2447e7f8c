"""Use metricdsl metrics in a Keras 3 model (JAX backend): ``model.compile(metrics=...)``.

``to_keras(metrics)`` converts a whole Keras compile config (one entry, a
list, a dict per output, nested lists per output): each metricdsl entry
becomes a ``KerasMetric``, a ``keras.metrics.Metric`` that holds Keras
variables mirroring the metricdsl metric's variables; its ``update_state``,
``result`` and ``reset_state`` run the metric's stateless functions on those
variables' values, so the numbers are the metricdsl metric's, and Keras's
jitted train/eval steps carry the state as usual. Keras is imported only
when this module's functions are called (``pip install metricdsl[keras]``).

A metricdsl metric given to ``compile`` unwrapped cannot work: Keras calls
it as a per-sample function inside its jitted step, and a stateful update
there would leak tracers.

Example:
    >>> import os; os.environ.setdefault("KERAS_BACKEND", "jax")  # doctest: +SKIP
    >>> import keras, metricdsl as md  # doctest: +SKIP
    >>> from metricdsl.keras import to_keras  # doctest: +SKIP
    >>> model.compile(loss="mse", metrics=to_keras(["accuracy", md.metric_auc()]))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from .base import MetricBase

__all__ = ["to_keras"]  # KerasMetric: module attribute, created on first use

_CLASS: list = []
_KERAS_AGGREGATIONS = {"sum": "sum", "mean": "mean", "only_first_replica": "only_first_replica"}
_CONFIG_KEYS = {"class_name", "config", "module", "registered_name"}
_NAME_WITH_STRUCTURE = (
    "to_keras: name= names one metric; received it with a {kind}. Wrap the entry itself: "
    "to_keras([to_keras(md.metric_auc(), name='my_auc'), 'accuracy']).")


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


def _resolve(entry: Any, y_true: Any = None, y_pred: Any = None) -> MetricBase:
    """A compile entry → a metricdsl metric, as `compile_metrics` resolves it."""
    from .compile import resolve_entry

    return resolve_entry(entry, y_true, y_pred)


def _check(entry: Any) -> None:
    """Reject an entry that can never resolve, now rather than at the first batch."""
    from .compile import compile_metrics

    compile_metrics(entry)


def _adapter_class() -> type:
    if _CLASS:
        return _CLASS[0]
    keras = _keras()

    class KerasMetric(keras.metrics.Metric):
        """A Keras metric running a metricdsl metric's stateless functions on Keras variables.

        Args:
            metric: A metricdsl metric instance or class, a config dict, a function
                ``fn(y_true, y_pred)`` (averaged as `metric_mean_wrapper` does), or a
                string identifier resolved as `compile_metrics` does: ``"accuracy"``,
                ``"acc"``, ``"crossentropy"`` and ``"ce"`` by the shapes of the first
                batch, so the choice is made per output, as Keras makes it.
            name: The Keras metric name; default the identifier as given, else the
                metric's name.
            dtype: The Keras metric dtype; default the metric's.
        """

        def __init__(self, metric: Any, name: str | None = None, dtype: Any = None) -> None:
            from . import config

            if isinstance(metric, str):
                _check(metric)
                self._md_entry, self._md_metric = metric, None
                default_name, default_dtype = metric, config.floatx()
            elif isinstance(metric, MetricBase) or callable(metric) or _is_config(metric):
                self._md_entry, self._md_metric = None, _resolve(metric)
                default_name, default_dtype = self._md_metric.name, self._md_metric.dtype
            else:
                raise TypeError(
                    f"to_keras: expected a metricdsl metric or class, a string identifier, a "
                    f"config dict or a function fn(y_true, y_pred); received "
                    f"{type(metric).__name__} {metric!r}.")
            super().__init__(name=name or default_name, dtype=dtype or default_dtype)
            self._md_vars = []
            if self._md_metric is not None and self._md_metric.built:
                self._md_create()

        def _md_create(self) -> None:
            assert self._md_metric is not None  # resolved before the variables are created
            initial = self._md_metric.stateless_reset_state()
            for variable, value in zip(self._md_metric.variables, initial):
                self._md_vars.append(self.add_variable(
                    shape=variable.shape, dtype=variable.dtype, name=variable.name,
                    initializer=_constant(value),
                    aggregation=_KERAS_AGGREGATIONS.get(variable.aggregation, "none")))

        def _md_build(self, y_true, y_pred) -> None:
            if self._md_metric is None:
                self._md_metric = _resolve(self._md_entry, y_true, y_pred)
            if not self._md_metric.built:
                self._md_metric.build(*[_shape_struct(x) for x in (y_true, y_pred)])
            self._md_create()

        def update_state(self, y_true, y_pred, sample_weight=None):
            if not self._md_vars:
                self._md_build(y_true, y_pred)
            assert self._md_metric is not None  # resolved by _md_build
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            new = self._md_metric.stateless_update_state(
                [v.value for v in self._md_vars], y_true, y_pred, **kwargs)
            for variable, value in zip(self._md_vars, new):
                variable.assign(value)

        def result(self):
            if not self._md_vars and self._md_metric is None:
                return keras.ops.zeros((), dtype=self.dtype)  # Keras reports 0 before any data
            assert self._md_metric is not None  # variables exist only once it is resolved
            return self._md_metric.stateless_result([v.value for v in self._md_vars])

        def reset_state(self):
            if not self._md_vars:
                return
            assert self._md_metric is not None  # variables exist only once it is resolved
            for variable, value in zip(self._md_vars, self._md_metric.stateless_reset_state()):
                variable.assign(value)

        @property
        def metric(self) -> MetricBase | None:
            """The wrapped metricdsl metric (its own variables are not updated by Keras).

            ``None`` for a string identifier until the first batch resolves it.
            """
            return self._md_metric

        def get_config(self):
            from .registry import serialize

            metric = self._md_entry if self._md_entry is not None else serialize(self._md_metric)
            return {"name": self.name, "dtype": self.dtype, "metric": metric}

        @classmethod
        def from_config(cls, config):
            from .registry import deserialize

            config = dict(config)
            metric = config.pop("metric")
            return cls(metric if isinstance(metric, str) else deserialize(metric), **config)

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


def _is_config(x: Any) -> bool:
    return isinstance(x, dict) and "class_name" in x and set(x) <= _CONFIG_KEYS


def _is_keras_object(entry: Any, keras: Any) -> bool:
    """Keras's own metrics, losses and functions: Keras resolves them itself."""
    kinds = (keras.metrics.Metric, keras.losses.Loss)
    if isinstance(entry, kinds) or (isinstance(entry, type) and issubclass(entry, kinds)):
        return True
    return callable(entry) and not isinstance(entry, (MetricBase, type)) \
        and (getattr(entry, "__module__", None) or "").split(".")[0] == "keras"


def _convert(entry: Any, keras: Any) -> Any:
    if entry is None:
        return None
    if isinstance(entry, (list, tuple)):
        return type(entry)(_convert(item, keras) for item in entry)
    if isinstance(entry, dict) and not _is_config(entry):
        return {key: _convert(item, keras) for key, item in entry.items()}
    if _is_keras_object(entry, keras):
        return entry
    return _adapter_class()(entry)


def to_keras(metrics: Any, name: str | None = None) -> Any:
    """Convert metricdsl metrics, or a whole compile config, for Keras ``model.compile``.

    ``metrics`` is what ``compile(metrics=...)`` (or ``weighted_metrics=``)
    accepts: one entry, a list, a dict per output, or nested lists per output;
    the same structure comes back with each entry converted. A metricdsl
    instance or class, a config dict, a plain function and every string
    become a ``KerasMetric`` running metricdsl's implementation, resolved as
    `compile_metrics` resolves it: ``"accuracy"``/``"acc"`` (and
    ``"crossentropy"``/``"ce"``) pick binary, sparse-categorical or
    categorical from each output's shapes at the first batch, the same rule
    and the same numbers as Keras's own string; the logged name is the string
    as given, as in Keras. Strings Keras rejects but metricdsl resolves
    (``"rmse"``, ``"huber"``, ...) work too. Keras's own metrics, losses and
    functions are left for Keras to handle.

    Args:
        metrics: A compile config: entries as above, in a list, dict or nested lists.
        name: The Keras metric name, for a single entry only; default the
            identifier as given, else the metric's name.

    Returns:
        The converted config: a ``KerasMetric`` (a ``keras.metrics.Metric``
        subclass) for a single metricdsl entry, else the same structure.

    Raises:
        ImportError: if Keras is not installed.
        RuntimeError: if Keras does not run on the JAX backend.
        TypeError: for an entry that is no metric identifier, or ``name`` with
            a structure or a Keras object.
        ValueError: for an unknown string identifier (listing close matches).
    """
    keras = _keras()
    if name is None:
        return _convert(metrics, keras)
    if isinstance(metrics, (list, tuple, dict)) and not _is_config(metrics):
        raise TypeError(_NAME_WITH_STRUCTURE.format(kind=type(metrics).__name__))
    if _is_keras_object(metrics, keras):
        raise TypeError(_NAME_WITH_STRUCTURE.format(kind=f"Keras object {metrics!r}"))
    return _adapter_class()(metrics, name=name)


def __getattr__(name: str) -> Any:
    if name == "KerasMetric":
        return _adapter_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
