"""Packed state: Variables held as one flat buffer per dtype between compiled updates.

A jitted call costs about a microsecond per array it takes or returns, so the
stateful ``update_state`` passes a metric's state as a few packed buffers
(the variables' values, then the residuals of the compensated ones) instead
of two arrays per variable; large values (a histogram) keep buffers of their
own, which a donated update writes in place. The Variables stay correct: they are
bound to the store (`metricdsl.variables.Variable.bind_store`), so their reads
unpack the buffers first (one jitted call, only when stale) and their writes
mark the buffers for repacking.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .variables import Variable, raw_value, set_raw_value, set_residual, settle

__all__ = ["OWN_BUFFER", "Packed", "layout_of", "pack", "unpack"]

Layout = tuple[tuple[str, tuple[int, ...]], ...]


#: Values with more elements than this travel as buffers of their own: a donated update then
#: writes into them in place, where packing would copy them whole on every update.
OWN_BUFFER = 4096


def layout_of(variables: Sequence[Variable]) -> Layout:
    """``((dtype, shape), ...)`` of the packed values: the variables, then their residuals."""
    return tuple((v.dtype, v.shape) for v in (*variables, *(v for v in variables
                                                            if v.compensated)))


def _own(shape: tuple[int, ...]) -> bool:
    return int(np.prod(shape, dtype=np.int64)) > OWN_BUFFER


def pack(layout: Layout, dtypes: tuple[str, ...], values: Sequence[Any]) -> tuple:
    """``values`` (laid out as ``layout``) → one flat buffer per dtype, then the large values.

    Traceable. Values over `OWN_BUFFER` elements follow the per-dtype buffers
    as buffers of their own, in layout order.
    """
    values = settle(values, lambda shape: not _own(shape))  # the deferred sums, vectorised
    groups: dict[str, list] = {d: [] for d in dtypes}
    large = []
    for (dtype, shape), value in zip(layout, values):
        if _own(shape):
            large.append(jnp.asarray(value, dtype))
        else:
            groups[dtype].append(jnp.ravel(jnp.asarray(value, dtype)))
    return (*(jnp.concatenate(groups[d]) if groups[d] else jnp.zeros((0,), d) for d in dtypes),
            *large)


def unpack(layout: Layout, dtypes: tuple[str, ...], buffers: Sequence[Any]) -> list:
    """The inverse of `pack` (traceable): the values, in layout order."""
    offsets = dict.fromkeys(dtypes, 0)
    large = iter(buffers[len(dtypes):])
    out = []
    for dtype, shape in layout:
        if _own(shape):
            out.append(next(large))
            continue
        size = int(np.prod(shape, dtype=np.int64))
        start = offsets[dtype]
        offsets[dtype] = start + size
        out.append(buffers[dtypes.index(dtype)][start:start + size].reshape(shape))
    return out


_jit_pack = functools.cache(lambda layout, dtypes: jax.jit(functools.partial(pack, layout, dtypes)))
_jit_unpack = functools.cache(
    lambda layout, dtypes: jax.jit(functools.partial(unpack, layout, dtypes)))


class Packed:
    """Variables packed into one flat buffer per dtype: values first, then residuals.

    Attributes:
        buffers: The packed values (newer than the Variables while ``dirty``).
        dirty: The buffers hold values not yet written into the Variables.
        need_pack: A Variable was written from outside: repack before the next update.
        quiet: The hooks are off (while a compiled call traces or runs).
        released: The Variables were handed back; this store is no longer used.
    """

    def __init__(self, variables: Sequence[Variable]) -> None:
        self.dirty = self.need_pack = self.quiet = self.released = False
        self.flat = list(variables)
        self.compensated = [v for v in self.flat if v.compensated]
        self.dtypes = tuple(dict.fromkeys(v.dtype for v in self.flat))
        self.layout = layout_of(self.flat)
        for variable in self.flat:
            previous = variable.store
            if previous is not None:
                previous.release()
            variable.bind_store(self)
        self.buffers = self.pack_host()

    def before_read(self) -> None:
        """A bound Variable's value is read: write the buffers back first when newer."""
        if self.dirty and not self.quiet:
            self.sync()

    def before_write(self) -> None:
        """A bound Variable's value is written: sync first, repack before the next update."""
        if not self.quiet:
            if self.dirty:
                self.sync()
            self.need_pack = True

    def pack(self, values: Sequence[Any], residuals: Sequence[Any]) -> tuple:
        """Values and residuals → the buffers (traceable)."""
        return pack(self.layout, self.dtypes, [*values, *residuals])

    def unpack(self, buffers: Sequence[Any]) -> tuple[list, list]:
        """The inverse of `pack` (traceable): ``(values, residuals)``."""
        flat = unpack(self.layout, self.dtypes, buffers)
        return flat[:len(self.flat)], flat[len(self.flat):]

    def pack_host(self) -> tuple:
        """Pack the Variables' current values (one jitted call, shared per layout)."""
        with jax.ensure_compile_time_eval():  # concrete even if called while tracing
            return _jit_pack(self.layout, self.dtypes)(
                [raw_value(v) for v in self.flat] + [v.residual for v in self.compensated])

    def refresh(self) -> None:
        """Repack after the Variables were written from outside."""
        if self.need_pack:
            self.buffers = self.pack_host()
            self.need_pack = False

    def sync(self) -> None:
        """Write the buffers' values into the Variables (one jitted call)."""
        if not self.dirty:
            return
        self.dirty = False
        with jax.ensure_compile_time_eval():  # concrete even if a read happens while tracing
            values = _jit_unpack(self.layout, self.dtypes)(self.buffers)
        for variable, value in zip(self.flat, values):
            set_raw_value(variable, value)
        for variable, residual in zip(self.compensated, values[len(self.flat):]):
            set_residual(variable, residual)

    def release(self) -> None:
        """Hand the Variables back (synced, plain class): this store is no longer used."""
        self.sync()
        self.released = True
        for variable in self.flat:
            if variable.store is self:
                variable.unbind_store()
