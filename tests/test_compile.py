"""compile_metrics / MetricCollection: Keras 3 resolution, naming, structures, stateless use."""

import collections
import copy
import os
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metricdsl as md
from metricdsl import Metric, ops, registry
from metricdsl.compile import CompileMetricsError

os.environ.setdefault("KERAS_BACKEND", "jax")

RNG = np.random.default_rng(0)
N = 6
BINARY = (RNG.integers(0, 2, (N, 1)).astype("float32"), RNG.uniform(0.05, 0.95, (N, 1)).astype(
    "float32"))
_labels = RNG.integers(0, 3, N)
_probs = RNG.dirichlet(np.ones(3), N).astype("float32")
CATEGORICAL = (np.eye(3, dtype="float32")[_labels], _probs)
SPARSE = (_labels[:, None].astype("float32"), _probs)
SPARSE_RANK1 = (_labels.astype("float32"), _probs)
REGRESSION = (RNG.uniform(0.1, 2.0, (N, 2)).astype("float32"),
              RNG.uniform(0.1, 2.0, (N, 2)).astype("float32"))
WEIGHTS = RNG.uniform(0.0, 1.0, N).astype("float32")


def classes():
    return {cls.__name__: cls for cls in registry.builtin_classes().values()}


def need(*names):
    missing = [n for n in names if n not in classes()]
    if missing:
        pytest.skip(f"builtins not available yet: {missing}")
    return [classes()[n] for n in names]


def result_of(cls, data, weights=None, **kwargs):
    m = cls(**kwargs)
    m.update_state(*data, **({} if weights is None else {"sample_weight": weights}))
    return np.asarray(m.result())


# -- resolution table (keras3_metrics_spec.md §5 and beyond) ---------------------------------------
SHAPE_CASES = [
    ("binary", BINARY, "BinaryAccuracy", "BinaryCrossentropy"),
    ("categorical", CATEGORICAL, "CategoricalAccuracy", "CategoricalCrossentropy"),
    ("sparse", SPARSE, "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"),
    ("sparse_rank1", SPARSE_RANK1, "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"),
]


@pytest.mark.parametrize("kind,data,accuracy,crossentropy", SHAPE_CASES,
                         ids=[c[0] for c in SHAPE_CASES])
def test_accuracy_and_crossentropy_strings_pick_by_shape(kind, data, accuracy, crossentropy):
    from metricdsl.compile import resolve_entry

    acc_cls, ce_cls = need(accuracy, crossentropy)
    specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in data]
    for identifier in ["accuracy", "acc", "Accuracy", "ACC", "crossentropy", "ce", "CE"]:
        metric = resolve_entry(identifier, *specs)
        expected = acc_cls if "acc" in identifier.lower() else ce_cls
        assert type(metric) is expected and metric.name == identifier  # the name as given
    c = md.compile_metrics(["acc", "ce"])
    c.update_state(*data)
    out = c.result()
    assert list(out) == ["acc", "ce"]
    np.testing.assert_allclose(out["acc"], result_of(acc_cls, data), rtol=1e-6)
    np.testing.assert_allclose(out["ce"], result_of(ce_cls, data), rtol=1e-6)


# Per output kind: identifiers Keras's compile accepts (spec §5: accuracy/acc, aliases, class and
# snake-case names) plus metricdsl's extras, each with the class it must resolve to.
TABLE = {
    "binary": (BINARY, [
        ("accuracy", "BinaryAccuracy"), ("acc", "BinaryAccuracy"), ("Accuracy", "BinaryAccuracy"),
        ("bce", "BinaryCrossentropy"), ("BCE", "BinaryCrossentropy"),
        ("binary_accuracy", "BinaryAccuracy"), ("BinaryCrossentropy", "BinaryCrossentropy"),
        ("crossentropy", "BinaryCrossentropy"), ("ce", "BinaryCrossentropy"),
        ("AUC", "AUC"), ("auc", "AUC"), ("precision", "Precision"), ("Recall", "Recall"),
        ("true_positives", "TruePositives"), ("FalseNegatives", "FalseNegatives"),
        ("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"), ("binary_io_u", "BinaryIoU"),
        ("F1Score", "F1Score"), ("mse", "MeanSquaredError")]),
    "categorical": (CATEGORICAL, [
        ("accuracy", "CategoricalAccuracy"), ("acc", "CategoricalAccuracy"),
        ("ACC", "CategoricalAccuracy"), ("categorical_accuracy", "CategoricalAccuracy"),
        ("crossentropy", "CategoricalCrossentropy"), ("CE", "CategoricalCrossentropy"),
        ("CategoricalCrossentropy", "CategoricalCrossentropy"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("kl_divergence", "KLDivergence"), ("kld", "KLDivergence"), ("KLD", "KLDivergence"),
        ("categorical_hinge", "CategoricalHinge"), ("f1_score", "F1Score"),
        ("FBetaScore", "FBetaScore"), ("poisson", "Poisson"), ("auc", "AUC")]),
    "sparse": (SPARSE, [
        ("accuracy", "SparseCategoricalAccuracy"), ("acc", "SparseCategoricalAccuracy"),
        ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
        ("crossentropy", "SparseCategoricalCrossentropy"), ("ce", "SparseCategoricalCrossentropy"),
        ("SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy"),
        ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy")]),
    "regression": (REGRESSION, [
        ("mse", "MeanSquaredError"), ("MSE", "MeanSquaredError"), ("mae", "MeanAbsoluteError"),
        ("MAE", "MeanAbsoluteError"), ("mape", "MeanAbsolutePercentageError"),
        ("MAPE", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
        ("MSLE", "MeanSquaredLogarithmicError"), ("mean_squared_error", "MeanSquaredError"),
        ("MeanAbsoluteError", "MeanAbsoluteError"), ("rmse", "RootMeanSquaredError"),
        ("RMSE", "RootMeanSquaredError"), ("root_mean_squared_error", "RootMeanSquaredError"),
        ("logcosh", "LogCoshError"), ("log_cosh_error", "LogCoshError"),
        ("cosine_similarity", "CosineSimilarity"), ("r2_score", "R2Score"),
        ("R2Score", "R2Score"), ("pearson_correlation", "PearsonCorrelation"),
        ("ConcordanceCorrelation", "ConcordanceCorrelation"), ("poisson", "Poisson"),
        ("huber", "MeanMetricWrapper"), ("log_cosh", "MeanMetricWrapper")]),
}


VALUE_CHECKS = {"bce", "ce", "kld", "mape", "msle", "rmse", "logcosh", "huber", "acc"}


@pytest.mark.parametrize("kind", list(TABLE))
def test_resolution_table(kind):
    from metricdsl.compile import resolve_entry

    data, rows = TABLE[kind]
    available = classes()
    rows = [(i, c) for i, c in rows if c in available and (
        c != "MeanMetricWrapper" or hasattr(md, f"metric_{i}"))]
    specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in data]
    for identifier, classname in rows:
        metric = resolve_entry(identifier, *specs)
        assert (type(metric).__name__, metric.name) == (classname, identifier)
    identifiers = [i for i, _ in rows]
    c = md.compile_metrics(identifiers)
    c.build(*specs)
    assert list(c.stateless_result(c.stateless_reset_state())) == identifiers  # as spelled
    rows = [(i, cls) for i, cls in rows if i in VALUE_CHECKS]
    c = md.compile_metrics([i for i, _ in rows])
    c.update_state(*data)
    out = c.result()
    for identifier, classname in rows:
        if classname == "MeanMetricWrapper":
            expected = np.mean(np.asarray(getattr(md, f"metric_{identifier}")(*data)))
        else:
            expected = result_of(available[classname], data)
        np.testing.assert_allclose(out[identifier], expected, rtol=1e-5, atol=1e-7,
                                   err_msg=identifier)


def _no_arg_classes():
    out = []
    for cls in registry.builtin_classes().values():
        try:
            cls()
        except TypeError:
            continue
        out.append(cls)
    return out


def test_every_no_arg_builtin_resolves_by_class_and_snake_name():
    from metricdsl.base import to_snake_case
    from metricdsl.compile import resolve_entry

    spec = jax.ShapeDtypeStruct((N, 3), "float32")
    for cls in _no_arg_classes():
        for identifier in (cls.__name__, to_snake_case(cls.__name__)):
            if identifier.lower() in ("accuracy", "acc"):
                continue  # compile picks by shape (tested above)
            metric = resolve_entry(identifier, spec, spec)
            assert type(metric) is cls and metric.name == identifier


def test_classes_and_instances_and_configs():
    (mse,) = need("MeanSquaredError")
    instance = mse(name="my_mse")
    config = {"class_name": "MeanSquaredError", "config": {"name": "from_config"}}
    c = md.compile_metrics([mse, instance, config])
    c.update_state(*REGRESSION)
    assert list(c.result()) == ["mean_squared_error", "my_mse", "from_config"]
    assert c.metrics[1] is instance


def test_callables_are_named_like_keras():
    def MyError(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    def plain(y_true, y_pred):
        return ops.mean(y_pred, axis=-1)

    named = md.custom_metric("mean_pred", plain)
    c = md.compile_metrics([MyError, plain, named, lambda t, p: ops.mean(p, axis=-1)])
    c.update_state(*REGRESSION)
    out = c.result()
    assert list(out) == ["my_error", "plain", "mean_pred", "lambda"]
    np.testing.assert_allclose(out["plain"], np.mean(REGRESSION[1]), rtol=1e-6)
    np.testing.assert_allclose(out["mean_pred"], np.mean(REGRESSION[1]), rtol=1e-6)


# -- Keras naming and collision rules -------------------------------------------------------------
def test_spec_row_26_compile_metrics_acceptance_vector():
    (mse,) = need("MeanSquaredError")
    y_true = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    y_pred1 = np.array([[0.4, 0.1], [0.2, 0.6], [0.6, 0.1]])
    y_pred2 = np.array([[0.3, 0.2], [0.1, 0.4], [0.2, 0.3]])
    sw = np.array([1, 0, 1])
    c = md.compile_metrics(metrics=[mse()], weighted_metrics=[mse()])
    c.update_state(y_true, y_pred1, sample_weight=sw)
    c.update_state(y_true, y_pred2, sample_weight=sw)
    out = c.result()
    # keras3_metrics_spec.md §6.3 row 26 (keras compile_utils_test.py).
    assert list(out) == ["mean_squared_error", "weighted_mean_squared_error"]
    np.testing.assert_allclose(out["mean_squared_error"], 0.055833336, rtol=1e-6)
    np.testing.assert_allclose(out["weighted_mean_squared_error"], 0.0725, rtol=1e-6)
    c.reset_state()
    assert all(float(v) == 0.0 for v in c.result().values())


def test_duplicate_names_unweighted_and_weighted():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mse", "mse"], weighted_metrics=["mse", "mse", "mae"])
    c.update_state(*REGRESSION, sample_weight=WEIGHTS)
    assert list(c.result()) == ["mse", "mse_1", "mse_2", "weighted_mse", "weighted_mse_1", "mae"]


def test_multi_output_prefixes_and_weighted_keys():
    need("MeanSquaredError")
    y = {"output_1": REGRESSION[0], "output_2": REGRESSION[0] * 2}
    p = {"output_1": REGRESSION[1], "output_2": REGRESSION[1]}
    c = md.compile_metrics({"output_1": ["mse", "mae"], "output_2": ["mse"]},
                           weighted_metrics={"output_1": ["mse"], "output_2": ["mse"]})
    c.update_state(y, p, sample_weight=WEIGHTS)
    out = c.result()
    assert list(out) == ["output_1_mse", "output_1_mae", "output_2_mse",
                         "output_1_weighted_mse", "output_2_weighted_mse"]
    one = result_of(classes()["MeanSquaredError"], (y["output_2"], p["output_2"]), WEIGHTS)
    np.testing.assert_allclose(out["output_2_weighted_mse"], one, rtol=1e-6)


@pytest.mark.keras
def test_naming_and_values_match_real_keras_compile_metrics():
    keras = pytest.importorskip("keras")
    from keras.src.trainers.compile_utils import CompileMetrics

    need("MeanSquaredError", "BinaryAccuracy", "MeanAbsoluteError")
    two = [REGRESSION[0][:, :1], REGRESSION[0][:, 1:]]
    two_pred = [REGRESSION[1][:, :1], REGRESSION[1][:, 1:]]
    configs = [
        (["accuracy", "mse", "acc", "mse"], ["mse", "mae"], None, BINARY[0], BINARY[1]),
        (["mse", "mae"], ["mse", ["mse", "mae"]], ["a", "b"], two, two_pred),
        ([["mse", "mae"], ["mse"]], [["mse"], ["mse", "mse"]], ["a", "b"], two, two_pred),
        ({"b": ["mse"]}, {"a": "mae", "b": ["mae"]}, ["a", "b"], two, two_pred),
        (["mse", "mae"], None, None, two, two_pred),
        ({"b": "mae", "a": ["mse"]}, {"a": "mse"}, None, dict(zip("ba", two)),
         dict(zip("ba", two_pred))),
    ]
    for metrics, weighted, names, y_true, y_pred in configs:
        theirs = CompileMetrics(metrics, weighted, output_names=names)
        ours = md.compile_metrics(metrics, weighted, output_names=names)
        for obj in (theirs, ours):
            obj.update_state(y_true, y_pred, sample_weight=WEIGHTS)
        expected = {k: np.asarray(v) for k, v in theirs.result().items()}
        got = ours.result()
        assert list(got) == list(expected), (metrics, weighted)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-5, err_msg=key)
    del keras


def test_dict_results_expand_into_keys():
    def init(name="multi", **kwargs):
        super.initialize(name=name, **kwargs)
        self.total = self.add_variable((), "zeros", name="total")

    def update(y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(y_pred))

    Multi = Metric("Multi", init, update,
                   lambda: {"sum_pred": self.total, "twice": 2 * self.total})
    c = md.compile_metrics(["mse", Multi(), Multi()])
    c.update_state(*REGRESSION)
    out = c.result()
    assert list(out) == ["mse", "sum_pred", "twice", "sum_pred_1", "twice_1"]
    np.testing.assert_allclose(out["twice"], 2 * REGRESSION[1].sum(), rtol=1e-6)


# -- structures -------------------------------------------------------------------------------------
def test_list_outputs_with_output_names_and_list_of_lists():
    need("MeanSquaredError")
    y = [REGRESSION[0], REGRESSION[0] + 1]
    p = [REGRESSION[1], REGRESSION[1]]
    c = md.compile_metrics([["mse"], ["mse", "mae"]], output_names=["first", "second"])
    c.update_state(y, p)
    assert list(c.result()) == ["first_mse", "second_mse", "second_mae"]
    c2 = md.compile_metrics([["mse"], ["mse"]])  # no output names: Keras numbers the duplicates
    c2.update_state(y, p)
    assert list(c2.result()) == ["mse", "mse_1"]


def test_dict_outputs_sorted_missing_outputs_and_ordered_dict():
    need("MeanSquaredError")
    y = {"b": REGRESSION[0], "a": REGRESSION[0]}
    p = {"b": REGRESSION[1], "a": REGRESSION[1] + 1}
    c = md.compile_metrics({"b": "mse", "a": "mae"})
    c.update_state(y, p)
    assert list(c.result()) == ["a_mae", "b_mse"]
    c = md.compile_metrics({"a": "mse"})  # b has no metrics
    c.update_state(y, p)
    assert list(c.result()) == ["a_mse"]
    od_y = collections.OrderedDict([("b", REGRESSION[0]), ("a", REGRESSION[0])])
    od_p = collections.OrderedDict([("b", REGRESSION[1]), ("a", REGRESSION[1])])
    c = md.compile_metrics({"a": "mse", "b": "mse"})
    c.update_state(od_y, od_p)
    assert list(c.result()) == ["b_mse", "a_mse"]


def test_single_output_flattens_everything_and_weights_per_output():
    need("MeanSquaredError")
    c = md.compile_metrics({"out": ["mse", ["mae"]]}, output_names=["out"])
    c.update_state(*REGRESSION)
    assert list(c.result()) == ["mse", "mae"]
    y = [REGRESSION[0], REGRESSION[0]]
    p = [REGRESSION[1], REGRESSION[1] * 2]
    w2 = np.ones(N, "float32")
    per_output = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
    per_output.update_state(y, p, sample_weight=[WEIGHTS, w2])
    shared = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
    shared.update_state(y, p, sample_weight=WEIGHTS)
    mse = classes()["MeanSquaredError"]
    np.testing.assert_allclose(per_output.result()["b_mse"], result_of(mse, (y[1], p[1])),
                               rtol=1e-6)
    np.testing.assert_allclose(shared.result()["b_mse"], result_of(mse, (y[1], p[1]), WEIGHTS),
                               rtol=1e-6)
    by_name = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
    by_name.update_state(y, p, sample_weight={"a": WEIGHTS, "b": w2})
    np.testing.assert_allclose(by_name.result()["a_mse"], shared.result()["a_mse"], rtol=1e-6)


def test_deeply_nested_outputs():
    need("MeanSquaredError")
    y = {"a": [REGRESSION[0], REGRESSION[0]], "b": REGRESSION[0]}
    p = {"a": [REGRESSION[1], REGRESSION[0]], "b": REGRESSION[1]}
    c = md.compile_metrics({"a": [["mse"], ["mae"]], "b": ["mse"]})
    c.update_state(y, p)
    out = c.result()
    assert list(out) == ["mse", "mae", "mse_1"]
    assert float(out["mae"]) == 0.0


# -- add_metric -------------------------------------------------------------------------------------
def test_add_metric_mean_and_sum_reported_and_reset():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse"])
    c.update_state(*REGRESSION)
    c.add_metric(1.0, "loss")
    c.add_metric(np.array([2.0, 4.0]), "loss")
    c.add_metric(3, "steps", aggregation="sum")
    c.update_state(*REGRESSION, extra={"loss": 5.0, "steps": 1})
    out = c.result()
    assert list(out) == ["mse", "loss", "steps"]
    np.testing.assert_allclose(out["loss"], (1 + 2 + 4 + 5) / 4)
    np.testing.assert_allclose(out["steps"], 4.0)
    c.reset_state()
    assert float(c.result()["loss"]) == 0.0 and float(c.result()["steps"]) == 0.0
    with pytest.raises(CompileMetricsError, match="aggregates by 'mean'"):
        c.add_metric(1.0, "loss", aggregation="sum")
    with pytest.raises(CompileMetricsError, match="'mean' or 'sum'"):
        c.add_metric(1.0, "x", aggregation="max")
    with pytest.raises(CompileMetricsError, match="add_metric"):
        c.update_state(*REGRESSION, extra={"unknown": 1.0})


def test_add_metric_without_compiled_metrics():
    c = md.compile_metrics()
    c.add_metric(2.0, "loss")
    c.add_metric(4.0, "loss")
    assert float(c.result()["loss"]) == 3.0
    c.update_state(*REGRESSION, extra={"loss": 6.0})
    assert float(c.result()["loss"]) == 4.0
    state = c.stateless_update_state(c.stateless_reset_state(), *REGRESSION, extra={"loss": 1.0})
    assert c.stateless_result(state) == {"loss": 1.0}


# -- build, stateless, jit ------------------------------------------------------------------------
def test_build_with_shape_structs_then_stateless_under_jit():
    need("BinaryAccuracy", "MeanSquaredError", "R2Score")
    c = md.compile_metrics(["accuracy", "mse", md.metric_r2_score()], weighted_metrics=["mse"])
    with pytest.raises(CompileMetricsError, match="build"):
        c.stateless_reset_state()
    spec = jax.ShapeDtypeStruct((N, 1), "float32")
    c.build(spec, spec)
    c.add_metric(None, "loss")
    assert [type(m).__name__ for m in c.metrics] == ["BinaryAccuracy", "MeanSquaredError",
                                                     "R2Score", "MeanSquaredError", "Mean"]

    @jax.jit
    def step(state, y_true, y_pred, w):
        state = c.stateless_update_state(state, y_true, y_pred, sample_weight=w,
                                         extra={"loss": jnp.mean(y_pred)})
        return state, c.stateless_result(state)

    state = c.stateless_reset_state()
    for _ in range(2):
        state, logs = step(state, *BINARY, WEIGHTS)
    reference = md.compile_metrics(["accuracy", "mse", md.metric_r2_score()],
                                   weighted_metrics=["mse"])
    for _ in range(2):
        reference.update_state(*BINARY, sample_weight=WEIGHTS)
        reference.add_metric(np.mean(BINARY[1]), "loss")
    expected = reference.result()
    assert set(logs) == set(expected)
    for key in expected:
        np.testing.assert_allclose(logs[key], expected[key], rtol=1e-5, err_msg=key)
    with pytest.raises(CompileMetricsError, match="one entry per metric"):
        c.stateless_update_state(state[:-1], *BINARY)


def test_stateless_state_is_a_scan_carry():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mae"])
    c.build(*REGRESSION)
    ys = np.stack([REGRESSION[0]] * 3)
    ps = np.stack([REGRESSION[1]] * 3)

    def body(state, batch):
        return c.stateless_update_state(state, *batch), None

    state, _ = jax.lax.scan(body, c.stateless_reset_state(), (ys, ps))
    logs = c.stateless_result(state)
    np.testing.assert_allclose(logs["mse"], np.mean((REGRESSION[0] - REGRESSION[1]) ** 2),
                               rtol=1e-6)


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


def test_eager_member_in_a_collection():
    def init(name="eager_count", **kwargs):
        super.initialize(name=name, **kwargs)
        self.n = self.add_variable((), "zeros", name="n")

    def update(y_true, y_pred, sample_weight=None):
        self.n.assign_add(float(np.asarray(y_pred).shape[0]))

    Eager = Metric("EagerCount", init, update, lambda: self.n, run_eagerly=True)
    c = md.compile_metrics(["mse", Eager()])
    c.update_state(*REGRESSION)
    c.update_state(*REGRESSION)
    assert float(c.result()["eager_count"]) == 2 * N


def test_merge_state_equals_one_pass():
    need("MeanSquaredError", "BinaryAccuracy")
    halves = [(BINARY[0][:3], BINARY[1][:3]), (BINARY[0][3:], BINARY[1][3:])]
    shards = []
    for y_true, y_pred in halves:
        c = md.compile_metrics(["accuracy", "mse"])
        c.update_state(y_true, y_pred)
        shards.append(c)
    shards[0].merge_state(shards[1:])
    whole = md.compile_metrics(["accuracy", "mse"])
    whole.update_state(*BINARY)
    for key, value in whole.result().items():
        np.testing.assert_allclose(shards[0].result()[key], value, rtol=1e-6)
    with pytest.raises(CompileMetricsError, match="cannot merge"):
        shards[0].merge_state(md.compile_metrics(["mae"]))


# -- errors -----------------------------------------------------------------------------------------
def test_unknown_identifier_lists_close_matches():
    with pytest.raises(ValueError, match=r"unknown metric identifier 'acuracy'.*'accuracy'"):
        md.compile_metrics(["acuracy"])
    with pytest.raises(ValueError, match=r"'mean_squared_eror' in metrics\['a'\]\[1\].*'mean_squared_error'"):
        md.compile_metrics({"a": ["mse", "mean_squared_eror"]})


def test_non_callable_entries_and_bad_arguments():
    with pytest.raises(CompileMetricsError, match=r"metrics\[1\] holds int 3"):
        md.compile_metrics(["mse", 3])
    with pytest.raises(CompileMetricsError, match="output_names"):
        md.compile_metrics(["mse"], output_names="out")
    with pytest.raises(CompileMetricsError, match="needs|cannot be built with no arguments"):
        c = md.compile_metrics([md.metric_mean_wrapper])
        c.update_state(*REGRESSION)


def test_dict_keyed_by_unknown_output():
    need("MeanSquaredError")
    y = {"a": REGRESSION[0], "b": REGRESSION[0]}
    c = md.compile_metrics({"a": "mse", "c": "mae"})
    with pytest.raises(CompileMetricsError, match=r"\['c'\].*outputs"):
        c.update_state(y, y)
    single = md.compile_metrics({"typo": "mse"}, output_names=["out"])
    with pytest.raises(CompileMetricsError, match=r"\['typo'\]"):
        single.update_state(*REGRESSION)
    two = md.compile_metrics(["mse"], output_names=["a", "b"])
    with pytest.raises(CompileMetricsError, match="one entry per output"):
        two.update_state([REGRESSION[0]] * 2, [REGRESSION[1]] * 2)


def test_wrong_output_structure_at_update():
    need("MeanSquaredError")
    c = md.compile_metrics({"a": "mse", "b": "mse"})
    y = {"a": REGRESSION[0], "b": REGRESSION[0]}
    c.update_state(y, y)
    with pytest.raises(CompileMetricsError, match=r"y_pred must be a dict with the outputs"):
        c.update_state(y, {"a": REGRESSION[0]})
    flat = md.compile_metrics(["mse"])
    flat.update_state(*REGRESSION)
    with pytest.raises(CompileMetricsError, match="structure"):
        flat.update_state([REGRESSION[0]] * 2, [REGRESSION[1]] * 2)
    with pytest.raises(CompileMetricsError, match="2 entries for 1 outputs|sample_weight"):
        pair = md.compile_metrics(None, ["mse", "mse"], output_names=["a", "b"])
        pair.update_state([REGRESSION[0]] * 2, [REGRESSION[1]] * 2,
                          sample_weight=[WEIGHTS, WEIGHTS, WEIGHTS])


def test_same_instance_twice_is_rejected():
    (mse_cls,) = need("MeanSquaredError")
    m = mse_cls()
    c = md.compile_metrics([m], weighted_metrics=[m])
    with pytest.raises(CompileMetricsError, match="appears twice"):
        c.update_state(*REGRESSION)


def test_untraceable_member_falls_back_to_eager_with_a_warning():
    def init(name="calls", **kwargs):
        super.initialize(name=name, **kwargs)
        self.n = self.add_variable((), "zeros", name="n")
        self.seen = 0

    def update(y_true, y_pred, sample_weight=None):
        self.seen = self.seen + 1  # a Python side effect: cannot run once per trace
        self.n.assign_add(1.0)

    Calls = Metric("Calls", init, update, lambda: self.n)
    metric = Calls()
    c = md.compile_metrics(["mse", metric])
    with pytest.warns(md.MetricEagerWarning, match="Calls"):
        c.update_state(*REGRESSION)
    c.update_state(*REGRESSION)
    out = c.result()
    assert float(out["calls"]) == 2.0 and metric.seen == 2
    np.testing.assert_allclose(out["mse"], np.mean((REGRESSION[0] - REGRESSION[1]) ** 2),
                               rtol=1e-6)


def test_identical_collections_share_the_compiled_update():
    from metricdsl.compile.fused import _SHARED

    need("MeanSquaredError")
    first = md.compile_metrics(["mse", "mae"], weighted_metrics=["mse"])
    first.update_state(*REGRESSION, sample_weight=WEIGHTS)
    count = len(_SHARED)
    second = md.compile_metrics(["MSE", "MAE"], weighted_metrics=["mean_squared_error"])
    second.update_state(*REGRESSION, sample_weight=WEIGHTS)
    assert len(_SHARED) == count
    assert list(second.result()) == ["MSE", "MAE", "mean_squared_error"]
    for a, b in zip(first.result().values(), second.result().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_stateless_use_after_stateful_updates_leaks_no_tracers():
    need("MeanSquaredError")
    c = md.compile_metrics(["mse", "mae"])
    c.build(*REGRESSION)
    initial = c.stateless_reset_state()
    c.update_state(*REGRESSION)  # the packed state is newer than the members' variables
    state = jax.jit(c.stateless_update_state)(initial, *REGRESSION)
    np.testing.assert_allclose(c.stateless_result(state)["mse"], c.result()["mse"], rtol=1e-6)
    for variable in c.variables:
        assert not isinstance(variable.value, jax.core.Tracer)
    c.update_state(*REGRESSION)
    np.testing.assert_allclose(c.result()["mse"], c.stateless_result(state)["mse"], rtol=1e-6)
