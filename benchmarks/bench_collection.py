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

Also the issue's 8 builtins (accuracy, AUC, precision, recall, MSE, BCE, TP, FN) at batch 32
against one hand-written jitted MSE update (target ≤ 2×), and shared state at 10^6 samples:
precision alone, + recall (target ≤ 1.1×), + F1 at the same threshold (target ≤ 1.3×), each
with ``share_state`` on and off, and the all-fused collection's throughput against its
slowest member alone (target ≥ 0.8×).
Run: ``python benchmarks/bench_collection.py``. Prints tables, writes results/collection.json
and results/collection_shared.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report, seconds_per_call

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


ISSUE_NAMES = ["accuracy", "AUC", "precision", "recall", "mse", "bce"]


@jax.jit
def _hand_mse(state, y_true, y_pred):
    """One hand-written MSE update carrying its (total, count) state."""
    total, count = state
    return total + jnp.sum((y_true - y_pred) ** 2), count + y_true.shape[0]


def _stateful(metrics, y_true, y_pred, share=True):
    """A step of ``collection.update_state`` (blocking on its packed state), after one warm-up."""
    collection = md.compile_metrics(metrics)
    collection.share_state = share
    collection.update_state(y_true, y_pred)
    return lambda: (collection.update_state(y_true, y_pred), collection._store.buffers)[1]


def issue_set(y_true, y_pred) -> list[dict]:
    """The issue's 8 builtins at batch 32 against one hand-written MSE call."""
    zero = jnp.float32(0)

    def members():
        return [*ISSUE_NAMES, md.metric_true_positives(), md.metric_false_negatives()]

    times = interleaved({"hand": lambda: _hand_mse((zero, zero), y_true, y_pred),
                         "shared": _stateful(members(), y_true, y_pred),
                         "unshared": _stateful(members(), y_true, y_pred, share=False)})
    return [{"case": "hand-written jitted MSE update", "us_per_step": times["hand"] * 1e6,
             "vs_hand_mse": 1.0, "target": "-"},
            {"case": "8 builtins (issue set), shared state", "us_per_step":
             times["shared"] * 1e6, "vs_hand_mse": times["shared"] / times["hand"],
             "target": "<= 2 x hand MSE"},
            {"case": "8 builtins (issue set), share_state=False", "us_per_step":
             times["unshared"] * 1e6, "vs_hand_mse": times["unshared"] / times["hand"],
             "target": "-"}]


def shared_state(n: int = 10**6) -> list[dict]:
    """Precision alone, + recall, + F1 at 0.5 on ``n`` samples, sharing on and off."""
    rng = np.random.default_rng(1)
    y_true = jnp.asarray(rng.integers(0, 2, (n, 1)).astype("float32"))
    y_pred = jnp.asarray(rng.uniform(0, 1, (n, 1)).astype("float32"))
    cases = {"precision": lambda: [md.metric_precision()],
             "recall": lambda: [md.metric_recall()],
             "f1": lambda: [md.metric_f1_score(threshold=0.5)],
             "precision+recall": lambda: [md.metric_precision(), md.metric_recall()],
             "precision+recall+f1": lambda: [md.metric_precision(), md.metric_recall(),
                                             md.metric_f1_score(threshold=0.5)]}
    fns = {name: _stateful(make(), y_true, y_pred) for name, make in cases.items()}
    fns.update({f"{name}, share_state=False": _stateful(cases[name](), y_true, y_pred, False)
                for name in ("precision+recall", "precision+recall+f1")})
    times = interleaved(fns, min_time=0.5, repeats=5)
    slowest = max(times[name] for name in ("precision", "recall", "f1"))
    targets = {"precision+recall": "<= 1.1 x precision",
               "precision+recall+f1": "<= 1.3 x precision"}
    return [{"case": name, "ms_per_step": t * 1e3, "vs_precision": t / times["precision"],
             "throughput_vs_slowest_member": slowest / t if "+" in name else None,
             "target": targets.get(name, "-")} for name, t in times.items()]


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
    rows += issue_set(y_true, y_pred)
    report("collection", rows, ["case", "us_per_step", "vs_hand", "vs_hand_packed",
                                "vs_hand_mse", "keras_over_metricdsl", "target"])
    report("collection_shared", shared_state(), ["case", "ms_per_step", "vs_precision",
                                                 "throughput_vs_slowest_member", "target"])


if __name__ == "__main__":
    main()
