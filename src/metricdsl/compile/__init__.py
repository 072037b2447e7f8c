"""`compile_metrics` and `MetricCollection`: Keras ``compile(metrics=...)`` outside a model.

A collection resolves what Keras's ``compile`` accepts (strings, classes,
instances, callables, config dicts; a list, a dict per output, or a list of
lists per output), names the results exactly as Keras 3 logs them, and
updates all its metrics in one jitted call.

Modules, one idea each: `resolve` (one entry → a metric), `structure` (how
outputs flatten and which entries go to which output), `member` (one metric
of a collection), `build` (members from the configuration and the first
batch), `naming` (Keras's result keys), `store` (the packed
variables), `fused` (the one jitted update), `merge` (merging states),
`collection` (`MetricCollection`), `configure` (`compile_metrics`), `errors`;
``seam`` names everything the package uses of the metric base, variables and tracing.
"""

from .collection import MetricCollection
from .configure import compile_metrics
from .errors import CompileMetricsError
from .resolve import resolve_entry

__all__ = ["CompileMetricsError", "MetricCollection", "compile_metrics", "resolve_entry"]
