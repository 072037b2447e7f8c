"""Building a collection's members: its configuration resolved against the first batch.

A collection is built when every entry has become a built metric: string
identifiers, classes, functions and configs are resolved from the outputs'
shapes and structure, and lazily built metrics create their variables. A
configuration of built metric instances is ready before any batch.
"""

from __future__ import annotations

from typing import Any

from ..base import MetricBase
from . import seam
from .errors import NOT_BUILT, ORDER_CHANGED, CompileMetricsError
from .member import Member
from .resolve import check_entry, iter_entries, resolve_entry
from .structure import Layout, check_metrics_argument, flatten_metrics, per_output, spec

__all__ = ["build_members", "check_arguments", "check_order", "not_built_error",
           "ready_members"]

_ARGUMENTS = ((False, "metrics"), (True, "weighted_metrics"))


def _check_once(seen: dict[int, str], metric: MetricBase, argument: str) -> None:
    if id(metric) in seen:
        raise CompileMetricsError(
            f"compile_metrics: the metric instance {metric!r} appears twice "
            f"({seen[id(metric)]} and {argument}); its state would be updated "
            "twice per batch. Pass separate instances.")
    seen[id(metric)] = argument


def _waiting(where: str, entry: Any) -> str | None:
    """Why an entry needs the first batch, or None when it is a built metric."""
    if isinstance(entry, MetricBase):
        return None if entry.built else (
            f"{where} {type(entry).__name__} {entry.name!r} creates its variables from the "
            "first batch's shapes")
    if isinstance(entry, str):
        return f"{where} {entry!r} is a string identifier resolved from the first batch's shapes"
    return f"{where} {entry!r} is resolved when the collection is built"


def _entries(metrics: Any, weighted_metrics: Any) -> list[tuple[bool, str, Any]]:
    """``(weighted, position, entry)`` for every entry, in argument order."""
    return [(weighted, where, entry)
            for (weighted, argument), user in zip(_ARGUMENTS, (metrics, weighted_metrics))
            for where, entry in iter_entries(user, argument)]


def check_arguments(metrics: Any, weighted_metrics: Any, output_names: Any) -> None:
    """Reject, at construction, arguments no build can use (every entry is checked).

    Raises:
        UnknownIdentifierError: for an unknown string identifier (close matches listed).
        CompileMetricsError: for a non-metric entry or argument, or ``output_names``
            that is not a list of strings.
    """
    check_metrics_argument(metrics, "metrics")
    check_metrics_argument(weighted_metrics, "weighted_metrics")
    for _, where, entry in _entries(metrics, weighted_metrics):
        check_entry(entry, where)
    if output_names is not None and (isinstance(output_names, str) or not all(
            isinstance(n, str) for n in output_names)):
        raise CompileMetricsError(
            f"compile_metrics: output_names must be a list of strings; received "
            f"{output_names!r}.")


def ready_members(metrics: Any, weighted_metrics: Any,
                  output_names: list[str] | None) -> list[Member] | None:
    """Members usable before the first batch, when every entry is a built metric instance.

    They are ordered as the built collection orders them (a dict keyed by
    output follows ``output_names``, else its sorted keys) and have no output
    prefix yet. None when some entry waits for the first batch, or an
    instance is given twice (`build_members` reports that).
    """
    entries = _entries(metrics, weighted_metrics)
    if not entries or any(_waiting(where, entry) for _, where, entry in entries):
        return None
    seen: set[int] = set()
    members = []
    for (weighted, _), user in zip(_ARGUMENTS, (metrics, weighted_metrics)):
        for metric in flatten_metrics(user, output_names):
            if id(metric) in seen:
                return None
            seen.add(id(metric))
            members.append(Member(metric, weighted=weighted))
    return members


def build_members(metrics: Any, weighted_metrics: Any, layout: Layout, y_true: Any,
                  y_pred: Any) -> list[Member]:
    """Every entry resolved for its output, lazily built metrics built, in Keras's order.

    Raises:
        CompileMetricsError: if the metrics do not fit the outputs' structure, or an
            instance appears twice.
    """
    pred_leaves = [spec(x) for x in layout.flatten(y_pred, "y_pred")]
    true_leaves = [spec(x) for x in layout.flatten(y_true, "y_true")]
    members: list[Member] = []
    seen: dict[int, str] = {}
    for (weighted, argument), user in zip(_ARGUMENTS, (metrics, weighted_metrics)):
        for index, entries in enumerate(per_output(user, layout, y_pred, argument)):
            for entry in entries:
                metric = resolve_entry(entry, true_leaves[index], pred_leaves[index])
                _check_once(seen, metric, argument)
                if not metric.built:
                    seam.build_from_batch(metric, (true_leaves[index], pred_leaves[index]), {})
                members.append(Member(metric, index, layout.output_name(index), weighted))
    return members


def not_built_error(metrics: Any, weighted_metrics: Any) -> CompileMetricsError:
    """The error for the stateless API of an unbuilt collection: it lists what waits.

    Raises:
        CompileMetricsError: directly, when nothing waits but an instance is given twice.
    """
    entries = _entries(metrics, weighted_metrics)
    waiting = [w for _, where, entry in entries if (w := _waiting(where, entry))]
    if not waiting:
        seen: dict[int, str] = {}
        for _, where, metric in entries:
            _check_once(seen, metric, where)
    return CompileMetricsError(NOT_BUILT.format(waiting="; ".join(waiting)))


def check_order(order: list[MetricBase] | None, members: list[Member]) -> None:
    """A state laid out before the build (``order``) must fit the built members' order.

    Raises:
        CompileMetricsError: when the outputs order the metrics otherwise.
    """
    if order is not None and (len(order) != len(members) or any(
            a is not m.metric for a, m in zip(order, members))):
        raise CompileMetricsError(ORDER_CHANGED.format(
            now=[m.metric.name for m in members], before=[m.name for m in order]))
