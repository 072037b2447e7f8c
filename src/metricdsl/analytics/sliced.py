"""`sliced`: one state per group for any metric whose state merges by sum, in one update.

Each sample's contribution to the state is the metric's stateless update on
that sample alone (``jax.vmap`` over batches of one, in chunks that bound the
memory); ``jax.ops.segment_sum`` adds the contributions up by group id. When
the state is large and the groups few (AUC's 800 numbers, 64 groups), one
update per group with the other groups' weights masked to zero (a ``jax.vmap``
over groups) is less work, and is taken instead.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import ops
from ..factory import Metric
from ..registry import serialize
from .linear import (
    batch_size,
    build_wrapped,
    check_summable,
    increments,
    reweighted,
    start_wrapper,
    tree_where,
    wrapper_from_config,
)

__all__ = ["sliced"]

#: Per-sample state elements materialised at once (bounds the update's memory).
CHUNK_ELEMENTS = 1 << 20


def _sliced_initialize(metric: Any, num_groups: int, min_count: int = 0,
                       name: str | None = None):
    """``metric`` per group: one state per group id, all updated in one compiled call.

    ``update_state(y_true, y_pred, sample_weight=None, *, groups)`` takes one
    integer group id in ``[0, num_groups)`` per sample; ``result()`` has a
    leading group axis (on each array of a dict result). Each group's result
    equals the metric computed on that group's samples alone; groups with
    fewer than ``min_count`` samples are NaN. ``self.metric`` holds the state
    of all samples together. Ids outside the range count in no group; with
    ``m.validate = True`` they raise a ValueError before the state changes. A
    lazily built ``metric`` (`metric_f1_score`, `metric_r2_score`, ...) makes
    the sliced metric lazily built too: both build from the first batch
    (``update_state``, ``build`` or ``stateless_update_state``).

    Args:
        metric: A metric whose variables all merge by sum (every builtin does).
        num_groups: Number of groups (at least 1).
        min_count: Groups with fewer samples than this are NaN in the result.
        name: Metric name; default ``"sliced_<metric name>"``.

    Raises:
        TypeError: ``metric`` is not a metric instance.
        ValueError: ``metric`` has a variable that does not merge by sum (checked again
            once a lazily built one is built), ``num_groups < 1`` or ``min_count < 0``.

    Example:
        >>> import metricdsl as md
        >>> m = md.sliced(md.metric_binary_accuracy(), num_groups=2)
        >>> m.update_state([1, 0, 1, 1], [0.9, 0.8, 0.4, 0.7], groups=[0, 0, 1, 1])
        >>> m.result().tolist()
        [0.5, 0.5]
    """
    check_summable("sliced", metric)
    label = f"sliced({type(metric).__name__} {metric.name!r})"
    if num_groups < 1:
        raise ValueError(f"{label}: argument `num_groups` must be an integer >= 1; received "
                         f"{num_groups!r}.")
    if min_count < 0:
        raise ValueError(f"{label}: argument `min_count` must be an integer >= 0; received "
                         f"{min_count!r}.")
    super.initialize(name=name or f"sliced_{metric.name}", dtype=metric.dtype)
    self.num_groups, self.min_count = num_groups, min_count
    start_wrapper(self, metric)


def _sliced_build(y_true=None, y_pred=None):
    """Build the metric from the first batch if it waits for it, then the groups' states.

    ``y_true``/``y_pred`` are that batch (arrays or ``jax.ShapeDtypeStruct``),
    unused when the metric is built; `build_wrapped` raises ``ValueError`` for
    a variable that does not merge by sum.
    """
    build_wrapped("sliced", self.metric, y_true, y_pred)
    self.per_group = [
        self.add_variable((self.num_groups, *v.shape), _per_group(v), dtype=v.dtype,
                          name=f"group_{v.name}")
        for v in self.metric.variables]
    self.group_count = self.add_variable((self.num_groups,), "zeros", dtype="int32",
                                         name="group_count")
    self.built = True


def _per_group(variable: Any):
    """An initializer: ``variable``'s initial value once per group."""
    return lambda shape, dtype: jnp.broadcast_to(variable.initial_value(), shape).astype(dtype)


def _sliced_check_groups(y_true, groups):
    """``groups`` as an int32 array of shape ``(N,)``, or a ValueError/TypeError naming it."""
    label = f"{type(self).__name__} {self.name!r}"
    n = batch_size(label, y_true)
    if groups is None:
        raise ValueError(f"{label}: update_state needs groups=, one integer group id in [0, "
                         f"{self.num_groups}) per sample (shape ({n},)); received none.")
    groups = jnp.asarray(ops.unwrap(groups))
    if groups.shape != (n,):
        raise ValueError(f"{label}: groups must have shape ({n},) (one id per sample of "
                         f"y_true); received shape {groups.shape}.")
    if not jnp.issubdtype(groups.dtype, jnp.integer):
        raise TypeError(f"{label}: groups must hold integer group ids; received dtype "
                        f"{groups.dtype}.")
    groups = groups.astype(jnp.int32)
    ops.check(lambda: (groups >= 0) & (groups < self.num_groups),
              f"{label}: groups holds ids outside [0, {self.num_groups})")
    return groups


def _sliced_update_state(y_true, y_pred, sample_weight=None, *, groups=None):
    groups = self._check_groups(y_true, groups)
    steps = grouped_increments(self.metric, y_true, y_pred, sample_weight, groups,
                               self.num_groups)
    for variable, overall, step in zip(self.per_group, self.metric.variables, steps):
        variable.assign_add(step)
        overall.assign_add(jnp.sum(step, axis=0))
    self.group_count.assign_add(
        jax.ops.segment_sum(jnp.ones(groups.shape, jnp.int32), groups, self.num_groups))


def grouped_increments(metric: Any, y_true: Any, y_pred: Any, sample_weight: Any,
                       groups: jax.Array, num_groups: int) -> list[jax.Array]:
    """``metric``'s state increments per group, each of shape ``(num_groups, *variable.shape)``.

    Args:
        metric: A metric whose state merges by sum.
        y_true, y_pred, sample_weight: One batch (leading axis ``N``).
        groups: int32 group ids, shape ``(N,)``; ids outside ``[0, num_groups)`` are dropped.
        num_groups: Number of groups.
    """
    n = groups.shape[0]
    size = sum(math.prod(v.shape) for v in metric.variables)
    if num_groups * (n + size) < n * size:  # fewer passes: one masked update per group
        def masked(group):
            weights = (groups == group).astype(metric.dtype)
            return increments(metric, y_true, y_pred, reweighted(sample_weight, weights))
        return jax.vmap(masked)(jnp.arange(num_groups))
    rows = [jnp.asarray(ops.unwrap(y_true)), jnp.asarray(ops.unwrap(y_pred))]
    if sample_weight is not None:
        weight = jnp.asarray(ops.unwrap(sample_weight))
        rows.append(jnp.broadcast_to(weight, (n, *weight.shape[1:]) if weight.ndim else (n,)))

    def block(chunk, ids):
        steps = jax.vmap(lambda *row: increments(metric, *[x[None] for x in row]))(*chunk)
        return [jax.ops.segment_sum(s, ids, num_groups) for s in steps]

    chunk = max(1, min(n, CHUNK_ELEMENTS // max(size, 1)))
    if chunk >= n:
        return block(rows, groups)
    pad = -n % chunk
    rows = [jnp.pad(x, [(0, pad)] + [(0, 0)] * (x.ndim - 1), mode="edge") for x in rows]
    ids = jnp.pad(groups, (0, pad), constant_values=num_groups)  # padding counts in no group

    def step(total, xs):
        return [t + s for t, s in zip(total, block(xs[:-1], xs[-1]))], None

    start = [jnp.zeros((num_groups, *v.shape), v.dtype) for v in metric.variables]
    chunks = [x.reshape(-1, chunk, *x.shape[1:]) for x in (*rows, ids)]
    return jax.lax.scan(step, start, chunks)[0]


def _sliced_result():
    per_group = jax.vmap(lambda *state: self.metric.stateless_result(list(state)))(
        *[v.value for v in self.per_group])
    if self.min_count:
        per_group = tree_where(self.group_count.value < self.min_count, jnp.nan, per_group)
    return per_group


def _sliced_get_config():
    return {"name": self.name, "metric": serialize(self.metric),
            "num_groups": self.num_groups, "min_count": self.min_count}


sliced = Metric(
    "Sliced", initialize=_sliced_initialize, update_state=_sliced_update_state,
    result=_sliced_result, build=_sliced_build, get_config=_sliced_get_config,
    from_config=wrapper_from_config,
    _check_groups=_sliced_check_groups)
