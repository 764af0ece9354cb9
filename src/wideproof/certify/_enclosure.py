"""The :class:`Enclosure` record and rigorous float rounding of ball endpoints."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from flint import arb

from ..errors import NumericalError

__all__ = ["Enclosure", "enclosure_of"]


@dataclass(frozen=True)
class Enclosure:
    """A proven interval ``[lower, upper]`` (floats rounded outward) for one real number.

    Attributes:
        lower, upper: the bounds; the true value lies between them.
        float64_value: the non-rigorous float64 value the enclosure cross-checks (it may lie
            outside when the float64 computation is wrong in its last bits).
        method: how the bounds were proven.
    """

    lower: float
    upper: float
    float64_value: float
    method: str

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def enclosure_of(ball: arb, float64_value: float, method: str) -> Enclosure:
    """Round the ends of ``ball`` outward to floats (the float interval contains the ball)."""
    if not ball.is_finite():
        raise NumericalError(f"{method}: the enclosure {ball} is not finite; raise the precision")
    lo, hi = ball.lower(), ball.upper()
    lo_f, hi_f = float(lo), float(hi)
    while arb(lo_f) > lo:
        lo_f = math.nextafter(lo_f, -math.inf)
    while arb(hi_f) < hi:
        hi_f = math.nextafter(hi_f, math.inf)
    return Enclosure(lo_f, hi_f, float64_value, method)
