"""Run by tests/test_distributed.py in a subprocess with 8 host CPU devices; prints JSON.

Every check compares the 8-device result with the single-device one and
records what the test asserts on (collective counts, equalities).
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import json

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import metricdsl as md
from metricdsl import ops

MESH = Mesh(np.array(jax.devices()), ("d",))
SHARDED = NamedSharding(MESH, P("d"))
REPLICATED = P()
rng = np.random.default_rng(0)


def _extremes_initialize(name="extremes", **kwargs):
    super.initialize(name=name, **kwargs)
    self.high = self.add_variable((), -jnp.inf, aggregation="max", name="high")
    self.low = self.add_variable((), jnp.inf, aggregation="min", name="low")
    self.top = self.add_variable((), -(2 ** 31), dtype="int32", aggregation="max", name="top")
    self.bottom = self.add_variable((), 2 ** 31 - 1, dtype="int32", aggregation="min",
                                    name="bottom")
    self.level = self.add_variable((), "zeros", aggregation="mean", name="level")
    self.seed = self.add_variable((), "zeros", aggregation="only_first_replica", name="seed")
    self.rows = self.add_variable((), "zeros", dtype="int32", name="rows")


def _extremes_update(y_true, y_pred, sample_weight=None):
    self.high.assign(ops.maximum(self.high, ops.max(y_pred)))
    self.low.assign(ops.minimum(self.low, ops.min(y_pred)))
    labels = ops.cast(y_true, "int32")
    self.top.assign(ops.maximum(self.top, ops.max(labels)))
    self.bottom.assign(ops.minimum(self.bottom, ops.min(labels)))
    self.level.assign(ops.mean(y_pred))
    self.seed.assign(y_pred[0, 0])
    self.rows.assign_add(ops.shape(y_pred)[0])


metric_extremes = md.Metric(
    "Extremes", initialize=_extremes_initialize, update_state=_extremes_update,
    result=lambda: {"high": self.high.value, "low": self.low.value, "top": self.top.value,
                    "bottom": self.bottom.value, "level": self.level.value,
                    "seed": self.seed.value, "rows": self.rows.value})


def per_device(fn, out_specs=REPLICATED):
    """``fn`` over the batch's 8 row shards, jitted, its output replicated."""
    return jax.jit(jax.shard_map(fn, mesh=MESH, in_specs=P("d"), out_specs=out_specs))


def all_reduces(fn, *args) -> int:
    return fn.lower(*args).compile().as_text().count("all-reduce(")


def tolist(tree):
    return jax.tree.map(lambda x: np.asarray(x).tolist(), tree)


def batch(n):
    y_true = rng.integers(0, 2, (n, 1)).astype("float32")
    y_pred = rng.uniform(0.01, 0.99, (n, 1)).astype("float32")
    return y_true, y_pred


def collection(*extra, weighted=False):
    metrics = ["mae", "accuracy", md.metric_auc(num_thresholds=50, name="auc"),
               md.metric_true_positives(name="true_positives"), *extra]
    c = (md.compile_metrics(None, weighted_metrics=metrics) if weighted
         else md.compile_metrics(metrics, weighted_metrics=["mse"]))
    c.build(*batch(8))
    return c


def check_collection_one_all_reduce_per_dtype(out):
    """All-"sum" collection: float32 and int32 states, two all-reduces; same as one device."""
    c = collection(md.metric_mean(name="count_mean", dtype="int32"))
    y_true, y_pred = batch(64)

    def step(y_true, y_pred):
        state = c.stateless_update_state(c.stateless_reset_state(), y_true, y_pred)
        return md.distributed.reduce(state, c, "d")

    fn = per_device(step)
    args = [jax.device_put(x, SHARDED) for x in (y_true, y_pred)]
    dtypes = {str(x.dtype) for x in jax.tree.leaves(c.stateless_reset_state())}
    one = c.stateless_update_state(c.stateless_reset_state(), y_true, y_pred)
    out["sum_dtypes"] = sorted(dtypes)
    out["sum_all_reduces"] = all_reduces(fn, *args)
    out["sum_results"] = [tolist(c.stateless_result(fn(*args))), tolist(c.stateless_result(one))]
    named = per_device(lambda t, p: md.distributed.reduce(
        c.named_state(c.stateless_update_state(c.stateless_reset_state(), t, p)), c, "d"))(*args)
    out["named_keys"] = named.keys()
    out["named_results"] = [tolist(c.stateless_result(named)), tolist(c.stateless_result(one))]


def check_mixed_aggregations(out):
    """max/min/mean/only_first_replica/sum: one psum and one pmax per dtype."""
    m = metric_extremes()
    y_true = rng.integers(-5, 5, (64, 1)).astype("float32")
    y_pred = rng.normal(size=(64, 1)).astype("float32")

    def step(y_true, y_pred):
        state = m.stateless_update_state(m.stateless_reset_state(), y_true, y_pred)
        return md.distributed.reduce(state, m, "d")

    fn = per_device(step)
    args = [jax.device_put(x, SHARDED) for x in (y_true, y_pred)]
    out["mixed_all_reduces"] = all_reduces(fn, *args)
    got = tolist(m.stateless_result(fn(*args)))
    shards = y_pred.reshape(8, 8)
    expected = {"high": float(y_pred.max()), "low": float(y_pred.min()),
                "top": int(y_true.max()), "bottom": int(y_true.min()),
                "level": float(np.float32(shards.mean(axis=1, dtype="float32").sum()) / 8),
                "seed": float(y_pred[0, 0]), "rows": 64}
    out["mixed_got"], out["mixed_expected"] = got, expected


def check_uneven_rows_masked(out):
    """61 rows on 8 devices: pad to 64 with sample_weight 0; equals one device on 61 rows."""
    c = collection(weighted=True)
    y_true, y_pred = batch(61)
    pad = ((0, 3), (0, 0))
    weight = np.pad(np.ones(61, "float32"), (0, 3))
    padded = [np.pad(y_true, pad), np.pad(y_pred, pad, constant_values=0.5), weight]

    def step(y_true, y_pred, weight):
        state = c.stateless_update_state(c.stateless_reset_state(), y_true, y_pred, weight)
        return md.distributed.reduce(state, c, "d")

    got = per_device(step)(*[jax.device_put(x, SHARDED) for x in padded])
    one = c.stateless_update_state(c.stateless_reset_state(), y_true, y_pred,
                                   np.ones(61, "float32"))
    counts = {"true_positives", "accuracy", "auc"}
    out["uneven_counts_bitwise"] = all(
        np.array_equal(x, y) for name, a, b in zip(c.state_names, got, one) if name in counts
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
    got_r, one_r = tolist(c.stateless_result(got)), tolist(c.stateless_result(one))
    out["uneven_results"] = [got_r, one_r]


def check_sharded_jit(out):
    """``jax.jit`` of the stateless update on NamedSharding inputs: same result as unsharded."""
    c = collection()
    y_true, y_pred = batch(64)
    update = jax.jit(c.stateless_update_state)
    sharded = update(c.stateless_reset_state(), jax.device_put(y_true, SHARDED),
                     jax.device_put(y_pred, SHARDED))
    plain = update(c.stateless_reset_state(), y_true, y_pred)
    out["sharded_jit"] = [tolist(c.stateless_result(sharded)), tolist(c.stateless_result(plain))]


def check_multihost_pattern(out):
    """Per-device states gathered (``process_allgather``), folded with stateless_merge_state."""
    c = collection()
    y_true, y_pred = batch(64)
    local = per_device(lambda t, p: jax.tree.map(
        lambda x: x[None], c.stateless_update_state(c.stateless_reset_state(), t, p)),
        out_specs=P("d"))(*[jax.device_put(x, SHARDED) for x in (y_true, y_pred)])
    gathered = multihost_utils.process_allgather(local, tiled=True)  # one process here
    states = [jax.tree.map(lambda x, i=i: x[i], gathered) for i in range(8)]
    merged = states[0]
    for state in states[1:]:
        merged = c.stateless_merge_state(merged, state)
    one = c.stateless_update_state(c.stateless_reset_state(), y_true, y_pred)
    out["multihost"] = [tolist(c.stateless_result(merged)), tolist(c.stateless_result(one))]


def _total_initialize(name="total", **kwargs):
    super.initialize(name=name, **kwargs)
    self.total = self.add_variable((), "zeros", name="total")  # a compensated float32 sum


metric_total = md.Metric("Total", initialize=_total_initialize,
                         update_state=lambda x: self.total.assign_add(ops.sum(x)),
                         result=lambda: self.total.value)


def check_compensated_sum(out):
    """A float32 sum past 2**24 plus small terms stays exact across devices (value + residual)."""
    m = metric_total()
    ones = np.ones((8, 2 ** 21), "float32")

    def step(x):
        state = m.stateless_reset_state()
        for _ in range(3):  # 3 * 2**21 per device, 2**24.58 in all
            state = m.stateless_update_state(state, x)
        state = m.stateless_update_state(state, np.float32(0.1))
        return md.distributed.reduce(state, m, "d")

    state = per_device(step)(jax.device_put(ones.reshape(-1), SHARDED))
    total = float(np.float64(state["total"]) + np.float64(state.aux[0]))
    out["compensated"] = [total, 3 * 2 ** 24 + 8 * float(np.float32(0.1))]


def check_pmap(out):
    m = md.metric_mean_squared_error()
    y_true, y_pred = batch(64)

    def step(y_true, y_pred):
        state = m.stateless_update_state(m.stateless_reset_state(), y_true, y_pred)
        return m.stateless_result(md.distributed.reduce(state, m, "d"))

    got = jax.pmap(step, axis_name="d")(y_true.reshape(8, 8, 1), y_pred.reshape(8, 8, 1))
    one = m.stateless_result(m.stateless_update_state(m.stateless_reset_state(), y_true, y_pred))
    out["pmap"] = [np.asarray(got).tolist(), [float(one)] * 8]


if __name__ == "__main__":
    results = {"devices": jax.device_count()}
    for check in [check_collection_one_all_reduce_per_dtype, check_mixed_aggregations,
                  check_uneven_rows_masked, check_sharded_jit, check_multihost_pattern,
                  check_compensated_sum, check_pmap]:
        check(results)
    print(json.dumps(results))
