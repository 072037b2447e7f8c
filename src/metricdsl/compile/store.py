"""The packed store: a collection's fused variables as one flat buffer per dtype.

A stateful update passes these few buffers through one jitted call instead of
every variable (dispatch cost grows with the number of arrays). The members'
Variables stay correct: their class is switched to a subclass whose reads
unpack the buffers first (one jitted call, only when stale) and whose writes
mark the buffers for repacking.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..base import MetricBase
from ..state import State
from . import seam

__all__ = ["Store"]


@functools.cache
def _packer(layout: tuple, dtypes: tuple) -> Callable:
    """A jitted ``[values] -> (one flat buffer per dtype)`` for a variable layout."""

    def pack(values):
        groups = {d: [] for d in dtypes}
        for (dtype, _), value in zip(layout, values):
            groups[dtype].append(jnp.ravel(jnp.asarray(value, dtype)))
        return tuple(jnp.concatenate(groups[d]) if groups[d] else jnp.zeros((0,), d)
                     for d in dtypes)

    return jax.jit(pack)


@functools.cache
def _unpacker(layout: tuple, dtypes: tuple) -> Callable:
    """A jitted inverse of `_packer`: buffers -> list of values."""

    def unpack(buffers):
        offsets = dict.fromkeys(dtypes, 0)
        out = []
        for dtype, shape in layout:
            size = int(np.prod(shape, dtype=np.int64))
            start = offsets[dtype]
            offsets[dtype] = start + size
            out.append(buffers[dtypes.index(dtype)][start:start + size].reshape(shape))
        return out

    return jax.jit(unpack)


def _hooks(store_ref: Callable) -> tuple[Callable, Callable]:
    """The read and write hooks of a store's Variables (they hold the store weakly)."""

    def before_read() -> None:
        store = store_ref()
        if store is not None and store.dirty and not store.quiet:
            store.sync()

    def before_write() -> None:
        store = store_ref()
        if store is not None and not store.quiet:
            if store.dirty:
                store.sync()
            store.need_pack = True

    return before_read, before_write


class Store:
    """The fused members' variables packed into one flat buffer per dtype.

    Attributes:
        buffers: The packed values (newer than the Variables while ``dirty``).
        dirty: The buffers hold values not yet written into the Variables.
        need_pack: A Variable was written from outside: repack before the next update.
        quiet: The hooks are off (while the fused update traces).
        released: The Variables were handed back; this store is no longer used.
    """

    def __init__(self, metrics: list[MetricBase]) -> None:
        self.dirty = self.need_pack = self.quiet = self.released = False
        self.variables = [list(m.variables) for m in metrics]
        self.flat = [v for vs in self.variables for v in vs]
        self.compensated = [v for v in self.flat if v.compensated]
        self.dtypes = list(dict.fromkeys(v.dtype for v in self.flat))
        store_ref = weakref.ref(self)
        self.cls = seam.store_class(*_hooks(store_ref), store_ref)
        for variable in self.flat:
            previous = variable.store
            if previous is not None:
                previous.release()
            variable.bind_store(self.cls)
        self.buffers = self.pack_host()

    def pack(self, states: list[State]) -> tuple:
        """Per-member States → one flat buffer per dtype (traceable).

        The variables' values come first, then the residuals of the compensated
        ones, so exact sums stay exact across fused updates.
        """
        flat = [v for state in states for v in state.values]
        flat += [r for state in states for r in state.aux]
        return _packer(self.layout(), tuple(self.dtypes))(flat)

    def unpack(self, buffers: tuple) -> list[State]:
        """The inverse of `pack` (traceable): one State per member."""
        flat = _unpacker(self.layout(), tuple(self.dtypes))(buffers)
        values, residuals = iter(flat[:len(self.flat)]), iter(flat[len(self.flat):])
        return [State.of(variables, [next(values) for _ in variables],
                         [next(residuals) for v in variables if v.compensated])
                for variables in self.variables]

    def layout(self) -> tuple:
        """``((dtype, shape), ...)`` of every packed value: variables, then residuals."""
        return tuple((v.dtype, v.shape) for v in (*self.flat, *self.compensated))

    def pack_host(self) -> tuple:
        """Pack the Variables' current values (one jitted call, shared per layout)."""
        with jax.ensure_compile_time_eval():  # concrete even if called while tracing
            return _packer(self.layout(), tuple(self.dtypes))(
                [seam.raw_value(v) for v in self.flat] + [v.residual for v in self.compensated])

    def refresh(self) -> None:
        """Repack after a member's variables were written from outside the collection."""
        if self.need_pack:
            self.buffers = self.pack_host()
            self.need_pack = False

    def sync(self) -> None:
        """Write the buffers' values into the members' Variables (one jitted call)."""
        if not self.dirty:
            return
        self.dirty = False
        with jax.ensure_compile_time_eval():  # concrete even if a read happens while tracing
            values = _unpacker(self.layout(), tuple(self.dtypes))(self.buffers)
        for variable, value in zip(self.flat, values):
            seam.set_raw_value(variable, value)
        for variable, residual in zip(self.compensated, values[len(self.flat):]):
            seam.set_residual(variable, residual)

    def release(self) -> None:
        """Hand the Variables back (synced, plain class): this store is no longer used."""
        self.sync()
        self.released = True
        for variables in self.variables:
            for variable in variables:
                if type(variable) is self.cls:
                    variable.unbind_store()
