"""A strict-whitelist evaluator from sympy expressions to python-flint ``arb`` balls.

Only the node types listed in :func:`arb_eval` are accepted; anything else raises
:class:`Untranslatable`.  This is deliberate (a known pitfall of interval arithmetic): a generic
``lambdify`` maps unknown functions to ``math.*``, and ``math.cosh(arb(0, 3))`` silently collapses
the ball to its midpoint, which once "proved" a false bound.  Rules:

* monotone functions (``exp, log, tanh, atan, erf, sqrt``, odd powers) are evaluated at the two
  endpoints and hulled -- tight, unlike ``arb(0, 3).tanh() = [+/- 402]`` (pitfall 3);
* ``Abs`` and even powers work on the endpoint magnitudes, so a ball straddling 0 never yields a
  negative square (pitfall 2);
* decimal constants are converted from exact rationals, never from binary doubles (pitfall 4);
* ``strict=True`` (used for constants and single points) refuses a square root whose argument ball
  reaches below 0; the default clamps it to ``[0, hi]``, which encloses the function over the part
  of a box where it is real -- sound for a box proof once the step's side condition ``arg >= 0``
  is established (:mod:`._domain`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import arb, fmpq, fmpz

__all__ = ["Untranslatable", "arb_eval", "hull", "interval"]


class Untranslatable(Exception):
    """The expression holds a node outside the whitelist (or leaves a function's domain)."""


def _q(x: Any) -> fmpq:
    f = Fraction(x)
    return fmpq(fmpz(f.numerator), fmpz(f.denominator))


def _endpoints(x: arb) -> tuple[fmpq, fmpq]:
    """Exact rational endpoints ``[mid - rad, mid + rad]`` of a ball."""
    mm, me = x.mid().man_exp()
    rm, re_ = x.rad().man_exp()
    mid = fmpq(mm) * fmpq(2) ** int(me)
    rad = fmpq(rm) * fmpq(2) ** int(re_)
    return mid - rad, mid + rad


def hull(lo: fmpq, hi: fmpq) -> arb:
    """The ball enclosing the rational interval ``[lo, hi]`` (outward rounded by arb)."""
    return arb((lo + hi) / 2, (hi - lo) / 2)


def interval(lo: Any, hi: Any) -> arb:
    """The ball enclosing ``[lo, hi]`` for exact numbers (int, Fraction, sympy Rational, str)."""
    a, b = _q(sp.Rational(lo)), _q(sp.Rational(hi))
    if a > b:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    return hull(a, b)


def _monotone(fn: Callable[[arb], arb], increasing: bool = True) -> Callable[[arb], arb]:
    def apply(x: arb) -> arb:
        lo, hi = _endpoints(x)
        a, b = fn(arb(lo)), fn(arb(hi))
        if not (a.is_finite() and b.is_finite()):
            raise Untranslatable("function evaluated outside its domain")
        if not increasing:
            a, b = b, a
        return hull(_endpoints(a)[0], _endpoints(b)[1])

    return apply


def _abs(x: arb) -> arb:
    lo, hi = _endpoints(x)
    if lo >= 0:
        return x
    if hi <= 0:
        return -x
    return hull(fmpq(0), max(-lo, hi))


def _pow_int(x: arb, e: int) -> arb:
    if e < 0:
        lo, hi = _endpoints(x)
        if lo <= 0 <= hi:
            raise Untranslatable("negative power of a ball containing 0")
        return 1 / _pow_int(x, -e)
    if e == 0:
        return arb(1)
    if e % 2 == 1:
        lo, hi = _endpoints(x)
        return hull(_endpoints(arb(lo) ** e)[0], _endpoints(arb(hi) ** e)[1])
    lo, hi = _endpoints(_abs(x))
    return hull(_endpoints(arb(lo) ** e)[0], _endpoints(arb(hi) ** e)[1])


def _sqrt(x: arb, strict: bool) -> arb:
    lo, hi = _endpoints(x)
    if hi < 0 or (strict and lo < 0):
        raise Untranslatable("sqrt of a ball that is not certainly non-negative")
    lo = max(lo, fmpq(0))
    return hull(_endpoints(arb(lo).sqrt())[0], _endpoints(arb(hi).sqrt())[1])


def _log(x: arb) -> arb:
    if not x > 0:
        raise Untranslatable("log of a ball that is not certainly positive")
    return _monotone(lambda t: t.log())(x)


def _cosh(x: arb) -> arb:
    return _monotone(lambda t: t.cosh())(_abs(x))


_FUNCTIONS: dict[Any, Callable[[arb], arb]] = {
    sp.exp: _monotone(lambda t: t.exp()),
    sp.log: _log,
    sp.tanh: _monotone(lambda t: t.tanh()),
    sp.atan: _monotone(lambda t: t.atan()),
    sp.erf: _monotone(lambda t: t.erf()),
    sp.sinh: _monotone(lambda t: t.sinh()),
    sp.cosh: _cosh,
    sp.asinh: _monotone(lambda t: t.asinh()),
    sp.acosh: _monotone(lambda t: t.acosh()),
    sp.atanh: _monotone(lambda t: t.atanh()),
    sp.Abs: _abs,
    sp.sin: lambda t: t.sin(),
    sp.cos: lambda t: t.cos(),
}


def arb_eval(expr: Any, box: Mapping[Any, arb], strict: bool = False) -> arb:
    """Enclose ``expr`` over ``box`` (symbol -> ball); raises :class:`Untranslatable`.

    ``b**e`` for a non-integer, non-half-integer exponent is ``exp(e log b)`` and needs a certainly
    positive base.  ``strict``: see the module docstring.
    """
    if expr.is_Symbol:
        if expr not in box:
            raise Untranslatable(f"symbol {expr} has no interval in the box")
        return box[expr]
    if expr.is_Rational:
        return arb(_q(expr))
    if expr is sp.pi:
        return arb.pi()
    if expr is sp.E:
        return arb(1).exp()
    if expr.is_Add:
        out = arb(0)
        for a in expr.args:
            out = out + arb_eval(a, box, strict)
        return out
    if expr.is_Mul:
        out = arb(1)
        for a in expr.args:
            out = out * arb_eval(a, box, strict)
        return out
    if expr.is_Pow:
        base, e = expr.args
        if e.is_Integer:
            return _pow_int(arb_eval(base, box, strict), int(e))
        if e.is_Rational and e.q == 2:
            root = _sqrt(arb_eval(base, box, strict), strict)
            return _pow_int(root, int(e.p))
        logb = _log(arb_eval(base, box, strict))
        return _FUNCTIONS[sp.exp](arb_eval(e, box, strict) * logb)
    fn = _FUNCTIONS.get(expr.func)
    if fn is not None and len(expr.args) == 1:
        return fn(arb_eval(expr.args[0], box, strict))
    raise Untranslatable(f"{expr.func.__name__} is not in the arb whitelist")
