"""Shared checks of the laws every metric obeys (used by several test modules)."""

import jax
import numpy as np


def assert_stateful_equals_jitted_stateless(metric, batches, rtol=1e-6):
    """Feed ``batches`` (argument tuples of ``update_state``) to ``metric`` and, in parallel,
    to a state through its jitted stateless API; the variables and results must agree."""
    state = metric.stateless_reset_state()
    update = jax.jit(metric.stateless_update_state)
    for batch in batches:
        metric.update_state(*batch)
        state = update(state, *batch)
    for variable, value in zip(metric.variables, state, strict=True):
        np.testing.assert_allclose(variable.value, value, rtol=rtol)
    np.testing.assert_allclose(metric.result(), metric.stateless_result(state), rtol=rtol)


def assert_shards_merge_to_one_pass(make_metric, batches, one_pass, rtol=1e-6):
    """One fresh metric per batch, merged with ``merge_state``, gives ``one_pass``'s result."""
    shards = [make_metric() for _ in batches]
    for shard, batch in zip(shards, batches, strict=True):
        shard.update_state(*batch)
    shards[0].merge_state(shards[1:])
    np.testing.assert_allclose(shards[0].result(), one_pass.result(), rtol=rtol)
