"""Merging collection states: per variable, by its ``aggregation`` (pure, jittable)."""

from __future__ import annotations

from .errors import CompileMetricsError
from .member import Member

__all__ = ["check_mergeable", "merge_states"]


def check_mergeable(members: list[Member]) -> None:
    """Raise unless every member variable has a merge rule (not ``aggregation="none"``).

    Raises:
        CompileMetricsError: naming the metric and the variable.
    """
    for member in members:
        for variable in member.metric.variables:
            if variable.aggregation == "none":
                metric = member.metric
                raise CompileMetricsError(
                    f"MetricCollection.stateless_merge_state: metric {metric.name!r} "
                    f"({type(metric).__name__}) has the variable {variable.name!r} with "
                    "aggregation='none', so its states have no stateless merge rule. Give the "
                    "variable an aggregation ('sum', 'mean', 'max', 'min', "
                    "'only_first_replica'), or merge such metrics statefully with merge_state.")


def merge_states(members: list[Member], state_a: list, state_b: list) -> list:
    """The state of both parts: each variable's two values reduced by its ``aggregation``.

    ``"sum"`` adds (compensated sums exactly), ``"max"``/``"min"`` take the extreme,
    ``"mean"`` averages, ``"only_first_replica"`` keeps ``state_a``'s value. Traceable.
    """
    return [member.metric.stateless_merge_state(a, b)
            for member, a, b in zip(members, state_a, state_b)]
