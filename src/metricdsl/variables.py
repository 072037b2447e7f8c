"""`Variable`: a named, typed, fixed-shape slot of metric state holding a ``jax.Array``."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import ops
from .errors import VariableError

AGGREGATIONS = ("sum", "mean", "max", "min", "only_first_replica", "none")


_COMPENSATED = ("float16", "bfloat16", "float32")


def compensated_sum(total: jax.Array, residual: jax.Array, increment: jax.Array
                    ) -> tuple[jax.Array, jax.Array]:
    """``total + residual + increment`` as a new ``(total, residual)`` pair.

    Neumaier's error term of ``total + increment`` joins the residual, then the
    pair is renormalised so ``total`` is the correctly rounded sum and
    ``residual`` the small rest. Infinite or NaN sums keep a zero residual.
    """
    first = total + increment
    error = jnp.where(jnp.abs(total) >= jnp.abs(increment),
                      (total - first) + increment, (increment - first) + total)
    rest = residual + jnp.where(jnp.isfinite(first), error, 0)
    new_total = first + rest
    new_residual = jnp.where(jnp.isfinite(new_total), rest - (new_total - first), 0)
    return new_total, new_residual


# -- deferred sums --------------------------------------------------------------------------
class _Deferral(threading.local):
    on = False
    scope: set[int]  # ids of the Variables the open stateless scopes of this thread own

    def __init__(self) -> None:
        self.scope = set()


_DEFERRAL = _Deferral()
OPEN = [0]  # deferral scopes open in any thread: reads check for a pending sum only then


@contextlib.contextmanager
def deferred_sums() -> Iterator[None]:
    """Record compensated ``assign_add`` increments instead of adding them (while tracing).

    A read of the variable sees its pending increment added (without storing
    it), so code sees no difference; the outermost stateless scope hands the pending sums out as
    `DeferredSum` entries, which `settle` adds together, one vectorised
    `compensated_sum` per dtype, when the state is packed (elementwise: the
    same bits as one sum per variable, in a few XLA kernels instead of
    several per variable).
    """
    outer = _DEFERRAL.on
    _DEFERRAL.on = True
    OPEN[0] += 1
    try:
        yield
    finally:
        _DEFERRAL.on = outer
        OPEN[0] -= 1


def deferring() -> bool:
    """Whether this thread is inside `deferred_sums`."""
    return _DEFERRAL.on


@contextlib.contextmanager
def owned(variables: Sequence[Any]) -> Iterator[None]:
    """While deferring: ``variables`` belong to an open stateless scope and may be written.

    A compiled update may write only the Variables of the scopes it opened; a
    write to any other (another metric's ``update_state`` called from inside)
    is a side effect, reported as `metricdsl.tracing.SideEffect` so the update
    runs eagerly, where it happens for real.
    """
    if not _DEFERRAL.on:
        yield
        return
    outer = _DEFERRAL.scope
    _DEFERRAL.scope = outer | {id(v) for v in variables}  # `own` adds to this scope's set
    try:
        yield
    finally:
        _DEFERRAL.scope = outer


def own(variable: Any) -> None:
    """Add a Variable created inside an open scope to it (see `owned`)."""
    if _DEFERRAL.on:
        _DEFERRAL.scope.add(id(variable))


def _check_owned(variable: Any) -> None:
    if _DEFERRAL.on and id(variable) not in _DEFERRAL.scope:
        from .tracing import SideEffect  # the tracing seam sits above this module

        raise SideEffect(f"update_state writes Variable {variable.name!r}, which belongs to "
                         "another metric (its update_state or assign called from inside)")


class DeferredSum:
    """A compensated sum not yet added: ``(total, residual) + increment`` of one variable."""

    __slots__ = ("increment", "residual", "settled", "total")

    def __init__(self, total: Any, residual: Any, increment: Any) -> None:
        self.total, self.residual, self.increment = total, residual, increment
        self.settled: tuple | None = None


class DeferredResidual:
    """The residual half of a `DeferredSum` (its place in a state's residual list)."""

    __slots__ = ("sum",)

    def __init__(self, deferred: DeferredSum) -> None:
        self.sum = deferred


def settle(entries: Sequence[Any], small: Callable[[tuple[int, ...]], bool]) -> list:
    """``entries`` with every `DeferredSum`/`DeferredResidual` replaced by its array.

    The sums whose shape ``small`` accepts are added as one flat vector per
    dtype; the others one by one.
    """
    pending = list({id(d): d for e in entries
                    if (d := _deferred(e)) is not None and d.settled is None}.values())
    groups: dict[Any, list[DeferredSum]] = {}
    for deferred in pending:
        if small(deferred.total.shape):
            groups.setdefault(deferred.total.dtype, []).append(deferred)
        else:
            deferred.settled = compensated_sum(deferred.total, deferred.residual,
                                               deferred.increment)
    for group in groups.values():
        totals, residuals, increments = (
            jnp.concatenate([jnp.ravel(getattr(d, part)) for d in group])
            for part in ("total", "residual", "increment"))
        totals, residuals = compensated_sum(totals, residuals, increments)
        at = 0
        for d in group:
            size = d.total.size
            d.settled = (totals[at:at + size].reshape(d.total.shape),
                         residuals[at:at + size].reshape(d.total.shape))
            at += size
    return [_settled(e) for e in entries]


def _settled(entry: Any) -> Any:
    deferred = _deferred(entry)
    if deferred is None:
        return entry
    assert deferred.settled is not None  # `settle` added every pending sum above
    return deferred.settled[0 if type(entry) is DeferredSum else 1]


def _deferred(entry: Any) -> DeferredSum | None:
    if type(entry) is DeferredSum:
        return entry
    return entry.sum if type(entry) is DeferredResidual else None


@functools.lru_cache(maxsize=512)
def zeros(shape: tuple[int, ...], dtype: str) -> jax.Array:
    """A concrete zero array (cached: jax arrays are immutable), even while tracing."""
    with jax.ensure_compile_time_eval():
        return jnp.zeros(shape, dtype)




def initial_value(initializer: Any, shape: tuple[int, ...], dtype: str) -> jax.Array:
    """Evaluate an initializer (``"zeros"``, ``"ones"``, a constant, array or ``f(shape, dtype)``).

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

    A float variable that aggregates by ``"sum"`` (float16, bfloat16, float32)
    is *compensated*: ``assign_add`` keeps the rounding error of each addition
    in a residual (auxiliary state, not a Keras variable), so ``value`` is the
    correctly rounded running sum and never stalls (2^24 float32 ones plus 200
    more count 16,777,416). ``assign`` sets the value and clears the residual.
    ``compensated=False`` opts out (half the memory, plain float32 sums).
    Arithmetic and comparisons return plain arrays; every ``metricdsl.ops``
    function accepts a Variable; for raw ``jnp`` calls use ``v.value``.

    Example:
        >>> v = Variable((), "zeros", "float32", name="total")
        >>> v.assign_add(2.5)
        >>> float(v + 1)
        3.5
    """

    __metricdsl_variable__ = True
    __slots__ = (
        "__weakref__",
        "_md_increment",
        "_md_store",
        "_residual",
        "_value",
        "aggregation",
        "compensated",
        "dtype",
        "initializer",
        "name",
        "shape",
    )

    def __init__(self, shape: Any, initializer: Any, dtype: str, *, name: str | None = None,
                 aggregation: str = "sum", compensated: bool = True) -> None:
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
        self.compensated = compensated and aggregation == "sum" and self.dtype in _COMPENSATED
        self._value = initial_value(initializer, self.shape, self.dtype)
        self._residual = zeros(self.shape, self.dtype) if self.compensated else None

    @property
    def value(self) -> jax.Array:
        """The current value (a traced value inside a stateless scope)."""
        if OPEN[0]:
            return self._pending_sum()[0]
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

    @property
    def residual(self) -> jax.Array | None:
        """The rounding error a compensated sum carries (auxiliary state); None if uncompensated."""
        self._value  # noqa: B018 -- a read: a stale packed store writes its values back first
        if OPEN[0]:
            return self._pending_sum()[1]
        return self._residual

    def assign(self, value: Any) -> None:
        """Set the value (cast to the variable dtype; same shape or a scalar)."""
        if OPEN[0]:
            _check_owned(self)
            self._md_increment = None  # a pending sum is overwritten
        self._value = self.coerce(value)
        if self.compensated:
            self._residual = zeros(self.shape, self.dtype)

    def assign_add(self, value: Any) -> None:
        """``self.assign(self + value)``; exact to the last bit when `compensated`."""
        if not self.compensated:
            self.assign(self.value + ops.array_arg(value))
            return
        increment = jnp.asarray(ops.unwrap(value))
        if increment.dtype != self.dtype or increment.shape != self.shape:
            increment = self.coerce(increment)
        assert self._residual is not None  # a compensated Variable always carries its residual
        if _DEFERRAL.on:  # recorded; added when read or when the state is packed
            _check_owned(self)
            self.settle()
            self._md_increment = increment
            return
        self._value, self._residual = compensated_sum(self._value, self._residual, increment)

    def _pending_sum(self) -> tuple[Any, Any]:
        """``(value, residual)`` with a pending increment added, the Variable unchanged.

        A read never writes: it may happen inside a nested transformation
        (``lax.scan``) whose values must not leak into the Variable.
        """
        increment = getattr(self, "_md_increment", None)
        if increment is None or self._residual is None:
            return self._value, self._residual
        return compensated_sum(self._value, self._residual, increment)

    def settle(self) -> None:
        """Add a pending increment (recorded under `deferred_sums`) now."""
        increment = getattr(self, "_md_increment", None)
        if increment is not None and self._residual is not None:
            self._md_increment = None
            self._value, self._residual = compensated_sum(self._value, self._residual,
                                                          increment)

    def take_deferred(self) -> DeferredSum | None:
        """The pending sum as a `DeferredSum` (it leaves the Variable), or None."""
        increment = getattr(self, "_md_increment", None)
        if increment is None:
            return None
        self._md_increment = None
        return DeferredSum(self._value, self._residual, increment)

    def assign_sub(self, value: Any) -> None:
        """``self.assign(self - value)``; exact to the last bit when `compensated`."""
        self.assign_add(-jnp.asarray(ops.unwrap(value)))

    def bind_store(self, store: Any) -> None:
        """Let ``store`` hold this Variable's value (a `StoreVariable`, until `unbind_store`).

        The store is called back before every read of the value
        (``store.before_read()``) and every write (``store.before_write()``). It
        is held strongly, so a Variable kept after its metric is gone still
        reads the store's latest values (the pair is freed together).
        """
        self._md_store = store
        self.__class__ = StoreVariable  # pyright: ignore[reportAttributeAccessIssue]

    def unbind_store(self) -> None:
        """Hand the value back from a store: a plain Variable again."""
        if type(self) is StoreVariable:
            del self._md_store
            self.__class__ = Variable  # pyright: ignore[reportAttributeAccessIssue]

    @property
    def store(self) -> Any:
        """The store holding this Variable's value (see `bind_store`), or None."""
        return self._md_store if type(self) is StoreVariable else None

    def numpy(self) -> np.ndarray:
        """The value as a numpy array."""
        return np.asarray(self.value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __repr__(self) -> str:
        return f"<Variable {self.name} shape={self.shape} dtype={self.dtype} value={self.value}>"

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, idx):
        return self.value[idx]

    def __hash__(self) -> int:
        return id(self)

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return abs(self.value)

    def __invert__(self):
        return ~self.value

    def __matmul__(self, other):
        return self.value @ ops.unwrap(other)

    def __rmatmul__(self, other):
        return ops.unwrap(other) @ self.value

    @property
    def ndim(self) -> int:
        """The rank."""
        return len(self.shape)

    @property
    def T(self):
        """The transposed value."""
        return self.value.T


def _binary(op_name: str):
    def method(self, other):
        return getattr(self.value, op_name)(ops.array_arg(other))

    method.__name__ = op_name
    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor"):
    setattr(Variable, f"__{_op}__", _binary(f"__{_op}__"))
    setattr(Variable, f"__r{_op}__", _binary(f"__r{_op}__"))
for _op in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Variable, f"__{_op}__", _binary(f"__{_op}__"))
Variable.__hash__ = lambda self: id(self)  # __eq__ is element-wise, identity hashing stays


# -- stores: another owner (a collection's packed buffers) may hold a Variable's value ----------
_SLOT = Variable.__dict__["_value"]


def raw_value(variable: Variable) -> Any:
    """A Variable's stored value, bypassing any store hooks."""
    return _SLOT.__get__(variable, Variable)


def set_raw_value(variable: Variable, value: Any) -> None:
    """Store ``value`` in a Variable, bypassing any store hooks (no cast, no check)."""
    _SLOT.__set__(variable, value)


def set_residual(variable: Variable, residual: Any) -> None:
    """Store a compensated Variable's residual (auxiliary state), no cast or check."""
    variable._residual = residual


class StoreVariable(Variable):
    """A Variable whose value a store holds (see `Variable.bind_store`).

    Reading the value first calls the store's ``before_read()`` (a stale store
    writes its values back), writing it calls ``before_write()``. Copies, pickles
    and pytree round trips of its instances are plain Variables.
    """

    __slots__ = ()

    @property  # pyright: ignore[reportIncompatibleVariableOverride]
    def _value(self) -> Any:
        self._md_store.before_read()
        return _SLOT.__get__(self, Variable)

    @_value.setter
    def _value(self, value: Any) -> None:
        self._md_store.before_write()
        _SLOT.__set__(self, value)

    def __reduce_ex__(self, protocol):
        value = self._value  # reads first: a stale store writes its values (and residuals) back
        return plain_variable, (self.name, self.shape, self.dtype, self.aggregation,
                                self.initializer, value, self._residual, self.compensated)


StoreVariable.__name__ = "Variable"  # what users see (type(v).__name__ in messages)


def plain_variable(name, shape, dtype, aggregation, initializer, value,
                   residual=None, compensated=True) -> Variable:
    """A plain Variable with these fields (copies and pickles of a store's Variables)."""
    plain = object.__new__(Variable)
    for key, item in (("name", name), ("shape", shape), ("dtype", dtype),
                      ("aggregation", aggregation), ("initializer", initializer)):
        object.__setattr__(plain, key, item)
    _SLOT.__set__(plain, value)
    plain.compensated = compensated and aggregation == "sum" and dtype in _COMPENSATED
    plain._residual = (residual if residual is not None else zeros(shape, dtype)) \
        if plain.compensated else None
    return plain


def merge_compensated(total: jax.Array, residual: jax.Array, other_total: jax.Array,
                      other_residual: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Fold another compensated ``(total, residual)`` pair into this one (exact merging)."""
    total, residual = compensated_sum(total, residual, other_total)
    return compensated_sum(total, residual, other_residual)


class _Spec:
    """A Variable's static part in a pytree: compared by name, shape, dtype and aggregation."""

    __slots__ = ("aggregation", "compensated", "dtype", "initializer", "name", "shape")

    def __init__(self, variable: Variable) -> None:
        for slot in self.__slots__:
            setattr(self, slot, getattr(variable, slot))

    def _key(self) -> tuple:
        return (self.name, self.shape, self.dtype, self.aggregation, self.compensated)

    def __eq__(self, other: object) -> bool:
        return type(other) is _Spec and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())


def _unflatten(spec: _Spec, children: tuple) -> Variable:
    variable = object.__new__(Variable)
    for slot in _Spec.__slots__:
        setattr(variable, slot, getattr(spec, slot))
    variable._value = children[0]
    variable._residual = zeros(spec.shape, spec.dtype) if spec.compensated else None
    return variable


def _flatten(variable: Variable) -> tuple[tuple, _Spec]:
    return (variable._value,), _Spec(variable)


# A Variable is a pytree with its value as the one leaf, so `jax.jit(f)(m.variables)` works.
for _cls in (Variable, StoreVariable):
    jax.tree_util.register_pytree_node(_cls, _flatten, _unflatten)
