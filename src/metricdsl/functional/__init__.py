"""The pure kernels behind the builtin metrics, one module per family.

Each kernel is a typed function of arrays and static configuration, with no
metric, state or ``self``: per-sample values (``mean_squared_error``), one
batch's additive sums (``confusion_counts``, ``r2_batch_sums``), or a result
from accumulated sums (``auc_from_counts``, ``r2_score``). The builtin
metrics in `metricdsl.builtin` only call them, so a kernel can be used on its
own, under ``jax.jit`` or inside a training step, and gives exactly the
metric's numbers (the layout of torchmetrics' ``functional/`` and optax's
``losses``). Kernels that raise label their message ``"metric_<name>: ..."``.

Example:
    >>> from metricdsl import functional as F
    >>> F.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
    [0.5]
"""

from ._common import float_pred, samplewise_values, weighted_sum, weighted_total_and_count
from .accuracy import (
                       accuracy,
                       binary_accuracy,
                       categorical_accuracy,
                       check_k,
                       sparse_categorical_accuracy,
                       sparse_top_k_categorical_accuracy,
                       top_k_categorical_accuracy,
)
from .calibration import (
                       MULTIOUTPUT,
                       CalibrationBins,
                       ExplainedVarianceSums,
                       brier_score,
                       calibration_bins,
                       expected_calibration_error,
                       explained_variance,
                       explained_variance_sums,
)
from .classification import (
                       AVERAGES,
                       ClassCounts,
                       average_precision_from_counts,
                       balanced_accuracy,
                       check_average,
                       check_num_classes,
                       check_option,
                       check_zero_division,
                       class_confusion_matrix,
                       class_counts,
                       class_labels,
                       cohen_kappa,
                       matthews_correlation,
                       multiclass_f1_score,
                       multiclass_precision,
                       multiclass_recall,
                       normalized_confusion_matrix,
)
from .confusion import (
                       NEG_INF,
                       AUCCurve,
                       AUCSummationMethod,
                       ConfusionCounts,
                       RateConstraint,
                       Thresholds,
                       aligned_inputs,
                       auc_from_counts,
                       bucket_histogram,
                       check_int,
                       check_unit,
                       confusion_counts,
                       counts_from_histogram,
                       curve_points,
                       evenly_spaced_thresholds,
                       filter_top_k,
                       is_evenly_distributed,
                       one_or_all,
                       parse_choice,
                       parse_thresholds,
                       precision_from_counts,
                       rate_at_constraint,
                       recall_from_counts,
                       single_threshold_counts,
                       threshold_buckets,
)
from .correlation import concordance_correlation, pearson_correlation
from .curves import (
                       CURVES,
                       EXACT_COUNT,
                       accumulate_score_histogram,
                       check_num_bins,
                       curve_error_bound,
                       curve_from_histogram,
                       score_bins,
)
from .f_score import fbeta_counts, fbeta_from_counts, fbeta_predictions
from .hinge import categorical_hinge, hinge, squared_hinge
from .iou import binary_labels, confusion_matrix, iou_from_confusion_matrix
from .probabilistic import (
                       binary_crossentropy,
                       binary_focal_crossentropy,
                       categorical_crossentropy,
                       categorical_focal_crossentropy,
                       ignored_class_sample_weight,
                       kl_divergence,
                       poisson,
                       sparse_categorical_crossentropy,
)
from .ranking import hit_rate, mean_average_precision_at_k, ndcg, reciprocal_rank
from .regression import (
                       cosine_similarity,
                       huber,
                       log_cosh,
                       mean_absolute_error,
                       mean_absolute_percentage_error,
                       mean_squared_error,
                       mean_squared_logarithmic_error,
                       r2_batch_sums,
                       r2_score,
                       squared_error,
)
from .shared import SharedState, sharing

__all__ = [  # noqa: RUF022 - grouped by family, sorted within each
    # accuracy
    "accuracy", "binary_accuracy", "categorical_accuracy", "check_k",
    "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
    # confusion
    "AUCCurve", "AUCSummationMethod", "ConfusionCounts", "NEG_INF", "RateConstraint",
    "Thresholds", "aligned_inputs", "auc_from_counts", "bucket_histogram", "check_int",
    "check_unit", "confusion_counts", "counts_from_histogram", "curve_points",
    "evenly_spaced_thresholds",
    "filter_top_k", "is_evenly_distributed", "one_or_all", "parse_choice", "parse_thresholds",
    "precision_from_counts", "rate_at_constraint", "recall_from_counts",
    "single_threshold_counts", "threshold_buckets",
    # calibration
    "CalibrationBins", "ExplainedVarianceSums", "MULTIOUTPUT", "brier_score", "calibration_bins",
    "expected_calibration_error", "explained_variance", "explained_variance_sums",
    # classification
    "AVERAGES", "ClassCounts", "average_precision_from_counts", "balanced_accuracy",
    "check_average", "check_num_classes",
    "check_option", "check_zero_division", "class_confusion_matrix", "class_counts",
    "class_labels", "cohen_kappa", "matthews_correlation", "multiclass_f1_score",
    "multiclass_precision", "multiclass_recall", "normalized_confusion_matrix",
    # correlation
    "concordance_correlation", "pearson_correlation",
    # curves
    "CURVES", "EXACT_COUNT", "accumulate_score_histogram", "check_num_bins",
    "curve_error_bound", "curve_from_histogram", "score_bins",
    # f_score
    "fbeta_counts", "fbeta_from_counts", "fbeta_predictions",
    # shared state
    "SharedState", "sharing",
    # hinge
    "categorical_hinge", "hinge", "squared_hinge",
    # iou
    "binary_labels", "confusion_matrix", "iou_from_confusion_matrix",
    # probabilistic
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "ignored_class_sample_weight", "kl_divergence", "poisson",
    "sparse_categorical_crossentropy",
    # ranking
    "hit_rate", "mean_average_precision_at_k", "ndcg", "reciprocal_rank",
    # regression
    "cosine_similarity", "huber", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "r2_batch_sums", "r2_score", "squared_error",
    # reduction
    "float_pred", "samplewise_values", "weighted_sum", "weighted_total_and_count",
]
