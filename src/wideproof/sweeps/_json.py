"""Lossless JSON for floats: non-finite values travel as strings (``"inf"``, ``"-inf"``, ``"nan"``).

The same convention as :meth:`wideproof.results.Estimate.to_json`; finite floats round-trip exactly
because ``json`` writes ``repr(float)``, the shortest string that reads back to the same double.
"""

from __future__ import annotations

import math

__all__ = ["float_from_json", "float_to_json"]


def float_to_json(x: float) -> float | str:
    """``x`` itself when finite, else ``str(x)``."""
    x = float(x)
    return x if math.isfinite(x) else str(x)


def float_from_json(x: float | int | str) -> float:
    """Inverse of :func:`float_to_json`."""
    return float(x)
