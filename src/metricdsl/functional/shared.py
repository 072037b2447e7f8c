"""Shared state: a metric's declaration of the one batch computation its variables take.

Metrics that keep the same statistics of the same inputs (Precision and
Recall at one threshold both keep true positives) need not compute them
twice. A metric declares its update as a `SharedState`: a pure kernel, its
static configuration, and which of the kernel's outputs the metric's
variables take. The declaration is the key: two metrics share exactly when
their kernels and configurations are equal and they are given the same
input arrays; nothing is guessed from values or names.

Outside `sharing()` (a metric on its own) `SharedState.compute` calls the
kernel. Inside it (a `metricdsl.MetricCollection` update), the first call
with a key computes and every later call with that key and the same input
arrays gets the same outputs, so each metric's variables are exactly what
they would be alone.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import attrs

__all__ = ["SharedState", "sharing", "sharing_active"]

_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("metricdsl_sharing",
                                                                    default=None)


@attrs.frozen
class SharedState:
    """One batch computation a metric's update adds into its variables.

    Attributes:
        kernel: A pure function ``kernel(y_true, y_pred, sample_weight, **config)``
            returning a NamedTuple of arrays (with ``owner=`` too when ``owner``
            is set).
        config: The kernel's static keyword arguments, as ``((name, value), ...)``
            (hashable; part of the key).
        fields: The kernel outputs the metric's variables take, in variable order.
        owner: The metric's label for the kernel's error messages (not part of the key).

    Example:
        >>> from metricdsl import functional as F
        >>> shared = SharedState(F.confusion_counts, (("thresholds", (0.5,)),),
        ...                      ("true_positives",))
        >>> float(shared.compute([0, 1, 1], [0.9, 0.8, 0.2], None).true_positives[0])
        1.0
    """

    kernel: Callable
    config: tuple
    fields: tuple[str, ...]
    owner: str | None = attrs.field(default=None, eq=False)

    @property
    def key(self) -> tuple:
        """What two metrics must agree on to share: the kernel and its static configuration."""
        return (self.kernel, self.config)

    def compute(self, y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
        """The kernel's outputs for this batch (computed once per key and inputs in `sharing`)."""
        memo = _MEMO.get()
        inputs = (y_true, y_pred, sample_weight)
        slot = (self.key, *(id(x) for x in inputs))
        if memo is not None and slot in memo:
            return memo[slot][1]
        kwargs = dict(self.config)
        if self.owner is not None:
            kwargs["owner"] = self.owner
        out = self.kernel(y_true, y_pred, sample_weight, **kwargs)
        if memo is not None:
            memo[slot] = (inputs, out)  # the inputs stay alive, so their ids stay theirs
        return out


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Within this block, `SharedState.compute` runs once per key and input arrays.

    A `metricdsl.MetricCollection` updates its metrics inside it (while tracing
    its fused update). Nested blocks share the outer block's results.
    """
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def sharing_active() -> bool:
    """Whether a `sharing` block is open (a kernel may then prefer one pass for all outputs)."""
    return _MEMO.get() is not None
