"""Every family against its floor and its peers, at batch 32 and at a large batch.

Families: MSE, BinaryAccuracy, CategoricalAccuracy (10 classes), AUC(200),
Precision, Recall, MeanIoU(10) and F1Score (10 classes, argmax mode). Large
batch is 10^6 samples, 262,144 for the ``(N, 10)`` families and AUC (whose
peers compare every sample with every threshold). Columns (µs per
update; peers only when installed):

- ``metricdsl``: the stateful ``update_state`` (state kept on the device);
- ``metricdsl_jit``: ``jax.jit(m.stateless_update_state)``, state threaded;
- ``hand``: the same counts written by hand under ``jax.jit`` (the floor, `_hand`);
- ``keras_eager`` / ``keras_jit``: Keras 3 (JAX backend) ``update_state`` and
  jitted ``stateless_update_state``;
- ``torchmetrics`` (CPU torch), ``metrax`` (jitted ``merge(from_model_output)``);
- ``numpy``: the hand kernel's counts in numpy (one thread); ``sklearn``: the
  one-shot value from the batch.

Before timing, every column computes the metric's value on one batch from a
fresh state and must agree with the hand kernel's; a column that disagrees is
reported and left out of the timing. Large-batch rows also time ``read``, a
jitted sum over as many float32 bytes as the inputs (interleaved with the
rest): ``bw_share`` is its time over the update's, the share of the read
bandwidth the update reaches at that size (inputs of a few MB stay in the
last-level cache between calls); ``dram_share`` uses the 256 MB read of
`bench_bandwidth` instead. ``hlo`` says what the compiled update writes
besides its state (`_harness.hlo_summary`).

Run: ``python -m benchmarks.run --only metrics``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import _hand
import jax
import jax.numpy as jnp
import numpy as np
from _harness import hlo_summary, interleaved, keras_on_jax, report, target
from _peers import metrax_module, sklearn_metrics, torch_tensor, torchmetrics_module

import metricdsl as md

CLASSES = 10
LARGE, HEAVY = 10**6, 262_144
GPU_LARGE, GPU_HEAVY = 10**8, 10**7
BATCH32_TARGET = 1.3  # metricdsl stateful / hand at batch 32, at most
LARGE_TARGET = 0.9    # hand time / metricdsl stateful time at the large batch, at least
PEERS = ("keras_eager", "keras_jit", "torchmetrics", "metrax", "numpy", "sklearn")


class AgreementError(AssertionError):
    """A column computed a different value from the hand kernel's."""


# -- data ---------------------------------------------------------------------------------------
def _binary(n, rng):
    return ((rng.uniform(size=(n, 1)) < 0.3).astype("float32"),
            rng.uniform(size=(n, 1)).astype("float32"))


def _regression(n, rng):
    return rng.normal(size=(n, 1)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def _one_hot(n, rng):
    labels = rng.integers(0, CLASSES, n)
    return (np.eye(CLASSES, dtype="float32")[labels],
            rng.uniform(size=(n, CLASSES)).astype("float32"))


def _labels(n, rng):
    return (rng.integers(0, CLASSES, n).astype("int32"),
            rng.integers(0, CLASSES, n).astype("int32"))


@dataclass(frozen=True)
class Family:
    """One metric family: its data, its hand counts and how each peer computes it."""

    name: str
    data: Callable
    ours: Callable
    keras: str
    counts: Callable
    result: Callable
    shape: tuple
    sklearn: Callable | None = None
    torch: Callable | None = None
    metrax: Callable | None = None
    heavy: bool = False
    keras_kwargs: dict = field(default_factory=dict)
    static: dict = field(default_factory=dict)
    tolerance: dict = field(default_factory=dict)  # column -> atol, where a peer is exact


def _flat(t, p):
    return t.ravel(), p.ravel()


FAMILIES = [
    Family("MSE", _regression, md.metric_mean_squared_error, "MeanSquaredError",
           _hand.mse_counts, _hand.ratio_result, (2,),
           sklearn=lambda sk, t, p: sk.mean_squared_error(t, p),
           torch=lambda tm: (tm.MeanSquaredError(), lambda t, p: (p, t)),
           metrax=lambda mx, t, p: mx.MSE.from_model_output(*_flat(p, t))),
    Family("BinaryAccuracy", _binary, md.metric_binary_accuracy, "BinaryAccuracy",
           _hand.binary_accuracy_counts, _hand.ratio_result, (2,),
           sklearn=lambda sk, t, p: sk.accuracy_score(t.ravel(), p.ravel() > 0.5),
           torch=lambda tm: (tm.classification.BinaryAccuracy(), lambda t, p: (p, t)),
           metrax=lambda mx, t, p: mx.Accuracy.from_model_output(
               (p.ravel() > 0.5).astype(jnp.float32), t.ravel())),
    Family("CategoricalAccuracy", _one_hot, md.metric_categorical_accuracy,
           "CategoricalAccuracy", _hand.categorical_accuracy_counts, _hand.ratio_result, (2,),
           heavy=True,
           sklearn=lambda sk, t, p: sk.accuracy_score(t.argmax(1), p.argmax(1)),
           torch=lambda tm: (tm.classification.MulticlassAccuracy(CLASSES, average="micro"),
                             lambda t, p: (p, t.argmax(1))),
           metrax=lambda mx, t, p: mx.Accuracy.from_model_output(p.argmax(1), t.argmax(1))),
    Family("AUC(200)", _binary, md.metric_auc, "AUC", _hand.auc_counts, _hand.auc_result,
           (4, _hand.NUM_THRESHOLDS),
           sklearn=lambda sk, t, p: sk.roc_auc_score(t.ravel(), p.ravel()),
           torch=lambda tm: (tm.classification.BinaryAUROC(thresholds=_hand.NUM_THRESHOLDS),
                             lambda t, p: (p.ravel(), t.ravel().long())),
           metrax=lambda mx, t, p: mx.AUCROC.from_model_output(*_flat(p, t)), heavy=True,
           tolerance={"sklearn": 5e-3}),  # scikit-learn's AUC is exact, the others binned
    Family("Precision", _binary, md.metric_precision, "Precision", _hand.precision_counts,
           _hand.precision_result, (2,),
           sklearn=lambda sk, t, p: sk.precision_score(t.ravel(), p.ravel() > 0.5),
           torch=lambda tm: (tm.classification.BinaryPrecision(), lambda t, p: (p, t)),
           metrax=lambda mx, t, p: mx.Precision.from_model_output(*_flat(p, t))),
    Family("Recall", _binary, md.metric_recall, "Recall", _hand.recall_counts,
           _hand.precision_result, (2,),
           sklearn=lambda sk, t, p: sk.recall_score(t.ravel(), p.ravel() > 0.5),
           torch=lambda tm: (tm.classification.BinaryRecall(), lambda t, p: (p, t)),
           metrax=lambda mx, t, p: mx.Recall.from_model_output(*_flat(p, t))),
    Family("MeanIoU(10)", _labels, lambda: md.metric_mean_iou(CLASSES), "MeanIoU",
           _hand.confusion_counts, _hand.mean_iou_result, (CLASSES, CLASSES),
           keras_kwargs={"num_classes": CLASSES}, static={"classes": CLASSES},
           sklearn=lambda sk, t, p: sk.jaccard_score(t, p, average="macro"),
           torch=lambda tm: (tm.classification.MulticlassJaccardIndex(CLASSES),
                             lambda t, p: (p.long(), t.long()))),
    Family("F1Score(10)", _one_hot, md.metric_f1_score, "F1Score", _hand.f1_counts,
           _hand.f1_result, (3, CLASSES), heavy=True,
           sklearn=lambda sk, t, p: sk.f1_score(t.argmax(1), p.argmax(1), average=None),
           torch=lambda tm: (tm.classification.MulticlassF1Score(CLASSES, average="none"),
                             lambda t, p: (p, t.argmax(1)))),
]


# -- columns: (step, value) pairs ---------------------------------------------------------------
@dataclass
class Column:
    """``step()`` runs one update (timed); ``value()`` is the metric after one fresh update."""

    step: Callable[[], Any]
    value: Callable[[], Any]
    hlo: Callable[[], str] | None = None  # what the compiled update writes (`hlo_summary`)


def _ours(family, t, p) -> dict[str, Column]:
    metric = family.ours()
    metric.update_state(t, p)  # builds it and compiles the update

    def fresh():
        m = family.ours()
        m.update_state(t, p)
        return m.result()

    def step():
        metric.update_state(t, p)
        return metric.variables[0].value

    update = jax.jit(metric.stateless_update_state)
    box = [update(metric.stateless_reset_state(), t, p)]

    def jit_step():
        box[0] = update(box[0], t, p)
        return box[0]

    column = Column(step, fresh)
    column.hlo = lambda: hlo_summary(metric.stateless_update_state,
                                     metric.stateless_reset_state(), t, p, size=t.shape[0])
    return {"metricdsl": column,
            "metricdsl_jit": Column(jit_step, lambda: metric.stateless_result(
                update(metric.stateless_reset_state(), t, p)))}


def _hand_column(family, t, p) -> Column:
    update = _hand.jitted(family.counts, **family.static)
    zero = jnp.zeros(family.shape, jnp.float32)
    box = [zero]

    def step():
        box[0] = update(box[0], t, p)
        return box[0]

    column = Column(step, lambda: family.result(update(zero, t, p)))
    column.hlo = lambda: hlo_summary(update, zero, t, p, size=t.shape[0])
    return column


def _keras(family, keras, t, p) -> dict[str, Column]:
    def make():
        metric = getattr(keras.metrics, family.keras)(**family.keras_kwargs)
        metric.update_state(t[:2], p[:2])  # Keras builds some metrics lazily
        metric.reset_state()
        return metric

    eager = make()

    def eager_step():
        eager.update_state(t, p)
        return eager.variables[0].value

    def eager_value():
        m = make()
        m.update_state(t, p)
        return m.result()

    metric = make()
    update = jax.jit(metric.stateless_update_state)
    zero = [v.value for v in metric.variables]
    box = [zero]

    def jit_step():
        box[0] = update(box[0], t, p)
        return box[0]

    return {"keras_eager": Column(eager_step, eager_value),
            "keras_jit": Column(jit_step,
                                lambda: metric.stateless_result(update(zero, t, p)))}


def _torch(family, tm, t, p) -> Column:
    metric, convert = family.torch(tm)
    args = convert(torch_tensor(t), torch_tensor(p))

    def value():
        fresh, _ = family.torch(tm)
        fresh.update(*args)
        return fresh.compute().numpy()

    return Column(lambda: metric.update(*args), value)


def _metrax(family, mx, t, p) -> Column:
    step_fn = jax.jit(lambda state, t, p: state.merge(family.metrax(mx, t, p)))
    box = [jax.jit(lambda t, p: family.metrax(mx, t, p))(t, p)]

    def step():
        box[0] = step_fn(box[0], t, p)
        return box[0]

    return Column(step, lambda: family.metrax(mx, t, p).compute())


def _numpy(family, t, p) -> Column:
    def value():
        return family.result(family.counts(np, t, p, **family.static))
    return Column(lambda: family.counts(np, t, p, **family.static), value)


def columns(family, n, rng, peers) -> dict[str, Column]:
    """Every column of ``family`` at batch ``n`` (peers in ``peers`` only when installed)."""
    t_np, p_np = family.data(n, rng)
    t, p = jnp.asarray(t_np), jnp.asarray(p_np)
    cols = {**_ours(family, t, p), "hand": _hand_column(family, t, p)}
    keras = keras_on_jax() if {"keras_eager", "keras_jit"} & peers else None
    if keras is not None:
        cols.update({k: v for k, v in _keras(family, keras, t, p).items() if k in peers})
    tm = torchmetrics_module() if "torchmetrics" in peers and family.torch else None
    if tm is not None:
        cols["torchmetrics"] = _torch(family, tm, t_np, p_np)
    mx = metrax_module() if "metrax" in peers and family.metrax else None
    if mx is not None:
        cols["metrax"] = _metrax(family, mx, t, p)
    if "numpy" in peers:
        cols["numpy"] = _numpy(family, t_np, p_np)
    sk = sklearn_metrics() if "sklearn" in peers and family.sklearn else None
    if sk is not None:
        cols["sklearn"] = Column(lambda: family.sklearn(sk, t_np, p_np),
                                 lambda: family.sklearn(sk, t_np, p_np))
    return cols


def agreement(family, n, cols) -> dict[str, str]:
    """Each column's value against the hand kernel's: ``{column: problem}`` for disagreements."""
    reference = np.asarray(cols["hand"].value(), np.float64)
    problems = {}
    for name, column in cols.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = np.asarray(column.value(), np.float64)
        atol = family.tolerance.get(name, 1e-5)
        if value.shape != reference.shape or not np.allclose(value, reference, rtol=1e-4,
                                                             atol=atol):
            problems[name] = f"{value.round(6).tolist()} != hand {reference.round(6).tolist()}"
    for name, problem in problems.items():
        print(f"!! DISAGREEMENT {family.name} batch {n}: {name} computes {problem}")
    return problems


# -- the run ------------------------------------------------------------------------------------
def _sizes(family, device):
    large = (GPU_HEAVY if family.heavy else GPU_LARGE) if device == "gpu" else (
        HEAVY if family.heavy else LARGE)
    return (32, large)


def _read_floor(nbytes: int):
    """A jitted read-reduce of ``nbytes`` of float32: the least an update reading them costs."""
    data = jnp.ones(nbytes // 4, jnp.float32)
    total = jax.jit(jnp.sum)
    return lambda: total(data)


def _timings(family, n, cols, problems, bandwidth) -> dict[str, Any]:
    """Time the agreeing columns interleaved (with the read floor at a large batch)."""
    timed = {k: c.step for k, c in cols.items() if k not in problems}
    nbytes = sum(x.nbytes for x in family.data(1, np.random.default_rng())) * n
    if n > 32:
        timed["read"] = _read_floor(nbytes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = interleaved(timed, min_time=0.3 if n == 32 else 0.6, repeats=5)
    row: dict[str, Any] = {f"{k}_us": v * 1e6 for k, v in times.items()}
    row.update({f"{k}/hand": v / times["hand"] for k, v in times.items()
                if k not in ("hand", "read")})
    row["overhead_us"] = (times["metricdsl"] - times["metricdsl_jit"]) * 1e6
    if n > 32:
        row["GB/s"] = nbytes / times["metricdsl"] / 1e9
        row["bw_share"] = times["read"] / times["metricdsl"]
        row["hand_bw_share"] = times["read"] / times["hand"]
        if bandwidth:
            row["dram_share"] = nbytes / times["metricdsl"] / bandwidth
        row["hlo"] = cols["metricdsl"].hlo()
        row["hand_hlo"] = cols["hand"].hlo()
    return row


def measure(*, only=(), agreement_only=False, device="cpu", bandwidth=None) -> list[dict]:
    """Check and time every family (those named in ``only`` when given); one row per batch."""
    peers = set(PEERS) if device == "cpu" else {"keras_eager", "keras_jit"}
    rng = np.random.default_rng(0)
    rows, failures = [], []
    for family in FAMILIES:
        if only and not any(o.lower() in family.name.lower() for o in only):
            continue
        for n in _sizes(family, device):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Keras asks for int64 indices (x64 is off)
                cols = columns(family, n, rng, peers)
            problems = agreement(family, n, cols)
            failures += [f"{family.name}@{n}:{k}" for k in problems]
            row: dict[str, Any] = {"metric": family.name, "N": n,
                                   "agree": "yes" if not problems else "NO: " + ",".join(problems)}
            if not agreement_only:
                row.update(_timings(family, n, cols, problems, bandwidth))
            rows.append(row)
    if failures:
        raise AgreementError("columns disagree with the hand kernel: " + ", ".join(failures))
    return rows


def _targets(rows) -> None:
    for row in rows:
        if "metricdsl_us" not in row:
            continue
        ratio = row["metricdsl/hand"]
        if row["N"] == 32:
            target(f"{row['metric']} update_state, batch 32, vs hand", ratio,
                   f"<= {BATCH32_TARGET}", ratio <= BATCH32_TARGET)
        else:
            target(f"{row['metric']} update_state, batch {row['N']:,}, hand/metricdsl", 1 / ratio,
                   f">= {LARGE_TARGET}", 1 / ratio >= LARGE_TARGET)
            if "numpy_us" in row:
                speed = row["numpy_us"] / row["metricdsl_us"]
                target(f"{row['metric']} batch {row['N']:,}, numpy/metricdsl", speed, ">= 1",
                       speed >= 1)
        if row["metric"] == "AUC(200)" and row["N"] == 32 and "keras_jit_us" in row:
            speed = row["keras_jit_us"] / row["metricdsl_us"]
            target("AUC batch 32, keras_jit/metricdsl", speed, "> 1", speed > 1)


def main(*, only=(), agreement_only=False, device="cpu", bandwidth=None) -> list[dict]:
    """Run the family table, print it, record its targets."""
    rows = measure(only=only, agreement_only=agreement_only, device=device, bandwidth=bandwidth)
    keys = ["metricdsl", "metricdsl_jit", "hand", *PEERS]
    columns_ = ["metric", "N", "agree"] + [f"{k}_us" for k in keys] + [
        "metricdsl/hand", "overhead_us", "read_us", "GB/s", "bw_share", "hand_bw_share",
        "dram_share", "hlo", "hand_hlo"]
    present = [c for c in columns_ if any(c in r for r in rows)]
    report("metrics", rows, present)
    if not agreement_only:
        print("(µs per update; */hand = time over the hand kernel's; read = a jitted sum over "
              "as many bytes as the inputs; bw_share = read / metricdsl time; dram_share = "
              "input bytes / time / the bandwidth of a 256 MB read)")
        _targets(rows)
    return rows


if __name__ == "__main__":
    main()
