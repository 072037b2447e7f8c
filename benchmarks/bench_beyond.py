"""The metrics beyond Keras's catalogue vs scikit-learn: batch 32 and a large batch.

Run: ``python benchmarks/bench_beyond.py``. Prints a table, writes results/beyond.json.
metricdsl runs stateful updates (compiled once, state kept on device); scikit-learn
recomputes from the batch (it has no streaming state), so at large batches the ratio
says how the streaming update compares with one offline pass.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report
from sklearn import metrics as sk

import metricdsl as md

C = 10


def _classification(n, rng):
    y_true = rng.integers(0, C, n).astype("int32")
    scores = rng.dirichlet(np.ones(C), n).astype("float32")
    return y_true, scores


def _cases(n, rng):
    y_true, scores = _classification(n, rng)
    labels = scores.argmax(axis=1)
    binary_true = (y_true % 2).astype("float32")
    binary_score = scores[:, 0].astype("float32")
    return [
        ("multiclass F1 (macro)", md.metric_multiclass_f1_score(C), (y_true, scores),
         lambda: sk.f1_score(y_true, labels, average="macro")),
        ("confusion matrix", md.metric_confusion_matrix(C), (y_true, scores),
         lambda: sk.confusion_matrix(y_true, labels, labels=range(C))),
        ("Cohen's kappa", md.metric_cohen_kappa(C), (y_true, scores),
         lambda: sk.cohen_kappa_score(y_true, labels)),
        ("MCC (binary)", md.metric_matthews_correlation(), (binary_true, binary_score),
         lambda: sk.matthews_corrcoef(binary_true, binary_score > 0.5)),
        ("average precision", md.metric_average_precision(), (binary_true, binary_score),
         lambda: sk.average_precision_score(binary_true, binary_score)),
        ("exact ROC AUC", md.metric_exact_auc(), (binary_true, binary_score),
         lambda: sk.roc_auc_score(binary_true, binary_score)),
        ("Brier score", md.metric_brier_score(), (binary_true, binary_score),
         lambda: sk.brier_score_loss(binary_true, binary_score)),
    ]


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for n in (32, 262_144):
        for case, metric, data, reference in _cases(n, rng):
            data = tuple(jnp.asarray(x) for x in data)

            def ours(metric=metric, data=data):
                metric.update_state(*data)
                return metric.variables[0]  # a pytree: the final block of a round reads it

            times = interleaved({"ours": ours, "sklearn": reference}, min_time=0.2, repeats=5)
            rows.append({"case": f"{case}, batch {n}", "metricdsl_us": times["ours"] * 1e6,
                         "sklearn_us": times["sklearn"] * 1e6,
                         "speedup": times["sklearn"] / times["ours"]})
    report("beyond", rows, ["case", "metricdsl_us", "sklearn_us", "speedup"])


if __name__ == "__main__":
    main()
