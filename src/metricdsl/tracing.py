"""Tracing seam: compiled calls that never go stale, side-effect detection, stdout capture.

`GuardedJit` is ``jax.jit`` for code that reads Python values: while its
function is traced, every free name a metric method resolves (globals,
``parent_env`` names, closure cells, and transitively the globals and cells
of the user's plain helper functions) is recorded with the object it found.
Each later call first checks, by identity, that those names still hold those
objects; when one changed, the call switches to the compiled variant for the
current values (tracing it if new), so the compiled path computes exactly
what the plain Python would on that call.

`TraceGuard` detects (then undoes) Python side effects of a traced method
without copying any value: attribute and private bindings are compared by
identity, and list/dict/set values by a shallow copy of their items.
"""

from __future__ import annotations

import dis
import functools
import io
import re
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

import jax
from jax.experimental import checkify

from . import scope
from .arguments import Identity
from .scope import NOTHING, READS

__all__ = [
    "TRACER_ERRORS", "GuardedJit", "SideEffect", "TraceGuard", "capture_stdout",
    "release_stdout", "watch_cells", "watch_function",
]

#: Errors jax raises when traced code needs a concrete value (Python branching on arrays).
TRACER_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerArrayConversionError,
)

_LIBRARIES = frozenset({"metricdsl", "jax", "jaxlib", "numpy", "keras", "optax", "flax",
                        "equinox", "scipy", "ml_dtypes", "opt_einsum"})


def is_library(module_name: str) -> bool:
    """Whether code from ``module_name`` is library code whose globals need no guard."""
    top = module_name.partition(".")[0]
    return top in _LIBRARIES or top in sys.stdlib_module_names


@functools.lru_cache(maxsize=4096)
def _global_names(code: types.CodeType) -> tuple[str, ...]:
    names = []
    stack = [code]
    while stack:
        current = stack.pop()
        names.extend(i.argval for i in dis.get_instructions(current)
                     if i.opname in ("LOAD_GLOBAL", "LOAD_NAME"))
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return tuple(dict.fromkeys(names))


def watch_function(fn: Any, log: list | None = None) -> None:
    """Record the globals and closure cells ``fn`` can read (transitively through user helpers).

    Called while a `GuardedJit` traces, for plain functions the traced code
    reaches without going through a metric method's namespace (a helper
    defined at module level, a function held in an attribute).
    """
    log = READS.log if log is None else log
    if log is None or not isinstance(fn, types.FunctionType):
        return
    seen = READS.seen
    if id(fn) in seen or is_library(fn.__globals__.get("__name__", "")):
        return
    seen.add(id(fn))
    fn_globals = fn.__globals__
    for name in _global_names(fn.__code__):
        value = fn_globals.get(name, NOTHING)
        log.append((fn_globals, name, value))
        watch_function(value, log)
    watch_cells(fn.__closure__ or (), log)


def watch_cells(cells: tuple, log: list) -> None:
    """Record each closure cell with its value, and what functions held there can read."""
    for cell in cells:
        value = _cell_value(cell)
        log.append((cell, None, value))
        watch_function(value, log)


def _cell_value(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return NOTHING


def _read(container: Any, key: str | None) -> Any:
    return _cell_value(container) if key is None else container.get(key, NOTHING)


def _freeze(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return Identity(value)
    return (type(value), value) if isinstance(value, (int, float, str, bytes, complex)) \
        else Identity(value)


def _shallow(value: Any) -> tuple | None:
    """A shallow snapshot of a dict, list or set: ``(keys or None, items)``; else None."""
    if type(value) is dict:
        return tuple(value), tuple(value.values())
    if type(value) in (list, set):
        return None, tuple(value)
    return None


def _same_items(a: tuple | None, b: tuple | None) -> bool:
    """Whether two `_shallow` snapshots hold equal keys and identical items."""
    if a is None or b is None or a[0] != b[0] or len(a[1]) != len(b[1]):
        return a is b
    return all(x is y for x, y in zip(a[1], b[1]))


class GuardedJit:
    """``jax.jit(fn)`` that stays exact when the Python values ``fn`` reads change.

    ``fn(subject, *args)`` is traced with ``subject`` (a metric, or anything the
    caller needs) set per thread, so one compiled function serves every subject
    with the same static configuration. With ``validated``, ``fn`` is wrapped by
    `jax.experimental.checkify` and a failed check raises a ``ValueError``.
    With ``donate``, the buffers of the first argument are donated to the call
    (a state update that replaces its state: no copy of a large state).
    """

    def __init__(self, fn: Callable, validated: bool = False, donate: bool = False) -> None:
        self.fn = fn
        self.validated = validated
        self.donate = donate  # the first argument's buffers are consumed (a state update)
        self.calling = threading.local()
        self.sources: list[tuple[Any, str | None]] = []  # (dict, name) or (cell, None)
        self.index: dict[tuple[int, str | None], int] = {}
        self.expected: list[Any] = []
        self.shallow: list[tuple[int, tuple]] = []  # (source position, items) of containers
        self.checks: tuple = ()
        self.variants: dict[tuple, Callable] = {}
        self.pending: list = []
        self.jitted = self._new()

    def _new(self) -> Callable:
        def traced(*args: Any) -> Any:  # a fresh function: jax caches traces per function
            return self._traced(*args)

        return jax.jit(checkify.checkify(traced) if self.validated else traced,
                       donate_argnums=(0,) if self.donate else ())

    def _traced(self, *args: Any) -> Any:
        outer, outer_seen = READS.log, READS.seen
        log = [] if outer is None else outer
        READS.log, READS.seen = log, (set() if outer is None else outer_seen)
        try:
            return self.fn(self.calling.subject, *args)
        finally:
            READS.log, READS.seen = outer, outer_seen
            if outer is None:
                self.pending.append(log)

    def __deepcopy__(self, memo) -> GuardedJit:
        return self  # a shared cache entry

    def __call__(self, subject: Any, *args: Any) -> Any:
        if self.checks and not self._intact():
            self._switch()
        self.calling.subject = subject
        try:
            out = self.jitted(*args)
        finally:
            self.calling.subject = None
        if self.pending:
            self._absorb()
        if not self.validated:
            return out
        error, out = out
        message = error.get()
        if message is not None:
            raise ValueError(re.sub(r" \(`check` failed\)$", "", message))
        return out

    # -- guards ---------------------------------------------------------------------------
    def _intact(self) -> bool:
        for container, key, expected in self.checks:
            current = _cell_value(container) if key is None else container.get(key, NOTHING)
            if current is not expected:
                return False
        for position, items in self.shallow:
            if not _same_items(_shallow(self.expected[position]), items):
                return False
        return True

    def _key(self, values: list) -> tuple:
        return tuple(_freeze(v) for v in values) + tuple(
            (p, items[0], tuple(_freeze(x) for x in items[1])) for p, items in self.shallow)

    def _switch(self) -> None:
        """Select (or create) the compiled variant for the values the sources hold now."""
        self.variants[self._key(self.expected)] = self.jitted
        self._set_expected([_read(c, k) for c, k in self.sources])
        self.jitted = self.variants.get(self._key(self.expected)) or self._new()

    def _set_expected(self, values: list) -> None:
        self.expected = values
        self.shallow = [(i, items) for i, v in enumerate(values)
                        if (items := _shallow(v)) is not None]
        self.checks = tuple((c, k, v) for (c, k), v in zip(self.sources, values))

    def _absorb(self) -> None:
        logs, self.pending = self.pending, []
        grown = False
        values = list(self.expected)
        for log in logs:
            for container, key, value in log:
                slot = (id(container), key)
                if slot not in self.index:
                    self.index[slot] = len(self.sources)
                    self.sources.append((container, key))
                    values.append(value)
                    grown = True
        if grown:
            self.variants.clear()  # keys made over fewer sources no longer apply
            self._set_expected(values)


# -- side effects ---------------------------------------------------------------------------
class SideEffect(Exception):
    """A traced method changed Python state (attributes, private values, stdout)."""


class _StdoutRouter:
    """``sys.stdout`` while some thread traces: each tracing thread's writes are captured."""

    def __init__(self, original) -> None:
        self.original = original
        self.captures: dict[int, list[io.StringIO]] = {}

    def write(self, text: str) -> int:
        stack = self.captures.get(threading.get_ident())
        return (stack[-1] if stack else self.original).write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


_STDOUT_LOCK = threading.Lock()
_ROUTER: list[_StdoutRouter] = []  # the installed router, if any


def capture_stdout() -> io.StringIO:
    """Start capturing this thread's stdout (other threads keep printing)."""
    with _STDOUT_LOCK:
        if not _ROUTER:
            _ROUTER.append(_StdoutRouter(sys.stdout))
            sys.stdout = _ROUTER[0]
        buffer = io.StringIO()
        _ROUTER[0].captures.setdefault(threading.get_ident(), []).append(buffer)
        return buffer


def release_stdout(buffer: io.StringIO) -> str:
    """Stop a `capture_stdout`; return what this thread printed meanwhile."""
    with _STDOUT_LOCK:
        router = _ROUTER[0]
        stack = router.captures[threading.get_ident()]
        stack.remove(buffer)
        if not stack:
            del router.captures[threading.get_ident()]
        if not router.captures:
            _ROUTER.clear()
            if sys.stdout is router:
                sys.stdout = router.original
        return buffer.getvalue()


def _snapshot(obj: Any) -> dict[str, tuple[Any, tuple | None]]:
    state = vars(obj) if not isinstance(obj, scope.Private) else obj.md_state()
    return {k: (v, _shallow(v)) for k, v in state.items() if not k.startswith("_md_")}



def _changes(before: dict, after: dict) -> list[str]:
    names = [k for k in before.keys() | after.keys()
             if k not in before or k not in after or before[k][0] is not after[k][0]
             or not _same_items(before[k][1], after[k][1])]
    return sorted(names)


class TraceGuard:
    """While tracing ``objects`` (a metric and its sub-metrics): capture stdout, detect and
    undo Python side effects, then raise `SideEffect` naming what changed.

    Private namespaces are created before the trace, so creating one is no side
    effect; their values are compared by identity, never copied.
    """

    def __init__(self, objects: list, member: str = "update_state") -> None:
        self.objects = objects
        self.member = member

    def __enter__(self) -> TraceGuard:
        for obj in self.objects:
            scope.ensure_privates(obj)
        self.targets = [*self.objects, *(p for o in self.objects for p in scope.privates_of(o))]
        self.before = [_snapshot(t) for t in self.targets]
        self.buffer = capture_stdout()
        return self

    def _restore(self) -> None:
        for target, saved in zip(self.targets, self.before):
            state = vars(target) if not isinstance(target, scope.Private) else target.md_state()
            for key in [k for k in state if not k.startswith("_md_") and k not in saved]:
                object.__delattr__(target, key)
            for key, (value, items) in saved.items():
                object.__setattr__(target, key, value)
                if items is not None:
                    _refill(value, items)

    def __exit__(self, exc_type, exc, tb) -> bool:
        printed = release_stdout(self.buffer)
        changed = []
        for target, saved in zip(self.targets, self.before):
            where = ("private" if isinstance(target, scope.Private)
                     else f"attribute of {type(target).__name__}")
            changed += [f"{where} {name!r}" for name in _changes(saved, _snapshot(target))]
        if printed:
            changed.append("prints")
        if exc_type is not None or changed:
            self._restore()
        if exc_type is None and changed:
            raise SideEffect(f"{self.member} changes Python state ({', '.join(changed)})")
        return False


def _refill(container: Any, items: tuple) -> None:
    keys, values = items
    container.clear()
    if keys is not None:
        container.update(zip(keys, values))
    elif type(container) is list:
        container.extend(values)
    else:
        container.update(values)
