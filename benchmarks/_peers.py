"""The optional peers: each loader returns the module, or None when it is not installed."""

from __future__ import annotations

import functools
import importlib
import warnings


@functools.cache
def _load(name: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(name)
    except ImportError:
        return None


def torchmetrics_module():
    """``torchmetrics`` (on CPU torch, one thread per op as configured), or None."""
    tm = _load("torchmetrics")
    if tm is not None:
        importlib.import_module("torchmetrics.classification")
    return tm


def torch_tensor(array):
    """A numpy array as a CPU torch tensor (shares memory)."""
    return _load("torch").from_numpy(array)


def metrax_module():
    """``metrax`` (Google's JAX metrics), or None."""
    return _load("metrax")


def sklearn_metrics():
    """``sklearn.metrics``, or None."""
    return _load("sklearn.metrics")


def installed() -> dict[str, bool]:
    """Which peers this run can time."""
    return {name: _load(module) is not None for name, module in (
        ("keras", "keras"), ("torchmetrics", "torchmetrics"), ("metrax", "metrax"),
        ("sklearn", "sklearn.metrics"), ("matplotlib", "matplotlib"))}
