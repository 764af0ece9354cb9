"""Tests of the feature-learning claims (``radhakrishnan2024``, ``mallinar2024``, ``zhu2025irkm``,
``zhu2026agop``) and of :class:`ChecklistRule`.

Oracles: the verdicts the papers (and an independent pilot implementation)
predict for each quick profile, and negative controls whose outcome is known independently of the
code under test: RFM on addition mod 23 at training fraction 0.5 does not grok within 25
iterations (pilot run: plateau at 0.35-0.45); a tanh network's feature matrix is
already aligned at initialization (pilot run), so its margin over the initial weights is small; the FMA
as printed in the paper flags ``a - b = l + 1`` (an erratum found by direct evaluation).  The
Theorem 5.1 closed form is checked in exact integer arithmetic inside the claim; here we also check
it on its own with sympy rationals for p = 5.  The rule itself is tested on hand-made points.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import sympy

import wideproof.claims as claims
from wideproof.claims._checklist import ChecklistRule
from wideproof.claims.mallinar2024 import FOURIER, GROKKING
from wideproof.claims.radhakrishnan2024 import NFA
from wideproof.claims.zhu2025irkm import SPARSE
from wideproof.claims.zhu2026agop import CENTRAL_SUBSPACE
from wideproof.errors import ConfigError
from wideproof.results import Estimate
from wideproof.sweeps import Point, compute

IDS = (
    "mallinar2024.grokking",
    "mallinar2024.fourier",
    "zhu2025irkm.sparse",
    "zhu2026agop.central-subspace",
    "radhakrishnan2024.nfa",
)


def _point(value: float, seed: int, **obs: float) -> Point:
    est = {k: Estimate(v, math.inf, 0, "reported", "float64", "cpu") for k, v in obs.items()}
    return Point(f"k{value}{seed}", "d", value, seed, est, {})


def test_checklist_rule_holds_fails_and_is_inconclusive() -> None:
    rule = ChecklistRule((("a", "first"), ("b", "second")))
    claim = dataclasses.replace(FOURIER, rule=rule)
    ok = rule.decide(claim, [_point(1, 0, a=1.0, b=1.0, x=3.5), _point(2, 0, a=1.0)])
    assert ok.status == "HOLDS" and ok.measured == 1.0
    assert ok.evidence["runs"]["p=1 seed=0"]["x"] == 3.5
    bad = rule.decide(claim, [_point(1, 0, a=1.0, b=0.0), _point(1, 1, a=math.nan, b=1.0)])
    assert bad.status == "FAILS" and bad.measured == pytest.approx(0.5)
    assert bad.evidence["failed"] == ["b at p=1 seed=0", "a at p=1 seed=1"]
    missing = rule.decide(claim, [_point(1, 0, a=1.0)])
    assert missing.status == "INCONCLUSIVE" and "b" in missing.evidence["reason"]
    assert "first" in rule.describe(claim) and rule.observation == "a"
    with pytest.raises(ConfigError, match="repeat"):
        ChecklistRule((("a", "x"), ("a", "y")))
    with pytest.raises(ConfigError, match="at least one"):
        ChecklistRule(())


def test_claims_are_registered() -> None:
    for claim_id in IDS:
        assert claims.get(claim_id).id == claim_id


def test_grokking_quick_holds_and_fraction_half_does_not_grok() -> None:
    verdict = GROKKING.verify("quick", executor="threads")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    jumps = [r["jump_iteration_gaussian"] for r in verdict.evidence["runs"].values()]
    assert all(8 <= j <= 24 for j in jumps)
    # negative control: at fraction 0.5, p = 23 plateaus far below 0.99 (pilot run)
    settings = {"23": {"train_fraction": 0.5, "iterations": 25, "kernels": ["gaussian"]}}
    task = GROKKING.tasks("quick")[0]
    task = dataclasses.replace(task, args=dict(task.args, settings=settings))
    obs = compute(task).observations
    assert obs["groks"].value == 0.0 and obs["best_accuracy_gaussian"].value < 0.9


def test_fourier_quick_holds_and_records_the_erratum() -> None:
    verdict = FOURIER.verify("quick", executor="threads")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    runs = verdict.evidence["runs"]
    assert {r["printed_fma_shift"] for r in runs.values()} == {1.0}
    assert {r["alpha_exact"] for r in runs.values() if "alpha_exact" in r} == {1.0}


def test_theorem_5_1_closed_form_in_sympy_rationals() -> None:
    """Independent of the claim: K_l alpha = y_l with sympy Matrices for p = 5, all l."""
    p = 5
    c = sympy.Matrix(p, p, lambda i, j: 1 if j == (i + 1) % p else 0)
    pairs = [(a, b) for a in range(p) for b in range(p)]
    for ell in range(p):
        cl, c3 = c**ell, c ** (3 * ell)
        gram = sympy.Matrix([[(cl[a, b2] + cl[a2, b]) ** 2 for a2, b2 in pairs] for a, b in pairs])
        alpha = sympy.Matrix(
            [c3[a, b] / sympy.Integer(2) - sympy.Rational(1, 2 * p + 2) for a, b in pairs]
        )
        y = sympy.Matrix([1 if (a - b - ell) % p == 0 else 0 for a, b in pairs])
        assert gram * alpha == y and gram.det() != 0


def test_irkm_quick_holds() -> None:
    verdict = SPARSE.verify("quick", executor="threads", seeds=2)
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    for run in verdict.evidence["runs"].values():
        assert run["mse_final"] < run["krr_mse"] / 10


def test_central_subspace_one_seed_holds() -> None:
    verdict = CENTRAL_SUBSPACE.verify("quick", executor="threads", seeds=1)
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    assert len(verdict.evidence["failed"]) == 0 and verdict.measured == 1.0


def test_nfa_quick_holds_and_tanh_margin_is_small() -> None:
    verdict = NFA.verify("quick", executor="threads")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    task = NFA.tasks("quick")[0]
    tanh = dataclasses.replace(task, args=dict(task.args, activation="tanh", init_scale=1.0))
    obs = compute(tanh).observations  # high cosine, but mostly there at initialization
    assert obs["correlated"].value == 1.0 and obs["margin_over_init"].value == 0.0


def test_unknown_setting_is_a_config_error() -> None:
    task = dataclasses.replace(SPARSE.tasks("quick")[0], value=50)
    with pytest.raises(ConfigError, match="d=50 has no setting"):
        compute(task)
