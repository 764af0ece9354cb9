"""The training-dynamics claims: each quick profile once, with the status the theory
predicts, and negative controls that must FAIL.

Independence of the oracles: the verdicts compare measured trajectories with numbers that do not
come from the code under test -- the phase boundaries eta*lambda0 = 2, 4 and the final-eta*lambda
and u_peak bands of the uv model (reference table of Lewkowycz et al. 2020 §2, produced by a separate
numpy implementation, reproduced here with the same numpy draws); the PL* identity
|grad L|^2 = r^T K r (autograd gradient against a Jacobian-built kernel) and the eigenvalue bound;
Theorem 6's rate (1 - eta mu)^t; the effect sizes of a pilot run measured with an
independent implementation; the linearization's closed form
r_t = V diag((1 - eta c lambda)^t) V^T r_0.  The negative controls change one premise (a wrong phase boundary, a
learning rate below every batch-critical rate) and must turn the verdict to FAILS.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from wideproof.claims import Profile, get
from wideproof.claims.zhu2022nqm import (
    _regime_checks,
    fig3_data,
    group_eigenvalues,
    linearized_losses,
    regime_run,
)
from wideproof.families import MLP
from wideproof.measures import ntk
from wideproof.sweeps import ResultStore


def test_uv_phases_quick_holds_and_reproduces_the_table() -> None:
    verdict = get("lewkowycz2020.uv-phases").verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    runs = verdict.evidence["runs"]
    assert len(runs) == 40
    # seed 0 reproduces the reference final eta*lambda of the catapult rows (the reference table)
    for row, ref in ((2.5, 1.270), (3.0, 0.189), (3.5, 0.521), (3.9, 1.144)):
        assert runs[f"eta_lambda0={row:g} seed=0"]["final_eta_lambda"] == pytest.approx(
            ref, abs=1e-3
        )


def test_uv_phases_wrong_boundary_fails() -> None:
    """Predicting divergence above eta*lambda0 = 3.2 (instead of 4) contradicts rows 3.5 and 3.9."""
    claim = get("lewkowycz2020.uv-phases")
    wrong = dataclasses.replace(
        claim,
        measure_args={**claim.measure_args, "boundaries": [2.0, 3.2]},
        profiles={**claim.profiles, "quick": Profile(values=(3.5, 3.9), seeds=(0, 1))},
    )
    verdict = wrong.verify("quick", executor="threads:1")
    assert verdict.status == "FAILS"
    assert all("outcome" in f for f in verdict.evidence["failed"])


def test_plstar_claims_quick_hold() -> None:
    """Both PL* claims share one GD run per seed (same measure and arguments)."""
    with ResultStore(":memory:") as store:
        pl = get("liu2020pl.plstar-inequality").verify("quick", executor="threads:1", store=store)
        conv = get("liu2020pl.exponential-convergence").verify(
            "quick", executor="threads:1", store=store
        )
    assert pl.status == "HOLDS", pl.evidence["reason"]
    assert conv.status == "HOLDS", conv.evidence["reason"]
    assert conv.evidence["points_computed"] == 0
    for run in pl.evidence["parts"]["sanity"]["evidence"]["runs"].values():
        assert run["identity_rel_error"] <= 1e-12 and run["min_pl_ratio"] >= 1.0 - 1e-12
        # the radius R is loose (reported, not evidence): the path stays far inside it
        assert run["path_over_radius"] < 1.0


def test_plstar_width_quick_holds() -> None:
    verdict = get("liu2020pl.width").verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]


@pytest.mark.slow
def test_top_eigenspace_quick_holds() -> None:
    """About 4 min of CPU (the dense kernel probe at every step, m = 1024)."""
    verdict = get("zhu2023sgd.top-eigenspace").verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]


@pytest.mark.slow
def test_batch_size_quick_holds_and_control_fails() -> None:
    """eta = 4 (above the b = 4 critical rate ~2.4) HOLDS with its in-verdict eta = 1 control
    (no catapult); run at eta = 1 itself (below every batch-critical rate) the claim must FAIL."""
    claim = get("zhu2023sgd.batch-size")
    verdict = claim.verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    assert verdict.evidence["parts"]["control"]["status"] == "HOLDS"
    at_one = dataclasses.replace(
        claim, profiles={**claim.profiles, "quick": Profile(values=(1.0,), seeds=(0, 1, 2))}
    )
    control = at_one.verify("quick", executor="threads:1")
    assert control.status == "FAILS", control.evidence["reason"]
    runs = control.evidence["parts"]["checks"]["evidence"]["runs"].values()
    assert all(run["spikes_4"] == 0 for run in runs)


@pytest.mark.slow
def test_nqm_single_example_quick_holds() -> None:
    """The NQM update equations to 1e-12, Theorem 1's lower bound, convergence with
    eta*lambda < 2 for the NQM and the network hold in every run, and at the quick widths
    (500-4000) the CI of the peak's width slope starts at or above 1 - 0.2 (Ω; reference
    slopes 0.95-1.01)."""
    verdict = get("zhu2022nqm.single-example").verify("quick", executor="threads:1")
    parts = verdict.evidence["parts"]
    assert parts["checks"]["status"] == "HOLDS", parts["checks"]["evidence"]["reason"]
    assert verdict.status == "HOLDS", verdict.evidence["reason"]


@pytest.mark.slow
def test_nqm_multi_example_quick_holds() -> None:
    """Fig. 3 setting at m = 500: rank K <= 2, frozen complement, and the four regimes A-D for the
    NQM (about 9 s)."""
    verdict = get("zhu2022nqm.multi-example").verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    (run,) = verdict.evidence["runs"].values()
    assert 1.1 <= run["lambda_ratio"] <= 1.3


def test_nqm_regime_rule_rejects_the_wrong_regime() -> None:
    """Negative control on the network (cheap): a run at the regime-B rate passes the B rule and
    fails the lazy rule A; a run at the regime-A rate fails rule B."""
    n = 128
    base = MLP(input_dim=1, width=300, activation="relu").init(0)
    x, y, _ = fig3_data(0, n, base)
    lam = group_eigenvalues(ntk(base, x), x)
    top = 0 if lam[0] >= lam[1] else 1
    l1, l2 = lam[top], lam[1 - top]
    eta_b, eta_a = 0.5 * (n / l1 + n / l2), 0.9 * n / l1
    run_b = regime_run(base, x, y, eta_b, 200, top)
    assert _regime_checks("B", run_b, eta_b, n)
    assert not _regime_checks("A", run_b, eta_b, n)
    run_a = regime_run(base, x, y, eta_a, 200, top)
    assert not _regime_checks("B", run_a, eta_a, n)


def test_linearized_losses_match_the_eigenbasis_solution() -> None:
    """The function-space recursion for the linearization against the closed form
    r_t = V diag((1 - eta c lambda)^t) V^T r_0 (an independent eigen-decomposition)."""
    gen = torch.Generator().manual_seed(3)
    A = torch.randn(6, 6, generator=gen, dtype=torch.float64)
    K = A @ A.T
    r0 = torch.randn(6, generator=gen, dtype=torch.float64)
    evals, V = torch.linalg.eigh(K)
    eta = 1.0 / float(evals[-1]) * 6 / 2  # c eta lambda_max = 1 with c = 2/6
    losses = linearized_losses(K, r0, eta, 25)
    for t in (0, 1, 7, 25):
        rt = V @ ((1 - eta * (2 / 6) * evals) ** t * (V.T @ r0))
        assert abs(losses[t] - float((rt**2).mean())) <= 1e-12 * max(1.0, losses[0])
    assert len(linearized_losses(K, r0, 1.5 * 6 / float(evals[-1]), 1000)) < 1001


@pytest.mark.slow
def test_nqm_network_agreement_quick_holds() -> None:
    """Network, NQM and linearization agree below eta_crit; above it the linearization diverges
    while the network and the NQM catapult and converge; above eta_max the NQM diverges -- each
    with a success probability whose 95 % lower bound is at least 1/2: all 5 quick runs succeed
    (the bound 0.05^(1/5) = 0.549)."""
    verdict = get("zhu2022nqm.network-agreement").verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    checks = verdict.evidence["checks"]
    assert {(c["successes"], c["runs"]) for c in checks.values()} == {(5, 5)}
    assert min(c["ci_low"] for c in checks.values()) == pytest.approx(0.05 ** (1 / 5))
    for run in verdict.evidence["runs"].values():  # stopped once converged, within the budget
        assert run["net_steps_below"] < 600 and run["net_final_loss_over_L0_below"] <= 1e-3
