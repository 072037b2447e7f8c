"""The one place where the compile package reaches into the metric base's internals.

Every other module of `metricdsl.compile` uses only public names; what a
collection needs from `metricdsl.base` and `metricdsl.variables` beyond their
public API goes through these thin functions, so that when the base exposes
public names for them only this module changes. What each needs from the base:

- `TRACER_ERRORS`: ``base._TRACER_ERRORS``, the jax errors that mean "this
  update branches on array values" (the member then runs eagerly).
- `SideEffect`: ``base._SideEffect``, raised by the trace guard when a traced
  update changed Python state.
- `trace_guard`: ``base._TraceGuard(metric)``, the context manager that captures
  stdout and detects (then undoes) Python side effects while tracing.
- `metric_key`: ``metric._md_key()``, the hashable (class, static config) key
  that decides whether two metrics trace alike (shares the fused update).
- `build_from`: ``metric._md_build_from(args, kwargs)``, builds a lazily built
  metric from the first batch and records the specs its pickles rebuild from.
- `go_eager`: ``metric._md_go_eager(reason)``, marks the class untraceable and
  warns once (`metricdsl.MetricEagerWarning`).
- `runs_eagerly`: ``metric.run_eagerly`` or the class flag
  ``_md_eager_detected`` that `go_eager` sets.
- `raw_value` / `set_raw_value`: the ``Variable._value`` slot, read and written
  without going through a store's hooks.
- `tracked_variable_class`, `bind_store`, `unbind_store`, `store_of`: swap a
  Variable's class for a subclass whose ``_value`` reads and writes call the
  store's hooks first (the packed store of a collection), and back.
- `plain_variable`: rebuild a plain Variable from its fields (what copies and
  pickles of a store's Variables become), writing its slots directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..base import _TRACER_ERRORS, MetricBase, _SideEffect, _TraceGuard
from ..tracing import watch_function
from ..variables import Variable, zeros

__all__ = ["TRACER_ERRORS", "SideEffect", "bind_store", "build_from", "go_eager", "metric_key",
           "plain_variable", "raw_value", "runs_eagerly", "set_raw_value", "set_residual", "store_of",
           "trace_guard", "tracked_variable_class", "unbind_store", "watch_attributes"]

TRACER_ERRORS = _TRACER_ERRORS
SideEffect = _SideEffect
_SLOT = Variable.__dict__["_value"]
_STORE_ATTRIBUTE = "_md_store"


def trace_guard(metric: MetricBase) -> Any:
    """A context manager: while tracing ``metric``, raise `SideEffect` on Python state changes."""
    return _TraceGuard(metric)


def watch_attributes(metric: MetricBase) -> None:
    """While a fused update traces: guard the functions held in ``metric``'s attributes."""
    for owner in [metric, *metric._md_all_metrics()]:
        for value in owner.__dict__.values():
            watch_function(value)


def metric_key(metric: MetricBase) -> tuple:
    """The hashable key of ``metric``'s class and static configuration."""
    return metric._md_key()


def build_from(metric: MetricBase, args: tuple, kwargs: dict) -> None:
    """Build a lazily built ``metric`` from ``update_state``-style arguments (or specs)."""
    metric._md_build_from(args, kwargs)


def go_eager(metric: MetricBase, reason: str) -> None:
    """Make ``metric``'s class run eagerly from now on, warning once with ``reason``."""
    metric._md_go_eager(reason)


def runs_eagerly(metric: MetricBase) -> bool:
    """Whether ``metric`` runs eagerly (``run_eagerly`` or found untraceable before)."""
    return bool(metric.run_eagerly or type(metric).__dict__.get("_md_eager_detected", False))


def raw_value(variable: Variable) -> Any:
    """A Variable's stored value, bypassing any store hooks."""
    return _SLOT.__get__(variable, Variable)


def set_raw_value(variable: Variable, value: Any) -> None:
    """Store ``value`` in a Variable, bypassing any store hooks (no cast, no check)."""
    _SLOT.__set__(variable, value)


def set_residual(variable: Variable, residual: Any) -> None:
    """Store a compensated Variable's residual (auxiliary state), no cast or check."""
    variable._residual = residual


def tracked_variable_class(before_read: Callable[[], None], before_write: Callable[[], None],
                           owner: Callable[[], Any]) -> type:
    """A Variable subclass whose value reads call ``before_read()`` and writes ``before_write()``.

    ``owner`` (a weak reference to the store) is kept on the class for `store_of`.
    Copies and pickles of its instances are plain Variables.
    """

    def get(self):
        before_read()
        return _SLOT.__get__(self, Variable)

    def set_(self, value):
        before_write()
        _SLOT.__set__(self, value)

    def reduce(self, protocol=2):
        return plain_variable, (self.name, self.shape, self.dtype, self.aggregation,
                                self.initializer, get(self))

    return type("Variable", (Variable,), {
        "__slots__": (), "_value": property(get, set_), "__reduce_ex__": reduce,
        "__module__": Variable.__module__, _STORE_ATTRIBUTE: owner})


def bind_store(variable: Variable, cls: type) -> None:
    """Switch ``variable`` to a `tracked_variable_class` ``cls``."""
    variable.__class__ = cls


def unbind_store(variable: Variable) -> None:
    """Switch ``variable`` back to the plain Variable class."""
    variable.__class__ = Variable


def store_of(variable: Variable) -> Any:
    """The live store ``variable`` is bound to, or None."""
    owner = type(variable).__dict__.get(_STORE_ATTRIBUTE)
    return None if owner is None else owner()


def plain_variable(name, shape, dtype, aggregation, initializer, value) -> Variable:
    """A plain Variable with these fields (copies and pickles of a store's Variables)."""
    plain = object.__new__(Variable)
    for key, item in (("name", name), ("shape", shape), ("dtype", dtype),
                      ("aggregation", aggregation), ("initializer", initializer)):
        object.__setattr__(plain, key, item)
    _SLOT.__set__(plain, value)
    plain.compensated = Variable((), "zeros", dtype, aggregation=aggregation).compensated
    plain._residual = zeros(shape, dtype) if plain.compensated else None
    return plain
