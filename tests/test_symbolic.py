"""Tests of ``Derivation`` and its checkers.

Oracles independent of the checkers: claims whose truth is known by hand (textbook identities,
hand-picked false statements with a known counterexample), and for the interval evaluator the
values of the function computed directly with mpmath on a fine grid.
"""

import json

import mpmath
import pytest
import sympy as sp

from wideproof.errors import ConfigError
from wideproof.symbolic import Derivation

m = sp.Symbol("m", positive=True)
x = sp.Symbol("x", real=True)


def test_issue_example_works_as_written() -> None:
    d = Derivation("toy", assumptions=[m > 1])
    d.eq((m + 1) ** 2, m**2 + 2 * m + 1, why="expand")
    d.le(1 / sp.sqrt(m), 1, why="m > 1")
    report = d.check()
    assert report.ok
    assert [s.status for s in report.steps] == ["PROVEN", "PROVEN"]
    assert all(s.method for s in report.steps)


def test_false_equality_is_refuted_with_a_counterexample() -> None:
    d = Derivation("toy", assumptions=[m > 1]).eq((m + 1) ** 2, m**2 + 2 * m)
    step = d.check().steps[0]
    assert step.status == "REFUTED"
    value = sp.Rational(step.counterexample["m"])
    assert value > 1 and (value + 1) ** 2 != value**2 + 2 * value


def test_false_inequality_is_refuted_inside_the_assumptions() -> None:
    step = Derivation("toy", assumptions=[m > 1]).le(m, 1 / m).check().steps[0]
    assert step.status == "REFUTED"
    value = sp.Rational(step.counterexample["m"])
    assert value > 1 and value > 1 / value


def test_true_inequality_needing_the_assumption_is_not_refuted_without_it() -> None:
    # 1/sqrt(m) <= 1 is false for m = 1/4: without m > 1 the checker must not prove it.
    step = Derivation("toy").le(1 / sp.sqrt(m), 1).check().steps[0]
    assert step.status == "REFUTED"
    assert sp.Rational(step.counterexample["m"]) < 1


def test_tanh_second_derivative_bound_is_sharp() -> None:
    d2 = sp.diff(sp.tanh(x), x, 2)
    proven = Derivation("t").le(sp.Abs(d2), 4 * sp.sqrt(3) / 9).check().steps[0]
    assert proven.status == "PROVEN" and "z3" in proven.method
    refuted = Derivation("t").le(sp.Abs(d2), 4 * sp.sqrt(3) / 9 - sp.Rational(1, 10**9))
    step = refuted.check().steps[0]
    assert step.status == "REFUTED"
    t_val = sp.tanh(sp.sympify(step.counterexample["x"]))
    assert abs(2 * t_val**3 - 2 * t_val).evalf(60) > 4 * sp.sqrt(3) / 9 - sp.Rational(1, 10**9)


def test_interval_branch_and_bound_proves_and_refutes_on_a_box() -> None:
    expr = sp.Abs(sp.cos(x) * sp.diff(sp.tanh(x), x, 2))  # cos defeats the z3 translation

    def value(t: mpmath.mpf) -> mpmath.mpf:
        th = mpmath.tanh(t)
        return abs(mpmath.cos(t) * (2 * th**3 - 2 * th))

    true_max = max(value(mpmath.mpf(i) / 1000) for i in range(-3000, 3001))
    ok = Derivation("b").le(expr, sp.Rational(7, 10), box={x: (-3, 3)}).check().steps[0]
    assert ok.status == "PROVEN" and "arb" in ok.method
    assert true_max < sp.Rational(7, 10)
    bad = Derivation("b").le(expr, sp.Rational(1, 2), box={x: (-3, 3)}).check().steps[0]
    assert bad.status == "REFUTED"
    assert expr.subs(x, sp.Rational(bad.counterexample["x"])).evalf(60) > sp.Rational(1, 2)


def test_undecidable_step_is_unproven_not_accepted() -> None:
    # true (cos <= 1) but z3 cannot translate cos and no box is declared
    step = Derivation("u").le(sp.cos(x) ** 3, 1).check().steps[0]
    assert step.status == "UNPROVEN"


def test_order_steps() -> None:
    d = Derivation("o", assumptions=[m > 1])
    d.order(sp.sqrt(sp.log(m)) / sp.sqrt(m), m, sp.Rational(-1, 2), sp.Rational(1, 2))
    d.order(sp.sqrt(sp.log(m)) / sp.sqrt(m), m, sp.Rational(-1, 2))
    d.order(1 / sp.sqrt(m) + 1 / m, m, sp.Rational(-1, 3), kind="upper")
    statuses = [s.status for s in d.check().steps]
    assert statuses == ["PROVEN", "REFUTED", "PROVEN"]


def test_assumption_needs_a_reference_and_is_reported_as_such() -> None:
    with pytest.raises(ConfigError):
        Derivation("a").assume(m > 2, reference="")
    report = Derivation("a").assume("a fact", reference="Paper 2020, Thm 1").check()
    assert report.ok and report.steps[0].status == "ASSUMED"
    assert report.steps[0].reference == "Paper 2020, Thm 1"


def test_given_facts_must_be_established_and_lemmas_chain() -> None:
    a, b = sp.symbols("a b", positive=True)
    d = Derivation("g").le(a, 2 * b, given=[sp.Le(a, b)])
    assert d.check().steps[0].status == "UNPROVEN"
    lemma = Derivation("lemma").assume(sp.Le(a, b), reference="hypothesis of the example")
    d2 = Derivation("g2").uses(lemma).le(a, 2 * b, given=[sp.Le(a, b)])
    report = d2.check()
    assert report.ok and report.uses[0].name == "lemma"
    bad_lemma = Derivation("bad").eq(a, b)
    failing = Derivation("g3").uses(bad_lemma).eq(a, a).check()
    assert not failing.ok and failing.failures()[0][0] == "bad"


def test_ne_needs_an_exact_nonzero_value() -> None:
    d = Derivation("n").ne(m**2, m, witness={m: 2}).ne(m**2, m, witness={m: 1})
    assert [s.status for s in d.check().steps] == ["PROVEN", "UNPROVEN"]


def test_certificate_is_json_with_versions() -> None:
    d = Derivation("toy", assumptions=[m > 1]).eq(m * (m + 1), m**2 + m).le(m, m**2)
    cert = json.loads(json.dumps(d.check().to_json()))
    assert cert["ok"] and cert["assumptions"] == ["m > 1"]
    assert {"sympy", "z3-solver", "python-flint", "mpmath"} <= set(cert["versions"])
    assert [s["status"] for s in cert["steps"]] == ["PROVEN", "PROVEN"]


def test_bad_inputs_raise_config_error() -> None:
    with pytest.raises(ConfigError):
        Derivation("")
    with pytest.raises(ConfigError):
        Derivation("x", assumptions=["not a relation"])
    with pytest.raises(ConfigError):
        Derivation("x").eq(sp.eye(2), 1)
    with pytest.raises(ConfigError):
        Derivation("x").ne(m, 2 * m, witness={})
