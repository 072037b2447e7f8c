"""Module boundaries: no module imports another module's underscore names; errors live together."""

import ast
import inspect
from pathlib import Path

import pytest

import metricdsl as md
from metricdsl import errors

PACKAGE = Path(md.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def _underscore_imports(path: Path, root: Path = PACKAGE) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            found += [f"{path.relative_to(root)}:{node.lineno} {a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_module_imports_an_underscore_name():
    offenders = [hit for path in MODULES for hit in _underscore_imports(path)]
    assert offenders == []


def test_the_check_finds_an_underscore_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from __future__ import annotations\nfrom .base import _hidden, visible\n")
    assert [hit.split()[-1] for hit in _underscore_imports(probe, tmp_path)] == ["_hidden"]


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_class_is_defined_in_errors_and_exported(name):
    cls = getattr(errors, name)
    assert cls.__module__ == "metricdsl.errors"
    assert issubclass(cls, (Exception, Warning)) and (cls.__doc__ or "").strip()


def test_no_exception_class_is_defined_outside_errors():
    defined = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and (node.name.endswith(("Error", "Warning"))):
                defined.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert [d for d in defined if not d.startswith("errors.py")] == []


def test_public_modules_of_the_core_name_what_they_export():
    for module in (md.base, md.tracing, md.state, md.arguments, md.entries, md.errors):
        assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
        assert inspect.getdoc(module)
