"""Negative controls inside the verdicts: every control, planted with a configuration its theorem
allows, must turn its part -- and so the verdict -- to FAILS; and the adversarial search of the
Hessian norm over a ball, against dense references.

Independence of the oracles: the planted configurations are the theorems' own premises (a linear
output, the NTK parameterization, a step below 2/lambda_max, an over-parameterized network,
eta*lambda0 < 2, r < 1), whose outcome the papers fix; the eigenvalue gradient is checked against
central differences of eigenvalues of dense ``torch.autograd.functional.hessian`` matrices.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
import torch

from wideproof.claims import Claim, Profile, get
from wideproof.claims._controls import with_control
from wideproof.claims._extra_rules import AllOf
from wideproof.claims.lewkowycz2020 import rounding_floor, uv_model
from wideproof.claims.liu2020 import hessian_sup_in_ball, ntk_tanh_mlp
from wideproof.dynamics import Probes, classify_phase, gd
from wideproof.errors import ConfigError
from wideproof.measures import eigenvalue_gradient, hessian_ball_sup
from wideproof.sweeps import ResultStore, Task, compute


def _planted(claim_id: str, values: tuple[float, ...], seeds: int, **args: Any) -> Claim:
    claim = get(claim_id)
    return dataclasses.replace(
        claim,
        measure_args={**claim.measure_args, **args},
        profiles={**claim.profiles, "quick": Profile(values, tuple(range(seeds)))},
    )


def _control_status(claim: Claim, store: ResultStore) -> tuple[str, str]:
    verdict = claim.verify("quick", executor="threads:1", store=store)
    assert isinstance(claim.rule, AllOf)
    controls = [k for k, _ in claim.rule.parts if k.startswith("control")]
    assert len(controls) == 1
    return verdict.status, verdict.evidence["parts"][controls[0]]["status"]


@pytest.mark.parametrize(
    ("claim_id", "values", "args"),
    [
        ("liu2020.hessian-width", (16, 64, 256), {}),
        ("liu2020.hessian-ball", (16, 64, 256), {"starts": 2, "ascent_steps": 2}),
        ("liu2020.linearization-gap", (16, 128, 1024), {"n_directions": 4, "ascent_steps": 5}),
    ],
)
def test_linear_output_planted_in_the_output_control_fails(
    claim_id: str, values: tuple[float, ...], args: dict[str, Any]
) -> None:
    """With a linear output the control network obeys Theorem 3.2, its norm (or gap) decays, and
    the 'no decay' control part FAILS the verdict (a cheaper search suffices: the planted norm
    decays whatever the search finds)."""
    with ResultStore(":memory:") as store:
        planted = _planted(claim_id, values, 3, control_output="linear", **args)
        assert _control_status(planted, store) == ("FAILS", "FAILS")


def test_ntk_parameterization_planted_in_the_rsc_width_control_fails() -> None:
    with ResultStore(":memory:") as store:
        for claim_id in ("banerjee2022.hessian-width", "banerjee2022.bound-holds"):
            planted = _planted(claim_id, (32, 64, 128), 3, control_parameterization="ntk")
            assert _control_status(planted, store) == ("FAILS", "FAILS")


def test_allowed_step_and_width_planted_in_the_pl_controls_fail() -> None:
    """eta = 1/lambda_max does not diverge; a width-32 network on 60 samples is
    over-parameterized and converges: both PL* controls must fail."""
    with ResultStore(":memory:") as store:
        conv = _planted(
            "liu2020pl.exponential-convergence", (64,), 1, control_eta_factor=1.0, max_steps=300
        )
        assert _control_status(conv, store)[1] == "FAILS"
        plstar = _planted("liu2020pl.plstar-inequality", (64,), 1, control_width=32)
        assert _control_status(plstar, store)[1] == "FAILS"


def test_linear_output_planted_in_the_pl_width_control_fails() -> None:
    with ResultStore(":memory:") as store:
        planted = _planted("liu2020pl.width", (64, 128, 256), 2, control_output="linear")
        assert _control_status(planted, store) == ("FAILS", "FAILS")


def test_small_step_planted_in_the_rsc_control_fails() -> None:
    with ResultStore(":memory:") as store:
        planted = _planted("banerjee2022.rsc", (64,), 1, control_eta_factor=0.5, max_steps=50)
        assert _control_status(planted, store)[1] == "FAILS"


def _control_part(claim: Claim, value: float | None = None, **args: Any) -> str:
    """The status of the claim's control part on one point (the first quick task, its knob value
    replaced by ``value`` and its arguments updated by ``args``)."""
    task = claim.tasks("quick")[0]
    task = dataclasses.replace(task, args={**task.args, **args})
    if value is not None:
        task = dataclasses.replace(task, value=value)
    point = compute(task)
    assert isinstance(claim.rule, AllOf)
    (rule,) = [r for k, r in claim.rule.parts if k.startswith("control")]
    return rule.decide(claim, [point]).status


def test_catapult_rate_planted_in_the_nqm_control_fails() -> None:
    claim = get("zhu2022nqm.single-example")
    small = {"eta_lambdas": [2.5], "net_steps": 5}
    assert _control_part(claim, 100, control_eta_lambda=1.5, **small) == "HOLDS"
    assert _control_part(claim, 100, control_eta_lambda=2.5, **small) == "FAILS"


def test_supercritical_rate_planted_in_the_top_eigenspace_control_fails() -> None:
    claim = get("zhu2023sgd.top-eigenspace")
    small = {"width": 256, "steps": 40}
    assert _control_part(claim, control_r=0.8, **small) == "HOLDS"
    assert _control_part(claim, control_r=1.5, **small) == "FAILS"


@pytest.mark.slow
def test_supercritical_rate_planted_in_the_batch_size_control_fails() -> None:
    """SGD at eta = 8.5 / max_i K0(x_i, x_i) = 4.0 (seed 0) with b = 4 catapults (the claim's own
    rate): the control must fail."""
    assert _control_part(get("zhu2023sgd.batch-size"), control_factor=8.5) == "FAILS"


def test_with_control_names_its_controls() -> None:
    rule = get("liu2020.hessian-width").rule
    assert isinstance(rule, AllOf)
    with pytest.raises(ConfigError, match="must start with 'control'"):
        with_control(rule, ("softplus", rule))
    with pytest.raises(ConfigError, match="must start with 'control'"):
        with_control(rule)


# -- uv phases: rounding at the converged floor is not a phase ----------------------------------


def test_rises_below_the_rounding_floor_do_not_make_a_lazy_run_unresolved() -> None:
    model, lam0 = uv_model(9, 1000)
    one = torch.ones(1, 1, dtype=torch.float64)
    traj = gd(
        model,
        one,
        torch.zeros(1, dtype=torch.float64),
        eta=1.9 / lam0,
        steps=400,
        loss="half_sum",
        probes=Probes(every=None, gradient=False),
        stop_ratio=1e-30,
    )
    floor = rounding_floor(1000, lam0)
    assert 1e-26 < floor < 1e-22  # float64 dot-product bound at n = 1000, lambda0 ~ 2
    noisy = (*traj.loss, 0.5 * floor, 0.8 * floor, 0.1 * floor)  # rounding-level wobble
    planted = dataclasses.replace(traj, loss=noisy)
    assert classify_phase(planted, noise_floor=floor) == "lazy"
    assert classify_phase(planted) == "unresolved"
    risen = dataclasses.replace(traj, loss=(*traj.loss, 10 * floor))  # a rise above the floor
    assert classify_phase(risen, noise_floor=floor) == "unresolved"
    with pytest.raises(ConfigError, match="noise_floor"):
        classify_phase(traj, noise_floor=-1.0)


# -- the ball search ------------------------------------------------------------------------------


def _dense_extreme(model, w: torch.Tensor, x: torch.Tensor) -> float:
    hess = torch.autograd.functional.hessian(lambda v: model.apply_flat(v, x), w)
    eig = torch.linalg.eigvalsh(hess)
    return float(eig[0] if abs(eig[0]) > abs(eig[-1]) else eig[-1])


@pytest.mark.parametrize(("width", "seed"), [(6, 0), (10, 3)])
def test_eigenvalue_gradient_matches_dense_central_differences(width: int, seed: int) -> None:
    model = ntk_tanh_mlp(width).init(seed)
    x = torch.ones(model.spec.input_dim, dtype=torch.float64)
    w0 = model.flat_params().detach()
    hess = torch.autograd.functional.hessian(lambda v: model.apply_flat(v, x), w0)
    eig, vecs = torch.linalg.eigh(hess)
    i = 0 if abs(eig[0]) > abs(eig[-1]) else -1
    grad = eigenvalue_gradient(model, w0, x, vecs[:, i])
    gen = torch.Generator().manual_seed(seed)
    for _ in range(3):
        u = torch.randn(w0.numel(), generator=gen, dtype=torch.float64)
        h = 1e-5
        fd = (_dense_extreme(model, w0 + h * u, x) - _dense_extreme(model, w0 - h * u, x)) / (2 * h)
        assert float(grad @ u) == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_ball_search_exceeds_the_centre_and_stays_in_the_ball() -> None:
    model = ntk_tanh_mlp(32).init(1)
    x = torch.ones(model.spec.input_dim, dtype=torch.float64)
    res = hessian_ball_sup(model, x, 1.0, starts=3, steps=6, seed=1)
    centre = abs(_dense_extreme(model, model.flat_params().detach(), x))
    assert res.at_center == pytest.approx(centre, rel=1e-8)
    assert res.distance <= 1.0 + 1e-12 and len(res.per_start) == 3
    assert res.ratio > 1.1  # the ascent finds more than the centre (measured 1.3-1.45)
    tiny = hessian_ball_sup(model, x, 1e-6, starts=2, steps=3, seed=1)
    assert tiny.ratio == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ConfigError):
        hessian_ball_sup(model, x, 0.0)


def test_hessian_ball_measure_reports_the_centre_and_the_control() -> None:
    claim = get("liu2020.hessian-ball")
    args = {**claim.measure_args, "starts": 2, "ascent_steps": 3}
    obs = compute(Task(hessian_sup_in_ball, ntk_tanh_mlp(8), "width", 8, 0, args)).observations
    assert obs["sup_hessian"].value >= obs["hessian_at_center"].value
    assert obs["ball_ratio"].value == pytest.approx(
        obs["sup_hessian"].value / obs["hessian_at_center"].value
    )
    assert math.isfinite(obs["control_output"].value) and obs["control_output"].value > 0
