"""Examples in the docs run and print what they show: the README, docstrings, docs/**/*.md blocks.

A markdown ``print(...)`` states its output in a comment: trailing on the line
that ends the call (``print(float(m.result()))  # 1.0``), or on the comment-only
lines right below it (for long output). The comparison collapses whitespace,
and ``...`` in a comment matches any text. A page marked
``<!-- docs-test: slow -->`` (one that imports Keras) runs with ``-m slow``.
A ``print`` with no stated output fails, so nothing a page prints goes
unchecked. The site's navigation (mkdocs.yml) lists every page, and each
builtin family's reference page documents every metric of its module.
"""

import ast
import builtins
import doctest
import importlib
import io
import pkgutil
import re
import sys
import tokenize
from pathlib import Path

import pytest

import metricdsl

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(info.name for info in pkgutil.walk_packages(metricdsl.__path__, "metricdsl."))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FAMILIES = sorted(m.rsplit(".", 1)[1] for m in MODULES
                  if m.startswith("metricdsl.builtin.") and not m.rsplit(".", 1)[1].startswith("_"))


def _python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(line number of the block's first code line, code)`` for each python block."""
    text = path.read_text()
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL)]


def _comments(code: str) -> dict[int, str]:
    """Comment text by line: trailing comments, and comment-only lines (marked by a leading |)."""
    found = {}
    lines = code.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            alone = lines[tok.start[0] - 1].lstrip().startswith("#")
            found[tok.start[0]] = ("|" if alone else "") + tok.string[1:].strip()
    return found


def stated_outputs(code: str) -> dict[tuple[int, int], str]:
    """``{(first line, last line) of a print call: the output its comment states}``."""
    comments, stated = _comments(code), {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            end = node.end_lineno
            if end in comments and not comments[end].startswith("|"):
                stated[(node.lineno, end)] = comments[end]
                continue
            below = []
            while comments.get(end + 1 + len(below), "").startswith("|"):
                below.append(comments[end + 1 + len(below)][1:])
            if below:
                stated[(node.lineno, end)] = " ".join(below)
    return stated


def unstated_prints(code: str) -> list[int]:
    """Lines of ``print`` calls (to stdout) whose output no comment states."""
    stated = {first for first, _ in stated_outputs(code)}
    return sorted(node.lineno for node in ast.walk(ast.parse(code))
                  if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
                  and not any(k.arg == "file" for k in node.keywords) and node.lineno not in stated)


def matches(shown: str, printed: str) -> bool:
    """Whitespace-collapsed equality, ``...`` in ``shown`` matching any text."""
    parts = [re.escape(" ".join(part.split())) for part in shown.split("...")]
    return re.fullmatch(r"\s*" + ".*".join(parts) + r"\s*", " ".join(printed.split()),
                        flags=re.DOTALL) is not None


def _run_block(code: str, where: str) -> dict[int, str]:
    """Exec ``code``; return what each line's ``print`` calls wrote (file= prints pass through)."""
    printed: dict[int, str] = {}

    def recording_print(*args, **kwargs):
        if "file" in kwargs:
            return builtins.print(*args, **kwargs)
        out = io.StringIO()
        builtins.print(*args, file=out, **kwargs)
        line = sys._getframe(1).f_lineno
        printed[line] = printed.get(line, "") + out.getvalue()
        return None

    namespace = {"__name__": "__docs__", "print": recording_print}
    exec(compile(code, where, "exec"), namespace)  # running the page's code is the test
    return printed


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(mod, module, globs=dict(vars(mod))):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) failed in {module}"


def _marked(doc: Path):
    """A page marked ``<!-- docs-test: slow ... -->`` runs with the slow tests (``-m slow``)."""
    slow = "<!-- docs-test: slow" in doc.read_text()
    return pytest.param(doc, marks=pytest.mark.slow) if slow else doc


@pytest.mark.parametrize("doc", [_marked(d) for d in DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_python_blocks_print_what_they_show(doc, monkeypatch):
    # Each page runs as a fresh program would: default metric names start over (auc, not auc_3).
    monkeypatch.setattr("metricdsl.base._NAME_COUNTS", {})
    blocks = _python_blocks(doc)
    assert blocks, f"{doc.name} has no python block"
    for start, code in blocks:
        unstated = [f"{doc.relative_to(ROOT)}:{start + line - 1}" for line in unstated_prints(code)]
        assert not unstated, f"print(...) without its output in a comment at {unstated}"
        printed = _run_block(code, str(doc))
        for (first, last), shown in stated_outputs(code).items():
            where = f"{doc.relative_to(ROOT)}:{start + last - 1}"
            out = "".join(text for line, text in printed.items() if first <= line <= last)
            assert out, f"{where}: this print shows {shown!r} but printed nothing"
            assert matches(shown, out), f"{where}: shows {shown!r}, printed {out.strip()!r}"


@pytest.mark.parametrize("shown, printed, ok", [
    ("1.0", "1.0\n", True), ("1.0", "1.00\n", False), ("1.0 1.0", "1.0 1.0\n", True),
    ("1.0 1.0", "1.0\n", False), ("...: ids outside [0, 2)", "Acc: ids outside [0, 2)\n", True),
    ("...: ids outside [0, 2)", "Acc: ids outside [0, 3)\n", False),
    ("{'a': 1, 'b': 2}", "{'a': 1,\n 'b': 2}\n", True), ("x", "", False)])
def test_output_comparison_rules(shown, printed, ok):
    assert matches(shown, printed) is ok


def test_stated_outputs_trailing_and_below():
    code = ("x = 1  # not a print\nprint(x)  # 1\nprint(\n    x, x)  # 1 1\nprint({'a': x,\n"
            "       'b': x})\n# {'a': 1,\n#  'b': 1}\n# still output\n\n# prose\nprint(x)\n")
    assert stated_outputs(code) == {(2, 2): "1", (3, 4): "1 1",
                                    (5, 6): "{'a': 1, 'b': 1} still output"}


def test_unstated_prints_are_found():
    code = ("print(1)  # 1\nprint(2)\nprint(3)\n# 3\nprint(4, file=sys.stderr)\n"
            "if True:\n    print(5)\n")
    assert unstated_prints(code) == [2, 7]


def _nav_pages(entries) -> list[str]:
    pages = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_site_navigation_lists_every_page_and_only_existing_ones():
    yaml = pytest.importorskip("yaml")
    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    on_disk = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(nav) == on_disk


@pytest.mark.parametrize("family", FAMILIES)
def test_reference_page_documents_every_builtin_of_its_family(family):
    page = (ROOT / "docs" / "reference" / f"{family}.md").read_text()
    module = importlib.import_module(f"metricdsl.builtin.{family}")
    documented = re.findall(rf"^::: metricdsl\.builtin\.{family}\.(\w+)", page, flags=re.M)
    assert f"::: metricdsl.builtin.{family}\n" in page
    assert sorted(documented) == sorted(module.__all__)


def test_public_names_have_docstrings():
    missing = [name for name in metricdsl.__all__
               if not (getattr(getattr(metricdsl, name), "__doc__", None) or "").strip()]
    assert missing == []
