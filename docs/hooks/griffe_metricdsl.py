"""A griffe extension for the API pages: metric classes built by ``Metric()`` at run time.

The methods ``Metric()`` installs (``__init__``, ``initialize``, ``update_state``, ...)
are entry wrappers defined in ``metricdsl.entries``; griffe would take them for
aliases of names that do not exist there. This extension replaces them with one
``__init__`` whose parameters are the class's constructor signature
(``inspect.signature(cls)``), which is what the pages show.

It also reads the project's ``Example:`` docstring sections as griffe's
``Examples:`` (so ``>>>`` lines render as code), and shows annotations as
written (``ArrayLike``, not its expanded ``Union``).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import griffe

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _default(value: Any) -> str | None:
    return None if value is inspect.Parameter.empty else repr(value)


def _written(annotation: Any) -> str | None:
    if annotation is inspect.Parameter.empty:
        return None
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__",
                                                                  repr(annotation))


class MetricClasses(griffe.Extension):
    """Metric classes get their constructor signature; examples render as code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = re.sub(r"^(\s*)Example:\s*$", r"\1Examples:",
                                         obj.docstring.value, flags=re.MULTILINE)

    def on_function_instance(self, *, node: Any, func: griffe.Function, **kwargs: Any) -> None:
        written = getattr(getattr(node, "obj", None), "__annotations__", {})
        for param in func.parameters:
            if isinstance(written.get(param.name), str):
                param.annotation = written[param.name]
        if isinstance(written.get("return"), str):
            func.returns = written["return"]

    def on_class_members(self, *, node: Any, cls: griffe.Class, **kwargs: Any) -> None:
        obj = getattr(node, "obj", None)
        if obj is None or not hasattr(obj, "_md_definition"):
            return
        for name in [n for n, m in cls.members.items() if m.is_alias]:
            del cls.members[name]
        params = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        for p in inspect.signature(obj).parameters.values():
            params.append(griffe.Parameter(p.name, annotation=_written(p.annotation),
                                           kind=_KINDS[p.kind], default=_default(p.default)))
        init = griffe.Function("__init__", parameters=griffe.Parameters(*params))
        cls.set_member("__init__", init)
