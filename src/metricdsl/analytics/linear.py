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

from ..base import MetricBase, build_from_batch
from ..registry import deserialize

__all__ = ["batch_size", "build_wrapped", "check_summable", "increments", "reweighted",
           "tree_where", "wrapper_from_config"]


def check_summable(wrapper: str, metric: Any) -> None:
    """Raise unless ``metric`` is a metricdsl metric whose every variable sums.

    A lazily built metric is checked on the variables it has so far (the
    wrapper checks again once it has built it from the first batch).

    Args:
        wrapper: The wrapper's name for the message (``"bootstrap"``, ``"sliced"``).
        metric: The metric to wrap.

    Raises:
        TypeError: ``metric`` is not a metric instance.
        ValueError: a variable merges other than by sum, or a built metric has none.
    """
    if not isinstance(metric, MetricBase):
        raise TypeError(
            f"{wrapper}: argument `metric` must be a metricdsl metric instance such as "
            f"md.metric_auc(); received {type(metric).__name__} {metric!r:.80}.")
    others = [f"{v.name} ({v.aggregation!r})" for v in metric.variables if v.aggregation != "sum"]
    if others or (metric.built and not metric.variables):
        given = ", ".join(others) if others else "no variables"
        raise ValueError(
            f"{wrapper}: argument `metric` ({type(metric).__name__} {metric.name!r}) must have a "
            f"state that merges by sum (every variable aggregation='sum'), so that it is a "
            f"weighted sum over samples; received {given}. Such a metric cannot be {wrapper} "
            "this way.")


def build_wrapped(wrapper: str, metric: Any, y_true: Any = None, y_pred: Any = None) -> None:
    """Build ``metric`` from the first batch's shapes if it waits for them, and check it.

    Args:
        wrapper: The wrapper's name for the message (``"bootstrap"``, ``"sliced"``).
        metric: The wrapped metric, built or lazily built.
        y_true, y_pred: The batch (arrays or ``jax.ShapeDtypeStruct``), as for ``build``.

    Raises:
        ValueError: the built metric has a variable that does not merge by sum.
    """
    if not metric.built:
        build_from_batch(metric, (y_true, y_pred), {})
    check_summable(wrapper, metric)


def start_wrapper(wrapper: Any, metric: Any) -> None:
    """Keep ``metric`` as ``wrapper.metric``; build the wrapper now if the metric is built.

    Otherwise both build from the first batch (`build_wrapped` in the wrapper's ``build``).
    """
    wrapper.metric = metric
    wrapper.built = False
    if metric.built:
        wrapper.build()


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
    """A wrapper metric (bootstrap, sliced) from its config.

    The wrapped ``metric`` is its serialized config (`get_config`'s form) or the
    metric itself (what `metricdsl.deserialize` passes, having rebuilt it).
    """
    config = dict(config)
    config.pop("dtype", None)
    metric = config.pop("metric")
    return cls(metric=metric if isinstance(metric, MetricBase) else deserialize(metric), **config)
