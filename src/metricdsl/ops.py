"""A ``keras.ops``-compatible set of array functions on ``jax.numpy``.

Every function accepts metricdsl ``Variable`` objects wherever it accepts
arrays (JAX no longer converts foreign objects through ``__jax_array__``, so
the functions here unwrap them). Dtypes are given as Keras strings
(``"float32"``, ``"int32"``, ``"bool"``); ``"float"`` and ``"int"`` mean
``floatx`` and ``"int32"``.

Example:
    >>> from metricdsl import ops
    >>> float(ops.divide_no_nan(ops.sum([1.0, 2.0]), 0.0))
    0.0
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import threading
from typing import Any, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax import core, lax
from jax.experimental import checkify

EPSILON = 1e-7
NEG_INF = -1e10

_FLOATX = ["float32"]


def floatx() -> str:
    """The default float dtype (``"float32"`` unless changed by `set_floatx`)."""
    return _FLOATX[0]


def set_floatx(dtype: str) -> None:
    """Set the default float dtype used by metrics and ``ops.cast(x, "float")``.

    Raises:
        ValueError: if ``dtype`` is not a float dtype name.
    """
    if dtype not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"set_floatx: expected one of 'float16', 'bfloat16', 'float32', 'float64'; "
            f"received {dtype!r}.")
    _FLOATX[0] = dtype


def epsilon() -> float:
    """The fuzz factor Keras uses in clipping and denominators (``1e-7``)."""
    return EPSILON


def standardize_dtype(dtype: Any) -> str:
    """The canonical dtype string (``None``/``"float"`` → floatx, ``"int"`` → ``"int32"``)."""
    if dtype is None or dtype == "float":
        return floatx()
    if dtype == "int":
        return "int32"
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return dtype[len("mixed_"):]
    return jnp.dtype(dtype).name


def unwrap(x: Any) -> Any:
    """Return the array inside a metricdsl ``Variable``; anything else unchanged.

    Lists and tuples are unwrapped element-wise so ``ops.stack([v1, v2])`` works.
    """
    if getattr(x, "__metricdsl_variable__", False):
        return x.value
    if type(x) in (list, tuple):
        return type(x)(unwrap(e) for e in x)
    return x


def array_arg(x: Any) -> Any:
    """Unwrap a data argument; a (nested) list of numbers becomes an array, as in keras.ops."""
    x = unwrap(x)
    if type(x) in (list, tuple) and not builtins.any(isinstance(e, jax.Array) for e in x):
        return jnp.asarray(x)
    return x


def _lift(fn, data_args=1):
    """Wrap a ``jnp`` function so its arguments may be Variables and its data args lists."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [array_arg(a) if i < data_args else unwrap(a) for i, a in enumerate(args)]
        return fn(*args, **{k: unwrap(v) for k, v in kwargs.items()})

    wrapper.__doc__ = f"``jax.numpy.{fn.__name__}`` accepting metricdsl Variables and lists."
    return wrapper


# Element-wise and reductions: thin lifts of jax.numpy (same names as keras.ops).
abs = _lift(jnp.abs)
absolute = _lift(jnp.abs)
add = _lift(jnp.add, 2)
all = _lift(jnp.all)
any = _lift(jnp.any)
arange = _lift(jnp.arange)
argmax = _lift(jnp.argmax)
argmin = _lift(jnp.argmin)
argsort = _lift(jnp.argsort)
bincount = _lift(jnp.bincount)
ceil = _lift(jnp.ceil)
concatenate = _lift(jnp.concatenate)
cos = _lift(jnp.cos)
cumsum = _lift(jnp.cumsum)
diag = _lift(jnp.diag)
diagonal = _lift(jnp.diagonal)
divide = _lift(jnp.divide, 2)
dot = _lift(jnp.dot, 2)
equal = _lift(jnp.equal, 2)
exp = _lift(jnp.exp)
expand_dims = _lift(jnp.expand_dims)
flip = _lift(jnp.flip)
floor = _lift(jnp.floor)
greater = _lift(jnp.greater, 2)
greater_equal = _lift(jnp.greater_equal, 2)
isfinite = _lift(jnp.isfinite)
isinf = _lift(jnp.isinf)
isnan = _lift(jnp.isnan)
less = _lift(jnp.less, 2)
less_equal = _lift(jnp.less_equal, 2)
log = _lift(jnp.log)
log1p = _lift(jnp.log1p)
logical_and = _lift(jnp.logical_and, 2)
logical_not = _lift(jnp.logical_not)
logical_or = _lift(jnp.logical_or, 2)
logical_xor = _lift(jnp.logical_xor, 2)
matmul = _lift(jnp.matmul, 2)
max = _lift(jnp.max)
maximum = _lift(jnp.maximum, 2)
mean = _lift(jnp.mean)
min = _lift(jnp.min)
minimum = _lift(jnp.minimum, 2)
multiply = _lift(jnp.multiply, 2)
negative = _lift(jnp.negative)
not_equal = _lift(jnp.not_equal, 2)
power = _lift(jnp.power, 2)
prod = _lift(jnp.prod)
ravel = _lift(jnp.ravel)
reshape = _lift(jnp.reshape)
round = _lift(jnp.round)
rsqrt = _lift(lax.rsqrt)
searchsorted = _lift(jnp.searchsorted, 2)
sign = _lift(jnp.sign)
sin = _lift(jnp.sin)
sort = _lift(jnp.sort)
sqrt = _lift(jnp.sqrt)
square = _lift(jnp.square)
squeeze = _lift(jnp.squeeze)
stack = _lift(jnp.stack)
std = _lift(jnp.std)
subtract = _lift(jnp.subtract, 2)
sum = _lift(jnp.sum)
take = _lift(jnp.take)
take_along_axis = _lift(jnp.take_along_axis)
tanh = _lift(jnp.tanh)
tile = _lift(jnp.tile)
transpose = _lift(jnp.transpose)
tril = _lift(jnp.tril)
triu = _lift(jnp.triu)
var = _lift(jnp.var)
where = _lift(jnp.where, 3)
zeros_like = _lift(jnp.zeros_like)
ones_like = _lift(jnp.ones_like)
full_like = _lift(jnp.full_like)
sigmoid = _lift(jax.nn.sigmoid)
softmax = _lift(jax.nn.softmax)
log_softmax = _lift(jax.nn.log_softmax)
log_sigmoid = _lift(jax.nn.log_sigmoid)
softplus = _lift(jax.nn.softplus)
relu = _lift(jax.nn.relu)
logsumexp = _lift(jax.nn.logsumexp)
segment_sum = _lift(jax.ops.segment_sum)
segment_max = _lift(jax.ops.segment_max)


def convert_to_tensor(x: Any, dtype: Any = None) -> jax.Array:
    """Convert ``x`` (array, Variable, list, scalar) to a ``jax.Array`` of ``dtype``."""
    x = unwrap(x)
    return jnp.asarray(x, dtype=None if dtype is None else standardize_dtype(dtype))


def cast(x: Any, dtype: Any) -> jax.Array:
    """Cast ``x`` to ``dtype`` (a Keras dtype string)."""
    return jnp.asarray(unwrap(x)).astype(standardize_dtype(dtype))


def shape(x: Any) -> tuple[int, ...]:
    """The static shape of ``x`` as a tuple."""
    return tuple(np.shape(unwrap(x)))


def ndim(x: Any) -> int:
    """The rank of ``x``."""
    return len(shape(x))


def size(x: Any) -> int:
    """The number of elements of ``x``."""
    return int(np.prod(shape(x), dtype=np.int64))


def dtype(x: Any) -> str:
    """The dtype of ``x`` as a string."""
    return jnp.result_type(unwrap(x)).name


def zeros(shape: Any, dtype: Any = None) -> jax.Array:
    """Zeros of ``shape`` and ``dtype`` (default floatx)."""
    return jnp.zeros(shape, standardize_dtype(dtype))


def ones(shape: Any, dtype: Any = None) -> jax.Array:
    """Ones of ``shape`` and ``dtype`` (default floatx)."""
    return jnp.ones(shape, standardize_dtype(dtype))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> jax.Array:
    """An array of ``shape`` filled with ``fill_value``."""
    return jnp.full(shape, unwrap(fill_value), standardize_dtype(dtype))


def broadcast_to(x: Any, shape: Any) -> jax.Array:
    """Broadcast ``x`` to ``shape``."""
    return jnp.broadcast_to(unwrap(x), tuple(shape))


def clip(x: Any, x_min: Any, x_max: Any) -> jax.Array:
    """Clip ``x`` to ``[x_min, x_max]``."""
    return jnp.clip(unwrap(x), unwrap(x_min), unwrap(x_max))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None) -> jax.Array:
    """One-hot encode integer ``x`` into ``num_classes`` classes (out-of-range ids → zeros)."""
    return jax.nn.one_hot(unwrap(x), num_classes, dtype=standardize_dtype(dtype), axis=axis)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[jax.Array, jax.Array]:
    """The ``k`` largest entries along the last axis and their indices."""
    return lax.top_k(unwrap(x), k)


def in_top_k(targets: Any, predictions: Any, k: int) -> jax.Array:
    """Whether ``targets`` are within the top ``k`` of ``predictions`` (ties count as inside).

    Keras's JAX rule: ``rank = 1 + count(pred > pred[target])``; a NaN target score is ``-inf``.
    """
    predictions = jnp.asarray(unwrap(predictions))
    targets = jnp.asarray(unwrap(targets)).astype("int32")
    target_score = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    target_score = jnp.where(jnp.isnan(target_score), -jnp.inf, target_score)
    rank = 1 + jnp.sum(predictions > target_score, axis=-1)
    return rank <= k


def divide_no_nan(x: Any, y: Any) -> jax.Array:
    """``x / y`` with 0 wherever ``y == 0`` (no NaN, no inf, and finite gradients)."""
    x, y = jnp.asarray(unwrap(x)), jnp.asarray(unwrap(y))
    safe_y = jnp.where(y == 0, 1, y)
    return jnp.where(y == 0, jnp.zeros((), jnp.result_type(x, y)), x / safe_y)


@overload
def squeeze_or_expand_to_same_rank(x1: jax.Array, x2: jax.Array,
                                   expand_rank_1: bool = True) -> tuple[jax.Array, jax.Array]: ...
@overload
def squeeze_or_expand_to_same_rank(x1: Any, x2: Any,
                                   expand_rank_1: bool = True) -> tuple[Any, Any]: ...
def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True):
    """Keras's rank alignment: when ranks differ by one and the larger has a last dim of 1.

    The size-1 last axis is squeezed, or (when the other input is rank 1 and
    ``expand_rank_1``) the rank-1 input gets a trailing axis. Otherwise both
    are returned unchanged.
    """
    x1, x2 = unwrap(x1), unwrap(x2)
    r1, r2 = jnp.ndim(x1), jnp.ndim(x2)
    if r1 == r2 + 1 and jnp.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, jnp.expand_dims(x2, -1)
        return jnp.squeeze(x1, -1), x2
    if r2 == r1 + 1 and jnp.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return jnp.expand_dims(x1, -1), x2
        return x1, jnp.squeeze(x2, -1)
    return x1, x2


def reverse_cumsum(x: Any, axis: int = 0) -> jax.Array:
    """Cumulative sum from the end: ``out[i] = sum(x[i:])`` along ``axis``."""
    return jnp.flip(jnp.cumsum(jnp.flip(unwrap(x), axis), axis=axis), axis)


def cond(pred: Any, true_fn, false_fn, *operands):
    """``lax.cond`` with Variables unwrapped."""
    return lax.cond(unwrap(pred), true_fn, false_fn, *[unwrap(o) for o in operands])


def stop_gradient(x: Any) -> jax.Array:
    """``lax.stop_gradient``."""
    return lax.stop_gradient(unwrap(x))


def optimization_barrier(x: Any) -> Any:
    """``lax.optimization_barrier`` over a pytree (keeps XLA from fusing across it)."""
    return lax.optimization_barrier(jax.tree_util.tree_map(unwrap, x))


class _Validating(threading.local):
    depth = 0


_VALIDATING = _Validating()  # per thread: how many `validating` contexts are active


def is_validating() -> bool:
    """Whether this thread is inside `validating` (value checks are being traced)."""
    return _VALIDATING.depth > 0


@contextlib.contextmanager
def validating(enabled: bool = True):
    """Trace the value checks of `check` while active (``metric.validate = True`` uses it).

    ``validating(False)`` is a no-op context, for code that validates on a flag.

    Inside a transformed function, wrap it with ``jax.experimental.checkify``:

    Example:
        >>> import jax, metricdsl as md
        >>> from jax.experimental import checkify
        >>> m = md.metric_sparse_categorical_accuracy()
        >>> step = checkify.checkify(jax.jit(m.stateless_update_state))
        >>> with md.ops.validating():
        ...     error, state = step(m.stateless_reset_state(), [3], [[0.2, 0.8]])
        >>> "y_true holds class ids outside [0, 2)" in error.get()
        True
    """
    _VALIDATING.depth += bool(enabled)
    try:
        yield
    finally:
        _VALIDATING.depth -= bool(enabled)


def check(condition: Any, message: str) -> None:
    """A data-dependent value check, run only under `validating` (no cost otherwise).

    ``condition`` is a boolean array or a function returning one (evaluated only
    under validation). A concrete ``condition`` that is not all true raises ``ValueError(message)``
    at once; a traced one becomes a ``checkify`` check, raised by the metric
    after its compiled update and before any state changes.
    """
    if not is_validating():
        return
    condition = jnp.all(unwrap(condition() if callable(condition) else condition))
    if isinstance(condition, core.Tracer):
        checkify.check(condition, message)
    elif not bool(condition):
        raise ValueError(message)


for _name, _value in list(globals().items()):  # lifted functions pickle by their name here
    if getattr(_value, "__wrapped__", None) is not None and callable(_value):
        _value.__module__, _value.__qualname__, _value.__name__ = __name__, _name, _name
