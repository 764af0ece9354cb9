"""Frozen result records shared by every layer, each serializing to JSON losslessly.

``Estimate`` is what a measure returns: a value, a bound on its numerical error, the number of
matrix-vector products it cost, the method, the dtype and the device.  Floats round-trip exactly
through JSON because Python's ``repr`` of a float is shortest-round-trip.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A measured scalar with its numerical error bound.

    Attributes:
        value: the estimate.
        error_bound: an upper bound on ``|value - true value|`` from the method's own certificate
            (a Lanczos residual bound, a rounding-error bound, or 0.0 for exact closed forms);
            ``inf`` when the method offers none.
        matvecs: matrix-vector (Hessian- or Jacobian-vector) products spent.
        method: the algorithm, e.g. ``"lanczos"``, ``"dense"``, ``"power"``.
        dtype: ``"float64"`` or ``"float32"``.
        device: ``"cpu"`` or ``"cuda"`` (with index when not 0).
    """

    value: float
    error_bound: float
    matvecs: int
    method: str
    dtype: str
    device: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; non-finite floats are written as strings (``"inf"``, ``"nan"``)."""
        out = asdict(self)
        for key in ("value", "error_bound"):
            if not math.isfinite(out[key]):
                out[key] = str(out[key])
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Estimate:
        """Inverse of :meth:`to_json`."""
        return cls(
            value=float(data["value"]),
            error_bound=float(data["error_bound"]),
            matvecs=int(data["matvecs"]),
            method=str(data["method"]),
            dtype=str(data["dtype"]),
            device=str(data["device"]),
        )
