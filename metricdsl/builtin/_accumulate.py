"""Neumaier-compensated accumulation into a metric's variables (shared by the count metrics).

Not kernels: these read and write the metric's variables. Each named
variable gets a ``<name>_compensation`` twin after Keras's variables; the
rounding error of each float addition is carried there, so float32 counts
do not stall past 2^24.
"""

from __future__ import annotations

from .. import ops

__all__ = ["accumulate", "accumulated", "add_compensations"]


def add_compensations(metric, names):
    """Give each named variable of ``metric`` a zero twin ``<name>_compensation`` (same shape).

    Call it after creating the variables, so Keras's variables come first in
    ``metric.variables``; then update with `accumulate`, read with `accumulated`.
    """
    for name in names:
        variable = getattr(metric, name)
        setattr(metric, f"{name}_compensation",
                metric.add_variable(variable.shape, "zeros", dtype=variable.dtype,
                                    name=f"{variable.name}_compensation"))


def accumulate(metric, name, increment):
    """``metric.<name> += increment``, Neumaier-compensated when the variable has a twin.

    The rounding error of each float addition is carried in the twin made by
    `add_compensations`, so float32 counts do not stall past 2^24.
    """
    variable = getattr(metric, name)
    twin = getattr(metric, f"{name}_compensation", None)
    if twin is None:
        variable.assign_add(increment)
        return
    total, compensation = ops.compensated_add(variable, twin, increment)
    variable.assign(total)
    twin.assign(compensation)


def accumulated(metric, name):
    """The running sum of `accumulate`: the variable plus its compensation twin, if any."""
    twin = getattr(metric, f"{name}_compensation", None)
    value = getattr(metric, name).value
    return value if twin is None else value + twin.value
