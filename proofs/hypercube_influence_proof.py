"""Hypercube influence: for :math:`f=\\sum_S\\hat f(S)\\chi_S` on
:math:`\\{\\pm1\\}^3`, :math:`\\mathbb E[(\\partial_jf)^2] = \\sum_{S\\ni j}\\hat f(S)^2` with the
multilinear derivative :math:`\\partial_jf(x) = (f(x^{j\\to1}) - f(x^{j\\to-1}))/2`; the expectation
is the exact average over the 8 points, the Fourier coefficients are free symbols.
"""

import itertools

import sympy as sp

from wideproof.symbolic import Derivation

DIM = 3
SUBSETS = [S for r in range(DIM + 1) for S in itertools.combinations(range(DIM), r)]
COEF = {S: sp.Symbol("fhat_" + ("".join(str(i) for i in S) or "empty"), real=True) for S in SUBSETS}
xs = sp.symbols(f"x0:{DIM}", real=True)


def _f(point: tuple[sp.Expr, ...]) -> sp.Expr:
    return sum(COEF[S] * sp.Mul(*[point[i] for i in S]) for S in SUBSETS)


def derivation() -> Derivation:
    der = Derivation("hypercube: E[(d_j f)^2] = sum_{S containing j} fhat(S)^2")
    cube = list(itertools.product((-1, 1), repeat=DIM))
    for j in range(DIM):

        def dj(p: tuple[int, ...], j: int = j) -> sp.Expr:
            up = tuple(1 if i == j else p[i] for i in range(DIM))
            down = tuple(-1 if i == j else p[i] for i in range(DIM))
            return (_f(up) - _f(down)) / 2

        expectation = sum(dj(p) ** 2 for p in cube) / len(cube)
        der.eq(
            expectation,
            sum(COEF[S] ** 2 for S in SUBSETS if j in S),
            why=f"influence of coordinate {j} (Parseval)",
        )
    der.eq(
        sum(_f(p) ** 2 for p in cube) / len(cube),
        sum(c**2 for c in COEF.values()),
        why="Parseval: E[f^2] = sum_S fhat(S)^2",
    )
    return der


def test_hypercube_influence() -> None:
    report = derivation().check()
    assert report.ok, report.format()
