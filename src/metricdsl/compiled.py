"""The compiled stateful path: a metric's ``update_state``/``result`` at top level.

`CompiledPath` (a base of `metricdsl.base.MetricBase`) holds the methods the
entry wrappers call: they fetch the compiled stateless function shared per
(class, static configuration) — a `metricdsl.tracing.GuardedJit` that stays
exact when the Python values the methods read change — run it on the
variables' values (and the residuals of compensated sums), and write the new
values back only on success, so an update that raises leaves the state as it
was. A method that cannot be traced switches its class to eager, once, with a
`MetricEagerWarning` naming what happened.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from . import ops
from .arguments import Static, freeze, prepare_all, prepare_kwargs, unprepare
from .entries import RAW
from .errors import MetricEagerWarning
from .packed import Packed, layout_of
from .scope import ensure_privates, privates_of
from .tracing import TRACER_ERRORS, GuardedJit, SideEffect, TraceGuard, watch_function
from .variables import deferred_sums, settle

__all__ = ["VERSION", "CompiledPath", "bump"]

#: Bumped whenever a metric gains a variable or sub-metric (invalidates cached layouts).
VERSION = [0]


def bump() -> None:
    """A metric's variable layout changed somewhere: cached layouts are stale."""
    VERSION[0] += 1


_CACHE: dict[tuple, Any] = {}


_VALIDATED = "_validated"  # suffix of the compiled-function kinds that run value checks
_VALIDATED_UPDATE = "update" + _VALIDATED


class _Compiled:
    """One guarded, jitted stateless function shared by all instances with the same static key."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        validated = kind.endswith(_VALIDATED)  # a failed check must leave the state as it was
        self.guarded = GuardedJit(self._traced, validated=validated,
                                  donate=kind == "update")

    def _traced(self, metric, state, payload):
        metrics = [metric, *metric._md_all_metrics()]
        for owner in metrics:
            for value in owner.__dict__.values():
                watch_function(value)
        member = "update_state" if self.kind.startswith("update") else "result"
        layout, buffers = state
        packed = metric._md_pk[1]
        values, residuals = packed.unpack(buffers)
        with TraceGuard(metrics, member), ops.validating(self.guarded.validated):
            if member == "result":
                return metric._md_in_scope(values, metric.result, residuals)[0]
            args, kwargs = unprepare(payload[0]), unprepare(payload[1] or {})
            with deferred_sums():  # the compensated adds, vectorised when packed
                _, values, residuals = metric._md_in_scope(
                    values, lambda: metric.update_state(*args, **kwargs), residuals)
        if layout_of(metric.variables) == layout.value:
            return packed.pack(values, residuals), None
        # The update created variables (a new layout): the buffers pass through unchanged.
        settled = settle([*values, *residuals], lambda shape: True)
        return tuple(buffers), (tuple(settled[:len(values)]), tuple(settled[len(values):]))

    def __deepcopy__(self, memo) -> _Compiled:
        return self  # a shared cache entry: copies of a metric share it too


class CompiledPath:
    """The compiled stateful methods of every metric (mixed into `MetricBase`)."""

    __slots__ = ()

    if TYPE_CHECKING:  # the rest of the metric API comes from MetricBase
        def __getattr__(self, name: str) -> Any: ...

    def _md_key(self) -> tuple:
        fp = self.__dict__.get("_md_fp")
        if fp is None:
            ensure_privates(self)
            fp = tuple((k, freeze(v)) for k, v in self.__dict__.items()
                       if not k.startswith("_md_") and k not in ("name", "_variables", "_metrics"))
            fp += tuple((id(p._md_definition), tuple((k, freeze(v)) for k, v in
                                                     p.md_state().items()))
                        for p in privates_of(self))
            object.__setattr__(self, "_md_fp", fp)
        subs = self.__dict__.get("_metrics")
        return (type(self), fp, tuple(m._md_key() for m in subs)) if subs else (type(self), fp)

    def _md_go_eager(self, reason: str) -> None:
        type.__setattr__(type(self), "_md_eager_detected", True)
        warnings.warn(
            f"Metric class {type(self).__name__}: {reason}; it cannot be compiled with jax.jit and "
            "runs eagerly from now on (slower). Keep Python state changes and value-dependent "
            "Python branches out of update_state/result, or set m.run_eagerly = True.",
            MetricEagerWarning, stacklevel=4)

    def _md_compiled(self, kind: str) -> _Compiled:
        """The shared compiled function for this class and static configuration."""
        slot = "_md_fn_" + kind
        compiled = self.__dict__.get(slot)
        if compiled is None:
            key = (kind, self._md_key())
            compiled = _CACHE.get(key)
            if compiled is None:
                compiled = _CACHE[key] = _Compiled(kind)
            if not self.__dict__.get("_metrics"):  # sub-metrics' configs can change: no pin
                object.__setattr__(self, slot, compiled)
        return compiled

    def _md_unpack(self) -> None:
        """Hand the variables back from the packed store (the eager path's state)."""
        packed = self.__dict__.get("_md_pk")
        if packed is not None:
            packed[1].release()
            object.__delattr__(self, "_md_pk")

    def _md_live_state(self) -> tuple[tuple, tuple]:
        """``(values, residuals)`` of the (unpacked) variables: the eager path's input."""
        self._md_unpack()
        variables = self.variables
        return (tuple([v._value for v in variables]),
                tuple([v._residual for v in variables if v.compensated]))

    def _md_packed(self) -> tuple[Packed, Static]:
        """The packed variables for the compiled path (a new store when stale), and its layout."""
        cached = self.__dict__.get("_md_pk")
        if cached is None or cached[0] != VERSION[0] or cached[1].released:
            if cached is not None:
                cached[1].release()
            packed = Packed(self.variables)
            cached = (VERSION[0], packed, Static(packed.layout))
            object.__setattr__(self, "_md_pk", cached)
        cached[1].refresh()
        return cached[1], cached[2]

    def _md_compiled_state(self, kind: str, payload: Any, eager, *eager_args) -> Any:
        """Run the compiled ``kind`` on the packed state (``eager(*eager_args)`` when it cannot)."""
        if self.run_eagerly or type(self).__dict__.get("_md_eager_detected"):
            return eager(*eager_args)
        packed, layout = self._md_packed()
        packed.quiet = True
        try:
            return self._md_compiled(kind).guarded(self, (layout, packed.buffers), payload)
        except SideEffect as effect:
            self._md_go_eager(str(effect))
        except TRACER_ERRORS as err:
            self._md_go_eager(f"{kind} branches on array values ({type(err).__name__})")
        finally:
            packed.quiet = False
        return eager(*eager_args)

    def _md_update_entry(self, args, kwargs) -> None:
        if not self.built:
            self._md_build_from(args, kwargs)
        payload = (prepare_all(args, self), prepare_kwargs(kwargs, self) if kwargs else None)
        buffers, new_layout = self._md_compiled_state(
            _VALIDATED_UPDATE if self.validate else "update", payload,
            self._md_eager_from_payload, payload)
        if buffers is not None:
            packed = self._md_pk[1]
            packed.buffers = buffers
            packed.dirty = True
        if new_layout is not None:  # the eager path, or an update that created variables
            self._md_write(*new_layout)

    def _md_eager_from_payload(self, payload) -> tuple[None, tuple]:
        return None, self._md_eager_update(unprepare(payload[0]), unprepare(payload[1] or {}))

    def _md_write(self, values, residuals) -> None:
        """Write values and residuals into the (unpacked) variables."""
        self._md_unpack()
        variables = self.variables
        for variable, value in zip(variables, values):
            variable._value = value
        for variable, residual in zip([v for v in variables if v.compensated], residuals):
            variable._residual = residual

    def _md_eager_update(self, args, kwargs) -> tuple:
        state = self._md_live_state()
        with ops.validating(self.validate):
            _, values, residuals = self._md_in_scope(
                state[0], lambda: RAW["update_state"](self, *args, **kwargs), state[1])
            return tuple(values), tuple(residuals)

    def _md_build_from(self, args, kwargs) -> None:
        y_true = kwargs.get("y_true", args[0] if args else None)
        y_pred = kwargs.get("y_pred", args[1] if len(args) > 1 else None)
        specs = [None if a is None else jax.ShapeDtypeStruct(np.shape(a), jnp.result_type(
            ops.unwrap(a) if not isinstance(a, (list, tuple)) else np.asarray(a)))
            for a in (y_true, y_pred)]
        self.build(*specs)
        object.__setattr__(self, "_md_build_specs",
                           [None if s is None else (s.shape, s.dtype.name) for s in specs])

    def _md_result_entry(self) -> Any:
        self._check_super_called()
        self._md_require_built()

        def eager():
            state = self._md_live_state()
            return self._md_in_scope(state[0], lambda: RAW["result"](self), state[1])[0]

        return self._md_compiled_state("result", None, eager)

    def _md_reset_entry(self) -> None:
        self._check_super_called()
        _, new, residuals = self._md_in_scope([v._value for v in self.variables],
                                              lambda: RAW["reset_state"](self))
        self._md_write(new, residuals)
