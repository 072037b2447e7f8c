"""Merging collections: merge_state and stateless_merge_state equal one pass."""

import numpy as np
import pytest
from compile_data import BINARY, need

import metricdsl as md
from metricdsl.compile import CompileMetricsError


def test_merge_state_equals_one_pass():
    need("MeanSquaredError", "BinaryAccuracy")
    halves = [(BINARY[0][:3], BINARY[1][:3]), (BINARY[0][3:], BINARY[1][3:])]
    shards = []
    for y_true, y_pred in halves:
        c = md.compile_metrics(["accuracy", "mse"])
        c.update_state(y_true, y_pred)
        shards.append(c)
    shards[0].merge_state(shards[1:])
    whole = md.compile_metrics(["accuracy", "mse"])
    whole.update_state(*BINARY)
    for key, value in whole.result().items():
        np.testing.assert_allclose(shards[0].result()[key], value, rtol=1e-6)
    with pytest.raises(CompileMetricsError, match="cannot merge"):
        shards[0].merge_state(md.compile_metrics(["mae"]))
