"""A family built from the user's own ``nn.Module`` builder, in ``assert_scaling`` and in a Claim.

The CNN of the worked example (``docs/examples/cnn_claims.py``: two stride-2 convolutions, He
initialization, average pooling, a linear classifier), here on 16 synthetic 3x8x8 images with
cross-entropy: its loss-Hessian top eigenvalue at widths 8-64 has no theoretical exponent, so the
right one is the measured one -- 0.657, 0.667 and 0.631 with seeds 0-2, 3-5 and 6-8 (per-seed
least squares, hessian_eigs at tol 1e-6) -- and these tests check that ``assert_scaling`` passes
on it and fails, with the table, half a unit away.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from wideproof.claims import Claim, Profile, ThresholdRule
from wideproof.families import ModuleFamily, module_family
from wideproof.measures import hessian_eigs
from wideproof.sweeps import ResultStore, Task
from wideproof.testing import assert_scaling

WIDTHS = (8, 16, 32, 64)
MEASURED = 0.65  # 0.657, 0.667, 0.631 at three seed sets (module docstring)


def _example() -> ModuleType:
    """``docs/examples/cnn_claims.py``, the guide's worked example (its builder is reused here)."""
    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "cnn_claims.py"
    spec = importlib.util.spec_from_file_location("cnn_claims_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CNN: ModuleFamily = module_family(_example().cnn, (3, 8, 8))


def images() -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, 8, 8, generator=g, dtype=torch.float64)
    return x, torch.randint(0, 10, (16,), generator=g)


@functools.cache
def top_eigenvalue(width: float, seed: int) -> float:
    """Cached: the passing and the failing assertions share one sweep."""
    x, y = images()
    spec = hessian_eigs(
        CNN(int(width)).init(seed), x, 1, of="loss", targets=y, loss=F.cross_entropy,
        which="largest", tol=1e-6,
    )  # fmt: skip
    return spec.eigenvalues[-1]


def test_assert_scaling_passes_on_the_measured_exponent() -> None:
    fit = assert_scaling(top_eigenvalue, "width", WIDTHS, MEASURED, seeds=3, tolerance=0.1)
    assert abs(fit.exponent - 0.657) < 5e-3  # the seeds-0-2 value of the docstring


@pytest.mark.parametrize("wrong", [MEASURED - 0.5, MEASURED + 0.5])
def test_assert_scaling_fails_with_the_table_half_a_unit_away(wrong: float) -> None:
    with pytest.raises(AssertionError) as info:
        assert_scaling(top_eigenvalue, "width", WIDTHS, wrong, seeds=3, tolerance=0.1)
    message = str(info.value)
    assert f"expected {wrong:g} +- 0.1" in message
    table = message.splitlines()[1:]
    assert table[0].split() == ["width", "seed", "0", "seed", "1", "seed", "2"]
    assert [float(row.split()[0]) for row in table[1:]] == list(WIDTHS)


def top_eigenvalue_task(task: Task) -> float:
    x, y = images()
    spec = hessian_eigs(
        task.model(), x, 1, of="loss", targets=y, loss=F.cross_entropy, which="largest", tol=1e-6
    )
    return spec.eigenvalues[-1]


def test_module_family_as_claim_family_verifies_end_to_end() -> None:
    claim = Claim(
        id="user.tiny-cnn",
        paper="none",
        statement="the top eigenvalue is positive",
        knob="width",
        family=CNN,
        measure=top_eigenvalue_task,
        rule=ThresholdRule("value", aggregate="min", at_least=0.0),
        profiles={"quick": Profile((4, 8), (0, 1)), "full": Profile((4, 8), (0, 1))},
    )
    with ResultStore(":memory:") as store:
        first = claim.verify(store=store, executor="threads:1")
        again = claim.verify(store=store, executor="threads:1")
    assert first.status == "HOLDS"
    assert first.evidence["points_computed"] == 4
    assert again.evidence["points_reused"] == 4  # the module spec's key is stable
    assert (
        first.measured
        == again.measured
        == pytest.approx(min(top_eigenvalue(w, s) for w in (4, 8) for s in (0, 1)), rel=1e-12)
    )
