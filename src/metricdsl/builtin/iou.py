"""Intersection-over-Union: `metric_iou`, `metric_mean_iou`, `metric_binary_iou`,
`metric_one_hot_iou`, `metric_one_hot_mean_iou` (Keras ``IoU``, ``MeanIoU``, ...).

Each metric accumulates a ``(num_classes, num_classes)`` confusion matrix
``total_cm`` (rows: true class, columns: predicted class). A batch's matrix is
ONE ``bincount`` of ``num_classes·y_true + y_pred`` with the sample weights,
so unweighted counts are exact integers. The default dtype is ``"int"``
(``int32`` state) as in Keras; with a float dtype (needed for fractional
weights) the compensated sum of `Variable.assign_add` keeps float32 counts
from stalling past 2^24 per cell. With the integer dtype, float sample weights are
truncated as in Keras, with Keras's warning (raised while the update is traced:
once per compilation on the compiled path, as under Keras's own ``jax.jit``). The kernels live in
`metricdsl.functional.iou`; every IoU metric has ``higher_is_better = True``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
from ..factory import Metric
from ..functional import binary_labels, confusion_matrix, iou_from_confusion_matrix
from ..functional._common import check_class_ids, is_int, metric_label
from ..functional.numbers import Integral, Real
from ..plot import plot_confusion_matrix, plot_method

#: What Keras accepts for ``target_class_ids`` and the ``sparse_*`` flags.
ClassIds = Sequence[Integral] | np.ndarray
Flag = bool | np.bool_

__all__ = [
    "metric_binary_iou", "metric_iou", "metric_mean_iou", "metric_one_hot_iou",
    "metric_one_hot_mean_iou",
]


# -- argument checks ----------------------------------------------------------------------------
def _check_num_classes(metric, num_classes) -> None:
    if not is_int(num_classes) or num_classes < 2:
        raise ValueError(
            f"{metric_label(metric)}: Invalid `num_classes` argument value. Expected an integer "
            ">= 2 "
            f"(the confusion matrix is num_classes x num_classes). Received: "
            f"num_classes={num_classes!r}")


def _checked_class_ids(metric, target_class_ids, num_classes) -> list[int]:
    try:
        ids = list(target_class_ids)
    except TypeError:
        ids = None
    if not ids or not all(is_int(i) for i in ids):
        raise ValueError(
            f"{metric_label(metric)}: Invalid `target_class_ids` argument value. Expected a "
            "non-empty "
            f"list or tuple of integer class ids, e.g. [0] or (0, 1). Received: "
            f"target_class_ids={target_class_ids!r}")
    if max(ids) >= num_classes or min(ids) < -num_classes:
        bad = max(ids) if max(ids) >= num_classes else min(ids)
        raise ValueError(
            f"{metric_label(metric)}: Target class id {bad} is out of range, which is "
            f"[0, {num_classes}). Pass target_class_ids within range(num_classes) (negative "
            f"ids count from the end, down to -{num_classes}).")
    return [int(i) for i in ids]


def _check_options(metric, ignore_class, sparse_y_true, sparse_y_pred, axis) -> None:
    if ignore_class is not None and (not isinstance(ignore_class, Real)
                                     or isinstance(ignore_class, bool)):
        raise ValueError(
            f"{metric_label(metric)}: Invalid `ignore_class` argument value. Expected None or an "
            f"integer class id (e.g. 255). Received: ignore_class={ignore_class!r}")
    for argument, value in (("sparse_y_true", sparse_y_true), ("sparse_y_pred", sparse_y_pred)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(
                f"{metric_label(metric)}: Invalid `{argument}` argument value. Expected True or "
                f"False. Received: {argument}={value!r}")
    if not is_int(axis):
        raise ValueError(
            f"{metric_label(metric)}: Invalid `axis` argument value. Expected an integer. "
            f"Received: axis={axis!r}")


# -- IoU ----------------------------------------------------------------------------------------
def _iou_initialize(num_classes: Integral, target_class_ids: ClassIds, name: str | None = None,
                    dtype: Any = None, ignore_class: Real | None = None,
                    sparse_y_true: Flag = True, sparse_y_pred: Flag = True, axis: Integral = -1):
    """Intersection-over-Union for the classes in ``target_class_ids`` (their mean).

    ``iou = tp / (tp + fp + fn)`` per class from a confusion matrix
    accumulated over every batch, weighted by ``sample_weight``; the result
    is the mean over the target classes present in ``y_true`` or ``y_pred``
    (Keras's ``eps = 1e-7`` in the divisions: a perfect score reads
    ``0.9999999``; no data gives 0.0). Labels outside ``[0, num_classes)`` and
    labels equal to ``ignore_class`` (in ``y_true``) are left out. Labels and
    predictions may have any shape (e.g. ``(N, H, W)`` label maps) with the
    same number of elements; ``sample_weight`` is a scalar or has that many
    elements. The default dtype ``"int"`` keeps exact ``int32`` counts.
    With the default integer dtype, float sample weights are truncated toward
    zero (0.3 counts as 0), as in Keras (which also warns); pass
    ``dtype="float32"`` for fractional weights.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        target_class_ids: Class ids whose IoUs are averaged, e.g. ``[1]`` or ``(0, 2)``.
        name: Metric name; default ``"io_u"`` (uniquified: ``"io_u_1"``, ...).
        dtype: State dtype; default ``"int"`` (``int32``). The result is float32.
        ignore_class: A ``y_true`` label to leave out (e.g. 255 for "void"), or ``None``.
        sparse_y_true: ``True`` for integer labels; ``False`` takes the argmax over ``axis``.
        sparse_y_pred: ``True`` for integer predictions; ``False`` takes the argmax over ``axis``.
        axis: The class axis for ``sparse_*=False`` inputs.

    Raises:
        ValueError: for ``num_classes`` that is not an integer >= 2, empty or
            out-of-range ``target_class_ids`` (``max(target_class_ids) >=
            num_classes``), or ill-typed ``ignore_class``/``sparse_*``/``axis``.

    Example:
        >>> m = metric_iou(2, [0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """
    super.initialize(name=name, dtype=dtype or "int")
    _check_num_classes(self, num_classes)
    self.target_class_ids = _checked_class_ids(self, target_class_ids, num_classes)
    _check_options(self, ignore_class, sparse_y_true, sparse_y_pred, axis)
    self.num_classes = int(num_classes)
    self.ignore_class = ignore_class
    self.sparse_y_true = bool(sparse_y_true)
    self.sparse_y_pred = bool(sparse_y_pred)
    self.axis = axis
    shape = (self.num_classes, self.num_classes)
    self.total_cm = self.add_variable(shape, "zeros", dtype=self.dtype,
                                      name="total_confusion_matrix")


def _iou_labels(y_true, y_pred):
    if not self.sparse_y_true:
        y_true = ops.argmax(y_true, axis=self.axis)
    if not self.sparse_y_pred:
        y_pred = ops.argmax(y_pred, axis=self.axis)
    return y_true, y_pred


def _iou_check_batch(true_shape, pred_shape, sample_weight):
    size = int(np.prod(true_shape, dtype=np.int64))
    if int(np.prod(pred_shape, dtype=np.int64)) != size:
        raise ValueError(
            f"{metric_label(self)}: y_true has {size} labels (shape {tuple(true_shape)}) but "
            "y_pred "
            f"has {int(np.prod(pred_shape))} (shape {tuple(pred_shape)}), after the argmax of "
            "non-sparse inputs. Pass one prediction per label (check sparse_y_true, "
            "sparse_y_pred and axis).")
    if sample_weight is not None and "float" in str(getattr(sample_weight, "dtype", "")) \
            and "int" in self.dtype:
        warnings.warn(
            f"{metric_label(self)}: You are passing weight as `float`, but dtype is `int`. This "
            "may result in an incorrect weight due to type casting Consider using integer "
            "weights. (Create the metric with dtype='float32' to keep fractional weights.)",
            stacklevel=5)
    if sample_weight is not None and ops.size(sample_weight) not in (1, size):
        raise ValueError(
            f"{metric_label(self)}: sample_weight of shape {ops.shape(sample_weight)} has "
            f"{ops.size(sample_weight)} elements; expected a scalar or one weight per label "
            f"({size}, y_true's shape {tuple(true_shape)}).")


def _iou_update_state(y_true, y_pred, sample_weight=None):
    """Add one batch to the confusion matrix.

    Args:
        y_true: Labels (or one-hot/score vectors when ``sparse_y_true=False``).
        y_pred: Predicted labels (or scores when ``sparse_y_pred=False``).
        sample_weight: Optional scalar or per-label weights (default 1).

    Raises:
        ValueError: if ``y_true`` and ``y_pred`` hold different numbers of
            labels, or ``sample_weight`` has neither 1 nor that many elements.
    """
    y_true, y_pred = self._labels(y_true, y_pred)
    self._check_batch(ops.shape(y_true), ops.shape(y_pred), sample_weight)
    check_class_ids(metric_label(self), "y_true", y_true, self.num_classes, self.ignore_class)
    check_class_ids(metric_label(self), "y_pred", y_pred, self.num_classes)
    batch_cm = confusion_matrix(y_true, y_pred, sample_weight, self.num_classes,
                                self.ignore_class, self.dtype)
    self.total_cm.assign_add(batch_cm)


def _iou_counts():
    return self.total_cm.value


def _iou_result():
    return iou_from_confusion_matrix(self._counts(), self.target_class_ids)


def _iou_get_config():
    config = super.get_config()
    if "target_class_ids" in config:
        config["target_class_ids"] = list(self.target_class_ids)
    return config


metric_iou = Metric(
    "IoU", initialize=_iou_initialize, update_state=_iou_update_state, result=_iou_result,
    get_config=_iou_get_config, _labels=_iou_labels, _check_batch=_iou_check_batch,
    _counts=_iou_counts, higher_is_better=True, plot=plot_method(plot_confusion_matrix))


# -- MeanIoU ------------------------------------------------------------------------------------
def _mean_iou_initialize(num_classes: Integral, name: str | None = None, dtype: Any = None,
                         ignore_class: Real | None = None, sparse_y_true: Flag = True,
                         sparse_y_pred: Flag = True, axis: Integral = -1):
    """Mean Intersection-over-Union over all ``num_classes`` classes.

    `metric_iou` with ``target_class_ids = range(num_classes)``: the mean of
    ``tp / (tp + fp + fn)`` over the classes present in ``y_true`` or
    ``y_pred``, from a confusion matrix accumulated over every batch.
    With the default integer dtype, float sample weights are truncated toward
    zero (0.3 counts as 0), as in Keras (which also warns); pass
    ``dtype="float32"`` for fractional weights.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        name: Metric name; default ``"mean_io_u"`` (uniquified).
        dtype: State dtype; default ``"int"`` (``int32``). The result is float32.
        ignore_class: A ``y_true`` label to leave out (e.g. 255), or ``None``.
        sparse_y_true: ``True`` for integer labels; ``False`` takes the argmax over ``axis``.
        sparse_y_pred: ``True`` for integer predictions; ``False`` takes the argmax over ``axis``.
        axis: The class axis for ``sparse_*=False`` inputs.

    Raises:
        ValueError: for ``num_classes`` that is not an integer >= 2, or
            ill-typed ``ignore_class``/``sparse_*``/``axis``.

    Example:
        >>> m = metric_mean_iou(num_classes=3, ignore_class=255)
        >>> m.update_state([0, 1, 2, 255], [0, 1, 1, 1])
        >>> round(float(m.result()), 4)
        0.5
    """
    # An invalid num_classes gets a placeholder id here; IoU's checks then report it.
    super.initialize(num_classes, list(range(num_classes)) if is_int(num_classes) else [0],
                     name=name, dtype=dtype, ignore_class=ignore_class,
                     sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)


metric_mean_iou = Metric("MeanIoU", initialize=_mean_iou_initialize, inherit=metric_iou,
                         higher_is_better=True)


# -- BinaryIoU ----------------------------------------------------------------------------------
def _binary_iou_initialize(target_class_ids: ClassIds = (0, 1), threshold: Real = 0.5,
                           name: str | None = None, dtype: Any = None):
    """IoU of class 0 and/or 1 after thresholding scores: ``y_pred >= threshold`` is class 1.

    `metric_iou` with ``num_classes=2``; predictions are compared with the
    threshold in float32 (note ``>=``, unlike `metric_binary_accuracy`'s ``>``).
    With the default integer dtype, float sample weights are truncated toward
    zero (0.3 counts as 0), as in Keras (which also warns); pass
    ``dtype="float32"`` for fractional weights.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``(0, 1)`` (the mean of both).
        threshold: Scores ``>= threshold`` predict class 1.
        name: Metric name; default ``"binary_io_u"`` (uniquified).
        dtype: State dtype; default ``"int"`` (``int32``). The result is float32.

    Raises:
        ValueError: for ``target_class_ids`` outside ``{0, 1}`` or a
            non-numeric ``threshold``.

    Example:
        >>> m = metric_binary_iou(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
        >>> round(float(m.result()), 4)
        0.1736
    """
    super.initialize(2, target_class_ids, name=name, dtype=dtype)
    if not isinstance(threshold, Real) or isinstance(threshold, bool):
        raise ValueError(
            f"{metric_label(self)}: Invalid `threshold` argument value. Expected a number, "
            "e.g. 0.5. "
            f"Received: threshold={threshold!r}")
    self.threshold = threshold


def _binary_iou_update_state(y_true, y_pred, sample_weight=None):
    """Threshold ``y_pred`` into classes 0/1, then add the batch to the confusion matrix.

    Args:
        y_true: Labels 0/1, any shape.
        y_pred: Scores with as many elements as ``y_true``.
        sample_weight: Optional scalar or per-label weights (default 1).

    Raises:
        ValueError: as `metric_iou`'s ``update_state``.
    """
    super.update_state(y_true, binary_labels(y_pred, self.threshold), sample_weight)


metric_binary_iou = Metric(
    "BinaryIoU", initialize=_binary_iou_initialize, update_state=_binary_iou_update_state,
    inherit=metric_iou, higher_is_better=True)


# -- OneHotIoU, OneHotMeanIoU -------------------------------------------------------------------
def _one_hot_iou_initialize(num_classes: Integral, target_class_ids: ClassIds,
                            name: str | None = None, dtype: Any = None,
                            ignore_class: Real | None = None, sparse_y_pred: Flag = False,
                            axis: Integral = -1):
    """`metric_iou` for one-hot ``y_true`` (its argmax over ``axis`` is the label).

    Predictions are scores (argmax over ``axis``) unless ``sparse_y_pred=True``.
    With the default integer dtype, float sample weights are truncated toward
    zero (0.3 counts as 0), as in Keras (which also warns); pass
    ``dtype="float32"`` for fractional weights.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        target_class_ids: Class ids whose IoUs are averaged.
        name: Metric name; default ``"one_hot_io_u"`` (uniquified).
        dtype: State dtype; default ``"int"`` (``int32``). The result is float32.
        ignore_class: A label to leave out, or ``None``.
        sparse_y_pred: ``True`` for integer predictions.
        axis: The class axis.

    Raises:
        ValueError: as `metric_iou`.

    Example:
        >>> m = metric_one_hot_iou(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(float(m.result()), 4)
        0.1667
    """
    super.initialize(num_classes, target_class_ids, name=name, dtype=dtype,
                     ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred,
                     axis=axis)


metric_one_hot_iou = Metric("OneHotIoU", initialize=_one_hot_iou_initialize, inherit=metric_iou,
                            higher_is_better=True)


def _one_hot_mean_iou_initialize(num_classes: Integral, name: str | None = None,
                                 dtype: Any = None, ignore_class: Real | None = None,
                                 sparse_y_pred: Flag = False, axis: Integral = -1):
    """`metric_mean_iou` for one-hot ``y_true`` (its argmax over ``axis`` is the label).

    Predictions are scores (argmax over ``axis``) unless ``sparse_y_pred=True``.
    With the default integer dtype, float sample weights are truncated toward
    zero (0.3 counts as 0), as in Keras (which also warns); pass
    ``dtype="float32"`` for fractional weights.

    Args:
        num_classes: Number of classes ``C`` (an integer >= 2).
        name: Metric name; default ``"one_hot_mean_io_u"`` (uniquified).
        dtype: State dtype; default ``"int"`` (``int32``). The result is float32.
        ignore_class: A label to leave out, or ``None``.
        sparse_y_pred: ``True`` for integer predictions.
        axis: The class axis.

    Raises:
        ValueError: as `metric_mean_iou`.

    Example:
        >>> m = metric_one_hot_mean_iou(num_classes=3)
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
        ...                 [0.1, 0.4, 0.5], [0.6, 0.2, 0.2]],
        ...                sample_weight=[1, 2, 3, 3, 1])
        >>> round(float(m.result()), 4)
        0.0926
    """
    super.initialize(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                     sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)


metric_one_hot_mean_iou = Metric(
    "OneHotMeanIoU", initialize=_one_hot_mean_iou_initialize, inherit=metric_mean_iou,
    higher_is_better=True)
