"""Members shared by builtins of several families (not kernels: they use the metric)."""

from __future__ import annotations

from ..functional._common import check_pair, metric_label

__all__ = ["paired_update_state"]


def paired_update_state(y_true, y_pred, sample_weight=None):
    """Add a batch's per-sample values to the weighted mean, after a shape check.

    Args:
        y_true: Targets.
        y_pred: Predictions; shapes must broadcast after Keras's rank alignment.
        sample_weight: Optional weights: scalar, ``(N,)``, ``(N, 1)`` or the
            per-sample values' shape.

    Raises:
        ValueError: if the shapes of ``y_true`` and ``y_pred`` (or
            ``sample_weight``) do not broadcast.
    """
    check_pair(metric_label(self), y_true, y_pred)
    super.update_state(y_true, y_pred, sample_weight=sample_weight)
