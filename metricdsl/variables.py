"""`Variable`: a named, typed, fixed-shape slot of metric state holding a ``jax.Array``."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from . import ops

AGGREGATIONS = ("sum", "mean", "max", "min", "only_first_replica", "none")


class VariableError(ValueError):
    """A value of the wrong shape or kind was assigned to a metric variable."""


def initial_value(initializer: Any, shape: tuple[int, ...], dtype: str) -> jax.Array:
    """Evaluate an initializer (``"zeros"``, ``"ones"``, a constant, an array or ``f(shape, dtype)``).

    The value is computed concretely even while a function is being traced, so a
    variable created lazily inside a jitted update never holds a tracer.
    """
    with jax.ensure_compile_time_eval():
        if isinstance(initializer, str):
            if initializer not in ("zeros", "ones"):
                raise VariableError(
                    f"Unknown initializer {initializer!r}; expected 'zeros', 'ones', a constant, "
                    "an array or a callable (shape, dtype) -> array.")
            return jnp.full(shape, 0 if initializer == "zeros" else 1, dtype)
        if callable(initializer):
            value = initializer(shape, dtype)
        else:
            value = initializer
        return jnp.broadcast_to(jnp.asarray(ops.unwrap(value), dtype), shape)


class Variable:
    """Metric state: a ``jax.Array`` with a name, fixed shape and dtype, and a merge rule.

    ``assign`` rebinds the value (cast to the variable's dtype, shape-checked), so
    inside a stateless scope it only records the new (possibly traced) value.
    Arithmetic and comparisons return plain arrays; every ``metricdsl.ops``
    function accepts a Variable; for raw ``jnp`` calls use ``v.value``.

    Example:
        >>> v = Variable((), "zeros", "float32", name="total")
        >>> v.assign_add(2.5)
        >>> float(v + 1)
        3.5
    """

    __metricdsl_variable__ = True
    __slots__ = ("_value", "name", "shape", "dtype", "aggregation", "initializer", "__weakref__")

    def __init__(self, shape: Any, initializer: Any, dtype: str, *, name: str | None = None,
                 aggregation: str = "sum") -> None:
        if aggregation not in AGGREGATIONS:
            raise VariableError(
                f"Variable {name!r}: aggregation={aggregation!r} is not one of {AGGREGATIONS}.")
        if name is not None and "/" in name:
            raise VariableError(f"Variable name {name!r} must not contain '/'.")
        self.shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else
                                            ((shape,) if shape is not None else ())))
        self.dtype = ops.standardize_dtype(dtype)
        self.name = name or "variable"
        self.aggregation = aggregation
        self.initializer: Callable[[], jax.Array] | Any = initializer
        self._value = initial_value(initializer, self.shape, self.dtype)

    @property
    def value(self) -> jax.Array:
        """The current value (a traced value inside a stateless scope)."""
        return self._value

    def initial_value(self) -> jax.Array:
        """The value this variable was created with (what ``reset_state`` restores)."""
        return initial_value(self.initializer, self.shape, self.dtype)

    def coerce(self, value: Any) -> jax.Array:
        """Cast ``value`` to this variable's dtype and check its shape (a scalar broadcasts)."""
        value = jnp.asarray(ops.unwrap(value), dtype=self.dtype)
        if value.shape != self.shape:
            if value.shape != ():
                raise VariableError(
                    f"Variable {self.name!r} has shape {self.shape}; cannot assign a value of "
                    f"shape {value.shape}.")
            value = jnp.broadcast_to(value, self.shape)
        return value

    def assign(self, value: Any) -> None:
        """Set the value (cast to the variable dtype; same shape or a scalar)."""
        self._value = self.coerce(value)

    def assign_add(self, value: Any) -> None:
        """``self.assign(self + value)``."""
        self.assign(self._value + ops.array_arg(value))

    def assign_sub(self, value: Any) -> None:
        """``self.assign(self - value)``."""
        self.assign(self._value - ops.array_arg(value))

    def numpy(self) -> np.ndarray:
        """The value as a numpy array."""
        return np.asarray(self._value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._value, dtype=dtype)

    def __repr__(self) -> str:
        return f"<Variable {self.name} shape={self.shape} dtype={self.dtype} value={self._value}>"

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __getitem__(self, idx):
        return self._value[idx]

    def __hash__(self) -> int:
        return id(self)

    def __neg__(self):
        return -self._value

    def __pos__(self):
        return self._value

    def __abs__(self):
        return abs(self._value)

    def __invert__(self):
        return ~self._value

    def __matmul__(self, other):
        return self._value @ ops.unwrap(other)

    def __rmatmul__(self, other):
        return ops.unwrap(other) @ self._value

    @property
    def ndim(self) -> int:
        """The rank."""
        return len(self.shape)

    @property
    def T(self):  # noqa: N802
        """The transposed value."""
        return self._value.T


def _binary(op_name: str):
    def method(self, other):
        return getattr(self._value, op_name)(ops.array_arg(other))

    method.__name__ = op_name
    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor"):
    setattr(Variable, f"__{_op}__", _binary(f"__{_op}__"))
    setattr(Variable, f"__r{_op}__", _binary(f"__r{_op}__"))
for _op in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Variable, f"__{_op}__", _binary(f"__{_op}__"))
Variable.__hash__ = lambda self: id(self)  # __eq__ is element-wise, identity hashing stays
