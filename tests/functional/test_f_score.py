"""The F-score kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F


@pytest.mark.parametrize("threshold", [None, 0.5])
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("w_shape", [None, (8,), (8, 3)])
def test_counts_and_score_match_reference(threshold, average, w_shape, rng):
    y_true = rng.integers(0, 2, size=(8, 3)).astype("float32")
    y_pred = rng.uniform(size=(8, 3)).astype("float32")
    w = None if w_shape is None else rng.uniform(0.5, 2.0, size=w_shape).astype("float32")
    np.testing.assert_array_equal(F.fbeta_predictions(y_pred, threshold),
                                  ref.fbeta_predictions(y_pred, threshold))
    counts = F.fbeta_counts(y_true, y_pred, w, threshold, None if average == "micro" else 0,
                            "float32")
    want = ref.fbeta_counts(y_true, y_pred, w, threshold, average)
    for got, expected in zip(counts, want):
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(F.fbeta_from_counts(*counts, 2.0, average),
                               ref.fbeta_from_counts(*want, beta=2.0, average=average), rtol=1e-5)
