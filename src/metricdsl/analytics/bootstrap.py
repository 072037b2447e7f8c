"""`bootstrap`: a percentile interval for any metric whose state merges by sum, in one update.

Replicate ``r`` of a sum state ``S(w)`` is ``S(w · p_r)`` with Poisson(1)
weights ``p_r`` (Hanley & MacGibbon's Poisson bootstrap), so one compiled
update draws the weights and updates every replicate with one ``jax.vmap``
over the metric's stateless update; the metric itself is held once and keeps
the point estimate on the unweighted data.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ..entries import DEPTH
from ..factory import Metric
from ..registry import serialize
from .linear import (
    batch_size,
    build_wrapped,
    check_summable,
    increments,
    reweighted,
    start_wrapper,
    wrapper_from_config,
)
from .poisson import poisson_weights, replicate_keys

__all__ = ["bootstrap"]

#: Replicates × samples drawn in one vectorised block (bounds the update's memory).
BLOCK_ELEMENTS = 1 << 22


def _bootstrap_initialize(metric: Any, num_samples: int = 1000, confidence: float = 0.95,
                          seed: int = 0, name: str | None = None):
    """A percentile bootstrap interval of ``metric``, computed inside one compiled update.

    Each update draws a Poisson(1) weight per sample and replicate, keyed by
    ``(seed, replicate, global sample position)``: a seeded run is
    bit-reproducible and splitting the data across updates gives the same
    replicates as one pass. The weights multiply ``sample_weight`` and every
    replicate's state is updated by one ``jax.vmap`` of the metric's stateless
    update. ``result()`` is ``{"value", "low", "high"}``: the metric on the
    unweighted data and the ``confidence`` percentile interval of the
    replicates' values; ``result(all_samples=True)`` adds ``"samples"`` (the
    replicate values, leading axis ``num_samples``), which `stateless_result`
    always includes. Extra keyword arguments of ``update_state`` (``groups=``
    of `sliced`) pass through to the metric.

    Merged shards must use different seeds (each shard keys its samples from
    position 0). A lazily built ``metric`` (`metric_f1_score`, `metric_r2_score`,
    ...) makes the bootstrap lazily built too: both build from the first batch
    (``update_state``, ``build`` or ``stateless_update_state``).

    Args:
        metric: A metric whose variables all merge by sum (every builtin does).
        num_samples: Number of bootstrap replicates (at least 2).
        confidence: Coverage of the interval, in (0, 1).
        seed: Seed of the weights (a non-negative integer).
        name: Metric name; default ``"bootstrap_<metric name>"``.

    Raises:
        TypeError: ``metric`` is not a metric instance.
        ValueError: ``metric`` has a variable that does not merge by sum (checked again
            once a lazily built one is built), ``num_samples < 2``, ``confidence``
            outside (0, 1) or a negative ``seed``.

    Example:
        >>> import metricdsl as md
        >>> m = md.bootstrap(md.metric_binary_accuracy(), num_samples=200)
        >>> m.update_state([1, 0, 1, 1, 0, 1], [0.9, 0.2, 0.4, 0.8, 0.1, 0.7])
        >>> out = m.result()
        >>> sorted(out), round(float(out["value"]), 4)
        (['high', 'low', 'value'], 0.8333)
    """
    check_summable("bootstrap", metric)
    label = f"bootstrap({type(metric).__name__} {metric.name!r})"
    if num_samples < 2:
        raise ValueError(f"{label}: argument `num_samples` must be an integer >= 2; received "
                         f"{num_samples!r}.")
    if not 0 < confidence < 1:
        raise ValueError(f"{label}: argument `confidence` must be in (0, 1); received "
                         f"{confidence!r}.")
    if seed < 0:
        raise ValueError(f"{label}: argument `seed` must be a non-negative integer; received "
                         f"{seed!r}.")
    super.initialize(name=name or f"bootstrap_{metric.name}", dtype=metric.dtype)
    self.num_samples, self.confidence, self.seed = num_samples, confidence, seed
    start_wrapper(self, metric)


def _bootstrap_build(y_true=None, y_pred=None):
    """Build the metric from the first batch if it waits for it, then the replicates.

    ``y_true``/``y_pred`` are that batch (arrays or ``jax.ShapeDtypeStruct``),
    unused when the metric is built; `build_wrapped` raises ``ValueError`` for
    a variable that does not merge by sum.
    """
    build_wrapped("bootstrap", self.metric, y_true, y_pred)
    self.replicates = [
        self.add_variable((self.num_samples, *v.shape), _replicated(v), dtype=v.dtype,
                          name=f"replicate_{v.name}")
        for v in self.metric.variables]
    self.seen = self.add_variable((), "zeros", dtype="int32", name="seen")
    self.built = True


def _replicated(variable: Any):
    """An initializer: ``variable``'s initial value once per replicate."""
    return lambda shape, dtype: jnp.broadcast_to(variable.initial_value(), shape).astype(dtype)


def _bootstrap_update_state(y_true, y_pred, sample_weight=None, **kwargs):
    n = batch_size(self.name, y_true)
    self.metric.update_state(y_true, y_pred, sample_weight, **kwargs)
    positions = self.seen.value.astype(jnp.uint32) + jnp.arange(n, dtype=jnp.uint32)

    def replicate(key):
        weights = poisson_weights(key[:, None], positions, self.dtype)[0]
        return increments(self.metric, y_true, y_pred, reweighted(sample_weight, weights),
                          **kwargs)

    keys = jnp.asarray(replicate_keys(self.seed, self.num_samples)).T
    block = max(1, min(self.num_samples, BLOCK_ELEMENTS // max(n, 1)))
    steps = jax.lax.map(replicate, keys, batch_size=block)
    for variable, step in zip(self.replicates, steps):
        variable.assign_add(step)
    self.seen.assign_add(n)


def _bootstrap_full_result():
    samples = jax.vmap(lambda *state: self.metric.stateless_result(list(state)))(
        *[v.value for v in self.replicates])
    tail = (1 - self.confidence) / 2
    return {"value": self.metric.result(),
            "low": jax.tree_util.tree_map(lambda x: jnp.quantile(x, tail, axis=0), samples),
            "high": jax.tree_util.tree_map(lambda x: jnp.quantile(x, 1 - tail, axis=0), samples),
            "samples": samples}


def _bootstrap_get_config():
    return {"name": self.name, "metric": serialize(self.metric),
            "num_samples": self.num_samples, "confidence": self.confidence, "seed": self.seed}


bootstrap = Metric(
    "Bootstrap", initialize=_bootstrap_initialize, update_state=_bootstrap_update_state,
    result=_bootstrap_full_result, build=_bootstrap_build, get_config=_bootstrap_get_config,
    from_config=wrapper_from_config)

_full_result = bootstrap.result


def _result(self, all_samples: bool = False) -> dict[str, Any]:
    """``{"value", "low", "high"}``, with ``"samples"`` (the replicate values) if
    ``all_samples``; inside a stateless scope (`stateless_result`) always with them."""
    out = _full_result(self)
    if DEPTH.value or all_samples:
        return out
    return {key: value for key, value in out.items() if key != "samples"}


bootstrap.result = _result
