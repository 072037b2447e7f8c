"""`md.testing.check_metric`: every builtin passes; broken user metrics fail naming the law."""

import jax.numpy as jnp
import numpy as np
import pytest
from test_all_builtins import CASES, INPUTS, N

import metricdsl as md
from metricdsl import Metric, ops
from metricdsl.registry import builtin_classes
from metricdsl.testing import CheckReport, MetricCheckError, check_metric

_WEIGHT = np.linspace(0.5, 2.0, N).astype("float32")


def _batches(name):
    data = INPUTS[CASES[name][1]]
    full = data if name == "sum" else (*data, _WEIGHT)
    return [tuple(x[:N // 2] for x in full), tuple(x[N // 2:] for x in full)]


def test_every_builtin_class_has_a_case():
    assert {a[len("metric_"):] for a in builtin_classes()} == set(CASES)


@pytest.mark.parametrize("attribute", sorted(builtin_classes()))
def test_builtin_obeys_every_law(attribute):
    name = attribute[len("metric_"):]
    kwargs = CASES[name][0]
    cls = builtin_classes()[attribute]
    report = check_metric(lambda: cls(**kwargs), _batches(name))
    assert report.skipped == () and report.traces == 1
    assert report.checked == ("stateless_jit", "one_compile", "no_host_transfer", "reset",
                              "merge", "config", "pickle", "atomic")


def test_reference_agrees_and_report_is_a_record():
    batches = [(np.ones((4, 1)), np.full((4, 1), b / 4)) for b in range(3)]
    report = check_metric(md.metric_mean_absolute_error, batches,
                          reference=lambda t, p: np.mean(np.abs(t - p)))
    assert isinstance(report, CheckReport) and report.checked[-1] == "reference"
    assert report.metric == "MeanAbsoluteError"
    with pytest.raises(MetricCheckError, match="breaks the law 'reference'") as caught:
        check_metric(md.metric_mean_absolute_error, batches,
                     reference=lambda t, p: np.mean((t - p) ** 2))
    assert isinstance(caught.value, AssertionError) and caught.value.law == "reference"


# -- broken metrics ---------------------------------------------------------------------------
def _peak_initialize(name="peak", **kwargs):
    super.initialize(name=name, **kwargs)
    self.peak = self.add_variable((), -jnp.inf, aggregation="sum", name="peak")  # should be max


metric_peak = Metric("Peak", initialize=_peak_initialize,
                     update_state=lambda x: self.peak.assign(ops.maximum(self.peak, ops.max(x))),
                     result=lambda: self.peak.value)

metric_sticky = Metric("Sticky", inherit=md.metric_mean, reset_state=lambda: None)

VALUES = [(np.array([1.0, 5.0], "float32"),), (np.array([2.0, 3.0], "float32"),)]


def test_wrong_aggregation_breaks_merge():
    with pytest.raises(MetricCheckError, match=r"(?s)Peak breaks the law 'merge'.*Fix: Give every"):
        check_metric(metric_peak, VALUES)


def test_reset_that_keeps_the_state_breaks_reset():
    with pytest.raises(MetricCheckError, match="Sticky breaks the law 'reset'"):
        check_metric(metric_sticky, VALUES)


class Widening(md.metric_mean):
    """A stateless update whose state comes out in another dtype: every step retraces."""

    def stateless_update_state(self, state, *args, **kwargs):
        new = super().stateless_update_state(list(state), *args, **kwargs)
        return [x.astype("float16") for x in new]


def test_state_that_changes_dtype_breaks_one_compile():
    with pytest.raises(MetricCheckError, match=r"'one_compile': 2 traces .* 3 batches"):
        check_metric(Widening, [*VALUES, VALUES[0]])


def test_config_that_does_not_round_trip():
    bad = Metric("BadConfig", inherit=md.metric_mean,
                 get_config=lambda: {**super.get_config(), "colour": "red"})
    with pytest.raises(MetricCheckError, match="'config': raised TypeError"):
        check_metric(bad, VALUES)


def test_local_class_skips_pickle_and_says_why():
    local = Metric("LocalMean", inherit=md.metric_mean)
    report = check_metric(local, VALUES)
    assert [law for law, _ in report.skipped] == ["pickle"]
    assert "module-level" in report.skipped[0][1] or "not picklable" in report.skipped[0][1]
