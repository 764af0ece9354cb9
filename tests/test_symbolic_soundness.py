"""Soundness of ``Derivation``: no false step is PROVEN, whatever the symbols, assumptions or numbers.

Oracles: statements whose falsity is known by hand (each comment names the point where it fails),
exact rational arithmetic and mpmath at 60 digits for the numeric ones.  Each reproduction of the
red-team review is a test; a step passes when it is REFUTED, UNPROVEN (with the reason), VACUOUS or
refused with a one-line ``ConfigError`` -- never PROVEN.
"""

import time
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from wideproof.errors import ConfigError
from wideproof.symbolic import Derivation
from wideproof.symbolic import m as m_lib
from wideproof.symbolic.commands import prove_command

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", nonnegative=True)
xp = sp.Symbol("x", positive=True)


def one(d: Derivation) -> tuple[str, str]:
    step = d.check().steps[0]
    return step.status, step.detail


def not_proven(d: Derivation) -> None:
    report = d.check()
    assert not report.ok, report.format()
    assert all(s.status != "PROVEN" for s in report.steps), report.format()


# -- 0: near-equal numbers decided exactly / with certified intervals -----------------------------
@pytest.mark.parametrize("eps_exp", [10, 12, 20])
def test_near_equal_numbers_are_decided_with_certified_intervals(eps_exp: int) -> None:
    eps = sp.Rational(1, 10**eps_exp)
    d = Derivation("near").le(eps / 2, sp.log(1 + eps)).le(sp.log(1 + eps), 0)
    statuses = [s.status for s in d.check().steps]
    # log(1 + e) = e - e^2/2 + ... lies in (e/2, e): the first is true, the second false
    with mpmath.workdps(60):
        assert mpmath.log(1 + mpmath.mpf(1) / 10**eps_exp) > mpmath.mpf(1) / 10**eps_exp / 2
    assert statuses == ["PROVEN", "REFUTED"]
    assert "arb" in d.check().steps[0].method


@pytest.mark.parametrize(
    "expr",
    [
        sp.log(sp.sqrt(1 + sp.Rational(1, 10**12))),
        sp.log(sp.cosh(sp.Rational(1, 10**6))),
    ],
)
def test_tiny_positive_constants_are_not_nonpositive(expr: sp.Expr) -> None:
    with mpmath.workdps(60):
        assert mpmath.mpf(sp.N(expr, 60)) > 0
    assert one(Derivation("c").le(expr, 0))[0] == "REFUTED"


def test_sign_checker_does_not_trust_low_precision_constants() -> None:
    d = Derivation("s").le(sp.acosh(1 + sp.Rational(1, 10**12)), x**2)  # false at x = 0
    status, _ = one(d)
    assert status in ("REFUTED", "UNPROVEN")


# -- 1, 2: symbol identity ---------------------------------------------------------------------
def test_same_name_different_symbols_are_refused() -> None:
    with pytest.raises(ConfigError, match="x"):
        Derivation("n", assumptions=[xp < 10]).le(0, x).check()
    m_real = sp.Symbol("m", real=True)
    with pytest.raises(ConfigError, match="m"):
        Derivation("n").le(m_real, m_lib).check()


def test_translation_keys_symbols_by_identity() -> None:
    from wideproof.symbolic import _z3

    ctx = _z3.Translation()
    a, b = ctx.expr(x), ctx.expr(xp)
    assert not a.eq(b)


def test_fresh_names_cannot_collide_with_user_symbols() -> None:
    t0 = sp.Symbol("__t0", real=True)
    status, _ = one(Derivation("f").le(sp.tanh(x), t0))  # false at x = 1, t0 = 0
    assert status != "PROVEN"


# -- 3, 4: assumptions validated and jointly satisfiable -----------------------------------------
def test_infinite_bounds_in_assumptions_are_refused() -> None:
    for bad in (sp.Lt(x, sp.oo, evaluate=False), sp.Gt(x, -sp.oo, evaluate=False)):
        with pytest.raises(ConfigError, match="infinit"):
            Derivation("inf", assumptions=[bad]).le(1 / (1 + x**2), 0)


def test_assumptions_true_by_declaration_are_dropped_false_refused() -> None:
    k = sp.Symbol("k", positive=True)
    assert Derivation("t", assumptions=[k > 0]).assumptions == []
    with pytest.raises(ConfigError):
        Derivation("f", assumptions=[sp.false])


def test_contradictory_assumptions_make_every_step_vacuous() -> None:
    d = Derivation("c", assumptions=[x > 2, x < 1]).le(x, 0).eq(x, x + 1)
    report = d.check()
    assert [s.status for s in report.steps] == ["VACUOUS", "VACUOUS"]
    assert not report.ok
    d2 = Derivation("c2", assumptions=[x >= 1, x <= 1]).le(1 / (x - 1), -1)
    assert one(d2)[0] in ("VACUOUS", "UNPROVEN")  # 1/(x - 1) is undefined at the only point


def test_box_contradicting_a_declared_sign_is_vacuous() -> None:
    assert one(Derivation("b").le(xp, -5, box={xp: (-2, -1)}))[0] == "VACUOUS"


# -- 5, 11: implicit domains -------------------------------------------------------------------
def test_square_root_domain_must_follow_from_the_assumptions() -> None:
    status, detail = one(Derivation("d").le(0, x - 5 + y * sp.sqrt(x - 5)))
    assert status == "UNPROVEN" and "x - 5 >= 0" in detail
    status, detail = one(Derivation("d").le(0, sp.sqrt(x), box={x: (-1, 1)}))
    assert status == "UNPROVEN" and "x >= 0" in detail
    # stated as an assumption, the same step is proven
    assert one(Derivation("d", assumptions=[x >= 5]).le(0, x - 5 + y * sp.sqrt(x - 5)))[0] == (
        "PROVEN"
    )


def test_removable_singularity_is_not_an_identity() -> None:
    status, detail = one(Derivation("r").eq((x**2 - 1) / (x - 1), x + 1))
    assert status == "UNPROVEN" and "x - 1 != 0" in detail
    d = Derivation("r", assumptions=[x > 1]).eq((x**2 - 1) / (x - 1), x + 1)
    assert one(d)[0] == "PROVEN"


def test_zero_power_zero_and_evaluated_away_powers_are_not_proven() -> None:
    status, detail = one(Derivation("z").eq(sp.Pow(0, 0, evaluate=False), 1))
    assert status == "UNPROVEN" and "0 != 0" in detail
    # x**0 is 1 once built: the step says nothing
    report = Derivation("z", assumptions=[sp.Eq(x, 0)]).eq(x**0, 1).check()
    assert report.steps[0].status == "TRIVIAL" and not report.ok


# -- 6: inexact numbers ------------------------------------------------------------------------
def test_floats_are_refused_with_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match="Rational") as err:
        Derivation("f").eq(1 + sp.Float("1e-17"), 1)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="nsimplify"):
        Derivation("f").le(1 + 1e-17, 1)
    with pytest.raises(ConfigError):
        Derivation("f", assumptions=[x > 0.5])


def test_float_opt_in_checks_up_to_the_stated_tolerance() -> None:
    tol = sp.Rational(1, 10**12)
    d = Derivation("f", float_tolerance=tol).le(1 + 1e-17, 1 - sp.Rational(1, 10**13))
    d.eq(sp.Float("1.41421356237310"), sp.sqrt(2)).le(sp.Float("1.5"), 1)
    d.eq(x * 0.5, x / 2 + sp.Rational(1, 10**6)).le(1.0, 1)
    report = d.check()
    # 1.0 <= 1 - 10^-13 + tol and |1.41421356237310 - sqrt 2| = 4.9e-15 <= tol hold;
    # 1.5 <= 1 + tol and 10^-6 <= tol do not; 1.0 <= 1 is read as 1 <= 1
    statuses = [s.status for s in report.steps]
    assert statuses == ["PROVEN", "PROVEN", "REFUTED", "REFUTED", "TRIVIAL"]
    assert all("up to 1/1000000000000" in s.statement for s in report.steps[:4])
    assert "floats" in report.steps[0].method
    with pytest.raises(ConfigError):
        Derivation("f", float_tolerance=tol, assumptions=[x > 0.5])
    with pytest.raises(ConfigError):
        Derivation("f", float_tolerance=1e-12)


# -- 7: witnesses ------------------------------------------------------------------------------
def test_ne_witness_must_satisfy_the_assumptions() -> None:
    d = Derivation("w", assumptions=[x > 1]).ne(sp.Abs(x - 1), x - 1, {x: 0})
    status, detail = one(d)
    assert status == "UNPROVEN" and "x > 1" in detail
    ok = Derivation("w", assumptions=[x < 1]).ne(sp.Abs(x - 1), x - 1, {x: 0})
    assert one(ok)[0] == "PROVEN"


def test_ne_witness_respects_declared_signs() -> None:
    assert one(Derivation("w").ne(sp.Abs(xp), -xp, {xp: -1}))[0] == "UNPROVEN"


# -- 8: fresh results, circular lemmas ---------------------------------------------------------
def test_report_is_recomputed_when_a_lemma_changes() -> None:
    lemma = Derivation("lemma").le(0, x**2)
    parent = Derivation("parent").uses(lemma).le(0, x**2 + 1)
    assert parent.check().ok
    lemma.le(x, 0)  # false at x = 1
    assert not parent.check().ok


def test_circular_uses_is_a_config_error() -> None:
    a, b = Derivation("a"), Derivation("b")
    a.uses(b)
    with pytest.raises(ConfigError, match="circular"):
        b.uses(a)


# -- 9: counterexamples honour every assumption --------------------------------------------------
def test_true_steps_under_and_or_assumptions_are_not_refuted() -> None:
    d1 = Derivation("a", assumptions=[sp.And(x > 2, x < 3)]).le(sp.log(x), sp.log(3))
    d2 = Derivation("a", assumptions=[sp.And(x >= 0, x <= 10)]).eq(sp.sqrt(x**2), x)
    d3 = Derivation("o", assumptions=[sp.Or(x > 2, x < -2)]).le(4, x**2)
    xn = sp.Symbol("x", negative=True)
    d4 = Derivation("n").lt(xn + sp.sin(xn), 0)
    for d in (d1, d2, d3, d4):
        assert one(d)[0] != "REFUTED", d.check().format()


def test_counterexamples_are_certified_not_evalf_noise() -> None:
    e = sp.exp(x) * sp.sin(x) ** 2 + sp.exp(x) * sp.cos(x) ** 2 - sp.exp(x)
    assert one(Derivation("z", assumptions=[x >= 9000]).le(e, 0))[0] != "REFUTED"


def test_refuted_counterexample_satisfies_and_assumptions() -> None:
    step = Derivation("a", assumptions=[sp.And(x > 2, x < 3)]).le(x, sp.Rational(5, 2))
    s = step.check().steps[0]
    assert s.status == "REFUTED"
    v = sp.Rational(s.counterexample["x"])
    assert 5 * sp.Rational(1, 2) < v < 3


# -- 10: time limit ----------------------------------------------------------------------------
def test_numeric_step_that_used_to_hang_is_decided_quickly() -> None:
    lhs = 10**12 * sp.log(1 + sp.Rational(1, 10**12))
    d = Derivation("t").le(lhs, 1 - sp.Rational(1, 10**13))  # lhs = 1 - 5e-13 + ...
    assert one(d)[0] == "PROVEN"


def test_every_step_runs_under_a_time_limit() -> None:
    # false (the sides differ by 1); without a limit simplify runs for well over 30 s on it
    lhs = sp.sin(x + 1) ** 40 * sp.cos(x - 1) ** 40
    d = Derivation("slow", step_seconds=0.5).eq(lhs, sp.expand_trig(lhs) + 1)
    start = time.monotonic()
    status, detail = one(d)
    assert status == "UNPROVEN" and "timeout" in detail
    assert time.monotonic() - start < 5


# -- `wideproof prove` exits non-zero on each reproduction ------------------------------------------
REPRO = """
import sympy as sp
from wideproof.symbolic import Derivation

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", nonnegative=True)


def derivation():
    return [
        Derivation("r0").le(sp.log(1 + sp.Rational(1, 10**10)), 0),
        Derivation("r4", assumptions=[x > 2, x < 1]).le(x, 0),
        Derivation("r5").le(0, x - 5 + y * sp.sqrt(x - 5)),
        Derivation("r7", assumptions=[x > 1]).ne(sp.Abs(x - 1), x - 1, {x: 0}),
        Derivation("r11").eq((x**2 - 1) / (x - 1), x + 1),
    ]
"""


def test_prove_exits_non_zero_on_the_reproductions(tmp_path: Path, capsys) -> None:
    path = tmp_path / "repro_proof.py"
    path.write_text(REPRO)
    assert prove_command([str(path)], as_json=False) == 1
    out = capsys.readouterr().out
    for name in ("r0", "r4", "r5", "r7", "r11"):
        assert f":: {name} ::" in out
    counts = "(0 PROVEN, 0 ASSUMED, 0 TRIVIAL, 1 REFUTED, 3 UNPROVEN, 1 VACUOUS), 5 failing"
    assert f"5 derivations, 5 steps {counts}" in out


def test_certificate_records_declarations_and_side_conditions() -> None:
    d = Derivation("c", assumptions=[x >= 5]).le(0, x - 5 + y * sp.sqrt(x - 5))
    cert = d.check().to_json()
    assert cert["symbols"]["y"] == {"real": True, "nonnegative": True}
    assert cert["symbols"]["x"] == {"real": True}
    assert cert["steps"][0]["side_conditions"] == ["x - 5 >= 0"]
    assert cert["counts"]["PROVEN"] == 1


def test_a_checker_failure_leaves_the_step_unproven_and_keeps_the_others(monkeypatch) -> None:
    from wideproof.symbolic import _derivation

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("simulated failure\nof a checker")

    monkeypatch.setattr(_derivation, "check_eq", broken)
    report = Derivation("e").eq(x * (x + 1), x**2 + x).le(0, x**2).check()
    assert [s.status for s in report.steps] == ["UNPROVEN", "PROVEN"]
    assert report.steps[0].detail == "checker error: ValueError: simulated failure of a checker"


def test_a_swallowed_timeout_is_raised_again() -> None:
    """A StepTimeout dropped once (as Python drops an exception raised in a finalizer) does not
    leave the step without its limit: the alarm repeats after the deadline."""
    from wideproof.symbolic._timing import StepTimeout, time_limit

    swallowed = False
    start = time.monotonic()
    with pytest.raises(StepTimeout), time_limit(0.2):
        try:
            while time.monotonic() - start < 3:
                pass
        except StepTimeout:
            swallowed = True
        while time.monotonic() - start < 3:
            pass
    assert swallowed and time.monotonic() - start < 1


def test_an_inner_limit_keeps_the_outer_one() -> None:
    from wideproof.symbolic._timing import StepTimeout, time_limit

    start = time.monotonic()
    with pytest.raises(StepTimeout), time_limit(0.3):
        with time_limit(10):
            pass
        while time.monotonic() - start < 5:
            pass
    assert time.monotonic() - start < 1
