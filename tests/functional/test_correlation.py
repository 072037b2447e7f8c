"""The correlation kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F


@pytest.mark.parametrize("kernel, reference", [
    (F.pearson_correlation, ref.pearson_correlation_values),
    (F.concordance_correlation, ref.concordance_correlation_values)], ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_correlation_kernels_match_reference(kernel, reference, axis, rng):
    y_true = rng.normal(size=(5, 4)).astype("float32")
    y_pred = (y_true + rng.normal(scale=0.5, size=(5, 4))).astype("float32")
    np.testing.assert_allclose(kernel(y_true, y_pred, axis=axis),
                               reference(y_true, y_pred, axis=axis), rtol=1e-4, atol=1e-6)


def test_shape_mismatch_names_the_kernel():
    with pytest.raises(ValueError, match=r"^metric_pearson_correlation: y_pred of shape"):
        F.pearson_correlation(np.zeros((2, 3)), np.zeros((2, 4)))
