"""One hidden layer (Liu, Zhu, Belkin 2020, §3.1).

For :math:`f = m^{-1/2}\\sum_i v_i\\sigma(w_i^Tx/\\sqrt d)` the Hessian at one input is block
diagonal over neurons; each block has the closed-form spectral norm of
:func:`wideproof.symbolic.one_hidden_layer_block_norm`.  At Gaussian initialization the norm is
:math:`\\Theta(\\sqrt{\\log m}/\\sqrt m)`.  The two-layer linear network has
:math:`\\|H\\| = \\|x\\|/\\sqrt{md}` exactly.
"""

import sympy as sp

from wideproof.symbolic import (
    Derivation,
    d,
    m,
    one_hidden_layer_at_init,
    one_hidden_layer_block_norm,
    two_layer_linear,
)

sigma = sp.Function("sigma")
x1, x2 = sp.symbols("x1 x2", real=True)
w = sp.symbols("w1:3", real=True)
u = sp.symbols("u1:3", real=True)
v, v2 = sp.symbols("v v_2", real=True)


def _blocks() -> Derivation:
    a = (w[0] * x1 + w[1] * x2) / sp.sqrt(d)
    b = (u[0] * x1 + u[1] * x2) / sp.sqrt(d)
    f = (v * sigma(a) + v2 * sigma(b)) / sp.sqrt(m)
    params = (*w, v, *u, v2)
    H = sp.hessian(f, params)
    z = sp.Symbol("z")
    s1 = sp.Subs(sp.Derivative(sigma(z), z), z, a)  # sigma'(a)
    s2 = sp.Subs(sp.Derivative(sigma(z), (z, 2)), z, a)  # sigma''(a)
    x = sp.Matrix([x1, x2])
    block = sp.zeros(3, 3)
    block[:2, :2] = v * s2 * x * x.T / (sp.sqrt(m) * d)
    block[:2, 2] = s1 * x / sp.sqrt(m * d)
    block[2, :2] = s1 * x.T / sp.sqrt(m * d)
    der = Derivation(
        "one hidden layer: Hessian blocks and their exact norm",
        assumptions=[x1**2 + x2**2 > 0],  # x != 0: the basis below divides by ||x||
    )
    der.eq(
        H[:3, :3], block, why="neuron 1's block: v s''(a) x x^T/(sqrt(m) d), s'(a) x/sqrt(md), 0"
    )
    der.eq(H[:3, 3:], sp.zeros(3, 3), why="no second derivative couples two neurons")
    bound = one_hidden_layer_block_norm()
    A, B = (s for s in bound.symbols if s.name in ("A_i", "B_i"))
    r = sp.sqrt(x1**2 + x2**2)
    Q = sp.Matrix([[x1 / r, -x2 / r, 0], [x2 / r, x1 / r, 0], [0, 0, 1]])
    reduced = sp.Matrix([[A, 0, B], [0, 0, 0], [B, 0, 0]]) / sp.sqrt(m)
    der.eq(Q.T * Q, sp.eye(3), why="(x/||x||, x_perp/||x||, e_v) is an orthonormal basis")
    der.eq(
        Q.T * block * Q,
        reduced.subs({A: v * s2 * r**2 / d, B: s1 * r / sp.sqrt(d)}),
        why="in it the block is m^{-1/2} [[A_i, B_i], [B_i, 0]] (+) 0, "
        "A_i = v s''(a) ||x||^2/d, B_i = s'(a) ||x||/sqrt(d)",
    )
    return _norm(der, A, B)


def _norm(der: Derivation, A: sp.Symbol, B: sp.Symbol) -> Derivation:
    """The block steps are TRIVIAL (sympy's Hessian is literally the printed block); the 2x2
    reduction and the norm of the reduced block are the derivation's content."""
    bound = one_hidden_layer_block_norm()
    root = sp.sqrt(A**2 + 4 * B**2)
    lp, lm = (A + root) / 2, (A - root) / 2
    norm = (sp.Abs(A) + root) / 2
    der.eq(lp**2 - A * lp - B**2, 0, why="lambda_+ is a root of lambda^2 - A lambda - B^2")
    der.eq(lm**2 - A * lm - B**2, 0, why="lambda_- is the other root")
    der.le(sp.Abs(lp), norm, why="|lambda_+| <= (|A| + sqrt(A^2 + 4B^2))/2")
    der.le(sp.Abs(lm), norm, why="|lambda_-| <= (|A| + sqrt(A^2 + 4B^2))/2")
    der.le(norm, sp.Max(sp.Abs(lp), sp.Abs(lm)), why="and one of them attains it")
    der.eq(norm / sp.sqrt(m), bound.expr, why="the Bound's expression")
    return der


def _init() -> Derivation:
    bound = one_hidden_layer_at_init()
    C = next(s for s in bound.symbols if s.name == "C")
    der = Derivation("one hidden layer: Theta(sqrt(log m)/sqrt(m)) at init", assumptions=[m > 1])
    der.assume(
        "max_i |v_i| = sqrt(2 log m) (1 + o(1)) for v_i iid N(0, 1)",
        reference="Gaussian extreme values",
    )
    der.assume(
        "max_i |A_i| = Theta(max_i |v_i|) and B_i = O(1)",
        reference="A_i = v_i s''(a_i)||x||^2/d, |s''| bounded (activation facts proof)",
    )
    der.eq(bound.expr, C * sp.sqrt(2 * sp.log(m)) / sp.sqrt(m), why="the Bound's expression")
    der.order(bound.expr, m, sp.Rational(-1, 2), sp.Rational(1, 2))
    return der


def _linear() -> Derivation:
    mm, dd = 2, 2
    W = sp.Matrix(mm, dd, sp.symbols("W1:5", real=True))
    vv = sp.Matrix(sp.symbols("c1:3", real=True))
    x = sp.Matrix([x1, x2])
    f = (vv.T * W * x)[0] / sp.sqrt(mm * dd)
    H = sp.hessian(f, (*W, *vv))
    xn2 = x1**2 + x2**2
    bound = two_layer_linear()
    xnorm = next(s for s in bound.symbols if s.name == "xnorm")
    der = Derivation("two-layer linear: ||H|| = ||x||/sqrt(m d)")
    der.eq(
        H**3,
        xn2 / (mm * dd) * H,
        why="H^3 = (||x||^2/(md)) H: eigenvalues in {0, +-||x||/sqrt(md)}",
    )
    der.eq(
        (H * H).trace(), 2 * mm * xn2 / (mm * dd), why="trace H^2 = 2m ||x||^2/(md) > 0: attained"
    )
    der.eq(
        bound.expr.subs({m: mm, d: dd, xnorm: sp.sqrt(xn2)}),
        sp.sqrt(xn2 / (mm * dd)),
        why="the Bound's expression at m = d = 2",
    )
    der.assume(
        "the same identities hold for every m, d: H = [[0, M], [M^T, 0]] with "
        "M^T M = ||x||^2/(md) I_m",
        reference="Liu, Zhu, Belkin 2020, §3.1 [I]",
    )
    return der


def derivation() -> list[Derivation]:
    return [_blocks(), _init(), _linear()]


def test_one_hidden_layer() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
