"""Type checkers see metricdsl's public API as a user project outside it does.

pyright (basic) and mypy check the files in tests/typing/ and the python
blocks of docs/types.md (with its recipes for the free names) from a temporary
directory, resolving ``import metricdsl`` through the interpreter's path (the
editable install's static ``.pth`` entry, or ``PYTHONPATH=src``):
``user_code.py`` must be clean, each line of ``user_errors.py`` marked
``# expect: RULES`` must get exactly those errors, and every builtin called
with an argument no constructor takes must be flagged, so a builtin whose
constructor is not typed fails here. Skipped when a checker is not installed.
"""

import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import metricdsl as md
import metricdsl.builtin as builtin

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "typing"
SRC = Path(md.__file__).resolve().parent.parent  # the tree these tests import
PYRIGHT = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
HAS_MYPY = importlib.util.find_spec("mypy") is not None
BUILTINS_FILE = "all_builtins.py"
TYPES_PAGE = ROOT / "docs" / "types.md"
# mypy need not analyse jax and numpy for these checks: skipping them keeps a cold run short.
MYPY_CONFIG = """[mypy]
[mypy-jax.*,jaxlib.*,numpy.*,ml_dtypes.*,scipy.*,opt_einsum.*]
follow_imports = skip
"""


def _expected(path: Path) -> dict[int, set[str]]:
    """``{line: rules}`` from the ``# expect: RULES`` markers of ``path``."""
    found = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = re.search(r"  # expect: ([\w -]+)$", line)
        if match:
            found[number] = set(match.group(1).split())
    return found


def _builtin_calls() -> str:
    """Each builtin called with a keyword no constructor or per-sample function takes."""
    lines = ["import metricdsl as md", ""]
    lines += [f"md.{name}(no_such_argument=1)" for name in builtin.__all__]
    return "\n".join(lines) + "\n"


def _page_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TYPES_PAGE.read_text(), flags=re.DOTALL)


DOCS_FILES = [f"docs_types_{i}.py" for i in range(len(_page_blocks("python")))]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A user project: the typing cases, the generated calls, docs/types.md's python blocks
    and, as its ``__builtins__.pyi``, the page's ``pyi`` block."""
    path = tmp_path_factory.mktemp("typing_user")
    for case in CASES.glob("*.py"):
        shutil.copy(case, path / case.name)
    for name, block in zip(DOCS_FILES, _page_blocks("python")):
        (path / name).write_text(block)
    (path / "__builtins__.pyi").write_text(_page_blocks("pyi")[0])
    (path / BUILTINS_FILE).write_text(_builtin_calls())
    (path / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "basic", "pythonVersion": "3.11"}))
    (path / "mypy.ini").write_text(MYPY_CONFIG)
    return path


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


@pytest.fixture(scope="module")
def pyright_errors(workdir) -> dict[str, dict[int, set[str]]]:
    """``{file name: {line: pyright rules}}`` of one pyright run over the user project."""
    if PYRIGHT is None:
        pytest.skip("pyright is not installed (pip install -e '.[dev]')")
    files = ["user_code.py", "user_errors.py", "user_builtins.py", BUILTINS_FILE, *DOCS_FILES]
    run = subprocess.run([PYRIGHT, "--outputjson", "--pythonpath", sys.executable, *files],
                         cwd=workdir, env=_env(), capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    errors: dict[str, dict[int, set[str]]] = {name: {} for name in files}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            line = diagnostic["range"]["start"]["line"] + 1
            errors[Path(diagnostic["file"]).name].setdefault(line, set()).add(
                diagnostic.get("rule", diagnostic["message"]))
    return errors


@pytest.fixture(scope="module")
def mypy_errors(workdir) -> dict[str, dict[int, set[str]]]:
    """``{file name: {line: mypy error codes}}`` of one mypy run over the user project."""
    if not HAS_MYPY:
        pytest.skip("mypy is not installed (pip install -e '.[dev]')")
    files = ["user_code.py", "user_errors.py", BUILTINS_FILE, *DOCS_FILES]
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--python-executable",
         sys.executable, "--show-error-codes", "--no-error-summary", "--cache-dir",
         str(ROOT / ".mypy_cache"), *files],
        cwd=workdir, env=_env(), capture_output=True, text=True, timeout=300)
    errors: dict[str, dict[int, set[str]]] = {name: {} for name in files}
    for match in re.finditer(r"^(\S+\.py):(\d+): error: .*?(?:\[([\w-]+)\])?$", run.stdout,
                             flags=re.MULTILINE):
        name, line, code = Path(match.group(1)).name, int(match.group(2)), match.group(3)
        if name in errors:
            errors[name].setdefault(line, set()).add(code or "error")
    assert run.returncode in (0, 1), run.stdout + run.stderr
    return errors


def _split(expected: dict[int, set[str]], pyright: bool) -> dict[int, set[str]]:
    """The markers for one checker: pyright's rules start with ``report``, mypy's codes don't."""
    picked = {line: {r for r in rules if r.startswith("report") == pyright}
              for line, rules in expected.items()}
    return {line: rules for line, rules in picked.items() if rules}


def test_pyright_accepts_user_code(pyright_errors):
    assert pyright_errors["user_code.py"] == {}


def test_pyright_flags_each_misuse(pyright_errors):
    expected = _split(_expected(CASES / "user_errors.py"), pyright=True)
    assert pyright_errors["user_errors.py"] == expected


def test_pyright_reads_builtins_stub(pyright_errors):
    """docs/types.md's ``__builtins__.pyi`` recipe: free ``self``/``super``, no declarations."""
    assert pyright_errors["user_builtins.py"] == {}


def test_pyright_accepts_the_types_page(pyright_errors):
    assert [pyright_errors[name] for name in DOCS_FILES] == [{} for _ in DOCS_FILES]


def test_pyright_types_every_builtin(pyright_errors):
    flagged = pyright_errors[BUILTINS_FILE]
    missed = [name for line, name in enumerate(builtin.__all__, 3) if line not in flagged]
    assert missed == [], f"typed as Any (give their initialize annotated parameters): {missed}"


def test_mypy_accepts_user_code(mypy_errors):
    assert mypy_errors["user_code.py"] == {}


def test_mypy_accepts_the_types_page(mypy_errors):
    """Including its recipe for the free names (module-level declarations)."""
    assert [mypy_errors[name] for name in DOCS_FILES] == [{} for _ in DOCS_FILES]


def test_mypy_flags_each_misuse(mypy_errors):
    expected = _split(_expected(CASES / "user_errors.py"), pyright=False)
    assert mypy_errors["user_errors.py"] == expected


def test_mypy_types_every_builtin(mypy_errors):
    flagged = mypy_errors[BUILTINS_FILE]
    missed = [name for line, name in enumerate(builtin.__all__, 3) if line not in flagged]
    assert missed == [], f"typed as Any (give their initialize annotated parameters): {missed}"


# -- __all__ -----------------------------------------------------------------------------------

FAMILIES = ("accuracy", "calibration", "classification", "confusion", "correlation", "f_score",
            "hinge", "iou", "probabilistic", "ranking", "reduction", "regression", "thresholds")


def test_builtin_all_lists_every_family_metric():
    """builtin/__init__.py's literal __all__: the metric_* names of the family modules, sorted."""
    families = sorted(path.stem for path in Path(builtin.__file__).parent.glob("[!_]*.py"))
    assert families == sorted(FAMILIES), "a new family module: add it to FAMILIES"
    names = sorted(name for family in FAMILIES
                   for name in importlib.import_module(f"metricdsl.builtin.{family}").__all__
                   if name.startswith("metric_"))
    assert builtin.__all__ == names


def test_package_all_lists_its_public_names():
    """__init__.py's literal __all__: its own public names and every builtin, each resolvable."""
    public = {name for name, value in vars(md).items()
              if not name.startswith("_") and not isinstance(value, type(md))
              and name not in ("TYPE_CHECKING", "annotations")}
    listed = set(md.__all__)
    assert len(md.__all__) == len(listed)
    assert set(builtin.__all__) <= listed
    assert public - listed == set()
    assert all(getattr(md, name, None) is not None for name in md.__all__)


@pytest.mark.slow
def test_typing_cases_run():
    """The type-checked user code also runs (compiling its metrics takes a while)."""
    runpy.run_path(str(CASES / "user_code.py"))
    runpy.run_path(str(CASES / "user_builtins.py"))


def test_install_is_a_static_path():
    """The editable install is a ``.pth`` path entry (what pyright and mypy follow), not an
    import hook; skipped when metricdsl is not installed in editable mode."""
    from importlib import metadata

    try:
        files = metadata.distribution("metricdsl").files or []
    except metadata.PackageNotFoundError:
        pytest.skip("metricdsl is not installed")
    pths = [f for f in files if f.name.endswith(".pth")]
    if not pths:
        pytest.skip("not an editable install")
    entries = [line for pth in pths for line in Path(str(pth.locate())).read_text().splitlines()
               if line and not line.startswith(("#", "import"))]
    assert any((Path(entry) / "metricdsl" / "__init__.py").is_file() for entry in entries)
