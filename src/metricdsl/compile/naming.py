"""Result keys as Keras 3 logs them: output prefixes, ``name_1`` and ``weighted_name``.

Each member gets Keras 3's key; a member whose result is a dict contributes
one ``<key>_<entry>`` per entry (Keras nests the dict under the key), so two
members with the same entries (two bootstraps' ``value``/``low``/``high``)
keep distinct keys.
"""

from __future__ import annotations

from typing import Any

import jax

from . import seam
from .errors import CompileMetricsError
from .member import Member

__all__ = ["check_result_keys", "member_keys", "name_results"]


def member_keys(members: list[Member]) -> list[str]:
    """Keras 3's result key of each member (also the entries' prefix of a dict result).

    A key is the metric's name, prefixed ``"<output>_"`` for a named output of
    a multi-output model. On a collision an unweighted metric gets the next
    free ``name_<k>``; a weighted one becomes ``weighted_<name>`` (then
    ``weighted_<name>_<k>``).

    Example:
        >>> import metricdsl as md
        >>> mse = [Member(md.metric_mean_squared_error(name="mse")) for _ in range(3)]
        >>> weighted = Member(md.metric_mean_squared_error(name="mse"), weighted=True)
        >>> member_keys([*mse, weighted])
        ['mse', 'mse_1', 'mse_2', 'weighted_mse']
    """
    keys: list[str] = []
    next_index: dict[str, int] = {}

    def claim(name: str) -> str:
        if name not in keys:
            return name
        index = next_index.get(name, 1)
        while f"{name}_{index}" in keys:
            index += 1
        next_index[name] = index + 1
        return f"{name}_{index}"

    for member in members:
        prefix = f"{member.prefix}_" if member.prefix else ""
        key = prefix + member.metric.name
        if key in keys and member.weighted:
            key = f"{prefix}weighted_{member.metric.name}"
        keys.append(claim(key))
    return keys


def name_results(members: list[Member], values: list) -> dict[str, Any]:
    """The flat result dict: each member's value under its `member_keys` key.

    A dict value contributes ``"<key>_<entry>"`` for each of its entries.

    Args:
        members: The collection's members in result order.
        values: One result per member (a value or a ``{entry: value}`` dict).

    Returns:
        A flat ``{key: value}`` dict in member order.

    Raises:
        CompileMetricsError: if a dict entry's key is another member's key (or
            entry's); the message names both members.

    Example:
        >>> import metricdsl as md
        >>> a, b = Member(md.metric_mean(name="a")), Member(md.metric_mean(name="b"))
        >>> name_results([a, b], [1.0, {"low": 0.0, "high": 2.0}])
        {'a': 1.0, 'b_low': 0.0, 'b_high': 2.0}
    """
    results: dict[str, Any] = {}
    owners: dict[str, Member] = {}
    for member, key, value in zip(members, member_keys(members), values):
        items = ([(f"{key}_{entry}", item) for entry, item in value.items()]
                 if isinstance(value, dict) else [(key, value)])
        for name, item in items:
            if name in owners:
                raise CompileMetricsError(
                    f"compile_metrics: {_label(owners[name])} and {_label(member)} both report "
                    f"the result key {name!r} (a metric whose result is a dict reports "
                    "'<its key>_<entry>'); give one of them another name (name=...).")
            results[name], owners[name] = item, member
    return results


def _label(member: Member) -> str:
    return f"{type(member.metric).__name__} {member.metric.name!r}"


def check_result_keys(members: list[Member]) -> None:
    """Raise now, rather than at the first result, if two members would report the same key.

    Only a member whose key prefixes another's (``auc`` and ``auc_value``) can
    collide, so only such members' results are traced (for their structure).

    Raises:
        CompileMetricsError: as `name_results` does.
    """
    keys = member_keys(members)
    involved = {i for i, a in enumerate(keys) for j, b in enumerate(keys)
                if i != j and (b.startswith(f"{a}_") or a.startswith(f"{b}_"))}
    if involved:
        name_results(members, [_structure(m.metric) if i in involved else None
                               for i, m in enumerate(members)])


def _structure(metric: Any) -> Any:
    """``metric``'s stateless result, as shapes when it traces (its dict keys are what matter)."""
    state = metric.stateless_reset_state()
    try:
        return jax.eval_shape(metric.stateless_result, state)
    except seam.TRACER_ERRORS:
        return metric.stateless_result(state)
