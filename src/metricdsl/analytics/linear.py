"""What the analytics wrappers need of a metric whose state merges by sum.

Such a state is a sum over samples of each sample's contribution, weighted by
its sample weight, so it can be reweighted (bootstrap replicates) or split by
group (slices) from the metric's public stateless API alone: the increment of
one batch is ``stateless_update_state(reset, batch) - reset``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from ..base import MetricBase
from ..registry import deserialize

__all__ = ["batch_size", "check_summable", "increments", "reweighted", "tree_where",
           "wrapper_from_config"]


def check_summable(wrapper: str, metric: Any) -> None:
    """Raise unless ``metric`` is a built metricdsl metric whose every variable sums.

    Args:
        wrapper: The wrapper's name for the message (``"bootstrap"``, ``"sliced"``).
        metric: The metric to wrap.

    Raises:
        TypeError: ``metric`` is not a metric instance.
        ValueError: it is not built, or a variable merges other than by sum.
    """
    if not isinstance(metric, MetricBase):
        raise TypeError(
            f"{wrapper}: argument `metric` must be a metricdsl metric instance such as "
            f"md.metric_auc(); received {type(metric).__name__} {metric!r:.80}.")
    label = f"{type(metric).__name__} {metric.name!r}"
    if not metric.built:
        raise ValueError(
            f"{wrapper}: argument `metric` ({label}) creates its variables from the first "
            "batch; expected a built metric. Call metric.build(y_true, y_pred) first (arrays "
            "or jax.ShapeDtypeStruct).")
    others = [f"{v.name} ({v.aggregation!r})" for v in metric.variables if v.aggregation != "sum"]
    if others or not metric.variables:
        given = ", ".join(others) if others else "no variables"
        raise ValueError(
            f"{wrapper}: argument `metric` ({label}) must have a state that merges by sum "
            f"(every variable aggregation='sum'), so that it is a weighted sum over samples; "
            f"received {given}. Such a metric cannot be {wrapper} this way.")


def batch_size(wrapper: Any, y_true: Any) -> int:
    """The number of samples in the batch: ``y_true``'s leading dimension (static)."""
    shape = jnp.shape(y_true)
    if not shape:
        raise ValueError(
            f"{wrapper}: y_true must have a leading batch axis; received a scalar.")
    return int(shape[0])


def increments(metric: MetricBase, y_true: Any, y_pred: Any, sample_weight: Any = None,
               **kwargs: Any) -> list[jax.Array]:
    """The change one batch makes to ``metric``'s state: one array per variable."""
    start = [v.initial_value() for v in metric.variables]
    new = metric.stateless_update_state(start, y_true, y_pred, sample_weight, **kwargs)
    return [jnp.asarray(n) - s for n, s in zip(new, start)]


def reweighted(sample_weight: Any, weights: jax.Array) -> jax.Array:
    """``sample_weight`` times per-sample ``weights`` of shape ``(N,)`` (None means ones)."""
    if sample_weight is None:
        return weights
    sample_weight = jnp.asarray(sample_weight)
    if sample_weight.ndim == 0:
        return sample_weight * weights
    return sample_weight * weights.reshape(weights.shape + (1,) * (sample_weight.ndim - 1))


def tree_where(mask: jax.Array, fill: Any, tree: Any) -> Any:
    """Each leaf of ``tree`` with its rows where ``mask`` (leading axis) replaced by ``fill``."""
    def leaf(x):
        x = jnp.asarray(x)
        x = x.astype(jnp.result_type(x.dtype, jnp.float32))
        return jnp.where(mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim)), fill, x)
    return jax.tree_util.tree_map(leaf, tree)


def wrapper_from_config(cls: Any, config: dict) -> Any:
    """A wrapper metric (bootstrap, sliced) from its config: the wrapped metric deserialized."""
    config = dict(config)
    config.pop("dtype", None)
    return cls(metric=deserialize(config.pop("metric")), **config)
