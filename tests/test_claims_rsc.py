"""The RSC claim ``banerjee2022.rsc``: its quick profile, a negative control, and the two
exact facts it is built on.

Independence of the oracles: ||grad G_bar||^2 is checked against an explicit Jacobian
(``torch.func.jacrev``: ||mean_i grad f_i||^2, 1^T J J^T 1 / n^2 and the eigenvalue bound from
``eigvalsh`` of J J^T), not against the kernel code; the realized curvature of a GD step, which the
claim computes from the recorded losses and gradient norm, is checked against the exact loss
decomposition of the square loss evaluated with an autograd gradient and
forward-mode directional derivatives (``torch.func.jvp``).  The negative control changes one
premise (the singular run's step size above 2 / sharpness) and must turn the verdict to FAILS.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch.func import jacrev, jvp

from wideproof.claims import Profile, get
from wideproof.claims.banerjee2022dynamics import RSC_RATE, mean_grad_sq, realized_curvature
from wideproof.claims.liu2020pl import pl_data
from wideproof.dynamics import Probes, gd
from wideproof.errors import ConfigError
from wideproof.families import MLP, Model


def _model(width: int, d: int) -> Model:
    spec = MLP(
        input_dim=d,
        width=width,
        depth=1,
        activation="tanh",
        initialization="rsc",
        sigma1=0.9,
    )
    return spec.init(3)


@pytest.mark.parametrize(("width", "d", "n"), [(32, 5, 12), (4, 3, 40)])
def test_mean_grad_sq_against_an_explicit_jacobian(width: int, d: int, n: int) -> None:
    """The second case has n = 40 > 16 parameters: K is singular and the bound is only >= 0."""
    model = _model(width, d)
    x, _ = pl_data(d, n, 7)
    w = model.flat_params().detach()
    jac = jacrev(lambda v: model.apply_flat(v, x))(w)
    ones = torch.ones(n, dtype=torch.float64)
    kernel = jac @ jac.T
    value = mean_grad_sq(model, x)
    assert value == pytest.approx(float(jac.mean(0).norm() ** 2), rel=1e-12)
    assert value == pytest.approx(float(ones @ kernel @ ones) / n**2, rel=1e-12)
    lam_min = float(torch.linalg.eigvalsh(kernel)[0])
    assert value >= lam_min / n
    assert (model.num_params < n) == (abs(lam_min) < 1e-10 * float(kernel.trace()))


def test_realized_curvature_matches_the_exact_decomposition() -> None:
    model = _model(24, 4)
    x, y = pl_data(4, 10, 11)
    eta = 0.7
    traj = gd(model, x, y, eta=eta, steps=1, loss="mean", probes=Probes(outputs=True))
    (curv,), (jensen,) = realized_curvature(traj)
    w = model.flat_params().detach().requires_grad_(True)
    resid = model.apply_flat(w, x) - y
    (grad,) = torch.autograd.grad((resid**2).mean(), w)
    delta = -eta * grad
    w0 = w.detach()
    out = jvp(lambda v: model.apply_flat(v, x), (w0,), (delta,))
    f0, lin = out[0], out[1]
    df = model.apply_flat(w0 + delta, x).detach() - f0
    r = resid.detach()
    step_sq = float(delta @ delta)
    expected = 2.0 * float(((df**2) + 2.0 * r * (df - lin)).mean()) / step_sq
    # the loss route cancels about eta |grad L|^2 against the curvature term: ~1e-13 measured
    assert curv == pytest.approx(expected, rel=1e-10)
    assert jensen == pytest.approx(2.0 * float((df**2).mean()) / step_sq, rel=1e-10)
    # Jensen: the realized Jensen part bounds 2 (Delta G_bar)^2 / |Delta|^2 from above
    assert jensen >= 2.0 * float(df.mean()) ** 2 / step_sq


def test_realized_curvature_needs_output_probes() -> None:
    model = _model(8, 3)
    x, y = pl_data(3, 5, 1)
    traj = gd(model, x, y, eta=0.1, steps=2, loss="mean")
    with pytest.raises(ConfigError, match="output probes"):
        realized_curvature(traj)


def test_rsc_quick_is_inconclusive_for_too_few_runs_and_reports_the_realized_quantities() -> None:
    """Theorem 5.1's rate 1 - 4/256 needs 191 successful runs to certify; the quick profile's 2
    runs succeed, so the checks are INCONCLUSIVE ("too few runs"), never FAILS, while the
    deterministic control and identities HOLD; whether a_t > 0 is counted, not decided."""
    verdict = get("banerjee2022.rsc").verify("quick", executor="threads:1")
    assert verdict.status == "INCONCLUSIVE", verdict.evidence["reason"]
    parts = verdict.evidence["parts"]
    assert parts["control"]["status"] == "HOLDS" and parts["sanity"]["status"] == "HOLDS"
    checks = parts["checks"]["evidence"]
    assert parts["checks"]["status"] == "INCONCLUSIVE"
    assert checks["reason"].startswith("too few runs: need n >= 191")
    assert checks["rate"] == RSC_RATE and checks["runs_needed"] == 191
    assert {k: (c["successes"], c["runs"]) for k, c in checks["checks"].items()} == {
        "monotone_decrease": (2, 2),
        "converged": (2, 2),
        "singular_monotone_decrease": (2, 2),
    }
    assert checks["reported"]["curvature_positive"]["runs"] == 2
    for run in checks["runs"].values():
        assert run["identity_rel_error"] <= 1e-12
        assert run["singular_params"] < 100  # singular_n: more samples than parameters
        assert run["singular_min_mean_grad_sq"] > 0.0
        assert math.isfinite(run["implied_c2"]) and math.isfinite(run["singular_implied_c2"])


def test_rsc_step_above_the_edge_fails() -> None:
    """At eta = 0.5 / (c lambda_max(K_0)) the singular run's sharpness grows past 2 / eta and the
    loss rises at some step: the monotone-decrease check must fail."""
    claim = get("banerjee2022.rsc")
    wrong = dataclasses.replace(
        claim,
        measure_args={**claim.measure_args, "singular_eta_factor": 0.5},
        profiles={**claim.profiles, "quick": Profile(values=(256,), seeds=(0,))},
    )
    verdict = wrong.verify("quick", executor="threads:1")
    assert verdict.status == "FAILS"
    checks = verdict.evidence["parts"]["checks"]["evidence"]["checks"]
    # 0 of 1 runs: the upper bound 0.95 is below p0 = 0.984
    assert checks["singular_monotone_decrease"]["failed"] == [
        "singular_monotone_decrease at width=256 seed=0"
    ]
    assert checks["singular_monotone_decrease"]["ci_high"] == pytest.approx(0.95)
