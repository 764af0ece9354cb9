"""Deep NTK MLP: :math:`\\|H\\| = \\tilde O(R^{3L}/\\sqrt m)` (Liu, Zhu, Belkin 2020, Theorem 3.2).

Theorem 3.1's decomposition and the two ingredient bounds are recalled from the paper ([R] med) and
enter as assumptions with their reference; what is checked is the algebra combining them and the
scaling in the width: exponent -1/2 with log power 1/2.
"""

import sympy as sp

from wideproof.symbolic import Derivation, L, R, fc_hessian, m

h, T, b, P, Q = sp.symbols("h T b P Q", nonnegative=True)
K, C_T, C_b = sp.symbols("K C_T C_b", positive=True)


def derivation() -> Derivation:
    bound = fc_hessian()
    C = next(s for s in bound.symbols if s.name == "C")
    der = Derivation("deep MLP: O~(R^{3L}/sqrt(m))", assumptions=[m > 1])
    der.assume(
        sp.Le(h, K * T * b),
        reference="Liu et al. 2020, Theorem 3.1 [R] med: ||H|| <= "
        "sum over (L+1)^2 block pairs and L layers of ||d2 alpha||_{2,2,1} ||b^(l)||_inf; "
        "K = L (L+1)^2, T = max (2,2,1)-norm, b = max ||b^(l)||_inf",
    )
    der.assume(
        sp.Le(T, C_T * P),
        reference="Liu et al. 2020, Theorem 3.2 [R] med: (2,2,1)-norms "
        "O(R^{3L}) on B(w0, R); P stands for R^{3L}",
    )
    der.assume(
        sp.Le(b, C_b * Q),
        reference="Liu et al. 2020, §3 [R]+[S]: ||b^(l)||_inf = "
        "O(sqrt(log m)/sqrt(m)) w.h.p.; Q stands for sqrt(log m)/sqrt(m)",
    )
    der.le(
        h,
        K * C_T * C_b * P * Q,
        why="multiply the three bounds (non-negative factors)",
        given=[sp.Le(h, K * T * b), sp.Le(T, C_T * P), sp.Le(b, C_b * Q)],
    )
    der.eq(
        (K * C_T * C_b * P * Q).subs(
            {P: R ** (3 * L), Q: sp.sqrt(sp.log(m)) / sp.sqrt(m), K * C_T * C_b: C}
        ),
        bound.expr,
        why="substitute P, Q; C = K C_T C_b",
    )
    der.order(
        bound.expr,
        m,
        sp.Rational(-1, 2),
        sp.Rational(1, 2),
        kind="theta",
        why="the bound decays like sqrt(log m)/sqrt(m)",
    )
    der.order(
        bound.expr,
        m,
        sp.Rational(-1, 2) + sp.Rational(1, 10),
        kind="upper",
        why="so it is o(m^{-2/5}): the fitted slope sits just above -1/2",
    )
    return der


def test_deep_mlp() -> None:
    report = derivation().check()
    assert report.ok, report.format()
