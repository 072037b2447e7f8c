"""AUC's extra memory: XLA's temporary buffers of the compiled update (``memory_analysis()``).

Rows: ``AUC()`` (200 evenly spaced thresholds) at 10^6 samples, unweighted and
weighted, beside the same bucketing by hand and Keras 3; then ``AUC`` with an
explicit threshold list at 10^5 and 10^6 samples and 48 and 2,000 thresholds:
the any-threshold path (a binary search per sample) needs O(N + T), where an
N × T comparison (Keras's) grows with their product. Inputs are ``(N, 1)``.

Run: ``python -m benchmarks.run --only memory``.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import _hand
import jax
import jax.numpy as jnp
import numpy as np
from _harness import keras_on_jax, report, target

import metricdsl as md

MEMORY_TARGET_MB = 100
N = 10**6


def _temp_mb(fn, *specs) -> float:
    compiled = jax.jit(fn).lower(*specs).compile()
    return compiled.memory_analysis().temp_size_in_bytes / 2**20


def _specs(n, weighted=False):
    column = jax.ShapeDtypeStruct((n, 1), jnp.float32)
    weight = jax.ShapeDtypeStruct((n,), jnp.float32)
    return (column, column, weight) if weighted else (column, column)


def _state(metric):
    return [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in metric.variables]


def _keras_mb(keras, n, **kwargs):
    if keras is None:
        return None
    reference = keras.metrics.AUC(**kwargs)
    return _temp_mb(reference.stateless_update_state, _state(reference), *_specs(n))


def main() -> list[dict]:
    """Print the temporary memory table; record the AUC memory target."""
    keras = keras_on_jax()
    auc = md.metric_auc()
    hand_state = jax.ShapeDtypeStruct((4, _hand.NUM_THRESHOLDS), jnp.float32)
    rows = [{"update": "AUC(200)", "N": N, "T": 200,
             "metricdsl_MB": _temp_mb(auc.stateless_update_state, _state(auc), *_specs(N)),
             "metricdsl_weighted_MB": _temp_mb(auc.stateless_update_state, _state(auc),
                                               *_specs(N, weighted=True)),
             "hand_MB": _temp_mb(_hand.jitted(_hand.auc_counts), hand_state, *_specs(N)),
             "keras_MB": _keras_mb(keras, N)}]
    target("AUC(200) at 10^6: temporary memory, MB", rows[0]["metricdsl_MB"],
           f"< {MEMORY_TARGET_MB}", rows[0]["metricdsl_MB"] < MEMORY_TARGET_MB)
    for n in (N // 10, N):
        for count in (48, 2000):
            thresholds = [float(x) for x in np.linspace(0.001, 0.999, count)]
            metric = md.metric_auc(thresholds=thresholds)
            rows.append({"update": "AUC(thresholds=[...])", "N": n, "T": count,
                         "metricdsl_MB": _temp_mb(metric.stateless_update_state,
                                                  _state(metric), *_specs(n)),
                         "keras_MB": _keras_mb(keras, n, thresholds=thresholds)
                         if count * n <= 48 * N else None})
    explicit = [r for r in rows if r["update"] != "AUC(200)"]
    growth = max(r["metricdsl_MB"] for r in explicit) / max(
        min(r["metricdsl_MB"] for r in explicit if r["N"] == N), 1e-9)
    target("explicit-threshold AUC: temp MB at T=2000 / T=48, N=10^6", growth,
           "~1 (O(N+T))", growth < 1.5)
    report("memory", rows, ["update", "N", "T", "metricdsl_MB", "metricdsl_weighted_MB",
                            "hand_MB", "keras_MB"])
    print("(XLA temporary buffers of the compiled update, MB; keras at T=2000, N=10^6 skipped:"
          " an N x T compare)")
    return rows


if __name__ == "__main__":
    main()
