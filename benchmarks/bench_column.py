"""Keras-shaped (N, 1) inputs: regression and probabilistic metrics vs a hand kernel on (N,).

Target: on (N, 1) inputs every metric reaches >= 0.8x the throughput of a hand
``jax.jit`` kernel computing the same weighted mean on the flat (N,) data.
Run: ``python benchmarks/bench_column.py``. Prints a table, writes results/column.json.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from _harness import report, seconds_per_call

import metricdsl as md

N = 1 << 20
EPS = 1e-7


def _hand(per_sample):
    @jax.jit
    def kernel(total, count, y_true, y_pred):
        return total + jnp.sum(per_sample(y_true, y_pred)), count + y_true.shape[0]

    return kernel


_CASES = {
    "mean_squared_error": lambda t, p: jnp.square(t - p),
    "mean_absolute_error": lambda t, p: jnp.abs(t - p),
    "mean_absolute_percentage_error":
        lambda t, p: 100.0 * jnp.abs((t - p) / jnp.maximum(jnp.abs(t), EPS)),
    "mean_squared_logarithmic_error":
        lambda t, p: jnp.square(jnp.log(jnp.maximum(p, EPS) + 1) - jnp.log(jnp.maximum(t, EPS) + 1)),
    "log_cosh_error": lambda t, p: (p - t) + jax.nn.softplus(-2.0 * (p - t)) - jnp.log(2.0),
    "hinge": lambda t, p: jnp.maximum(1.0 - t * p, 0.0),
    "poisson": lambda t, p: p - t * jnp.log(p + EPS),
    "binary_crossentropy": lambda t, p: -(t * jnp.log(jnp.clip(p, EPS, 1 - EPS))
                                          + (1 - t) * jnp.log(1 - jnp.clip(p, EPS, 1 - EPS))),
    "binary_accuracy": lambda t, p: (t == (p > 0.5)).astype("float32"),
}


def main() -> None:
    rng = np.random.default_rng(0)
    y_true = jnp.asarray(rng.integers(0, 2, (N, 1)).astype("float32"))
    y_pred = jnp.asarray(rng.uniform(0.01, 0.99, (N, 1)).astype("float32"))
    flat_true, flat_pred = y_true.ravel(), y_pred.ravel()
    rows = []
    for name, per_sample in _CASES.items():
        metric = getattr(md, f"metric_{name}")()
        update = jax.jit(metric.stateless_update_state)
        state = metric.stateless_reset_state()
        ours = seconds_per_call(lambda: update(state, y_true, y_pred))
        hand = _hand(per_sample)
        zero = jnp.float32(0)
        flat = seconds_per_call(lambda: hand(zero, zero, flat_true, flat_pred))
        column = seconds_per_call(lambda: hand(zero, zero, y_true, y_pred))
        rows.append({"metric": name, "hand_flat_Msps": N / flat / 1e6,
                     "hand_column_Msps": N / column / 1e6, "metricdsl_column_Msps": N / ours / 1e6,
                     "ratio_vs_hand_flat": flat / ours})
    report("column", rows, ["metric", "hand_flat_Msps", "hand_column_Msps",
                            "metricdsl_column_Msps", "ratio_vs_hand_flat"])


if __name__ == "__main__":
    main()
