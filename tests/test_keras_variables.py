"""`m.variables` is Keras's list: names, count, order, shapes and dtypes, for every builtin.

The table was read off Keras 3.15.1 on the JAX backend (constructed with the
arguments below; lazily built metrics after one (4, 3) batch). A marked test
compares with a live Keras where one is installed. metricdsl's exactness
state (the residuals of compensated sums) is auxiliary, not a variable.
"""

import os

import numpy as np
import pytest

import metricdsl as md
from metricdsl import registry

# Keras 3.15.1, JAX backend: (name, shape, dtype) of each variable, in order.
KERAS_VARIABLES = {'AUC': [('true_positives', (200,), 'float32'),
         ('false_positives', (200,), 'float32'),
         ('true_negatives', (200,), 'float32'),
         ('false_negatives', (200,), 'float32')],
 'AUC(multi_label=True)': [('true_positives', (200, 3), 'float32'),
                           ('false_positives', (200, 3), 'float32'),
                           ('true_negatives', (200, 3), 'float32'),
                           ('false_negatives', (200, 3), 'float32')],
 'Accuracy': [('total', (), 'float32'), ('count', (), 'float32')],
 'BinaryAccuracy': [('total', (), 'float32'), ('count', (), 'float32')],
 'BinaryCrossentropy': [('total', (), 'float32'), ('count', (), 'float32')],
 'BinaryIoU': [('total_confusion_matrix', (2, 2), 'int32')],
 'CategoricalAccuracy': [('total', (), 'float32'), ('count', (), 'float32')],
 'CategoricalCrossentropy': [('total', (), 'float32'), ('count', (), 'float32')],
 'CategoricalHinge': [('total', (), 'float32'), ('count', (), 'float32')],
 'ConcordanceCorrelation': [('total', (), 'float32'), ('count', (), 'float32')],
 'CosineSimilarity': [('total', (), 'float32'), ('count', (), 'float32')],
 'F1Score': [('true_positives', (3,), 'float32'),
             ('false_positives', (3,), 'float32'),
             ('false_negatives', (3,), 'float32'),
             ('intermediate_weights', (3,), 'float32')],
 'FBetaScore': [('true_positives', (3,), 'float32'),
                ('false_positives', (3,), 'float32'),
                ('false_negatives', (3,), 'float32'),
                ('intermediate_weights', (3,), 'float32')],
 'FalseNegatives': [('accumulator', (1,), 'float32')],
 'FalsePositives': [('accumulator', (1,), 'float32')],
 'Hinge': [('total', (), 'float32'), ('count', (), 'float32')],
 'IoU': [('total_confusion_matrix', (3, 3), 'int32')],
 'KLDivergence': [('total', (), 'float32'), ('count', (), 'float32')],
 'LogCoshError': [('total', (), 'float32'), ('count', (), 'float32')],
 'Mean': [('total', (), 'float32'), ('count', (), 'float32')],
 'MeanAbsoluteError': [('total', (), 'float32'), ('count', (), 'float32')],
 'MeanAbsolutePercentageError': [('total', (), 'float32'), ('count', (), 'float32')],
 'MeanIoU': [('total_confusion_matrix', (3, 3), 'int32')],
 'MeanMetricWrapper': [('total', (), 'float32'), ('count', (), 'float32')],
 'MeanSquaredError': [('total', (), 'float32'), ('count', (), 'float32')],
 'MeanSquaredLogarithmicError': [('total', (), 'float32'), ('count', (), 'float32')],
 'OneHotIoU': [('total_confusion_matrix', (3, 3), 'int32')],
 'OneHotMeanIoU': [('total_confusion_matrix', (3, 3), 'int32')],
 'PearsonCorrelation': [('total', (), 'float32'), ('count', (), 'float32')],
 'Poisson': [('total', (), 'float32'), ('count', (), 'float32')],
 'Precision': [('true_positives', (1,), 'float32'), ('false_positives', (1,), 'float32')],
 'PrecisionAtRecall': [('true_positives', (200,), 'float32'),
                       ('false_positives', (200,), 'float32'),
                       ('true_negatives', (200,), 'float32'),
                       ('false_negatives', (200,), 'float32')],
 'R2Score': [('num_samples', (), 'float32'),
             ('squared_sum', (3,), 'float32'),
             ('sum', (3,), 'float32'),
             ('residual', (3,), 'float32'),
             ('count', (3,), 'float32')],
 'Recall': [('true_positives', (1,), 'float32'), ('false_negatives', (1,), 'float32')],
 'RecallAtPrecision': [('true_positives', (200,), 'float32'),
                       ('false_positives', (200,), 'float32'),
                       ('true_negatives', (200,), 'float32'),
                       ('false_negatives', (200,), 'float32')],
 'RootMeanSquaredError': [('total', (), 'float32'), ('count', (), 'float32')],
 'SensitivityAtSpecificity': [('true_positives', (200,), 'float32'),
                              ('false_positives', (200,), 'float32'),
                              ('true_negatives', (200,), 'float32'),
                              ('false_negatives', (200,), 'float32')],
 'SparseCategoricalAccuracy': [('total', (), 'float32'), ('count', (), 'float32')],
 'SparseCategoricalCrossentropy': [('total', (), 'float32'), ('count', (), 'float32')],
 'SparseTopKCategoricalAccuracy': [('total', (), 'float32'), ('count', (), 'float32')],
 'SpecificityAtSensitivity': [('true_positives', (200,), 'float32'),
                              ('false_positives', (200,), 'float32'),
                              ('true_negatives', (200,), 'float32'),
                              ('false_negatives', (200,), 'float32')],
 'SquaredHinge': [('total', (), 'float32'), ('count', (), 'float32')],
 'Sum': [('total', (), 'float32')],
 'TopKCategoricalAccuracy': [('total', (), 'float32'), ('count', (), 'float32')],
 'TrueNegatives': [('accumulator', (1,), 'float32')],
 'TruePositives': [('accumulator', (1,), 'float32')]}

# Constructor arguments the table was made with (others: Keras's defaults).
ARGUMENTS = {'IoU': {'num_classes': 3, 'target_class_ids': [0, 1]},
 'MeanIoU': {'num_classes': 3},
 'OneHotIoU': {'num_classes': 3, 'target_class_ids': [0]},
 'OneHotMeanIoU': {'num_classes': 3},
 'PrecisionAtRecall': {'recall': 0.5},
 'RecallAtPrecision': {'precision': 0.5},
 'SensitivityAtSpecificity': {'specificity': 0.5},
 'SpecificityAtSensitivity': {'sensitivity': 0.5}}

LAZY = {"F1Score", "FBetaScore", "R2Score", "AUC(multi_label=True)"}


def _build(key):
    rng = np.random.default_rng(0)
    y_pred = rng.uniform(size=(4, 3)).astype("float32")
    if key == "AUC(multi_label=True)":
        metric = md.metric_auc(multi_label=True)
        metric.update_state(y_pred > 0.5, y_pred)
        return metric
    if key == "MeanMetricWrapper":
        return md.metric_mean_wrapper(md.metric_mean_squared_error)
    cls = next(c for c in registry.builtin_classes().values() if c.__name__ == key)
    metric = cls(**ARGUMENTS.get(key, {}))
    if key in LAZY:
        metric.update_state(y_pred, y_pred)
    return metric


def _layout(metric):
    return [(v.name, tuple(v.shape), str(v.dtype)) for v in metric.variables]


BEYOND_KERAS = ("metricdsl.builtin.classification", "metricdsl.builtin.calibration",
                "metricdsl.builtin.ranking")  # metricdsl's own metrics: no Keras counterpart


def test_the_table_covers_every_keras_builtin_class():
    names = {c.__name__ for c in registry.builtin_classes().values()
             if c.__module__ not in BEYOND_KERAS}
    assert len(names) == 45 and names <= set(KERAS_VARIABLES)


@pytest.mark.parametrize("key", sorted(KERAS_VARIABLES))
def test_variables_equal_keras(key):
    assert _layout(_build(key)) == KERAS_VARIABLES[key]


@pytest.mark.keras
@pytest.mark.parametrize("key", ["AUC", "Mean", "R2Score", "F1Score", "MeanIoU", "Precision"])
def test_the_table_is_what_keras_reports(key):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    cls = getattr(keras.metrics, key)
    metric = cls(**ARGUMENTS.get(key, {}))
    if key in LAZY:
        y = rng.uniform(size=(4, 3)).astype("float32")
        metric.update_state(y, y)
    layout = [(v.path.split("/")[-1], tuple(v.shape), str(v.dtype)) for v in metric.variables]
    assert layout == KERAS_VARIABLES[key]
