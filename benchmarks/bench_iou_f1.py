"""MeanIoU and F1Score throughput at batch 262,144 (10 classes): samples per second.

Rows per metric: the metricdsl stateful ``update_state``, the metricdsl
``stateless_update_state`` under ``jax.jit``, a hand-written ``jax.jit`` kernel
doing the same work, and Keras 3's ``stateless_update_state`` under ``jax.jit``
(``KERAS_BACKEND=jax``, when keras is installed). MeanIoU takes integer labels
(Keras's default sparse inputs); F1Score takes one-hot targets and scores in
argmax mode (``threshold=None``, ``average=None``).

Run: ``python benchmarks/bench_iou_f1.py``. Prints a table, writes results/iou_f1.json.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np
from _harness import keras_on_jax, report, seconds_per_call

import metricdsl as md

BATCH = 262_144
CLASSES = 10
IOU_TARGET = 1.7  # metricdsl MeanIoU stateful update vs Keras jitted, at least


@jax.jit
def _hand_confusion(cm, y_true, y_pred, sample_weight):
    valid = (y_true >= 0) & (y_true < CLASSES) & (y_pred >= 0) & (y_pred < CLASSES)
    index = jnp.where(valid, y_true * CLASSES + y_pred, CLASSES * CLASSES)
    counts = jnp.bincount(index, sample_weight, length=CLASSES * CLASSES)
    return cm + counts.reshape(CLASSES, CLASSES)


@jax.jit
def _hand_f1_counts(counts, y_true, y_pred, sample_weight):
    row_max = jnp.max(y_pred, axis=-1, keepdims=True)
    predicted = ((y_pred >= row_max) & (jnp.abs(y_pred) > 1e-9)).astype("float32")
    weight = 1.0 if sample_weight is None else sample_weight[:, None]
    tp = jnp.sum(predicted * y_true * weight, axis=0)
    positives = jnp.sum(predicted * weight, axis=0)
    support = jnp.sum(y_true * weight, axis=0)
    return counts + jnp.stack([tp, positives - tp, support - tp, support])


def _best_rates(calls: dict, rounds: int = 5) -> dict:
    """Samples/s of each call: the best of ``rounds`` interleaved measurements.

    Interleaving gives every contender the same share of a busy machine; the
    best round is the least disturbed one.
    """
    rates = dict.fromkeys(calls, 0.0)
    for _ in range(rounds):
        for key, call in calls.items():
            rates[key] = max(rates[key], BATCH / seconds_per_call(call, min_time=0.2))
    return rates


def _stateful(metric, *args):
    def call():
        metric.update_state(*args)
        return metric.variables[0]  # a pytree: the final block of a round reads it
    return call


def _stateless(metric, *args):
    update = jax.jit(metric.stateless_update_state)
    state = [metric.stateless_reset_state()]

    def call():
        state[0] = update(state[0], *args)
        return state[0]
    return call


def _hand(kernel, state, y_true, y_pred, sample_weight=None):
    return lambda: kernel(state, y_true, y_pred, sample_weight)


def _keras_stateless(metric, *args):
    update = jax.jit(metric.stateless_update_state)
    state = [[v.value for v in metric.variables]]

    def call():
        state[0] = update(state[0], *args)
        return state[0]
    return call


def _iou_rows(keras, rng) -> list[dict]:
    y_true = jnp.asarray(rng.integers(0, CLASSES, BATCH), "int32")
    y_pred = jnp.asarray(rng.integers(0, CLASSES, BATCH), "int32")
    weight = jnp.asarray(rng.integers(0, 3, BATCH), "int32")
    rows = []
    cases = [("unweighted", (y_true, y_pred)), ("int weights", (y_true, y_pred, weight))]
    for label, args in cases:
        cm = jnp.zeros((CLASSES, CLASSES), "int32")
        calls = {"metricdsl_stateful": _stateful(md.metric_mean_iou(CLASSES), *args),
                 "metricdsl_stateless_jit": _stateless(md.metric_mean_iou(CLASSES), *args),
                 "hand_jit": _hand(_hand_confusion, cm, *args)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # Keras casts indices to int64 (x64 is off)
            if keras is not None:
                calls["keras_jit"] = _keras_stateless(keras.metrics.MeanIoU(CLASSES), *args)
            rows.append({"metric": f"MeanIoU({CLASSES}), {label}", **_best_rates(calls)})
    return rows


def _f1_rows(keras, rng) -> list[dict]:
    y_true = jax.nn.one_hot(jnp.asarray(rng.integers(0, CLASSES, BATCH)), CLASSES)
    y_pred = jnp.asarray(rng.uniform(size=(BATCH, CLASSES)), "float32")
    weight = jnp.asarray(rng.uniform(size=BATCH), "float32")
    rows = []
    cases = [("unweighted", (y_true, y_pred)), ("weights (N,)", (y_true, y_pred, weight))]
    for label, args in cases:
        ours = md.metric_f1_score()
        ours.build(y_true, y_pred)
        stateless = md.metric_f1_score()
        stateless.build(y_true, y_pred)
        counts = jnp.zeros((4, CLASSES), "float32")
        calls = {"metricdsl_stateful": _stateful(ours, *args),
                 "metricdsl_stateless_jit": _stateless(stateless, *args),
                 "hand_jit": _hand(_hand_f1_counts, counts, *args)}
        if keras is not None:
            theirs = keras.metrics.F1Score()
            theirs.update_state(y_true[:2], y_pred[:2])   # Keras builds lazily
            theirs.reset_state()
            calls["keras_jit"] = _keras_stateless(theirs, *args)
        rows.append({"metric": f"F1Score({CLASSES} classes), {label}", **_best_rates(calls)})
    return rows


def main() -> None:
    keras = keras_on_jax()
    rng = np.random.default_rng(0)
    rows = _iou_rows(keras, rng) + _f1_rows(keras, rng)
    for row in rows:
        row["vs_hand"] = row["metricdsl_stateful"] / row["hand_jit"]
        if "keras_jit" in row:
            row["vs_keras"] = row["metricdsl_stateful"] / row["keras_jit"]
    rows[0]["target_vs_keras"] = f">= {IOU_TARGET}"
    report("iou_f1", rows, ["metric", "metricdsl_stateful", "metricdsl_stateless_jit", "hand_jit",
                            "keras_jit", "vs_hand", "vs_keras", "target_vs_keras"])
    print(f"(samples/s at batch {BATCH:,}; vs_* = metricdsl stateful / other)")


if __name__ == "__main__":
    main()
