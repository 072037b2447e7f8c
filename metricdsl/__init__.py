"""metricdsl: Keras-3-compatible machine-learning metrics on JAX, declared with ``Metric()``."""

from . import config, ops
from .builtin import *  # noqa: F401,F403
from .builtin import __all__ as _builtin_names
from .base import MetricEagerWarning
from .compile import MetricCollection, compile_metrics
from .evaluation import History, evaluate
from .factory import Metric, MetricDefinitionError, custom_metric
from .registry import deserialize, get, register, serialize
from .scope import active_property, mark_active
from .state import State
from .variables import Variable

__all__ = [
    "History", "MetricCollection", "compile_metrics", "deserialize", "evaluate", "get",
    "register", "serialize",
    "Metric", "MetricDefinitionError", "MetricEagerWarning", "Variable", "active_property",
    "State", "config", "custom_metric", "mark_active", "ops", *_builtin_names,
]
__version__ = "0.1.0"


def __getattr__(name: str):
    """Optional integrations load on first use (``md.keras``), keeping ``import metricdsl`` fast."""
    if name == "keras":
        import importlib

        return importlib.import_module(".keras", __name__)
    raise AttributeError(f"module 'metricdsl' has no attribute {name!r}")
