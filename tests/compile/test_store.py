"""The packed store: member metrics see the collection's state; copies hold plain Variables."""

import copy
import gc
import pickle
import weakref

import jax
import numpy as np
from compile_data import (
    REGRESSION,
    need,
)

import metricdsl as md
from metricdsl.packed import Packed


def test_member_metrics_reflect_the_collection_state():
    (mse_cls,) = need("MeanSquaredError")
    mse = mse_cls()
    c = md.compile_metrics([mse, "mae"])
    c.update_state(*REGRESSION)
    c.update_state(*REGRESSION)
    expected = np.mean((REGRESSION[0] - REGRESSION[1]) ** 2)
    np.testing.assert_allclose(mse.result(), expected, rtol=1e-6)
    mse.update_state(REGRESSION[0], REGRESSION[0])  # an outside update is seen by the collection
    np.testing.assert_allclose(c.result()["mean_squared_error"], expected * 2 / 3, rtol=1e-6)
    c.update_state(*REGRESSION)
    np.testing.assert_allclose(mse.result(), expected * 3 / 4, rtol=1e-6)
    m2 = md.compile_metrics([mse])  # another collection takes the metric over
    m2.update_state(*REGRESSION)
    np.testing.assert_allclose(mse.result(), expected * 4 / 5, rtol=1e-6)
    c.update_state(*REGRESSION)
    np.testing.assert_allclose(c.result()["mean_squared_error"], expected * 5 / 6, rtol=1e-6)
    for copied in (pickle.loads(pickle.dumps(mse)), copy.deepcopy(mse)):
        assert type(copied.variables[0]) is md.Variable
        np.testing.assert_allclose(copied.result(), expected * 5 / 6, rtol=1e-6)
    assert type(pickle.loads(pickle.dumps(mse.variables[0]))) is md.Variable


def _variable_classes() -> int:
    gc.collect()
    return len(md.Variable.__subclasses__())


def test_many_metrics_and_collections_make_no_classes_and_drop_their_stores():
    (mse_cls,) = need("MeanSquaredError")
    expected = np.mean((REGRESSION[0] - REGRESSION[1]) ** 2)
    classes, stores = _variable_classes(), []
    for _ in range(200):
        m = mse_cls()
        m.update_state(*REGRESSION)
        m.variables[0].assign(m.variables[0].value)  # an outside write: repacked before the next
        m.update_state(*REGRESSION)
        np.testing.assert_allclose(m.result(), expected, rtol=1e-6)
        m.update_state(*REGRESSION)
        stores.append(weakref.ref(m.variables[0].store))
        np.testing.assert_allclose(m.result(), expected, rtol=1e-6)
    for _ in range(20):
        member = mse_cls()
        c = md.compile_metrics([member, "mae"])
        c.update_state(*REGRESSION)
        c.update_state(*REGRESSION)
        stores.append(weakref.ref(member.variables[0].store))
        np.testing.assert_allclose(c.result()["mean_squared_error"], expected, rtol=1e-6)
    assert stores[-1]() is not None  # alive while its collection is
    del m, member, c
    assert _variable_classes() == classes
    assert [ref for ref in stores if ref() is not None] == []  # every dropped store was freed


def test_store_bound_variables_copy_pickle_and_flatten_as_plain_variables():
    m = md.metric_sum()
    m.update_state(np.full(1, 2.0 ** 24, "float32"))
    for _ in range(3):
        m.update_state(np.ones(1, "float32"))
    bound = m.variables[0]
    assert bound.store is not None and type(bound) is not md.Variable
    exact = 2 ** 24 + 3  # float32 rounds the total to 2**24 + 4; the residual holds the -1
    for clone in (copy.copy(bound), copy.deepcopy(bound), pickle.loads(pickle.dumps(bound))):
        assert type(clone) is md.Variable and clone.store is None and clone.compensated
        assert float(clone.value) == np.float32(exact) and float(clone.residual) == -1.0
    flat = jax.tree_util.tree_map(lambda x: x, bound)  # a pytree leaf is the value alone
    assert type(flat) is md.Variable and float(flat.value) == np.float32(exact)
    assert float(flat.residual) == 0.0
    m.update_state(np.ones(1, "float32"))  # the store keeps working after its Variables were read
    assert float(m.result()) == 2 ** 24 + 4
    uncompensated = md.Variable((), 2.0 ** 24, "float32", name="plain", compensated=False)
    store = Packed([uncompensated])
    assert uncompensated.store is store
    clone = pickle.loads(pickle.dumps(uncompensated))
    assert not clone.compensated and clone.residual is None and float(clone.value) == 2.0 ** 24
    store.release()
    assert type(uncompensated) is md.Variable and uncompensated.store is None


def test_a_variable_kept_after_its_metric_is_gone_reads_the_latest_state():
    m = md.metric_sum()
    m.update_state(np.ones(3, "float32"))
    m.update_state(np.ones(3, "float32"))  # the packed buffers hold 6; the Variable is stale
    total = m.variables[0]
    del m
    gc.collect()
    assert float(total) == 6.0
