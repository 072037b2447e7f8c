"""md.bootstrap and md.sliced as metrics among others: serialization, collections, pickling."""

import json
import pickle

import jax
import numpy as np
import pytest

import metricdsl as md
from metricdsl import registry
from metricdsl.errors import CompileMetricsError


@pytest.fixture
def batch(rng):
    y_true = rng.integers(0, 2, 240).astype("float32")
    y_pred = np.clip(0.3 * y_true + 0.7 * rng.uniform(size=240), 0, 1).astype("float32")
    return y_true, y_pred, rng.integers(0, 3, 240)


WRAPPERS = {
    "bootstrap": lambda: md.bootstrap(md.metric_auc(num_thresholds=50), num_samples=12, seed=3,
                                      confidence=0.9),
    "sliced": lambda: md.sliced(md.metric_precision(thresholds=0.4), 3, min_count=5),
    "bootstrap_of_sliced": lambda: md.bootstrap(md.sliced(md.metric_binary_accuracy(), 3),
                                                num_samples=6),
}


def _update(metric, y_true, y_pred, groups):
    kwargs = {"groups": groups} if "sliced" in metric.name else {}
    metric.update_state(y_true[:100], y_pred[:100],
                        **{k: v[:100] for k, v in kwargs.items()})
    metric.update_state(y_true[100:], y_pred[100:],
                        **{k: v[100:] for k, v in kwargs.items()})


@pytest.mark.parametrize("make", WRAPPERS.values(), ids=list(WRAPPERS))
def test_serialize_deserialize_and_get_round_trip_the_wrapped_metric(make, batch):
    metric = make()
    config = md.serialize(metric)
    assert config["class_name"] == type(metric).__name__ and config["module"] == "metricdsl"
    assert config["config"]["metric"] == md.serialize(metric.metric)  # the wrapped config
    for again in (md.deserialize(json.loads(json.dumps(config))), md.get(config)):
        assert type(again) is type(metric) and again.metric is not metric.metric
        assert again.get_config() == metric.get_config()
        assert md.serialize(again) == config
        for m in (metric, again):
            m.reset_state()
            _update(m, *batch)
        jax.tree_util.tree_map(np.testing.assert_array_equal, again.result(), metric.result())


def test_wrappers_are_known_to_the_registry_but_are_not_builtins():
    assert set(registry.library_classes()) == {"Bootstrap", "Sliced"}
    assert not set(registry.library_classes().values()) & set(
        registry.builtin_classes().values())
    assert "Bootstrap" not in registry.class_table() and "sliced" not in registry.class_table()
    with pytest.raises(ValueError, match="Could not interpret metric identifier: bootstrap"):
        md.get("bootstrap")
    with pytest.raises(ValueError, match="'Sliced' belongs to the builtin"):
        md.register(md.Metric("Sliced", lambda: super.initialize(), lambda y: None,
                              lambda: 0.0))


def test_a_serialized_lazily_built_wrapper_builds_after_deserializing(rng):
    y_true = rng.integers(0, 2, (80, 3)).astype("float32")
    y_pred = rng.uniform(size=(80, 3)).astype("float32")
    metric = md.bootstrap(md.metric_f1_score(average="micro", threshold=0.5), num_samples=5)
    metric.update_state(y_true, y_pred)  # built now; its config is the unbuilt metric's
    again = md.deserialize(json.loads(json.dumps(md.serialize(metric))))
    assert not again.built and again.get_config() == metric.get_config()
    again.update_state(y_true, y_pred)
    jax.tree_util.tree_map(np.testing.assert_array_equal, again.result(), metric.result())


def test_a_checkpoint_rebuilds_a_lazily_built_wrapper_from_its_config(rng, tmp_path):
    y_true = rng.integers(0, 2, (50, 2)).astype("float32")
    y_pred = rng.uniform(size=(50, 2)).astype("float32")
    metric = md.bootstrap(md.metric_f1_score(threshold=0.5), num_samples=6, seed=2)
    metric.update_state(y_true, y_pred)
    again = md.load_state(md.save_state(tmp_path / "bootstrap", metric))
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    jax.tree_util.tree_map(np.testing.assert_array_equal, again.result(all_samples=True),
                           metric.result(all_samples=True))


def test_a_lazily_built_wrapper_pickles_and_merges(rng):
    y_true = rng.normal(size=(60, 2)).astype("float32")
    y_pred = (y_true + rng.normal(size=(60, 2))).astype("float32")
    groups = rng.integers(0, 2, 60)
    whole = md.sliced(md.metric_r2_score(), 2)
    whole.update_state(y_true, y_pred, groups=groups)
    restored = pickle.loads(pickle.dumps(whole))
    np.testing.assert_array_equal(restored.result(), whole.result())
    first, second = md.sliced(md.metric_r2_score(), 2), md.sliced(md.metric_r2_score(), 2)
    first.update_state(y_true[:30], y_pred[:30], groups=groups[:30])
    second.update_state(y_true[30:], y_pred[30:], groups=groups[30:])
    unbuilt = md.sliced(md.metric_r2_score(), 2)
    unbuilt.merge_state([first, second])
    np.testing.assert_allclose(unbuilt.result(), whole.result(), rtol=1e-5)


def test_two_bootstraps_in_a_collection_keep_both_intervals(batch):
    y_true, y_pred, _ = batch
    auc = lambda: md.bootstrap(md.metric_auc(), num_samples=20, seed=1, name="auc")  # noqa: E731
    accuracy = lambda: md.bootstrap(md.metric_binary_accuracy(), num_samples=20,  # noqa: E731
                                    seed=2, name="accuracy")
    collection = md.compile_metrics([auc(), accuracy(), "mse"])
    collection.update_state(y_true, y_pred)
    out = collection.result()
    assert sorted(out) == ["accuracy_high", "accuracy_low", "accuracy_value", "auc_high",
                           "auc_low", "auc_value", "mse"]
    for key, make in (("auc", auc), ("accuracy", accuracy)):
        alone = make()
        alone.update_state(y_true, y_pred)
        for entry, value in alone.result().items():
            np.testing.assert_allclose(out[f"{key}_{entry}"], value, rtol=1e-6, err_msg=entry)
    assert float(out["mse"]) == pytest.approx(np.mean((y_true - y_pred) ** 2), rel=1e-6)
    state = collection.stateless_update_state(collection.stateless_reset_state(), y_true, y_pred)
    logs = collection.stateless_result(state)
    assert logs["auc_samples"].shape == (20,) and logs["accuracy_samples"].shape == (20,)
    np.testing.assert_allclose(logs["auc_low"], out["auc_low"], rtol=1e-6)
    assert collection.state_names == ["auc", "accuracy", "mse"]


def test_dict_entries_follow_output_prefixes_and_numbering(batch):
    y_true, y_pred, _ = batch
    make = lambda: md.bootstrap(md.metric_binary_accuracy(), num_samples=4)  # noqa: E731
    c = md.compile_metrics({"a": [make(), make()], "b": [make()]})
    c.update_state({"a": y_true, "b": y_true}, {"a": y_pred, "b": 1 - y_pred})
    names = [k for k in c.result() if k.endswith("_value")]
    assert names == ["a_bootstrap_binary_accuracy_value", "a_bootstrap_binary_accuracy_1_value",
                     "b_bootstrap_binary_accuracy_value"]
    expected = np.mean(y_true == (1 - y_pred > 0.5))
    assert float(c.result()["b_bootstrap_binary_accuracy_value"]) == pytest.approx(expected)


def test_a_key_collision_is_an_error_naming_both_members_at_build_time(batch):
    y_true, y_pred, _ = batch
    interval = lambda: md.bootstrap(md.metric_auc(), num_samples=4, name="auc")  # noqa: E731
    with pytest.raises(CompileMetricsError, match=r"Bootstrap 'auc' and BinaryAccuracy "
                                                  r"'auc_low' both report the result key "
                                                  r"'auc_low'"):
        md.compile_metrics([interval(), md.metric_binary_accuracy(name="auc_low")])
    lazy = md.compile_metrics([interval(), md.metric_f1_score(name="auc_value")])
    assert not lazy.built  # F1Score waits for the first batch
    with pytest.raises(CompileMetricsError, match=r"'auc_value'.*give one of them another name"):
        lazy.build(y_true[:, None], y_pred[:, None])
    c = md.compile_metrics([interval()])
    with pytest.raises(CompileMetricsError, match=r"Bootstrap 'auc' and Mean 'auc_high'"):
        c.add_metric(None, "auc_high")
    c.update_state(y_true, y_pred)  # the tracker was not added
    assert sorted(c.result()) == ["auc_high", "auc_low", "auc_value"]


def test_a_collection_builds_a_lazily_built_wrapper_from_the_first_batch(rng):
    y_true = rng.integers(0, 2, (64, 3)).astype("float32")
    y_pred = rng.uniform(size=(64, 3)).astype("float32")
    groups = rng.integers(0, 2, 64)
    c = md.compile_metrics([md.sliced(md.metric_f1_score(threshold=0.5, name="f1"), 2)])
    assert not c.built
    c.update_state(y_true, y_pred, groups=groups)
    for g in range(2):
        alone = md.metric_f1_score(threshold=0.5)
        alone.update_state(y_true[groups == g], y_pred[groups == g])
        np.testing.assert_allclose(c.result()["sliced_f1"][g], alone.result(), rtol=1e-6)
