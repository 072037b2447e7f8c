"""Run every benchmark in this folder: ``python benchmarks/run.py [name ...]``.

Each ``bench_<name>.py`` prints its table and writes ``results/<name>.json``;
ratios are against hand-written ``jax.jit`` kernels measured in the same run.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem[len("bench_"):] not in names:
            continue
        print(f"\n== {path.stem} ==")
        runpy.run_path(str(path), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
