"""Shared benchmark helpers: robust timing, a printed table, a JSON record and target checks.

`configure` sets the suite-wide timing budget (``--quick`` shortens every
measurement); `report` prints a table and keeps its rows for the run's combined
JSON (`COLLECTED`); `target` records one of the issue's targets with its
measured value (`TARGETS`).
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import time
import warnings
from pathlib import Path

import jax

RESULTS = Path(__file__).parent / "results"
#: Timing budget: ``min_time`` is multiplied by ``scale``, ``repeats`` capped at ``max_repeats``.
SETTINGS = {"scale": 1.0, "max_repeats": 99}
#: Every table reported in this process: ``{name: {"columns": [...], "rows": [...]}}``.
COLLECTED: dict[str, dict] = {}
#: Every target checked in this process, in order.
TARGETS: list[dict] = []


def configure(*, quick: bool) -> None:
    """Quick runs time each function for a quarter of the time, best of at most 3 rounds."""
    SETTINGS.update(scale=0.25 if quick else 1.0, max_repeats=3 if quick else 99)


def target(name: str, value: float, goal: str, met: bool, note: str = "") -> None:
    """Record one target: its measured ``value``, the ``goal`` as text, whether it is ``met``."""
    TARGETS.append({"target": name, "value": value, "goal": goal, "met": bool(met),
                    "note": note})


def block(x):
    """Wait for every array in ``x``."""
    return jax.block_until_ready(x)


def _calls_per_round(fn, min_time):
    """How many calls of ``fn`` fill ``min_time`` seconds (doubling, after one warm-up call),
    and the seconds per call that the last doubling measured."""
    block(fn())
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            out = fn()
        block(out)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return number, elapsed / number
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
    hits each of them alike and the ratios between them stay fair. A function
    whose one call already takes ``min_time`` (a slow peer) is timed once.
    """
    min_time *= SETTINGS["scale"]
    repeats = min(repeats, SETTINGS["max_repeats"])
    numbers, best = {}, {}
    for key, fn in fns.items():
        numbers[key], best[key] = _calls_per_round(fn, min_time / repeats)
    rounds = [key for key in fns if best[key] < min_time]
    for _ in range(repeats):
        for key in rounds:
            best[key] = min(best[key], _round(fns[key], numbers[key]))
    return best


_INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%(\S+) = \w+\[([\d,]*)\]\S* ([\w-]+)\(")


def hlo_summary(fn, *args, size: int) -> str:
    """What the compiled ``jax.jit(fn)(*args)`` does with ``size``-sample arrays.

    Counts the top-level instructions that write an array of at least ``size``
    elements (a temporary the update writes and reads back instead of fusing it
    into a reduction) and whether a scatter (``bincount``'s lowering, a serial
    loop on CPU) runs: ``"2 N-sized temps, scatter"``.
    """
    text = jax.jit(fn).lower(*args).compile().as_text()
    entry = text[text.index("\nENTRY"):]
    temps, scatter = 0, False
    for line in entry.splitlines()[1:]:
        match = _INSTRUCTION.match(line)
        if not match or match.group(3) in ("parameter", "bitcast", "tuple", "constant"):
            continue
        scatter = scatter or "scatter" in match.group(1)
        dims = [int(d) for d in match.group(2).split(",") if d]
        temps += math.prod(dims) >= size
    parts = [f"{temps} N-sized temps"] + (["scatter"] if scatter else [])
    return ", ".join(parts)


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
    COLLECTED[name] = {"columns": columns, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta(), "rows": rows}, indent=2,
                                                     default=float))


def meta() -> dict:
    """The versions and machine a run measured."""
    return {"jax": jax.__version__, "python": platform.python_version(),
            "cpus": os.cpu_count(), "devices": [str(d) for d in jax.devices()],
            "machine": platform.machine(), "date": time.strftime("%Y-%m-%d")}


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)
