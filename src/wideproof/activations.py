"""Activation functions, each defined once for both the numeric and the symbolic side.

An :class:`Activation` holds the torch function used by the models and the sympy expression used by
the bounds.  Its smoothness facts are *derived* from the sympy expression, never typed in:

* ``is_c2``: the second derivative of the expression is free of ``Heaviside``/``DiracDelta``/
  ``Max``/``Piecewise`` (so relu is not C^2);
* ``sup_abs_derivative(k)``: :math:`\\sup_{x\\in\\mathbb R} |s^{(k)}(x)|` from sympy's
  ``function_range`` when it can find the critical points (exact, e.g.
  :math:`\\sup|\\tanh''| = 4\\sqrt3/9`); otherwise the maximum of :math:`|s^{(k)}|` over the
  real roots of :math:`s^{(k+1)}` found by mpmath at 50 digits plus the limits at :math:`\\pm\\infty`
  (``method="critical-points"``); ``inf`` when :math:`s^{(k)}` is unbounded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import mpmath
import sympy as sp
import torch
from sympy.calculus.util import function_range

from .errors import ConfigError

__all__ = ["ACTIVATIONS", "Activation", "SupBound", "get_activation"]

X = sp.Symbol("x", real=True)
"""The symbol every activation expression is written in."""


@dataclass(frozen=True)
class SupBound:
    """:math:`\\sup_x |s^{(k)}(x)|`: a float value, the exact sympy value when one was found."""

    order: int
    value: float
    exact: Any  # a sympy expression, or None when only a numeric value was derived
    method: str  # "function_range", "critical-points" or "unbounded"


@dataclass(frozen=True)
class Activation:
    """One activation: torch function plus sympy expression in :data:`X`."""

    name: str
    torch_fn: Callable[[torch.Tensor], torch.Tensor] = field(repr=False, compare=False)
    expr: Any = field(repr=False, compare=False)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.torch_fn(z)

    def derivative_expr(self, order: int) -> Any:
        """The sympy expression of :math:`s^{(order)}(x)`."""
        return sp.diff(self.expr, X, order)

    @property
    def is_linear(self) -> bool:
        """True when the second derivative vanishes identically (affine activation)."""
        return _is_linear(self.name)

    @property
    def is_c2(self) -> bool:
        """Twice continuously differentiable on R, read off the sympy expression."""
        return _is_c2(self.name)

    def sup_abs_derivative(self, order: int) -> SupBound:
        """:math:`\\sup_{x\\in\\mathbb R}|s^{(order)}(x)|`, derived from the expression."""
        return _sup_abs(self.name, order)


def _gelu(z: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.gelu(z, approximate="none")


def _quadratic(z: torch.Tensor) -> torch.Tensor:
    return z * z


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("identity", _identity, X),
        Activation("tanh", torch.tanh, sp.tanh(X)),
        Activation("sigmoid", torch.sigmoid, 1 / (1 + sp.exp(-X))),
        Activation("softplus", torch.nn.functional.softplus, sp.log(1 + sp.exp(X))),
        Activation("gelu", _gelu, X * (1 + sp.erf(X / sp.sqrt(2))) / 2),
        Activation("silu", torch.nn.functional.silu, X / (1 + sp.exp(-X))),
        Activation("quadratic", _quadratic, X**2),
        Activation("relu", torch.relu, sp.Max(0, X)),
    )
}


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name; raises :class:`ConfigError` listing the known ones."""
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ConfigError(f"activation={name!r} is unknown; known activations: {known}") from None


_NON_SMOOTH = (sp.Heaviside, sp.DiracDelta, sp.Max, sp.Min, sp.Piecewise, sp.Abs, sp.sign)


@functools.cache
def _is_linear(name: str) -> bool:
    return bool(sp.simplify(ACTIVATIONS[name].derivative_expr(2)) == 0)


@functools.cache
def _is_c2(name: str) -> bool:
    act = ACTIVATIONS[name]
    for order in (0, 1, 2):
        rewritten = act.derivative_expr(order).rewrite(sp.Piecewise)
        if rewritten.has(*_NON_SMOOTH):
            return False
    return True


@functools.cache
def _sup_abs(name: str, order: int) -> SupBound:
    act = ACTIVATIONS[name]
    dk = act.derivative_expr(order)
    if dk.has(sp.DiracDelta):
        return SupBound(order, float("inf"), sp.oo, "unbounded")
    if dk.has(sp.Heaviside):
        # A jump: bound each side's smooth branch (Heaviside -> 0 and -> 1) and take the larger.
        branches = [dk.subs(sp.Heaviside(X), sp.Integer(v)) for v in (0, 1)]
        parts = [_sup_abs_expr(b, order) for b in branches]
        return max(parts, key=lambda b: b.value)
    return _sup_abs_expr(dk, order)


def _sup_abs_expr(dk: Any, order: int) -> SupBound:
    try:
        rng = function_range(dk, X, sp.S.Reals)
    except (NotImplementedError, ValueError, TypeError):
        return _sup_abs_critical_points(dk, order)
    ends = [sp.Abs(v) for v in rng] if rng.is_FiniteSet else [-rng.inf, rng.sup]
    # Algebraic ends simplify cheaply (sqrt(3)/18); others only get their radicals rationalized.
    exact = sp.Max(*[sp.simplify(v) if not v.atoms(sp.Function) else sp.radsimp(v) for v in ends])
    value = float(exact)
    method = "unbounded" if value == float("inf") else "function_range"
    return SupBound(order, value, exact, method)


def _sup_abs_critical_points(dk: Any, order: int) -> SupBound:
    """Max of |dk| over the real critical points (roots of dk') and the limits at +-oo.

    The roots are found by mpmath ``findroot`` at 50 digits, bracketed by the sign changes of dk'
    on a grid of step 0.05 over [-20, 20]; outside that interval the limits bound the value for the smooth
    activations here (their derivatives are monotone in the tails).
    """
    deriv = sp.diff(dk, X)
    f = sp.lambdify(X, dk, modules="mpmath")
    fp = sp.lambdify(X, deriv, modules="mpmath")
    candidates: list[Any] = []
    for sgn in (1, -1):
        lim = sp.limit(dk, X, sgn * sp.oo)
        if lim.is_infinite:
            return SupBound(order, float("inf"), sp.oo, "unbounded")
        candidates.append(abs(mpmath.mpf(float(lim))))
    with mpmath.workdps(50):
        grid = [mpmath.mpf(-20) + mpmath.mpf(40) * i / 800 for i in range(801)]
        vals = [fp(t) for t in grid]
        for (a, b), (va, vb) in zip(pairwise(grid), pairwise(vals), strict=True):
            if va == 0 or va * vb < 0:
                root = mpmath.findroot(fp, (a, b), solver="anderson")
                candidates.append(abs(f(root)))
        best = max(candidates)
    return SupBound(order, float(best), None, "critical-points")
