"""The edge-of-stability claims (Cohen et al. 2021, arXiv:2103.00065): one point at the edge, the
planted wrong model (linear in its weights) that must not HOLD the sharpening claim, and the whole
quick profile (slow)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from wideproof.claims import Profile, get
from wideproof.claims.cohen2021 import CLAIMS, RandomFeatures, eos_run
from wideproof.sweeps import Task

ONE_POINT = {
    "quick": Profile(values=(0.1,), seeds=(0,)),
    "full": Profile(values=(0.1,), seeds=(0,)),
}


def test_one_mlp_run_sharpens_to_the_edge_and_keeps_decreasing() -> None:
    claim = dataclasses.replace(get("cohen2021.progressive-sharpening"), profiles=ONE_POINT)
    verdict = claim.verify("quick", executor="threads:1")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    point = eos_run(Task(eos_run, None, "eta", 0.1, 0, dict(claim.measure_args)))
    assert abs(point["late_ratio"] - 1) <= 0.1 and point["rise"] > 1.2
    assert point["loss_decreased"] == 1.0 and point["loss_increases"] > 0  # non-monotone


def test_a_model_linear_in_its_weights_does_not_hold_the_sharpening_claim() -> None:
    """Planted wrong case: random features (only the output layer trained) never sharpen, so the
    sharpening claim FAILS on them, while the linear-model control HOLDS."""
    claim = get("cohen2021.progressive-sharpening")
    linear = dataclasses.replace(
        claim, measure_args={**claim.measure_args, "model": "linear"}, profiles=ONE_POINT
    )
    verdict = linear.verify("quick", executor="threads:1")
    assert verdict.status == "FAILS"
    assert "sharpened: FAILS" in verdict.evidence["reason"]
    control = get("cohen2021.linear-control").verify("quick", executor="threads:1")
    assert control.status == "HOLDS", control.evidence["reason"]


def test_random_features_is_linear_in_its_weights() -> None:
    model = RandomFeatures(input_dim=3, width=5).init(0)
    X = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    a = model.params["a"]
    assert torch.allclose(
        model.with_params({"a": 2 * a + 1})(X),
        2 * model(X) + model.with_params({"a": a * 0 + 1})(X),
    )


@pytest.mark.slow
def test_all_cohen2021_claims_hold_in_the_quick_profile() -> None:
    for claim in CLAIMS:
        verdict = claim.verify("quick", executor="threads:1")
        assert verdict.status == "HOLDS", (claim.id, verdict.evidence["reason"])


def test_a_wildcard_id_selects_the_family(capsys) -> None:  # type: ignore[no-untyped-def]
    from wideproof.cli import _selected

    assert [c.id for c in _selected("cohen2021.*")] == sorted(c.id for c in CLAIMS)
    from wideproof.errors import ConfigError

    with pytest.raises(ConfigError, match="no claim id matches"):
        _selected("nope.*")
