"""Output structures: how a model's outputs are flattened and named, and metrics given per output.

Follows Keras 3's ``CompileMetrics.build`` (``keras3_metrics_spec.md`` §5.2):
outputs flatten as ``tree.flatten`` does (dict keys sorted); a flat dict of
outputs is named by its keys; a single output takes every entry of the
configuration, whatever its nesting; several outputs take one entry per
output, a dict keyed by output name, or a structure mirroring the outputs.
"""

from __future__ import annotations

from typing import Any

import attrs
import jax
import numpy as np

from ..base import MetricBase
from .errors import CompileMetricsError
from .resolve import is_config

__all__ = ["Layout", "as_input", "check_metrics_argument", "describe", "flatten_metrics",
           "is_structure", "leaves", "per_output", "spec"]


def _is_plain(x: Any) -> bool:
    """Numbers or nested lists of numbers (one array), as opposed to a structure of arrays."""
    if isinstance(x, (int, float, complex, bool, np.generic)):
        return True
    return isinstance(x, (list, tuple)) and all(_is_plain(e) for e in x)


def is_structure(x: Any) -> bool:
    """Whether ``x`` holds several outputs (a dict, or a list/tuple that is not one plain array)."""
    return isinstance(x, dict) or (isinstance(x, (list, tuple)) and not _is_plain(x))


def leaves(x: Any) -> list:
    """Flatten outputs as Keras's ``tree.flatten`` (dict keys sorted); plain lists are leaves.

    Example:
        >>> leaves({"b": [[1.0, 2.0]], "a": [[3.0]]})
        [[[3.0]], [[1.0, 2.0]]]
    """
    if isinstance(x, dict):
        return [leaf for key in sorted(x) for leaf in leaves(x[key])]
    if is_structure(x):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


def spec(x: Any) -> jax.ShapeDtypeStruct:
    """The shape and dtype of one output (an array, Variable, nested list or a spec)."""
    if isinstance(x, jax.ShapeDtypeStruct):
        return x
    if getattr(x, "__metricdsl_variable__", False):
        x = x.value
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)
    array = np.asarray(x)
    return jax.ShapeDtypeStruct(array.shape, jax.dtypes.canonicalize_dtype(array.dtype))


def as_input(x: Any) -> Any:
    """One output as an array for the jitted update (arrays and None pass through)."""
    if x is None or isinstance(x, (jax.Array, np.ndarray)):
        return x
    if getattr(x, "__metricdsl_variable__", False):
        return x.value
    return np.asarray(x)


def describe(x: Any) -> str:
    """A short text of a structure of outputs, for messages: ``{'a': array(6, 1)}``."""
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in x.items()) + "}"
    if is_structure(x):
        inner = ", ".join(describe(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    return f"array{tuple(np.shape(x)) if not hasattr(x, 'shape') else tuple(x.shape)}"


def _skeleton(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _skeleton(v) for k, v in x.items()}
    if is_structure(x):
        return [_skeleton(v) for v in x]
    return 0


@attrs.frozen
class Layout:
    """How the outputs are flattened and named (Keras's ``CompileMetrics.build``).

    Attributes:
        num_outputs: How many outputs (leaves of ``y_pred``).
        flat: Whether ``y_pred`` is a list or dict with one entry per output.
        names: The outputs' names (``output_names``, or a flat dict's keys), or None.
        dict_names: The names when outputs come as a flat dict of several, else None.
        structure: The pytree structure of ``y_pred``.
    """

    num_outputs: int
    flat: bool
    names: list[str] | None
    dict_names: list[str] | None
    structure: Any

    @classmethod
    def of(cls, y_pred: Any, output_names: list[str] | None) -> Layout:
        """The layout of the first batch's ``y_pred``.

        Example:
            >>> layout = Layout.of({"b": [[0.0]], "a": [[0.0]]}, None)
            >>> layout.num_outputs, layout.names, layout.output_name(0)
            (2, ['a', 'b'], 'a')
        """
        num_outputs = len(leaves(y_pred))
        flat = is_structure(y_pred) and len(y_pred) == num_outputs
        is_dict = isinstance(y_pred, dict)
        names = output_names
        if flat and is_dict:
            keys = list(y_pred)
            if output_names and set(keys) == set(output_names):
                names = list(output_names)
            elif type(y_pred).__name__ == "OrderedDict":
                names = keys
            else:
                names = sorted(keys)
        names = list(names) if names else None
        dict_names = names if num_outputs > 1 and flat and is_dict else None
        return cls(num_outputs, flat, names, dict_names,
                   jax.tree_util.tree_structure(_skeleton(y_pred)))

    def flatten(self, y: Any, what: str) -> list:
        """Outputs in order.

        Raises:
            CompileMetricsError: naming ``what`` when ``y`` has another structure.
        """
        if self.dict_names is not None:
            if not isinstance(y, dict) or set(y) != set(self.dict_names):
                raise CompileMetricsError(
                    f"MetricCollection: {what} must be a dict with the outputs "
                    f"{self.dict_names}; received {describe(y)}.")
            return [y[name] for name in self.dict_names]
        if jax.tree_util.tree_structure(_skeleton(y)) != self.structure:
            raise CompileMetricsError(
                f"MetricCollection: {what} has the structure {describe(y)}, but the collection "
                f"was built for {self.num_outputs} output(s) with the structure "
                f"{self.structure}. Pass outputs with the structure of the first batch.")
        return leaves(y)

    def output_name(self, index: int) -> str | None:
        """The result prefix of output ``index`` (only for several named outputs)."""
        return self.names[index] if self.names and self.num_outputs > 1 else None

    def inputs(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple:
        """``(trues, preds, weights)``: one array (or None weight) per output.

        Raises:
            CompileMetricsError: if the outputs or weights do not fit this layout.
        """
        if self.num_outputs == 1 and not self.flat and not is_structure(y_pred) \
                and not is_structure(y_true):
            weight = None if sample_weight is None or is_structure(sample_weight) \
                else as_input(sample_weight)
            if weight is not None or sample_weight is None:
                return [as_input(y_true)], [as_input(y_pred)], [weight]
        preds = [as_input(x) for x in self.flatten(y_pred, "y_pred")]
        trues = [as_input(x) for x in self.flatten(y_true, "y_true")]
        return trues, preds, self._weights(sample_weight)

    def _weights(self, sample_weight: Any) -> list:
        n = self.num_outputs
        if sample_weight is None:
            return [None] * n
        if not is_structure(sample_weight):
            return [as_input(sample_weight)] * n
        if isinstance(sample_weight, dict) and self.names:
            unknown = [k for k in sample_weight if k not in self.names]
            if unknown:
                raise CompileMetricsError(
                    f"MetricCollection: sample_weight has the key(s) {unknown}; the outputs are "
                    f"{self.names}.")
            return [as_input(sample_weight.get(name)) for name in self.names]
        weights = [as_input(w) for w in leaves(sample_weight)]
        if len(weights) == 1:
            return weights * n
        if len(weights) != n:
            raise CompileMetricsError(
                f"MetricCollection: sample_weight has {len(weights)} entries for {n} outputs; "
                "pass one array (used for every output) or one per output.")
        return weights


# -- metrics given per output -----------------------------------------------------------------
def check_metrics_argument(value: Any, argument: str) -> Any:
    """``value`` if it can be a ``metrics``/``weighted_metrics`` argument.

    Raises:
        CompileMetricsError: for anything but None, a list, tuple, dict or one metric.
    """
    if value is None or isinstance(value, (list, tuple, dict, str)) or callable(value):
        return value
    if isinstance(value, MetricBase):
        return value
    raise CompileMetricsError(
        f"compile_metrics: expected {argument} to be a list, tuple or dict of metrics (or a single "
        f"metric); received {type(value).__name__} {value!r}.")


def flatten_metrics(metrics: Any, output_names: list[str] | None = None) -> list:
    """Every entry in order (nested dicts by sorted key; a top-level dict by ``output_names``).

    The top-level dict follows ``output_names`` when all its keys are among them,
    as the entries of outputs named that way are ordered.

    Example:
        >>> flatten_metrics({"b": "mse", "a": ["mae", None]})
        ['mae', 'mse']
        >>> flatten_metrics({"b": "mse", "a": "mae"}, output_names=["b", "a"])
        ['mse', 'mae']
    """
    if isinstance(metrics, dict) and not is_config(metrics) and output_names \
            and set(metrics) <= set(output_names):
        return [m for key in output_names for m in flatten_metrics(metrics.get(key))]
    if isinstance(metrics, (list, tuple)):
        return [m for item in metrics for m in flatten_metrics(item)]
    if isinstance(metrics, dict) and not is_config(metrics):
        return [m for key in sorted(metrics) for m in flatten_metrics(metrics[key])]
    return [] if metrics is None else [metrics]


def per_output(metrics: Any, layout: Layout, y_pred: Any, argument: str) -> list:
    """One (possibly empty) list of entries per output, following Keras's rules.

    Raises:
        CompileMetricsError: when ``metrics`` does not fit the outputs' structure.
    """
    n = layout.num_outputs
    if not metrics:
        return [[] for _ in range(n)]
    if isinstance(metrics, dict) and not is_config(metrics):
        known = layout.names or (list(y_pred) if isinstance(y_pred, dict) else None)
        unknown = [k for k in metrics if known is not None and k not in known]
        if unknown:
            raise CompileMetricsError(
                f"compile_metrics: {argument} has the key(s) {unknown} but the outputs are "
                f"{known}. Key {argument} by output name.")
    if n == 1:
        return [flatten_metrics(metrics)]
    if layout.flat:
        if isinstance(metrics, (list, tuple)) and len(metrics) == n:
            return [flatten_metrics(m) for m in metrics]
        if isinstance(metrics, dict) and not is_config(metrics) and layout.names:
            return [flatten_metrics(metrics.get(name)) for name in layout.names]
    try:
        return _match(metrics, y_pred)
    except CompileMetricsError as err:
        raise CompileMetricsError(
            f"compile_metrics: {err} Expected {argument} to be a list with one entry per output "
            f"({n} outputs), a dict keyed by output name"
            + (f" ({layout.names})" if layout.names else "")
            + f", or a structure matching the outputs {describe(y_pred)}. "
            f"Received {argument}={metrics!r}.") from None


def _match(metrics: Any, y: Any) -> list:
    """Entries per output for metrics mirroring the outputs' nested structure."""
    if not is_structure(y):
        return [flatten_metrics(metrics)]
    if metrics is None:
        return [[] for _ in leaves(y)]
    if isinstance(y, dict):
        if not isinstance(metrics, dict) or is_config(metrics):
            raise CompileMetricsError(f"expected a dict for outputs {sorted(y)}.")
        unknown = [k for k in metrics if k not in y]
        if unknown:
            raise CompileMetricsError(f"the key(s) {unknown} are not outputs ({sorted(y)}).")
        return [e for key in sorted(y) for e in _match(metrics.get(key), y[key])]
    if not isinstance(metrics, (list, tuple)) or len(metrics) != len(y):
        raise CompileMetricsError(f"expected a list of {len(y)} entries for {describe(y)}.")
    return [e for m, yy in zip(metrics, y) for e in _match(m, yy)]
