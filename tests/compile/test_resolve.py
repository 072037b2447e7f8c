"""String resolution (keras3_metrics_spec.md §5 and beyond): identifiers, classes, callables."""

import jax
import numpy as np
import pytest
from compile_data import (
    BINARY,
    CATEGORICAL,
    REGRESSION,
    SPARSE,
    SPARSE_RANK1,
    N,
    classes,
    need,
    result_of,
)

import metricdsl as md
from metricdsl import ops, registry
from metricdsl.compile import CompileMetricsError

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


def test_unknown_identifier_lists_close_matches():
    with pytest.raises(ValueError, match=r"unknown metric identifier 'acuracy'.*'accuracy'"):
        md.compile_metrics(["acuracy"])
    with pytest.raises(ValueError,
                       match=r"'mean_squared_eror' in metrics\['a'\]\[1\].*'mean_squared_error'"):
        md.compile_metrics({"a": ["mse", "mean_squared_eror"]})


def test_non_callable_entries_and_bad_arguments():
    with pytest.raises(CompileMetricsError, match=r"metrics\[1\] holds int 3"):
        md.compile_metrics(["mse", 3])
    with pytest.raises(CompileMetricsError, match="output_names"):
        md.compile_metrics(["mse"], output_names="out")
    with pytest.raises(CompileMetricsError, match=r"needs|cannot be built with no arguments"):
        c = md.compile_metrics([md.metric_mean_wrapper])
        c.update_state(*REGRESSION)
