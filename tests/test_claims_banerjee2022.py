"""Tests of the claims of Banerjee et al. (RSC paper): ``banerjee2022.hessian-width``,
``banerjee2022.hessian-depth``, ``banerjee2022.bound-holds`` and the rules they use.

Oracles, independent of :func:`wideproof.measures.hessian_norm`: dense Hessians from
``torch.autograd.functional.hessian`` and ``eigvalsh`` on small networks; gradient norms from
``torch.autograd.functional.jacobian``; for the rules, synthetic data with a known exponent or
growth factor (so a rule's HOLDS / FAILS / INCONCLUSIVE is known by construction).  The quick
profiles (tens of seconds each on a loaded machine) are marked slow.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from wideproof.claims._extra_rules import BoundConstantRule, GrowthFactorRule
from wideproof.claims.banerjee2022 import (
    BOUND_HOLDS,
    HESSIAN_DEPTH,
    HESSIAN_WIDTH,
    depth_hessians,
    rsc_tanh_mlp,
    width_hessians,
)
from wideproof.errors import ConfigError
from wideproof.results import Estimate
from wideproof.sweeps import Point, ResultStore, Task, compute


def _dense(spec, seed: int) -> tuple[float, float]:
    model = spec.init(seed)
    x = torch.ones(spec.input_dim, dtype=torch.float64)
    w0 = model.flat_params().detach()
    hess = torch.autograd.functional.hessian(lambda w: model.apply_flat(w, x), w0)
    grad = torch.autograd.functional.jacobian(lambda w: model.apply_flat(w, x), w0)
    return float(torch.linalg.eigvalsh(hess).abs().max()), float(grad.norm())


def test_width_measure_matches_dense_hessians() -> None:
    spec = rsc_tanh_mlp(6, depth=3)
    args = {
        "depths": [1, 3],
        "tol": 1e-10,
        "control_depth": 2,
        "control_parameterization": "standard",
    }
    got = compute(Task(width_hessians, spec, "width", 6, 1, args)).observations
    for depth in (1, 3):
        want, _ = _dense(dataclasses.replace(spec, depth=depth), 1)
        assert got[f"hessian_depth{depth}"].value == pytest.approx(want, rel=1e-8)
    control = dataclasses.replace(spec, depth=2, parameterization="standard")
    assert got["control_standard_param"].value == pytest.approx(_dense(control, 1)[0], rel=1e-8)


def test_depth_measure_matches_dense_hessian_and_gradient() -> None:
    spec = rsc_tanh_mlp(5, depth=2)
    args = {"sigma1": {"small": 0.5, "large": 4.0}, "tol": 1e-10}
    got = compute(Task(depth_hessians, spec, "depth", 2, 0, args)).observations
    for label, sigma1 in args["sigma1"].items():
        h, g = _dense(dataclasses.replace(spec, sigma1=sigma1), 0)
        assert got[f"hessian_{label}"].value == pytest.approx(h, rel=1e-8)
        assert got[f"grad_norm_{label}"].value == pytest.approx(g, rel=1e-12)


def _points(fn, knobs=(2, 4, 8), name="value", seeds=3) -> list[Point]:
    pts = []
    for s in range(seeds):
        for k in knobs:
            est = Estimate(fn(k, s), 0.0, 0, "exact", "float64", "cpu")
            pts.append(Point(f"{k}-{s}", "depth", k, s, {name: est}, {}))
    return pts


def test_growth_factor_rule_recovers_known_factors() -> None:
    shrink = _points(lambda L, s: 0.3**L * (1 + 0.01 * s))
    grow = _points(lambda L, s: (1.35 + 0.01 * s) ** L)
    at_most = GrowthFactorRule("value", at_most=1.05)
    at_least = GrowthFactorRule("value", at_least=1.2)
    v = at_most.decide(HESSIAN_DEPTH, shrink)
    assert v.status == "HOLDS" and v.measured == pytest.approx(0.3, rel=1e-3)
    assert at_most.decide(HESSIAN_DEPTH, grow).status == "FAILS"
    assert at_least.decide(HESSIAN_DEPTH, grow).status == "HOLDS"
    assert at_least.decide(HESSIAN_DEPTH, shrink).status == "FAILS"
    noisy = _points(lambda L, s: (1.2 + 0.3 * (s - 1)) ** L)  # factors 0.9, 1.2, 1.5
    assert at_least.decide(HESSIAN_DEPTH, noisy).status == "INCONCLUSIVE"
    with pytest.raises(ConfigError):
        GrowthFactorRule("value")


def test_width_rule_separates_minus_half_from_minus_a_third() -> None:
    """The O rule at depth 1 with margin 0.08: -1/2 HOLDS, the rival -1/3 FAILS, and a faster
    decay is "bound holds, not tight"."""
    rule = HESSIAN_WIDTH.rule.parts[0][1]  # type: ignore[attr-defined]
    knobs = (64, 128, 256)

    def at(a: float) -> list[Point]:
        return _points(lambda m, s: m ** (a + 0.005 * (s - 1)), knobs=knobs, name="hessian_depth1")

    assert rule.decide(HESSIAN_WIDTH, at(-0.5)).status == "HOLDS"
    assert rule.decide(HESSIAN_WIDTH, at(-1 / 3)).status == "FAILS"
    steep = rule.decide(HESSIAN_WIDTH, at(-0.8))
    assert steep.status == "HOLDS" and steep.evidence["tight"] is False
    assert "not tight" in steep.evidence["reason"]


def test_bound_constant_rule_never_guesses_a_recalled_constant() -> None:
    pts = _points(lambda m, s: 0.2 / math.sqrt(m), knobs=(64, 256))
    recalled = BoundConstantRule("value", power=-0.5).decide(BOUND_HOLDS, pts)
    assert recalled.status == "INCONCLUSIVE"
    assert recalled.measured == pytest.approx(0.2)
    assert BoundConstantRule("value", -0.5, constant=0.3).decide(BOUND_HOLDS, pts).holds
    tight = BoundConstantRule("value", -0.5, constant=0.1).decide(BOUND_HOLDS, pts)
    assert tight.status == "FAILS"
    nan_last = _points(lambda m, s: math.nan if m == 256 else 0.2 / math.sqrt(m), knobs=(64, 256))
    broken = BoundConstantRule("value", -0.5, constant=0.3).decide(BOUND_HOLDS, nan_last)
    assert broken.status == "INCONCLUSIVE" and "not finite" in broken.evidence["reason"]


@pytest.mark.slow
def test_quick_profiles(tmp_path) -> None:
    with ResultStore(tmp_path / "store.sqlite") as store:
        width = HESSIAN_WIDTH.verify("quick", store=store)
        assert width.status == "HOLDS", width.evidence["reason"]
        bound = BOUND_HOLDS.verify("quick", store=store)
        assert bound.status == "INCONCLUSIVE" and bound.evidence["points_computed"] == 0
        # Negative control on the same points: a constant below the measured sqrt(m)||H|| FAILS.
        tight = dataclasses.replace(
            BOUND_HOLDS,
            rule=BoundConstantRule("hessian_depth3", -0.5, constant=0.5 * bound.measured),
        )
        assert tight.verify("quick", store=store).status == "FAILS"
        depth = HESSIAN_DEPTH.verify("quick", store=store)
        assert depth.status == "HOLDS", depth.evidence["reason"]
        # Negative control: claiming the exponential regime already at sigma_1 = 0.5 FAILS.
        wrong = dataclasses.replace(
            HESSIAN_DEPTH, rule=GrowthFactorRule("hessian_small", at_least=1.2)
        )
        assert wrong.verify("quick", store=store).status == "FAILS"
