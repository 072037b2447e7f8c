"""Keras-shaped (N, 1) inputs: regression and probabilistic metrics vs a hand kernel on (N,).

Target: on (N, 1) inputs every metric reaches >= 0.8x the throughput of a hand
``jax.jit`` kernel computing the same weighted mean on the flat (N,) data, with
and without a per-sample weight. Batch sizes: 2^20 (rows of 1024) and 10^6
(rows of 1000); ``hand_column`` is the same hand kernel fed the (N, 1) arrays,
which shows what the row view avoids. ``user_fn_poisson`` is a user lambda in
`metric_mean_wrapper` (row-local, so computed on the row view too).
Run: ``python benchmarks/bench_column.py``. Prints a table, writes results/column.json.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report

import metricdsl as md

SIZES = (1 << 20, 10**6)
EPS = 1e-7


def _hinge_labels(t):
    """Keras's hinge label conversion: {0, 1} labels become {-1, 1}."""
    return jnp.where(jnp.all((t == 0) | (t == 1)), 2.0 * t - 1.0, t)


_CASES = {
    "mean_squared_error": lambda t, p: jnp.square(t - p),
    "mean_absolute_error": lambda t, p: jnp.abs(t - p),
    "mean_absolute_percentage_error":
        lambda t, p: 100.0 * jnp.abs((t - p) / jnp.maximum(jnp.abs(t), EPS)),
    "mean_squared_logarithmic_error":
        lambda t, p: jnp.square(jnp.log(jnp.maximum(p, EPS) + 1)
                                - jnp.log(jnp.maximum(t, EPS) + 1)),
    "log_cosh_error": lambda t, p: (p - t) + jax.nn.softplus(-2.0 * (p - t)) - jnp.log(2.0),
    "hinge": lambda t, p: jnp.maximum(1.0 - _hinge_labels(t) * p, 0.0),
    "poisson": lambda t, p: p - t * jnp.log(p + EPS),
    "binary_crossentropy": lambda t, p: -(t * jnp.log(jnp.clip(p, EPS, 1 - EPS))
                                          + (1 - t) * jnp.log(1 - jnp.clip(p, EPS, 1 - EPS))),
    "kl_divergence": lambda t, p: jnp.clip(t, EPS, 1) * jnp.log(jnp.clip(t, EPS, 1)
                                                              / jnp.clip(p, EPS, 1)),
    "user_fn_poisson": lambda t, p: p - t * jnp.log(p + EPS),
    "binary_accuracy": lambda t, p: (t == (p > 0.5)).astype("float32"),
}


def _hand(per_sample):
    """The weighted mean's update written by hand: ``(total + Σ v·w, count + Σ w)``."""
    @jax.jit
    def kernel(total, count, y_true, y_pred, weight=None):
        values = per_sample(y_true, y_pred)
        if weight is None:
            return total + jnp.sum(values), count + y_true.shape[0]
        return total + jnp.sum(values * weight.reshape(values.shape)), count + jnp.sum(weight)

    return kernel


def _measure(name, per_sample, size, weighted, rng):
    y_true = jnp.asarray(rng.integers(0, 2, (size, 1)).astype("float32"))
    y_pred = jnp.asarray(rng.uniform(0.01, 0.99, (size, 1)).astype("float32"))
    weight = jnp.asarray(rng.uniform(0, 2, (size,)).astype("float32")) if weighted else None
    flat_true, flat_pred = y_true.ravel(), y_pred.ravel()
    if name.startswith("user_fn"):  # a lambda in metric_mean_wrapper: the rowwise fast path
        metric = md.metric_mean_wrapper(lambda t, p: jnp.mean(per_sample(t, p), axis=-1))
    else:
        metric = getattr(md, f"metric_{name}")()
    update = jax.jit(metric.stateless_update_state)
    state = metric.stateless_reset_state()
    hand = _hand(per_sample)
    zero = jnp.float32(0)
    times = interleaved({"ours": lambda: update(state, y_true, y_pred, weight),
                         "flat": lambda: hand(zero, zero, flat_true, flat_pred, weight),
                         "column": lambda: hand(zero, zero, y_true, y_pred, weight)})
    return {"metric": name, "N": size, "weighted": weighted,
            "hand_flat_Msps": size / times["flat"] / 1e6,
            "hand_column_Msps": size / times["column"] / 1e6,
            "metricdsl_column_Msps": size / times["ours"] / 1e6,
            "ratio_vs_hand_flat": times["flat"] / times["ours"]}


def main() -> None:
    rng = np.random.default_rng(0)
    rows = [_measure(name, per_sample, size, weighted, rng)
            for size in SIZES for weighted in (False, True)
            for name, per_sample in _CASES.items()]
    report("column", rows, ["metric", "N", "weighted", "hand_flat_Msps", "hand_column_Msps",
                            "metricdsl_column_Msps", "ratio_vs_hand_flat"])
    ratios = [row["ratio_vs_hand_flat"] for row in rows]
    print(f"ratio vs hand (N,) kernel: min {min(ratios):.2f}, "
          f"median {float(np.median(ratios)):.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
