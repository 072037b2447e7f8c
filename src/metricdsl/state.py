"""`State`: a metric's stateless state, Keras's list of values that is also a named pytree.

``m.stateless_reset_state()`` returns a `State`: a ``Sequence`` 1:1 with
``m.variables`` (``len``, indexing, iteration and ``zip(m.variables, state)``
work as on Keras's list), whose entries are also reachable by variable name
(``state["total"]``), and which carries the auxiliary exactness state (the
compensation of float32 running sums) that is not a Keras variable. It is a
registered pytree with named keys, so it is a valid ``jax.lax.scan`` carry,
maps under ``jax.vmap`` and saves with orbax as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import jax

__all__ = ["State"]


def unique_names(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` with repeats suffixed ``_1``, ``_2``, ... (nested metrics reuse names)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}_{count}")
    return tuple(out)


class State(Sequence):
    """The variables' values of one metric (a Sequence), by name too, with auxiliary state.

    Args:
        values: One array per entry of ``metric.variables``, in that order.
        names: The variables' names (made unique: a repeat gets ``_1``, ``_2``...).
        aux: The auxiliary arrays (compensation of float sums); not Keras variables.
        aux_names: Their names.

    Example:
        >>> import metricdsl as md
        >>> m = md.metric_mean()
        >>> state = m.stateless_reset_state()
        >>> len(state), list(state.keys())
        (2, ['total', 'count'])
        >>> state = m.stateless_update_state(state, [1.0, 3.0])
        >>> float(state["total"]), float(m.stateless_result(state))
        (4.0, 2.0)
    """

    __slots__ = ("aux", "aux_names", "names", "values")

    def __init__(self, values: Sequence[Any], names: Sequence[str], aux: Sequence[Any] = (),
                 aux_names: Sequence[str] = ()) -> None:
        self.values = tuple(values)
        self.names = unique_names(names)
        self.aux = tuple(aux)
        self.aux_names = unique_names(aux_names)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            try:
                return self.values[self.names.index(index)]
            except ValueError:
                raise KeyError(
                    f"State has no variable {index!r}; its variables are {list(self.names)}."
                ) from None
        return self.values[index]

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.values)

    @classmethod
    def of(cls, variables: Sequence[Any], values: Sequence[Any],
           residuals: Sequence[Any] = ()) -> State:
        """The State of ``variables`` (Variables) holding ``values`` and the compensated
        ones' ``residuals``."""
        return cls(values, [v.name for v in variables], residuals,
                   [f"{v.name}_compensation" for v in variables if v.compensated])

    def keys(self) -> list[str]:
        """The variables' names, in `variables` order."""
        return list(self.names)

    def items(self) -> list[tuple[str, Any]]:
        """``(name, value)`` pairs, in `variables` order."""
        return list(zip(self.names, self.values))

    def replace(self, values: Sequence[Any] | None = None,
                aux: Sequence[Any] | None = None) -> State:
        """A copy with new values and/or auxiliary arrays."""
        return State(self.values if values is None else values, self.names,
                     self.aux if aux is None else aux, self.aux_names)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(v, 'shape', v)}" for n, v in self.items())
        extra = f"; aux: {', '.join(self.aux_names)}" if self.aux_names else ""
        return f"State({shown}{extra})"


def _flatten_with_keys(state: State):
    keys = [jax.tree_util.DictKey(n) for n in (*state.names, *state.aux_names)]
    return list(zip(keys, (*state.values, *state.aux))), (state.names, state.aux_names)


def _unflatten(meta: tuple, children: Iterable[Any]) -> State:
    names, aux_names = meta
    children = tuple(children)  # jax passes a tuple: no copy
    state = object.__new__(State)
    state.values = tuple(children[:len(names)])
    state.names, state.aux, state.aux_names = names, tuple(children[len(names):]), aux_names
    return state


jax.tree_util.register_pytree_with_keys(
    State, _flatten_with_keys, _unflatten,
    flatten_func=lambda s: ((*s.values, *s.aux), (s.names, s.aux_names)))
