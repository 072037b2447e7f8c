"""The root metric behaviour: Keras 3's Metric API over a stateless, jit-first core.

The stateless functions are the source of truth. ``stateless_update_state``
runs the metric's ``update_state`` in a scope where every variable holds the
given (possibly traced) value and ``assign`` only rebinds; the new values are
collected and the old ones restored. The stateful ``update_state`` /
``result`` run that under a ``jax.jit`` compiled once per (class, static
configuration, input signature) and write the new values back only on
success, so an update that raises leaves the state unchanged.
"""

from __future__ import annotations

import copy
import importlib
import re
import sys
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from . import ops, scope
from .arguments import check_raw, materialize
from .compiled import VERSION, CompiledPath, bump
from .entries import DEPTH, ENTRY_FACTORIES, ENTRY_POINTS, NO_SUPER_INIT, init_entry
from .errors import MetricEagerWarning
from .state import State
from .tracing import TraceGuard
from .variables import (
    OPEN,
    DeferredResidual,
    Variable,
    deferring,
    merge_compensated,
    own,
    owned,
    zeros,
)

__all__ = ["MetricBase", "MetricEagerWarning", "build_from_batch", "compile_key", "mark_eager",
           "merge_values", "runs_eagerly", "sub_metrics", "to_snake_case", "trace_guard"]


def to_snake_case(name: str) -> str:
    """Keras's snake-casing: ``"AUC"`` → ``"auc"``, ``"MeanIoU"`` → ``"mean_io_u"``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_NAME_COUNTS: dict[str, int] = {}


def auto_name(classname: str) -> str:
    """A fresh snake-case name: ``auc``, then ``auc_1``, ``auc_2``, ..."""
    base = to_snake_case(classname)
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _config_value(value: Any) -> Any:
    """``value`` with numpy scalars (also inside lists and tuples) as Python numbers."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (list, tuple):
        return type(value)(_config_value(v) for v in value)
    return value


def _bad_constructor_argument(cls, argument, expected, value):
    """Raise a TypeError naming the metric class, the argument, what was expected and given."""
    given = (f"an array of shape {np.shape(value)}" if hasattr(value, "shape")
             else f"{type(value).__name__} {value!r:.80}")
    hint = (" Metric constructors take no data: create the metric, then call "
            "update_state(y_true, y_pred)." if hasattr(value, "shape") else "")
    raise TypeError(f"{cls.__name__}: {argument} must be {expected}; received {given}.{hint}")


class MetricBase(CompiledPath):
    """Keras 3's ``Metric`` API; `metricdsl.Metric` is this class plus the factory."""

    __metricdsl_metric__ = True
    built = True
    run_eagerly = False
    #: Check the data of each stateful update (finite values, builtin label ranges) and raise
    #: a ValueError naming the metric and argument before any state changes. Costs a host sync.
    validate = False
    # Set per instance in __init__ (with object.__setattr__, before tracking starts).
    _variables: list[Variable]
    _metrics: list[MetricBase]

    def __init__(self, dtype: Any = None, name: str | None = None, **kwargs: Any) -> None:
        """Set the name (default: snake-cased class name, uniquified) and dtype (default floatx)."""
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) "
                f"{', '.join(map(repr, kwargs))}; the base Metric takes only name= and dtype=. "
                f"Give {type(self).__name__}'s initialize a parameter for each argument it "
                "accepts.")
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        if name is not None and not isinstance(name, str):
            _bad_constructor_argument(type(self), "name", "a string or None", name)
        try:
            self._dtype = ops.standardize_dtype(dtype)
        except (TypeError, ValueError):
            _bad_constructor_argument(type(self), "dtype", "a dtype name such as 'float32' or None",
                                      dtype)
        self.name = name or auto_name(type(self).__name__)

    # -- subclass set-up -------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "__init__" in own and not getattr(own["__init__"], "_md_entry", False):
            cls.__init__ = init_entry(own["__init__"])
        if "__init__" in own:
            cls.initialize = cls.__dict__["__init__"]
        for name in ENTRY_POINTS:
            fn = own.get(name)
            if callable(fn) and not getattr(fn, "_md_entry", False):
                setattr(cls, name, ENTRY_FACTORIES[name](fn))

    # -- attributes and tracking -----------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name.startswith("_md_"):
            return
        _forget_key(self)
        if "_metrics" not in self.__dict__:
            return
        for item in _walk(value):
            if isinstance(item, MetricBase) and item is not self \
                    and not any(item is m for m in self._metrics):
                self._metrics.append(item)
                bump()
            elif isinstance(item, Variable) and not any(item is v for v in self._variables):
                self._variables.append(item)
                bump()

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                "You forgot to call `super().__init__()` in the `__init__()` method. Go add it! ("
                + NO_SUPER_INIT.format(cls=type(self).__name__) + ")")

    @property
    def build_specs(self) -> list | None:
        """``[(shape, dtype name) or None, ...]`` of the batch a lazily built metric was
        built from (what its pickles and checkpoints rebuild from); None otherwise."""
        return self.__dict__.get("_md_build_specs")

    @property
    def dtype(self) -> str:
        """The compute dtype string (read-only)."""
        return self._dtype

    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None, *,
                     compensated: bool = True) -> Variable:
        """Create a state variable (``dtype=None`` means floatx, as in Keras).

        Float ``"sum"`` variables are compensated (exact running sums) unless
        ``compensated=False``, which halves their memory where exactness is
        tracked otherwise.
        """
        self._check_super_called()
        variable = Variable(shape, initializer, dtype, name=name, aggregation=aggregation,
                            compensated=compensated)
        own(variable)  # created inside a compiled update: that update may write it
        self._variables.append(variable)
        bump()
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: str | None = None) -> Variable:
        """Keras's older spelling of `add_variable` (``initializer=None`` means zeros)."""
        return self.add_variable(shape, "zeros" if initializer is None else initializer,
                                 dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """Own variables in creation order, then each tracked sub-metric's, recursively."""
        cached = self.__dict__.get("_md_vars")
        if cached is not None and cached[0] == VERSION[0]:
            return list(cached[1])
        self._check_super_called()
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        object.__setattr__(self, "_md_vars", (VERSION[0], tuple(out)))
        return out

    def _md_all_metrics(self) -> list[MetricBase]:
        out = []
        for metric in self.__dict__.get("_metrics", ()):
            out.append(metric)
            out.extend(metric._md_all_metrics())
        return out

    # -- user-overridable state methods (raw forms; entries wrap them) ---------------------
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate statistics from a batch. Defined by each metric."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define update_state(); give Metric() an "
            "update_state function or inherit from a metric that has one.")

    def result(self) -> Any:
        """The metric value from the current state (a scalar, an array or a dict)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define result(); give Metric() a result function.")

    def reset_state(self) -> None:
        """Restore every variable (nested metrics' too) to its initial value."""
        if type(self).reset_states is not MetricBase.reset_states:
            return self.reset_states()
        for variable in self.variables:
            variable.assign(variable.initial_value())
        return None

    def reset_states(self) -> None:
        """The tf.keras-era spelling of `reset_state` (a class may override either)."""
        return self.reset_state()

    def build(self, y_true: Any = None, y_pred: Any = None) -> None:
        """Create shape-dependent variables (lazily built metrics override this)."""
        self.built = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update with a batch, then return the result."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # -- the stateless core ----------------------------------------------------------------
    def _md_in_scope(self, values, fn, residuals=None):
        """Run ``fn`` with variables set to ``values`` (and the compensated ones' residuals).

        Returns ``(output, new values, new residuals)``; ``residuals=None`` starts
        every compensated sum from a zero residual (Keras's semantics).
        """
        variables = self.variables
        if len(values) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length {len(values)}, "
                f"but expected {len(variables)} variables.")
        compensated = [v for v in variables if v.compensated]
        if residuals is not None and len(residuals) != len(compensated):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the state carries {len(residuals)} "
                f"auxiliary arrays; expected {len(compensated)} (one per compensated variable). "
                "Pass the State from stateless_reset_state(), or a plain list of the variables' "
                "values.")
        deferred = OPEN[0] > 0
        saved = [(v._value, v._residual) for v in variables]
        # an enclosing scope's pending sums stay its own: kept aside, put back at the end
        pending = [getattr(v, "_md_increment", None) for v in variables] if deferred else ()
        for variable in variables if deferred else ():
            variable._md_increment = None
        DEPTH.value += 1
        try:
            for variable, value in zip(variables, values):
                variable._value = variable.coerce(value)
                if variable.compensated:
                    variable._residual = zeros(variable.shape, variable.dtype)
            for variable, residual in zip(compensated, residuals or ()):
                variable._residual = variable.coerce(residual)
            with owned(variables):
                out = materialize(fn())
            after = self.variables
            if deferred:
                return (out, *self._md_deferred_state(after))
            return out, [v._value for v in after], [v._residual for v in after if v.compensated]
        finally:
            for variable, (value, residual) in zip(variables, saved):
                variable._value, variable._residual = value, residual
            for variable, increment in zip(variables, pending):
                variable._md_increment = increment
            for variable in self.variables[len(variables):]:
                variable.assign(variable.initial_value())
            DEPTH.value -= 1

    @staticmethod
    def _md_deferred_state(variables: list[Variable]) -> tuple[list, list]:
        """``(values, residuals)`` with pending sums as `DeferredSum` entries at the top scope.

        Under `deferred_sums`, the outermost scope leaves its pending sums to
        the caller (the packed state adds them, vectorised); a nested one, and
        any other caller, gets them added.
        """
        values, residuals = [], []
        top = deferring() and DEPTH.value == 1
        for variable in variables:
            pending = variable.take_deferred() if top else None
            if pending is None:
                variable.settle()
                values.append(variable._value)
                if variable.compensated:
                    residuals.append(variable._residual)
            else:
                values.append(pending)
                residuals.append(DeferredResidual(pending))
        return values, residuals

    def _md_require_built(self) -> None:
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} creates its variables from the first batch's "
                "shapes; update it once, or call `m.build(y_true, y_pred)` (arrays or "
                "jax.ShapeDtypeStruct), before asking for a result.")

    def _md_state(self, values, residuals) -> State:
        return State.of(self.variables, values, residuals)

    def stateless_merge_state(self, state_a, state_b):
        """Pure merge of two states by each variable's ``aggregation`` (jittable).

        Compensated sums fold both ``(value, residual)`` pairs, so merging the
        states of two shards equals one pass. A `State` comes back when
        ``state_a`` is one, else a list.

        Raises:
            ValueError: for a variable with ``aggregation="none"``.
        """
        variables = self.variables
        (values_a, res_a), (values_b, res_b) = _split_state(state_a), _split_state(state_b)
        positions = [i for i, v in enumerate(variables) if v.compensated]
        res_a = dict(zip(positions, res_a)) if res_a is not None else {}
        res_b = dict(zip(positions, res_b)) if res_b is not None else {}
        values, residuals = [], []
        for i, (variable, a, b) in enumerate(zip(variables, values_a, values_b)):
            if variable.compensated:
                a, b = jnp.asarray(a, variable.dtype), jnp.asarray(b, variable.dtype)
                total, residual = merge_compensated(a, res_a.get(i, jnp.zeros_like(a)),
                                                    b, res_b.get(i, jnp.zeros_like(b)))
                values.append(total)
                residuals.append(residual)
            else:
                values.append(merge_values(variable, [a, b], self))
        return self._md_state(values, residuals) if isinstance(state_a, State) else values

    def stateless_update_state(self, metric_variables, *args: Any, **kwargs: Any):
        """Pure update: the new state after one batch.

        ``metric_variables`` is a `State` (from ``stateless_reset_state()``; a
        State comes back, compensation included) or a plain sequence 1:1 with
        `variables` (Keras's list; a list comes back, each call starting from a
        zero compensation). A lazily built metric builds from this batch's
        shapes (static under ``jax.jit``) when given its unbuilt state.
        """
        state = metric_variables
        if not DEPTH.value:
            check_raw(self, args, kwargs)
        if not self.built:
            unbuilt = len(self.variables)
            self._md_build_from(args, kwargs)
            if len(state) == unbuilt:  # the state of the unbuilt metric: start afresh
                fresh = self.stateless_reset_state()
                state = fresh if isinstance(state, State) else list(fresh)
        values, residuals = _split_state(state)
        _, new, new_residuals = self._md_in_scope(
            values, lambda: self.update_state(*args, **kwargs), residuals)
        return self._md_state(new, new_residuals) if isinstance(state, State) else new

    def stateless_result(self, metric_variables) -> Any:
        """Pure result computed from the given state (a `State` or Keras's list of values)."""
        self._md_require_built()
        values, residuals = _split_state(metric_variables)
        return self._md_in_scope(values, self.result, residuals)[0]

    def stateless_reset_state(self) -> State:
        """The initial state: a `State` 1:1 with `variables`, by name too, with its aux arrays."""
        _, new, residuals = self._md_in_scope([v._value for v in self.variables],
                                              self.reset_state)
        return self._md_state(new, residuals)

    # -- merging ---------------------------------------------------------------------------
    def merge_state(self, metrics) -> None:
        """Combine other instances' states into this one, per variable ``aggregation``.

        ``"sum"`` adds (exactly: each shard's compensated ``(value, residual)``
        pair is folded in, so merging equals one pass), ``"max"``/``"min"`` take
        the extreme, ``"mean"`` averages, ``"only_first_replica"`` keeps this
        one's. A never-updated shard of a lazily built metric is a no-op, either
        way round.

        Raises:
            ValueError: if a metric has a different class or variable layout, or a
                variable with ``aggregation="none"``.
        """
        metrics = [metrics] if isinstance(metrics, MetricBase) else list(metrics)
        for other in metrics:
            if type(other) is not type(self):
                raise ValueError(
                    f"{type(self).__name__}.merge_state: cannot merge {other!r}; expected "
                    f"{type(self).__name__} instances.")
        metrics = [m for m in metrics if m.built]
        if not self.built and metrics:
            self._md_build_like(metrics[0])
        mine = self.variables
        for other in metrics:
            if len(other.variables) != len(mine):
                raise ValueError(
                    f"{type(self).__name__}.merge_state: cannot merge {other!r}; expected "
                    f"{type(self).__name__} instances with {len(mine)} variables.")
        for i, variable in enumerate(mine):
            theirs = [m.variables[i] for m in metrics]
            if variable.compensated:
                # The same class's compensated Variables: each carries a residual array.
                total, residual = variable._value, cast(jax.Array, variable._residual)
                for other in theirs:
                    total, residual = merge_compensated(total, residual, other._value,
                                                        cast(jax.Array, other._residual))
                variable._value, variable._residual = total, residual
            elif theirs:
                variable.assign(merge_values(variable, [variable.value] +
                                             [v.value for v in theirs], self))

    def _md_build_like(self, other: MetricBase) -> None:
        specs = other.__dict__.get("_md_build_specs")
        if specs is None:
            raise ValueError(
                f"{type(self).__name__}.merge_state: this metric is not built and {other!r} was "
                "built by an explicit build() call; build this one the same way first.")
        self.build(*[None if s is None else jax.ShapeDtypeStruct(*s) for s in specs])
        object.__setattr__(self, "_md_build_specs", specs)

    # -- config, repr, pickling ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """``name``, ``dtype`` and every other argument bound to ``initialize``.

        numpy scalars become Python numbers (inside lists and tuples too);
        arrays, functions and metrics are kept as given, so
        ``from_config(get_config())`` rebuilds the same metric, and
        `metricdsl.serialize` encodes them as JSON.
        """
        config = {"name": self.name, "dtype": self.dtype}
        for key, value in self.__dict__.get("_md_init_args", {}).items():
            if key not in ("name", "dtype"):
                config[key] = _config_value(value)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        """Rebuild an instance: ``cls(**config)``."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.__dict__.get('name', '?')}>"

    def __reduce__(self):
        module, attribute = _locate(type(self))
        state = [(np.asarray(v.value), None if v.residual is None else np.asarray(v.residual))
                 for v in self.variables]
        return (_restore, (module, attribute, self.get_config(), state,
                           self.__dict__.get("_md_build_specs")))

    def __deepcopy__(self, memo):
        new = object.__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key not in ("_md_vars", "_md_pk"):  # caches: the copy builds its own
                object.__setattr__(new, key, copy.deepcopy(value, memo))
        return new


def _split_state(state: Any) -> tuple[Any, Any]:
    """``(values, residuals)`` of a `State`; a plain sequence has no residuals (None)."""
    if isinstance(state, State):
        return state.values, state.aux
    return state, None


def _forget_key(metric: MetricBase) -> None:
    """Drop ``metric``'s cached compile key and pinned compiled functions (config changed)."""
    for slot in ("_md_fp", "_md_fn_update", "_md_fn_result", "_md_fn_update_validated"):
        metric.__dict__.pop(slot, None)


scope.CHANGED.notify = _forget_key


def _walk(value: Any):
    if isinstance(value, (MetricBase, Variable)):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)


# -- the seam other modules use (the compile package): public functions, not private names --
def compile_key(metric: MetricBase) -> tuple:
    """The hashable (class, static configuration) key that decides compiled-code sharing."""
    return metric._md_key()


def mark_eager(metric: MetricBase, reason: str) -> None:
    """Make ``metric``'s class run eagerly from now on, warning once with ``reason``."""
    metric._md_go_eager(reason)


def runs_eagerly(metric: MetricBase) -> bool:
    """Whether ``metric`` runs eagerly (``run_eagerly``, or found untraceable before)."""
    return bool(metric.run_eagerly or type(metric).__dict__.get("_md_eager_detected", False))


def build_from_batch(metric: MetricBase, args: tuple, kwargs: dict) -> None:
    """Build a lazily built ``metric`` from ``update_state``-style arguments (or specs)."""
    metric._md_build_from(args, kwargs)


def sub_metrics(metric: MetricBase) -> list[MetricBase]:
    """Every metric tracked inside ``metric``, recursively (Keras's order)."""
    return metric._md_all_metrics()


def trace_guard(metric: MetricBase, member: str = "update_state") -> TraceGuard:
    """A `TraceGuard` over ``metric`` and its sub-metrics (raises `SideEffect` on changes)."""
    return TraceGuard([metric, *metric._md_all_metrics()], member)


def merge_values(variable: Variable, values: list, metric: Any) -> jax.Array:
    """Reduce one variable's values from several shards by its ``aggregation``."""
    stacked = jnp.stack([jnp.asarray(v) for v in values])
    rule = variable.aggregation
    if rule == "sum":
        return jnp.sum(stacked, axis=0)
    if rule == "max":
        return jnp.max(stacked, axis=0)
    if rule == "min":
        return jnp.min(stacked, axis=0)
    if rule == "mean":
        return jnp.mean(stacked, axis=0)
    if rule == "only_first_replica":
        return stacked[0]
    raise ValueError(
        f"{type(metric).__name__}: variable {variable.name!r} has aggregation='none'; define a "
        "merge_state member for this metric.")


def _locate(cls: type) -> tuple[str, str]:
    module = sys.modules.get(cls.__module__)
    for attribute, value in vars(module or object()).items():
        if value is cls:
            return cls.__module__, attribute
    raise TypeError(
        f"Cannot pickle {cls.__name__}: the class is not reachable as a module-level name in "
        f"{cls.__module__!r}. Define it at module level (e.g. metric_x = Metric({cls.__name__!r}, "
        "...)) to pickle its instances.")


def _restore(module: str, attribute: str, config: dict, state: list, build_specs) -> Any:
    cls = getattr(importlib.import_module(module), attribute)
    metric = cls.from_config(config)
    if build_specs is not None and not metric.built:
        metric.build(*[None if s is None else jax.ShapeDtypeStruct(*s) for s in build_specs])
        object.__setattr__(metric, "_md_build_specs", build_specs)
    for variable, (value, residual) in zip(metric.variables, state):
        variable.assign(value)
        if residual is not None and variable.compensated:
            variable._residual = variable.coerce(residual)
    return metric


for _name in ENTRY_POINTS:
    setattr(MetricBase, _name, ENTRY_FACTORIES[_name](MetricBase.__dict__[_name]))
MetricBase.initialize = MetricBase.__init__
