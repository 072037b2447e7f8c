"""The shared pieces of `metricdsl.functional`: labels, checks, weighted sums."""

import numpy as np
import pytest
import references as ref

import metricdsl as md
from metricdsl import functional as F
from metricdsl.functional import _common


def test_the_two_label_formats():
    assert _common.kernel_label("hinge") == "metric_hinge"
    assert _common.metric_label(md.metric_hinge(name="h")) == "Hinge 'h'"


def test_one_broadcast_check_says_what_and_how_to_fix():
    _common.check_broadcast("L", "a", (4, 1), "b", (1, 3))
    with pytest.raises(ValueError, match=r"^L: a of shape \(4,\) does not broadcast with b of "
                                         r"shape \(3,\) .*Fix it\.$"):
        _common.check_broadcast("L", "a", (4,), "b", (3,), "Fix it.")


@pytest.mark.parametrize("w_shape", [None, (), (6,), (6, 1), (6, 3)])
def test_weighted_sums_match_keras_reduction(w_shape, rng):
    values = rng.normal(size=(6, 3)).astype("float32")
    w = None if w_shape is None else rng.uniform(size=w_shape).astype("float32")
    full = np.broadcast_to(np.ones(()) if w is None else
                           (w[:, None] if np.ndim(w) == 1 else w), values.shape)
    np.testing.assert_allclose(F.weighted_sum(values, w, "float32"), np.sum(values * full),
                               rtol=1e-5)
    total, count = F.weighted_total_and_count(values, w, "float32")
    np.testing.assert_allclose(total / count, ref.keras_weighted_mean(values, w), rtol=1e-5)


def test_validation_labels_also_name_the_keras_class():
    assert _common.kernel_label("poisson", "Poisson") == "metric_poisson (Poisson)"
