"""Bootstrap intervals and per-group slices of any metric whose state merges by sum.

`bootstrap` and `sliced` wrap a metric into a new metric that does the
whole job in one compiled update, from the metric's public stateless API.
"""

from .bootstrap import bootstrap
from .sliced import sliced

__all__ = ["bootstrap", "sliced"]
