"""The symbolic side of :mod:`wideproof.activations`: smoothness and derivative suprema, derived
from an activation's sympy expression (imported on first use, so that specs load without sympy).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import mpmath
import sympy as sp
from sympy.calculus.util import function_range

__all__ = ["is_smooth", "sup_abs", "vanishes"]

_NON_SMOOTH = (sp.Heaviside, sp.DiracDelta, sp.Max, sp.Min, sp.Piecewise, sp.Abs, sp.sign)

SupAbs = tuple[Any, float, str]
"""``(exact sympy value or None, float value, method)``."""


def vanishes(expr: Any) -> bool:
    """True when ``expr`` simplifies to 0 identically."""
    return bool(sp.simplify(expr) == 0)


def is_smooth(expr: Any) -> bool:
    """True when ``expr`` (rewritten as Piecewise) has no Heaviside/DiracDelta/Max/.../sign."""
    return not expr.rewrite(sp.Piecewise).has(*_NON_SMOOTH)


def sup_abs(dk: Any, x: Any) -> SupAbs:
    """:math:`\\sup_{x\\in\\mathbb R}|d_k(x)|` for a derivative expression ``dk`` in ``x``."""
    if dk.has(sp.DiracDelta):
        return sp.oo, float("inf"), "unbounded"
    if dk.has(sp.Heaviside):
        # A jump: bound each side's smooth branch (Heaviside -> 0 and -> 1) and take the larger.
        branches = [dk.subs(sp.Heaviside(x), sp.Integer(v)) for v in (0, 1)]
        return max((_sup_abs_smooth(b, x) for b in branches), key=lambda b: b[1])
    return _sup_abs_smooth(dk, x)


def _sup_abs_smooth(dk: Any, x: Any) -> SupAbs:
    try:
        rng = function_range(dk, x, sp.S.Reals)
    except (NotImplementedError, ValueError, TypeError):
        return _sup_abs_critical_points(dk, x)
    ends = [sp.Abs(v) for v in rng] if rng.is_FiniteSet else [-rng.inf, rng.sup]
    # Algebraic ends simplify cheaply (sqrt(3)/18); others only get their radicals rationalized.
    exact = sp.Max(*[sp.simplify(v) if not v.atoms(sp.Function) else sp.radsimp(v) for v in ends])
    value = float(exact)
    return exact, value, "unbounded" if value == float("inf") else "function_range"


def _sup_abs_critical_points(dk: Any, x: Any) -> SupAbs:
    """Max of |dk| over the real critical points (roots of dk') and the limits at +-oo.

    The roots are found by mpmath ``findroot`` at 50 digits, bracketed by the sign changes of dk'
    on a grid of step 0.05 over [-20, 20]; outside that interval the limits bound the value for the
    smooth activations here (their derivatives are monotone in the tails).
    """
    f = sp.lambdify(x, dk, modules="mpmath")
    fp = sp.lambdify(x, sp.diff(dk, x), modules="mpmath")
    candidates: list[Any] = []
    for sgn in (1, -1):
        lim = sp.limit(dk, x, sgn * sp.oo)
        if lim.is_infinite:
            return sp.oo, float("inf"), "unbounded"
        candidates.append(abs(mpmath.mpf(float(lim))))
    with mpmath.workdps(50):
        grid = [mpmath.mpf(-20) + mpmath.mpf(40) * i / 800 for i in range(801)]
        vals = [fp(t) for t in grid]
        for (a, b), (va, vb) in zip(pairwise(grid), pairwise(vals), strict=True):
            if va == 0 or va * vb < 0:
                root = mpmath.findroot(fp, (a, b), solver="anderson")
                candidates.append(abs(f(root)))
        best = max(candidates)
    return None, float(best), "critical-points"
