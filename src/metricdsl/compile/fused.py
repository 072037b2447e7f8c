"""The fused update: every traceable member updated in one jitted call over the packed store.

The jitted function is shared by every collection whose members trace alike
(same classes and static configs, outputs, weighting and variable layout), so
a second identical collection pays no tracing or XLA compilation. A member
that turns out untraceable (Python side effects, branches on array values)
raises `Retry`; the collection then runs it eagerly and retraces the rest.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from .. import ops
from ..functional import sharing
from ..tracing import GuardedJit
from ..variables import deferred_sums
from . import seam
from .member import Member
from .store import Store

__all__ = ["GROUPS", "Retry", "fused_update", "member_update", "takes_groups", "update_members"]


#: The key of the per-sample group ids in a fused update's ``extra`` (no metric has this name).
GROUPS = "\x00groups"


def takes_groups(metric: Any) -> bool:
    """Whether ``metric.update_state`` takes ``groups=`` (a sliced metric, or a wrapper of one)."""
    while metric is not None:
        parameters = inspect.signature(metric.update_state).parameters
        if "groups" in parameters:
            return True
        if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            return False
        metric = getattr(metric, "metric", None)  # a wrapper passing keywords on (bootstrap)
    return False


class Retry(Exception):
    """A member cannot be traced: run it eagerly (``reason`` says why) and trace again."""

    def __init__(self, member: Member, reason: str) -> None:
        super().__init__(reason)
        self.member = member
        self.reason = reason


def member_update(member: Member, state: Any, trues: list, preds: list, weights: list,
                  extra: dict, guard: bool, eager: bool = False) -> Any:
    """One member's update: its new state (``eager``: a stateful update instead).

    A tracker takes its value from ``extra`` (unchanged when absent); a compiled
    metric takes its output, and ``sample_weight`` only when weighted. With
    ``guard``, Python side effects and value branches raise `Retry`.
    """
    metric = member.metric
    if member.tracker:
        name = metric.name
        if name not in extra:
            return state
        if eager:
            return metric.update_state(extra[name])
        return metric.stateless_update_state(state, extra[name])
    args = (trues[member.output], preds[member.output])
    kwargs = {}
    if member.weighted and weights[member.output] is not None:
        kwargs["sample_weight"] = weights[member.output]
    if GROUPS in extra and takes_groups(metric):
        kwargs["groups"] = extra[GROUPS]
    if eager:
        return metric.update_state(*args, **kwargs)
    if not guard:
        return metric.stateless_update_state(state, *args, **kwargs)
    try:
        with seam.trace_guard(metric):
            return metric.stateless_update_state(state, *args, **kwargs)
    except seam.SideEffect as effect:
        raise Retry(member, str(effect)) from None
    except seam.TRACER_ERRORS as err:
        raise Retry(member, f"update_state branches on array values ({type(err).__name__})") \
            from None


def update_members(members: list[Member], states: list, trues: list, preds: list, weights: list,
                   extra: dict, guard: bool, share: bool) -> list:
    """Every member's new state; with ``share``, declared shared state is computed once.

    Members whose `metricdsl.functional.SharedState` declarations agree (same
    kernel and static configuration) and that get the same inputs (output,
    weighting) compute that kernel once per batch (`metricdsl.functional.sharing`).
    """
    with sharing() if share else contextlib.nullcontext():
        return [member_update(m, s, trues, preds, weights, extra, guard)
                for m, s in zip(members, states)]


class _SharedUpdate:
    """One guarded, jitted fused update, reused by every collection whose members trace alike.

    Like a metric's own compiled update it is a `GuardedJit`: the Python values
    the members' methods read are checked on every call.
    """

    def __init__(self, validate: bool = False, share: bool = True) -> None:
        self.validate, self.share = validate, share
        self.guarded = GuardedJit(self._traced, validated=validate)

    def _traced(self, subject, buffers, trues, preds, weights, extra):
        members, store = subject
        for member in members:
            seam.watch_attributes(member.metric)
        store.quiet = True
        try:
            with ops.validating(self.validate), deferred_sums():
                states = store.unpack_states(buffers)
                return store.pack_states(update_members(
                    members, states, trues, preds, weights, extra, True, self.share))
        finally:
            store.quiet = False

    def bind(self, members: list[Member], store: Store) -> Callable:
        return functools.partial(self.guarded, (members, store))


_SHARED: dict[tuple, _SharedUpdate] = {}


def fused_update(members: list[Member], store: Store, validate: bool,
                 share: bool = True) -> Callable:
    """``fn(buffers, trues, preds, weights, extra) -> new buffers`` for these members.

    Raises (when called): `Retry` for an untraceable member; ``ValueError``
    for a failed value check when ``validate``.
    """
    key = (tuple((seam.compile_key(m.metric), m.output, m.weighted,
                  m.metric.name if m.tracker else None) for m in members),
           store.layout, validate, share)
    shared = _SHARED.get(key)
    if shared is None:
        shared = _SHARED[key] = _SharedUpdate(validate, share)
    return shared.bind(members, store)
