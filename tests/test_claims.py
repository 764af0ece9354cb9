"""Tests of claims, rules, verdicts, the registry and the real claim ``liu2020.hessian-width``.

Oracles: synthetic data whose exponent is known by construction (a wrong prediction must FAIL, a
right one HOLD); the closed-form Hessian norm of a one-hidden-layer network at one input
(Liu, Zhu & Belkin 2020, §3.1, :math:`\\max_i (|A_i| + \\sqrt{A_i^2 + 4B_i^2}) / (2\\sqrt m)`),
computed here from the weights without autograd; the symbolic bound's own exponent.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import pytest
import torch
from _claims_helpers import EVENTS, TRUE, WIDTHS, WRONG, power_law

import wideproof.claims as claims
from wideproof.claims import Claim, ExponentRule, Profile, Verdict
from wideproof.claims._extra_rules import AllOf
from wideproof.claims.liu2020 import HESSIAN_WIDTH, hessian_norm_at_one_input, ntk_tanh_mlp
from wideproof.errors import ConfigError
from wideproof.sweeps import Grid, Point, ResultStore, Task, compute


def test_true_claim_holds_and_wrong_prediction_fails() -> None:
    """Acceptance: a claim with a wrong predicted exponent gets FAILS."""
    ok = TRUE.verify(executor="threads")
    assert ok.status == "HOLDS" and ok.predicted == -0.5
    assert ok.evidence["points_computed"] == 40 and ok.evidence["points_reused"] == 0
    bad = WRONG.verify(executor="threads")
    assert bad.status == "FAILS" and bad.measured == pytest.approx(ok.measured)
    assert "lies wholly outside -1/4" in bad.evidence["reason"]


def test_profile_args_override_measure_args_and_enter_the_key() -> None:
    """A profile's args replace the claim's measure arguments in that profile only; the measured
    exponent follows them (the synthetic measure's true exponent is ``args["a"]``)."""
    steeper = dataclasses.replace(
        TRUE,
        profiles={**TRUE.profiles, "steep": Profile(WIDTHS, tuple(range(5)), args={"a": -1.0})},
    )
    assert steeper.args("quick") == {"a": -0.5} and steeper.args("steep") == {"a": -1.0}
    quick, steep = steeper.tasks("quick"), steeper.tasks("steep")
    assert {t.key() for t in quick}.isdisjoint(t.key() for t in steep)
    assert [t.key() for t in quick] == [t.key() for t in TRUE.tasks("quick")]
    verdict = steeper.verify("steep", executor="threads")
    assert verdict.status == "FAILS" and verdict.measured == pytest.approx(-1.0, abs=0.05)
    with pytest.raises(ConfigError, match="profile='nope'"):
        steeper.args("nope")


def _points(exponent: float, spread: float) -> list[Point]:
    from wideproof.results import Estimate

    pts = []
    for s, wobble in enumerate((-spread, 0.0, spread)):
        for m in (10, 100, 1000):
            est = Estimate(m ** (exponent + wobble), 0.0, 0, "exact", "float64", "cpu")
            pts.append(Point(f"{m}-{s}", "width", m, s, {"value": est}, {}))
    return pts


def test_exponent_rule_statuses() -> None:
    rule = ExponentRule("value", predicted=-0.5, excludes=(0.0,))
    assert rule.decide(TRUE, _points(-0.5, 0.01)).status == "HOLDS"
    assert rule.decide(TRUE, _points(-0.3, 0.01)).status == "FAILS"
    wide = rule.decide(TRUE, _points(-0.3, 0.2))  # CI about [-0.8, 0.2]: wider than the window
    assert wide.status == "INCONCLUSIVE" and "too noisy" in wide.evidence["reason"]


def test_threshold_rule_on_per_run_booleans() -> None:
    verdict = EVENTS.verify(executor="threads")
    assert verdict.status == "HOLDS" and verdict.measured == 0.5
    strict = Claim(
        **{
            **EVENTS.__dict__,
            "id": "helpers.events-all",
            "rule": claims.ThresholdRule("event", aggregate="min", at_least=1.0),
        }
    )
    failed = strict.verify(executor="threads")
    assert failed.status == "FAILS" and failed.measured == 0.0


def test_verdict_json_round_trip_and_store_record(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    verdict = TRUE.verify(executor="threads", store=path, seeds=3)
    assert Verdict.from_json(verdict.to_json()) == verdict
    with ResultStore(path) as store:
        (stored,) = store.verdicts()
    assert stored.profile == "quick@seeds=3" and Verdict.from_json(stored.verdict) == verdict


def test_claim_validation() -> None:
    base = dict(
        paper="p",
        statement="s",
        knob="width",
        measure=power_law,
        rule=ExponentRule("value", predicted=-0.5),
        profiles={"quick": Profile((1, 2), (0, 1)), "full": Profile((1, 2), (0, 1))},
    )
    with pytest.raises(ConfigError, match=r"paper\.statement"):
        Claim(id="No Dots", **base)
    with pytest.raises(ConfigError, match="missing"):
        Claim(id="a.b", **{**base, "profiles": {"quick": Profile((1, 2), (0, 1))}})
    with pytest.raises(ConfigError, match="module-level"):
        Claim(id="a.b", **{**base, "measure": lambda t: 1.0})
    with pytest.raises(ConfigError, match="profile='huge'"):
        Claim(id="a.b", **base).verify("huge")
    with pytest.raises(ConfigError, match="device"):
        Claim(id="a.b", **base).verify(device="tpu")


def test_registry_get_all_and_suggestions(monkeypatch: pytest.MonkeyPatch) -> None:
    assert claims.get("liu2020.hessian-width") is HESSIAN_WIDTH
    ids = [c.id for c in claims.all()]
    assert ids == sorted(ids) and "liu2020.hessian-width" in ids
    with pytest.raises(ConfigError, match=r"did you mean liu2020\.hessian-width"):
        claims.get("liu2020.hessian-widht")
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "_claims_helpers")
    assert claims.get("helpers.power-law") is TRUE
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "no_such_module_xyz")
    with pytest.raises(ConfigError, match="no_such_module_xyz"):
        claims.all()


def test_declaring_every_claim_imports_neither_torch_nor_sympy() -> None:
    """Every claim's declaration and task keys (what a fully reused verify needs) load in a fresh
    interpreter without the numeric stack; measures import it when they run."""
    probe = (
        "import sys, wideproof.claims as c; "
        "keys = [t.key() for x in c.all() for p in x.profiles for t in x.tasks(p)]; "
        "print(len(keys), [m for m in ('torch', 'sympy', 'mpmath') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, heavy = out.stdout.split(" ", 1)
    assert int(count) > 0 and heavy.strip() == "[]"


def _closed_form_norm(width: int, seed: int) -> float:
    spec = ntk_tanh_mlp(width)
    params = spec.init(seed).params
    w, v = params["W1"], params["v"][0]
    x = torch.ones(spec.input_dim, dtype=torch.float64)
    d = spec.input_dim
    a = w @ x / math.sqrt(d)
    t = torch.tanh(a)
    s1, s2 = 1 - t**2, -2 * t * (1 - t**2)
    big_a = v * s2 * float(x @ x) / d
    big_b = s1 * float(x.norm()) / math.sqrt(d)
    blocks = (big_a.abs() + torch.sqrt(big_a**2 + 4 * big_b**2)) / (2 * math.sqrt(width))
    return float(blocks.max())


@pytest.mark.parametrize(("width", "seed"), [(8, 0), (64, 3), (300, 1)])
def test_liu2020_measure_matches_the_closed_form(width: int, seed: int) -> None:
    args = {"tol": 1e-8, "control_output": "softplus"}
    task = Task(hessian_norm_at_one_input, ntk_tanh_mlp(width), "width", width, seed, args)
    est = compute(task).observations["hessian_norm"]
    assert est.value == pytest.approx(_closed_form_norm(width, seed), rel=1e-6)


def test_liu2020_rule_states_the_bounds_exponent() -> None:
    """The rule writes -1/2 and log power 1/2 in words; the symbolic bound must say the same."""
    scaling = HESSIAN_WIDTH.bound().exponent_in("width")  # type: ignore[misc]
    assert isinstance(HESSIAN_WIDTH.rule, AllOf)
    (label, main), *_ = HESSIAN_WIDTH.rule.parts
    assert label == "claim" and isinstance(main, ExponentRule)
    assert float(scaling.power) == main.predicted == -0.5
    assert float(scaling.log_power) == main.log_power == 0.5
    assert "lies within P = -1/2 ± 0.1" in HESSIAN_WIDTH.rule_text
    assert "Θ (tight)" in HESSIAN_WIDTH.rule_text


def test_liu2020_quick_profile_grid() -> None:
    grid = HESSIAN_WIDTH.grid("quick")
    assert isinstance(grid, Grid) and len(grid.seeds) >= 4
    assert max(grid.values) / min(grid.values) >= 10**1.5  # >= 1.5 decades (docs/writing-claims.md)
