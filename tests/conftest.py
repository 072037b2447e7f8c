"""Shared test set-up: tests/ on sys.path (for `references`), one CPU device, seeded rngs."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("metricdsl", max_examples=25, deadline=None, derandomize=True)
settings.load_profile("metricdsl")


@pytest.fixture
def rng():
    """A seeded numpy Generator."""
    return np.random.default_rng(0)
