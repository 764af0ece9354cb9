"""Consequences of a small Hessian on a ball (Liu, Zhu, Belkin 2020, §2).

If :math:`\\|H\\|\\le\\epsilon` on :math:`B(w_0,R)`: :math:`|f-f_{lin}|\\le\\epsilon R^2/2` and
:math:`|K(w)-K(w_0)|\\le\\epsilon R(\\|\\nabla f_x\\|+\\|\\nabla f_z\\|)+\\epsilon^2R^2`.
"""

import sympy as sp

from wideproof.symbolic import Derivation, R, ball_kernel_change, ball_linearization_gap

eps = next(s for s in ball_linearization_gap().symbols if s.name == "epsilon")
g_x, g_z = (next(s for s in ball_kernel_change().symbols if s.name == n) for n in ("g_x", "g_z"))
quad = sp.Symbol("q", real=True)
hn, r, ex, ez = sp.symbols("h r e_x e_z", nonnegative=True)
c1, c2, c3 = sp.symbols("c1:4", real=True)


def _gap() -> Derivation:
    der = Derivation(
        "ball: |f - f_lin| <= eps R^2/2", assumptions=[sp.Abs(quad) <= hn * r**2, hn <= eps, r <= R]
    )
    der.assume(
        "f(w) - f_lin(w) = q/2 with q = (w-w0)^T H(xi) (w-w0), xi on the segment",
        reference="Taylor's theorem with Lagrange remainder",
    )
    der.assume(
        "|q| <= ||H(xi)|| r^2 with r = ||w - w0||", reference="definition of the spectral norm"
    )
    der.le(sp.Abs(quad) / 2, eps * R**2 / 2, why="h <= eps and r <= R")
    der.eq(eps * R**2 / 2, ball_linearization_gap().expr, why="the Bound's expression")
    return der


def _kernel() -> Derivation:
    a = sp.Matrix(sp.symbols("a1:3", real=True))  # grad f(w0; x)
    b = sp.Matrix(sp.symbols("b1:3", real=True))  # grad f(w0; z)
    da = sp.Matrix(sp.symbols("da1:3", real=True))  # grad f(w; x) - grad f(w0; x)
    db = sp.Matrix(sp.symbols("db1:3", real=True))
    change = ((a + da).T * (b + db))[0] - (a.T * b)[0]
    der = Derivation(
        "ball: tangent-kernel change",
        assumptions=[
            sp.Abs(c1) <= g_x * ez,
            sp.Abs(c2) <= ex * g_z,
            sp.Abs(c3) <= ex * ez,
            ex <= eps * R,
            ez <= eps * R,
        ],
    )
    der.eq(
        change,
        (a.T * db)[0] + (da.T * b)[0] + (da.T * db)[0],
        why="K(w) - K(w0) = <a, db> + <da, b> + <da, db>",
    )
    der.assume(
        "||grad f(w) - grad f(w0)|| <= eps ||w - w0|| <= eps R on the ball",
        reference="mean-value inequality for the gradient with ||H|| <= eps",
    )
    der.assume(
        "|c1| <= ||a|| ||db||, |c2| <= ||da|| ||b||, |c3| <= ||da|| ||db||",
        reference="Cauchy-Schwarz, c1..c3 the three inner products",
    )
    der.le(
        sp.Abs(c1 + c2 + c3),
        eps * R * (g_x + g_z) + eps**2 * R**2,
        why="triangle inequality and the bounds on e_x, e_z",
    )
    der.eq(
        eps * R * (g_x + g_z) + eps**2 * R**2,
        ball_kernel_change().expr,
        why="the Bound's expression",
    )
    return der


def derivation() -> list[Derivation]:
    return [_gap(), _kernel()]


def test_ball() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
