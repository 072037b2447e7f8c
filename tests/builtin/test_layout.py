"""The builtin layout: `higher_is_better` everywhere, annotated constructors, one-way imports."""

import ast
import inspect
import sys
from pathlib import Path

import numpy as np
import pytest
import typeguard

import metricdsl as md
import metricdsl.builtin as builtin

#: Every builtin class and its direction (None: a total, a mean or a raw count).
HIGHER_IS_BETTER = {
    "metric_sum": None, "metric_mean": None, "metric_mean_wrapper": None,
    "metric_accuracy": True, "metric_binary_accuracy": True, "metric_categorical_accuracy": True,
    "metric_sparse_categorical_accuracy": True, "metric_top_k_categorical_accuracy": True,
    "metric_sparse_top_k_categorical_accuracy": True,
    "metric_binary_crossentropy": False, "metric_categorical_crossentropy": False,
    "metric_sparse_categorical_crossentropy": False, "metric_kl_divergence": False,
    "metric_poisson": False,
    "metric_mean_squared_error": False, "metric_mean_absolute_error": False,
    "metric_mean_absolute_percentage_error": False,
    "metric_mean_squared_logarithmic_error": False, "metric_root_mean_squared_error": False,
    "metric_log_cosh_error": False, "metric_cosine_similarity": True, "metric_r2_score": True,
    "metric_hinge": False, "metric_squared_hinge": False, "metric_categorical_hinge": False,
    "metric_pearson_correlation": True, "metric_concordance_correlation": True,
    "metric_true_positives": None, "metric_false_positives": None,
    "metric_true_negatives": None, "metric_false_negatives": None,
    "metric_precision": True, "metric_recall": True, "metric_auc": True,
    "metric_sensitivity_at_specificity": True, "metric_specificity_at_sensitivity": True,
    "metric_precision_at_recall": True, "metric_recall_at_precision": True,
    "metric_fbeta_score": True, "metric_f1_score": True,
    "metric_iou": True, "metric_mean_iou": True, "metric_binary_iou": True,
    "metric_one_hot_iou": True, "metric_one_hot_mean_iou": True,
    "metric_multiclass_precision": True, "metric_multiclass_recall": True,
    "metric_multiclass_f1_score": True, "metric_confusion_matrix": None,
    "metric_matthews_correlation": True, "metric_cohen_kappa": True,
    "metric_balanced_accuracy": True, "metric_average_precision": True, "metric_exact_auc": True,
    "metric_brier_score": False, "metric_expected_calibration_error": False,
    "metric_explained_variance": True, "metric_ndcg": True, "metric_mean_reciprocal_rank": True,
    "metric_hit_rate": True, "metric_mean_average_precision_at_k": True,
}

CLASSES = sorted(n for n in builtin.__all__ if isinstance(getattr(builtin, n), type))


def test_the_table_lists_every_builtin_class():
    assert sorted(HIGHER_IS_BETTER) == CLASSES


@pytest.mark.parametrize("name", CLASSES)
def test_higher_is_better_is_a_public_class_attribute(name):
    cls = getattr(builtin, name)
    assert "higher_is_better" in vars(cls), "declared on the class itself, not only inherited"
    assert cls.higher_is_better is HIGHER_IS_BETTER[name]
    assert not hasattr(cls, "_direction")


def test_user_subclasses_inherit_higher_is_better():
    def initialize(name="strict", dtype=None):
        super.initialize(name=name, dtype=dtype, threshold=0.9)

    Strict = md.Metric("Strict", initialize=initialize, inherit=md.metric_binary_accuracy)
    assert Strict.higher_is_better is True and Strict().higher_is_better is True


def _annotations(cls):
    module = sys.modules[cls.__module__]
    namespace = {**vars(module), **vars(sys.modules["numbers"])}
    return {p.name: eval(p.annotation, namespace)  # annotation strings of our code
            for p in inspect.signature(cls).parameters.values()
            if p.kind is not p.VAR_KEYWORD}


@pytest.mark.parametrize("name", CLASSES)
def test_every_constructor_parameter_is_annotated(name):
    cls = getattr(builtin, name)
    params = [p for p in inspect.signature(cls).parameters.values() if p.kind is not p.VAR_KEYWORD]
    assert all(p.annotation is not inspect.Parameter.empty for p in params)
    hints = _annotations(cls)
    for param in params:  # the defaults satisfy their own annotations
        if param.default is not inspect.Parameter.empty:
            typeguard.check_type(param.default, hints[param.name])


#: Values Keras accepts that a too narrow annotation would reject.
KERAS_ACCEPTS = [
    ("metric_auc", "num_thresholds", np.int64(10)), ("metric_auc", "thresholds", [0.2, 0.7]),
    ("metric_auc", "thresholds", 0.5), ("metric_auc", "curve", "pr"),
    ("metric_precision", "thresholds", np.float32(0.5)), ("metric_precision", "top_k", 2),
    ("metric_precision", "dtype", np.float32), ("metric_precision", "dtype", "float32"),
    ("metric_precision_at_recall", "recall", np.float32(0.5)),
    ("metric_precision_at_recall", "recall", 1), ("metric_iou", "target_class_ids", (0, 1)),
    ("metric_binary_accuracy", "threshold", 1), ("metric_cosine_similarity", "axis", [0, 1]),
    ("metric_r2_score", "num_regressors", np.int64(2)),
    ("metric_r2_score", "class_aggregation", None),
    ("metric_fbeta_score", "beta", 2.0), ("metric_sum", "name", None),
]


@pytest.mark.parametrize("name, argument, value", KERAS_ACCEPTS)
def test_annotations_accept_what_keras_accepts(name, argument, value):
    typeguard.check_type(value, _annotations(getattr(builtin, name))[argument])


FAMILIES = {"accuracy", "confusion", "thresholds", "correlation", "f_score", "hinge", "iou",
            "probabilistic", "regression", "classification", "calibration", "ranking"}
CONFUSION = {"confusion", "thresholds"}


@pytest.mark.parametrize("module", sorted(FAMILIES | {"reduction"}))
def test_builtin_modules_import_kernels_from_functional_and_no_other_family(module):
    path = Path(builtin.__file__).parent / f"{module}.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = (node.module or "").split(".")[0]
            if node.level == 1:  # a sibling in builtin/
                assert target not in FAMILIES, f"{module} imports the {target} family"
                assert not any(a.name.startswith("_") for a in node.names), node.module
            else:
                # kernels, the factory, and the plot members (matplotlib loads only when drawing)
                assert target in ("", "functional", "factory", "plot"), \
                    f"{module} imports ..{target}"


def test_no_module_is_over_600_lines():
    root = Path(md.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines())
             for d in ("builtin", "functional") for p in (root / d).glob("*.py")}
    assert max(sizes.values()) <= 600, sizes
