"""The probabilistic kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropies_match_reference(from_logits, label_smoothing, rng):
    scores = rng.uniform(0.05, 0.95, size=(6, 3)).astype("float32")
    if from_logits:
        scores = rng.normal(size=(6, 3)).astype("float32")
    binary = rng.integers(0, 2, size=(6, 3)).astype("float32")
    one_hot = np.eye(3, dtype="float32")[rng.integers(0, 3, size=6)]
    np.testing.assert_allclose(
        F.binary_crossentropy(binary, scores, from_logits, label_smoothing),
        ref.binary_crossentropy_values(binary, scores, from_logits, label_smoothing), rtol=1e-5)
    np.testing.assert_allclose(
        F.categorical_crossentropy(one_hot, scores, from_logits, label_smoothing),
        ref.categorical_crossentropy_values(one_hot, scores, from_logits, label_smoothing),
        rtol=1e-5)
    ids = one_hot.argmax(-1)
    np.testing.assert_allclose(
        F.sparse_categorical_crossentropy(ids, scores, from_logits),
        ref.sparse_categorical_crossentropy_values(ids, scores, from_logits), rtol=1e-5)


def test_kl_poisson_and_focal_match_reference(rng):
    y_true = rng.uniform(0.0, 1.0, size=(5, 4)).astype("float32")
    y_pred = rng.uniform(0.05, 1.0, size=(5, 4)).astype("float32")
    for kernel, reference in ((F.kl_divergence, ref.kl_divergence_values),
                              (F.poisson, ref.poisson_values),
                              (F.binary_focal_crossentropy, ref.binary_focal_crossentropy_values),
                              (F.categorical_focal_crossentropy,
                               ref.categorical_focal_crossentropy_values)):
        np.testing.assert_allclose(kernel(y_true, y_pred), reference(y_true, y_pred), rtol=1e-5,
                                   atol=1e-6)


def test_ignored_class_sample_weight_zeroes_the_ignored_samples():
    weight = F.ignored_class_sample_weight([0, 2, 1, 2], np.full((4, 3), 1 / 3),
                                           [1.0, 2.0, 3.0, 4.0], 2, -1, "float32")
    np.testing.assert_array_equal(weight, [1.0, 0.0, 3.0, 0.0])


def test_shape_mismatch_names_the_kernel():
    with pytest.raises(ValueError, match=r"^metric_binary_crossentropy: y_true and y_pred"):
        F.binary_crossentropy(np.zeros(4), np.zeros((4, 1)))
