"""`Metric`: R keras3's class generator, and the root class of every metric.

``Metric("Name", initialize=f, update_state=g, result=h, ...)`` returns a new
metric class built from plain functions in which ``self``, ``super`` and
``private`` are free names; ``class Name(Metric): ...`` works too, and
``isinstance(m, Metric)`` holds for every metric.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import keyword
import sys
import types
from collections.abc import Callable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Final,
    Generic,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    cast,
    overload,
)

import jax.numpy as jnp

from . import ops
from .base import MetricBase
from .scope import Definition, MetricDefinitionError, convert_member

__all__ = ["Metric", "MetricDefinitionError", "custom_metric", "function_only"]

_PAIRS = (("initialize", "__init__"), ("finalize", "__del__"))

_P = ParamSpec("_P")  # initialize's parameters: the constructor of the class Metric() makes
_F = ParamSpec("_F")  # a per-sample function's parameters after y_true, y_pred
_R = TypeVar("_R", covariant=True)  # and its return type
_M = TypeVar("_M", bound="MetricBase")
#: mypy treats the name ``MYPY`` as always true; other type checkers, and Python, read False.
MYPY: Final = False


class MetricMeta(type):
    """Metaclass: the factory call, R's dual call shape, and exact class signatures."""

    def __call__(cls, *args: Any, **kwargs: Any):  # unannotated: checkers read __new__/__init__
        if cls is Metric and args:
            return _define(*args, _depth=2, **kwargs)
        functional = cls.__dict__.get("_md_functional")
        if functional is not None and (args or "y_true" in kwargs or "y_pred" in kwargs):
            return _call_functional(cls, functional, args, kwargs)
        return super().__call__(*args, **kwargs)

    @property
    def __signature__(cls) -> inspect.Signature:
        """The constructor's signature: ``initialize``'s parameters without ``self``.

        For `Metric` itself: the factory form ``Metric(classname, initialize=None, ...)``.
        """
        if cls is Metric:
            return _FACTORY_SIGNATURE
        signature = inspect.signature(cls.__init__)
        return signature.replace(parameters=list(signature.parameters.values())[1:])


def _call_functional(cls: type, functional: Callable, args: tuple, kwargs: dict) -> Any:
    try:
        inspect.signature(functional).bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(
            f"{cls.__name__} called with data computes {functional.__name__}(y_true, y_pred, ...) "
            f"per sample, which rejects these arguments: {err}. Constructor arguments such as "
            "name= and dtype= apply only when called without y_true/y_pred.") from None
    return functional(*args, **kwargs)


class Metric(MetricBase, metaclass=MetricMeta):
    """The root metric class, and the factory that defines new metric classes.

    Called with a class name, ``Metric`` builds a class (like three-argument
    ``type``)::

        Metric(classname, initialize=None, update_state=None, result=None, *,
               public=None, private=None, inherit=None, parent_env=None,
               functional=None, **members)

    Args:
        classname: The class name (an identifier, conventionally CamelCase).
        initialize: The constructor; call ``super.initialize(name=name, **kwargs)``
            first, then create state with ``self.add_variable(...)``.
        update_state: ``(y_true, y_pred, sample_weight=None)``: accumulate a batch.
        result: ``()``: the metric value (a scalar, array, or dict of them).
        public: More members (methods, properties, class attributes); wins over
            ``members``.
        private: Per-instance private values and functions, reachable as
            ``private.x`` in methods; deep-copied from this spec per instance,
            invisible to config, variables and pickles.
        inherit: The parent: a metric class, a class-backed ``metric_*`` builtin,
            or a tuple of them. Default: `Metric`.
        parent_env: A mapping or module whose names every method sees before its
            own globals.
        functional: For dual builtins: the per-sample function that the class
            computes when called with ``y_true, y_pred``. Not inherited.
        **members: More members (``finalize``, ``reset_state``, ``get_config``, ...).

    Returns:
        The new class. Its module is the caller's, its ``__qualname__`` the
        class name, and ``inspect.signature(cls)`` shows ``initialize``'s
        parameters.

    Raises:
        MetricDefinitionError: (a ``TypeError`` and ``ValueError``) for a bad
            class name, both names of a reserved pair, a non-callable method, a
            ``global`` statement in a method, or an ``inherit`` that is not a
            metric class.

    Example:
        >>> from metricdsl import Metric, ops
        >>> def initialize(name="count", **kwargs):
        ...     super.initialize(name=name, **kwargs)
        ...     self.n = self.add_variable((), "zeros", name="n")
        >>> def update_state(y_true, y_pred, sample_weight=None):
        ...     self.n.assign_add(ops.size(y_true))
        >>> Count = Metric("Count", initialize, update_state, lambda: self.n)
        >>> m = Count()
        >>> m.update_state([1, 2, 3], [1, 2, 3])
        >>> float(m.result())
        3.0
    """

    if TYPE_CHECKING:
        # For type checkers: the factory call returns a class whose constructor has initialize's
        # signature (a dual builtin's also computes with its per-sample function's); the last
        # two forms are the base constructor. The class made at run time is a plain subclass.
        @overload
        def __new__(cls, classname: str, initialize: Callable[_P, object],
                    update_state: Callable[..., object] | None = None,
                    result: Callable[..., object] | None = None, *,
                    public: Mapping[str, Any] | None = None,
                    private: Mapping[str, Any] | None = None, inherit: Any = None,
                    parent_env: Any = None, functional: Callable[Concatenate[Any, Any, _F], _R],
                    **members: Any) -> type[DualMetric[_P, _F, _R]]: ...
        @overload
        def __new__(cls, classname: str, initialize: Callable[_P, object],
                    update_state: Callable[..., object] | None = None,
                    result: Callable[..., object] | None = None, *,
                    public: Mapping[str, Any] | None = None,
                    private: Mapping[str, Any] | None = None, inherit: Any = None,
                    parent_env: Any = None, functional: None = None,
                    **members: Any) -> type[DefinedMetric[_P]]: ...
        @overload
        def __new__(cls, classname: str, initialize: None = None,
                    update_state: Callable[..., object] | None = None,
                    result: Callable[..., object] | None = None, *,
                    public: Mapping[str, Any] | None = None,
                    private: Mapping[str, Any] | None = None, inherit: type[_M],
                    parent_env: Any = None, functional: None = None,
                    **members: Any) -> type[_M]: ...
        @overload
        def __new__(cls, classname: str, initialize: None = None,
                    update_state: Callable[..., object] | None = None,
                    result: Callable[..., object] | None = None, *,
                    public: Mapping[str, Any] | None = None,
                    private: Mapping[str, Any] | None = None,
                    inherit: tuple[type[MetricBase], ...] | None = None, parent_env: Any = None,
                    functional: None = None, **members: Any) -> type[Metric]: ...
        @overload
        def __new__(cls, *, dtype: Any = None, name: str | None = None) -> Self: ...
        if not MYPY:
            # Python checkers other than mypy check __new__ and then __init__, so a subclass
            # with its own __init__ needs this; mypy checks that __init__ alone, and this form
            # would make its factory calls ambiguous.
            @overload
            def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
        def __new__(cls, *args: Any, **kwargs: Any) -> Any: ...


if TYPE_CHECKING:
    class DefinedMetric(Metric, Generic[_P]):
        """For type checkers: a class made by `Metric()`, built with initialize's arguments."""

        def __new__(cls, *args: _P.args, **kwargs: _P.kwargs) -> Self: ...
        def __init__(self, *args: _P.args, **kwargs: _P.kwargs) -> None: ...

    class DualMetric(DefinedMetric[_P], Generic[_P, _F, _R]):
        """For type checkers: a dual builtin; called with data it returns the per-sample values."""

        @overload
        def __new__(cls, *args: _P.args, **kwargs: _P.kwargs) -> Self: ...
        @overload
        def __new__(cls, y_true: Any, y_pred: Any,  # type: ignore[misc]
                    *args: _F.args, **kwargs: _F.kwargs) -> _R: ...
        def __new__(cls, *args: Any, **kwargs: Any) -> Any: ...

    class DataFunction(Protocol[_F, _R]):
        """For type checkers: a per-sample function of ``y_true, y_pred`` (any array-like data,
        nested lists included) and its own further parameters."""

        def __call__(self, y_true: Any, y_pred: Any, *args: _F.args, **kwargs: _F.kwargs) -> _R: ...


def _resolve_inherit(classname: str, inherit: Any) -> tuple[type, ...]:
    if inherit is None:
        return (Metric,)
    items = inherit if isinstance(inherit, (tuple, list)) else (inherit,)
    bases = []
    for item in items:
        if getattr(item, "__metricdsl_function_only__", False):
            raise MetricDefinitionError(
                f"Metric({classname!r}): inherit={item.__name__} is function-only; expected a "
                "metric class or class-backed metric_* builtin. To average a function, use "
                "inherit=metric_mean_wrapper.")
        if not (isinstance(item, type) and issubclass(item, MetricBase)):
            raise MetricDefinitionError(
                f"Metric({classname!r}): inherit={item!r} is not a metric class; expected a class "
                "made with Metric(), a Metric subclass, a class-backed metric_* builtin, or a "
                "tuple of them.")
        bases.append(item)
    if not any(issubclass(b, Metric) for b in bases):
        bases.append(Metric)
    return tuple(bases)


#: Member names with a meaning to the metric machinery; a keyword close to one is a typo.
KNOWN_MEMBERS = ("initialize", "update_state", "result", "reset_state", "reset_states",
                 "finalize", "get_config", "from_config", "build", "merge_state", "__call__")


def _check_typos(classname: str, members: dict) -> None:
    for name in members:
        if name in KNOWN_MEMBERS or name.startswith("_"):
            continue
        close = difflib.get_close_matches(name, KNOWN_MEMBERS, n=1, cutoff=0.8)
        if close:
            raise MetricDefinitionError(
                f"Metric({classname!r}): member {name!r} looks like a misspelling of "
                f"{close[0]!r}; as given it would be a plain method that nothing calls. Use "
                f"{close[0]}=..., or pass public={{{name!r}: ...}} if the name is deliberate.")


def _collect_members(classname: str, named: dict, members: dict, public: Mapping | None) -> dict:
    _check_typos(classname, members)
    merged = {k: v for k, v in named.items() if v is not None}
    merged.update(members)
    merged.update(public or {})
    for alias, dunder in _PAIRS:
        if alias in merged and dunder in merged:
            raise MetricDefinitionError(
                f"Metric({classname!r}): both {alias!r} and {dunder!r} are given; they name the "
                f"same member ({alias} becomes {dunder}). Give only one.")
        if alias in merged:
            merged[dunder] = merged.pop(alias)
    for name in ("update_state", "result", "reset_state", "__init__", "get_config"):
        if name in merged and merged[name] is not None and not callable(merged[name]):
            shown = "initialize" if name == "__init__" else name
            raise MetricDefinitionError(
                f"Metric({classname!r}): {shown} must be a function; received "
                f"{type(merged[name]).__name__} {merged[name]!r}.")
    return merged


def _define(classname: Any, initialize: Callable | None = None,
            update_state: Callable | None = None, result: Callable | None = None, *,
            public: Mapping[str, Any] | None = None, private: Mapping[str, Any] | None = None,
            inherit: Any = None, parent_env: Any = None, functional: Callable | None = None,
            _depth: int = 1, **members: Any) -> type:
    if not isinstance(classname, str):
        raise MetricDefinitionError(
            f"Metric(): classname must be a string; received {type(classname).__name__} "
            f"{classname!r}.")
    if not classname.isidentifier() or keyword.iskeyword(classname):
        raise MetricDefinitionError(
            f"Metric({classname!r}): classname must be a Python identifier (e.g. 'MyMetric').")
    for label, value in (("public", public), ("private", private)):
        if value is not None and not isinstance(value, Mapping):
            raise MetricDefinitionError(
                f"Metric({classname!r}): {label} must be a dict of members; received "
                f"{type(value).__name__}.")
    bases = _resolve_inherit(classname, inherit)
    merged = _collect_members(
        classname, {"initialize": initialize, "update_state": update_state, "result": result},
        members, public)
    definition = Definition(classname, parent_env, private)
    namespace = {name: convert_member(value, definition, name) for name, value in merged.items()}
    if isinstance(parent_env, Mapping) and "__name__" in parent_env:
        module = parent_env["__name__"]
    elif isinstance(parent_env, types.ModuleType):
        module = parent_env.__name__
    else:
        module = sys._getframe(_depth).f_globals.get("__name__", "__main__")
    namespace["_md_definition"] = definition
    namespace["__module__"] = module
    namespace["__qualname__"] = classname
    namespace["__doc__"] = merged.get("__doc__") or getattr(merged.get("__init__"), "__doc__", None)
    if functional is not None:
        namespace["_md_functional"] = staticmethod(functional)
    cls = types.new_class(classname, bases, {}, lambda ns: ns.update(namespace))
    definition.cls = cls
    return cls


def _factory_form(classname: str, initialize: Callable | None = None,
                  update_state: Callable | None = None, result: Callable | None = None, *,
                  public: Mapping[str, Any] | None = None, private: Mapping[str, Any] | None = None,
                  inherit: Any = None, parent_env: Any = None, functional: Callable | None = None,
                  **members: Any) -> type:
    """The signature `Metric` shows (``inspect.signature(Metric)``, ``help(Metric)``)."""
    raise NotImplementedError


_FACTORY_SIGNATURE = inspect.signature(_factory_form)


def custom_metric(name: str, fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """A copy of the stateless metric function ``fn`` named ``name`` (R's ``custom_metric``).

    The copy keeps ``fn``'s signature; ``metric_mean_wrapper`` and
    ``compile_metrics`` use the name for the metric.

    Raises:
        TypeError: if ``name`` is not a non-empty string or ``fn`` is not callable.

    Example:
        >>> from metricdsl import custom_metric, ops
        >>> mean_pred = custom_metric("mean_pred", lambda y_true, y_pred: ops.mean(y_pred))
        >>> mean_pred.__name__, float(mean_pred([1.0], [2.0, 4.0]))
        ('mean_pred', 3.0)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"custom_metric: name must be a non-empty string; received {name!r}.")
    if not callable(fn):
        raise TypeError(f"custom_metric({name!r}): fn must be callable; received {fn!r}.")

    call: Callable[..., Any] = fn

    def named(*args, **kwargs):
        return call(*[_as_array(a) for a in args], **kwargs)

    named.__name__ = named.__qualname__ = name
    named.__doc__ = fn.__doc__
    named.__signature__ = inspect.signature(fn)
    named.__wrapped_metric__ = fn
    return cast("Callable[_P, _R]", named)  # the same signature: positional lists become arrays


def _as_array(x: Any) -> Any:
    return jnp.asarray(ops.unwrap(x)) if isinstance(x, (list, tuple, int, float)) else x


_FUNCTION_ONLY = (
    "{name}() is function-only: it computes per-sample values and needs data, as in "
    "{name}(y_true, y_pred, ...); it has no metric class ({problem}). To average it over "
    "batches, use metric_mean_wrapper({name}).")


def function_only(fn: Callable[Concatenate[Any, Any, _F], _R]) -> DataFunction[_F, _R]:
    """Mark a per-sample function as a function-only builtin (R keras3's third call shape).

    The function always computes; called without ``y_true``/``y_pred`` it raises
    a ``TypeError`` that says so. `Metric()` refuses it as ``inherit=``.
    """
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(_FUNCTION_ONLY.format(name=fn.__name__, problem=err)) from None
        return fn(*args, **kwargs)

    # A marker attribute on the wrapper function (read with getattr by Metric(inherit=)).
    call.__metricdsl_function_only__ = True  # pyright: ignore[reportAttributeAccessIssue]
    return call
