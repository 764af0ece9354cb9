"""Modular arithmetic (Mallinar et al. 2025, arXiv 2407.20199, §5).

Fourier multiplication: with :math:`\\omega = e^{-2\\pi i/p}` and :math:`F_{jk} =
\\omega^{jk}/\\sqrt p`,
:math:`\\sqrt p\\langle Fe_a\\odot Fe_b, Fe_\\ell\\rangle = 1\\{a+b\\equiv\\ell\\}`.  Sums of
powers of
:math:`\\omega` are decided exactly by reducing polynomials in :math:`\\omega` modulo the cyclotomic
polynomial :math:`\\Phi_p` (p prime), never numerically.

Erratum (pinned here): the printed subtraction FMA uses :math:`e_{p-\\ell-1}` and then flags
:math:`a-b\\equiv\\ell+1`; the correct index is :math:`e_{(p-\\ell)\\bmod p}` (0-based), as found
by a pilot study.

Theorem 5.1 (subtraction, all :math:`p^2` points, quadratic kernel with
:math:`M_\\ell = [[0, C^\\ell], [(C^\\ell)^T, 0]]`): the ridgeless coefficients are
:math:`\\alpha^{(\\ell)} = \\tfrac12C^{3\\ell} - \\mathbf 1\\mathbf 1^T/(2p+2)` -- checked in exact
rationals for p = 3 and 5 by :math:`K\\alpha = y` with :math:`\\det K\\neq0`; the transposed matrix
does not solve the system when p does not divide 3l.
"""

from collections.abc import Callable

import sympy as sp

from wideproof.symbolic import Derivation

z = sp.Symbol("omega")


def _reduce(poly: sp.Expr, p: int) -> sp.Expr:
    """The remainder modulo Phi_p: equal to ``poly`` at omega = exp(-2 pi i/p)."""
    return sp.rem(sp.expand(poly), sp.cyclotomic_poly(p, z), z)


def _inner(a: int, b: int, c: int, p: int) -> sp.Expr:
    """p * sqrt(p) <F e_a (.) F e_b, F e_c>_C in omega (conj(omega) = omega^(p-1))."""
    return sum(z ** ((j * (a + b) + j * c * (p - 1)) % p) for j in range(p))


def _fourier(p: int) -> Derivation:
    der = Derivation(f"modular arithmetic: Fourier multiplication identity, p = {p}")
    der.eq(
        sp.Matrix(p * p, p, lambda r, c: _reduce(_inner(r // p, r % p, c, p), p)),
        sp.Matrix(p * p, p, lambda r, c: p if (r // p + r % p - c) % p == 0 else 0),
        why="sqrt(p) <F e_a (.) F e_b, F e_l> = 1{a + b = l mod p} (times p), mod Phi_p",
    )

    def sub(idx: Callable[[int], int]) -> sp.Matrix:
        return sp.Matrix(
            p * p,
            p,
            lambda r, c: _reduce(
                sum(
                    z ** ((j * (r // p) + j * idx(c) + j * (r % p) * (p - 1)) % p) for j in range(p)
                ),
                p,
            ),
        )

    target = sp.Matrix(p * p, p, lambda r, c: p if (r // p - r % p - c) % p == 0 else 0)
    der.ne(
        sub(lambda c: p - c - 1),
        target,
        why="printed subtraction index e_{p-l-1} flags a - b = l + 1 (erratum)",
    )
    der.eq(sub(lambda c: (p - c) % p), target, why="corrected index e_{(p-l) mod p}")
    return der


def _theorem_5_1(p: int) -> Derivation:
    C = sp.Matrix(p, p, lambda i, j: 1 if j == (i + 1) % p else 0)
    X = sp.Matrix(p * p, 2 * p, lambda r, c: 1 if c == r // p or c == p + r % p else 0)
    ones = sp.ones(p, p)
    der = Derivation(f"modular arithmetic: Theorem 5.1 coefficients, p = {p}")
    for ell in range(p):
        Cl = C**ell
        M = sp.zeros(2 * p, 2 * p)
        M[:p, p:] = Cl
        M[p:, :p] = Cl.T
        K = (X * M * X.T).applyfunc(lambda e: e**2)
        y = sp.Matrix([[1 if (r // p - r % p) % p == ell else 0] for r in range(p * p)])
        alpha = (C ** (3 * ell) / 2 - ones / (2 * p + 2)).reshape(p * p, 1)
        der.ne(K.det(), 0, why=f"l = {ell}: the kernel matrix is invertible")
        der.eq(K * alpha, y, why=f"l = {ell}: alpha = C^(3l)/2 - 11^T/(2p+2) interpolates")
        if (3 * ell) % p:  # C^(3l) = I is symmetric when p divides 3l
            alpha_t = (C ** (3 * ell)).T / 2 - ones / (2 * p + 2)
            der.ne(K * alpha_t.reshape(p * p, 1), y, why=f"l = {ell}: the transpose does not")
        der.eq(y.reshape(p, p), (C.T) ** ell, why=f"l = {ell}: labels = x1^T C^(-l) x2 on one-hots")
    return der


def derivation() -> list[Derivation]:
    return [_fourier(3), _fourier(5), _theorem_5_1(3), _theorem_5_1(5)]


def test_modular_arithmetic() -> None:
    for der in derivation():
        report = der.check()
        assert report.ok, report.format()
