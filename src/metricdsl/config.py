"""Global settings: the default float dtype."""

from .ops import epsilon, floatx, set_floatx

__all__ = ["epsilon", "floatx", "set_floatx"]
