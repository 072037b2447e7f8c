"""Keras-style metric registry: `get`, `serialize`, `deserialize`, `register`.

The registry knows the builtin ``metric_*`` classes of `metricdsl.builtin`
(looked up by name when asked, so every family that is importable takes part),
their per-sample functions, the wrapper classes of `metricdsl.analytics`
(`library_classes`: serialized like builtins, but neither builtins nor compile
identifiers), and the user classes and functions given to `register`.
Deserializing only ever instantiates classes found there: it never imports a
module or evaluates a string.

Names follow Keras 3's ``keras.metrics.get``: a class resolves by its class
name (``"MeanSquaredError"``) or snake-case name (``"mean_squared_error"``),
plus the aliases ``bce``, ``mse``, ``mae``, ``mape``, ``msle`` in lower or
upper case. Per-sample functions (the ``fn`` of a `metric_mean_wrapper`) are
serialized by their registered name.

Three alias tables name classes by their class name:

- `KERAS_ALIASES`: the short names ``keras.metrics.get`` accepts (`get` and
  `metricdsl.compile_metrics` resolve them).
- `SHAPE_ALIASES`: strings that ``compile(metrics=...)`` resolves from the
  first batch's shapes, to ``(binary, sparse, categorical)`` class names;
  Keras has ``"accuracy"``/``"acc"``, metricdsl adds ``"crossentropy"``/``"ce"``.
  Matched case-insensitively; only `metricdsl.compile_metrics` uses them.
- `COMPILE_ALIASES`: identifiers Keras rejects as metrics but that have one
  clear meaning; only `metricdsl.compile_metrics` accepts them.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np

from .base import MetricBase, to_snake_case
from .errors import UnknownIdentifierError

if TYPE_CHECKING:
    from .factory import Metric

__all__ = ["deserialize", "get", "register", "serialize"]

KERAS_ALIASES = {
    "bce": "BinaryCrossentropy", "mse": "MeanSquaredError", "mae": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError",
}
SHAPE_ALIASES = {
    "accuracy": ("BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy"),
    "acc": ("BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy"),
    "crossentropy": ("BinaryCrossentropy", "SparseCategoricalCrossentropy",
                     "CategoricalCrossentropy"),
    "ce": ("BinaryCrossentropy", "SparseCategoricalCrossentropy", "CategoricalCrossentropy"),
}
COMPILE_ALIASES = {
    "rmse": "RootMeanSquaredError", "RMSE": "RootMeanSquaredError",
    "kld": "KLDivergence", "KLD": "KLDivergence", "logcosh": "LogCoshError",
    "mcc": "MatthewsCorrelation", "MCC": "MatthewsCorrelation", "kappa": "CohenKappa",
    "brier": "BrierScore", "ece": "ExpectedCalibrationError", "ECE": "ExpectedCalibrationError",
    "mrr": "MeanReciprocalRank", "MRR": "MeanReciprocalRank", "NDCG": "NDCG",
    "ap": "AveragePrecision", "AP": "AveragePrecision", "map": "MeanAveragePrecisionAtK",
    "mAP": "MeanAveragePrecisionAtK",
}
_USER_CLASSES: dict[str, type] = {}
_USER_FUNCTIONS: dict[str, Callable] = {}




# -- what is available ------------------------------------------------------------------------
def builtin_objects() -> dict[str, Any]:
    """Every ``metric_*`` attribute of `metricdsl.builtin` (classes and function-only builtins)."""
    from . import builtin

    return {name: value for name, value in vars(builtin).items()
            if name.startswith("metric_") and callable(value)}


def builtin_classes() -> dict[str, type]:
    """``{attribute name: class}`` for the class-backed builtins present."""
    return {name: value for name, value in builtin_objects().items()
            if isinstance(value, type) and issubclass(value, MetricBase)}


def library_classes() -> dict[str, type]:
    """``{class name: class}`` for metricdsl's metric classes beyond the builtins.

    These are the wrappers of `metricdsl.analytics` (``Bootstrap``, ``Sliced``):
    `serialize` and `deserialize` know them as they know the builtins, but they
    take a metric to wrap, so they are not `builtin_classes` and no string
    identifier of `get` or `metricdsl.compile_metrics` names them.
    """
    from . import analytics

    classes = [getattr(analytics, name) for name in analytics.__all__]
    return {cls.__name__: cls for cls in classes if is_metric_class(cls)}


def known_classes() -> dict[str, type]:
    """``{class name: class}`` for the builtin and `library_classes` (what needs no register)."""
    return {**{c.__name__: c for c in builtin_classes().values()}, **library_classes()}


def class_table() -> dict[str, type]:
    """Keras's ``ALL_OBJECTS_DICT``: class names, snake-case names and aliases → class.

    Builtins come first; registered user classes add their registered name and
    its snake-case form where these are free.
    """
    table: dict[str, type] = {}
    for cls in builtin_classes().values():
        table.setdefault(cls.__name__, cls)
        table.setdefault(to_snake_case(cls.__name__), cls)
    for alias, classname in KERAS_ALIASES.items():
        if classname in table:
            table[alias] = table[alias.upper()] = table[classname]
    for name, cls in _USER_CLASSES.items():
        table.setdefault(name, cls)
        table.setdefault(to_snake_case(name), cls)
    return table


def function_table() -> dict[str, Callable]:
    """Per-sample functions by registered name.

    A dual builtin ``metric_x`` contributes its function as ``"x"`` (Keras's
    function name, e.g. ``"mean_squared_error"``) and under the function's own
    ``__name__``; a function-only builtin ``metric_x`` as ``"x"``; then the
    functions given to `register`.
    """
    table: dict[str, Callable] = {}
    for attribute, value in builtin_objects().items():
        fn = _functional(value) if isinstance(value, type) else value
        if fn is None:
            continue
        table.setdefault(attribute[len("metric_"):], fn)
        table.setdefault(getattr(fn, "__name__", attribute), fn)
    for name, fn in _USER_FUNCTIONS.items():
        table.setdefault(name, fn)
    return table


def _functional(cls: type) -> Callable | None:
    member = cls.__dict__.get("_md_functional")
    return getattr(member, "__func__", member)


def close_matches(word: str, candidates: Any, n: int = 5) -> list[str]:
    """Up to ``n`` candidates that look like ``word`` (case-insensitive difflib match)."""
    candidates = sorted(set(candidates))
    lowered = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[f] for f in found]


def _did_you_mean(word: str, candidates: Any) -> str:
    matches = close_matches(word, candidates)
    return f" Did you mean: {', '.join(repr(m) for m in matches)}?" if matches else ""


# -- register ---------------------------------------------------------------------------------
_T = TypeVar("_T")
_M = TypeVar("_M", bound=MetricBase)


@overload
def register(obj: None = None, *, name: str | None = None) -> Callable[[_T], _T]: ...
@overload
def register(obj: _T, *, name: str | None = None) -> _T: ...
def register(obj: Any = None, *, name: str | None = None) -> Any:
    """Make a user metric class or metric function known to `get` and `deserialize`.

    Use it as a call, ``md.register(MyMetric)``, or as a decorator, with or
    without a name: ``@md.register`` / ``@md.register(name="my_fn")``. A class
    is registered under its class name (and resolves by its snake-case name
    too); a function (e.g. one made with `custom_metric`) under its
    ``__name__``, so a `metric_mean_wrapper` holding it serializes.

    Args:
        obj: A metric class (made with ``Metric()`` or subclassing it) or a
            per-sample function ``fn(y_true, y_pred)``.
        name: The registered name; default the class or function name.

    Returns:
        ``obj`` itself (or a decorator when ``obj`` is omitted).

    Raises:
        TypeError: if ``obj`` is neither a metric class nor a callable.
        ValueError: if the name is taken by a builtin or a different registered object.

    Example:
        >>> import metricdsl as md
        >>> def _init(name="docs_batch_count", dtype=None):
        ...     super.initialize(name=name, dtype=dtype)
        ...     self.n = self.add_variable((), "zeros", name="n")
        >>> DocsBatchCount = md.register(md.Metric(
        ...     "DocsBatchCount", _init, lambda y_true, y_pred: self.n.assign_add(1),
        ...     lambda: self.n))
        >>> md.deserialize(md.serialize(DocsBatchCount(name="steps"))).name
        'steps'
    """
    if obj is None:
        return lambda target: register(target, name=name)
    if isinstance(obj, type):
        if not issubclass(obj, MetricBase):
            raise TypeError(
                f"register: {obj.__name__} is not a metric class; expected a class made with "
                "Metric() (or a Metric subclass) or a per-sample function.")
        key = name or obj.__name__
        builtin = known_classes().get(key)
        _check_free(key, obj, builtin, _USER_CLASSES)
        _USER_CLASSES[key] = obj
        return obj
    if not callable(obj):
        raise TypeError(
            f"register: expected a metric class or a per-sample function; received "
            f"{type(obj).__name__} {obj!r}.")
    key = name or getattr(obj, "__name__", None)
    if not key or key == "<lambda>":
        raise ValueError(
            f"register: {obj!r} has no usable name; pass name=..., or name it with "
            "md.custom_metric(name, fn) first.")
    builtin = {k: v for k, v in function_table().items() if k not in _USER_FUNCTIONS}.get(key)
    _check_free(key, obj, builtin, _USER_FUNCTIONS)
    _USER_FUNCTIONS[key] = obj
    return obj


def _check_free(key: str, obj: Any, builtin: Any, table: dict) -> None:
    if builtin is not None and builtin is not obj:
        raise ValueError(
            f"register: the name {key!r} belongs to the builtin {builtin!r}; register "
            f"{obj!r} under another name with register(obj, name=...).")
    held = table.get(key)
    if held is not None and held is not obj and not _same_definition(held, obj):
        raise ValueError(
            f"register: the name {key!r} is already registered for {held!r}; use another name.")


def _same_definition(a: Any, b: Any) -> bool:
    """A re-run of the same definition (same module and qualified name) may replace the old one."""
    return (getattr(a, "__module__", None), getattr(a, "__qualname__", None)) == \
        (getattr(b, "__module__", None), getattr(b, "__qualname__", None))


# -- get --------------------------------------------------------------------------------------
@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: type[_M] | _M) -> _M: ...
@overload
def get(identifier: str) -> Metric: ...
@overload
def get(identifier: Any) -> Any: ...
def get(identifier: Any) -> Any:
    """Resolve a metric identifier as Keras's ``keras.metrics.get`` does.

    ``None`` → ``None``; a dict → `deserialize`; a string → the class it names
    (class name, snake-case name, or ``bce``/``mse``/``mae``/``mape``/``msle``,
    also upper case) instantiated with no arguments; a class → an instance;
    any other callable or metric instance → itself.

    Raises:
        ValueError: ``"Could not interpret metric identifier: ..."`` for an
            unknown string or a non-callable, with close matches when any.

    Example:
        >>> import metricdsl as md
        >>> md.get("mse").name
        'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        table = class_table()
        obj = table.get(identifier)
        if obj is None:
            raise UnknownIdentifierError(
                f"Could not interpret metric identifier: {identifier}."
                + _did_you_mean(identifier, table))
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


# -- serialize / deserialize ------------------------------------------------------------------
def serialize(metric: Any) -> dict[str, Any]:
    """The Keras-style config of a metric (or a registered per-sample function).

    Returns:
        ``{"class_name": ..., "config": {...}, "module": ...}`` for a metric;
        ``{"class_name": "function", "config": name, "module": ...}`` for a
        function. Nested metrics, functions and arrays in a config are
        serialized too, so the result is JSON-able.

    Raises:
        TypeError: for a metric whose class is neither a builtin nor registered,
            or a function that is not registered.

    Example:
        >>> import metricdsl as md
        >>> md.serialize(md.metric_mean(name="m"))
        {'class_name': 'Mean', 'config': {'name': 'm', 'dtype': 'float32'}, 'module': 'metricdsl'}
    """
    if isinstance(metric, MetricBase):
        cls = type(metric)
        return {"class_name": _class_name(cls), "config": _serialize_value(metric.get_config()),
                "module": _module(cls)}
    if isinstance(metric, type):
        raise TypeError(
            f"serialize: expected a metric instance or a function; received the class "
            f"{metric.__name__}. Serialize an instance, e.g. serialize({metric.__name__}()).")
    if callable(metric):
        return {"class_name": "function", "config": _function_name(metric),
                "module": "metricdsl" if _function_name(metric) not in _USER_FUNCTIONS
                else getattr(metric, "__module__", None)}
    raise TypeError(f"serialize: expected a metric or a function; received {metric!r}.")


def _class_name(cls: type) -> str:
    for key, registered in _USER_CLASSES.items():
        if registered is cls:
            return key
    if known_classes().get(cls.__name__) is cls:
        return cls.__name__
    raise TypeError(
        f"serialize: {cls.__name__} is not a builtin or registered metric class, so it could not "
        f"be deserialized. Register it first: md.register({cls.__name__}).")


def _module(cls: type) -> str:
    return cls.__module__ if any(c is cls for c in _USER_CLASSES.values()) else "metricdsl"


def _function_name(fn: Callable) -> str:
    table = function_table()
    for key, value in table.items():
        if value is fn:
            return key
    name = getattr(fn, "__name__", "")
    held = table.get(name)
    wrapped = getattr(fn, "__wrapped_metric__", None)
    if held is not None and wrapped is not None and getattr(held, "__wrapped_metric__", None) \
            is wrapped:
        return name
    raise TypeError(
        f"serialize: the function {fn!r} is not registered, so it could not be deserialized. "
        "Register it with md.register(fn) (name it with md.custom_metric(name, fn) if it is a "
        "lambda).")


def _serialize_value(value: Any) -> Any:
    if isinstance(value, MetricBase) or (callable(value) and not isinstance(value, type)
                                         and not hasattr(value, "__array__")):
        return serialize(value)
    if isinstance(value, dict):
        return {k: _serialize_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_value(v) for v in value]
    if hasattr(value, "__array__") and not isinstance(value, (str, bytes)):
        array = np.asarray(value)
        return {"class_name": "__numpy__",
                "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(value, np.generic):
        return value.item()
    return value


def deserialize(config: Any) -> Any:
    """Rebuild a metric (or function) from `serialize`'s output.

    Only builtins and registered classes and functions are instantiated; the
    ``module`` entry is informational and never imported.

    Raises:
        ValueError: for an unknown class or function name (with close matches).
        TypeError: for a config that is not a dict with ``class_name``.

    Example:
        >>> import metricdsl as md
        >>> md.deserialize({"class_name": "Sum", "config": {"name": "total"}}).name
        'total'
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            f"deserialize: expected a dict with 'class_name' and 'config' (from md.serialize); "
            f"received {config!r}.")
    class_name = config["class_name"]
    inner = config.get("config") or {}
    if class_name == "function":
        table = function_table()
        if inner not in table:
            raise UnknownIdentifierError(
                f"deserialize: unknown metric function {inner!r}; register it with "
                f"md.register(fn)." + _did_you_mean(str(inner), table))
        return table[inner]
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    table = {**known_classes(), **_USER_CLASSES}
    cls = table.get(class_name) or class_table().get(class_name)
    if cls is None:
        raise UnknownIdentifierError(
            f"deserialize: unknown metric class {class_name!r}; only builtin metrics and classes "
            f"registered with md.register(cls) can be deserialized." + _did_you_mean(
                str(class_name), table))
    if not isinstance(inner, dict):
        raise TypeError(f"deserialize: the config of {class_name!r} must be a dict; received "
                         f"{inner!r}.")
    return cls.from_config({k: _deserialize_value(v) for k, v in inner.items()})


def _deserialize_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "class_name" in value and set(value) <= {"class_name", "config", "module",
                                                     "registered_name"}:
            return deserialize(value)
        return {k: _deserialize_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_value(v) for v in value]
    return value


def is_metric_class(obj: Any) -> bool:
    """True for a metric class (including dual and class-only builtins)."""
    return inspect.isclass(obj) and issubclass(obj, MetricBase)
