"""Restricted strong convexity (Banerjee, Cisneros-Velarde, Zhu, Belkin 2023, arXiv 2209.15106, §5).

Checked: the exact loss decomposition behind Theorem 5.1 (n = 2 points), the RSC-NTK link
:math:`\\|\\nabla\\bar G\\|^2 = \\mathbf 1^TK\\mathbf 1/n^2\\ge\\lambda_{\\min}(K)/n` (exact for n
= 2
with the closed-form :math:`\\lambda_{\\min}`), the width threshold for :math:`\\alpha_t > 0` (derived from
:math:`\\lambda_{\\min}(K)`, not assumed), and
the
scalings.  Theorem 4.1's Hessian bound and Theorem 5.1's constants are assumptions ([V] shape,
[R] constants).
"""

import sympy as sp

from wideproof.symbolic import Derivation, m, rsc_alpha, rsc_hessian, rsc_ntk_link

f1, f2, g1, g2, l1, l2, y1, y2 = sp.symbols("f1 f2 fp1 fp2 l1 l2 y1 y2", real=True)
ka, kb, kc = sp.symbols("K11 K12 K22", real=True)


def _decomposition() -> Derivation:
    n = 2

    def loss(a: sp.Expr, c: sp.Expr) -> sp.Expr:
        return ((y1 - a) ** 2 + (y2 - c) ** 2) / n

    grad_dot = (2 * (f1 - y1) * l1 + 2 * (f2 - y2) * l2) / n
    rhs = (
        sum(
            (fp - f) ** 2 + 2 * (f - y) * (fp - f - li)
            for f, fp, y, li in ((f1, g1, y1, l1), (f2, g2, y2, l2))
        )
        / n
    )
    der = Derivation("RSC: exact loss decomposition")
    der.eq(
        loss(g1, g2) - loss(f1, f2) - grad_dot,
        rhs,
        why="L(theta') - L(theta) - <grad L, Delta> = (1/n) sum[(Df_i)^2 + 2 r_i (Df_i - l_i)]",
    )
    return der


def _ntk_link() -> Derivation:
    J = sp.Matrix(2, 3, sp.symbols("J1:7", real=True))
    n = 2
    one = sp.ones(n, 1)
    grad_bar = J.T * one / n
    K = sp.Matrix([[ka, kb], [kb, kc]])
    lam_min = (ka + kc) / 2 - sp.sqrt(((ka - kc) / 2) ** 2 + kb**2)
    der = Derivation("RSC vs NTK: ||grad G_bar||^2 >= lambda_min(K)/n")
    der.eq(
        (grad_bar.T * grad_bar)[0],
        (one.T * J * J.T * one)[0] / n**2,
        why="grad G_bar = J^T 1/n, K = J J^T",
    )
    der.le(n * lam_min, (one.T * K * one)[0], why="Rayleigh quotient, exact for n = 2 (z3)")
    der.assume(
        "1^T K 1 >= n lambda_min(K) for every n",
        reference="Courant-Fischer (Rayleigh quotient of the all-ones vector)",
    )
    lam, nn = (
        next(s for s in rsc_ntk_link().symbols if s.name == nm) for nm in ("lambda_min", "n")
    )
    der.eq((nn * lam) / nn**2, rsc_ntk_link().expr, why="divide by n^2")
    return der


def _threshold() -> Derivation:
    """alpha_t > 0 from the NTK, not restated: with ||grad G_bar||^2 >= lambda_min(K)/n (the
    derivation above) alpha_t is positive once sqrt(m) > c_2 n / (2 kappa^2 lambda_min(K))."""
    bound = rsc_alpha()
    kappa, G, c_2 = (next(s for s in bound.symbols if s.name == nm) for nm in ("kappa", "G", "c_2"))
    link = rsc_ntk_link().expr  # lambda_min(K)/n
    der = Derivation(
        "RSC: alpha_t > 0 above the width threshold",
        assumptions=[G >= link, m > (c_2 / (2 * kappa**2 * link)) ** 2],
    )
    der.assume(
        "||Hess f|| <= c_H/sqrt(m) on the layerwise spectral ball",
        reference="Banerjee et al. 2023, Theorem 4.1 ([V] shape, [R] c_H)",
    )
    der.assume(
        "alpha_t = 2 kappa^2 ||grad G_bar_t||^2 - c_2/sqrt(m)",
        reference="Banerjee et al. 2023, Theorem 5.1 ([R] med), c_2 = O(c_H (...))",
    )
    der.lt(0, bound.expr, why="c_2/sqrt(m) < 2 kappa^2 lambda_min/n <= 2 kappa^2 ||grad G_bar||^2")
    der.order(bound.expr, m, 0, why="alpha_t -> 2 kappa^2 ||grad G_bar||^2 as m grows")
    der.order(rsc_hessian().expr, m, -sp.Rational(1, 2), why="Theorem 4.1's width scaling")
    return der


def derivation() -> list[Derivation]:
    return [_decomposition(), _ntk_link(), _threshold()]


def test_rsc() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
