"""A MetricCollection of 8 builtins vs one hand-written jitted kernel vs 8 Keras jitted calls.

Each step updates MSE, MAE, MAPE, MSLE, LogCoshError, BinaryAccuracy,
BinaryCrossentropy and Hinge on one batch of 32 (shape (32, 1)):
- ``hand``: one ``jax.jit`` function computing all 8 running sums/counts by hand (state:
  16 scalars; also with the state in one array);
- ``metricdsl``: ``collection.update_state(y_true, y_pred)`` (stateful, one jitted call);
- ``metricdsl stateless``: ``jax.jit(collection.stateless_update_state)`` (state threaded);
- ``keras``: the 8 ``keras.metrics`` classes, each with its own jitted
  ``stateless_update_state`` call (KERAS_BACKEND=jax), state threaded.

Targets: metricdsl ≤ 2× hand; keras ≥ 4× metricdsl.
Run: ``python benchmarks/bench_collection.py``. Prints a table, writes results/collection.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np
from _harness import report, seconds_per_call

import metricdsl as md

NAMES = ["mse", "mae", "mape", "msle", "logcosh", "binary_accuracy", "binary_crossentropy",
         "hinge"]
KERAS_CLASSES = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
                 "MeanSquaredLogarithmicError", "LogCoshError", "BinaryAccuracy",
                 "BinaryCrossentropy", "Hinge"]
EPS = 1e-7


@jax.jit
def _hand(state, y_true, y_pred):
    """All 8 per-sample means by hand (state: 8 (total, count) pairs)."""
    t, p = y_true[:, 0], y_pred[:, 0]
    e = p - t
    pc = jnp.clip(p, EPS, 1 - EPS)
    labels = jnp.where(jnp.all((t == 0) | (t == 1)), 2 * t - 1, t)
    values = [e * e, jnp.abs(e), 100 * jnp.abs(e / jnp.maximum(jnp.abs(t), EPS)),
              (jnp.log(jnp.maximum(p, EPS) + 1) - jnp.log(jnp.maximum(t, EPS) + 1)) ** 2,
              e + jax.nn.softplus(-2 * e) - jnp.log(2.0),
              (t == (p > 0.5).astype(t.dtype)).astype("float32"),
              -(t * jnp.log(pc) + (1 - t) * jnp.log(1 - pc)),
              jnp.maximum(1 - labels * p, 0)]
    n = jnp.float32(t.shape[0])
    return tuple((total + jnp.sum(v), count + n) for (total, count), v in zip(state, values))


@jax.jit
def _hand_packed(state, y_true, y_pred):
    """`_hand` with the 16 numbers in one (8, 2) array."""
    pairs = _hand.__wrapped__(tuple((state[i, 0], state[i, 1]) for i in range(8)), y_true, y_pred)
    return jnp.array(pairs)


def _keras_calls():
    import keras

    metrics = [getattr(keras.metrics, name)() for name in KERAS_CLASSES]
    jitted = [jax.jit(m.stateless_update_state) for m in metrics]
    states = [[v.value for v in m.variables] for m in metrics]
    return metrics, jitted, states


def main() -> None:
    rng = np.random.default_rng(0)
    y_true = jnp.asarray(rng.integers(0, 2, (32, 1)).astype("float32"))
    y_pred = jnp.asarray(rng.uniform(0.01, 0.99, (32, 1)).astype("float32"))
    rows = []

    zero = jnp.float32(0)
    hand_state = tuple((zero, zero) for _ in NAMES)
    hand = seconds_per_call(lambda: _hand(hand_state, y_true, y_pred))

    collection = md.compile_metrics(NAMES)
    collection.update_state(y_true, y_pred)
    # Block on the collection's packed state (reading a member would add a sync per step).
    ours = seconds_per_call(lambda: (collection.update_state(y_true, y_pred),
                                     collection._store.buffers)[1])
    stateless = jax.jit(collection.stateless_update_state)
    state = collection.stateless_reset_state()
    ours_stateless = seconds_per_call(lambda: stateless(state, y_true, y_pred))

    packed_state = jnp.zeros((8, 2), "float32")
    hand_packed = seconds_per_call(lambda: _hand_packed(packed_state, y_true, y_pred))

    rows.append({"case": "hand-written jitted kernel (8 metrics)", "us_per_step": hand * 1e6,
                 "vs_hand": 1.0, "target": "-"})
    rows.append({"case": "hand-written kernel, state in one array", "us_per_step":
                 hand_packed * 1e6, "vs_hand": hand_packed / hand, "target": "-"})
    rows.append({"case": "metricdsl collection.update_state", "us_per_step": ours * 1e6,
                 "vs_hand": ours / hand, "vs_hand_packed": ours / hand_packed,
                 "target": "<= 2 x hand"})
    rows.append({"case": "metricdsl jit(stateless_update_state)", "us_per_step":
                 ours_stateless * 1e6, "vs_hand": ours_stateless / hand, "target": "-"})
    try:
        metrics, jitted, states = _keras_calls()
    except ImportError:
        metrics = None
    if metrics is not None:
        def keras_step():
            return [fn(s, y_true, y_pred) for fn, s in zip(jitted, states)]

        keras_time = seconds_per_call(keras_step)
        rows.append({"case": "keras: 8 jitted stateless_update_state calls",
                     "us_per_step": keras_time * 1e6, "vs_hand": keras_time / hand,
                     "target": ">= 4 x metricdsl", "keras_over_metricdsl": keras_time / ours})
    report("collection", rows, ["case", "us_per_step", "vs_hand", "vs_hand_packed",
                                "keras_over_metricdsl", "target"])


if __name__ == "__main__":
    main()
