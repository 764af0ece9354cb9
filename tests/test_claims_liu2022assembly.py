"""Tests of ``liu2022assembly.weak-models``.

Oracle independent of the code under test: the block-by-block Hessian norm (vmapped dense
sub-model Hessians) is compared with the library's dense Hessian / Lanczos on the whole model,
which knows nothing of the block structure.  The quick verdict must HOLD, and the same
measurements must FAIL a rule that predicts the wrong behaviour (a decaying dominated assembly).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from wideproof.claims import ExponentRule, get
from wideproof.claims._extra_rules import AllOf
from wideproof.claims.liu2022assembly import WEAK_MODELS, assembly_hessian_norm
from wideproof.errors import ConfigError
from wideproof.families import MLP, Assembly
from wideproof.measures import hessian_norm
from wideproof.sweeps import ResultStore


@pytest.mark.parametrize(
    ("spec", "method"),
    [
        (Assembly(input_dim=3, n_models=5, sub_width=2), "dense"),
        (Assembly(input_dim=4, n_models=7, scaling="mean-field", dominance=1.0), "dense"),
        (Assembly(input_dim=4, n_models=40, activation="softplus"), "lanczos"),
    ],
)
def test_block_norm_matches_whole_model(spec: Assembly, method: str) -> None:
    model = spec.init(3)
    x = torch.randn(spec.input_dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = hessian_norm(model, x, method=method, tol=1e-12).value  # type: ignore[arg-type]
    assert assembly_hessian_norm(model, x) == pytest.approx(ref, rel=1e-9)


def test_block_norm_rejects_other_families() -> None:
    model = MLP(input_dim=2, width=3, depth=1, activation="tanh").init(0)
    with pytest.raises(ConfigError, match="Assembly"):
        assembly_hessian_norm(model, torch.ones(2, dtype=torch.float64))


def test_weak_models_quick_holds_and_wrong_prediction_fails() -> None:
    with ResultStore(":memory:") as store:
        verdict = get("liu2022assembly.weak-models").verify(
            "quick", executor="threads", store=store
        )
        assert verdict.status == "HOLDS", verdict.evidence["reason"]
        wrong = dataclasses.replace(
            WEAK_MODELS,
            rule=AllOf(
                (
                    (
                        "dominant decays",
                        ExponentRule(
                            "hessian_norm_dominant", predicted=-0.5, margin=0.1, log_power=1.0
                        ),
                    ),
                )
            ),
        )
        assert wrong.verify("quick", executor="threads", store=store).status == "FAILS"
