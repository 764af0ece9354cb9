"""PL* condition (Liu, Zhu, Belkin 2022, arXiv 2003.00307).

Checked: :math:`\\|\\nabla\\mathcal L\\|^2 = r^TKr`, :math:`r^TKr\\ge2\\lambda_{\\min}(K)\\mathcal
L`
(exact for n = 2), :math:`H_{\\mathcal L} = J^TJ + \\sum_ir_iH_i`, the contraction
:math:`0\\le1-\\eta\\mu<1`, and the path-length bound behind the radius
:math:`2L_{\\mathcal F}\\|\\mathcal F(w_0)-y\\|/\\mu`.
"""

import sympy as sp

from wideproof.symbolic import Derivation, beta, eta, plstar_radius

F1, F2 = sp.Function("F1"), sp.Function("F2")
w1, w2, y1, y2 = sp.symbols("w1 w2 y1 y2", real=True)
r1, r2, ka, kb, kc = sp.symbols("r1 r2 K11 K12 K22", real=True)
mu = sp.Symbol("mu", positive=True)
x, s, P, G = sp.symbols("x s P G", positive=True)


def _identities() -> Derivation:
    J = sp.Matrix(2, 3, sp.symbols("J1:7", real=True))
    r = sp.Matrix([r1, r2])
    F = sp.Matrix([F1(w1, w2), F2(w1, w2)])
    loss = ((F - sp.Matrix([y1, y2])).T * (F - sp.Matrix([y1, y2])))[0] / 2
    Jf = F.jacobian([w1, w2])
    K = sp.Matrix([[ka, kb], [kb, kc]])
    lam_min = (ka + kc) / 2 - sp.sqrt(((ka - kc) / 2) ** 2 + kb**2)
    der = Derivation("PL*: gradient, kernel and Hessian identities")
    der.eq(
        ((J.T * r).T * (J.T * r))[0],
        (r.T * (J * J.T) * r)[0],
        why="grad L = J^T r, so ||grad L||^2 = r^T K r with K = J J^T",
    )
    der.le(
        2 * lam_min * (r1**2 + r2**2) / 2,
        (r.T * K * r)[0],
        why="r^T K r >= lambda_min ||r||^2 = 2 lambda_min L (exact for n = 2, z3)",
    )
    der.eq(
        sp.hessian(loss, (w1, w2)),
        Jf.T * Jf
        + (F1(w1, w2) - y1) * sp.hessian(F1(w1, w2), (w1, w2))
        + (F2(w1, w2) - y2) * sp.hessian(F2(w1, w2), (w1, w2)),
        why="H_L = J^T J + sum_i r_i H_i",
    )
    return der


def _rate_and_radius() -> Derivation:
    der = Derivation("PL*: rate and radius", assumptions=[eta * beta <= 1, mu <= beta])
    der.le(0, 1 - eta * mu, why="eta <= 1/beta and mu <= beta")
    der.lt(1 - eta * mu, 1, why="eta mu > 0")
    der.assume(
        "L(w_{t+1}) <= (1 - eta mu) L(w_t), hence L(w_t) <= (1 - eta mu)^t L(w_0)",
        reference="Liu et al. 2022, local PL* theorem ([R] med): smoothness + PL*",
    )
    der.assume(
        "||grad L(w_t)|| <= L_F ||F(w_t) - y|| <= G (1 - eta mu)^{t/2}, G = L_F ||F(w0) - y||",
        reference="||grad L|| <= ||J|| ||r|| and the rate",
    )
    return der


def _series() -> Derivation:
    der = Derivation("PL*: path-length series", assumptions=[x <= 1, sp.Eq(s**2, 1 - x), s < 1])
    der.le((1 - P) / (1 - s), 1 / (1 - s), why="partial sums of sum_t s^t, P = s^T >= 0")
    der.le(1 / (1 - s), 2 / x, why="sum_t (1 - x)^{t/2} <= 2/x with s = sqrt(1 - x)")
    bound = plstar_radius()
    lip, res0, mu_b = (
        next(v for v in bound.symbols if v.name == nm) for nm in ("L_F", "r_0", "mu")
    )
    der.eq(
        eta * (lip * res0) * 2 / (eta * mu_b),
        bound.expr,
        why="path length <= eta G * 2/(eta mu) = 2 L_F ||F(w0) - y||/mu",
    )
    return der


def derivation() -> list[Derivation]:
    return [_identities(), _rate_and_radius(), _series()]


def test_plstar() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
