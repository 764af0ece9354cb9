"""The training-dynamics claims (issue 6 §2): each quick profile once, with the status the theory
predicts, and negative controls that must FAIL.

Independence of the oracles: the verdicts compare measured trajectories with numbers that do not
come from the code under test -- the phase boundaries eta*lambda0 = 2, 4 and the final-eta*lambda
and u_peak bands of the uv model (reference table of catapult notes §1.5, produced by a separate
numpy implementation, reproduced here with the same numpy draws); the PL* identity
|grad L|^2 = r^T K r (autograd gradient against a Jacobian-built kernel) and the eigenvalue bound;
Theorem 6's rate (1 - eta mu)^t; the effect sizes of feasibility/dynamics.md §5-§6 measured with an
independent implementation.  The negative controls change one premise (a wrong phase boundary, a
learning rate below every batch-critical rate) and must turn the verdict to FAILS.
"""

from __future__ import annotations

import dataclasses

import pytest

from wideproof.claims import Profile, get
from wideproof.sweeps import ResultStore


def test_uv_phases_quick_holds_and_reproduces_the_table() -> None:
    verdict = get("lewkowycz2020.uv-phases").verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    runs = verdict.evidence["runs"]
    assert len(runs) == 40
    # seed 0 reproduces the reference final eta*lambda of the catapult rows (catapult notes §1.5)
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
    for run in pl.evidence["runs"].values():
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
    """eta = 4 (above the b = 4 critical rate ~2.4) HOLDS; the eta = 1 control (below every
    batch-critical rate: no catapults) must FAIL."""
    claim = get("zhu2023sgd.batch-size")
    verdict = claim.verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    control = claim.verify("control", executor="threads:1")
    assert control.status == "FAILS", control.evidence["reason"]
    assert all(run["spikes_4"] == 0 for run in control.evidence["runs"].values())


@pytest.mark.slow
def test_nqm_single_example_quick_holds() -> None:
    """The NQM update equations to 1e-12, Theorem 1's lower bound, convergence with
    eta*lambda < 2 for the NQM and the network hold in every run.  At the quick widths (100-400)
    the peak's width slope (0.69 / 0.77, CI straddling 0.85) cannot be placed in [0.85, 1.15]: the
    verdict is INCONCLUSIVE, not FAILS (the reference slope 0.95-1.01 was measured at 500-8000)."""
    verdict = get("zhu2022nqm.single-example").verify("quick", executor="threads:1")
    parts = verdict.evidence["parts"]
    assert parts["checks"]["status"] == "HOLDS", parts["checks"]["evidence"]["reason"]
    assert verdict.status in ("HOLDS", "INCONCLUSIVE"), verdict.evidence["reason"]
