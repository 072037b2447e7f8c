"""In-graph reduction of metric states across devices: one all-reduce per dtype.

Inside ``jax.shard_map`` (or ``jax.pmap``) every device updates its own state
from its shard of the batch; `reduce` then gives every device the state of the
whole batch, each variable reduced by its ``aggregation``:

- ``"sum"``: ``psum``; ``"mean"``: ``psum`` divided by the number of devices;
  ``"only_first_replica"``: device 0's value (a ``psum`` with every other
  device contributing zero). All three share one ``psum`` per dtype.
- ``"max"``: ``pmax``; ``"min"``: a ``pmax`` of the order-reversed values
  (``-x`` for floats, ``~x`` for integers, both exact), so they share one
  ``pmax`` per dtype.
- ``"none"``: an error (the metric has no merge rule).

Every value of one dtype and collective, for a metric or a whole
`MetricCollection`, is flattened into one buffer, so the common all-``"sum"``
state costs exactly one all-reduce per state dtype; a state that also has
``max``/``min`` variables adds one ``pmax`` per dtype of those.

Exactness: counts (integer counters, or float32 counts below 2**24 in total)
reduce bitwise. A compensated float sum contributes its value and its
residual to the ``psum``; the pair is then renormalised with
`metricdsl.variables.compensated_sum`. The only rounding left is that of
adding one value per device, about ``(devices - 1) / 2`` ulp of the total at
worst, whatever the number of samples (a device's own long-running sum stays
compensated). For a bitwise merge across hosts, gather the states and fold
them with ``stateless_merge_state`` (see ``docs/data_parallel.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .base import MetricBase
from .errors import DistributedError
from .state import State
from .variables import compensated_sum

__all__ = ["DistributedError", "reduce"]

_COLLECTIVE = {"sum": "psum", "mean": "psum", "only_first_replica": "psum",
               "max": "pmax", "min": "pmax"}


def reduce(state: Any, metric_or_collection: Any, axis_name: Any) -> Any:
    """The state of all devices' data, on every device (inside ``shard_map``/``pmap``).

    Args:
        state: This device's state: a metric's `State` (or Keras's list of
            values), or a collection's state (its list of States, or the
            named state from `MetricCollection.named_state`).
        metric_or_collection: The metric or `MetricCollection` the state belongs to.
        axis_name: The mapped axis (or tuple of axes) to reduce over.

    Returns:
        The reduced state, with the structure of ``state``.

    Raises:
        DistributedError: if a variable has ``aggregation="none"``, or ``state``
            does not match the metric's variables.

    Example:
        >>> import functools, jax, numpy as np
        >>> import metricdsl as md
        >>> m = md.metric_mean()
        >>> @functools.partial(jax.vmap, axis_name="d")   # 3 simulated devices
        ... def per_device(x):
        ...     state = m.stateless_update_state(m.stateless_reset_state(), x)
        ...     return m.stateless_result(reduce(state, m, "d"))
        >>> per_device(np.array([[1.0], [2.0], [6.0]])).tolist()
        [3.0, 3.0, 3.0]
    """
    metrics, states = _members(state, metric_or_collection)
    leaves, rules, rebuild = _flatten(metrics, states)
    reduced = rebuild(_all_reduce(leaves, rules, axis_name))
    if isinstance(metric_or_collection, MetricBase):
        return reduced[0]
    replace = getattr(state, "replace", None)  # a collection's named state keeps its names
    return replace(reduced) if replace is not None else reduced


def _members(state: Any, owner: Any) -> tuple[list[MetricBase], list]:
    """``(metrics, one state per metric)`` for a metric's or a collection's state."""
    if isinstance(owner, MetricBase):
        return [owner], [state]
    metrics = getattr(owner, "metrics", None)
    if metrics is None or not isinstance(state, Sequence) or len(state) != len(metrics):
        raise DistributedError(
            f"reduce: expected a metric or a MetricCollection and its state (one entry per "
            f"metric); received {type(owner).__name__} and {type(state).__name__}.")
    return list(metrics), list(state)


def _flatten(metrics: list[MetricBase], states: list) -> tuple[list, list, Any]:
    """Every value and residual, its reduction rule, and the function rebuilding the states."""
    leaves, rules, layout = [], [], []
    for metric, state in zip(metrics, states):
        variables = metric.variables
        values = state.values if isinstance(state, State) else list(state)
        if len(values) != len(variables):
            raise DistributedError(
                f"reduce: {type(metric).__name__} {metric.name!r} has {len(variables)} "
                f"variables; its state has {len(values)} entries.")
        for variable, value in zip(variables, values):
            leaves.append(jnp.asarray(value, variable.dtype))
            rules.append(_rule(metric, variable))
        residuals = list(state.aux) if isinstance(state, State) else []
        leaves += residuals
        rules += ["sum"] * len(residuals)
        layout.append((metric, state, len(values), len(residuals)))

    def rebuild(reduced: list) -> list:
        out, at = [], 0
        for metric, state, n_values, n_residuals in layout:
            values = reduced[at:at + n_values]
            residuals = reduced[at + n_values:at + n_values + n_residuals]
            at += n_values + n_residuals
            if isinstance(state, State):
                values, residuals = _renormalise(metric, values, residuals)
                out.append(state.replace(values, residuals))
            else:
                out.append(values)
        return out

    return leaves, rules, rebuild


def _rule(metric: MetricBase, variable: Any) -> str:
    if variable.aggregation == "none":
        raise DistributedError(
            f"reduce: {type(metric).__name__} {metric.name!r} has the variable "
            f"{variable.name!r} with aggregation='none', so it has no rule to combine devices. "
            "Give it an aggregation ('sum', 'mean', 'max', 'min', 'only_first_replica').")
    return variable.aggregation


def _renormalise(metric: MetricBase, values: list, residuals: list) -> tuple[list, list]:
    """Fold each compensated sum's reduced residual back into ``(total, residual)``."""
    values, renormalised = list(values), []
    compensated = [i for i, v in enumerate(metric.variables) if v.compensated]
    for i, residual in zip(compensated, residuals):
        values[i], residual = compensated_sum(values[i], jnp.zeros_like(residual), residual)
        renormalised.append(residual)
    return values, renormalised


def _working_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    return np.dtype("int32") if dtype == np.bool_ else dtype


def _reverse(x: jax.Array) -> jax.Array:
    """An exact order-reversing map (its own inverse): ``-x`` for floats, ``~x`` for integers."""
    return -x if jnp.issubdtype(x.dtype, jnp.floating) else ~x


def _all_reduce(leaves: list, rules: list, axis_name: Any) -> list:
    """Reduce every leaf by its rule with one collective per (collective, dtype)."""
    groups: dict[tuple, list[int]] = {}
    prepared = []
    first = jax.lax.axis_index(axis_name) == 0
    for i, (leaf, rule) in enumerate(zip(leaves, rules)):
        x = leaf.astype(_working_dtype(leaf.dtype))
        if rule == "only_first_replica":
            x = jnp.where(first, x, jnp.zeros_like(x))
        elif rule == "min":
            x = _reverse(x)
        prepared.append(x)
        groups.setdefault((_COLLECTIVE[rule], x.dtype), []).append(i)
    out = list(prepared)
    for (collective, _), indices in groups.items():
        flat = jnp.concatenate([jnp.ravel(prepared[i]) for i in indices])
        flat = (jax.lax.psum if collective == "psum" else jax.lax.pmax)(flat, axis_name)
        offsets = np.cumsum([0] + [prepared[i].size for i in indices])
        for i, start, stop in zip(indices, offsets[:-1], offsets[1:]):
            out[i] = flat[start:stop].reshape(prepared[i].shape)
    devices = jax.lax.axis_size(axis_name)
    return [_finish(x, rule, leaf.dtype, devices) for x, rule, leaf in zip(out, rules, leaves)]


def _finish(x: jax.Array, rule: str, dtype: Any, devices: int) -> jax.Array:
    if rule == "mean":
        x = x / devices
    elif rule == "min":
        x = _reverse(x)
    return x.astype(dtype)
