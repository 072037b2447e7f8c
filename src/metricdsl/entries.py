"""Entry wrappers: a metric's public methods at top level run compiled stateless code.

Every ``update_state``/``result``/``reset_state`` a metric class defines is
wrapped once, when the class is created: called at top level it runs the
metric's compiled stateless function (``_md_update_entry`` & co. on the base);
called inside a stateless scope (``DEPTH.value > 0``: nested metrics,
``super.update_state(...)``) it is the raw method, so compositions trace as
one function. ``initialize`` is wrapped to record its bound arguments (the
default config) and to check that it called ``super.initialize``.
"""

from __future__ import annotations

import inspect
import threading
import typing
from typing import Any

import jax.numpy as jnp
import typeguard

from . import ops

__all__ = ["DEPTH", "ENTRY_FACTORIES", "ENTRY_POINTS", "NO_SUPER_INIT", "RAW", "init_entry"]

ENTRY_POINTS = ("update_state", "result", "reset_state", "reset_states")


class ThreadDepth(threading.local):
    """How many stateless scopes are active in this thread (entry points call raw methods)."""

    value = 0


DEPTH = ThreadDepth()


NO_SUPER_INIT = (
    "{cls}: initialize never called super.initialize(...) (or super().__init__(...)); "
    "call it first, e.g. `super.initialize(name=name, dtype=dtype)`, so the metric gets its "
    "name, dtype and variable list.")


# -- entry wrappers: top level runs compiled stateless code; inside a scope, the raw method --
def init_entry(fn):
    signature = inspect.signature(fn)

    def __init__(self, *args, **kwargs):
        if "_md_init_args" not in self.__dict__:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{type(self).__name__}(): {err}") from None
            bound.apply_defaults()
            recorded = {}
            for key, param in signature.parameters.items():
                if key in bound.arguments and key != next(iter(signature.parameters)):
                    if param.kind is param.VAR_KEYWORD:
                        recorded.update(bound.arguments[key])
                    elif param.kind is not param.VAR_POSITIONAL:
                        recorded[key] = bound.arguments[key]
            mistyped = _check_annotations(type(self), fn, bound.arguments)
            object.__setattr__(self, "_md_init_args", recorded)
            if mistyped is not None:  # the metric's own check, if any, says it better
                try:
                    fn(self, *args, **kwargs)
                except (TypeError, ValueError):
                    raise
                except Exception:  # noqa: BLE001 - a failure caused by the mistyped argument
                    raise mistyped from None
                raise mistyped
        fn(self, *args, **kwargs)
        if "_variables" not in self.__dict__:
            raise TypeError(NO_SUPER_INIT.format(cls=type(self).__name__))

    return _entry_like(__init__, fn)


def _annotations(fn) -> dict[str, Any]:
    """The resolved parameter annotations of ``fn`` (``{}`` when they cannot be resolved)."""
    cached = getattr(fn, "_md_hints", None)
    if cached is None:
        original = getattr(fn, "__wrapped_member__", fn)
        try:
            cached = typing.get_type_hints(original)
        except Exception:  # noqa: BLE001 - unresolvable annotations are documentation only
            cached = {}
        cached.pop("return", None)
        fn._md_hints = cached
    return cached


def _check_annotations(cls: type, fn, arguments: dict) -> TypeError | None:
    """Check the constructor's annotated arguments with typeguard (at construction only).

    Returns:
        A ``TypeError`` naming the metric class, the argument, what was expected
        and given, for the first argument that does not match; else None.
    """
    hints = _annotations(fn)
    for name, value in arguments.items():
        hint = hints.get(name)
        if hint is None or hint is Any:
            continue
        try:
            typeguard.check_type(value, hint)
        except typeguard.TypeCheckError:
            expected = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
            return TypeError(f"{cls.__name__}: argument `{name}` must be {expected}; received "
                             f"{type(value).__name__} {value!r:.80}.")
    return None


def _entry_like(entry, fn):
    entry.__name__ = getattr(fn, "__name__", entry.__name__)
    entry.__qualname__ = getattr(fn, "__qualname__", entry.__qualname__)
    entry.__doc__ = fn.__doc__
    entry.__signature__ = inspect.signature(fn)
    entry._md_entry = True
    entry._md_raw = fn
    return entry


def _update_entry(fn):
    def update_state(self, *args, **kwargs):
        if DEPTH.value:
            if ops.is_validating():
                _check_finite(self, fn, args, kwargs)
            return fn(self, *args, **kwargs)
        return self._md_update_entry(args, kwargs)

    return _entry_like(update_state, fn)


def _check_finite(metric, fn, args, kwargs) -> None:
    """Under validation: every float argument of an update must be free of NaN and inf."""
    names = [n for n in inspect.signature(fn).parameters if n != "self"]
    for name, value in [*zip(names, args), *kwargs.items()]:
        if value is None or isinstance(value, (str, bool)) or callable(value):
            continue
        value = jnp.asarray(ops.unwrap(value))
        if jnp.issubdtype(value.dtype, jnp.inexact):
            ops.check(jnp.isfinite(value), f"{type(metric).__name__} {metric.name!r}: {name} "
                                           "contains NaN or infinite values")


def _result_entry(fn):
    def result(self):
        if DEPTH.value:
            return fn(self)
        return self._md_result_entry()

    return _entry_like(result, fn)


def _reset_entry(fn):
    def reset(self):
        if DEPTH.value:
            return fn(self)
        return self._md_reset_entry()

    return _entry_like(reset, fn)


ENTRY_FACTORIES = {"update_state": _update_entry, "result": _result_entry,
                    "reset_state": _reset_entry, "reset_states": _reset_entry}
# The raw (in-scope) calls dispatch through the class, so overrides apply.
RAW = {
    "update_state": lambda m, *a, **k: _in_scope_call(m, "update_state", *a, **k),
    "result": lambda m: _in_scope_call(m, "result"),
    "reset_state": lambda m: _in_scope_call(m, "reset_state"),
}


def _in_scope_call(metric, name, *args, **kwargs):
    return getattr(metric, name)(*args, **kwargs)
