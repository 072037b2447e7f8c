"""`compile_metrics` and `MetricCollection`: Keras ``compile(metrics=...)`` outside a model.

A collection resolves what Keras's ``compile`` accepts (strings, classes,
instances, callables, config dicts; a list, a dict per output, or a list of
lists per output), names the results exactly as Keras 3 logs them, and
updates all its metrics in one jitted call.

State for the stateless API is a ``list`` with one entry per metric of
`MetricCollection.metrics` (compiled metrics, then `add_metric` trackers);
each entry is that metric's list of variable values (its
``stateless_reset_state()`` layout).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from . import ops, registry
from .base import (
    _TRACER_ERRORS,
    MetricBase,
    _SideEffect,
    _TraceGuard,
    call_compiled,
    to_snake_case,
)
from .variables import Variable, zeros

__all__ = ["MetricCollection", "compile_metrics"]

_SHAPE_STRINGS = {"accuracy": ("BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy"),
                  "acc": ("BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy"),
                  "crossentropy": ("BinaryCrossentropy", "SparseCategoricalCrossentropy",
                                   "CategoricalCrossentropy"),
                  "ce": ("BinaryCrossentropy", "SparseCategoricalCrossentropy",
                         "CategoricalCrossentropy")}
# Identifiers Keras rejects as metrics but that have one clear meaning.
_EXTRA_ALIASES = {"rmse": "RootMeanSquaredError", "RMSE": "RootMeanSquaredError",
                  "kld": "KLDivergence", "KLD": "KLDivergence", "logcosh": "LogCoshError"}
_CONFIG_KEYS = {"class_name", "config", "module", "registered_name"}
_NOT_BUILT = (
    "MetricCollection is not built: string identifiers such as 'accuracy' and lazily built "
    "metrics need the shapes of the first batch. Call `collection.build(y_true, y_pred)` "
    "(arrays or jax.ShapeDtypeStruct, with the outputs' structure) before using the stateless "
    "API, or update it once statefully.")


class CompileMetricsError(ValueError):
    """A metrics configuration or input structure that a collection cannot use."""


# -- entries ----------------------------------------------------------------------------------
def _is_config(x: Any) -> bool:
    return isinstance(x, dict) and "class_name" in x and set(x) <= _CONFIG_KEYS


def _function_only() -> dict[str, Callable]:
    return {name[len("metric_"):]: fn for name, fn in registry.builtin_objects().items()
            if not isinstance(fn, type)}


def _known_strings() -> set[str]:
    return set(registry.class_table()) | set(_SHAPE_STRINGS) | set(_EXTRA_ALIASES) \
        | set(_function_only())


def _check_entry(entry: Any, where: str) -> None:
    """Reject, at construction, entries that can never resolve (unknown strings, non-callables)."""
    if isinstance(entry, str):
        if entry.lower() in _SHAPE_STRINGS or entry in _known_strings():
            return
        matches = registry.close_matches(entry, _known_strings())
        hint = f" Did you mean: {', '.join(repr(m) for m in matches)}?" if matches else ""
        raise registry.UnknownIdentifierError(
            f"compile_metrics: unknown metric identifier {entry!r} in {where}.{hint} Use a class "
            "name ('MeanSquaredError'), its snake-case name ('mean_squared_error'), an alias "
            "('mse', 'acc', 'rmse'), a metric class or instance, or a function.")
    if _is_config(entry) or isinstance(entry, MetricBase) or callable(entry):
        return
    raise CompileMetricsError(
        f"compile_metrics: {where} holds {type(entry).__name__} {entry!r}, which is not a metric "
        "identifier; expected a string, a metric class or instance, a function "
        "fn(y_true, y_pred), or a config dict {'class_name': ..., 'config': {...}}.")


def _walk_entries(metrics: Any, where: str) -> None:
    if metrics is None:
        return
    if isinstance(metrics, (list, tuple)):
        for i, item in enumerate(metrics):
            _walk_entries(item, f"{where}[{i}]")
    elif isinstance(metrics, dict) and not _is_config(metrics):
        for key, item in metrics.items():
            _walk_entries(item, f"{where}[{key!r}]")
    else:
        _check_entry(metrics, where)


def _by_shape(identifier: str, y_true: Any, y_pred: Any) -> str:
    """Keras's choice among binary / sparse / categorical from the first batch's shapes."""
    binary_name, sparse_name, categorical_name = _SHAPE_STRINGS[identifier.lower()]
    t_shape, p_shape = tuple(y_true.shape), tuple(y_pred.shape)
    t_last = t_shape[-1] if t_shape else 1
    p_last = p_shape[-1] if p_shape else 1
    if p_last == 1:
        return binary_name
    if len(t_shape) < len(p_shape) or (t_last == 1 and p_last > 1):
        return sparse_name
    return categorical_name


def _instantiate(cls: type, entry: Any) -> MetricBase:
    try:
        return cls()
    except TypeError as err:
        raise CompileMetricsError(
            f"compile_metrics: {entry!r} resolves to {cls.__name__}, which cannot be built with "
            f"no arguments ({err}). Pass an instance with its arguments instead.") from None


def _lookup_class(classname: str, entry: Any) -> type:
    for cls in registry.builtin_classes().values():
        if cls.__name__ == classname:
            return cls
    raise CompileMetricsError(
        f"compile_metrics: {entry!r} resolves to {classname}, which is not available in this "
        "installation of metricdsl.")


def resolve_entry(entry: Any, y_true: Any, y_pred: Any) -> MetricBase:
    """One compile entry → a metric instance named as Keras names it.

    ``y_true``/``y_pred`` are the output's arrays or ``jax.ShapeDtypeStruct``s
    (only their shapes are read, for ``"accuracy"``-like strings).
    """
    if isinstance(entry, str):
        metric = _resolve_string(entry, y_true, y_pred)
        metric.name = entry
        return metric
    if isinstance(entry, MetricBase):
        return entry
    if _is_config(entry):
        return registry.deserialize(entry)
    if isinstance(entry, type) and issubclass(entry, MetricBase):
        return _instantiate(entry, entry)
    if callable(entry):
        from .builtin import metric_mean_wrapper

        return metric_mean_wrapper(entry, name=_function_name(entry))
    _check_entry(entry, "metrics")
    raise AssertionError(entry)


def _resolve_string(entry: str, y_true: Any, y_pred: Any) -> MetricBase:
    if entry.lower() in _SHAPE_STRINGS:
        return _instantiate(_lookup_class(_by_shape(entry, y_true, y_pred), entry), entry)
    table = registry.class_table()
    if entry in table:
        return _instantiate(table[entry], entry)
    if entry in _EXTRA_ALIASES:
        return _instantiate(_lookup_class(_EXTRA_ALIASES[entry], entry), entry)
    functions = _function_only()
    if entry in functions:
        from .builtin import metric_mean_wrapper

        return metric_mean_wrapper(functions[entry], name=entry)
    _check_entry(entry, "metrics")
    raise AssertionError(entry)


def _function_name(fn: Callable) -> str:
    """Keras's ``get_object_name`` for a callable; builtin functions by their Keras name."""
    for name, builtin in _function_only().items():
        if builtin is fn:
            return name
    if hasattr(fn, "name") and isinstance(fn.name, str):
        return fn.name
    if hasattr(fn, "__name__"):
        return to_snake_case(fn.__name__)
    return to_snake_case(type(fn).__name__)


# -- output structures ------------------------------------------------------------------------
def _is_plain(x: Any) -> bool:
    """Numbers or nested lists of numbers (one array), as opposed to a structure of arrays."""
    if isinstance(x, (int, float, complex, bool, np.generic)):
        return True
    return isinstance(x, (list, tuple)) and all(_is_plain(e) for e in x)


def _is_structure(x: Any) -> bool:
    return isinstance(x, dict) or (isinstance(x, (list, tuple)) and not _is_plain(x))


def _leaves(x: Any) -> list:
    """Flatten outputs as Keras's ``tree.flatten`` (dict keys sorted); plain lists are leaves."""
    if isinstance(x, dict):
        return [leaf for key in sorted(x) for leaf in _leaves(x[key])]
    if _is_structure(x):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _spec(x: Any) -> jax.ShapeDtypeStruct:
    if isinstance(x, jax.ShapeDtypeStruct):
        return x
    if getattr(x, "__metricdsl_variable__", False):
        x = x.value
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)
    array = np.asarray(x)
    return jax.ShapeDtypeStruct(array.shape, jax.dtypes.canonicalize_dtype(array.dtype))


def _as_input(x: Any) -> Any:
    if x is None or isinstance(x, (jax.Array, np.ndarray)):
        return x
    if getattr(x, "__metricdsl_variable__", False):
        return x.value
    return np.asarray(x)


def _describe(x: Any) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in x.items()) + "}"
    if _is_structure(x):
        inner = ", ".join(_describe(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    return f"array{tuple(np.shape(x)) if not hasattr(x, 'shape') else tuple(x.shape)}"


class _Layout:
    """How the outputs are flattened and named (Keras's ``CompileMetrics.build``)."""

    def __init__(self, y_pred: Any, output_names: list[str] | None) -> None:
        leaves = _leaves(y_pred)
        self.num_outputs = len(leaves)
        self.flat = _is_structure(y_pred) and len(y_pred) == self.num_outputs
        self.is_dict = isinstance(y_pred, dict)
        names = output_names
        if self.flat and self.is_dict:
            keys = list(y_pred)
            if output_names and set(keys) == set(output_names):
                names = list(output_names)
            elif type(y_pred).__name__ == "OrderedDict":
                names = keys
            else:
                names = sorted(keys)
        self.names = list(names) if names else None
        self.dict_names = self.names if self.num_outputs > 1 and self.flat and self.is_dict \
            else None
        self.structure = jax.tree_util.tree_structure(_skeleton(y_pred))

    def flatten(self, y: Any, what: str) -> list:
        """Outputs in order; raises naming ``what`` when ``y`` has another structure."""
        if self.dict_names is not None:
            if not isinstance(y, dict) or set(y) != set(self.dict_names):
                raise CompileMetricsError(
                    f"MetricCollection: {what} must be a dict with the outputs "
                    f"{self.dict_names}; received {_describe(y)}.")
            return [y[name] for name in self.dict_names]
        if jax.tree_util.tree_structure(_skeleton(y)) != self.structure:
            raise CompileMetricsError(
                f"MetricCollection: {what} has the structure {_describe(y)}, but the collection "
                f"was built for {self.num_outputs} output(s) with the structure "
                f"{self.structure}. Pass outputs with the structure of the first batch.")
        return _leaves(y)

    def output_name(self, index: int) -> str | None:
        return self.names[index] if self.names and self.num_outputs > 1 else None


def _skeleton(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _skeleton(v) for k, v in x.items()}
    if _is_structure(x):
        return [_skeleton(v) for v in x]
    return 0


def _flatten_metrics(metrics: Any) -> list:
    if isinstance(metrics, (list, tuple)):
        return [m for item in metrics for m in _flatten_metrics(item)]
    if isinstance(metrics, dict) and not _is_config(metrics):
        return [m for key in sorted(metrics) for m in _flatten_metrics(metrics[key])]
    return [] if metrics is None else [metrics]


def _per_output(metrics: Any, layout: _Layout, y_pred: Any, argument: str) -> list:
    """One (possibly empty) list of entries per output, following Keras's rules."""
    n = layout.num_outputs
    if not metrics:
        return [[] for _ in range(n)]
    if isinstance(metrics, dict) and not _is_config(metrics):
        known = layout.names or (list(y_pred) if isinstance(y_pred, dict) else None)
        unknown = [k for k in metrics if known is not None and k not in known]
        if unknown:
            raise CompileMetricsError(
                f"compile_metrics: {argument} has the key(s) {unknown} but the outputs are "
                f"{known}. Key {argument} by output name.")
    if n == 1:
        return [_flatten_metrics(metrics)]
    if layout.flat:
        if isinstance(metrics, (list, tuple)) and len(metrics) == n:
            return [_flatten_metrics(m) for m in metrics]
        if isinstance(metrics, dict) and not _is_config(metrics) and layout.names:
            return [_flatten_metrics(metrics.get(name)) for name in layout.names]
    try:
        return _match(metrics, y_pred)
    except CompileMetricsError as err:
        raise CompileMetricsError(
            f"compile_metrics: {err} Expected {argument} to be a list with one entry per output "
            f"({n} outputs), a dict keyed by output name"
            + (f" ({layout.names})" if layout.names else "")
            + f", or a structure matching the outputs {_describe(y_pred)}. "
            f"Received {argument}={metrics!r}.") from None


def _match(metrics: Any, y: Any) -> list:
    """Entries per output for metrics mirroring the outputs' nested structure."""
    if not _is_structure(y):
        return [_flatten_metrics(metrics)]
    if metrics is None:
        return [[] for _ in _leaves(y)]
    if isinstance(y, dict):
        if not isinstance(metrics, dict) or _is_config(metrics):
            raise CompileMetricsError(f"expected a dict for outputs {sorted(y)}.")
        unknown = [k for k in metrics if k not in y]
        if unknown:
            raise CompileMetricsError(f"the key(s) {unknown} are not outputs ({sorted(y)}).")
        return [e for key in sorted(y) for e in _match(metrics.get(key), y[key])]
    if not isinstance(metrics, (list, tuple)) or len(metrics) != len(y):
        raise CompileMetricsError(f"expected a list of {len(y)} entries for {_describe(y)}.")
    return [e for m, yy in zip(metrics, y) for e in _match(m, yy)]


# -- members and naming -----------------------------------------------------------------------
class _Member:
    __slots__ = ("metric", "output", "prefix", "tracker", "weighted")

    def __init__(self, metric, output=0, prefix=None, weighted=False, tracker=None):
        self.metric = metric
        self.output = output
        self.prefix = prefix
        self.weighted = weighted
        self.tracker = tracker  # the aggregation ("mean"/"sum") of an add_metric tracker


def _name_results(members: list[_Member], values: list) -> dict:
    """Keras 3's result keys: output prefixes, ``name_1`` and ``weighted_name`` on collisions."""
    results: dict[str, Any] = {}
    counters: dict[str, int] = {}

    def numbered(name: str) -> str:
        while True:
            index = counters[name]
            counters[name] += 1
            candidate = f"{name}_{index}"
            if candidate not in results:
                return candidate

    for member, value in zip(members, values):
        items = value.items() if isinstance(value, dict) else [(member.metric.name, value)]
        for raw, item in items:
            key = f"{member.prefix}_{raw}" if member.prefix else raw
            if key not in results and key not in counters:
                counters[key] = 1
            elif not member.weighted:
                key = numbered(key)
            else:
                key = f"{member.prefix}_weighted_{raw}" if member.prefix else f"weighted_{raw}"
                if key not in results and key not in counters:
                    counters[key] = 1
                else:
                    key = numbered(key)
            results[key] = item
    return results


def _check_flat_list(value: Any, argument: str) -> Any:
    if value is None or isinstance(value, (list, tuple, dict, str)) or callable(value):
        return value
    if isinstance(value, MetricBase):
        return value
    raise CompileMetricsError(
        f"compile_metrics: expected {argument} to be a list, tuple or dict of metrics (or a single "
        f"metric); received {type(value).__name__} {value!r}.")


# -- packed state ---------------------------------------------------------------------------
_SLOT = Variable.__dict__["_value"]


def _tracked_class(store_ref: Callable) -> type:
    """A Variable subclass whose value reads sync from (and writes flag) a packed store."""

    def get(self):
        store = store_ref()
        if store is not None and store.dirty and not store.quiet:
            store.sync()
        return _SLOT.__get__(self, Variable)

    def set_(self, value):
        store = store_ref()
        if store is not None and not store.quiet:
            if store.dirty:
                store.sync()
            store.need_pack = True
        _SLOT.__set__(self, value)

    def reduce(self, protocol=2):
        return _plain_variable, (self.name, self.shape, self.dtype, self.aggregation,
                                 self.initializer, self._value)

    return type("Variable", (Variable,), {
        "__slots__": (), "_value": property(get, set_), "__reduce_ex__": reduce,
        "__module__": Variable.__module__, "_md_store": store_ref})


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


def _plain_variable(name, shape, dtype, aggregation, initializer, value) -> Variable:
    """Copies and pickles of a collection member's Variable are plain Variables."""
    plain = object.__new__(Variable)
    for key, item in (("name", name), ("shape", shape), ("dtype", dtype),
                      ("aggregation", aggregation), ("initializer", initializer)):
        object.__setattr__(plain, key, item)
    _SLOT.__set__(plain, value)
    plain.compensated = Variable((), "zeros", dtype, aggregation=aggregation).compensated
    plain._residual = zeros(shape, dtype) if plain.compensated else None
    return plain


class _Store:
    """The fused members' variables packed into one flat buffer per dtype.

    A stateful update passes these few buffers through one jitted call instead
    of every variable (dispatch cost grows with the number of arrays). The
    members' Variables stay correct: their class is switched to a subclass
    whose reads unpack the buffers first (one jitted call, only when stale) and
    whose writes mark the buffers for repacking.
    """

    def __init__(self, metrics: list[MetricBase]) -> None:
        self.dirty = self.need_pack = self.quiet = self.released = False
        self.variables = [list(m.variables) for m in metrics]
        self.flat = [v for vs in self.variables for v in vs]
        self.dtypes = list(dict.fromkeys(v.dtype for v in self.flat))
        self.cls = _tracked_class(weakref.ref(self))
        for variable in self.flat:
            previous = type(variable).__dict__.get("_md_store")
            if previous is not None and previous() is not None:
                previous().release()
            variable.__class__ = self.cls
        self.buffers = self.pack_host()

    def pack(self, values: list) -> tuple:
        """Per-member value lists → one flat buffer per dtype (traceable)."""
        return _packer(self.layout(), tuple(self.dtypes))([v for vals in values for v in vals])

    def unpack(self, buffers: tuple) -> list:
        """The inverse of `pack` (traceable): one list of values per member."""
        flat = iter(_unpacker(self.layout(), tuple(self.dtypes))(buffers))
        return [[next(flat) for _ in variables] for variables in self.variables]

    def layout(self) -> tuple:
        return tuple((v.dtype, v.shape) for v in self.flat)

    def pack_host(self) -> tuple:
        """Pack the Variables' current values (one jitted call, shared per layout)."""
        with jax.ensure_compile_time_eval():  # concrete even if called while tracing
            return _packer(self.layout(), tuple(self.dtypes))(
                [_SLOT.__get__(v, Variable) for v in self.flat])

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
            _SLOT.__set__(variable, value)

    def release(self) -> None:
        """Hand the Variables back (synced, plain class): this store is no longer used."""
        self.sync()
        self.released = True
        for variables in self.variables:
            for variable in variables:
                if type(variable) is self.cls:
                    variable.__class__ = Variable


# -- the collection ---------------------------------------------------------------------------
class MetricCollection:
    """Many metrics over one model's outputs, updated together in one jitted call.

    Made by `compile_metrics`. ``update_state(y_true, y_pred, sample_weight=None)``
    accumulates a batch, ``result()`` returns a flat ``{name: value}`` dict named
    as Keras 3 logs them, ``reset_state()`` clears everything.

    Stateless use (inside ``jax.jit``, ``lax.scan``, a training step)::

        collection.build(y_true, y_pred)          # arrays or jax.ShapeDtypeStruct
        state = collection.stateless_reset_state()
        state = collection.stateless_update_state(state, y_true, y_pred,
                                                  sample_weight=None, extra={"loss": loss})
        logs = collection.stateless_result(state)

    ``state`` is a list with one entry per metric in `metrics` (each that
    metric's list of variable values, its ``stateless_reset_state()`` layout).
    ``extra`` feeds values to trackers declared with `add_metric`
    (``add_metric(None, "loss")`` declares one without a value); declare them
    before ``stateless_reset_state()``.

    The member metrics stay usable on their own: reading one's variables or
    result gives the collection's current state.

    ``validate = True`` (here, or on any member metric) checks every batch as
    `Metric`'s ``validate`` does (finite values, class-id ranges) for all
    member metrics; a failing check raises a ``ValueError`` and leaves every
    metric's state unchanged.
    """

    validate = False

    def __init__(self, metrics: Any = None, weighted_metrics: Any = None, *,
                 output_names: list[str] | None = None) -> None:
        metrics = _check_flat_list(metrics, "metrics")
        weighted_metrics = _check_flat_list(weighted_metrics, "weighted_metrics")
        _walk_entries(metrics, "metrics")
        _walk_entries(weighted_metrics, "weighted_metrics")
        if output_names is not None and (isinstance(output_names, str) or not all(
                isinstance(n, str) for n in output_names)):
            raise CompileMetricsError(
                f"compile_metrics: output_names must be a list of strings; received "
                f"{output_names!r}.")
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.output_names = list(output_names) if output_names is not None else None
        self._compiled: list[_Member] = []
        self._trackers: list[_Member] = []
        self._layout: _Layout | None = None
        self.built = not _flatten_metrics(metrics) and not _flatten_metrics(weighted_metrics)
        self._jitted: dict[str, Any] = {}
        self._store: _Store | None = None
        self._fused: list[int] = []
        self._eager: list[_Member] = []

    # -- building -------------------------------------------------------------------------
    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve every entry from the outputs' shapes and build lazily built metrics.

        Args:
            y_true: Targets: one array, or a list/dict with one per output (arrays
                or ``jax.ShapeDtypeStruct``).
            y_pred: Predictions, with the outputs' structure.

        Raises:
            CompileMetricsError: if the metrics do not fit the outputs' structure.
        """
        layout = _Layout(y_pred, self.output_names)
        pred_leaves = [_spec(x) for x in layout.flatten(y_pred, "y_pred")]
        true_leaves = [_spec(x) for x in layout.flatten(y_true, "y_true")]
        members: list[_Member] = []
        seen: dict[int, str] = {}
        for weighted, argument, user in ((False, "metrics", self._user_metrics),
                                         (True, "weighted_metrics", self._user_weighted)):
            for index, entries in enumerate(_per_output(user, layout, y_pred, argument)):
                for entry in entries:
                    metric = resolve_entry(entry, true_leaves[index], pred_leaves[index])
                    if id(metric) in seen:
                        raise CompileMetricsError(
                            f"compile_metrics: the metric instance {metric!r} appears twice "
                            f"({seen[id(metric)]} and {argument}); its state would be updated "
                            "twice per batch. Pass separate instances.")
                    seen[id(metric)] = argument
                    if not metric.built:
                        metric._md_build_from((true_leaves[index], pred_leaves[index]), {})
                    members.append(_Member(metric, index, layout.output_name(index), weighted))
        self._release()
        self._layout = layout
        self._compiled = members
        self.built = True

    @property
    def metrics(self) -> list[MetricBase]:
        """The resolved metric instances in result order (empty until built), then trackers."""
        return [m.metric for m in self._members()]

    @property
    def variables(self) -> list:
        """Every member's variables, in `metrics` order."""
        return [v for m in self.metrics for v in m.variables]

    def _members(self) -> list[_Member]:
        return (self._compiled if self.built else []) + self._trackers

    def _require_built(self) -> None:
        if not self.built:
            raise CompileMetricsError(_NOT_BUILT)

    def _release(self) -> None:
        """Drop the packed store and compiled functions (the members changed)."""
        if self._store is not None:
            self._store.release()
        self._store = None
        self._jitted.clear()

    def _ready(self) -> _Store:
        """The packed store for the current members (created, or repacked if needed)."""
        store = self._store
        if store is None or store.released:
            self._release()
            members = self._members()
            self._fused = [i for i, m in enumerate(members) if not _is_eager(m.metric)]
            self._eager = [m for i, m in enumerate(members) if i not in self._fused]
            store = self._store = _Store([members[i].metric for i in self._fused])
        store.refresh()
        return store

    # -- add_metric ------------------------------------------------------------------------
    def add_metric(self, value: Any, name: str, aggregation: str = "mean") -> None:
        """Track a value computed elsewhere (a loss, a norm) as a running mean or sum.

        The tracker is created on the first call with ``name`` and reported by
        `result` under ``name`` (after the compiled metrics), reset with them.
        ``value=None`` only declares it. In a loop, prefer
        ``update_state(..., extra={name: value})`` (one call for everything); in
        the stateless path use ``stateless_update_state(..., extra={name: value})``.

        Args:
            value: A scalar or array (its mean or sum is added), or None.
            name: The result key.
            aggregation: ``"mean"`` (a `metric_mean`) or ``"sum"`` (a `metric_sum`).

        Raises:
            CompileMetricsError: for another aggregation, a name used by another
                tracker with another aggregation, or a non-string name.
        """
        if aggregation not in ("mean", "sum"):
            raise CompileMetricsError(
                f"add_metric({name!r}): aggregation must be 'mean' or 'sum'; received "
                f"{aggregation!r}.")
        if not isinstance(name, str) or not name:
            raise CompileMetricsError(f"add_metric: name must be a non-empty string; received "
                                      f"{name!r}.")
        tracker = self._tracker(name)
        if tracker is None:
            from .builtin import metric_mean, metric_sum

            cls = metric_mean if aggregation == "mean" else metric_sum
            self._release()
            tracker = _Member(cls(name=name), tracker=aggregation)
            self._trackers.append(tracker)
        elif tracker.tracker != aggregation:
            raise CompileMetricsError(
                f"add_metric({name!r}): this tracker aggregates by {tracker.tracker!r}; received "
                f"aggregation={aggregation!r}.")
        if value is not None:
            tracker.metric.update_state(value)

    def _tracker(self, name: str) -> _Member | None:
        for member in self._trackers:
            if member.metric.name == name:
                return member
        return None

    # -- the fused update ------------------------------------------------------------------
    def _inputs(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
        layout = self._layout
        if layout.num_outputs == 1 and not layout.flat and not _is_structure(y_pred) \
                and not _is_structure(y_true):
            weight = None if sample_weight is None or _is_structure(sample_weight) \
                else _as_input(sample_weight)
            if weight is not None or sample_weight is None:
                return [_as_input(y_true)], [_as_input(y_pred)], [weight]
        preds = [_as_input(x) for x in layout.flatten(y_pred, "y_pred")]
        trues = [_as_input(x) for x in layout.flatten(y_true, "y_true")]
        return trues, preds, self._weights(sample_weight, layout)

    def _weights(self, sample_weight: Any, layout: _Layout) -> list:
        n = layout.num_outputs
        if sample_weight is None:
            return [None] * n
        if not _is_structure(sample_weight):
            return [_as_input(sample_weight)] * n
        if isinstance(sample_weight, dict) and layout.names:
            unknown = [k for k in sample_weight if k not in layout.names]
            if unknown:
                raise CompileMetricsError(
                    f"MetricCollection: sample_weight has the key(s) {unknown}; the outputs are "
                    f"{layout.names}.")
            return [_as_input(sample_weight.get(name)) for name in layout.names]
        weights = [_as_input(w) for w in _leaves(sample_weight)]
        if len(weights) == 1:
            return weights * n
        if len(weights) != n:
            raise CompileMetricsError(
                f"MetricCollection: sample_weight has {len(weights)} entries for {n} outputs; "
                "pass one array (used for every output) or one per output.")
        return weights

    def _update_fn(self, store: _Store) -> Callable:
        """The fused jitted update, shared by collections with the same metrics and layout."""
        validate = self._validates()
        fn = self._jitted.get(("update", validate))
        if fn is None:
            members = [self._members()[i] for i in self._fused]
            key = (tuple((m.metric._md_key(), m.output, m.weighted,
                          m.metric.name if m.tracker else None) for m in members),
                   tuple((v.dtype, v.shape) for v in store.flat), validate)
            shared = _SHARED.get(key)
            if shared is None:
                shared = _SHARED[key] = _SharedUpdate(validate)
            fn = self._jitted[("update", validate)] = shared.bind(members, store)
        return fn

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *,
                     extra: Mapping[str, Any] | None = None) -> None:
        """Accumulate one batch in every metric (one jitted call).

        Args:
            y_true: Targets, with the outputs' structure.
            y_pred: Predictions: one array, or a list/dict of arrays per output.
            sample_weight: None, one array (used for every output), or one per
                output (list or dict). Only ``weighted_metrics`` receive it.
            extra: ``{tracker name: value}`` for trackers made by `add_metric`.

        Raises:
            CompileMetricsError: if the outputs do not have the structure of the
                first batch, or ``extra`` names an unknown tracker.
        """
        if self._layout is None:
            self.build(y_true, y_pred)
        inputs = self._inputs(y_true, y_pred, sample_weight)
        extra = self._extra(extra)
        while True:
            store = self._ready()
            try:
                buffers = self._update_fn(store)(store.buffers, *inputs, extra)
                break
            except _Retry as retry:
                self._release()
                retry.member.metric._md_go_eager(retry.reason)
        saved = [[v.value for v in m.metric.variables] for m in self._eager]
        try:
            with ops.validating(self._validates()):
                for member in self._eager:
                    _member_update(member, None, *inputs, extra, False, eager=True)
        except Exception:
            for member, values in zip(self._eager, saved):
                for variable, value in zip(member.metric.variables, values):
                    variable.assign(value)
            raise
        store.buffers = buffers
        store.dirty = True

    def _validates(self) -> bool:
        """Whether updates run the value checks: ``validate`` here or on any member metric."""
        return bool(self.validate) or any(m.metric.validate for m in self._members())

    def _extra(self, extra: Mapping[str, Any] | None) -> dict:
        if not extra:
            return {}
        names = [m.metric.name for m in self._trackers]
        unknown = [k for k in extra if k not in names]
        if unknown:
            raise CompileMetricsError(
                f"MetricCollection: extra names the tracker(s) {unknown}, which do not exist "
                f"(trackers: {names}). Declare them first with collection.add_metric(None, name).")
        return {k: _as_input(v) for k, v in extra.items()}

    # -- results ----------------------------------------------------------------------------
    def _values(self, state: list) -> list:
        return [m.metric.stateless_result(s) for m, s in zip(self._members(), state)]

    def result(self) -> dict[str, Any]:
        """``{name: value}`` for every metric (dict results expanded into their keys).

        Raises:
            CompileMetricsError: if the collection has metrics but was never built.
        """
        self._require_built()
        if self._store is not None:
            self._store.sync()
        members = self._members()
        return _name_results(members, [m.metric.result() for m in members])

    def reset_state(self) -> None:
        """Reset every metric and tracker."""
        for member in self._members():
            member.metric.reset_state()

    # -- the stateless API ------------------------------------------------------------------
    def stateless_reset_state(self) -> list:
        """Initial state: one list of variable values per metric in `metrics`."""
        self._require_built()
        return [m.metric.stateless_reset_state() for m in self._members()]

    def _stateless_fn(self) -> Callable:
        fn = self._jitted.get("stateless")
        if fn is None:
            members = self._members()

            def update(state, trues, preds, weights, extra):
                return [_member_update(m, s, trues, preds, weights, extra, False)
                        for m, s in zip(members, state)]

            eager = any(_is_eager(m.metric) for m in members)
            fn = self._jitted["stateless"] = update if eager else jax.jit(update)
        return fn

    def stateless_update_state(self, state: list, y_true: Any, y_pred: Any,
                               sample_weight: Any = None, *,
                               extra: Mapping[str, Any] | None = None) -> list:
        """Pure update: the new state after one batch (works inside ``jax.jit``).

        Raises:
            CompileMetricsError: if the collection is not built, or ``state`` or the
                outputs do not have the expected structure.
        """
        self._require_built()
        self._check_state(state)
        if self._layout is None:  # only trackers: any outputs will do
            self.build(y_true, y_pred)
        return self._stateless_fn()(list(state), *self._inputs(y_true, y_pred, sample_weight),
                                    self._extra(extra))

    def stateless_result(self, state: list) -> dict[str, Any]:
        """Pure result: the flat ``{name: value}`` dict computed from ``state``."""
        self._require_built()
        self._check_state(state)
        members = self._members()
        fn = self._jitted.get("values")
        if fn is None:
            eager = any(_is_eager(m.metric) for m in members)
            fn = self._jitted["values"] = self._values if eager else jax.jit(self._values)
        return _name_results(members, fn(list(state)))

    def _check_state(self, state: Any) -> None:
        members = self._members()
        if not isinstance(state, (list, tuple)) or len(state) != len(members):
            raise CompileMetricsError(
                f"MetricCollection: state must be a list with one entry per metric "
                f"({len(members)}: {[m.metric.name for m in members]}), as returned by "
                f"stateless_reset_state(); received {type(state).__name__} of length "
                f"{len(state) if hasattr(state, '__len__') else '?'}. Declare add_metric trackers "
                "before calling stateless_reset_state().")

    # -- merging ----------------------------------------------------------------------------
    def merge_state(self, others: Any) -> None:
        """Merge the states of other collections with the same metrics (e.g. shards).

        Raises:
            CompileMetricsError: if a collection is unbuilt or has other metrics.
        """
        others = [others] if isinstance(others, MetricCollection) else list(others)
        self._require_built()
        mine = self.metrics
        for other in others:
            theirs = other.metrics if isinstance(other, MetricCollection) and other.built else None
            if theirs is None or [type(m) for m in theirs] != [type(m) for m in mine]:
                raise CompileMetricsError(
                    f"MetricCollection.merge_state: cannot merge {other!r}; expected a built "
                    f"collection with the metrics {[type(m).__name__ for m in mine]}.")
        for i, metric in enumerate(mine):
            metric.merge_state([other.metrics[i] for other in others])

    def __repr__(self) -> str:
        names = [m.name for m in self.metrics] if self.built else self._user_metrics
        return f"<MetricCollection metrics={names!r} built={self.built}>"


class _SharedUpdate:
    """One jitted fused update, reused by every collection whose members trace alike."""

    def __init__(self, validate: bool = False) -> None:
        self.calling = threading.local()  # .subject: (members, store) being updated
        self.validate = validate
        self.jitted = jax.jit(checkify.checkify(self._traced) if validate else self._traced)

    def _traced(self, buffers, trues, preds, weights, extra):
        members, store = self.calling.subject
        store.quiet = True
        try:
            with ops.validating(self.validate):
                states = store.unpack(buffers)
                return store.pack([_member_update(m, s, trues, preds, weights, extra, True)
                                   for m, s in zip(members, states)])
        finally:
            store.quiet = False

    def __deepcopy__(self, memo) -> _SharedUpdate:
        return self  # a shared cache entry

    def bind(self, members: list, store: _Store) -> Callable:
        return functools.partial(call_compiled, self.jitted, self.validate, self.calling,
                                 (members, store))


_SHARED: dict[tuple, _SharedUpdate] = {}


def _is_eager(metric: MetricBase) -> bool:
    """Whether a metric runs eagerly (``run_eagerly`` or found untraceable before)."""
    return bool(metric.run_eagerly or type(metric).__dict__.get("_md_eager_detected", False))


class _Retry(Exception):
    def __init__(self, member: _Member, reason: str) -> None:
        super().__init__(reason)
        self.member = member
        self.reason = reason


def _member_update(member: _Member, state, trues, preds, weights, extra, guard, eager=False):
    metric = member.metric
    if member.tracker:
        name = metric.name
        if name not in extra:
            return state
        if eager:
            return metric.update_state(extra[name])
        return metric.stateless_update_state(state, extra[name])
    args = (trues[member.output], preds[member.output])
    kwargs = {}
    if member.weighted and weights[member.output] is not None:
        kwargs["sample_weight"] = weights[member.output]
    if eager:
        return metric.update_state(*args, **kwargs)
    if not guard:
        return metric.stateless_update_state(state, *args, **kwargs)
    try:
        with _TraceGuard(metric):
            return metric.stateless_update_state(state, *args, **kwargs)
    except _SideEffect:
        raise _Retry(member, "update_state changes Python state (attributes, private or prints)") \
            from None
    except _TRACER_ERRORS as err:
        raise _Retry(member, f"update_state branches on array values ({type(err).__name__})") \
            from None


def compile_metrics(metrics: Any = None, weighted_metrics: Any = None, *,
                    output_names: list[str] | None = None) -> MetricCollection:
    """Resolve a Keras ``compile(metrics=..., weighted_metrics=...)`` configuration.

    Entries are string identifiers (``"accuracy"``/``"acc"`` chosen by the first
    batch's shapes as Keras does; class names; snake-case names; ``mse``,
    ``mae``, ``mape``, ``msle``, ``bce``; and beyond Keras ``rmse``, ``kld``,
    ``logcosh``, ``huber`` and ``crossentropy``/``ce`` chosen by shape), metric
    classes (built with no arguments), instances, functions
    ``fn(y_true, y_pred)`` (averaged by a `metric_mean_wrapper` named after the
    function) and config dicts ``{"class_name": ..., "config": {...}}``.

    Args:
        metrics: An entry, a list of entries, a dict ``{output name: entries}``,
            or a list with one entry (or list) per output. Updated without
            ``sample_weight``.
        weighted_metrics: The same, for metrics that receive ``sample_weight``.
        output_names: Names of the outputs when ``y_pred`` is a list (dict
            outputs are named by their keys). Results of a multi-output model
            are keyed ``<output>_<name>``.

    Returns:
        A `MetricCollection` (resolved at its first update or `build`).

    Raises:
        ValueError: (``CompileMetricsError`` or ``UnknownIdentifierError``) for an
            unknown string (close matches listed) or a non-metric entry.

    Example:
        >>> import numpy as np
        >>> import metricdsl as md
        >>> c = md.compile_metrics(["mse"], weighted_metrics=["mse"])
        >>> y_true = np.array([[0.0], [1.0]]); y_pred = np.array([[0.5], [1.0]])
        >>> c.update_state(y_true, y_pred, sample_weight=np.array([1.0, 0.0]))
        >>> {k: round(float(v), 3) for k, v in c.result().items()}
        {'mse': 0.125, 'weighted_mse': 0.25}
    """
    return MetricCollection(metrics, weighted_metrics, output_names=output_names)
