"""The accuracy kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F


def test_accuracy_and_binary_accuracy(rng):
    y_true = rng.integers(0, 3, size=(8, 1))
    y_pred = rng.integers(0, 3, size=(8, 1))
    np.testing.assert_array_equal(F.accuracy(y_true, y_pred), ref.accuracy_values(y_true, y_pred))
    labels, scores = rng.integers(0, 2, size=(8, 2)), rng.uniform(size=(8, 2))
    for threshold in (0.3, 0.5, 0.8):
        np.testing.assert_array_equal(F.binary_accuracy(labels, scores, threshold),
                                      ref.binary_accuracy_values(labels, scores, threshold))


@pytest.mark.parametrize("k", [1, 2, 5])
def test_categorical_kernels_match_reference(k, rng):
    scores = rng.uniform(size=(9, 4)).astype("float32")
    ids = rng.integers(0, 4, size=9)
    one_hot = np.eye(4)[ids]
    np.testing.assert_array_equal(F.categorical_accuracy(one_hot, scores),
                                  ref.categorical_accuracy_values(one_hot, scores))
    np.testing.assert_array_equal(F.sparse_categorical_accuracy(ids, scores),
                                  ref.sparse_categorical_accuracy_values(ids, scores))
    np.testing.assert_array_equal(F.top_k_categorical_accuracy(one_hot, scores, k),
                                  ref.top_k_categorical_accuracy_values(one_hot, scores, k))
    np.testing.assert_array_equal(F.sparse_top_k_categorical_accuracy(ids, scores, k),
                                  ref.sparse_top_k_categorical_accuracy_values(ids, scores, k))


def test_sparse_top_k_from_sorted_ids(rng):
    sorted_ids = np.argsort(-rng.uniform(size=(6, 5)), axis=-1)
    ids = rng.integers(0, 5, size=6)
    np.testing.assert_array_equal(
        F.sparse_top_k_categorical_accuracy(ids, sorted_ids, 2, from_sorted_ids=True),
        ref.sparse_top_k_categorical_accuracy_values(ids, sorted_ids, 2, from_sorted_ids=True))


@pytest.mark.parametrize("k, error", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_check_k(k, error):
    with pytest.raises(error, match=r"^metric_top_k_categorical_accuracy: k must be"):
        F.top_k_categorical_accuracy(np.eye(3), np.eye(3), k=k)
