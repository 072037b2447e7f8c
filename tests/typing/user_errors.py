"""Misuses of metricdsl that type checkers must flag, one per marked line.

``# expect: RULES`` names what pyright (``report...`` rules) and mypy (error
codes) report on that line; tests/test_typing.py checks that exactly those
lines get exactly those errors. A line marked for one checker only is one the
other accepts: pyright lets any call through ``Metric``'s base-constructor form
(subclasses with their own ``__init__`` rely on it), and takes a builtin as a
base class, which mypy refuses for any variable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import metricdsl as md
from metricdsl import Metric

if TYPE_CHECKING:  # names that Metric() puts in scope inside metric methods
    self: Any
    private: Any
    super: Any

md.metric_auc(num_thresholdz=3)  # expect: reportCallIssue call-arg
md.metric_auc(num_thresholds="3")  # expect: reportArgumentType arg-type
md.metric_precision_at_recall()  # expect: reportCallIssue call-arg
md.metric_mean_squared_error(names="mse")  # expect: reportCallIssue call-overload
md.metric_mean_squared_error([[0.0]])  # expect: reportArgumentType call-overload
md.metric_top_k_categorical_accuracy([[0]], [[0.7]], kk=2)  # expect: reportCallIssue call-overload
md.metric_huber([[0.0]], [[1.0]], delta="big")  # expect: reportArgumentType arg-type
md.metric_huber(name="huber")  # expect: reportCallIssue call-arg
md.metric_mean_wrapper()  # expect: reportCallIssue call-arg


def initialize(threshold: float = 0.5, name: str | None = None) -> None:
    super.initialize(name=name)


Above = Metric("Above", initialize=initialize, result=lambda: 0.0)
Above(thresold=0.3)  # expect: reportCallIssue call-arg
Above("high")  # expect: reportArgumentType arg-type
Metric(3, initialize=initialize)  # expect: call-overload


class BetterAUC(md.metric_auc):  # expect: misc valid-type
    """Subclass through ``Metric("BetterAUC", inherit=md.metric_auc, ...)`` for mypy."""
