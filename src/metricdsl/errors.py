"""Every exception and warning metricdsl raises of its own, in one place.

Each subclasses the builtin it refines (a definition error is a ``TypeError``
and a ``ValueError``; an unknown identifier a ``ValueError``), so code that
catches the builtin keeps working. Messages follow one format: an instance
speaks as ``"<ClassName> '<name>': ..."``, a kernel as ``"metric_<x>: ..."``,
a definition as ``"Metric('<ClassName>'): ..."``.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError", "CompileMetricsError", "DistributedError", "MetricCheckError",
    "MetricDefinitionError", "MetricEagerWarning", "MetricInputError", "UnknownIdentifierError",
    "VariableError",
]


class MetricDefinitionError(TypeError, ValueError):
    """A `Metric()` definition is invalid; raised when the class is defined."""


class MetricEagerWarning(UserWarning):
    """A metric's ``update_state``/``result`` cannot be compiled and now runs eagerly."""


class MetricInputError(TypeError, ValueError):
    """Data given to a metric is not numbers (strings, objects); raised before any state changes."""


class VariableError(ValueError):
    """A value of the wrong shape or kind was assigned to a metric variable."""


class UnknownIdentifierError(ValueError):
    """A metric identifier (string or config) that no registered metric matches."""


class CompileMetricsError(ValueError):
    """A metrics configuration or input structure that a collection cannot use."""


class CheckpointError(ValueError):
    """A checkpoint that does not fit the object it is loaded into, or that cannot be read."""


class DistributedError(ValueError):
    """A state that cannot be reduced across devices (no merge rule, wrong structure)."""


class MetricCheckError(AssertionError):
    """A metric broke a law `metricdsl.testing.check_metric` checks; names the law and the fix."""

    def __init__(self, law: str, metric: str, what: str, fix: str) -> None:
        self.law = law
        super().__init__(f"{metric} breaks the law {law!r}: {what}\nFix: {fix}")
