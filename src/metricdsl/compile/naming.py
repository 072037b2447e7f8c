"""Result keys as Keras 3 logs them: output prefixes, ``name_1`` and ``weighted_name``."""

from __future__ import annotations

from typing import Any

from .member import Member

__all__ = ["name_results"]


def name_results(members: list[Member], values: list) -> dict[str, Any]:
    """Keras 3's result keys for each member's value (dict results expand into their keys).

    A key is the metric's name, prefixed ``"<output>_"`` for a named output of
    a multi-output model. On a collision an unweighted metric gets the next
    free ``name_<k>``; a weighted one becomes ``weighted_<name>`` (then
    ``weighted_<name>_<k>``).

    Args:
        members: The collection's members in result order.
        values: One result per member (a value or a ``{key: value}`` dict).

    Returns:
        A flat ``{key: value}`` dict in member order.

    Example:
        >>> import metricdsl as md
        >>> mse = [Member(md.metric_mean_squared_error(name="mse")) for _ in range(3)]
        >>> weighted = Member(md.metric_mean_squared_error(name="mse"), weighted=True)
        >>> list(name_results([*mse, weighted], [0.0] * 4))
        ['mse', 'mse_1', 'mse_2', 'weighted_mse']
    """
    results: dict[str, Any] = {}
    counters: dict[str, int] = {}

    def numbered(name: str) -> str:
        while True:
            index = counters[name]
            counters[name] += 1
            candidate = f"{name}_{index}"
            if candidate not in results:
                return candidate

    for member, value in zip(members, values):
        items = value.items() if isinstance(value, dict) else [(member.metric.name, value)]
        for raw, item in items:
            key = f"{member.prefix}_{raw}" if member.prefix else raw
            if key not in results and key not in counters:
                counters[key] = 1
            elif not member.weighted:
                key = numbered(key)
            else:
                key = f"{member.prefix}_weighted_{raw}" if member.prefix else f"weighted_{raw}"
                if key not in results and key not in counters:
                    counters[key] = 1
                else:
                    key = numbered(key)
            results[key] = item
    return results
