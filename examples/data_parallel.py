"""Data-parallel evaluation: each of 8 devices updates a collection on its shard, then syncs.

Needs only metricdsl (``pip install metricdsl``). Run: ``python examples/data_parallel.py``.

It simulates 8 devices on the CPU (``--xla_force_host_platform_device_count=8``,
set before jax is imported), shards every batch's rows over them with ``jax.shard_map``,
reduces the per-device states in-graph with ``md.distributed.reduce`` (one
all-reduce per state dtype), and prints the 8-device results beside a
single-device pass over the same data.
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import metricdsl as md

mesh = Mesh(np.array(jax.devices()), ("data",))
rows = NamedSharding(mesh, P("data"))
rng = np.random.default_rng(0)
batches = [(rng.integers(0, 2, (64, 1)).astype("float32"),
            rng.uniform(0.01, 0.99, (64, 1)).astype("float32")) for _ in range(5)]

collection = md.compile_metrics(["accuracy", "auc", "mae", md.metric_precision()])
collection.build(*batches[0])


@jax.jit
def sharded_step(state, y_true, y_pred):
    """One batch on every device: update this device's state, then sum the states."""

    def per_device(state, y_true, y_pred):
        local = collection.stateless_update_state(collection.stateless_reset_state(),
                                                  y_true, y_pred)
        return collection.stateless_merge_state(
            state, md.distributed.reduce(local, collection, "data"))

    return jax.shard_map(per_device, mesh=mesh, in_specs=(P(), P("data"), P("data")),
                         out_specs=P())(state, y_true, y_pred)


eight = collection.stateless_reset_state()
one = collection.stateless_reset_state()
single_step = jax.jit(collection.stateless_update_state)
for y_true, y_pred in batches:
    eight = sharded_step(eight, jax.device_put(y_true, rows), jax.device_put(y_pred, rows))
    one = single_step(one, y_true, y_pred)

lowered = sharded_step.lower(eight, jax.device_put(y_true, rows), jax.device_put(y_pred, rows))
print(f"{jax.device_count()} devices; all-reduces per step: "
      f"{lowered.compile().as_text().count('all-reduce(')}")
print(f"{'metric':<12}{'8 devices':>12}{'1 device':>12}")
for (name, a), b in zip(collection.stateless_result(eight).items(),
                        collection.stateless_result(one).values()):
    print(f"  {name:<10}{float(a):>12.6f}{float(b):>12.6f}")
