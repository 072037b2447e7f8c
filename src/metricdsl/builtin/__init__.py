"""The builtin metrics, one module per family, each defined with `Metric()`."""

# ruff: noqa: F405 - the names in __all__ come from the star imports

from .accuracy import *  # noqa: F403
from .calibration import *  # noqa: F403
from .classification import *  # noqa: F403
from .confusion import *  # noqa: F403
from .correlation import *  # noqa: F403
from .f_score import *  # noqa: F403
from .hinge import *  # noqa: F403
from .iou import *  # noqa: F403
from .probabilistic import *  # noqa: F403
from .ranking import *  # noqa: F403
from .reduction import metric_mean as metric_mean
from .reduction import metric_mean_wrapper as metric_mean_wrapper
from .reduction import metric_sum as metric_sum
from .regression import *  # noqa: F403
from .thresholds import *  # noqa: F403

# Every metric_* name of the family modules, sorted (tests/test_typing.py keeps it in sync).
__all__ = [
    "metric_accuracy", "metric_auc", "metric_average_precision", "metric_balanced_accuracy",
    "metric_binary_accuracy", "metric_binary_crossentropy", "metric_binary_focal_crossentropy",
    "metric_binary_iou", "metric_brier_score", "metric_categorical_accuracy",
    "metric_categorical_crossentropy", "metric_categorical_focal_crossentropy",
    "metric_categorical_hinge", "metric_cohen_kappa", "metric_concordance_correlation",
    "metric_confusion_matrix", "metric_cosine_similarity", "metric_exact_auc",
    "metric_expected_calibration_error",
    "metric_explained_variance", "metric_f1_score", "metric_false_negatives",
    "metric_false_positives", "metric_fbeta_score", "metric_hinge", "metric_hit_rate",
    "metric_huber", "metric_iou", "metric_kl_divergence", "metric_log_cosh",
    "metric_log_cosh_error", "metric_matthews_correlation", "metric_mean",
    "metric_mean_absolute_error", "metric_mean_absolute_percentage_error",
    "metric_mean_average_precision_at_k", "metric_mean_iou", "metric_mean_reciprocal_rank",
    "metric_mean_squared_error", "metric_mean_squared_logarithmic_error", "metric_mean_wrapper",
    "metric_multiclass_f1_score", "metric_multiclass_precision", "metric_multiclass_recall",
    "metric_ndcg", "metric_one_hot_iou", "metric_one_hot_mean_iou", "metric_pearson_correlation",
    "metric_poisson", "metric_precision", "metric_precision_at_recall", "metric_r2_score",
    "metric_recall", "metric_recall_at_precision", "metric_root_mean_squared_error",
    "metric_sensitivity_at_specificity", "metric_sparse_categorical_accuracy",
    "metric_sparse_categorical_crossentropy", "metric_sparse_top_k_categorical_accuracy",
    "metric_specificity_at_sensitivity", "metric_squared_hinge", "metric_sum",
    "metric_top_k_categorical_accuracy", "metric_true_negatives", "metric_true_positives",
]
