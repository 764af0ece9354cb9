"""Linear bottleneck networks (Zhu, Pandit, Belkin 2022, arXiv 2206.15058).

Lemma: the bilinear form :math:`(\\Delta_3,\\Delta_2)\\mapsto a^T\\Delta_3\\Delta_2b` has spectral
norm
:math:`\\|a\\|\\|b\\|`.  For :math:`f = c\\,w_4^TW_3W_2W_1x` (d -> m -> k_b -> m -> 1) this gives
the
within-block norm :math:`c\\|W_3^Tw_4\\|\\|x\\|\\asymp\\|x\\|/\\sqrt{md}` and the cross-block norm
:math:`c\\|w_4\\|\\|W_1x\\|\\asymp\\|x\\|/\\sqrt{k_bd}`; the degree is bottlenecks + 1 at any depth.
"""

import itertools

import sympy as sp

from wideproof.symbolic import (
    Derivation,
    bottleneck_cross,
    bottleneck_degree,
    bottleneck_within,
    d,
    m,
)

k_b = next(s for s in bottleneck_cross().symbols if s.name == "k_b")
a = sp.Matrix(sp.symbols("a1:3", real=True))
b = sp.Matrix(sp.symbols("b1:3", real=True))


def _bilinear_matrix(A: sp.Matrix, Bm: sp.Matrix, f: sp.Expr) -> sp.Matrix:
    return sp.Matrix([[f.diff(p).diff(q) for q in Bm] for p in A])


def _lemma() -> Derivation:
    D3 = sp.Matrix(2, 2, sp.symbols("p1:5", real=True))
    D2 = sp.Matrix(2, 2, sp.symbols("r1:5", real=True))
    M = _bilinear_matrix(D3, D2, (a.T * D3 * D2 * b)[0])
    G = M.T * M
    s = (a.T * a)[0] * (b.T * b)[0]
    der = Derivation("bottleneck: norm of a^T D3 D2 b")
    der.eq(G * G, s * G, why="(M^T M)^2 = ||a||^2 ||b||^2 M^T M: eigenvalues 0 and ||a||^2||b||^2")
    der.eq(G.trace(), 2 * s, why="trace = 2 ||a||^2 ||b||^2 (one copy per inner index): attained")
    return der


def _blocks() -> Derivation:
    W1 = sp.Matrix(2, 2, sp.symbols("W1_1:5", real=True))
    W2 = sp.Matrix(2, 2, sp.symbols("W2_1:5", real=True))
    W3 = sp.Matrix(2, 2, sp.symbols("W3_1:5", real=True))
    w4 = sp.Matrix(sp.symbols("w4_1:3", real=True))
    x = sp.Matrix(sp.symbols("x1:3", real=True))
    c = sp.Symbol("c", positive=True)
    f = c * (w4.T * W3 * W2 * W1 * x)[0]
    D3 = sp.Matrix(2, 2, sp.symbols("p1:5", real=True))
    D2 = sp.Matrix(2, 2, sp.symbols("r1:5", real=True))
    D1 = sp.Matrix(2, 2, sp.symbols("t1:5", real=True))
    der = Derivation("bottleneck: block second derivatives")
    der.eq(
        _bilinear_matrix(W3, W2, f),
        _bilinear_matrix(D3, D2, (c * w4.T * D3 * D2 * W1 * x)[0]),
        why="cross block (W3, W2): the lemma with a = c w4, b = W1 x",
    )
    der.eq(
        _bilinear_matrix(W2, W1, f),
        _bilinear_matrix(D2, D1, (c * w4.T * W3 * D2 * D1 * x)[0]),
        why="within block (W2, W1): the lemma with a = c W3^T w4, b = x",
    )
    return der


def _scaling() -> Derivation:
    within, cross = bottleneck_within(), bottleneck_cross()
    xnorm = next(s for s in cross.symbols if s.name == "xnorm")
    c = 1 / sp.sqrt(d * m * k_b * m)
    der = Derivation("bottleneck: O(1/sqrt(m)) within, Theta(1) across")
    der.assume(
        "||W3^T w4||^2 ~ k_b m, ||w4||^2 ~ m, ||W1 x||^2 ~ m ||x||^2 at init",
        reference="law of large numbers for N(0, 1) entries [I]",
    )
    der.eq(c * sp.sqrt(k_b * m) * xnorm, within.expr, why="within block = ||x||/sqrt(md)")
    der.eq(c * sp.sqrt(m) * sp.sqrt(m) * xnorm, cross.expr, why="cross block = ||x||/sqrt(k_b d)")
    der.order(within.expr, m, -sp.Rational(1, 2), why="within-block: vanishes")
    der.order(cross.expr, m, 0, why="cross-block: does not")
    der.assume(
        "the order-r term in perturbations of layers l_1 < ... < l_r scales as prod_i "
        "(min width between l_i and l_{i+1})^{-1/2}",
        reference="arXiv 2206.15058 [I], from the two block norms above",
    )
    for bottlenecks in range(5):
        for depth in (bottlenecks + 1, bottlenecks + 3, 2 * bottlenecks + 2):
            _degree_steps(der, bottlenecks, depth)
    return der


def _term_scale(layers: tuple[int, ...], widths: list[sp.Expr]) -> sp.Expr:
    """m -> oo scale of the order-r term in layers l_1 < ... < l_r: prod (min width between)^-1/2,
    where min(m, k_b) = k_b (widths[j - 1] is hidden layer j's width)."""
    out = sp.Integer(1)
    for lo, hi in itertools.pairwise(layers):
        out *= (k_b if k_b in widths[lo - 1 : hi - 1] else m) ** sp.Rational(-1, 2)
    return out


def _degree_steps(der: Derivation, bottlenecks: int, depth: int) -> None:
    """The library's degree r = bottleneck_degree(...) on a layout of our own (bottlenecks at odd
    hidden layers when they fit, else first): one order-r term is Theta(1) (layers right after
    each bottleneck) and the sum of all order-(r+1) terms is O(m^-1/2)."""
    spread = depth >= 2 * bottlenecks + 1
    positions = [2 * i + 1 if spread else i + 1 for i in range(bottlenecks)]
    widths = [k_b if j in positions else m for j in range(1, depth)]
    r = bottleneck_degree(bottlenecks, depth)
    kept = (1, *(p + 1 for p in positions))
    der.order(
        _term_scale(kept, widths),
        m,
        0,
        why=f"{bottlenecks} bottlenecks, depth {depth}: an order-{r} term survives",
    )
    above = [_term_scale(c, widths) for c in itertools.combinations(range(1, depth + 1), r + 1)]
    if above:
        der.order(
            sp.Add(*above),
            m,
            -sp.Rational(1, 2),
            kind="upper",
            why=f"every order-{r + 1} term vanishes",
        )


def derivation() -> list[Derivation]:
    return [_lemma(), _blocks(), _scaling()]


def test_bottleneck() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
