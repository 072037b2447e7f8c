"""`MetricCollection`: many metrics over one model's outputs, updated together in one jitted call.

State for the stateless API is a ``list`` with one entry per metric of
`MetricCollection.metrics` (compiled metrics, then `add_metric` trackers);
each entry is that metric's list of variable values (its
``stateless_reset_state()`` layout). `MetricCollection.named_state` wraps it
in a `CollectionState`, the same sequence reachable by result name too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jax

from .. import ops
from ..base import MetricBase
from ..builtin import metric_mean, metric_sum
from . import seam
from .build import build_members, check_arguments, check_order, not_built_error, ready_members
from .errors import CompileMetricsError
from .fused import GROUPS, Retry, fused_update, member_update, takes_groups, update_members
from .member import Member
from .merge import check_mergeable, merge_states
from .naming import check_result_keys, member_keys, name_results
from .store import Store
from .structure import Layout, as_input, flatten_metrics

__all__ = ["CollectionState", "MetricCollection"]

_DROPPED_ON_COPY = ("_jitted", "_store", "_fused", "_eager")


class CollectionState(Sequence):
    """A collection's stateless state: one metric `State` per member, by result name too.

    A ``Sequence`` in `MetricCollection.metrics` order (the plain list's layout)
    whose entries are also reachable by the member's result name
    (``state["mae"]``); a pytree whose paths carry those names. The stateless
    methods given one return one.

    Example:
        >>> import metricdsl as md
        >>> c = MetricCollection([md.metric_mean_absolute_error(name="mae")])
        >>> state = c.named_state(c.stateless_reset_state())
        >>> state.keys(), float(state["mae"]["total"])
        (['mae'], 0.0)
    """

    __slots__ = ("names", "states")

    def __init__(self, states: Sequence[Any], names: Sequence[str]) -> None:
        self.states, self.names = tuple(states), tuple(names)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            if index not in self.names:
                raise KeyError(f"CollectionState has no metric {index!r}; its metrics are "
                               f"{list(self.names)}.")
            return self.states[self.names.index(index)]
        return self.states[index]

    def __len__(self) -> int:
        return len(self.states)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.states)

    def keys(self) -> list[str]:
        """The members' result names, in `MetricCollection.metrics` order."""
        return list(self.names)

    def items(self) -> list[tuple[str, Any]]:
        """``(result name, State)`` pairs."""
        return list(zip(self.names, self.states))

    def replace(self, states: Sequence[Any]) -> CollectionState:
        """The same names holding other states."""
        return CollectionState(states, self.names)

    def __repr__(self) -> str:
        return f"CollectionState({', '.join(self.names)})"


jax.tree_util.register_pytree_with_keys(
    CollectionState,
    lambda s: ([(jax.tree_util.DictKey(n), x) for n, x in zip(s.names, s.states)], s.names),
    lambda names, states: CollectionState(list(states), names),
    flatten_func=lambda s: (s.states, s.names))


def _like(state: Any, new: list) -> Any:
    """``new`` in the container type of ``state`` (a CollectionState stays one)."""
    return state.replace(new) if isinstance(state, CollectionState) else new


class MetricCollection:
    """Many metrics over one model's outputs, updated together in one jitted call.

    Made by `compile_metrics`. ``update_state(y_true, y_pred, sample_weight=None)``
    accumulates a batch, ``result()`` returns a flat ``{name: value}`` dict named
    as Keras 3 logs them (a metric whose result is a dict contributes
    ``<name>_<entry>`` keys), ``reset_state()`` clears everything.

    Stateless use (inside ``jax.jit``, ``lax.scan``, a training step)::

        collection.build(y_true, y_pred)          # arrays or jax.ShapeDtypeStruct
        state = collection.stateless_reset_state()
        state = collection.stateless_update_state(state, y_true, y_pred,
                                                  sample_weight=None, extra={"loss": loss})
        logs = collection.stateless_result(state)

    ``build`` is needed only when some entry waits for the first batch (string
    identifiers, classes, functions, configs, lazily built metrics); a
    collection of built metric instances is ready as made (before its first
    batch, results are keyed by the bare metric names).

    ``state`` is a list with one entry per metric in `metrics` (each that
    metric's list of variable values, its ``stateless_reset_state()`` layout).
    ``extra`` feeds values to trackers declared with `add_metric`
    (``add_metric(None, "loss")`` declares one without a value); declare them
    before ``stateless_reset_state()``.

    The member metrics stay usable on their own: reading one's variables or
    result gives the collection's current state. Collections pickle and
    ``copy.deepcopy`` (when their entries do): the copy has the same results
    and its own state.

    ``validate = True`` (here, or on any member metric) checks every batch as
    `Metric`'s ``validate`` does (finite values, class-id ranges) for all
    member metrics; a failing check raises a ``ValueError`` and leaves every
    metric's state unchanged.

    Example:
        >>> import numpy as np
        >>> import metricdsl as md
        >>> c = MetricCollection([md.metric_mean_absolute_error(name="mae")])
        >>> state = c.stateless_reset_state()          # no build: every member is built
        >>> state = c.stateless_update_state(state, np.zeros((2, 1)), np.ones((2, 1)))
        >>> {k: float(v) for k, v in c.stateless_result(state).items()}
        {'mae': 1.0}
    """

    validate = False
    #: Compute declared shared state once per batch (`metricdsl.functional.SharedState`):
    #: metrics with the same kernel, static configuration and inputs share it. Results
    #: are the same either way; False computes each metric's own.
    share_state = True

    def __init__(self, metrics: Any = None, weighted_metrics: Any = None, *,
                 output_names: list[str] | None = None) -> None:
        check_arguments(metrics, weighted_metrics, output_names)
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.output_names = list(output_names) if output_names is not None else None
        self._trackers: list[Member] = []
        self._layout: Layout | None = None
        self._state_order: list[MetricBase] | None = None  # of a state handed out unbuilt
        self._jitted: dict[Any, Any] = {}
        self._store: Store | None = None
        self._fused: list[int] = []
        self._eager: list[Member] = []
        ready = ready_members(metrics, weighted_metrics, self.output_names)
        if ready:
            check_result_keys(ready)
        self._compiled: list[Member] = ready or []
        self.built = ready is not None or not (
            flatten_metrics(metrics) or flatten_metrics(weighted_metrics))

    # -- building -------------------------------------------------------------------------
    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve every entry from the outputs' shapes and build lazily built metrics.

        Args:
            y_true: Targets: one array, or a list/dict with one per output (arrays
                or ``jax.ShapeDtypeStruct``).
            y_pred: Predictions, with the outputs' structure.

        Raises:
            CompileMetricsError: if the metrics do not fit the outputs' structure, or
                two of them would report the same result key.
        """
        layout = Layout.of(y_pred, self.output_names)
        members = build_members(self._user_metrics, self._user_weighted, layout, y_true, y_pred)
        check_order(self._state_order, members)
        check_result_keys(members + self._trackers)
        self._state_order = None
        self._release()
        self._layout = layout
        self._compiled = members
        self.built = True

    @property
    def metrics(self) -> list[MetricBase]:
        """The resolved metric instances in result order (empty until built), then trackers."""
        return [m.metric for m in self._members()]

    @property
    def variables(self) -> list:
        """Every member's variables, in `metrics` order."""
        return [v for m in self.metrics for v in m.variables]

    def _members(self) -> list[Member]:
        return (self._compiled if self.built else []) + self._trackers

    def _require_built(self) -> None:
        if not self.built:
            raise not_built_error(self._user_metrics, self._user_weighted)

    def _release(self) -> None:
        """Drop the packed store and compiled functions (the members changed)."""
        if self._store is not None:
            self._store.release()
        self._store = None
        self._jitted.clear()

    def _ready(self) -> Store:
        """The packed store for the current members (created, or repacked if needed)."""
        store = self._store
        if store is None or store.released:
            self._release()
            members = self._members()
            self._fused = [i for i, m in enumerate(members) if not seam.runs_eagerly(m.metric)]
            self._eager = [m for i, m in enumerate(members) if i not in self._fused]
            store = self._store = Store([members[i].metric for i in self._fused])
        store.refresh()
        return store

    # -- add_metric ------------------------------------------------------------------------
    def add_metric(self, value: Any, name: str, aggregation: str = "mean") -> None:
        """Track a value computed elsewhere (a loss, a norm) as a running mean or sum.

        The tracker is created on the first call with ``name`` and reported by
        `result` under ``name`` (after the compiled metrics), reset with them.
        ``value=None`` only declares it. In a loop, prefer
        ``update_state(..., extra={name: value})`` (one call for everything); in
        the stateless path use ``stateless_update_state(..., extra={name: value})``.

        Args:
            value: A scalar or array (its mean or sum is added), or None.
            name: The result key.
            aggregation: ``"mean"`` (a `metric_mean`) or ``"sum"`` (a `metric_sum`).

        Raises:
            CompileMetricsError: for another aggregation, a name used by another
                tracker with another aggregation, a non-string name, or a name that
                is the result key of a dict result's entry.
        """
        if aggregation not in ("mean", "sum"):
            raise CompileMetricsError(
                f"add_metric({name!r}): aggregation must be 'mean' or 'sum'; received "
                f"{aggregation!r}.")
        if not isinstance(name, str) or not name:
            raise CompileMetricsError(f"add_metric: name must be a non-empty string; received "
                                      f"{name!r}.")
        tracker = self._tracker(name)
        if tracker is None:
            cls = metric_mean if aggregation == "mean" else metric_sum
            tracker = Member(cls(name=name), tracker=aggregation)
            check_result_keys([*self._members(), tracker])
            self._release()
            self._trackers.append(tracker)
        elif tracker.tracker != aggregation:
            raise CompileMetricsError(
                f"add_metric({name!r}): this tracker aggregates by {tracker.tracker!r}; received "
                f"aggregation={aggregation!r}.")
        if value is not None:
            tracker.metric.update_state(value)

    def _tracker(self, name: str) -> Member | None:
        for member in self._trackers:
            if member.metric.name == name:
                return member
        return None

    # -- the stateful update ---------------------------------------------------------------
    def _update_fn(self, store: Store) -> Callable:
        """The fused jitted update, shared by collections with the same metrics and layout."""
        key = ("update", self._validates(), bool(self.share_state))
        fn = self._jitted.get(key)
        if fn is None:
            members = [self._members()[i] for i in self._fused]
            fn = self._jitted[key] = fused_update(members, store, key[1], key[2])
        return fn

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *,
                     extra: Mapping[str, Any] | None = None, groups: Any = None) -> None:
        """Accumulate one batch in every metric (one jitted call).

        Args:
            y_true: Targets, with the outputs' structure.
            y_pred: Predictions: one array, or a list/dict of arrays per output.
            sample_weight: None, one array (used for every output), or one per
                output (list or dict). Only ``weighted_metrics`` receive it.
            extra: ``{tracker name: value}`` for trackers made by `add_metric`.
            groups: Integer group ids per sample, for the members that keep a
                state per group (`metricdsl.sliced`, and bootstraps of one).

        Raises:
            CompileMetricsError: if the outputs do not have the structure of the
                first batch, ``extra`` names an unknown tracker, or ``groups`` is
                given to a collection with no sliced member.
        """
        if self._layout is None:
            self.build(y_true, y_pred)
        assert self._layout is not None  # build() sets it
        inputs = self._layout.inputs(y_true, y_pred, sample_weight)
        extra = self._extra(extra, groups)
        while True:
            store = self._ready()
            try:
                buffers = self._update_fn(store)(store.buffers, *inputs, extra)
                break
            except Retry as retry:
                self._release()
                seam.mark_eager(retry.member.metric, retry.reason)
        saved = [[v.value for v in m.metric.variables] for m in self._eager]
        try:
            with ops.validating(self._validates()):
                for member in self._eager:
                    member_update(member, None, inputs[0], inputs[1], inputs[2], extra, False,
                                  eager=True)
        except Exception:
            for member, values in zip(self._eager, saved):
                for variable, value in zip(member.metric.variables, values):
                    variable.assign(value)
            raise
        store.buffers = buffers
        store.dirty = True

    def _validates(self) -> bool:
        """Whether updates run the value checks: ``validate`` here or on any member metric."""
        return bool(self.validate) or any(m.metric.validate for m in self._members())

    def _extra(self, extra: Mapping[str, Any] | None, groups: Any = None) -> dict:
        if groups is not None:
            if not any(takes_groups(m.metric) for m in self._members()):
                raise CompileMetricsError(
                    "MetricCollection: groups= was given, but no member keeps a state per "
                    "group; wrap a metric with md.sliced(metric, num_groups) to use it.")
            return {**self._extra(extra), GROUPS: as_input(groups)}
        if not extra:
            return {}
        names = [m.metric.name for m in self._trackers]
        unknown = [k for k in extra if k not in names]
        if unknown:
            raise CompileMetricsError(
                f"MetricCollection: extra names the tracker(s) {unknown}, which do not exist "
                f"(trackers: {names}). Declare them first with collection.add_metric(None, name).")
        return {k: as_input(v) for k, v in extra.items()}

    # -- results ----------------------------------------------------------------------------
    def _values(self, state: list) -> list:
        return [m.metric.stateless_result(s) for m, s in zip(self._members(), state)]

    def result(self) -> dict[str, Any]:
        """``{name: value}`` for every metric (a dict result as ``<name>_<entry>`` keys).

        Raises:
            CompileMetricsError: if the collection has metrics but was never built.
        """
        self._require_built()
        if self._store is not None:
            self._store.sync()
        members = self._members()
        return name_results(members, [m.metric.result() for m in members])

    def reset_state(self) -> None:
        """Reset every metric and tracker."""
        for member in self._members():
            member.metric.reset_state()

    # -- the stateless API ------------------------------------------------------------------
    def stateless_reset_state(self) -> list:
        """Initial state: one list of variable values per metric in `metrics`.

        Raises:
            CompileMetricsError: if some entry waits for the first batch (the
                message lists them) and `build` was not called.
        """
        self._require_built()
        if self._layout is None and self._compiled:
            self._state_order = [m.metric for m in self._compiled]
        return [m.metric.stateless_reset_state() for m in self._members()]

    @property
    def state_names(self) -> list[str]:
        """One name per entry of the state: each member's result key (of a dict result, the
        prefix of its entries' keys)."""
        self._require_built()
        return member_keys(self._members())

    def named_state(self, state: Sequence[Any]) -> CollectionState:
        """``state`` (a list from `stateless_reset_state`) as a `CollectionState`, by result name.

        Raises:
            CompileMetricsError: if the collection is not built or ``state`` has the
                wrong structure.
        """
        self._check_state(state)
        return CollectionState(state, self.state_names)

    def _pure(self, name: Any, fn: Callable) -> Callable:
        """``fn``, jitted once per collection unless a member runs eagerly."""
        jitted = self._jitted.get(name)
        if jitted is None:
            eager = any(seam.runs_eagerly(m.metric) for m in self._members())
            jitted = self._jitted[name] = fn if eager else jax.jit(fn)
        return jitted

    def stateless_update_state(self, state: list, y_true: Any, y_pred: Any,
                               sample_weight: Any = None, *,
                               extra: Mapping[str, Any] | None = None,
                               groups: Any = None) -> list:
        """Pure update: the new state after one batch (works inside ``jax.jit``).

        Raises:
            CompileMetricsError: if the collection is not built, or ``state`` or the
                outputs do not have the expected structure.
        """
        self._require_built()
        self._check_state(state)
        if self._layout is None:  # built members or only trackers: the outputs give the layout
            self.build(y_true, y_pred)
        assert self._layout is not None  # build() sets it
        members = self._members()
        share = bool(self.share_state)

        def update(state, trues, preds, weights, extra):
            return update_members(members, state, trues, preds, weights, extra, False, share)

        return _like(state, self._pure(("stateless", share), update)(
            list(state), *self._layout.inputs(y_true, y_pred, sample_weight),
            self._extra(extra, groups)))

    def stateless_result(self, state: list) -> dict[str, Any]:
        """Pure result: the flat ``{name: value}`` dict computed from ``state``."""
        self._require_built()
        self._check_state(state)
        return name_results(self._members(), self._pure("values", self._values)(list(state)))

    def stateless_merge_state(self, state_a: list, state_b: list) -> list:
        """Pure merge: the state of two parts of the data (e.g. shards), per variable.

        Each variable's two values are combined by its ``aggregation``: ``"sum"``
        adds, ``"max"``/``"min"`` take the extreme, ``"mean"`` averages,
        ``"only_first_replica"`` keeps ``state_a``'s. Works inside ``jax.jit``;
        merging the states of the parts equals one pass over all the data.

        Args:
            state_a: A state of this collection (from `stateless_update_state`).
            state_b: Another one.

        Returns:
            The merged state, with the same layout.

        Raises:
            CompileMetricsError: if the collection is not built, a state has the
                wrong structure, or a variable has ``aggregation="none"`` (the
                message names the metric and variable).

        Example:
            >>> import numpy as np
            >>> import metricdsl as md
            >>> c = md.compile_metrics(["mae"])
            >>> c.build(np.zeros((2, 1)), np.zeros((2, 1)))
            >>> a = c.stateless_update_state(c.stateless_reset_state(), [[0.0]], [[1.0]])
            >>> b = c.stateless_update_state(c.stateless_reset_state(), [[0.0]], [[3.0]])
            >>> float(c.stateless_result(c.stateless_merge_state(a, b))["mae"])
            2.0
        """
        self._require_built()
        self._check_state(state_a)
        self._check_state(state_b)
        members = self._members()
        check_mergeable(members)
        return _like(state_a, self._pure("merge", lambda a, b: merge_states(members, a, b))(
            list(state_a), list(state_b)))

    def _check_state(self, state: Any) -> None:
        members = self._members()
        if not isinstance(state, (list, tuple, CollectionState)) or len(state) != len(members):
            raise CompileMetricsError(
                f"MetricCollection: state must be a list with one entry per metric "
                f"({len(members)}: {[m.metric.name for m in members]}), as returned by "
                f"stateless_reset_state(); received {type(state).__name__} of length "
                f"{len(state) if hasattr(state, '__len__') else '?'}. Declare add_metric trackers "
                "before calling stateless_reset_state().")

    # -- merging, copying -------------------------------------------------------------------
    def merge_state(self, others: Any) -> None:
        """Merge the states of other collections with the same metrics (e.g. shards).

        Raises:
            CompileMetricsError: if a collection is unbuilt or has other metrics.
        """
        others = [others] if isinstance(others, MetricCollection) else list(others)
        self._require_built()
        mine = self.metrics
        for other in others:
            theirs = other.metrics if isinstance(other, MetricCollection) and other.built else None
            if theirs is None or [type(m) for m in theirs] != [type(m) for m in mine]:
                raise CompileMetricsError(
                    f"MetricCollection.merge_state: cannot merge {other!r}; expected a built "
                    f"collection with the metrics {[type(m).__name__ for m in mine]}.")
        for i, metric in enumerate(mine):
            metric.merge_state([other.metrics[i] for other in others])

    def __getstate__(self) -> dict:
        """Everything but the packed store and compiled functions (rebuilt on first use)."""
        if self._store is not None:
            self._store.sync()
        return {k: v for k, v in self.__dict__.items() if k not in _DROPPED_ON_COPY}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._jitted, self._store, self._fused, self._eager = {}, None, [], []

    def __repr__(self) -> str:
        names = [m.name for m in self.metrics] if self.built else self._user_metrics
        return f"<MetricCollection metrics={names!r} built={self.built}>"
