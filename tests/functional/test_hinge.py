"""The hinge kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F


@pytest.mark.parametrize("kernel, reference", [
    (F.hinge, ref.hinge_values), (F.squared_hinge, ref.squared_hinge_values),
    (F.categorical_hinge, ref.categorical_hinge_values)], ids=lambda f: f.__name__)
@pytest.mark.parametrize("labels", ["zero_one", "plus_minus"])
@pytest.mark.parametrize("shape", [(6, 1), (6, 4)])
def test_hinge_kernels_match_reference(kernel, reference, labels, shape, rng):
    y_true = rng.integers(0, 2, size=shape).astype("float32")
    if labels == "plus_minus":
        y_true = 2 * y_true - 1
    y_pred = rng.normal(size=shape).astype("float32")
    np.testing.assert_allclose(kernel(y_true, y_pred), reference(y_true, y_pred), rtol=1e-5,
                               atol=1e-6)


def test_shape_mismatch_names_the_kernel():
    with pytest.raises(ValueError, match=r"^metric_squared_hinge: y_pred of shape"):
        F.squared_hinge(np.zeros((4, 2)), np.zeros((4, 3)))
