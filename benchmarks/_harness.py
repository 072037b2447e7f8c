"""Shared benchmark helpers: robust timing, a printed table and a JSON record."""

from __future__ import annotations

import json
import os
import platform
import time
import warnings
from pathlib import Path

import jax

RESULTS = Path(__file__).parent / "results"


def block(x):
    """Wait for every array in ``x``."""
    return jax.block_until_ready(x)


def _calls_per_round(fn, min_time):
    """How many calls of ``fn`` fill ``min_time`` seconds (doubling, after one warm-up call)."""
    block(fn())
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            out = fn()
        block(out)
        if time.perf_counter() - start >= min_time:
            return number
        number *= 2


def _round(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        out = fn()
    block(out)
    return (time.perf_counter() - start) / number


def seconds_per_call(fn, *, min_time=0.3, repeats=5):
    """Best-of-``repeats`` mean seconds per call of ``fn()`` (after one warm-up call)."""
    return interleaved({"fn": fn}, min_time=min_time, repeats=repeats)["fn"]


def interleaved(fns, *, min_time=0.3, repeats=7):
    """Best-of-``repeats`` seconds per call of each ``fns[key]()``, timed in round-robin.

    Rounds alternate between the functions, so a slow spell of a shared machine
    hits each of them alike and the ratios between them stay fair.
    """
    numbers = {key: _calls_per_round(fn, min_time / repeats) for key, fn in fns.items()}
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for key, fn in fns.items():
            best[key] = min(best[key], _round(fn, numbers[key]))
    return best


def keras_on_jax():
    """The ``keras`` module when it is installed with the JAX backend, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import keras
    except ImportError:
        return None
    return keras if keras.backend.backend() == "jax" else None


def report(name: str, rows: list[dict], columns: list[str]) -> None:
    """Print ``rows`` as a table and write them to ``benchmarks/results/<name>.json``."""
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(_fmt(row.get(c)).ljust(w) for c, w in zip(columns, widths)))
    RESULTS.mkdir(exist_ok=True)
    meta = {"jax": jax.__version__, "python": platform.python_version(),
            "cpus": os.cpu_count(), "devices": [str(d) for d in jax.devices()]}
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)
