"""Checkpoints of metric state: one ``.npz`` of arrays with a JSON manifest, no pickle.

`save_state` writes every variable's value and every compensated sum's
residual (so a resumed evaluation continues bit for bit), plus a manifest:
the metric's serialized config (``md.serialize``), and per metric its class,
config and variable names, shapes and dtypes. `load_state` checks the
manifest against the object it loads into and names what differs.

A metric rebuilds from the checkpoint alone (``load_state(path)``) when its
class is a builtin or registered (``md.register``). A `MetricCollection`
checkpoint holds its members' states and configs but not how the collection
was compiled, so it loads into a collection made the same way:
``load_state(path, collection)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .base import MetricBase
from .errors import CheckpointError
from .registry import deserialize, serialize
from .state import State
from .variables import set_residual

__all__ = ["CheckpointError", "load_state", "read_state", "save_state"]

FORMAT = "metricdsl-state/1"
_MANIFEST = "__manifest__"
_COLLECTION_NEEDS_OBJECT = (
    "{path}: this checkpoint holds a MetricCollection's state; a collection is not rebuilt "
    "from a checkpoint. Compile the same collection, build it, and load into it:\n"
    "    collection = md.compile_metrics([...]); collection.build(y_true, y_pred)\n"
    "    md.load_state({path!r}, collection)")


def save_state(path: str | os.PathLike, obj: Any, state: Any = None) -> Path:
    """Write ``obj``'s state (or the stateless ``state`` given) to ``path`` (``.npz`` added).

    Args:
        path: The file to write; ``.npz`` is appended if missing.
        obj: A metric or a built `MetricCollection`.
        state: A stateless state of ``obj`` (a `State`, or a collection's list of
            States) to save instead of its current variables.

    Returns:
        The path written.

    Raises:
        CheckpointError: for an unbuilt metric or collection.

    Example:
        >>> import tempfile, metricdsl as md
        >>> m = md.metric_mean()
        >>> m.update_state([1.0, 2.0])
        >>> path = md.save_state(tempfile.mkdtemp() + "/mean", m)
        >>> float(md.load_state(path).result())
        1.5
    """
    path = _npz(path)
    metrics, names = _parts(obj)
    states = _states(obj, metrics, state)
    arrays, members = {}, []
    for name, metric, member_state in zip(names, metrics, states):
        members.append(_describe(name, metric))
        for key, value in _entries(name, metric, member_state):
            arrays[key] = _storable(np.asarray(value))
    manifest = {"format": FORMAT, "kind": _kind(obj), "config": _config_of(obj),
                "members": members}
    np.savez(path, **{_MANIFEST: np.asarray(json.dumps(manifest))}, **arrays)
    return path


def read_state(path: str | os.PathLike, obj: Any) -> Any:
    """The stateless state saved in ``path``, checked against ``obj`` (which is not changed).

    Returns:
        A `State` for a metric; a list of States for a collection.

    Raises:
        CheckpointError: if the checkpoint is from another metric, config or shape.
    """
    path = _npz(path)
    manifest, arrays = _read(path)
    metrics, names = _parts(obj)
    _check(path, manifest, obj, metrics, names)
    states = []
    for member, metric in zip(manifest["members"], metrics):
        values = [_loaded(arrays[f"{member['name']}/{n}"], d) for n, _, d in member["variables"]]
        aux = [_loaded(arrays[f"{member['name']}/aux/{n}"], d) for n, _, d in member["aux"]]
        states.append(State.of(metric.variables, values, aux))
    return states[0] if isinstance(obj, MetricBase) else states


def load_state(path: str | os.PathLike, obj: Any = None) -> Any:
    """Load a checkpoint into ``obj``, or into a metric rebuilt from its saved config.

    Args:
        path: A file written by `save_state`.
        obj: The metric or built `MetricCollection` to load into; None rebuilds
            a metric (builtin or registered class) from the checkpoint.

    Returns:
        ``obj`` (or the rebuilt metric), holding the saved state exactly.

    Raises:
        CheckpointError: if the checkpoint is from another metric, config or
            shape (the message names what differs), or ``obj`` is None for a
            collection or an unregistered metric class.
    """
    path = _npz(path)
    manifest = _read(path)[0]
    if obj is None:
        obj = _rebuild(path, manifest)
    elif isinstance(obj, MetricBase) and manifest["kind"] == "metric":
        _build_as_saved(obj, manifest["members"][0])
    state = read_state(path, obj)
    for metric, member_state in zip(_parts(obj)[0], [state] if isinstance(obj, MetricBase)
                                    else state):
        _write(metric, member_state)
    return obj


# -- the parts of an object ---------------------------------------------------------------------
def _npz(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def _kind(obj: Any) -> str:
    return "metric" if isinstance(obj, MetricBase) else "collection"


def _parts(obj: Any) -> tuple[list[MetricBase], list[str]]:
    """``(metrics, their names in the checkpoint)``; names are result names for a collection."""
    if isinstance(obj, MetricBase):
        if not obj.built:
            raise CheckpointError(
                f"{type(obj).__name__} {obj.name!r} is not built, so it has no state yet; "
                "update it once or call build(y_true, y_pred) first.")
        return [obj], [obj.name]
    if not hasattr(obj, "state_names") or not getattr(obj, "built", False):
        raise CheckpointError(
            f"expected a metric or a built MetricCollection; received {obj!r}. Build a "
            "collection (collection.build(y_true, y_pred)) before saving or loading its state.")
    return list(obj.metrics), obj.state_names


def _states(obj: Any, metrics: list[MetricBase], state: Any) -> list:
    if state is None:
        return [_live(m) for m in metrics]
    return [state] if isinstance(obj, MetricBase) else list(state)


def _live(metric: MetricBase) -> State:
    """The metric's current state (values read first: that syncs a collection's packed store)."""
    values = [v.value for v in metric.variables]
    return State.of(metric.variables, values,
                    [v.residual for v in metric.variables if v.compensated])


def _entries(name: str, metric: MetricBase, state: Any) -> list[tuple[str, Any]]:
    if not isinstance(state, State):
        state = State.of(metric.variables, list(state), [
            np.zeros(v.shape, v.dtype) for v in metric.variables if v.compensated])
    return ([(f"{name}/{n}", v) for n, v in state.items()]
            + [(f"{name}/aux/{n}", a) for n, a in zip(state.aux_names, state.aux)])


def _config_of(obj: Any) -> Any:
    try:
        return serialize(obj) if isinstance(obj, MetricBase) else None
    except TypeError:  # not a builtin or registered class: load_state needs the object
        return None


def _describe(name: str, metric: MetricBase) -> dict:
    """What must match to load a member: class, config, variables, and how it was built."""
    state = metric.stateless_reset_state()
    return {"name": name, "class_name": type(metric).__name__,
            "config": _jsonable(metric.get_config()),
            "build": metric.build_specs,
            "variables": [[n, list(v.shape), str(v.dtype)]
                          for n, v in zip(state.names, metric.variables)],
            "aux": [[n, list(a.shape), a.dtype.name] for n, a in zip(state.aux_names, state.aux)]}


def _jsonable(value: Any) -> Any:
    """``value`` as JSON data (functions and metrics by their serialized name, else repr)."""
    try:
        return json.loads(json.dumps(value))
    except TypeError:
        pass
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__array__"):
        return np.asarray(value).tolist()
    try:
        return serialize(value)
    except TypeError:
        return repr(value)


# -- arrays -------------------------------------------------------------------------------------
def _storable(array: np.ndarray) -> np.ndarray:
    """Arrays of dtypes numpy cannot load without pickle (bfloat16...) travel as raw bits."""
    if array.dtype.kind == "V" or type(array.dtype).__module__.startswith("ml_dtypes"):
        return array.view(f"uint{8 * array.dtype.itemsize}")
    return array


def _loaded(array: np.ndarray, dtype: str) -> jax.Array:
    return jax.numpy.asarray(array.view(dtype) if array.dtype.name != dtype else array)


def _read(path: Path) -> tuple[dict, dict]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path}: not a readable metricdsl checkpoint ({error}).") from None
    manifest = json.loads(str(arrays.pop(_MANIFEST, "{}")))
    if manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a metricdsl checkpoint (format "
                              f"{manifest.get('format')!r}; expected {FORMAT!r}).")
    return manifest, arrays


# -- checking and writing -----------------------------------------------------------------------
def _rebuild(path: Path, manifest: dict) -> MetricBase:
    if manifest["kind"] == "collection":
        raise CheckpointError(_COLLECTION_NEEDS_OBJECT.format(path=str(path)))
    member = manifest["members"][0]
    if manifest["config"] is None:
        raise CheckpointError(
            f"{path}: the metric class {member['class_name']} is not a builtin or registered "
            f"class, so it cannot be rebuilt from the checkpoint. Register it "
            f"(md.register({member['class_name']})) before saving, or load into an instance: "
            f"md.load_state(path, {member['class_name']}(...)).")
    metric = deserialize(manifest["config"])
    _build_as_saved(metric, member)
    return metric


def _build_as_saved(metric: MetricBase, member: dict) -> None:
    """Build a lazily built metric from the input shapes it was saved with."""
    if not metric.built and member["build"] is not None:
        metric.build(*[None if s is None else jax.ShapeDtypeStruct(*s) for s in member["build"]])


def _check(path: Path, manifest: dict, obj: Any, metrics: list, names: list) -> None:
    saved = manifest["members"]
    if manifest["kind"] != _kind(obj) or (
            manifest["kind"] == "collection" and [m["name"] for m in saved] != list(names)):
        raise CheckpointError(
            f"{path}: saved from a {manifest['kind']} of {[m['name'] for m in saved]}; "
            f"loading into a {_kind(obj)} of {list(names)}.")
    for member, metric in zip(saved, metrics):
        mine = _describe(member["name"], metric)
        where = f"{path}: metric {member['name']!r}"
        if member["class_name"] != mine["class_name"]:
            raise CheckpointError(f"{where} was saved from {member['class_name']}; loading into "
                                  f"{mine['class_name']}.")
        differing = sorted(k for k in {*member["config"], *mine["config"]}
                           if member["config"].get(k) != mine["config"].get(k))
        if differing:
            shown = "; ".join(f"{k}: saved {member['config'].get(k)!r}, here "
                              f"{mine['config'].get(k)!r}" for k in differing)
            raise CheckpointError(f"{where} has another config ({shown}).")
        for part in ("variables", "aux"):
            if member[part] != mine[part]:
                raise CheckpointError(
                    f"{where} has other {part}: {_differences(member[part], mine[part])}.")


def _differences(saved: list, here: list) -> str:
    """The entries that differ, as ``name: saved shape dtype, here shape dtype``."""
    def shown(entry):
        return f"{entry[1]} {entry[2]}" if entry else "absent"
    saved_by, here_by = {e[0]: e for e in saved}, {e[0]: e for e in here}
    names = list(dict.fromkeys([*saved_by, *here_by]))
    return "; ".join(f"{n}: saved {shown(saved_by.get(n))}, here {shown(here_by.get(n))}"
                     for n in names if saved_by.get(n) != here_by.get(n)) or "another order"


def _write(metric: MetricBase, state: State) -> None:
    """Set the metric's variables (and residuals) to ``state``'s values, exactly."""
    for variable, value in zip(metric.variables, state.values):
        variable.assign(value)
    compensated = [v for v in metric.variables if v.compensated]
    for variable, residual in zip(compensated, state.aux):
        set_residual(variable, variable.coerce(residual))
