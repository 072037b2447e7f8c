"""The metrics beyond Keras's catalogue vs scikit-learn and TorchMetrics: batch 32 and 262,144.

Run: ``python benchmarks/bench_beyond.py``. Prints a table, writes results/beyond.json.
metricdsl runs stateful updates (compiled once, state kept on device); TorchMetrics
(when installed: CPU torch) runs its streaming ``update``; scikit-learn recomputes from
the batch (it has no streaming state), so at large batches that ratio says how the
streaming update compares with one offline pass. Before timing, each TorchMetrics
metric's value after one batch is checked against metricdsl's (a disagreeing one is
reported and not timed).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report
from _peers import torch_tensor, torchmetrics_module
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
    binary_score = rng.uniform(size=n).astype("float32")  # about half predicted positive
    multiclass, binary = (y_true, scores), (binary_true, binary_score)
    return [
        ("multiclass F1 (macro)", md.metric_multiclass_f1_score(C), multiclass,
         lambda: sk.f1_score(y_true, labels, average="macro"),
         ("MulticlassF1Score", {"num_classes": C, "average": "macro"}), 1e-5),
        ("confusion matrix", md.metric_confusion_matrix(C), multiclass,
         lambda: sk.confusion_matrix(y_true, labels, labels=range(C)),
         ("MulticlassConfusionMatrix", {"num_classes": C}), 0.0),
        ("Cohen's kappa", md.metric_cohen_kappa(C), multiclass,
         lambda: sk.cohen_kappa_score(y_true, labels),
         ("MulticlassCohenKappa", {"num_classes": C}), 1e-5),
        ("MCC (binary)", md.metric_matthews_correlation(), binary,
         lambda: sk.matthews_corrcoef(binary_true, binary_score > 0.5),
         ("BinaryMatthewsCorrCoef", {}), 1e-5),
        ("average precision", md.metric_average_precision(), binary,
         lambda: sk.average_precision_score(binary_true, binary_score),
         ("BinaryAveragePrecision", {"thresholds": None}), 5e-3),  # binned vs exact
        ("exact ROC AUC", md.metric_exact_auc(), binary,
         lambda: sk.roc_auc_score(binary_true, binary_score),
         ("BinaryAUROC", {"thresholds": None}), 2e-3),  # float32 bins vs exact
        ("Brier score", md.metric_brier_score(), binary,
         lambda: sk.brier_score_loss(binary_true, binary_score), None, 0.0),
    ]


def _torchmetrics(spec, data, ours_value, tolerance):
    """A timed streaming TorchMetrics update for ``spec``, or a reason it is not timed."""
    tm = torchmetrics_module()
    if tm is None or spec is None:
        return None, "-"
    name, kwargs = spec
    y_true, y_pred = (torch_tensor(np.ascontiguousarray(x)) for x in data)
    target = y_true.long()
    fresh = getattr(tm.classification, name)(**kwargs)
    fresh.update(y_pred, target)
    value = fresh.compute().numpy()
    if not np.allclose(value, ours_value, rtol=tolerance, atol=tolerance):
        return None, f"!! DISAGREEMENT ({float(np.max(np.abs(value - ours_value))):.2g})"
    metric = getattr(tm.classification, name)(**kwargs)

    def update():
        metric.update(y_pred, target)

    return update, "yes"


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for n in (32, 262_144):
        for case, metric, data, reference, spec, tolerance in _cases(n, rng):
            arrays = tuple(jnp.asarray(x) for x in data)
            fresh = metric.from_config(metric.get_config())
            fresh.update_state(*arrays)
            theirs, agree = _torchmetrics(spec, data, np.asarray(fresh.result()), tolerance)

            def ours(metric=metric, arrays=arrays):
                metric.update_state(*arrays)
                return metric.variables[0]  # a pytree: the final block of a round reads it

            fns = {"ours": ours, "sklearn": reference}
            if theirs is not None:
                fns["torchmetrics"] = theirs
            times = interleaved(fns, min_time=0.2, repeats=5)
            tm_us = times["torchmetrics"] * 1e6 if "torchmetrics" in times else None
            rows.append({"case": f"{case}, batch {n}", "metricdsl_us": times["ours"] * 1e6,
                         "torchmetrics_us": tm_us, "tm_agree": agree,
                         "sklearn_us": times["sklearn"] * 1e6,
                         "vs_torchmetrics": None if tm_us is None
                         else tm_us / (times["ours"] * 1e6),
                         "vs_sklearn": times["sklearn"] / times["ours"]})
    report("beyond", rows, ["case", "metricdsl_us", "torchmetrics_us", "tm_agree", "sklearn_us",
                            "vs_torchmetrics", "vs_sklearn"])


if __name__ == "__main__":
    main()
