"""Shared test set-up: tests/ on sys.path (for `references`), one CPU device, seeded rngs."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("metricdsl", max_examples=25, deadline=None, derandomize=True)
settings.load_profile("metricdsl")


@pytest.fixture
def rng():
    """A seeded numpy Generator."""
    return np.random.default_rng(0)
