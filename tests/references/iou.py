"""Numpy references for the IoU family: Keras 3's formulas, written from the definition.

The confusion matrix is built with an explicit ``np.add.at`` over (true, predicted)
pairs, float64 or int64 counts.
"""

import numpy as np

IOU_EPSILON = 1e-7


def iou_confusion_matrix(y_true, y_pred, num_classes, sample_weight=None, ignore_class=None,
                         integer_weights=False):
    """``cm[i, j]`` = total weight of label ``i`` predicted as ``j`` (rows true, columns predicted).

    Entries with a label or prediction outside ``[0, num_classes)`` or a true
    label equal to ``ignore_class`` are skipped. ``integer_weights`` truncates
    the weights toward zero (Keras's default ``"int"`` dtype).
    """
    y_true = np.ravel(np.asarray(y_true)).astype(np.int64)
    y_pred = np.ravel(np.asarray(y_pred)).astype(np.int64)
    weight = np.ones(y_true.shape) if sample_weight is None else np.broadcast_to(
        np.ravel(np.asarray(sample_weight, np.float64)), y_true.shape)
    if integer_weights:
        weight = np.trunc(weight).astype(np.int64)
    keep = (y_true >= 0) & (y_true < num_classes) & (y_pred >= 0) & (y_pred < num_classes)
    if ignore_class is not None:
        keep &= y_true != ignore_class
    cm = np.zeros((num_classes, num_classes), weight.dtype)
    np.add.at(cm, (y_true[keep], y_pred[keep]), weight[keep])
    return cm


def iou_per_class(cm):
    """Exact ``tp / (tp + fp + fn)`` per class, NaN for a class absent from both sides."""
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, tp / denominator, np.nan)


def iou_keras(cm, target_class_ids):
    """Keras ``IoU.result()``: smoothed mean IoU over the target classes that are present."""
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
    ids = list(target_class_ids)
    tp, denominator = tp[ids], denominator[ids]
    present = denominator > 1e-9
    iou = np.where(present, tp / (denominator + IOU_EPSILON), 0.0)
    return iou.sum() / (present.sum() + IOU_EPSILON)
