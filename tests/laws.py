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
