"""String resolution: one compile entry (identifier, class, instance, callable, config) → a metric.

Follows Keras 3's ``get_metric`` (``keras3_metrics_spec.md`` §5): ``"accuracy"``
and ``"acc"`` pick binary, sparse-categorical or categorical accuracy from the
first batch's shapes; class names, snake-case names and `registry.KERAS_ALIASES`
resolve through the registry; beyond Keras, `registry.SHAPE_ALIASES` adds
``"crossentropy"``/``"ce"`` and `registry.COMPILE_ALIASES` ``"rmse"``,
``"kld"``, ``"logcosh"``; function-only builtins (``"huber"``) are averaged.
A string entry's metric is named as the string is spelled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import registry
from ..base import MetricBase, to_snake_case
from ..builtin import metric_mean_wrapper
from .errors import CompileMetricsError

__all__ = ["check_entry", "function_name", "is_config", "iter_entries", "resolve_entry"]

_CONFIG_KEYS = {"class_name", "config", "module", "registered_name"}


def is_config(x: Any) -> bool:
    """Whether ``x`` is a serialized metric ``{"class_name": ..., "config": {...}}``."""
    return isinstance(x, dict) and "class_name" in x and set(x) <= _CONFIG_KEYS


def _function_only() -> dict[str, Callable]:
    return {name[len("metric_"):]: fn for name, fn in registry.builtin_objects().items()
            if not isinstance(fn, type)}


def _known_strings() -> set[str]:
    return set(registry.class_table()) | set(registry.SHAPE_ALIASES) \
        | set(registry.COMPILE_ALIASES) | set(_function_only())


def check_entry(entry: Any, where: str) -> None:
    """Reject, at construction, an entry that can never resolve (unknown string, non-callable).

    Raises:
        UnknownIdentifierError: for an unknown string (close matches listed).
        CompileMetricsError: for an entry that is not a metric identifier.
    """
    if isinstance(entry, str):
        if entry.lower() in registry.SHAPE_ALIASES or entry in _known_strings():
            return
        matches = registry.close_matches(entry, _known_strings())
        hint = f" Did you mean: {', '.join(repr(m) for m in matches)}?" if matches else ""
        raise registry.UnknownIdentifierError(
            f"compile_metrics: unknown metric identifier {entry!r} in {where}.{hint} Use a class "
            "name ('MeanSquaredError'), its snake-case name ('mean_squared_error'), an alias "
            "('mse', 'acc', 'rmse'), a metric class or instance, or a function.")
    if is_config(entry) or isinstance(entry, MetricBase) or callable(entry):
        return
    raise CompileMetricsError(
        f"compile_metrics: {where} holds {type(entry).__name__} {entry!r}, which is not a metric "
        "identifier; expected a string, a metric class or instance, a function "
        "fn(y_true, y_pred), or a config dict {'class_name': ..., 'config': {...}}.")


def iter_entries(metrics: Any, where: str) -> Iterator[tuple[str, Any]]:
    """``(position, entry)`` for each entry of ``metrics``, e.g. ``("metrics[0]", "acc")``.

    Example:
        >>> list(iter_entries({"a": ["mse", "mae"]}, "metrics"))
        [("metrics['a'][0]", 'mse'), ("metrics['a'][1]", 'mae')]
    """
    if metrics is None:
        return
    if isinstance(metrics, (list, tuple)):
        for i, item in enumerate(metrics):
            yield from iter_entries(item, f"{where}[{i}]")
    elif isinstance(metrics, dict) and not is_config(metrics):
        for key, item in metrics.items():
            yield from iter_entries(item, f"{where}[{key!r}]")
    else:
        yield where, metrics


def _by_shape(identifier: str, y_true: Any, y_pred: Any) -> str:
    """Keras's choice among binary / sparse / categorical from the first batch's shapes."""
    binary_name, sparse_name, categorical_name = registry.SHAPE_ALIASES[identifier.lower()]
    t_shape, p_shape = tuple(y_true.shape), tuple(y_pred.shape)
    t_last = t_shape[-1] if t_shape else 1
    p_last = p_shape[-1] if p_shape else 1
    if p_last == 1:
        return binary_name
    if len(t_shape) < len(p_shape) or (t_last == 1 and p_last > 1):
        return sparse_name
    return categorical_name


def _instantiate(cls: type, entry: Any) -> MetricBase:
    try:
        return cls()
    except TypeError as err:
        raise CompileMetricsError(
            f"compile_metrics: {entry!r} resolves to {cls.__name__}, which cannot be built with "
            f"no arguments ({err}). Pass an instance with its arguments instead.") from None


def _lookup_class(classname: str, entry: Any) -> type:
    for cls in registry.builtin_classes().values():
        if cls.__name__ == classname:
            return cls
    raise CompileMetricsError(
        f"compile_metrics: {entry!r} resolves to {classname}, which is not available in this "
        "installation of metricdsl.")


def resolve_entry(entry: Any, y_true: Any, y_pred: Any) -> MetricBase:
    """One compile entry → a metric instance named as Keras names it.

    Args:
        entry: A string identifier, metric class or instance, function
            ``fn(y_true, y_pred)`` or config dict.
        y_true: The output's targets: an array or ``jax.ShapeDtypeStruct`` (only
            its shape is read, for ``"accuracy"``-like strings).
        y_pred: The output's predictions, likewise.

    Returns:
        The metric: an instance entry itself; otherwise a new instance (a
        string's named as spelled, a function's `metric_mean_wrapper` named
        after the function).

    Raises:
        UnknownIdentifierError: for an unknown string.
        CompileMetricsError: for a class that needs arguments, or a non-metric entry.

    Example:
        >>> import jax
        >>> spec = jax.ShapeDtypeStruct((4, 1), "float32")
        >>> metric = resolve_entry("acc", spec, spec)
        >>> type(metric).__name__, metric.name
        ('BinaryAccuracy', 'acc')
    """
    if isinstance(entry, str):
        metric = _resolve_string(entry, y_true, y_pred)
        metric.name = entry
        return metric
    if isinstance(entry, MetricBase):
        return entry
    if is_config(entry):
        return registry.deserialize(entry)
    if isinstance(entry, type) and issubclass(entry, MetricBase):
        return _instantiate(entry, entry)
    if callable(entry):
        return metric_mean_wrapper(entry, name=function_name(entry))
    check_entry(entry, "metrics")
    raise AssertionError(entry)


def _resolve_string(entry: str, y_true: Any, y_pred: Any) -> MetricBase:
    if entry.lower() in registry.SHAPE_ALIASES:
        return _instantiate(_lookup_class(_by_shape(entry, y_true, y_pred), entry), entry)
    table = registry.class_table()
    if entry in table:
        return _instantiate(table[entry], entry)
    if entry in registry.COMPILE_ALIASES:
        return _instantiate(_lookup_class(registry.COMPILE_ALIASES[entry], entry), entry)
    functions = _function_only()
    if entry in functions:
        return metric_mean_wrapper(functions[entry], name=entry)
    check_entry(entry, "metrics")
    raise AssertionError(entry)


def function_name(fn: Callable) -> str:
    """Keras's ``get_object_name`` for a callable; builtin functions by their Keras name.

    Example:
        >>> def MyError(y_true, y_pred):
        ...     return y_pred
        >>> function_name(MyError)
        'my_error'
    """
    for name, builtin in _function_only().items():
        if builtin is fn:
            return name
    if hasattr(fn, "name") and isinstance(fn.name, str):
        return fn.name
    if hasattr(fn, "__name__"):
        return to_snake_case(fn.__name__)
    return to_snake_case(type(fn).__name__)
