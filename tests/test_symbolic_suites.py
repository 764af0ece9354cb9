"""Soundness and completeness suites for ``Derivation``.

Soundness (hypothesis, derandomized, bounded): families of false or contradictory statements
generated at random -- a positive polynomial with a planted narrow negative dip, two distinct
symbols sharing a name, contradictory interval assumptions -- none of which may come out PROVEN.
The oracle is exact rational arithmetic at the planted point.

Completeness: ordinary true steps of the field, which must stay PROVEN, each timed (the bound is a
regression guard; the measured times are reported in ``docs/symbolic.md``).
"""

import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wideproof.errors import ConfigError
from wideproof.symbolic import Derivation, k, m

SUITE = settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

x = sp.Symbol("x", real=True)
rationals = st.fractions(min_value=-5, max_value=5, max_denominator=7).map(sp.Rational)


@SUITE
@given(center=rationals, depth=st.integers(3, 12), curvature=st.integers(1, 50))
def test_planted_narrow_dip_is_never_proven(
    center: sp.Rational, depth: int, curvature: int
) -> None:
    dip = sp.Rational(1, 10**depth)
    poly = curvature * (x - center) ** 2 * (x**2 + 1) - dip  # = -dip < 0 at x = center
    assert poly.subs(x, center) < 0
    step = Derivation("dip").le(0, sp.expand(poly)).check().steps[0]
    assert step.status != "PROVEN"
    if step.status == "REFUTED":
        assert poly.subs(x, sp.Rational(step.counterexample["x"])) < 0


DECLARATIONS = st.sampled_from(
    [
        {"real": True},
        {"positive": True},
        {"negative": True},
        {"nonnegative": True},
        {"real": True, "integer": True},
    ]
)


@SUITE
@given(
    name=st.text(alphabet="abxyz_0123", min_size=1, max_size=4),
    first=DECLARATIONS,
    second=DECLARATIONS,
)
def test_symbol_name_collisions_are_refused(
    name: str, first: dict[str, bool], second: dict[str, bool]
) -> None:
    a, b = sp.Symbol(name, **first), sp.Symbol(name, **second)
    d = Derivation("collide").le(a, a + 1)
    if a == b:
        d.le(b, b + 1)
        assert d.check().steps[0].status == "PROVEN"
    else:
        with pytest.raises(ConfigError, match="print as"):
            d.le(0, b)


@SUITE
@given(lo=rationals, gap=st.fractions(1, 3, max_denominator=9).map(sp.Rational), rhs=rationals)
def test_contradictory_interval_pairs_make_steps_vacuous(
    lo: sp.Rational, gap: sp.Rational, rhs: sp.Rational
) -> None:
    # x >= lo and x <= lo - gap have no common point
    d = Derivation("c", assumptions=[x >= lo, x <= lo - gap]).le(x, rhs).lt(rhs, x)
    report = d.check()
    assert [s.status for s in report.steps] == ["VACUOUS", "VACUOUS"] and not report.ok
    y = sp.Symbol("y", positive=True)
    boxed = Derivation("b").le(y, rhs, box={y: (-1 - gap, -gap)}).check().steps[0]
    assert boxed.status == "VACUOUS"


a, b, c = sp.symbols("a b c", positive=True)
a1, a2, a3, b1, b2, b3 = sp.symbols("a1 a2 a3 b1 b2 b3", real=True)
t = sp.Symbol("t", real=True)

COMPLETENESS = {
    "AM-GM, 2 variables": lambda: Derivation("c").le(sp.sqrt(a * b), (a + b) / 2),
    "AM-GM, 3 variables": lambda: Derivation("c").le(a * b * c, ((a + b + c) / 3) ** 3),
    "Cauchy-Schwarz, 2": lambda: Derivation("c").le(
        (a1 * b1 + a2 * b2) ** 2, (a1**2 + a2**2) * (b1**2 + b2**2)
    ),
    "Cauchy-Schwarz, 3": lambda: Derivation("c").le(
        (a1 * b1 + a2 * b2 + a3 * b3) ** 2,
        (a1**2 + a2**2 + a3**2) * (b1**2 + b2**2 + b3**2),
    ),
    "sup |tanh''| = 4 sqrt(3)/9": lambda: Derivation("c").le(
        sp.Abs(sp.diff(sp.tanh(t), t, 2)), 4 * sp.sqrt(3) / 9
    ),
    "1 - 1/sqrt(1 + k) >= 0": lambda: Derivation("c").le(0, 1 - 1 / sp.sqrt(1 + k)),
    "(1 + 1/m)^m <= e": lambda: Derivation("c").le((1 + 1 / m) ** m, sp.E),
    "m log(1 + 1/m) <= 1": lambda: Derivation("c").le(m * sp.log(1 + 1 / m), 1),
    "log(a^3 b) = 3 log a + log b": lambda: Derivation("c").eq(
        sp.log(a**3 * b), 3 * sp.log(a) + sp.log(b)
    ),
    "exp(a + b)^2 = exp(2a) exp(2b)": lambda: Derivation("c").eq(
        sp.exp(a + b) ** 2, sp.exp(2 * a) * sp.exp(2 * b)
    ),
    "sqrt(m) / (m + 1)^(3/2) < 1": lambda: Derivation("c").lt(sp.sqrt(m) / sp.sqrt(m + 1) ** 3, 1),
}


@pytest.mark.parametrize("name", list(COMPLETENESS))
def test_ordinary_true_steps_stay_proven(name: str) -> None:
    start = time.monotonic()
    step = COMPLETENESS[name]().check().steps[0]
    elapsed = time.monotonic() - start
    assert step.status == "PROVEN", f"{name}: {step.status} {step.detail}"
    assert elapsed < 10, f"{name} took {elapsed:.1f} s"


SMT_STEPS = ["AM-GM, 2 variables", "sup |tanh''| = 4 sqrt(3)/9", "(1 + 1/m)^m <= e"]


@pytest.mark.parametrize("name", SMT_STEPS)
def test_z3_proofs_export_smtlib_that_a_fresh_solver_rechecks(name: str) -> None:
    import z3

    step = COMPLETENESS[name]().check().steps[0]
    assert "z3" in step.method and "(check-sat)" in step.smtlib
    fresh = z3.Solver()
    fresh.from_string(step.smtlib)  # the text alone, no wideproof translation
    assert fresh.check() == z3.unsat
    assert "smtlib" in step.to_json()


@pytest.mark.parametrize("name", SMT_STEPS)
def test_cvc5_confirms_the_z3_proofs(name: str) -> None:
    pytest.importorskip("cvc5")
    from wideproof.symbolic import recheck

    step = COMPLETENESS[name]().check().steps[0]
    assert recheck(step.smtlib) == "unsat"


def test_cvc5_finds_a_false_query_satisfiable() -> None:
    pytest.importorskip("cvc5")
    from wideproof.symbolic import recheck

    query = "(declare-fun x () Real)\n(assert (> (* x x) 2.0))\n(check-sat)\n"
    assert recheck(query) == "sat"
