"""Start-up costs: ``import metricdsl`` against ``import jax``, and ``Metric()`` class creation.

Imports run in fresh interpreters (best of several, interleaved), so nothing is
cached by an earlier import. Targets: ``import metricdsl`` at most 1.5× ``import
jax`` (it imports jax itself); a ``Metric()`` class costs under 1 ms to create.

Run: ``python -m benchmarks.run --only startup``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from _harness import SETTINGS, report, target

import metricdsl as md

IMPORT_TARGET, CLASS_TARGET_US = 1.5, 1000


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "KERAS_BACKEND": "jax"})
    return float(out.stdout.split()[-1])


def _define(index: int):
    def initialize(name="counter", **kwargs):
        super.initialize(name=name, **kwargs)
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(y_true, y_pred, sample_weight=None):
        self.count.assign_add(md.ops.sum(md.ops.cast(y_true, self.dtype)))

    return md.Metric(f"Counter{index}", initialize=initialize, update_state=update_state,
                     result=lambda: self.count)


def main() -> list[dict]:
    """Time both imports and class creation; record the two targets."""
    rounds = 3 if SETTINGS["max_repeats"] < 5 else 7
    best = {"jax": float("inf"), "metricdsl": float("inf")}
    for _ in range(rounds):
        for module in best:
            best[module] = min(best[module], _import_seconds(module))
    start = time.perf_counter()
    for i in range(200):
        _define(i)
    per_class = (time.perf_counter() - start) / 200
    ratio = best["metricdsl"] / best["jax"]
    rows = [{"case": "import jax (fresh process)", "ms": best["jax"] * 1e3},
            {"case": "import metricdsl (fresh process)", "ms": best["metricdsl"] * 1e3,
             "ratio": ratio},
            {"case": "Metric() class creation", "ms": per_class * 1e3}]
    target("import metricdsl / import jax", ratio, f"<= {IMPORT_TARGET}", ratio <= IMPORT_TARGET)
    target("Metric() class creation, us", per_class * 1e6, f"< {CLASS_TARGET_US}",
           per_class * 1e6 < CLASS_TARGET_US)
    report("startup", rows, ["case", "ms", "ratio"])
    return rows


if __name__ == "__main__":
    main()
