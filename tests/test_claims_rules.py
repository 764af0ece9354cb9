"""The verdict rules' logic on data whose answer is known by construction: the equivalence test
in each logical form (Θ / O / Ω with margin δ), the margin's separation from rivals, non-finite
and missing observations (never a HOLDS, never an exception), and the label of a ``--seeds`` run.
"""

from __future__ import annotations

import math

import pytest
from _claims_helpers import EVENTS, TRUE

from wideproof.claims import ExponentRule, ThresholdRule, profile_label
from wideproof.claims._extra_rules import AllOf, GrowthFactorRule
from wideproof.claims._rules import equivalence
from wideproof.claims.liu2020 import HESSIAN_WIDTH, LINEARIZATION_GAP
from wideproof.claims.zhu2022bottleneck import DEGREE
from wideproof.errors import ConfigError
from wideproof.report import table_from_store
from wideproof.results import Estimate
from wideproof.sweeps import Point, ResultStore


def _points(fn, knobs=(64, 256, 1024), seeds=4, name="value") -> list[Point]:
    out = []
    for s in range(seeds):
        for k in knobs:
            est = Estimate(fn(k, s), 0.0, 0, "exact", "float64", "cpu")
            out.append(Point(f"{k}-{s}", "width", k, s, {name: est}, {}))
    return out


@pytest.mark.parametrize(
    ("low", "high", "form", "status", "tight", "words"),
    [
        (-0.55, -0.45, "tight", "HOLDS", None, "lies within"),
        (-0.30, -0.25, "tight", "FAILS", None, "wholly outside"),
        (-0.95, -0.65, "tight", "FAILS", None, "wholly outside"),
        (-0.70, -0.20, "tight", "INCONCLUSIVE", None, "too noisy"),
        (-0.45, -0.35, "tight", "INCONCLUSIVE", None, "in between"),
        (-0.55, -0.45, "upper", "HOLDS", True, "at or below"),
        (-0.90, -0.70, "upper", "HOLDS", False, "not tight"),
        (-0.65, -0.55, "upper", "HOLDS", None, "at or below"),
        (-0.35, -0.30, "upper", "FAILS", None, "lies above"),
        (-0.45, -0.35, "upper", "INCONCLUSIVE", None, "in between"),
        (-0.55, -0.45, "lower", "HOLDS", True, "at or above"),
        (-0.30, 0.10, "lower", "HOLDS", False, "not tight"),
        (-0.70, -0.65, "lower", "FAILS", None, "lies below"),
        (-0.90, -0.20, "lower", "INCONCLUSIVE", None, "too noisy"),
    ],
)
def test_equivalence_in_each_form(low, high, form, status, tight, words) -> None:
    got, reason, is_tight = equivalence(low, high, -0.5, 0.1, form)
    assert (got, is_tight) == (status, tight)
    assert words in reason


def test_margin_must_separate_the_rivals() -> None:
    with pytest.raises(ConfigError, match="does not separate"):
        ExponentRule("value", predicted=-0.5, margin=0.1, excludes=(-1 / 3,))  # needs < 1/12
    ExponentRule("value", predicted=-0.5, margin=0.08, excludes=(-1 / 3,))
    assert ExponentRule("value", predicted=-0.5).delta(-0.5) == pytest.approx(1 / 6)
    with pytest.raises(ConfigError, match="form"):
        ExponentRule("value", predicted=-0.5, margin=0.1, form="both")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="margin"):
        ExponentRule("value", predicted=-0.5, margin=-0.1)
    with pytest.raises(ConfigError, match="rival"):
        ExponentRule("value", predicted=-0.5, excludes=())


def test_exponent_rule_evidence_reports_width_against_margin() -> None:
    rule = ExponentRule("value", predicted=-0.5, margin=0.1, form="upper")
    steep = rule.decide(TRUE, _points(lambda m, s: m ** (-0.8 + 0.01 * s)))
    assert steep.status == "HOLDS" and steep.evidence["tight"] is False
    assert steep.measured == pytest.approx(-0.785)
    assert steep.predicted == -0.5 and steep.evidence["margin"] == 0.1
    assert steep.evidence["ci_width"] < 0.2 and "O, ±0.1" in steep.evidence["statistic"]
    noisy = rule.decide(TRUE, _points(lambda m, s: m ** (-0.5 + 0.3 * (s - 1.5))))
    assert noisy.status == "INCONCLUSIVE" and "too noisy" in noisy.evidence["reason"]


def test_non_finite_and_missing_observations_never_hold_nor_raise() -> None:
    exponent = ExponentRule("value", predicted=-0.5, margin=0.1)
    nan_last = _points(lambda m, s: math.nan if m == 1024 else m**-0.5)
    v = exponent.decide(TRUE, nan_last)
    assert v.status == "INCONCLUSIVE" and "not finite" in v.evidence["reason"]
    one_width = [p for p in _points(lambda m, s: m**-0.5) if p.value == 64 or p.seed > 0]
    v = exponent.decide(TRUE, one_width)
    assert v.status == "INCONCLUSIVE" and "fewer than 2" in v.evidence["reason"]
    v = exponent.decide(TRUE, _points(lambda m, s: m**-0.5, name="other"))
    assert v.status == "INCONCLUSIVE" and "missing" in v.evidence["reason"]
    assert exponent.decide(TRUE, []).status == "INCONCLUSIVE"

    # the Taylor-bound part of liu2020.linearization-gap with a NaN at its last point (Python's
    # max skips a NaN that is not first, which used to give HOLDS)
    taylor = ThresholdRule("gap_over_bound", aggregate="max", at_most=1.0)
    pts = _points(lambda m, s: math.nan if m == 1024 else 0.5, name="gap_over_bound")
    v = taylor.decide(LINEARIZATION_GAP, pts)
    assert v.status == "INCONCLUSIVE" and v.evidence["not_finite"]
    over = _points(lambda m, s: math.nan if m == 1024 else 1.5, name="gap_over_bound")
    assert taylor.decide(LINEARIZATION_GAP, over).status == "FAILS"
    assert taylor.decide(LINEARIZATION_GAP, []).status == "INCONCLUSIVE"
    assert taylor.decide(LINEARIZATION_GAP, _points(lambda m, s: 0.5)).status == "INCONCLUSIVE"

    growth = GrowthFactorRule("value", at_most=1.05)
    v = growth.decide(TRUE, _points(lambda m, s: 1.0, name="other"))
    assert v.status == "INCONCLUSIVE" and "missing" in v.evidence["reason"]
    v = DEGREE.rule.decide(DEGREE, _points(lambda m, s: 1.0, knobs=(0, 1)))
    assert v.status == "INCONCLUSIVE" and "no degree" in v.evidence["reason"]
    both = AllOf((("a", exponent), ("b", taylor)))
    assert both.decide(HESSIAN_WIDTH, nan_last).status == "INCONCLUSIVE"


def test_a_seeds_run_is_stored_under_its_own_label() -> None:
    assert profile_label("quick") == "quick"
    assert profile_label("quick", 12) == "quick@seeds=12"
    with ResultStore(":memory:") as store:
        base = TRUE.verify("quick", executor="threads", store=store)
        more = TRUE.verify("quick", executor="threads", store=store, seeds=7)
        assert base.evidence["label"] == "quick" and more.evidence["label"] == "quick@seeds=7"
        stored = {(s.claim_id, s.profile) for s in store.verdicts()}
        assert stored == {(TRUE.id, "quick"), (TRUE.id, "quick@seeds=7")}
        assert "quick@seeds=7" in table_from_store(store).render("markdown")


def test_verify_keeps_the_rules_values_beside_the_knob_values() -> None:
    """``Claim.verify`` adds the grid's knob values as ``knob_values``; the threshold rule's
    ``values`` (``[knob value, observation, seed]`` of every point) survive it."""
    verdict = EVENTS.verify("quick", executor="threads")
    rows = verdict.evidence["values"]
    assert sorted((x, s) for x, _, s in rows) == [(x, s) for x in (1, 2) for s in range(4)]
    assert sorted(y for _, y, _ in rows) == [0.0] * 4 + [1.0] * 4  # event iff the seed is even
    assert verdict.evidence["knob_values"] == [1, 2]
    assert verdict.measured == 0.5
