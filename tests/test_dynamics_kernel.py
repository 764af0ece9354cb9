"""Kernel probes along GD (PL* identity, top-eigenspace projection) and the eta_crit conversions.

Independence of the oracles: the gradient norm is autograd's reverse pass through the loss; the
kernel is :func:`wideproof.measures.ntk` (a Jacobian contraction), so the identity
:math:`\\|\\nabla\\mathcal L\\|^2 = c^2 r^TKr` (Liu, Zhu & Belkin 2022) compares two separate
computations.  The threshold conversions are checked against the Gauss-Newton operator of
:mod:`wideproof.linalg` with Lanczos (another code path, in parameter space rather than sample
space) and against the actual stability of GD on a model that is linear in its parameters, where
:math:`\\eta < 2/(c\\lambda_{\\max}(K))` is exactly the stability condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest
import torch
from torch import Tensor

from wideproof.dynamics import (
    Probes,
    convention_factor,
    eta_crit,
    eta_max,
    gd,
    sharpness_product,
)
from wideproof.errors import ConfigError, NumericalError
from wideproof.families import MLP, FamilySpec, Model
from wideproof.linalg import gauss_newton, lanczos
from wideproof.measures import ntk


def pl_data(n: int = 20, d: int = 20, seed: int = 0) -> tuple[Tensor, Tensor]:
    """The pilot setting: x ~ N(0, I_d) rescaled to |x| = sqrt(d), labels ±0.8."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    X = X / X.norm(dim=1, keepdim=True) * d**0.5
    y = 0.8 * torch.sign(torch.randn(n, generator=gen, dtype=torch.float64))
    return X, y


def pl_model(width: int = 256, seed: int = 0) -> Model:
    return MLP(input_dim=20, width=width, depth=2, activation="tanh").init(seed)


@pytest.mark.parametrize("loss", ["half_sum", "mean"])
def test_pl_star_identity_and_inequality_along_gd(loss: str) -> None:
    """At every probed step: |grad L|² = c² r^T K r to 1e-10 (relative) and
    |grad L|² >= 2 c lambda_min(K) L (the PL* inequality with mu = lambda_min, Liu, Zhu, Belkin
    2022), with eta = 1/(c lambda_max(K_0)) (the theorem's step size; dynamics.md §4 settings:
    d = 20, n = 20, two tanh layers, m = 256).  The loss must also fall by 1e4."""
    model, (X, y) = pl_model(), pl_data()
    c = convention_factor(loss, 20)  # type: ignore[arg-type]
    lam0 = float(torch.linalg.eigvalsh(ntk(model, X))[-1])
    traj = gd(
        model,
        X,
        y,
        eta=1.0 / (c * lam0),
        steps=120,
        loss=loss,  # type: ignore[arg-type]
        probes=Probes(every=10, kernel=True),
    )
    assert len(traj.probes) == 13
    for p in traj.probes:
        assert p.grad_norm_sq is not None and p.kernel_grad_norm_sq is not None
        assert abs(p.grad_norm_sq - p.kernel_grad_norm_sq) <= 1e-10 * p.kernel_grad_norm_sq
    assert min(traj.pl_ratios()) >= 1.0 - 1e-12
    assert traj.loss[-1] < 1e-4 * traj.loss[0]
    assert traj.probes[0].lambda_max == pytest.approx(lam0, rel=1e-12)


def test_conventions_give_the_same_path() -> None:
    """GD on the mean loss with eta_mean = eta_half * n / 2 is the same iteration as GD on the
    1/2-sum loss with eta_half (both update by eta_half J^T r): losses differ by exactly the factor
    2/n and the sharpness products c*eta*lambda agree."""
    model, (X, y) = pl_model(width=64), pl_data()
    eta_half = 0.02
    half = gd(
        model, X, y, eta=eta_half, steps=30, loss="half_sum", probes=Probes(every=10, kernel=True)
    )
    mean = gd(
        model,
        X,
        y,
        eta=eta_half * 20 / 2,
        steps=30,
        loss="mean",
        probes=Probes(every=10, kernel=True),
    )
    for a, b in zip(half.loss, mean.loss, strict=True):
        assert b == pytest.approx(a * 2 / 20, rel=1e-10)
    assert mean.sharpness_products() == pytest.approx(half.sharpness_products(), rel=1e-10)
    assert torch.allclose(half.final_params, mean.final_params, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("top_s", [1, 5, 20])
def test_top_eigenspace_projection_sums_to_the_loss(top_s: int) -> None:
    """sum_{i<=s} Pi_i L + (complement) = L at every probed step (s = n leaves no complement);
    the projected losses are non-negative and listed for eigenvalues in descending order."""
    model, (X, y) = pl_model(width=64), pl_data()
    traj = gd(
        model,
        X,
        y,
        eta=0.05,
        steps=20,
        loss="mean",
        probes=Probes(every=5, gradient=False, kernel=True, top_s=top_s),
    )
    for p in traj.probes:
        assert p.projected_loss is not None and p.complement_loss is not None
        assert p.kernel_top is not None and len(p.kernel_top) == len(p.projected_loss) == top_s
        assert p.top_loss is not None
        assert p.top_loss + p.complement_loss == pytest.approx(p.loss, rel=1e-12)
        assert min(p.projected_loss) >= 0 and p.complement_loss >= 0
        assert list(p.kernel_top) == sorted(p.kernel_top, reverse=True)
        assert p.kernel_top[0] == p.lambda_max
        if top_s == 20:
            assert p.complement_loss == 0.0


@dataclass(frozen=True)
class Linear(FamilySpec):
    """f(w; x) = w^T x: linear in the parameters, so K = X X^T is constant along GD."""

    input_dim: int

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        return {"w": torch.randn(self.input_dim, generator=gen, dtype=torch.float64)}

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        return (x @ params["w"]).unsqueeze(-1)


def test_eta_crit_conversion_formulas() -> None:
    """2/lambda and 4/lambda for the 1/2-sum loss, n/lambda and 2n/lambda for the mean loss; the
    sharpness product is 2 at eta_crit and 4 at eta_max in both conventions."""
    lam, n = 7.5, 12
    assert eta_crit(lam, loss="half_sum", n_samples=n) == 2 / lam
    assert eta_max(lam, loss="half_sum", n_samples=n) == 4 / lam
    assert eta_crit(lam, loss="mean", n_samples=n) == pytest.approx(n / lam, rel=1e-15)
    assert eta_max(lam, loss="mean", n_samples=n) == pytest.approx(2 * n / lam, rel=1e-15)
    for loss in ("half_sum", "mean"):
        crit = eta_crit(lam, loss=loss, n_samples=n)
        top = eta_max(lam, loss=loss, n_samples=n)
        assert sharpness_product(crit, lam, loss=loss, n_samples=n) == pytest.approx(2.0)
        assert sharpness_product(top, lam, loss=loss, n_samples=n) == pytest.approx(4.0)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="lambda_max"):
            eta_crit(bad, loss="mean", n_samples=n)
    with pytest.raises(ConfigError, match="loss"):
        eta_crit(lam, loss="sum", n_samples=n)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="n_samples"):
        eta_crit(lam, loss="mean", n_samples=0)


@pytest.mark.parametrize("loss", ["half_sum", "mean"])
def test_eta_crit_is_the_stability_edge_of_gd(loss: str) -> None:
    """For a model linear in w, eta_crit(lambda_max(K)) equals 2/lambda_max of the loss Hessian
    c J^T J (Lanczos on linalg.gauss_newton), GD at 0.98 eta_crit converges and at 1.02 eta_crit
    diverges."""
    n, d = 10, 30
    gen = torch.Generator().manual_seed(3)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    model = Linear(d).init(0)
    lam = float(torch.linalg.eigvalsh(ntk(model, X))[-1])
    crit = eta_crit(lam, loss=loss, n_samples=n)  # type: ignore[arg-type]
    hess_top = lanczos(gauss_newton(model, X, loss), k_top=1, k_bottom=1).eigenvalues[-1]  # type: ignore[arg-type]
    assert crit == pytest.approx(2.0 / hess_top, rel=1e-9)
    below = gd(model, X, y, eta=0.98 * crit, steps=400, loss=loss)  # type: ignore[arg-type]
    assert below.loss[-1] < 1e-3 * below.loss[0]
    with pytest.raises(NumericalError, match="diverged"):  # past 1e6 x L0, the default rule
        gd(model, X, y, eta=1.02 * crit, steps=400, loss=loss)  # type: ignore[arg-type]


def test_rsc_probes_match_autograd() -> None:
    """|grad G_bar|² = 1^T K 1 / n² (G_bar the mean prediction) and |cos(grad L, grad G_bar)| from
    the kernel agree with both gradients taken by autograd (at the first and the last state), and
    |grad G_bar|² >= lambda_min(K)/n (Banerjee et al. 2023, §5)."""
    model, (X, y) = pl_model(width=64), pl_data()
    traj = gd(model, X, y, eta=0.05, steps=15, loss="mean", probes=Probes(every=None, kernel=True))
    for record, w in ((traj.probes[0], model.flat_params()), (traj.probes[-1], traj.final_params)):
        w = w.detach().requires_grad_(True)
        (g_bar,) = torch.autograd.grad(model.apply_flat(w, X).mean(), w)
        (g_loss,) = torch.autograd.grad(((model.apply_flat(w, X) - y) ** 2).mean(), w)
        cosine = abs(float(g_bar @ g_loss)) / float(g_bar.norm() * g_loss.norm())
        assert record.mean_grad_sq == pytest.approx(float(g_bar @ g_bar), rel=1e-10)
        assert record.mean_grad_cosine == pytest.approx(cosine, rel=1e-10)
        assert record.lambda_min is not None and record.mean_grad_sq is not None
        assert record.mean_grad_sq >= record.lambda_min / 20
