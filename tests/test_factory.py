"""The Metric() factory: scoping, super, private, members, signatures, definition errors, config."""

import gc
import inspect
import json
import pickle
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import metricdsl as md
from metricdsl import Metric, MetricDefinitionError, ops


# -- the seed's BinaryTruePositives, defined at module level so it pickles -------------------
def _btp_initialize(name="binary_true_positives", **kwargs):
    """Counts true positives."""
    super.initialize(name=name, **kwargs)
    self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")


def _btp_update_state(y_true, y_pred, sample_weight=None):
    y_true = ops.cast(y_true, "bool")
    y_pred = ops.cast(y_pred, "bool")
    values = ops.cast(ops.logical_and(y_true, y_pred), self.dtype)
    if sample_weight is not None:
        sample_weight = ops.broadcast_to(ops.cast(sample_weight, self.dtype), ops.shape(values))
        values = values * sample_weight
    self.true_positives.assign(self.true_positives + ops.sum(values))


def _btp_result():
    return self.true_positives


metric_binary_true_positives = Metric(
    "BinaryTruePositives", initialize=_btp_initialize, update_state=_btp_update_state,
    result=_btp_result)


def _scaled_initialize(scale=2.0, name="scaled", **kwargs):
    super.initialize(name=name, **kwargs)
    self.scale = scale


metric_scaled_sum = Metric(
    "ScaledSum", initialize=_scaled_initialize, inherit=md.metric_sum,
    update_state=lambda values, sample_weight=None: super.update_state(
        ops.multiply(values, self.scale), sample_weight=sample_weight))


def test_seed_binary_true_positives_values():
    # Values from the Keras metrics overview (1.0, 3.0) and the R keras3 study (2, 2.75, 0).
    m = metric_binary_true_positives()
    m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    assert float(m.result()) == 1.0
    m.update_state([1, 1, 1, 1], [0, 1, 1, 0])
    assert float(m.result()) == 3.0
    r = metric_binary_true_positives()
    r.update_state([1, 1, 0, 1], [1, 0, 1, 1])
    assert float(r.result()) == 2.0
    r.update_state([1, 1], [1, 1], sample_weight=[0.5, 0.25])
    assert float(r.result()) == 2.75
    r.reset_state()
    assert float(r.result()) == 0.0
    assert r.name == "binary_true_positives"
    assert metric_binary_true_positives("positional").name == "positional"


def test_class_identity_signature_docs_module():
    cls = metric_binary_true_positives
    assert isinstance(cls, type) and issubclass(cls, Metric)
    assert isinstance(cls(), Metric)
    assert cls.__qualname__ == cls.__name__ == "BinaryTruePositives"
    assert cls.__module__ == __name__
    assert str(inspect.signature(cls)) == "(name='binary_true_positives', **kwargs)"
    assert cls.__doc__ == "Counts true positives."
    assert cls.initialize is cls.__init__
    assert (str(inspect.signature(cls.update_state))
            == "(self, /, y_true, y_pred, sample_weight=None)")


def test_every_builtin_and_subclass_is_a_metric():
    class Plain(Metric):
        def __init__(self, name="plain"):
            super().__init__(name=name)
            self.n = self.add_variable((), "zeros")

        def update_state(self, x):
            self.n.assign_add(ops.sum(x))

        def result(self):
            return self.n

    p = Plain()
    p.update_state(jnp.array([1.0, 2.0]))
    assert float(p.result()) == 3.0 and isinstance(p, Metric)
    assert isinstance(md.metric_mean(), Metric) and isinstance(md.metric_sum(), Metric)


def test_free_names_resolve_in_methods_and_nested_helpers():
    seen = {}

    def initialize(name="probe"):
        super.initialize(name=name)

        def helper():
            return self, __class__, Probe, super  # noqa: F821 - the DSL puts __class__ in scope

        seen["init"] = helper()

    def describe(self, suffix):  # explicit self works too
        return f"{self.name}{suffix}"

    Probe = Metric("Probe", initialize, describe=describe)
    m = Probe()
    got_self, got_class, got_name, got_super = seen["init"]
    assert got_self is m and got_class is Probe and got_name is Probe
    assert got_super.__init__ is not None
    assert m.describe("!") == "probe!"


def test_super_chain_follows_mro():
    log = []

    def base_result():
        log.append("Base")
        return 1.0

    Base = Metric("Base", result=base_result)

    def a_result():
        log.append("A")
        return super.result() * 10

    A = Metric("A", result=a_result, inherit=Base)

    def b_result():
        log.append("B")
        skipped = super(A, self).result()
        return super.result() + super().result() + skipped

    B = Metric("B", result=b_result, inherit=A)
    m = B(name="b")
    assert m._md_in_scope([], m.result)[0] == 21.0
    assert log == ["B", "Base", "A", "Base", "A", "Base"]


def test_inherit_metric_mean_wrapper_and_user_chain():
    # R keras3 study: inherit = metric_mean_wrapper on (1,2) vs (2,4) gives 1.5; an
    # inherited Metric() class whose result is multiplied by 10 after two updates gives 20.
    def mae2_initialize(name="mae2", **kwargs):
        super.initialize(fn=lambda t, p: ops.abs(t - p), name=name, **kwargs)

    MAE2 = Metric("MAE2", initialize=mae2_initialize, inherit=md.metric_mean_wrapper)
    m = MAE2()
    m.update_state(jnp.array([1.0, 2.0]), jnp.array([2.0, 4.0]))
    assert float(m.result()) == 1.5
    assert [c.__name__ for c in MAE2.__mro__[:4]] == ["MAE2", "MeanMetricWrapper", "Mean",
                                                       "Metric"]

    def count_initialize(name="count", **kwargs):
        super.initialize(name=name, **kwargs)
        self.n = self.add_variable((), "zeros")

    Count = Metric("Count", count_initialize, lambda *a: self.n.assign_add(1.0), lambda: self.n)
    Times10 = Metric("Times10", result=lambda: super.result() * 10, inherit=Count)
    t = Times10()
    t.update_state(1)
    t.update_state(2)
    assert float(t.result()) == 20.0
    assert metric_scaled_sum(3.0)([1.0, 2.0]) == 9.0


def test_private_is_per_instance_per_definition_and_invisible():
    def initialize(name="counter"):
        super.initialize(name=name)
        self.v = self.add_variable((), "zeros")

    def bump(n=1):
        private.count += n
        private.log.append(n)
        return private.count

    P1 = Metric("P1", initialize, private={"count": 0, "log": []}, bump=bump,
                peek=lambda: getattr(private, "count", None))
    P2 = Metric("P2", inherit=P1, peek2=lambda: getattr(private, "count", None))
    a, b = P1(), P1()
    assert (a.bump(2), b.bump(), a.bump(2), b.bump(2)) == (2, 1, 4, 3)
    assert a.peek() == 4 and P1.__dict__ is not None
    assert P1({"name": "x"}.get("name")).peek() == 0  # fresh deep copy per instance
    c = P2()
    c.bump(5)
    assert c.peek() == 5 and c.peek2() is None  # a child's own methods see their own private
    assert "count" not in vars(a) and not any("count" in k for k in a.get_config())
    assert len(a.variables) == 1
    clone = pickle.loads(pickle.dumps(metric_binary_true_positives()))
    assert isinstance(clone, metric_binary_true_positives)


def test_private_functions_see_self_and_never_keep_instance_alive():
    def initialize(name="pf"):
        super.initialize(name=name)

    def describe():
        return f"{self.name}:{private.tag}"

    PF = Metric("PF", initialize, private={"tag": "t", "describe": describe},
                show=lambda: private.describe())
    m = PF()
    assert m.show() == "pf:t"
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_public_and_members_merge_order_and_attributes():
    def area():
        return self.side ** 2

    Sq = Metric("Sq", members_value=1, shared="members", public={
        "shared": "public", "dropped": None, "side": 3, "area": property(area)})
    m = Sq(name="sq")
    assert Sq.shared == "public" and Sq.members_value == 1 and m.dropped is None
    assert m.area == 9

    def side_prop(value=None):
        if value is None:
            return self.__dict__.get("_side", 1)
        self._side = value

    Active = Metric("Active", side=md.active_property(side_prop))
    a = Active(name="a")
    assert a.side == 1
    a.side = 5
    assert a.side == 5


def test_definition_errors_name_class_and_member():
    cases = [
        (lambda: Metric("not valid"), "classname"),
        (lambda: Metric(3), "classname"),
        (lambda: Metric("Both", initialize=lambda: None, __init__=lambda self: None),
         "'initialize' and '__init__'"),
        (lambda: Metric("Bad", update_state=3), "update_state must be a function"),
        (lambda: Metric("Bad", result="x"), "result must be a function"),
        (lambda: Metric("Bad", inherit=int), "inherit="),
        (lambda: Metric("Bad", inherit="metric_mean"), "inherit="),
    ]
    for make, fragment in cases:
        with pytest.raises(MetricDefinitionError) as info:
            make()
        assert fragment in str(info.value)
        assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    with pytest.raises(MetricDefinitionError) as info:
        Metric("Bad", update_state=3)
    assert "'Bad'" in str(info.value)

    def uses_global():
        global _SOME_GLOBAL
        _SOME_GLOBAL = 1

    with pytest.raises(MetricDefinitionError, match=r"'Glob'.*'update_state'.*global _SOME_GLOBAL"):
        Metric("Glob", update_state=uses_global)

    def huber(y_true, y_pred):
        return y_true

    huber.__metricdsl_function_only__ = True
    with pytest.raises(MetricDefinitionError, match="function-only"):
        Metric("Bad", inherit=huber)


def test_missing_super_initialize_is_a_clear_error():
    Forgot = Metric("Forgot", initialize=lambda: self.add_variable((), "zeros"))
    with pytest.raises(RuntimeError, match="forgot to call `super"):
        Forgot()


def test_config_for_free_and_override():
    m = metric_scaled_sum(scale=4.0, name="s4")
    config = m.get_config()
    assert config == {"name": "s4", "dtype": "float32", "scale": 4.0}
    rebuilt = metric_scaled_sum.from_config(config)
    assert rebuilt.scale == 4.0 and rebuilt.name == "s4"
    Custom = Metric("Custom", get_config=lambda: {**super.get_config(), "extra": 1})
    assert Custom(name="c").get_config() == {"name": "c", "dtype": "float32", "extra": 1}
    FromCfg = Metric("FromCfg",
                     from_config=lambda config: cls(name=config["name"] + "!"))  # noqa: F821 - DSL name
    assert FromCfg.from_config({"name": "n"}).name == "n!"


def test_config_keeps_every_argument():
    m = metric_scaled_sum(scale=np.float32(4.0))
    assert m.get_config()["scale"] == 4.0 and type(m.get_config()["scale"]) is float
    precision = md.metric_precision(thresholds=[np.float32(0.25), np.float64(0.75)])
    assert precision.get_config()["thresholds"] == [0.25, 0.75]
    weights = np.array([1.0, 2.0], np.float32)
    Holder = Metric("Holder", initialize=lambda weights, fn=None, name=None, dtype=None:
                    super.initialize(name=name, dtype=dtype))
    config = Holder(weights=weights, fn=np.square).get_config()
    assert config["weights"] is weights and config["fn"] is np.square
    assert Holder.from_config(config).get_config()["weights"] is weights
    serialized = md.serialize(md.metric_precision(thresholds=np.float32(0.5)))
    assert json.loads(json.dumps(serialized))["config"]["thresholds"] == 0.5


def test_pickle_round_trips_config_and_state():
    m = metric_scaled_sum(scale=3.0, name="pick")
    m.update_state([1.0, 2.0])
    clone = pickle.loads(pickle.dumps(m))
    assert type(clone) is metric_scaled_sum and clone.scale == 3.0 and clone.name == "pick"
    assert float(clone.result()) == 9.0
    mean = md.metric_mean()
    mean.update_state([1.0, 5.0])
    assert float(pickle.loads(pickle.dumps(mean)).result()) == 3.0
    Local = Metric("Local")
    with pytest.raises(TypeError, match="module-level"):
        pickle.dumps(Local(name="x"))


def test_custom_metric_names_a_copy():
    def fn(y_true, y_pred):
        return ops.mean(y_pred, axis=-1)

    named = md.custom_metric("mean_pred", fn)
    assert named.__name__ == "mean_pred" and fn.__name__ == "fn"
    assert inspect.signature(named) == inspect.signature(fn)
    np.testing.assert_allclose(named([[1.0]], [[2.0, 4.0]]), [3.0])
    assert md.metric_mean_wrapper(named).name == "mean_pred"
    assert md.metric_mean_wrapper(fn).name.startswith("mean_metric_wrapper")


@pytest.mark.parametrize("typo, intended", [("update_stat", "update_state"),
                                            ("intialize", "initialize"), ("reslt", "result")])
def test_misspelled_member_names_are_definition_errors(typo, intended):
    with pytest.raises(MetricDefinitionError, match=f"'{typo}'.*misspelling of '{intended}'"):
        Metric("Typo", **{typo: lambda: None})
    Deliberate = Metric("Deliberate", public={typo: lambda: 7})
    assert getattr(Deliberate(), typo)() == 7


def test_unknown_constructor_keyword_names_the_users_class():
    Passes = Metric("Passes", initialize=lambda name=None, **kwargs:
                    super.initialize(name=name, **kwargs))
    with pytest.raises(TypeError, match=r"^Passes\(\) got unexpected keyword argument\(s\) 'foo'"):
        Passes(foo=1)
    Strict = Metric("Strict", initialize=lambda name=None: super.initialize(name=name))
    with pytest.raises(TypeError, match=r"^Strict\(\).*'foo'"):
        Strict(foo=1)


def test_initialize_without_super_fails_at_construction():
    Never = Metric("Never", initialize=lambda name=None: None)
    with pytest.raises(TypeError, match=r"Never: initialize never called super\.initialize"):
        Never()


def test_factory_signature_and_help_show_the_factory_form():
    import pydoc

    signature = inspect.signature(Metric)
    assert list(signature.parameters)[:4] == ["classname", "initialize", "update_state", "result"]
    for name in ("public", "private", "inherit", "parent_env"):
        assert signature.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert signature.parameters[name].default is None
    assert signature.parameters["members"].kind is inspect.Parameter.VAR_KEYWORD
    assert "Metric(classname" in pydoc.plain(pydoc.render_doc(Metric))
    assert next(iter(inspect.signature(md.metric_auc).parameters)) == "num_thresholds"


def test_variables_are_pytrees_like_their_values():
    m = md.metric_mean()
    m.update_state([1.0, 2.0, 3.0])
    doubled = jax.jit(lambda variables: [v.value * 2 for v in variables])(m.variables)
    np.testing.assert_allclose(doubled[:2], [12.0, 6.0])
    shifted = jax.tree_util.tree_map(lambda x: x + 1, m.variables)
    assert [v.name for v in shifted] == [v.name for v in m.variables]
    np.testing.assert_allclose(shifted[0].value, 7.0)
    assert float(m.total) == 6.0  # the originals are untouched


def test_annotated_constructor_arguments_are_checked_at_construction():
    def initialize(scale: float = 1.0, labels: list[int] | None = None, name: str | None = None):
        super.initialize(name=name)

    Typed = Metric("Typed", initialize=initialize)
    Typed(scale=2, labels=[1, 2])  # an int is a float, as PEP 484 says
    with pytest.raises(TypeError, match=r"^Typed: argument `scale` must be float; received str"):
        Typed(scale="x")
    with pytest.raises(TypeError, match=r"Typed: argument `labels` must be .*received list"):
        Typed(labels=["a"])
