"""Catapult dynamics (Lewkowycz et al. 2020; Zhu, Liu, Radhakrishnan, Belkin 2024 -- the NQM
paper, arXiv 2205.11787 §2.3-§2.5).

Checked: the critical and maximal learning rates, the exact one-step GD updates of the uv model /
single-example NQM (width 2, symbolic), and Proposition 10 of the NQM paper: the printed updates
are *wrong* (shown by an exact witness) and the corrected ones are right.
"""

import sympy as sp

from wideproof.symbolic import Derivation, eta, eta_crit, eta_max, lam, n

y, x = sp.symbols("y x", real=True)
u = sp.Matrix(sp.symbols("u1:3", real=True))
v = sp.Matrix(sp.symbols("v1:3", real=True))
W = 2  # width of the symbolic model


def _thresholds() -> Derivation:
    """The library's thresholds, tied to the dynamics they govern: on the linearized model the
    residual obeys r_{t+1} = (1 - eta lambda_H) r_t, with lambda_H = lambda for the 1/2-sum loss
    and 2 lambda/n for the mean loss (H_L = (2/n) J^T J); GD contracts iff |1 - eta lambda_H| < 1.
    """
    der = Derivation("catapult: eta_crit is where linear GD stops contracting")
    for loss, lam_h in (("half_sum", lam), ("mean", 2 * lam / n)):
        crit = eta_crit(loss).expr
        below = Derivation(f"{loss} loss: GD contracts below eta_crit", assumptions=[eta < crit])
        below.lt(sp.Abs(1 - eta * lam_h), 1, why="r_{t+1} = (1 - eta lambda_H) r_t")
        above = Derivation(f"{loss} loss: GD diverges above eta_crit", assumptions=[eta > crit])
        above.lt(1, sp.Abs(1 - eta * lam_h), why="|1 - eta lambda_H| > 1")
        der.uses(below).uses(above)
    der.lt(0, eta_crit("half_sum").expr, why="a positive threshold for a positive eigenvalue")
    der.lt(eta_crit("half_sum").expr, eta_max().expr, why="the catapult window is non-empty")
    return der


def _uv_updates() -> Derivation:
    def f(uu: sp.Matrix, vv: sp.Matrix) -> sp.Expr:
        return (vv.T * uu)[0] * x / sp.sqrt(W)

    def kern(uu: sp.Matrix, vv: sp.Matrix) -> sp.Expr:
        return ((uu.T * uu)[0] + (vv.T * vv)[0]) * x**2 / W

    f0, l0 = f(u, v), kern(u, v)
    res = f0 - y
    u1 = u - eta * res * v * x / sp.sqrt(W)
    v1 = v - eta * res * u * x / sp.sqrt(W)
    c = x**2 / W
    der = Derivation("uv model / NQM: exact single-example GD updates")
    grad = sp.Matrix([f0.diff(q) for q in (*u, *v)])
    der.eq(
        (grad.T * grad)[0],
        l0,
        why="the tangent kernel ||grad f||^2 is the model's lambda: lam in eta_crit = 2/lam",
    )
    f_lin = f0 - eta * res * (grad.T * grad)[0]  # linearized model after one GD step
    der.eq(
        f_lin - y,
        (1 - eta * l0) * res,
        why="linearized GD: r_{t+1} = (1 - eta lambda) r_t, the factor of the eta_crit lemmas",
    )
    der.eq(
        f(u1, v1) - y,
        res * (1 - eta * l0 + c * eta**2 * f0 * res),
        why="g(t+1) - y = (1 - eta lambda + (||x||^2/(md)) eta^2 (g - y) g)(g - y)",
    )
    der.eq(
        kern(u1, v1),
        l0 - eta * c * res * (4 * f0 - eta * l0 * res),
        why="lambda(t+1) = lambda - eta ||x||^2/(md) (g-y)^2 (4 g/(g-y) - eta lambda)",
    )
    # eta_max of the library, at the model's own kernel lambda = l0 (not a free symbol)
    lam_up = Derivation(
        "lambda grows above eta_max", assumptions=[eta >= eta_max().expr.subs(lam, l0)]
    )
    lam_up.le(0, eta * c * f0**2 * (eta * l0 - 4), why="y = 0: lambda(t+1) - lambda >= 0")
    der.uses(lam_up)
    return der


def _prop10() -> Derivation:
    gamma, s = sp.symbols("gamma s", positive=True)
    w = sp.Matrix(sp.symbols("w1:3", real=True))
    Sigma = sp.Matrix([[0, s], [s, 0]])  # Sigma^2 = s^2 I, i.e. ||x|| = s

    def g(ww: sp.Matrix) -> sp.Expr:
        return gamma * (ww.T * Sigma * ww)[0] / 2

    def kern(ww: sp.Matrix) -> sp.Expr:
        return gamma**2 * ((Sigma * ww).T * (Sigma * ww))[0]

    g0, l0 = g(w), kern(w)
    w1 = w - eta * g0 * gamma * Sigma * w  # GD on g^2/2 with y = 0
    printed_g = (1 - eta * l0 + gamma * eta**2 * s**2 * g0**2) * g0
    printed_l = l0 - gamma * s**2 * g0**2 * (4 - eta * l0)
    fixed_g = g0 * (1 - eta * l0 + eta**2 * gamma**2 * s**2 * g0**2)
    fixed_l = l0 - eta * gamma**2 * s**2 * g0**2 * (4 - eta * l0)
    witness = {gamma: sp.Rational(1, 2), s: 1, eta: 1, w[0]: 1, w[1]: 2}
    der = Derivation("NQM Proposition 10: printed form refuted, corrected form proven")
    der.eq(Sigma**2, s**2 * sp.eye(2), why="the proposition's hypothesis Sigma^2 = ||x||^2 I")
    der.ne(g(w1), printed_g, witness, why="printed g-update writes gamma where gamma^2 belongs")
    der.ne(kern(w1), printed_l, witness, why="printed lambda-update drops an eta and a gamma")
    der.eq(g(w1), fixed_g, why="corrected: g(t+1) = g (1 - eta lambda + eta^2 gamma^2 ||x||^2 g^2)")
    der.eq(
        kern(w1),
        fixed_l,
        why="corrected: lambda(t+1) = lambda - eta gamma^2 ||x||^2 g^2 (4 - eta lambda)",
    )
    return der


def derivation() -> list[Derivation]:
    return [_thresholds(), _uv_updates(), _prop10()]


def test_catapult() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
