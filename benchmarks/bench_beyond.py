"""The metrics beyond Keras's catalogue vs their references and TorchMetrics: batch 32 and 262,144.

Run: ``python -m benchmarks.run --only beyond``. Prints a table, writes the suite's JSON.
metricdsl runs stateful updates (compiled once, state kept on device); TorchMetrics
(when installed: CPU torch) runs its streaming ``update``; the reference (scikit-learn,
or a numpy definition where scikit-learn has none: ECE, MRR, hit rate, MAP@k)
recomputes from the batch (it has no streaming state), so at large batches that ratio
says how the streaming update compares with one offline pass. Ranking metrics take
N / 16 lists of 16 items. Before timing, each metric's value after one batch must equal
its reference (else the run fails), and each TorchMetrics value is checked against
metricdsl's (a disagreeing one is reported and not timed). ``--agreement-only`` runs the
checks alone.
"""

from __future__ import annotations

import importlib
import warnings

import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report
from _peers import torch_tensor, torchmetrics_module
from sklearn import metrics as sk

import metricdsl as md

C = 10
LIST = 16  # ranking: lists of 16 items, N / 16 lists


def _classification(n, rng):
    y_true = rng.integers(0, C, n).astype("int32")
    scores = rng.dirichlet(np.ones(C), n).astype("float32")
    return y_true, scores


def _ece(confidence, correct, num_bins=15):
    """ECE (l1) from its definition: equal-width bins [i/B, (i+1)/B), the last one closed."""
    index = np.minimum(np.floor(confidence * np.float32(num_bins)), num_bins - 1).astype(int)
    count = np.bincount(index, minlength=num_bins)
    gap = np.abs(np.bincount(index, correct, num_bins) - np.bincount(index, confidence, num_bins))
    return float(np.sum(gap) / count.sum())


def _top_relevance(relevance, scores, k):
    """Relevance (nonzero) of each list's top-k items by decreasing score, ties by position."""
    order = np.argsort(-scores, axis=-1, kind="stable")[:, :k]
    return np.take_along_axis(relevance, order, axis=-1) != 0


def _mrr(relevance, scores, k=None):
    hits = _top_relevance(relevance, scores, k or relevance.shape[1])
    first = np.argmax(hits, axis=-1)
    return float(np.mean(np.where(hits.any(-1), 1 / (first + 1), 0.0)))


def _hit_rate(relevance, scores, k):
    return float(np.mean(_top_relevance(relevance, scores, k).any(-1)))


def _map_at_k(relevance, scores, k):
    hits = _top_relevance(relevance, scores, k)
    precision = np.cumsum(hits, -1) / np.arange(1, k + 1)
    total = np.minimum((relevance != 0).sum(-1), k)
    return float(np.mean(np.where(total > 0, (precision * hits).sum(-1) / np.maximum(total, 1),
                                  0.0)))


def _cases(n, rng):
    """``(case, metric, data, reference, torchmetrics spec, tolerance)`` per metric.

    The reference is scikit-learn where it has the metric, else a numpy
    definition; the spec names a TorchMetrics class (module.Class) and its
    arguments, None where TorchMetrics has no streaming equivalent here.
    """
    y_true, scores = _classification(n, rng)
    labels = scores.argmax(axis=1)
    binary_true = (y_true % 2).astype("float32")
    binary_score = rng.uniform(size=n).astype("float32")  # about half predicted positive
    multiclass, binary = (y_true, scores), (binary_true, binary_score)
    one_hot = (np.eye(C, dtype="float32")[y_true], scores)
    target = rng.normal(size=(n, 1)).astype("float32")
    estimate = (target + 0.5 * rng.normal(size=(n, 1))).astype("float32")
    relevance = rng.integers(0, 4, (max(n // LIST, 2), LIST)).astype("float32")
    ranked = rng.uniform(size=relevance.shape).astype("float32")
    lists = (relevance, ranked)
    average = {"num_classes": C, "average": "macro"}
    return [
        ("multiclass precision (macro)", md.metric_multiclass_precision(C), multiclass,
         lambda: sk.precision_score(y_true, labels, average="macro", zero_division=0),
         ("classification.MulticlassPrecision", average), 1e-5),
        ("multiclass recall (macro)", md.metric_multiclass_recall(C), multiclass,
         lambda: sk.recall_score(y_true, labels, average="macro", zero_division=0),
         ("classification.MulticlassRecall", average), 1e-5),
        ("multiclass F1 (macro)", md.metric_multiclass_f1_score(C), multiclass,
         lambda: sk.f1_score(y_true, labels, average="macro", zero_division=0),
         ("classification.MulticlassF1Score", average), 1e-5),
        ("confusion matrix", md.metric_confusion_matrix(C), multiclass,
         lambda: sk.confusion_matrix(y_true, labels, labels=range(C)),
         ("classification.MulticlassConfusionMatrix", {"num_classes": C}), 0.0),
        ("balanced accuracy", md.metric_balanced_accuracy(C), multiclass,
         lambda: sk.balanced_accuracy_score(y_true, labels), None, 1e-5),
        ("Cohen's kappa", md.metric_cohen_kappa(C), multiclass,
         lambda: sk.cohen_kappa_score(y_true, labels),
         ("classification.MulticlassCohenKappa", {"num_classes": C}), 1e-5),
        ("MCC (binary)", md.metric_matthews_correlation(), binary,
         lambda: sk.matthews_corrcoef(binary_true, binary_score > 0.5),
         ("classification.BinaryMatthewsCorrCoef", {}), 1e-5),
        ("average precision", md.metric_average_precision(), binary,
         lambda: sk.average_precision_score(binary_true, binary_score),
         ("classification.BinaryAveragePrecision", {"thresholds": None}), 5e-3),  # binned
        ("exact ROC AUC", md.metric_exact_auc(), binary,
         lambda: sk.roc_auc_score(binary_true, binary_score),
         ("classification.BinaryAUROC", {"thresholds": None}), 2e-3),  # float32 bins vs exact
        ("Brier score", md.metric_brier_score(), binary,
         lambda: sk.brier_score_loss(binary_true, binary_score), None, 0.0),
        ("ECE (15 bins, multiclass)", md.metric_expected_calibration_error(), one_hot,
         lambda: _ece(scores.max(-1), (labels == y_true).astype("float64")),
         ("classification.MulticlassCalibrationError", {"num_classes": C, "n_bins": 15}), 1e-5),
        ("explained variance", md.metric_explained_variance(), (target, estimate),
         lambda: sk.explained_variance_score(target, estimate),
         ("regression.ExplainedVariance", {}), 1e-4),
        ("NDCG", md.metric_ndcg(), lists, lambda: sk.ndcg_score(relevance, ranked), None, 1e-5),
        ("MRR", md.metric_mean_reciprocal_rank(), lists, lambda: _mrr(relevance, ranked),
         None, 1e-5),
        ("hit rate @3", md.metric_hit_rate(3), lists, lambda: _hit_rate(relevance, ranked, 3),
         None, 1e-6),
        ("MAP @5", md.metric_mean_average_precision_at_k(5), lists,
         lambda: _map_at_k(relevance, ranked, 5), None, 1e-5),
    ]


def _torchmetrics(spec, data, ours_value, tolerance):
    """A timed streaming TorchMetrics update for ``spec``, or a reason it is not timed."""
    tm = torchmetrics_module()
    if tm is None or spec is None:
        return None, "-"
    path, kwargs = spec
    family, name = path.split(".")
    y_true, y_pred = (torch_tensor(np.ascontiguousarray(x)) for x in data)
    target = y_true.long() if family == "classification" else y_true
    if name == "MulticlassCalibrationError":
        target = target.argmax(-1)  # one-hot rows to class ids
    cls = getattr(importlib.import_module(f"torchmetrics.{family}"), name)
    fresh = cls(**kwargs)
    fresh.update(y_pred, target)
    value = fresh.compute().numpy()
    if not np.allclose(value, ours_value, rtol=tolerance, atol=tolerance):
        return None, f"!! DISAGREEMENT ({float(np.max(np.abs(value - ours_value))):.2g})"
    metric = cls(**kwargs)

    def update():
        metric.update(y_pred, target)

    return update, "yes"


def main(*, agreement_only=False) -> list[dict]:
    """Check every metric against its reference (and TorchMetrics), then time them.

    Raises:
        AssertionError: if a metric disagrees with its scikit-learn or numpy reference.
    """
    rng = np.random.default_rng(0)
    rows = []
    for n in (32, 262_144):
        for case, metric, data, reference, spec, tolerance in _cases(n, rng):
            arrays = tuple(jnp.asarray(x) for x in data)
            fresh = metric.from_config(metric.get_config())
            fresh.update_state(*arrays)
            value = np.asarray(fresh.result())
            with warnings.catch_warnings():  # scikit-learn's notes on classes absent at batch 32
                warnings.simplefilter("ignore")
                want = reference()
            if not np.allclose(value, want, rtol=max(tolerance, 1e-5), atol=max(tolerance, 1e-6)):
                raise AssertionError(f"{case}, batch {n}: metricdsl {value} != reference {want}")
            theirs, agree = _torchmetrics(spec, data, value, tolerance)
            if agreement_only:
                rows.append({"case": f"{case}, batch {n}", "reference": "agrees",
                             "tm_agree": agree})
                continue

            def ours(metric=metric, arrays=arrays):
                metric.update_state(*arrays)
                return metric.variables[0]  # a pytree: the final block of a round reads it

            fns = {"ours": ours, "reference": reference}
            if theirs is not None:
                fns["torchmetrics"] = theirs
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                times = interleaved(fns, min_time=0.2, repeats=5)
            tm_us = times["torchmetrics"] * 1e6 if "torchmetrics" in times else None
            rows.append({"case": f"{case}, batch {n}", "metricdsl_us": times["ours"] * 1e6,
                         "torchmetrics_us": tm_us, "tm_agree": agree,
                         "reference_us": times["reference"] * 1e6,
                         "vs_torchmetrics": None if tm_us is None
                         else tm_us / (times["ours"] * 1e6),
                         "vs_reference": times["reference"] / times["ours"]})
    columns = (["case", "reference", "tm_agree"] if agreement_only else
               ["case", "metricdsl_us", "torchmetrics_us", "tm_agree", "reference_us",
                "vs_torchmetrics", "vs_reference"])
    report("beyond", rows, columns)
    return rows


if __name__ == "__main__":
    main()
