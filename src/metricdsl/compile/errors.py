"""`CompileMetricsError` and the collection's longer messages (each written once)."""

from __future__ import annotations

__all__ = ["NOT_BUILT", "ORDER_CHANGED", "CompileMetricsError"]


from ..errors import CompileMetricsError

NOT_BUILT = (
    "MetricCollection is not built: {waiting} need the shapes of the first batch. Call "
    "`collection.build(y_true, y_pred)` (arrays or jax.ShapeDtypeStruct, with the outputs' "
    "structure) before using the stateless API, or update it once statefully.")

ORDER_CHANGED = (
    "MetricCollection: the outputs order the metrics as {now}, but the state from "
    "stateless_reset_state() was laid out as {before} (metrics keyed by output name follow "
    "the outputs' names). Call `collection.build(y_true, y_pred)` before "
    "stateless_reset_state() for these outputs.")
