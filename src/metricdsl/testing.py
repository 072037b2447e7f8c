"""`check_metric`: the laws every metric obeys, checked on a user's metric.

``md.testing.check_metric(factory, batches)`` builds fresh metrics with
``factory()``, feeds them ``batches`` (each a tuple of ``update_state``
arguments) and checks, in order:

- ``stateless_jit``: the jitted stateless API gives the stateful result;
- ``one_compile``: many steps of one input shape trace the jitted stateless
  update once (the state that comes out has the avals of the one that goes in);
- ``no_host_transfer``: the jitted stateless update runs on device arrays
  under ``jax.transfer_guard("disallow")``;
- ``reset``: ``reset_state()`` restores the initial state;
- ``merge``: one metric per batch, merged with ``merge_state``, equals one pass;
- ``config``: ``from_config(get_config())`` gives an equal metric;
- ``pickle``: a pickled and restored metric has the same result (skipped,
  with the reason in the report, when the class cannot be pickled);
- ``atomic``: an update that raises (a string, a batch of the wrong rank)
  leaves the state unchanged;
- ``reference``: the result equals ``reference(*all batches concatenated)``.

The first broken law raises `MetricCheckError` naming it, what differed and
how to fix it; otherwise a `CheckReport` lists the laws checked.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import jax
import numpy as np

from .errors import MetricCheckError

__all__ = ["CheckReport", "MetricCheckError", "check_metric"]

_FIXES = {
    "stateless_jit": "Compute only with ops/jnp on the inputs and self's variables (no Python "
                     "state outside the variables, no branching on array values).",
    "one_compile": "Keep each variable's dtype and shape fixed: cast what you assign "
                   "(ops.cast(x, self.dtype)) and avoid Python scalars that change per batch.",
    "no_host_transfer": "Do not read array values on the host (float(), .item(), np.asarray) "
                        "or create numpy arrays from the inputs in update_state.",
    "reset": "Let reset_state assign every variable its initial value (or do not override it).",
    "merge": "Give every variable the aggregation that combines shards ('sum' for totals and "
             "counts, 'max'/'min' for extremes), or define a merge_state member.",
    "config": "Return every constructor argument from get_config (the default does) and accept "
              "them all in initialize.",
    "pickle": "Define the metric class at module level (metric_x = Metric('X', ...)).",
    "atomic": "Validate inputs before any assign, or let the stateless core do the updates "
              "(assign only inside update_state).",
    "reference": "Compare the formula with the reference on one small batch.",
}


@attrs.frozen
class CheckReport:
    """What `check_metric` checked.

    Attributes:
        metric: The metric's class name.
        checked: The laws that held, in the order checked.
        skipped: ``(law, why)`` for laws that could not be checked.
        traces: How often the jitted stateless update traced over the batches.
    """

    metric: str
    checked: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    traces: int


def check_metric(metric_factory: Callable[[], Any], batches: Sequence[Any],
                 reference: Callable[..., Any] | None = None, *, rtol: float = 1e-5,
                 atol: float = 1e-6) -> CheckReport:
    """Check that a metric obeys metricdsl's laws on ``batches``.

    Args:
        metric_factory: Makes a fresh metric (a class or a ``lambda: cls(...)``).
        batches: ``update_state`` arguments per batch, e.g. ``(y_true, y_pred)``
            or ``(y_true, y_pred, sample_weight)``; two or more for ``merge``.
        reference: ``reference(*batch arguments)`` on all batches concatenated
            gives the expected result (optional).
        rtol: Relative tolerance of every comparison.
        atol: Absolute tolerance.

    Returns:
        A `CheckReport`.

    Raises:
        MetricCheckError: on the first broken law (an ``AssertionError``).

    Example:
        >>> import numpy as np, metricdsl as md
        >>> batches = [(np.ones((4, 1)), np.full((4, 1), 0.5))] * 3
        >>> report = check_metric(md.metric_mean_absolute_error, batches,
        ...                       reference=lambda t, p: np.mean(np.abs(t - p)))
        >>> report.checked[:3], report.traces
        (('stateless_jit', 'one_compile', 'no_host_transfer'), 1)
    """
    batches = [tuple(b) if isinstance(b, (tuple, list)) else (b,) for b in batches]
    run = _Run(metric_factory, batches, rtol, atol)
    for law in ("stateless_jit", "one_compile", "no_host_transfer", "reset", "merge", "config",
                "pickle", "atomic"):
        run.check(law)
    if reference is not None:
        run.check("reference", reference)
    return CheckReport(run.name, tuple(run.checked), tuple(run.skipped), run.traces)


def _same(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """None if the two results agree, else what differs."""
    got_leaves, expected_leaves = jax.tree.leaves(got), jax.tree.leaves(expected)
    if jax.tree.structure(got) != jax.tree.structure(expected):
        return f"a result of structure {jax.tree.structure(got)}, expected " \
               f"{jax.tree.structure(expected)}"
    for a, b in zip(got_leaves, expected_leaves):
        try:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)
        except AssertionError as error:
            return " ".join(str(error).split())
    return None


def _signature(batch: tuple) -> tuple:
    return tuple((np.shape(x), np.result_type(x).name) for x in batch)


class _Run:
    """One check_metric call: the metrics it made and what it found."""

    def __init__(self, factory: Callable[[], Any], batches: list, rtol: float, atol: float):
        self.factory, self.batches, self.rtol, self.atol = factory, batches, rtol, atol
        self.one_pass = factory()
        self.name = type(self.one_pass).__name__
        self.checked: list[str] = []
        self.skipped: list[tuple[str, str]] = []
        self.traces = 0

    def check(self, law: str, *args: Any) -> None:
        try:
            why = getattr(self, f"_{law}")(*args)
        except MetricCheckError:
            raise
        except Exception as error:
            raise MetricCheckError(law, self.name, f"raised {type(error).__name__}: "
                                   f"{' '.join(str(error).split())[:400]}",
                                   _FIXES[law]) from error
        if why is None:
            self.checked.append(law)
        else:
            self.skipped.append((law, why))

    def fail(self, law: str, what: str) -> None:
        raise MetricCheckError(law, self.name, what, _FIXES[law])

    def compare(self, law: str, got: Any, expected: Any, what: str) -> None:
        differs = _same(got, expected, self.rtol, self.atol)
        if differs is not None:
            self.fail(law, f"{what}: {differs}")

    def fresh(self) -> Any:
        metric = self.factory()
        if not metric.built:
            metric.build(*self.batches[0][:2])
        return metric

    # -- the laws (each returns None when checked, or why it was skipped) ---------------------
    def _stateless_jit(self) -> None:
        for batch in self.batches:
            self.one_pass.update_state(*batch)
        self.result = jax.tree.map(np.asarray, self.one_pass.result())
        self.jitted_metric = metric = self.fresh()

        def update(state, *batch):
            self.traces += 1
            return metric.stateless_update_state(state, *batch)

        self.update = jax.jit(update)
        state = self.initial = metric.stateless_reset_state()
        for batch in self.batches:
            state = self.update(state, *batch)
        self.compare("stateless_jit", metric.stateless_result(state), self.result,
                     "the jitted stateless result differs from the stateful one")
        self.state = state

    def _one_compile(self) -> None:
        shapes = len({_signature(b) for b in self.batches})
        if self.traces != shapes:
            before, after = jax.eval_shape(lambda s: s, self.initial), jax.eval_shape(
                self.update, self.initial, *self.batches[0])
            self.fail("one_compile", f"{self.traces} traces of the jitted update over "
                      f"{len(self.batches)} batches of {shapes} input shape(s); the state goes "
                      f"in as {before} and comes out as {after}")

    def _no_host_transfer(self) -> None:
        state, batches = jax.device_put((self.state, self.batches))
        with jax.transfer_guard("disallow"):
            for batch in batches:
                state = jax.block_until_ready(self.update(state, *batch))

    def _reset(self) -> None:
        self.one_pass.reset_state()
        self.compare("reset", _snapshot(self.one_pass), _snapshot(self.jitted_metric),
                     "after reset_state() the variables differ from the initial state")

    def _merge(self) -> str | None:
        if len(self.batches) < 2:
            return "needs two or more batches"
        shards = [self.factory() for _ in self.batches]
        for shard, batch in zip(shards, self.batches):
            shard.update_state(*batch)
        shards[0].merge_state(shards[1:])
        self.compare("merge", jax.tree.map(np.asarray, shards[0].result()), self.result,
                     "merging one metric per batch differs from one pass")
        return None

    def _filled(self, metric: Any) -> Any:
        for batch in self.batches:
            metric.update_state(*batch)
        return jax.tree.map(np.asarray, metric.result())

    def _config(self) -> None:
        config = self.one_pass.get_config()
        clone = type(self.one_pass).from_config(config)
        if clone.get_config() != config:
            self.fail("config", f"from_config(get_config()) has the config {clone.get_config()}; "
                      f"expected {config}")
        self.compare("config", self._filled(clone), self.result,
                     "the metric rebuilt from its config gives another result")

    def _pickle(self) -> str | None:
        metric = self.factory()
        result = self._filled(metric)
        try:
            payload = pickle.dumps(metric)
        except (TypeError, AttributeError, pickle.PicklingError) as error:
            return f"not picklable: {error}"
        self.compare("pickle", jax.tree.map(np.asarray, pickle.loads(payload).result()), result,
                     "the unpickled metric has another result")
        return None

    def _atomic(self) -> str | None:
        metric = self.factory()
        metric.update_state(*self.batches[0])
        before = _snapshot(metric)
        first = self.batches[0]
        bad = [("a string", ("not a number", *first[1:])),
               ("a batch of the wrong rank", tuple(np.asarray(x)[None, None] for x in first))]
        raised = False
        for what, batch in bad:
            try:
                metric.update_state(*batch)
            except Exception:  # noqa: BLE001 - any error must leave the state as it was
                raised = True
                self.compare("atomic", _snapshot(metric), before,
                             f"an update with {what} raised but changed the state")
                continue
            before = _snapshot(metric)  # accepted (broadcast): the state may change
        return None if raised else "no bad batch raised"

    def _reference(self, reference: Callable[..., Any]) -> None:
        joined = [np.concatenate([np.asarray(b[i]) for b in self.batches])
                  if np.ndim(self.batches[0][i]) else self.batches[0][i]
                  for i in range(len(self.batches[0]))]
        self.compare("reference", self.result, jax.tree.map(np.asarray, reference(*joined)),
                     "the result differs from reference(*batches concatenated)")


def _snapshot(metric: Any) -> list:
    return [np.asarray(v.value) for v in metric.variables] + [
        np.asarray(v.residual) for v in metric.variables if v.compensated]
