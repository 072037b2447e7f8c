"""The number types that constructor annotations use: ``Integral`` and ``Real``.

At run time they are the `numbers` ABCs, so typeguard's construction-time
check accepts numpy scalars as Keras does; type checkers, which do not count
``int``/``float`` as those ABCs, see ``int`` and ``float``.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    Integral = int
    Real = float
else:
    from numbers import Integral, Real

__all__ = ["Integral", "Real"]
