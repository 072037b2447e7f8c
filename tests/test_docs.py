"""Examples in the docs run: the README's code, every docstring example, and docs/*.md blocks."""

import doctest
import importlib
import pkgutil
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import metricdsl

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(metricdsl.__path__, "metricdsl.")
    if info.name != "metricdsl.keras")


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(mod, module, globs=dict(vars(mod))):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) failed in {module}"


@pytest.mark.parametrize("doc", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_markdown_python_blocks_run(doc, capsys):
    for block in _python_blocks(doc):
        exec(compile(block, str(doc), "exec"), {"__name__": "__docs__"})


def test_quickstart_prints_real_results():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True).stdout
    assert "Intermediate result: 1.0" in out and "Final result: 3.0" in out
    assert "Scaled mean: 75.0" in out and "MSE over 4 batches under jax.jit: 0.25" in out


def test_public_names_have_docstrings():
    missing = [name for name in metricdsl.__all__
               if not (getattr(getattr(metricdsl, name), "__doc__", None) or "").strip()]
    assert missing == []
