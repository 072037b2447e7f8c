"""metricdsl: Keras-3-compatible machine-learning metrics on JAX, declared with ``Metric()``."""

from . import config, ops
from .analytics import bootstrap, sliced
from .base import MetricEagerWarning
from .builtin import *  # noqa: F403
from .builtin import __all__ as _builtin_names
from .compile import MetricCollection, compile_metrics
from .evaluation import History, evaluate
from .factory import Metric, MetricDefinitionError, custom_metric
from .registry import deserialize, get, register, serialize
from .scope import active_property, mark_active
from .state import State
from .variables import Variable

__all__ = [
    "History", "MetricCollection", "compile_metrics", "deserialize", "evaluate", "get",
    "register", "serialize", "bootstrap", "sliced",
    "Metric", "MetricDefinitionError", "MetricEagerWarning", "Variable", "active_property",
    "State", "config", "custom_metric", "mark_active", "ops", *_builtin_names,
    "distributed", "testing", "load_state", "save_state",  # noqa: F405 - lazy, see __getattr__
]
__version__ = "0.1.0"


_LAZY_MODULES = ("keras", "distributed", "testing", "checkpoint")
_LAZY_FUNCTIONS = {"save_state": "checkpoint", "load_state": "checkpoint"}


def __getattr__(name: str):
    """Modules and functions load on first use (``md.keras``, ``md.distributed``,
    ``md.testing``, ``md.save_state``), keeping ``import metricdsl`` fast."""
    if name in _LAZY_MODULES or name in _LAZY_FUNCTIONS:
        import importlib

        module = importlib.import_module(f".{_LAZY_FUNCTIONS.get(name, name)}", __name__)
        return getattr(module, name) if name in _LAZY_FUNCTIONS else module
    raise AttributeError(f"module 'metricdsl' has no attribute {name!r}")
