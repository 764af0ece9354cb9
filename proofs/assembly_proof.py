"""Assembly models (Liu, Zhu, Belkin 2022, arXiv 2203.05104, §3).

:math:`f = s(m)^{-1}\\sum_i v_ig_i(\\theta_i)` with disjoint parameters has a block-diagonal
Hessian with blocks :math:`s^{-1}[[v_iH_{g_i}, \\nabla g_i], [\\nabla g_i^T, 0]]`, so
:math:`\\|H_f\\|\\le s^{-1}\\max_i(|v_i|\\|H_{g_i}\\|+\\|\\nabla g_i\\|)`; relative non-linearity
:math:`O(s(m)/m)`: vanishing for NTK scaling, :math:`\\Theta(1)` for mean-field.
"""

import sympy as sp

from wideproof.symbolic import Derivation, assembly_hessian, assembly_relative_nonlinearity, m

g1, g2 = sp.Function("g1"), sp.Function("g2")
a1, a2, b1, v1, v2 = sp.symbols("a1 a2 b1 v1 v2", real=True)
s = sp.Symbol("s", positive=True)
q1, q2 = sp.symbols("q1 q2", real=True)


def _blocks() -> Derivation:
    f = (v1 * g1(a1, a2) + v2 * g2(b1)) / s
    params = (a1, a2, v1, b1, v2)
    H = sp.hessian(f, params)
    grad1 = sp.Matrix([g1(a1, a2).diff(a1), g1(a1, a2).diff(a2)])
    block1 = sp.zeros(3, 3)
    block1[:2, :2] = v1 * sp.hessian(g1(a1, a2), (a1, a2)) / s
    block1[:2, 2] = grad1 / s
    block1[2, :2] = grad1.T / s
    M = sp.Matrix([[0, 0, q1], [0, 0, q2], [q1, q2, 0]])
    der = Derivation("assembly: block-diagonal Hessian")
    der.eq(H[:3, :3], block1, why="sub-model 1's block")
    der.eq(H[:3, 3:], sp.zeros(3, 2), why="disjoint parameters: no cross-model block")
    der.eq(M**3, (q1**2 + q2**2) * M, why="[[0, g], [g^T, 0]] has eigenvalues 0, +-||g||")
    der.assume(
        "||[[vH, g], [g^T, 0]]|| <= |v| ||H|| + ||g||",
        reference="triangle inequality "
        "for the spectral norm, with the eigenvalues of the previous step",
    )
    return der


def _scaling() -> Derivation:
    der = Derivation("assembly: NTK vs mean-field scaling")
    der.assume(
        "||grad f||^2 = s^-2 sum_i (v_i^2 ||grad g_i||^2 + g_i^2) >= c_g m / s^2",
        reference="weak, diverse sub-models (Liu et al. 2022, §3 [I])",
    )
    for scaling, exponent in (("ntk", -sp.Rational(1, 2)), ("mean-field", -1)):
        der.order(assembly_hessian(scaling).expr, m, exponent, why=f"{scaling}: Hessian")
    der.order(
        assembly_relative_nonlinearity("ntk").expr,
        m,
        -sp.Rational(1, 2),
        why="NTK: relative non-linearity vanishes",
    )
    der.order(
        assembly_relative_nonlinearity("mean-field").expr, m, 0, why="mean-field: it does not"
    )
    bound = assembly_relative_nonlinearity("ntk")
    v_max, h_max, g_max, c_g = (
        next(x for x in bound.symbols if x.name == n) for n in ("v_max", "h_max", "g_max", "c_g")
    )
    ratio = ((v_max * h_max + g_max) / sp.sqrt(m)) / (c_g * m / sp.sqrt(m) ** 2)
    der.eq(ratio, bound.expr, why="Hessian bound over the gradient lower bound, s = sqrt(m)")
    return der


def derivation() -> list[Derivation]:
    return [_blocks(), _scaling()]


def test_assembly() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
