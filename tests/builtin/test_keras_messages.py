"""Keras 3.15's error texts: where Keras raises for a bad argument or input, ours contains it.

Every ``raise`` of ``keras/src/metrics`` that a public metric can reach is
mirrored below: our message starts with the metric's label, contains
Keras's text verbatim, then says how to fix the call. Where keras is
installed, the `keras`-marked test checks that Keras really raises that
text for the same call.

Keras raises with no counterpart here, and why:
- ``AUC``: ``Invalid `curve` argument value`` / ``summation_method`` for an
  enum member outside the enum: unreachable (a member is always in its enum).
- ``metrics_utils.update_confusion_matrix_variables``: ``label_weights`` for
  multilabel data, "Please provide at least one valid confusion matrix
  variable", "Invalid keys": arguments of a Keras-internal helper that no
  public metric passes wrongly.
- ``FBetaScore``/``R2Score``: "with output_dim fully defined (not None)":
  JAX arrays have no unknown dimensions.
- ``R2Score.result`` warnings (more regressors than samples): they depend on
  the accumulated state; metricdsl's result runs under ``jax.jit`` and falls
  back silently (documented on `metric_r2_score`).
- ``IoU`` warning for float weights with an integer dtype: a warning from
  traced code fires once per compilation rather than per call, so the
  truncation is documented on each IoU metric instead.
- ``metric.py`` (variable creation, ``result`` before ``build``) and
  ``metrics.get``: raised by the base class and the registry, not by a builtin.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import metricdsl as md

Y4 = (np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.1, 0.8, 0.6, 0.3]))


def _update(metric):
    metric.update_state(*Y4)


#: (id, class name, constructor args, kwargs, whether update_state raises, Keras's text).
CASES = [
    ("thresholds", "Precision", (), {"thresholds": [-1, 2]}, False,
     "Threshold values must be in [0, 1]. Received: [-1, 2]"),
    ("thresholds_tp", "TruePositives", (), {"thresholds": [0.5, 1.5]}, False,
     "Threshold values must be in [0, 1]. Received: [1.5]"),
    ("auc_num_thresholds", "AUC", (), {"num_thresholds": 1}, False,
     "Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=1"),
    ("at_num_thresholds", "SensitivityAtSpecificity", (0.5,), {"num_thresholds": 0}, False,
     "Argument `num_thresholds` must be an integer > 0. Received: num_thresholds=0"),
    ("specificity", "SensitivityAtSpecificity", (1.5,), {}, False,
     "Argument `specificity` must be in the range [0, 1]. Received: specificity=1.5"),
    ("sensitivity", "SpecificityAtSensitivity", (-0.5,), {}, False,
     "Argument `sensitivity` must be in the range [0, 1]. Received: sensitivity=-0.5"),
    ("recall", "PrecisionAtRecall", (2,), {}, False,
     "Argument `recall` must be in the range [0, 1]. Received: recall=2"),
    ("precision", "RecallAtPrecision", (1.1,), {}, False,
     "Argument `precision` must be in the range [0, 1]. Received: precision=1.1"),
    ("auc_curve", "AUC", (), {"curve": "Invalid"}, False,
     'Invalid AUC curve value: "Invalid". Expected values are ["PR", "ROC", "PRGAIN"]'),
    ("auc_summation", "AUC", (), {"summation_method": "Invalid"}, False,
     'Invalid AUC summation method value: "Invalid". '
     'Expected values are ["interpolation", "majoring", "minoring"]'),
    ("auc_num_labels", "AUC", (), {"num_labels": 3}, False,
     "`num_labels` is needed only when `multi_label` is True."),
    ("auc_multi_label_rank", "AUC", (), {"multi_label": True}, True,
     "`y_pred` must have rank 2 when `multi_label=True`. Found rank 1. "
     "Full shape received for `y_pred`: (4,)"),
    ("class_id", "Precision", (), {"class_id": 0}, True,
     "When class_id is provided, y_pred must be a 2D array with shape "
     "(num_samples, num_classes), found shape: (4,)"),
    ("fbeta_average", "FBetaScore", (), {"average": "binary"}, False,
     "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', 'weighted'}. "
     "Received: average=binary"),
    ("fbeta_beta_type", "FBetaScore", (), {"beta": 1}, False,
     "Invalid `beta` argument value. It should be a Python float. "
     "Received: beta=1 of type '<class 'int'>'"),
    ("fbeta_beta_value", "FBetaScore", (), {"beta": 0.0}, False,
     "Invalid `beta` argument value. It should be > 0. Received: beta=0.0"),
    ("fbeta_threshold_type", "FBetaScore", (), {"threshold": 1}, False,
     "Invalid `threshold` argument value. It should be a Python float. "
     "Received: threshold=1 of type '<class 'int'>'"),
    ("fbeta_threshold_value", "FBetaScore", (), {"threshold": 1.5}, False,
     "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
     "Received: threshold=1.5"),
    ("fbeta_rank", "FBetaScore", (), {}, True,
     "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
     "shapes: y_pred.shape=(4,) and y_true.shape=(4,)."),
    ("f1_rank", "F1Score", (), {}, True,
     "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
     "shapes: y_pred.shape=(4,) and y_true.shape=(4,)."),
    ("iou_class_id", "IoU", (2, [5]), {}, False,
     "Target class id 5 is out of range, which is [0, 2)."),
    ("r2_aggregation", "R2Score", (), {"class_aggregation": "median"}, False,
     "Invalid value for argument `class_aggregation`. Expected one of "
     "(None, 'uniform_average', 'variance_weighted_average'). Received: class_aggregation=median"),
    ("r2_regressors", "R2Score", (), {"num_regressors": -1}, False,
     "Invalid value for argument `num_regressors`. Expected a value >= 0. "
     "Received: num_regressors=-1"),
    ("r2_rank", "R2Score", (), {}, True,
     "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
     "shapes: y_pred.shape=(4,) and y_true.shape=(4,)."),
]
IDS = [case[0] for case in CASES]

#: Our builtin for each Keras class name used above.
OURS = {cls.__name__: cls for cls in (getattr(md, n) for n in md.__all__)
        if isinstance(cls, type) and issubclass(cls, md.Metric)}


def _raise(ctor, args, kwargs, on_update):
    if on_update:
        _update(ctor(*args, **kwargs))
    else:
        ctor(*args, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_our_message_contains_keras_text_and_names_the_metric(case):
    _, class_name, args, kwargs, on_update, text = case
    with pytest.raises(ValueError) as info:
        _raise(OURS[class_name], args, kwargs, on_update)
    message = str(info.value)
    assert text in message
    assert message.startswith(class_name)  # "<ClassName>" or "<ClassName> '<name>'"
    assert len(message) > len(text) + len(class_name) + 2, "a fix follows Keras's text"


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_keras_raises_the_same_text(case):
    keras = pytest.importorskip("keras")
    _, class_name, args, kwargs, on_update, text = case
    with pytest.raises(ValueError) as info:
        _raise(getattr(keras.metrics, class_name), args, kwargs, on_update)
    assert text in str(info.value)
