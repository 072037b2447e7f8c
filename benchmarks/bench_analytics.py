"""md.bootstrap and md.sliced against the updates they replace.

Bootstrap (batch 4096): 100 and 1000 replicates of accuracy and of AUC(200) vs one
plain jitted update (target ≤ 5× at 100 replicates), and the Poisson(1) draws
alone: the inverse-CDF hash draw md.bootstrap uses vs ``jax.random.poisson``.
Sliced (batch 262,144, 1,024 groups): the sliced binary-accuracy update vs a
hand-written jitted ``jax.ops.segment_sum`` kernel of the same math (target ≤ 1.5×)
and vs the unsliced update; for AUC(200), the per-sample route md.sliced takes vs
a vmap over groups with masked weights.
Run: ``python benchmarks/bench_analytics.py``. Prints a table, writes results/analytics.json.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report

import metricdsl as md
from metricdsl.analytics.poisson import poisson_weights, replicate_keys


def _jitted(metric, *args, **kwargs):
    update = jax.jit(metric.stateless_update_state)
    state = metric.stateless_reset_state()
    return lambda: update(state, *args, **kwargs)


def bootstrap_rows(rng, n=4096):
    y_true = jnp.asarray(rng.integers(0, 2, n).astype("float32"))
    y_pred = jnp.asarray(rng.uniform(size=n).astype("float32"))
    rows = []
    for label, make in (("binary_accuracy", md.metric_binary_accuracy),
                        ("auc(200)", md.metric_auc)):
        fns = {"plain": _jitted(make(), y_true, y_pred)}
        for replicates in (100, 1000):
            fns[replicates] = _jitted(md.bootstrap(make(), num_samples=replicates), y_true, y_pred)
        times = interleaved(fns)
        for replicates in (100, 1000):
            rows.append({"case": f"bootstrap {label} R={replicates} N={n}",
                         "us": times[replicates] * 1e6, "baseline_us": times["plain"] * 1e6,
                         "ratio": times[replicates] / times["plain"]})
    keys = jnp.asarray(replicate_keys(0, 100))
    positions = jnp.arange(n, dtype=jnp.uint32)
    ours = jax.jit(lambda: poisson_weights(keys, positions, "float32"))
    theirs = jax.jit(lambda: jax.random.poisson(jax.random.key(0), 1.0, (100, n)))
    times = interleaved({"ours": ours, "theirs": theirs})
    rows.append({"case": f"Poisson(1) draws 100×{n}: inverse-CDF hash vs jax.random.poisson",
                 "us": times["ours"] * 1e6, "baseline_us": times["theirs"] * 1e6,
                 "ratio": times["ours"] / times["theirs"]})
    return rows


@jax.jit
def _hand_sliced(state, y_true, y_pred, groups):
    """Per-group binary accuracy state by hand: two segment sums."""
    hits = (y_true == (y_pred > 0.5)).astype(jnp.float32)
    return (state[0] + jax.ops.segment_sum(hits, groups, 1024),
            state[1] + jax.ops.segment_sum(jnp.ones_like(hits), groups, 1024))


def sliced_rows(rng, n=262_144, num_groups=1024):
    y_true = jnp.asarray(rng.integers(0, 2, n).astype("float32"))
    y_pred = jnp.asarray(rng.uniform(size=n).astype("float32"))
    groups = jnp.asarray(rng.integers(0, num_groups, n).astype("int32"))
    zeros = jnp.zeros(num_groups)
    times = interleaved({
        "sliced": _jitted(md.sliced(md.metric_binary_accuracy(), num_groups), y_true, y_pred,
                          groups=groups),
        "hand": lambda: _hand_sliced((zeros, zeros), y_true, y_pred, groups),
        "unsliced": _jitted(md.metric_binary_accuracy(), y_true, y_pred)})
    rows = [{"case": f"sliced binary_accuracy G={num_groups} N={n} vs hand segment_sum",
             "us": times["sliced"] * 1e6, "baseline_us": times["hand"] * 1e6,
             "ratio": times["sliced"] / times["hand"]},
            {"case": f"sliced binary_accuracy G={num_groups} N={n} vs unsliced",
             "us": times["sliced"] * 1e6, "baseline_us": times["unsliced"] * 1e6,
             "ratio": times["sliced"] / times["unsliced"]}]
    m, small = 16_384, 64  # AUC: per-sample increments vs one masked update per group
    auc = md.metric_auc()
    start = auc.stateless_reset_state()

    @jax.jit
    def masked(y_true, y_pred, groups):
        def one(g):
            return auc.stateless_update_state(start, y_true, y_pred, (groups == g) * 1.0)
        return jax.vmap(one)(jnp.arange(small))

    times = interleaved({
        "sliced": _jitted(md.sliced(md.metric_auc(), small), y_true[:m], y_pred[:m],
                          groups=groups[:m] % small),
        "masked": lambda: masked(y_true[:m], y_pred[:m], groups[:m] % small)})
    rows.append({"case": f"sliced auc(200) G={small} N={m}: per-sample vs masked vmap",
                 "us": times["sliced"] * 1e6, "baseline_us": times["masked"] * 1e6,
                 "ratio": times["sliced"] / times["masked"]})
    return rows


def main() -> None:
    rng = np.random.default_rng(0)
    rows = bootstrap_rows(rng) + sliced_rows(rng)
    report("analytics", rows, ["case", "us", "baseline_us", "ratio"])


if __name__ == "__main__":
    main()
