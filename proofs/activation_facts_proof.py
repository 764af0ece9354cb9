"""Activation facts used by the smooth-activation bounds.

Each supremum is derived twice by independent routes: sympy's ``function_range`` on the activation's
own expression (what :meth:`Activation.sup_abs_derivative` returns) and z3 on the polynomial or
rational form in :math:`t = \\tanh x` (resp. :math:`e = e^{-x}`), plus exact attainment at a point,
so the constant is the supremum and not merely an upper bound.
"""

import sympy as sp

from wideproof.activations import X, get_activation
from wideproof.symbolic import Derivation

t = sp.Symbol("t", real=True)


def _tanh() -> Derivation:
    act = get_activation("tanh")
    d2 = act.derivative_expr(2)
    d = Derivation("activation facts: tanh")
    d.eq(d2, (2 * t**3 - 2 * t).subs(t, sp.tanh(X)), why="tanh'' = 2t^3 - 2t with t = tanh(x)")
    d.le(sp.Abs(d2), 4 * sp.sqrt(3) / 9, why="z3 on the cubic in t in (-1, 1)")
    d.eq(
        sp.Abs(d2.subs(X, sp.atanh(-1 / sp.sqrt(3)))),
        4 * sp.sqrt(3) / 9,
        why="attained at t = -1/sqrt(3), so 4 sqrt(3)/9 is the supremum",
    )
    d.eq(act.sup_abs_derivative(2).exact, 4 * sp.sqrt(3) / 9, why="sympy function_range agrees")
    d.le(sp.Abs(act.derivative_expr(1)), 1, why="tanh' = 1 - t^2 in (0, 1]")
    d.eq(act.derivative_expr(1).subs(X, 0), 1, why="attained at x = 0")
    return d


def _sigmoid() -> Derivation:
    act = get_activation("sigmoid")
    d = Derivation("activation facts: sigmoid")
    d.le(sp.Abs(act.derivative_expr(1)), sp.Rational(1, 4), why="rational in e^{-x} > 0 (z3)")
    d.le(sp.Abs(act.derivative_expr(2)), sp.sqrt(3) / 18, why="rational in e^{-x} > 0 (z3)")
    d.eq(act.sup_abs_derivative(2).exact, sp.sqrt(3) / 18, why="sympy function_range agrees")
    x_star = sp.log(2 - sp.sqrt(3))
    d.eq(
        sp.Abs(act.derivative_expr(2).subs(X, x_star)),
        sp.sqrt(3) / 18,
        why="attained where sigmoid(x) = (3 - sqrt 3)/6",
    )
    return d


def _softplus() -> Derivation:
    act = get_activation("softplus")
    d = Derivation("activation facts: softplus")
    d.le(sp.Abs(act.derivative_expr(1)), 1, why="softplus' = sigmoid in (0, 1)")
    d.le(sp.Abs(act.derivative_expr(2)), sp.Rational(1, 4), why="softplus'' = sigmoid'")
    d.eq(act.derivative_expr(2).subs(X, 0), sp.Rational(1, 4), why="attained at 0")
    return d


def _gelu() -> Derivation:
    """GELU' = Phi(x) + x phi(x) has no closed-form maximum (it sits at x = sqrt 2): certified
    arb branch-and-bound on a box, and an exact lower value at x = sqrt 2."""
    d1 = get_activation("gelu").derivative_expr(1)
    d = Derivation("activation facts: GELU' on [-10, 10]")
    d.le(d1, sp.Rational(113, 100), box={X: (-10, 10)}, why="arb enclosures, bisected")
    d.lt(sp.Rational(112, 100), d1.subs(X, sp.sqrt(2)), why="value at sqrt 2: 1/2 + erf(1)/2 + ...")
    return d


def derivation() -> list[Derivation]:
    return [_tanh(), _sigmoid(), _softplus(), _gelu()]


def test_activation_facts() -> None:
    for d in derivation():
        report = d.check()
        assert report.ok, report.format()
