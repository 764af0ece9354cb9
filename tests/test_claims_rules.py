"""The verdict rules' logic on data whose answer is known by construction: the equivalence test
in each logical form (Θ / O / Ω with margin δ), the margin's separation from rivals, non-finite
and missing observations (never a HOLDS, never an exception), and the label of a ``--seeds`` run.
"""

from __future__ import annotations

import math

import pytest
from _claims_helpers import EVENTS, TRUE

from wideproof.claims import ExponentRule, SuccessRateRule, ThresholdRule, profile_label
from wideproof.claims._checklist import clopper_pearson, runs_needed
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
            out.append(Point(f"{k}-{s}", "width", k, s, {name: _exact(fn(k, s))}, {}))
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


def _binomial_tail(n: int, p: float, ks: range) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in ks)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (3, 5), (5, 5), (0, 12), (10, 12), (12, 12)])
def test_clopper_pearson_against_the_binomial_tails(k: int, n: int) -> None:
    """The lower bound p_L solves P(X >= k; p_L) = 0.05 and the upper p_U solves
    P(X <= k; p_U) = 0.05 (exact binomial sums, independent of the beta quantile)."""
    low, high = clopper_pearson(k, n, 0.95)
    if k == 0:
        assert low == 0.0 and high == pytest.approx(1 - 0.05 ** (1 / n), abs=1e-12)
    else:
        assert _binomial_tail(n, low, range(k, n + 1)) == pytest.approx(0.05, abs=1e-10)
    if k == n:
        assert high == 1.0 and low == pytest.approx(0.05 ** (1 / n), abs=1e-12)
    else:
        assert _binomial_tail(n, high, range(k + 1)) == pytest.approx(0.05, abs=1e-10)


def test_runs_needed_is_the_fewest_all_success_runs_reaching_the_rate() -> None:
    for rate, need in ((0.5, 5), (0.8, 14), (1 - 4 / 256, 191)):
        assert runs_needed(rate) == need
        assert clopper_pearson(need, need)[0] >= rate > clopper_pearson(need - 1, need - 1)[0]


def _exact(value: float) -> Estimate:
    return Estimate(value, 0.0, 0, "exact", "float64", "cpu")


def _runs(flags: list[dict[str, float]]) -> list[Point]:
    return [
        Point(f"k{s}", "width", 8.0, s, {k: _exact(v) for k, v in obs.items()}, {})
        for s, obs in enumerate(flags)
    ]


def test_success_rate_rule_decides_on_the_bounds() -> None:
    rule = SuccessRateRule((("a", "check a"), ("b", "check b")), rate=0.5, reported=("c",))
    five = _runs([{"a": 1.0, "b": 1.0, "c": 0.0}] * 5)
    verdict = rule.decide(TRUE, five)
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    assert verdict.evidence["checks"]["a"]["ci_low"] == pytest.approx(0.05**0.2)
    assert verdict.evidence["reported"]["c"]["successes"] == 0  # counted, not decided
    four = rule.decide(TRUE, five[:4])
    assert four.status == "INCONCLUSIVE"
    assert four.evidence["reason"].startswith("too few runs: need n >= 5")
    # 3 of 12 succeed: upper bound 0.53 >= 1/2 (undecided); 2 of 12: 0.44 < 1/2 (FAILS)
    three = _runs([{"a": float(s < 3), "b": 1.0} for s in range(12)])
    assert rule.decide(TRUE, three).status == "INCONCLUSIVE"
    assert "straddle p0 = 0.5" in rule.decide(TRUE, three).evidence["reason"]
    two = rule.decide(TRUE, _runs([{"a": float(s < 2), "b": 1.0} for s in range(12)]))
    assert two.status == "FAILS" and two.measured == pytest.approx(2 / 12)
    assert two.evidence["checks"]["a"]["failed"][0] == "a at width=8 seed=2"
    nan = rule.decide(TRUE, _runs([{"a": math.nan, "b": 1.0}] + [{"a": 1.0, "b": 1.0}] * 4))
    assert nan.status == "INCONCLUSIVE" and nan.evidence["checks"]["a"]["successes"] == 4
    missing = rule.decide(TRUE, _runs([{"a": 1.0}] * 6))
    assert missing.status == "INCONCLUSIVE" and missing.evidence["reason"] == "no run reports b"


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 1.0}, {"rate": 0.0}, {"rate": 0.5, "confidence": 1.0}, {"rate": float("nan")}],
)
def test_success_rate_rule_rejects_a_rate_it_cannot_decide(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        SuccessRateRule((("a", "check a"),), **kwargs)
    with pytest.raises(ConfigError, match="repeat"):
        SuccessRateRule((("a", "x"), ("a", "y")), rate=0.5)
