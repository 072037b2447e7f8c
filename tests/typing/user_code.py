"""User code that must type-check cleanly with pyright (basic) and mypy.

tests/test_typing.py runs both checkers on this file, as a user project outside
metricdsl would: it imports the installed package and declares the names that
``Metric()`` puts in scope inside metric methods (the recipe of docs/types.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import metricdsl as md
from metricdsl import Metric, ops

if TYPE_CHECKING:  # names that Metric() puts in scope inside metric methods
    self: Any
    private: Any
    super: Any


# R keras3's three call shapes of the builtins.
auc = md.metric_auc(num_thresholds=50, curve="PR", name="pr_auc")  # class-only
auc.update_state([0, 1, 1], [0.2, 0.7, 0.9])
auc_value = auc.result()
precision = md.metric_precision_at_recall(0.7, num_thresholds=100)  # Keras's positional order
mse_values = md.metric_mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])  # dual, with data
mse = md.metric_mean_squared_error(name="mse")  # dual, a metric
mse.update_state([[0.0, 1.0]], [[1.0, 1.0]], sample_weight=[0.5])
accuracy_values = md.metric_top_k_categorical_accuracy([[0, 1]], [[0.3, 0.7]], k=1)
huber_values = md.metric_huber([[0.0, 1.0]], [[0.5, 0.5]], delta=0.5)  # function-only
focal = md.metric_binary_focal_crossentropy([[0, 1]], [[0.4, 0.6]], gamma=2.0)
threshold_metric = md.metric_binary_accuracy(threshold=0.4)
state = mse.stateless_update_state(mse.stateless_reset_state(), [[1.0]], [[0.0]])
print(float(mse.stateless_result(state)), isinstance(mse, md.metric_mean_squared_error))

# A mean over a named per-sample function.
mean_prediction = md.custom_metric("mean_prediction", lambda y_true, y_pred: ops.mean(y_pred))
wrapped = md.metric_mean_wrapper(mean_prediction, name="mean_prediction")


# Metric() with free self/super, in each of its call forms.
def initialize(name="batch_count", **kwargs):
    super.initialize(name=name, **kwargs)
    self.count = self.add_variable((), "zeros", name="count")


def update_state(y_true, y_pred, sample_weight=None):
    self.count.assign_add(1)


def result():
    return self.count


BatchCount = Metric("BatchCount", initialize, update_state, result)
BatchCountByName = Metric("BatchCount", initialize=initialize, update_state=update_state,
                          result=result)
batches = BatchCount(name="steps")
batches.update_state([1], [1])


def threshold_initialize(threshold: float = 0.5, name: str | None = None,
                         dtype: Any = None) -> None:
    super.initialize(name=name, dtype=dtype)
    self.threshold = threshold
    self.hits = self.add_variable((), "zeros", name="hits")


Above = Metric("Above", initialize=threshold_initialize,
               update_state=lambda y_true, y_pred, sample_weight=None: self.hits.assign_add(
                   ops.sum(ops.cast(ops.greater(y_pred, self.threshold), "float32"))),
               result=lambda: self.hits)
above = Above(0.3, name="above")
above_by_keyword = Above(threshold=0.7)

# inherit= without initialize keeps the parent's constructor.
ScaledError = Metric("ScaledError", inherit=md.metric_mean_absolute_error,
                     result=lambda: 2 * super.result())
scaled = ScaledError(name="twice_mae")


# A class statement works too.
class TypingTotal(Metric):
    """Sum of predictions."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(y_pred))

    def result(self):
        return self.total


total = md.register(TypingTotal)(name="total")
plain = Metric(name="plain")

# Collections, evaluation, the registry.
collection = md.compile_metrics(["accuracy", md.metric_auc(num_thresholds=20)])
collection.update_state([[0.0], [1.0]], [[0.2], [0.9]])
results: dict[str, Any] = md.evaluate(md.metric_mean(), [([1.0], [2.0])], progress=False)
config: dict[str, Any] = md.serialize(md.metric_mean(name="m"))
rebuilt = md.deserialize(config)
named: md.Metric = md.get("mse")
again = md.get(auc)
restored_auc = md.metric_auc.from_config(auc.get_config())
