"""What the compile package uses of the metric base, variables and tracing: public names only.

A collection traces its members' updates in one function and keeps their
variables in a packed store; for that it needs, from the base: the compile
key (`compile_key`), eager marking (`mark_eager`, `runs_eagerly`), building
from a batch (`build_from_batch`), the trace guard (`trace_guard`,
`SideEffect`, `TRACER_ERRORS`); from tracing: `watch_function`. (The packed
store itself is `metricdsl.packed.Packed`.) This module names them in one
place.
"""

from __future__ import annotations

from ..base import (
    MetricBase,
    build_from_batch,
    compile_key,
    mark_eager,
    runs_eagerly,
    sub_metrics,
    trace_guard,
)
from ..tracing import TRACER_ERRORS, SideEffect, watch_function

__all__ = ["TRACER_ERRORS", "SideEffect", "build_from_batch", "compile_key", "mark_eager",
           "runs_eagerly", "trace_guard", "watch_attributes"]


def watch_attributes(metric: MetricBase) -> None:
    """While a fused update traces: guard the functions held in ``metric``'s attributes."""
    for owner in [metric, *sub_metrics(metric)]:
        for value in owner.__dict__.values():
            watch_function(value)
