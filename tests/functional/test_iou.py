"""The IoU kernels of `metricdsl.functional` against numpy references."""

import numpy as np
import pytest
import references as ref

from metricdsl import functional as F

C = 4


@pytest.mark.parametrize("ignore_class", [None, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix_and_iou_match_reference(ignore_class, weighted, rng):
    y_true, y_pred = rng.integers(-1, C + 1, size=(2, 30))
    w = rng.uniform(0.5, 2.0, size=30).astype("float32") if weighted else None
    cm = F.confusion_matrix(y_true, y_pred, w, C, ignore_class, "float32")
    want = ref.iou_confusion_matrix(y_true, y_pred, C, w, ignore_class)
    np.testing.assert_allclose(cm, want, rtol=1e-6)
    for ids in ([0], [1, 3], list(range(C))):
        np.testing.assert_allclose(F.iou_from_confusion_matrix(cm, ids), ref.iou_keras(want, ids),
                                   rtol=1e-5)


def test_integer_counts_are_exact_and_binary_labels_are_inclusive():
    cm = F.confusion_matrix([0, 1, 1], [0, 1, 0], None, 2, None, "int32")
    assert cm.dtype == np.int32
    np.testing.assert_array_equal(cm, [[1, 0], [1, 1]])
    np.testing.assert_array_equal(F.binary_labels([0.2, 0.5, 0.7], 0.5), [0, 1, 1])
