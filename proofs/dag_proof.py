"""DAG networks (Zhu, Liu, Belkin 2022, arXiv 2205.11786).

The width of a DAG network is its minimum in-degree k; the Hessian bound
:math:`O((\\log k + R)^{L^2}/\\sqrt k)` is recalled from the paper ([R] lo-med) and enters as an
assumption.  Checked: the scaling in k (exponent -1/2, log power L^2) and the kernel-change
corollary :math:`\\tilde O(R^{L^2+1}/\\sqrt k)`.
"""

import sympy as sp

from wideproof.symbolic import Derivation, L, R, dag_hessian, k


def derivation() -> Derivation:
    bound = dag_hessian()
    der = Derivation("DAG: O~(1/sqrt(k)) in the minimum in-degree", assumptions=[k > 1])
    der.assume(
        "sup_{B(w0,R)} ||H_f|| <= C (log k + R)^{L^2}/sqrt(k) w.p. 1 - exp(-Omega(log^2 k))",
        reference="Zhu, Liu, Belkin 2022, Theorem 3.1 [R]",
    )
    der.order(bound.expr, k, -sp.Rational(1, 2), L**2, why="(log k + R)^{L^2} ~ log(k)^{L^2}")
    der.order(
        bound.expr,
        k,
        -sp.Rational(1, 2) + sp.Rational(1, 10),
        kind="upper",
        why="hence o(k^{-2/5}) for any fixed depth",
    )
    der.order(
        R * bound.expr,
        k,
        -sp.Rational(1, 2),
        L**2,
        why="kernel change eps R (ball proof) is O~(R^{L^2+1}/sqrt(k))",
    )
    return der


def test_dag() -> None:
    report = derivation().check()
    assert report.ok, report.format()
