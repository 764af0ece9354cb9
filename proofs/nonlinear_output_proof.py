"""Non-linear output layer (Liu, Zhu, Belkin 2020, §4).

For :math:`f = \\phi(\\tilde f)`: :math:`H_f = \\phi'(\\tilde f)H_{\\tilde f} + \\phi''(\\tilde f)
\\nabla\\tilde f\\nabla\\tilde f^T` (checked on a generic two-parameter :math:`\\tilde f`), hence
:math:`\\|H_f\\|\\ge|\\phi''|\\|\\nabla\\tilde f\\|^2 - |\\phi'|\\|H_{\\tilde f}\\|` and, with
:math:`\\|H_{\\tilde f}\\| = O(1/\\sqrt m)`, the Hessian does not vanish: exponent 0 in the width.
"""

import sympy as sp

from wideproof.symbolic import Derivation, m, nonlinear_output

phi = sp.Function("phi")
g = sp.Function("g")
w1, w2 = sp.symbols("w1 w2", real=True)
p1, q = sp.symbols("p1 q", real=True)
p2 = sp.Symbol("p2", real=True)
G, hn = sp.symbols("G h", nonnegative=True)


def _hessian_identity() -> Derivation:
    inner = g(w1, w2)
    f = phi(inner)
    z = sp.Symbol("z")
    d1 = sp.Subs(sp.Derivative(phi(z), z), z, inner)
    d2 = sp.Subs(sp.Derivative(phi(z), (z, 2)), z, inner)
    grad = sp.Matrix([inner.diff(w1), inner.diff(w2)])
    der = Derivation("non-linear output: Hessian of phi(f~)")
    der.eq(
        sp.hessian(f, (w1, w2)),
        d1 * sp.hessian(inner, (w1, w2)) + d2 * grad * grad.T,
        why="chain rule twice",
    )
    return der


def _lower_bound() -> Derivation:
    bound = nonlinear_output()
    der = Derivation(
        "non-linear output: ||H_f|| does not vanish", assumptions=[sp.Abs(q) <= hn, m > 1]
    )
    der.le(
        sp.Abs(p2) * G - sp.Abs(p1) * hn,
        sp.Abs(p1 * q + p2 * G),
        why="u = grad f~/||grad f~||: u^T H_f u = p1 u^T H_f~ u + p2 G with |u^T H_f~ u| <= h",
    )
    der.assume(
        "||H_f|| >= |u^T H_f u| for the unit vector u",
        reference="variational characterization of the spectral norm (Courant-Fischer)",
    )
    der.assume(
        "||H_f~|| <= c_H/sqrt(m) on B(w0, R)",
        reference="Liu et al. 2020, Theorem 3.2 "
        "(deep_mlp_proof.py) for the linear-output network f~",
    )
    der.order(bound.expr, m, 0, why="|phi''| ||grad f~||^2 = Theta(1): no transition to linearity")
    return der


def derivation() -> list[Derivation]:
    return [_hessian_identity(), _lower_bound()]


def test_nonlinear_output() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
