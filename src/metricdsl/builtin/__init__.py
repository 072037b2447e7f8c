"""The builtin metrics, one module per family, each defined with `Metric()`."""

from . import (
               accuracy,
               calibration,
               classification,
               confusion,
               correlation,
               f_score,
               hinge,
               iou,
               probabilistic,
               ranking,
               reduction,
               regression,
               thresholds,
)
from .accuracy import *  # noqa: F403
from .calibration import *  # noqa: F403
from .classification import *  # noqa: F403
from .confusion import *  # noqa: F403
from .correlation import *  # noqa: F403
from .f_score import *  # noqa: F403
from .hinge import *  # noqa: F403
from .iou import *  # noqa: F403
from .probabilistic import *  # noqa: F403
from .ranking import *  # noqa: F403
from .reduction import metric_mean as metric_mean
from .reduction import metric_mean_wrapper as metric_mean_wrapper
from .reduction import metric_sum as metric_sum
from .regression import *  # noqa: F403
from .thresholds import *  # noqa: F403

__all__ = sorted(
    name for module in (accuracy, calibration, classification, confusion, correlation, f_score,
                        hinge, iou, probabilistic, ranking, reduction, regression, thresholds)
    for name in module.__all__ if name.startswith("metric_"))
