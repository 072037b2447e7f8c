"""Call arguments of compiled metric methods: made jit-ready, checked, fingerprinted.

`prepare` turns one stateful-call argument into what the compiled update
takes (arrays pass untouched on the hot path; lists become numpy; strings,
bools and callables become static parts of the signature); `check_data`
rejects non-numbers given as data before any state changes; `freeze` is the
hashable fingerprint of a configuration value that selects compiled code.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import core

from . import ops
from .errors import MetricInputError
from .variables import Variable

__all__ = [
    "DATA_ARGUMENTS", "TRACED_UPDATE", "Identity", "Static", "argument_names", "check_data",
    "check_raw", "freeze", "materialize", "prepare", "prepare_all", "prepare_kwargs",
    "unprepare",
]


class Static:
    """A non-array call argument (str, bool, callable) made part of the jit signature."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is Static and type(other.value) is type(self.value) \
            and other.value == self.value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


jax.tree_util.register_pytree_node(Static, lambda s: ((), s.value), lambda v, _: Static(v))


_CONCRETE_ARRAY_TYPES: set[type] = set()  # jax.Array types seen that are not tracers


TRACED_UPDATE = (
    "{name}.update_state was called with a traced value (inside jax.jit, vmap or scan). "
    "Stateful methods would leak tracers into the metric; use "
    "`state = m.stateless_update_state(state, ...)` and `m.stateless_result(state)` inside "
    "transformed functions. In a Keras model, wrap the metrics for compile: "
    "`model.compile(metrics=metricdsl.keras.to_keras([...]))`.")
#: Argument names that carry data: they must be numbers (checked before any state changes).
DATA_ARGUMENTS = frozenset({"y_true", "y_pred", "sample_weight", "values"})


def prepare_all(args: tuple, metric: Any) -> tuple:
    """`_prepare` each positional argument; check the data ones unless all are jax arrays."""
    out = tuple([prepare(a, metric) for a in args])
    for value in out:
        if type(value) not in _CONCRETE_ARRAY_TYPES:
            names = argument_names(type(metric))
            check_data(metric, dict(zip(names, out)))
            break
    return out


def argument_names(cls: type) -> tuple[str, ...]:
    names = cls.__dict__.get("_md_arg_names")
    if names is None:
        fn = getattr(cls.update_state, "_md_raw", cls.update_state)
        names = tuple(n for n, p in inspect.signature(fn).parameters.items()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))[1:]
        type.__setattr__(cls, "_md_arg_names", names)
    return names


def check_data(metric: Any, prepared: dict) -> None:
    """Reject strings, object/str arrays and ragged rows given as data, naming the argument."""
    for name, value in prepared.items():
        if name not in DATA_ARGUMENTS or value is None:
            continue
        where = f"{type(metric).__name__} {metric.name!r}: update_state argument `{name}`"
        if isinstance(value, Static) and isinstance(value.value, (str, bytes)):
            raise MetricInputError(f"{where} must hold numbers (an array, a list of numbers or a "
                            f"scalar); received {type(value.value).__name__} {value.value!r:.60}.")
        if isinstance(value, np.ndarray) and (value.dtype.kind in "OUS" or value.dtype.names):
            raise MetricInputError(f"{where} must hold numbers; received an array of dtype "
                            f"{value.dtype} (shape {value.shape}). Convert labels to numbers "
                            "first (e.g. class ids).")
        if isinstance(value, (list, tuple, dict)):
            raise MetricInputError(f"{where} must be one rectangular array of numbers; received a "
                             "ragged or nested structure (rows of different lengths, or "
                             "non-numbers). Pad the rows to one length, or pass one array.")


def prepare(x: Any, metric: Any) -> Any:
    """Make one call argument jit-ready: arrays pass, lists become numpy, str/bool static."""
    if type(x) in _CONCRETE_ARRAY_TYPES:  # the hot path: one set lookup, not two isinstance
        return x
    if isinstance(x, jax.Array):
        if isinstance(x, core.Tracer):
            raise TypeError(TRACED_UPDATE.format(name=type(metric).__name__))
        _CONCRETE_ARRAY_TYPES.add(type(x))
        return x
    if x is None or (isinstance(x, (np.ndarray, int, float, complex, np.generic)) \
            and not isinstance(x, bool)):
        return x
    if getattr(x, "__metricdsl_variable__", False):
        return cast(Variable, x).value
    if isinstance(x, (list, tuple)):
        try:
            array = np.asarray(ops.unwrap(x))
        except ValueError:  # ragged: a structure of arrays
            array = None
        if array is not None and array.dtype != object and array.size:
            return array
        return type(x)(prepare(e, metric) for e in x)
    if isinstance(x, dict):
        return {k: prepare(v, metric) for k, v in x.items()}
    if isinstance(x, (bool, str)) or callable(x):
        return Static(x)
    return x


def checkable(x: Any) -> Any:
    """What `check_data` inspects of a raw (possibly traced) argument; None to skip it."""
    if isinstance(x, (str, bytes)):
        return Static(x)
    if isinstance(x, (list, tuple)):
        if any(isinstance(leaf, core.Tracer) for leaf in jax.tree_util.tree_leaves(x)):
            return None  # traced rows (a list given to jax.jit): jax checks them itself
        try:
            return np.asarray(ops.unwrap(x))
        except (ValueError, TypeError):
            return list(x)
    return x if isinstance(x, np.ndarray) else None


def check_raw(metric: Any, args: tuple, kwargs: dict) -> None:
    """`check_data` for the stateless API's arguments (tracers pass)."""
    named = dict(zip(argument_names(type(metric)), args))
    named.update(kwargs)
    check_data(metric, {k: checkable(v) for k, v in named.items()})


def prepare_kwargs(kwargs: dict, metric: Any) -> dict:
    out = {k: prepare(v, metric) for k, v in kwargs.items()}
    check_data(metric, out)
    return out


def unprepare(x: Any) -> Any:
    return jax.tree_util.tree_map(lambda v: v.value if isinstance(v, Static) else v, x,
                                  is_leaf=lambda v: isinstance(v, Static))


def materialize(out: Any) -> Any:
    """Replace Variables in a result by their values (a result may be a Variable or dict)."""
    return jax.tree_util.tree_map(
        lambda v: v.value if getattr(v, "__metricdsl_variable__", False) else jnp.asarray(v), out,
        is_leaf=lambda v: getattr(v, "__metricdsl_variable__", False))


class Identity:
    """Identity-compared, identity-hashed wrapper for unhashable configuration values."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return type(other) is Identity and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def freeze(value: Any) -> Any:
    """A hashable fingerprint of one configuration value (decides compiled-code sharing)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes, complex)):
        return (type(value), value)
    if isinstance(value, Variable):
        return ("variable", value.shape, value.dtype)
    if getattr(value, "__metricdsl_metric__", False):
        return ("metric", type(value))
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (np.ndarray, np.generic)) or (
            isinstance(value, jax.Array) and not isinstance(value, core.Tracer)):
        array = np.asarray(value)
        if array.size <= 4096:
            return ("array", array.shape, array.dtype.str, array.tobytes())
    try:
        hash(value)
    except TypeError:
        return Identity(value)
    return value
