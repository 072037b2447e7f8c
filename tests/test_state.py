"""Stateless state: Keras's list of values, named, carrying the exact-sum residuals; merges."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metricdsl as md
from metricdsl import State


def test_state_is_a_sequence_by_name_and_a_pytree():
    m = md.metric_mean()
    state = m.stateless_reset_state()
    assert isinstance(state, State) and len(state) == len(m.variables)
    assert [v.name for v in m.variables] == state.keys()
    assert next(zip(m.variables, state))[0] is m.variables[0]
    state = jax.jit(m.stateless_update_state)(state, jnp.array([1.0, 3.0]))
    assert float(state["total"]) == 4.0 and float(state[1]) == 2.0
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(state)[0]]
    assert paths[:2] == ["['total']", "['count']"]
    with pytest.raises(KeyError, match="no variable 'nope'"):
        state["nope"]


def test_state_is_a_scan_carry_and_maps_under_vmap():
    m = md.metric_mean()
    batches = jnp.arange(12.0).reshape(4, 3)
    final, _ = jax.lax.scan(lambda s, b: (m.stateless_update_state(s, b), None),
                            m.stateless_reset_state(), batches)
    np.testing.assert_allclose(m.stateless_result(final), 5.5)
    states = jax.vmap(lambda b: m.stateless_update_state(m.stateless_reset_state(), b))(batches)
    np.testing.assert_allclose(jax.vmap(m.stateless_result)(states), batches.mean(axis=1))


def test_plain_list_gets_keras_semantics_and_comes_back_as_a_list():
    m = md.metric_sum()
    plain = [jnp.float32(2.0**24)] + [jnp.zeros(v.shape) for v in m.variables[1:]]
    out = m.stateless_update_state(plain, jnp.ones(1))
    assert type(out) is list and len(out) == len(m.variables)


def test_state_keeps_the_residual_so_float32_sums_do_not_stall():
    m = md.metric_sum()
    step = jax.jit(m.stateless_update_state)
    state = step(m.stateless_reset_state(), jnp.full(1, 2.0**24))
    for _ in range(200):
        state = step(state, jnp.ones(1))
    assert float(m.stateless_result(state)) == 2**24 + 200


def test_stateful_float32_sum_over_many_batches_matches_float64():
    rng = np.random.default_rng(0)
    m = md.metric_sum()
    total = 0.0
    for _ in range(50):
        batch = rng.uniform(0, 1e4, size=4096).astype("float32")
        m.update_state(batch)
        total += batch.astype("float64").sum()
    assert abs(float(m.result()) - total) / total < 1e-7


def test_merge_folds_compensated_pairs_exactly():
    big = md.metric_sum()
    big.update_state(jnp.ones(2**25))
    shards = []
    for _ in range(100):
        shard = md.metric_sum()
        shard.update_state(jnp.ones(3))
        shards.append(shard)
    big.merge_state(shards)
    assert float(big.result()) == 33554732.0


@pytest.mark.parametrize("make", [
    lambda: md.metric_r2_score(), lambda: md.metric_f1_score(), lambda: md.metric_fbeta_score(),
    lambda: md.metric_auc(multi_label=True)], ids=["r2", "f1", "fbeta", "auc_multi"])
def test_merging_a_never_updated_lazy_shard_is_a_no_op(make):
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, size=(8, 3)).astype("float32")
    y_pred = rng.uniform(size=(8, 3)).astype("float32")
    updated = make()
    updated.update_state(y_true, y_pred)
    expected = np.asarray(updated.result())
    updated.merge_state([make()])
    np.testing.assert_allclose(updated.result(), expected)
    empty = make()
    empty.merge_state([updated])
    np.testing.assert_allclose(empty.result(), expected, rtol=1e-6)


@pytest.mark.parametrize("make", [md.metric_r2_score, md.metric_f1_score,
                                  lambda: md.metric_auc(multi_label=True)],
                         ids=["r2", "f1", "auc_multi"])
def test_lazily_built_metrics_build_inside_the_stateless_api(make):
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, size=(16, 3)).astype("float32")
    y_pred = rng.uniform(size=(16, 3)).astype("float32")
    m = make()
    state = jax.jit(m.stateless_update_state)(m.stateless_reset_state(), y_true, y_pred)
    reference = make()
    reference.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.stateless_result(state), reference.result(), rtol=1e-6)


def test_pickle_keeps_the_residual():
    m = md.metric_sum()
    m.update_state(jnp.full(1, 2.0**24))
    for _ in range(3):
        m.update_state(jnp.ones(1))
    restored = pickle.loads(pickle.dumps(m))
    restored.update_state(jnp.ones(1))
    assert float(restored.result()) == 2**24 + 4


@pytest.mark.parametrize("metric, args", [
    (md.metric_mean_squared_error, (["a", "b"], [1.0, 2.0])),
    (md.metric_auc, ([0, 1], "scores")),
    (md.metric_accuracy, ([[1, 2], [3]], [[1, 2], [3]])),
    (md.metric_mean, (np.array([object(), 1.0]),)),
], ids=["strings", "str-scalar", "ragged", "object-array"])
def test_non_numbers_are_clear_errors_before_any_state_change(metric, args):
    m = metric()
    before = [np.asarray(v) for v in m.variables]
    for update in (m.update_state, lambda *a: m.stateless_update_state(
            m.stateless_reset_state(), *a)):
        with pytest.raises((TypeError, ValueError), match=rf"{type(m).__name__} '{m.name}': "
                                                          r"update_state argument `\w+`"):
            update(*args)
    for variable, value in zip(m.variables, before):
        np.testing.assert_array_equal(variable, value)


def test_collections_keep_float32_sums_exact():
    collection = md.compile_metrics([md.metric_mean_absolute_error()])
    y_true = jnp.zeros((1, 1))
    collection.update_state(y_true, jnp.full((1, 1), 2.0**24))
    for _ in range(4):
        collection.update_state(y_true, jnp.ones((1, 1)))
    result = collection.result()["mean_absolute_error"]
    assert float(result) == float(np.float32((2**24 + 4) / 5))  # a stalled sum gives 2^24/5


def test_a_billion_samples_of_float32_batch_sums_stay_within_1e7_of_float64():
    # 2,000 updates, each adding one batch's sum of 500,000 samples (10^9 samples in all):
    # the compensated running sum equals the float64 sum of the same float32 increments.
    rng = np.random.default_rng(7)
    increments = (rng.uniform(0.0, 1.0, size=2000) * 500_000).astype("float32")
    m = md.metric_sum()
    final, _ = jax.lax.scan(lambda s, x: (m.stateless_update_state(s, x[None]), None),
                            m.stateless_reset_state(), jnp.asarray(increments))
    exact = increments.astype("float64").sum()
    assert abs(float(m.stateless_result(final)) - exact) / exact < 1e-7
    plain, _ = jax.lax.scan(lambda s, x: (s + x, None), jnp.float32(0), jnp.asarray(increments))
    assert abs(float(plain) - exact) / exact > abs(float(m.stateless_result(final)) - exact) / exact
