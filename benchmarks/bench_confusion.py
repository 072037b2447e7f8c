"""AUC and Precision throughput at batch 262,144, weighted and unweighted.

Rows per metric: the metricdsl stateful ``update_state``, the metricdsl
``stateless_update_state`` under ``jax.jit``, a hand-written ``jax.jit`` kernel
doing the same bucketing, and Keras 3's ``stateless_update_state`` under
``jax.jit`` (``KERAS_BACKEND=jax``, when keras is installed). Inputs are
Keras-shaped ``(N, 1)`` scores with 30% positives. ``AUC()`` has 200 evenly
spaced thresholds (index arithmetic on both sides); ``AUC(thresholds=...)``
with 48 explicit thresholds takes the general path (metricdsl: binary search;
Keras: an N×T comparison).

AUC's memory is measured by `bench_memory`.

Run: ``python -m benchmarks.run --only confusion``. Prints a table, writes
results/confusion.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np
from _harness import keras_on_jax, report, seconds_per_call

import metricdsl as md

BATCH = 262_144
NUM_THRESHOLDS = 200
EXPLICIT = [float(t) for t in np.linspace(0.02, 0.98, 48)]
AUC_TARGET = 1.7        # metricdsl AUC stateful update vs Keras jitted, at least


# -- hand-written kernels: the same bucketing, no metric machinery ------------------------------
def _histogram_counts(buckets, y_true, weight, width):
    cell = buckets + width * (y_true > 0).astype(jnp.int32)
    histogram = jnp.bincount(cell, weight, length=2 * width).reshape(2, width)
    above = jnp.flip(jnp.cumsum(jnp.flip(histogram, -1), -1), -1)
    tp, fp = above[1, 1:], above[0, 1:]
    return jnp.stack([tp, fp, above[0, :1] - fp, above[1, :1] - tp])


@jax.jit
def _hand_auc(counts, y_true, y_pred, weight=None):
    bucket = jnp.ceil(jnp.clip(y_pred.ravel(), 0, 1) * (NUM_THRESHOLDS - 1)) - 1
    buckets = jax.nn.relu(bucket).astype(jnp.int32) + 1
    return counts + _histogram_counts(buckets, y_true.ravel(), weight, NUM_THRESHOLDS + 1)


@jax.jit
def _hand_auc_explicit(counts, y_true, y_pred, weight=None):
    thresholds = np.float32([-1e-7, *EXPLICIT, 1 + 1e-7])
    buckets = jnp.searchsorted(thresholds, y_pred.ravel()).astype(jnp.int32)
    return counts + _histogram_counts(buckets, y_true.ravel(), weight, len(thresholds) + 1)


@jax.jit
def _hand_precision(counts, y_true, y_pred, weight=None):
    above, positive = y_pred.ravel() > 0.5, y_true.ravel() > 0
    w = 1.0 if weight is None else weight
    return counts + jnp.stack([jnp.sum(jnp.where(above & positive, w, 0.0)),
                               jnp.sum(jnp.where(above & ~positive, w, 0.0))])


# -- timing -------------------------------------------------------------------------------------
def _rate(fn, rounds: int = 3) -> float:
    """Best samples/s over a few rounds (the machine may be shared; the best is least disturbed)."""
    return max(BATCH / seconds_per_call(fn, min_time=0.2) for _ in range(rounds))


def _stateful(metric, *args):
    def call():
        metric.update_state(*args)
        return metric.variables[0].value
    return call


def _jitted(metric, state, *args):
    update = jax.jit(metric.stateless_update_state)
    box = [state]

    def call():
        box[0] = update(box[0], *args)
        return box[0]
    return call


def _hand(kernel, counts, *args):
    box = [counts]

    def call():
        box[0] = kernel(box[0], *args)
        return box[0]
    return call


def _cases(keras):
    """(label, metricdsl constructor, Keras constructor, hand kernel, hand state shape)."""
    return [
        ("AUC(200)", lambda: md.metric_auc(), lambda: keras.metrics.AUC(), _hand_auc,
         (4, NUM_THRESHOLDS)),
        ("AUC(48 explicit thresholds)", lambda: md.metric_auc(thresholds=EXPLICIT),
         lambda: keras.metrics.AUC(thresholds=EXPLICIT), _hand_auc_explicit,
         (4, len(EXPLICIT) + 2)),
        ("Precision()", lambda: md.metric_precision(), lambda: keras.metrics.Precision(),
         _hand_precision, (2,)),
    ]


def _throughput_rows(keras, rng) -> list[dict]:
    y_true = jnp.asarray(rng.uniform(size=(BATCH, 1)) < 0.3, "float32")
    y_pred = jnp.asarray(rng.uniform(size=(BATCH, 1)), "float32")
    weight = jnp.asarray(rng.uniform(size=BATCH), "float32")
    rows = []
    for label, ours, theirs, kernel, hand_shape in _cases(keras):
        for kind, args in (("unweighted", (y_true, y_pred)),
                           ("weights (N,)", (y_true, y_pred, weight))):
            metric = ours()
            row = {"metric": f"{label}, {kind}",
                   "metricdsl_stateful": _rate(_stateful(metric, *args)),
                   "metricdsl_stateless_jit": _rate(_jitted(
                       metric, metric.stateless_reset_state(), *args)),
                   "hand_jit": _rate(_hand(kernel, jnp.zeros(hand_shape), *args))}
            if keras is not None:
                reference = theirs()
                row["keras_jit"] = _rate(_jitted(
                    reference, [v.value for v in reference.variables], *args))
            rows.append(row)
    for row in rows:
        row["vs_hand"] = row["metricdsl_stateful"] / row["hand_jit"]
        if "keras_jit" in row:
            row["vs_keras"] = row["metricdsl_stateful"] / row["keras_jit"]
    rows[0]["target_vs_keras"] = f">= {AUC_TARGET}"
    return rows


def main() -> None:
    keras = keras_on_jax()
    rows = _throughput_rows(keras, np.random.default_rng(0))
    report("confusion", rows, ["metric", "metricdsl_stateful", "metricdsl_stateless_jit",
                               "hand_jit", "keras_jit", "vs_hand", "vs_keras",
                               "target_vs_keras"])
    print(f"(samples/s at batch {BATCH:,}, (N, 1) inputs; vs_* = metricdsl stateful / other)")


if __name__ == "__main__":
    main()
