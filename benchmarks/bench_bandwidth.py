"""The machine's read bandwidth, measured in the same run as the metrics it scales.

A read-reduce (``sum``) over a large float32 array, jitted and in numpy: the
bytes read over the time. The larger of the two is the bandwidth that
large-batch rows of `bench_metrics` are shares of (an update must at least read
its inputs once).

Run: ``python -m benchmarks.run --only bandwidth``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _harness import interleaved, report

CPU_BYTES, GPU_BYTES = 256 * 2**20, 4 * 2**30


def main(*, device="cpu") -> float:
    """Print the measured read bandwidths; return the best, in bytes per second."""
    size = (GPU_BYTES if device == "gpu" else CPU_BYTES) // 4
    x = jnp.ones(size, jnp.float32)
    fns = {"jax.jit(jnp.sum)": lambda: total(x)}
    total = jax.jit(jnp.sum)
    if device == "cpu":
        host = np.ones(size, np.float32)
        fns["numpy sum (1 thread)"] = lambda: host.sum()
    times = interleaved(fns, min_time=1.0, repeats=5)
    rows = [{"read-reduce": name, "MB": size * 4 / 2**20, "ms": t * 1e3,
             "GB/s": size * 4 / t / 1e9} for name, t in times.items()]
    report("bandwidth", rows, ["read-reduce", "MB", "ms", "GB/s"])
    return max(size * 4 / t for t in times.values())


if __name__ == "__main__":
    main()
