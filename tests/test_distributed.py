"""`md.distributed.reduce`: per-device states synced in-graph, one all-reduce per dtype.

The 8-device checks run once, in a subprocess (tests/distributed_checks.py) with
``--xla_force_host_platform_device_count=8``; the rest of the suite keeps one
device. The single-device tests here map over a named ``jax.vmap`` axis, which
runs the same collectives.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metricdsl as md
from metricdsl import ops

ROOT = Path(__file__).resolve().parent.parent
COUNTS = ("accuracy", "auc", "true_positives", "count_mean")


def _run(path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    env.pop("XLA_FLAGS", None)
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=600).stdout


@pytest.fixture(scope="module")
def checks():
    return json.loads(_run(ROOT / "tests" / "distributed_checks.py").splitlines()[-1])


def _assert_same_results(got, expected):
    assert got.keys() == expected.keys()
    for key in got:
        if key in COUNTS:
            assert got[key] == expected[key], key
        else:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, err_msg=key)


def test_all_sum_collection_costs_one_all_reduce_per_dtype(checks):
    assert checks["devices"] == 8
    assert checks["sum_dtypes"] == ["float32", "int32"]
    assert checks["sum_all_reduces"] == 2
    _assert_same_results(*checks["sum_results"])


def test_named_collection_state_reduces_and_keeps_its_names(checks):
    assert checks["named_keys"] == ["mae", "accuracy", "auc", "true_positives", "count_mean",
                                    "mse"]
    _assert_same_results(*checks["named_results"])


def test_mixed_aggregations_one_psum_and_one_pmax_per_dtype(checks):
    # float32 and int32 each: one psum (sum, mean, only_first_replica) and one pmax (max, min)
    assert checks["mixed_all_reduces"] == 4
    got, expected = checks["mixed_got"], checks["mixed_expected"]
    assert got.keys() == expected.keys()
    for key in got:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, err_msg=key)


def test_uneven_rows_masked_by_zero_sample_weight(checks):
    assert checks["uneven_counts_bitwise"]
    _assert_same_results(*checks["uneven_results"])


def test_sharded_jit_equals_unsharded(checks):
    got, expected = checks["sharded_jit"]
    _assert_same_results(got, expected)


def test_multihost_gather_then_merge_equals_one_device(checks):
    _assert_same_results(*checks["multihost"])


def test_compensated_sum_keeps_small_terms_across_devices(checks):
    got, exact = checks["compensated"]
    assert abs(got - exact) < 1e-6 * exact  # a plain float32 psum would report 50331648.0


def test_pmap(checks):
    got, expected = checks["pmap"]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_data_parallel_example_prints_equal_results():
    out = _run(ROOT / "examples" / "data_parallel.py")
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert len(rows) >= 4 and "8 devices" in out
    for name, eight, one in rows:
        assert eight == one, name


# -- single device: a named vmap axis ------------------------------------------------------
def _per_device(fn):
    return jax.vmap(fn, axis_name="d")


def test_reduce_keeps_the_state_type():
    m = md.metric_mean_squared_error()
    y = np.arange(8, dtype="float32").reshape(4, 2, 1)

    def step(y):
        state = m.stateless_update_state(m.stateless_reset_state(), y, y + 1)
        as_list = md.distributed.reduce(list(state), m, "d")
        reduced = md.distributed.reduce(state, m, "d")
        return reduced, as_list

    reduced, as_list = _per_device(step)(y)
    assert isinstance(reduced, md.State) and isinstance(as_list, list)
    np.testing.assert_allclose(m.stateless_result(jax.tree.map(lambda x: x[0], reduced)), 1.0)


def test_collection_named_state_is_a_sequence_by_result_name():
    c = md.compile_metrics(["mae", "mse"])
    c.build(np.zeros((2, 1)), np.zeros((2, 1)))
    state = c.named_state(c.stateless_reset_state())
    assert state.keys() == ["mae", "mse"] and len(state) == 2 and state["mse"] is state[1]
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_leaves_with_path(state)]
    assert paths[0] == "['mae']['total']"
    new = jax.jit(c.stateless_update_state)(state, np.zeros((2, 1)), np.ones((2, 1)))
    assert type(new).__name__ == "CollectionState" and new.keys() == ["mae", "mse"]
    assert c.stateless_result(new) == {"mae": 1.0, "mse": 1.0}
    with pytest.raises(KeyError, match="'mae', 'mse'"):
        state["auc"]


def _noagg_initialize(name="noagg", **kwargs):
    super.initialize(name=name, **kwargs)
    self.last = self.add_variable((), "zeros", aggregation="none", name="last")


metric_noagg = md.Metric("NoAgg", initialize=_noagg_initialize,
                         update_state=lambda x: self.last.assign(ops.max(x)),
                         result=lambda: self.last.value)


def test_aggregation_none_is_a_clear_error():
    m = metric_noagg()
    with pytest.raises(md.distributed.DistributedError, match="'last' with aggregation='none'"):
        _per_device(lambda x: md.distributed.reduce(
            m.stateless_update_state(m.stateless_reset_state(), x), m, "d"))(jnp.ones((2, 3)))


@pytest.mark.slow  # fresh-process timings; benchmarks/bench_startup.py reports the same ratio
def test_lazy_modules_keep_import_fast():
    """md.distributed/testing/checkpoint load on first use; ``import metricdsl`` stays
    within 1.5x ``import jax`` (best of three runs each, measured in fresh interpreters)."""
    code = ("import sys, time; t = time.perf_counter(); import {0}; "
            "print(time.perf_counter() - t, sorted(m for m in sys.modules "
            "if m in ('metricdsl.distributed', 'metricdsl.testing', 'metricdsl.checkpoint')))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}

    def best(module):
        runs = [subprocess.run([sys.executable, "-c", code.format(module)], cwd=ROOT, env=env,
                               capture_output=True, text=True, check=True).stdout.split(" ", 1)
                for _ in range(3)]
        return min(float(t) for t, _ in runs), runs[0][1].strip()

    jax_time, _ = best("jax")
    md_time, loaded = best("metricdsl")
    assert loaded == "[]"
    assert md_time <= 1.5 * jax_time + 0.25, (md_time, jax_time)  # + scheduling noise
    assert md.save_state is md.checkpoint.save_state and md.testing.check_metric
    assert {"distributed", "testing", "save_state", "load_state"} <= set(md.__all__)
