"""The packed store: a collection's fused variables as one flat buffer per dtype.

A stateful update passes these few buffers through one jitted call instead of
every variable (see `metricdsl.packed`: the same store a single metric's
compiled path uses, here grouped by member).
"""

from __future__ import annotations

from ..base import MetricBase
from ..packed import Packed
from ..state import State

__all__ = ["Store"]


class Store(Packed):
    """The fused members' variables packed into one flat buffer per dtype.

    The variables' values come first, then the residuals of the compensated
    ones, so exact sums stay exact across fused updates.
    """

    def __init__(self, metrics: list[MetricBase]) -> None:
        self.variables = [list(m.variables) for m in metrics]
        super().__init__([v for vs in self.variables for v in vs])

    def pack_states(self, states: list[State]) -> tuple:
        """Per-member States → one flat buffer per dtype (traceable)."""
        return self.pack([v for state in states for v in state.values],
                         [r for state in states for r in state.aux])

    def unpack_states(self, buffers: tuple) -> list[State]:
        """The inverse of `pack_states` (traceable): one State per member."""
        flat_values, flat_residuals = self.unpack(buffers)
        values, residuals = iter(flat_values), iter(flat_residuals)
        return [State.of(variables, [next(values) for _ in variables],
                         [next(residuals) for v in variables if v.compensated])
                for variables in self.variables]
