"""A metric module with no declarations of ``self``/``super``: pyright reads them from a copy
of the project's ``__builtins__.pyi`` at the checked project's root (docs/types.md)."""

import metricdsl as md
from metricdsl import Metric, ops


def initialize(name="positives", **kwargs):
    super.initialize(name=name, **kwargs)
    self.positives = self.add_variable((), "zeros", name="positives")


def update_state(y_true, y_pred, sample_weight=None):
    self.positives.assign_add(ops.sum(ops.cast(ops.greater(y_pred, 0.5), "float32")))


Positives = Metric("Positives", initialize=initialize, update_state=update_state,
                   result=lambda: self.positives)
positives = Positives(name="p")
auc = md.metric_auc(num_thresholds=10)
