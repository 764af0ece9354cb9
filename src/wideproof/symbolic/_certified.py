"""Certified decisions about numbers: exact rational arithmetic, else arb balls at rising precision.

sympy settles a numeric relation such as ``Le(log(1 + 10**-10), 0)`` by evaluating both sides at a
couple of digits, and its ``is_nonnegative`` on a transcendental constant does the same; both have
"proved" false statements.  Here the sign of a constant is

* exact when the constant is a rational number;
* otherwise the sign of an arb enclosure (:mod:`._arb`, ``strict`` domains) that excludes 0, tried
  at 64, 256, 1024 and 4096 bits;
* 0 only when ``sympy.simplify`` reduces the constant to the integer 0 (an exact rewriting);
* ``None`` (undecided) in every other case -- the callers then prove nothing.

:func:`holds_at` decides an assumption (relation, ``And``, ``Or``, ``Not``) at a point with exact
values the same way, so a counterexample is reported only where every assumption certainly holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flint
import sympy as sp

from . import _arb

__all__ = ["PRECISIONS", "constant_sign", "holds_at", "respects_declaration"]

PRECISIONS = (64, 256, 1024, 4096)
"""Working precisions (bits) of the arb enclosures, tried in order."""


def _enclose(e: Any, prec: int) -> Any:
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        return _arb.arb_eval(e, {}, strict=True)
    except (_arb.Untranslatable, ValueError, ZeroDivisionError):
        return None
    finally:
        flint.ctx.prec = old


def constant_sign(e: Any) -> int | None:
    """The certified sign (-1, 0, 1) of a constant expression, or ``None`` when undecided."""
    e = sp.sympify(e)
    if e.free_symbols:
        raise ValueError(f"{e} is not a constant")
    if e.is_Rational:
        return int(sp.sign(e))
    if e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return None
    for prec in PRECISIONS:
        ball = _enclose(e, prec)
        if ball is None:
            break
        if ball > 0:
            return 1
        if ball < 0:
            return -1
    simplified = sp.simplify(e)
    return int(sp.sign(simplified)) if simplified.is_Rational else None


_OPS: dict[str, Callable[[int], bool]] = {
    "<": lambda s: s < 0,
    "<=": lambda s: s <= 0,
    ">": lambda s: s > 0,
    ">=": lambda s: s >= 0,
    "==": lambda s: s == 0,
    "!=": lambda s: s != 0,
}


def holds_at(statement: Any, point: Mapping[Any, Any]) -> bool | None:
    """Whether ``statement`` certainly holds (True), certainly fails (False) at ``point``."""
    if statement is sp.true:
        return True
    if statement is sp.false:
        return False
    if isinstance(statement, (sp.And, sp.Or)):
        parts = [holds_at(a, point) for a in statement.args]
        if isinstance(statement, sp.And):
            return False if False in parts else (True if all(parts) else None)
        return True if True in parts else (False if all(p is False for p in parts) else None)
    if isinstance(statement, sp.Not):
        inner = holds_at(statement.args[0], point)
        return None if inner is None else not inner
    if not isinstance(statement, sp.Rel):
        return None
    diff = (statement.lhs - statement.rhs).subs(dict(point))
    if diff.free_symbols:
        return None
    sign = constant_sign(diff)
    return None if sign is None else bool(_OPS[statement.rel_op](sign))


_DECLARATIONS: dict[str, Callable[[int], bool]] = {
    "positive": lambda s: s > 0,
    "nonnegative": lambda s: s >= 0,
    "negative": lambda s: s < 0,
    "nonpositive": lambda s: s <= 0,
    "nonzero": lambda s: s != 0,
}


def respects_declaration(sym: Any, value: Any) -> bool:
    """Whether ``value`` is certainly allowed by ``sym``'s declaration (sign, integrality)."""
    v = sp.sympify(value)
    if v.free_symbols or (sym.is_integer and not v.is_integer):
        return False
    if not sym.is_real:
        return True
    sign = constant_sign(v)  # None also when v is not certainly real
    return sign is not None and all(
        test(sign) for name, test in _DECLARATIONS.items() if getattr(sym, f"is_{name}")
    )
