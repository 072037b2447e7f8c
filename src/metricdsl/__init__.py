"""metricdsl: Keras-3-compatible machine-learning metrics on JAX, declared with ``Metric()``."""

# ruff: noqa: F405 - the builtins in __all__ come from the star import

from typing import TYPE_CHECKING

from . import config, ops
from .analytics import bootstrap, sliced
from .base import MetricEagerWarning
from .builtin import *  # noqa: F403
from .compile import MetricCollection, compile_metrics
from .evaluation import History, evaluate
from .factory import Metric, MetricDefinitionError, custom_metric
from .registry import deserialize, get, register, serialize
from .scope import active_property, mark_active
from .state import State
from .variables import Variable

if TYPE_CHECKING:  # for type checkers; at run time these load on first use
    from . import distributed, nnx, plot, testing
    from . import keras as keras
    from .checkpoint import load_state, save_state

__all__ = [
    "History", "Metric", "MetricCollection", "MetricDefinitionError", "MetricEagerWarning",
    "State", "Variable", "active_property", "bootstrap", "compile_metrics", "config",
    "custom_metric", "deserialize", "distributed", "evaluate", "get", "load_state", "mark_active",
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
    "metric_top_k_categorical_accuracy", "metric_true_negatives", "metric_true_positives", "nnx",
    "ops", "plot", "register", "save_state", "serialize", "sliced", "testing",
]
__version__ = "0.1.0"


_LAZY_MODULES = ("keras", "distributed", "testing", "checkpoint", "nnx", "plot")
_LAZY_FUNCTIONS = {"save_state": "checkpoint", "load_state": "checkpoint"}


def __getattr__(name: str):
    """Modules and functions load on first use (``md.keras``, ``md.distributed``,
    ``md.testing``, ``md.nnx``, ``md.plot``, ``md.save_state``), keeping ``import metricdsl``
    fast."""
    if name in _LAZY_MODULES or name in _LAZY_FUNCTIONS:
        import importlib

        module = importlib.import_module(f".{_LAZY_FUNCTIONS.get(name, name)}", __name__)
        return getattr(module, name) if name in _LAZY_FUNCTIONS else module
    raise AttributeError(f"module 'metricdsl' has no attribute {name!r}")
