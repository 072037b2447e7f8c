"""metricdsl's benchmark suite, in one process.

``python -m benchmarks.run [--quick] [--only NAME ...] [--json PATH] [--plot PATH]
[--agreement-only] [--device cpu|gpu]``

Each ``bench_<name>.py`` module is one part of the suite and exposes ``main()``;
the suite passes it the keyword arguments its signature names, of:
``agreement_only`` (a module that takes it checks values without timing; one
that does not is timing-only and is skipped by ``--agreement-only``),
``device``, ``only`` (the ``--only`` names that are not module names, e.g.
metric families) and ``bandwidth`` (the machine's read bandwidth measured by
`bench_bandwidth`, in bytes/s). Peers that are not installed are skipped.
``--only`` takes module names (``metrics``, ``fused``, ``memory``, ``startup``,
``core``, ``column``, ``confusion``, ``iou_f1``, ``collection``, ``beyond``,
``analytics``, ``bandwidth``) or family names (``auc``, ``mse``, ...).

The run ends with the issue's targets (met or not), writes every table to the
JSON file and the ratio chart to the PNG; it exits 1 when a column disagrees or
a module fails.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
MODULES = ["bandwidth", "metrics", "fused", "memory", "startup", "core", "column", "confusion",
           "iou_f1", "collection", "beyond", "analytics"]
GPU_MODULES = ["bandwidth", "metrics", "fused"]


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short timings (CI, a first look)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="module or family names")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "suite.json")
    parser.add_argument("--plot", type=Path, default=None, help="write the ratio chart (PNG)")
    parser.add_argument("--agreement-only", action="store_true",
                        help="check that every column computes the same value; no timing")
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    return parser.parse_args(argv)


def _environment(device: str) -> None:
    """Before jax, numpy and keras load: the platform, Keras's backend, one numpy thread."""
    os.environ["JAX_PLATFORMS"] = "cuda" if device == "gpu" else "cpu"
    os.environ.setdefault("KERAS_BACKEND", "jax")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    sys.path.insert(0, str(HERE))


def _selected(args) -> tuple[list[str], list[str]]:
    """(modules to run, names passed on as ``only``)."""
    modules = [n for n in args.only if n in MODULES]
    rest = [n for n in args.only if n not in MODULES]
    chosen = modules or (["metrics"] if rest else MODULES)
    if args.device == "gpu":
        chosen = [m for m in chosen if m in GPU_MODULES]
    if "metrics" in chosen and not args.agreement_only and "bandwidth" not in chosen:
        chosen = ["bandwidth", *chosen]
    return chosen, rest


def _call(module, context: dict):
    accepted = inspect.signature(module.main).parameters
    return module.main(**{k: v for k, v in context.items() if k in accepted})


def main(argv=None) -> int:
    """Run the suite; return the process exit status."""
    args = _arguments(argv)
    _environment(args.device)
    import importlib
    import json
    import traceback

    import _harness
    import jax

    if args.device == "gpu" and jax.devices()[0].platform != "gpu":
        print(f"--device gpu: jax sees no GPU ({jax.devices()}); install jax[cuda12]")
        return 2
    _harness.configure(quick=args.quick)
    chosen, rest = _selected(args)
    context = {"agreement_only": args.agreement_only, "device": args.device,
               "only": rest, "bandwidth": None}
    failures = []
    for name in chosen:
        if not (HERE / f"bench_{name}.py").exists():
            print(f"\n== {name}: no benchmarks/bench_{name}.py here, skipped ==")
            continue
        try:
            module = importlib.import_module(f"bench_{name}")
        except ImportError as err:
            print(f"\n== {name}: skipped ({err}) ==")
            continue
        if args.agreement_only and "agreement_only" not in inspect.signature(
                module.main).parameters:
            continue
        print(f"\n== {name} ==", flush=True)
        try:
            out = _call(module, context)
        except Exception as err:  # noqa: BLE001 - one failing module must not hide the others
            traceback.print_exc()
            failures.append(f"{name}: {type(err).__name__}: {err}")
            continue
        if name == "bandwidth":
            context["bandwidth"] = out
    _summary(_harness.TARGETS, failures)
    from _peers import installed

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": _harness.meta(), "peers": installed(),
                                     "quick": args.quick, "tables": _harness.COLLECTED,
                                     "targets": _harness.TARGETS, "failures": failures},
                                    indent=2, default=float))
    print(f"wrote {args.json}")
    if args.plot is not None and not installed()["matplotlib"]:
        print("--plot: matplotlib is not installed, no chart")
    elif args.plot is not None and "metrics" in _harness.COLLECTED and not args.agreement_only:
        from _plot import ratio_chart

        ratio_chart(_harness.COLLECTED["metrics"]["rows"], args.plot, _harness.meta())
        print(f"wrote {args.plot}")
    return 1 if failures else 0


def _summary(targets: list[dict], failures: list[str]) -> None:
    if targets:
        print("\n== targets ==")
        width = max(len(t["target"]) for t in targets)
        for t in targets:
            mark = "met " if t["met"] else "MISS"
            print(f"{mark} {t['target'].ljust(width)}  {t['value']:.3g}  (goal {t['goal']})"
                  + (f"  {t['note']}" if t["note"] else ""))
    for failure in failures:
        print(f"!! FAILED {failure}")


if __name__ == "__main__":
    sys.exit(main())
