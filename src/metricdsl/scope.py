"""Layered method namespaces: ``self``, ``private`` and ``super`` as free names.

A member function given to `Metric()` is rebuilt for every call with a
globals mapping whose ``__missing__`` resolves, in order: ``self``,
``private``, ``super`` (the instance layer, held only by the per-call
mapping) → ``__class__`` and the class name → ``parent_env`` → the
function's own globals (looked up live) → builtins. Helpers nested in the
method inherit the same mapping, so they see the same names. The function's
own closure is kept.
"""

from __future__ import annotations

import builtins
import copy
import dis
import functools
import inspect
import threading
import types
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from .errors import MetricDefinitionError

_ALIASES = {"initialize": "__init__", "finalize": "__del__"}


class SuperProxy:
    """``super`` inside a metric method.

    ``super.update_state(...)`` / ``super.initialize(...)`` look the member up
    after the defining class in the instance's MRO (``initialize`` maps to
    ``__init__``, ``finalize`` to ``__del__``); ``super()`` and
    ``super(Cls, obj)`` return Python's ``super`` objects.
    """

    __slots__ = ("_cls", "_obj")

    def __init__(self, cls: type, obj: Any) -> None:
        self._cls, self._obj = cls, obj

    def __getattr__(self, name: str) -> Any:
        return getattr(builtins.super(self._cls, self._obj), _ALIASES.get(name, name))

    def __call__(self, type_: type | None = None, obj: Any = None) -> Any:
        return builtins.super(type_ or self._cls, self._obj if obj is None else obj)

    def __repr__(self) -> str:
        return f"<super: {self._cls.__name__}, {type(self._obj).__name__}>"


class Definition:
    """What one `Metric()` call defined: its class, class name, ``parent_env`` and private spec."""

    def __init__(self, classname: str, parent_env: Any, private: Mapping[str, Any] | None):
        self.classname = classname
        self.cls: type | None = None
        self.parent_env = parent_env
        private = dict(private or {})
        self.private_functions = {k: scoped(v, self, f"<private>.{k}")
                                  for k, v in private.items() if isinstance(v, types.FunctionType)}
        self.private_values = {k: v for k, v in private.items()
                               if k not in self.private_functions}


class Private:
    """Per-(class definition, instance) private storage with attribute access.

    Invisible to ``variables``, ``get_config``, pickling and pytrees; holds its
    instance only weakly. Values from the ``private=`` spec are deep-copied per
    instance; an object that cannot be copied (a lock, an open file, a client)
    is shared as it is. Functions from the spec are methods that see ``self``,
    ``private`` and ``super`` like public ones. Setting a value makes the
    owner's compiled functions re-select (private values are part of their key).
    """

    def __init__(self, definition: Definition, owner: Any) -> None:
        object.__setattr__(self, "_md_definition", definition)
        object.__setattr__(self, "_md_owner", weakref.ref(owner))
        for key, value in definition.private_values.items():
            object.__setattr__(self, key, _copy_or_share(value))

    def __getattr__(self, name: str) -> Any:
        function = self._md_definition.private_functions.get(name)
        if function is None:
            raise AttributeError(
                f"{self._md_definition.classname}: private has no member {name!r}.")
        return functools.partial(function, self._md_owner())

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        owner = self._md_owner()
        if owner is not None:
            CHANGED.notify(owner)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        owner = self._md_owner()
        if owner is not None:
            CHANGED.notify(owner)

    def md_state(self) -> dict[str, Any]:
        """The private values (not the spec's functions), by name."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_md_")}

    def __repr__(self) -> str:
        return f"<private of {self._md_definition.classname}: {sorted(self.md_state())}>"


def _copy_or_share(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - any object may be given; uncopyable ones are shared
        return value


class _Changed:
    """The hook a private write calls so the owner's compile key is recomputed."""

    notify: Callable[[Any], None] = staticmethod(lambda owner: None)


CHANGED = _Changed()


_PRIVATE: dict[int, dict[int, Private]] = {}


def get_private(definition: Definition, owner: Any) -> Private:
    """The private namespace of ``owner`` for ``definition``, created on first use."""
    table = _PRIVATE.get(id(owner))
    if table is None:
        table = _PRIVATE[id(owner)] = {}
        weakref.finalize(owner, _PRIVATE.pop, id(owner), None)
    private = table.get(id(definition))
    if private is None:
        private = table[id(definition)] = Private(definition, owner)
    return private


def ensure_privates(owner: Any) -> None:
    """Create the private namespace of every `Metric()` definition in ``owner``'s class MRO."""
    for cls in type(owner).__mro__:
        definition = cls.__dict__.get("_md_definition")
        if definition is not None:
            get_private(definition, owner)


def privates_of(owner: Any) -> list[Private]:
    """Every private namespace created so far for ``owner``."""
    return list(_PRIVATE.get(id(owner), {}).values())


class _Reads(threading.local):
    """Per thread: the log of Python values read while a `GuardedJit` traces (else None)."""

    log: list | None = None
    seen: set = set()  # noqa: RUF012 - a threading.local default; each trace installs its own set


#: Where metric methods record the free names they resolve while being traced.
READS = _Reads()
#: The value recorded for a name that was looked up and not found.
NOTHING = object()


class _CallNamespace(dict):
    """Globals of one method call; only this mapping holds ``self``.

    Free names resolve on first use and are kept for the rest of the call.
    While a `GuardedJit` traces (``READS.log`` is set), each resolved name is
    logged with the object found, so the compiled call can check it later.
    """

    __slots__ = ("_bound", "_definition", "_globals", "_watch")

    def __missing__(self, key: str) -> Any:
        definition = self._definition
        if key == "private" and self._bound is not None:
            value = get_private(definition, self._bound)
        elif key == "super" and self._bound is not None:
            value = SuperProxy(definition.cls, self._bound)
        elif key == "__class__" or key == definition.classname:
            value = definition.cls
        else:
            value = self._resolve(key)
        self[key] = value
        return value

    def _resolve(self, key: str) -> Any:
        log = READS.log if self._watch else None
        parent_env = self._definition.parent_env
        if parent_env is not None:
            env = parent_env if isinstance(parent_env, Mapping) else vars(parent_env)
            value = env.get(key, NOTHING)
            if log is not None:
                log.append((env, key, value))
            if value is not NOTHING:
                return _watched(value, log)
        value = self._globals.get(key, NOTHING)
        if log is not None:
            log.append((self._globals, key, value))
        if value is NOTHING:
            raise KeyError(key)  # Python then looks in the builtins
        return _watched(value, log)


def _watched(value: Any, log: list | None) -> Any:
    if log is not None and isinstance(value, types.FunctionType):
        from .tracing import watch_function

        watch_function(value, log)
    return value


_GLOBAL_WRITES = {dis.opmap["STORE_GLOBAL"], dis.opmap["DELETE_GLOBAL"]}


def check_no_global_statement(fn: types.FunctionType, classname: str, member: str) -> None:
    """Reject ``global`` writes: CPython bypasses the layered namespace for them."""
    stack = [fn.__code__]
    while stack:
        code = stack.pop()
        if not _GLOBAL_WRITES.isdisjoint(code.co_code[::2]):
            name = next(i.argval for i in dis.get_instructions(code)
                        if i.opcode in _GLOBAL_WRITES)
            raise MetricDefinitionError(
                f"Metric({classname!r}): member {member!r} uses a `global {name}` "
                "statement; methods run in a layered namespace where global writes would be "
                "lost. Store state in self, private, or a mutable module object instead.")
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))


def scoped(fn: types.FunctionType, definition: Definition, name: str, *,
           bind: str = "self") -> types.FunctionType:
    """Turn ``fn`` into a method whose free ``self``/``private``/``super`` resolve per call.

    ``bind`` is ``"self"`` (instance methods), ``"cls"`` (class methods: ``super``
    binds to the class) or ``"static"`` (no binding). If ``fn``'s first parameter
    is already named ``self`` (``cls``), the instance is passed positionally.
    """
    check_no_global_statement(fn, definition.classname, name)
    code = fn.__code__
    explicit = code.co_argcount > 0 and code.co_varnames[0] == bind
    fn_globals = fn.__globals__
    fn_builtins = fn_globals.get("__builtins__", builtins)
    if isinstance(fn_builtins, types.ModuleType):
        fn_builtins = vars(fn_builtins)

    watch = not fn_globals.get("__name__", "").startswith("metricdsl.")
    cells = fn.__closure__ or ()

    def rebuilt(bound: Any) -> types.FunctionType:
        ns = _CallNamespace(__builtins__=fn_builtins)
        ns._definition, ns._globals, ns._bound, ns._watch = definition, fn_globals, bound, watch
        if cells and watch and READS.log is not None:
            _log_cells(cells)
        if bind == "self" and bound is not None:
            ns["self"] = bound
        elif bind == "cls" and bound is not None:
            ns["cls"] = bound
        f = types.FunctionType(code, ns, fn.__name__, fn.__defaults__, fn.__closure__)
        f.__kwdefaults__ = fn.__kwdefaults__
        return f

    # One closure per bind mode: alternatives, not a redefinition.
    if bind == "static":
        def method(*args, **kwargs):  # pyright: ignore[reportRedeclaration]
            return rebuilt(None)(*args, **kwargs)
        signature = inspect.signature(fn)
    elif explicit:
        def method(bound, *args, **kwargs):
            return rebuilt(bound)(bound, *args, **kwargs)
        signature = inspect.signature(fn)
    else:
        def method(bound, *args, **kwargs):
            return rebuilt(bound)(*args, **kwargs)
        params = list(inspect.signature(fn).parameters.values())
        first = inspect.Parameter(bind, inspect.Parameter.POSITIONAL_ONLY)
        signature = inspect.Signature([first, *params])

    method.__name__ = fn.__name__ if not fn.__name__.startswith("<") else name
    method.__qualname__ = f"{definition.classname}.{name}"
    method.__doc__ = fn.__doc__
    method.__module__ = fn.__module__
    method.__signature__ = signature
    method.__wrapped_member__ = fn
    return method


def _log_cells(cells: tuple) -> None:
    from .tracing import watch_cells

    log = READS.log
    assert log is not None  # called only while a trace is being logged
    watch_cells(cells, log)


def active_property(fn: types.FunctionType) -> types.FunctionType:
    """Mark ``fn`` to become a property: ``fn()`` is the getter, ``fn(value)`` the setter.

    A function with a ``value`` parameter (give it a default, e.g. ``None``)
    gets both; ``value`` is omitted when reading.
    """
    fn.__metricdsl_active__ = True
    return fn


mark_active = active_property


def _active(fn: types.FunctionType, definition: Definition, name: str) -> property:
    method = scoped(fn, definition, name)
    getter = functools.wraps(fn)(lambda obj: method(obj))
    code = fn.__code__
    has_value = code.co_argcount - (code.co_varnames[:1] == ("self",)) >= 1
    setter = (lambda obj, value: method(obj, value)) if has_value else None
    return property(getter, setter, doc=fn.__doc__)


def convert_member(value: Any, definition: Definition, name: str) -> Any:
    """Turn one `Metric()` member into what goes in the class namespace."""
    if isinstance(value, types.FunctionType):
        if getattr(value, "__metricdsl_active__", False):
            return _active(value, definition, name)
        if name == "from_config":
            return classmethod(scoped(value, definition, name, bind="cls"))
        return scoped(value, definition, name)
    if isinstance(value, staticmethod) and isinstance(value.__func__, types.FunctionType):
        return staticmethod(scoped(value.__func__, definition, name, bind="static"))
    if isinstance(value, classmethod) and isinstance(value.__func__, types.FunctionType):
        return classmethod(scoped(value.__func__, definition, name, bind="cls"))
    if isinstance(value, property):
        parts: list[Any] = [scoped(f, definition, name) if isinstance(f, types.FunctionType) else f
                 for f in (value.fget, value.fset, value.fdel)]
        return property(*parts, doc=value.__doc__)
    return value
