"""Shared data and helpers of the compile tests: one batch per output kind, builtin lookup."""

import numpy as np
import pytest

from metricdsl import registry

RNG = np.random.default_rng(0)
N = 6
BINARY = (RNG.integers(0, 2, (N, 1)).astype("float32"), RNG.uniform(0.05, 0.95, (N, 1)).astype(
    "float32"))
LABELS = RNG.integers(0, 3, N)
PROBS = RNG.dirichlet(np.ones(3), N).astype("float32")
CATEGORICAL = (np.eye(3, dtype="float32")[LABELS], PROBS)
SPARSE = (LABELS[:, None].astype("float32"), PROBS)
SPARSE_RANK1 = (LABELS.astype("float32"), PROBS)
REGRESSION = (RNG.uniform(0.1, 2.0, (N, 2)).astype("float32"),
              RNG.uniform(0.1, 2.0, (N, 2)).astype("float32"))
WEIGHTS = RNG.uniform(0.0, 1.0, N).astype("float32")


def classes():
    """``{class name: class}`` of the builtins present."""
    return {cls.__name__: cls for cls in registry.builtin_classes().values()}


def need(*names):
    """The named builtin classes (skip the test when one is missing)."""
    missing = [n for n in names if n not in classes()]
    if missing:
        pytest.skip(f"builtins not available yet: {missing}")
    return [classes()[n] for n in names]


def result_of(cls, data, weights=None, **kwargs):
    """A fresh ``cls(**kwargs)`` updated once with ``data``: its result as numpy."""
    m = cls(**kwargs)
    m.update_state(*data, **({} if weights is None else {"sample_weight": weights}))
    return np.asarray(m.result())
