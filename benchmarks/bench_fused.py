"""The issue's collection: 8 builtins updated together, against one hand MSE and its members.

Members: accuracy, AUC, precision, recall, MSE, BCE, TruePositives and
FalseNegatives on Keras-shaped ``(N, 1)`` binary data. Targets:

- batch 32: ``collection.update_state`` costs at most 2× one hand-written
  jitted MSE update (`_hand.mse_counts`): one dispatch for the eight;
- batch 10^6: the collection reads its inputs once, so it runs at least 0.8×
  as fast as its slowest member updated alone.

Each member's value in the collection must equal the same metric updated alone.
Run: ``python -m benchmarks.run --only fused``.
"""

from __future__ import annotations

import warnings

import _hand
import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report, target

import metricdsl as md

SMALL_TARGET, LARGE_TARGET = 2.0, 0.8
LARGE = 10**6


def _members():
    return {"accuracy": md.metric_binary_accuracy(), "auc": md.metric_auc(),
            "precision": md.metric_precision(), "recall": md.metric_recall(),
            "mse": md.metric_mean_squared_error(), "bce": md.metric_binary_crossentropy(),
            "true_positives": md.metric_true_positives(name="true_positives"),
            "false_negatives": md.metric_false_negatives(name="false_negatives")}


def _collection():
    # explicit names: Keras numbers the default names of TruePositives()/FalseNegatives()
    return md.compile_metrics(["accuracy", "auc", "precision", "recall", "mse", "bce",
                               md.metric_true_positives(name="true_positives"),
                               md.metric_false_negatives(name="false_negatives")])


def _step(metric, t, p):
    def call():
        metric.update_state(t, p)
        return metric.variables[0].value
    return call


def _check(t, p) -> None:
    collection = _collection()
    collection.update_state(t, p)
    together = collection.result()
    for name, metric in _members().items():
        metric.update_state(t, p)
        alone = float(metric.result())
        if not np.isclose(float(together[name]), alone, rtol=1e-5, atol=1e-6):
            raise AssertionError(f"collection member {name}: {float(together[name])} "
                                 f"!= alone {alone}")


def main(*, agreement_only=False) -> list[dict]:
    """Check the members' values, then time the collection at batch 32 and 10^6."""
    rng = np.random.default_rng(0)
    rows = []
    for n in (32, LARGE):
        t = jnp.asarray(rng.uniform(size=(n, 1)) < 0.3, jnp.float32)
        p = jnp.asarray(rng.uniform(0.01, 0.99, size=(n, 1)), jnp.float32)
        _check(t, p)
        if agreement_only:
            continue
        collection = _collection()
        fns = {"collection": _step(collection, t, p)}
        if n == 32:
            hand = _hand.jitted(_hand.mse_counts)
            box = [jnp.zeros(2)]

            def hand_mse(hand=hand, box=box, t=t, p=p):
                box[0] = hand(box[0], t, p)
                return box[0]
            fns["hand_mse"] = hand_mse
        else:
            fns.update({name: _step(m, t, p) for name, m in _members().items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times = interleaved(fns, min_time=0.3 if n == 32 else 0.8, repeats=5)
        for name, seconds in times.items():
            rows.append({"N": n, "update": name, "us": seconds * 1e6,
                         "vs_collection": seconds / times["collection"]})
        if n == 32:
            ratio = times["collection"] / times["hand_mse"]
            target("collection of 8, batch 32, vs one hand MSE", ratio, f"<= {SMALL_TARGET}",
                   ratio <= SMALL_TARGET)
        else:
            slowest = max((k for k in times if k != "collection"), key=times.__getitem__)
            speed = times[slowest] / times["collection"]
            target(f"collection of 8, batch 10^6, vs slowest member alone ({slowest})", speed,
                   f">= {LARGE_TARGET}", speed >= LARGE_TARGET,
                   note=f"sum of members alone: {sum(times.values()) - times['collection']:.3g} s")
    print("collection members agree with the metrics updated alone")
    if rows:
        report("fused", rows, ["N", "update", "us", "vs_collection"])
    return rows


if __name__ == "__main__":
    main()
