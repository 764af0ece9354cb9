"""Strict, lossless JSON: non-finite floats travel as the strings ``"inf"``, ``"-inf"``, ``"nan"``.

RFC 8259 JSON has no infinities or NaN (Python's ``Infinity``/``NaN`` tokens are an extension
other readers reject), so everything wideproof stores or prints goes through :func:`dumps`, which
writes each non-finite float, wherever it sits in the document, as ``str(x)`` and then refuses
anything that is still not strict JSON (``allow_nan=False``).  A reader that knows a field is a
float turns it back with :func:`float_from_json`; :func:`loads` rejects the non-standard tokens.
This is the convention of :meth:`wideproof.results.Estimate.to_json`.  Finite floats round-trip
exactly because ``json`` writes ``repr(float)``, the shortest string that reads back to the same
double.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical", "dumps", "float_from_json", "float_to_json", "loads", "strict"]


def float_to_json(x: float) -> float | str:
    """``x`` itself when finite, else ``str(x)``."""
    x = float(x)
    return x if math.isfinite(x) else str(x)


def float_from_json(x: float | int | str) -> float:
    """Inverse of :func:`float_to_json`."""
    return float(x)


def strict(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by its string (tuples become lists)."""
    if isinstance(obj, float):
        return float_to_json(obj)
    if isinstance(obj, Mapping):
        return {k: strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    return obj


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of ``obj`` (see the module docstring)."""
    return json.dumps(strict(obj), indent=indent, allow_nan=False)


def canonical(obj: Any) -> str:
    """The canonical strict JSON of ``obj``: sorted keys, no spaces (what checksums hash)."""
    return json.dumps(strict(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _reject(token: str) -> Any:
    raise ValueError(f"{token} is not strict JSON")


def loads(text: str) -> Any:
    """Parse strict JSON; ``ValueError`` on ``Infinity``, ``-Infinity`` or ``NaN`` tokens."""
    return json.loads(text, parse_constant=_reject)
