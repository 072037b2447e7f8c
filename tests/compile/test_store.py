"""The packed store: member metrics see the collection's state; copies hold plain Variables."""

import copy
import pickle

import numpy as np
from compile_data import (
    REGRESSION,
    need,
)

import metricdsl as md


def test_member_metrics_reflect_the_collection_state():
    (mse_cls,) = need("MeanSquaredError")
    mse = mse_cls()
    c = md.compile_metrics([mse, "mae"])
    c.update_state(*REGRESSION)
    c.update_state(*REGRESSION)
    expected = np.mean((REGRESSION[0] - REGRESSION[1]) ** 2)
    np.testing.assert_allclose(mse.result(), expected, rtol=1e-6)
    mse.update_state(REGRESSION[0], REGRESSION[0])  # an outside update is seen by the collection
    np.testing.assert_allclose(c.result()["mean_squared_error"], expected * 2 / 3, rtol=1e-6)
    c.update_state(*REGRESSION)
    np.testing.assert_allclose(mse.result(), expected * 3 / 4, rtol=1e-6)
    m2 = md.compile_metrics([mse])  # another collection takes the metric over
    m2.update_state(*REGRESSION)
    np.testing.assert_allclose(mse.result(), expected * 4 / 5, rtol=1e-6)
    c.update_state(*REGRESSION)
    np.testing.assert_allclose(c.result()["mean_squared_error"], expected * 5 / 6, rtol=1e-6)
    for copied in (pickle.loads(pickle.dumps(mse)), copy.deepcopy(mse)):
        assert type(copied.variables[0]) is md.Variable
        np.testing.assert_allclose(copied.result(), expected * 5 / 6, rtol=1e-6)
    assert type(pickle.loads(pickle.dumps(mse.variables[0]))) is md.Variable
