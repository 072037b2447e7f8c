"""`Member`: one metric of a collection and where its inputs and result key come from."""

from __future__ import annotations

import attrs

from ..base import MetricBase

__all__ = ["Member"]


@attrs.frozen(eq=False)
class Member:
    """One metric of a `MetricCollection`.

    Attributes:
        metric: The resolved metric instance.
        output: Index of the output it is updated with (in the outputs' flat order).
        prefix: The output's name when results are prefixed ``"<output>_"``, else None.
        weighted: Whether it came from ``weighted_metrics`` (receives ``sample_weight``).
        tracker: For an `MetricCollection.add_metric` tracker, its aggregation
            (``"mean"`` or ``"sum"``); None for a compiled metric.

    Example:
        >>> import metricdsl as md
        >>> Member(md.metric_mean_squared_error(name="mse"), output=1, prefix="b")
        Member(metric=<MeanSquaredError name=mse>, output=1, prefix='b', weighted=False,
               tracker=None)
    """

    metric: MetricBase
    output: int = 0
    prefix: str | None = None
    weighted: bool = False
    tracker: str | None = None
