r"""Iteratively reweighted kernel machines (Zhu, Davis, Drusvyatskiy, Fazel 2025, arXiv 2505.08277,
Alg. 1, following the authors' public demo code).

.. code-block:: text

    M_0 = I  (w_0 = 1_d in the diagonal variant)
    for t = 1..T:
        draw n fresh samples (x_i, y_i)                          # resampling each iteration
        f_t  = kernel ridge regression with k_{M_{t-1}}          # ridge ~1e-8, near interpolation
        G_t  = (1/n) sum_i grad f_t(x_i) grad f_t(x_i)^T         # gradient w.r.t. the ORIGINAL x
        M_t  = d (G_t + (s/d) I) / tr(G_t + (s/d) I)             # safeguard s, then trace = d

In the diagonal variant (the demo's default) only :math:`\mathrm{diag}(G_t)` is kept, so
:math:`w_t = d(\hat w + s/d)/\sum_k(\hat w_k + s/d)` with
:math:`\hat w_k = \frac1n\sum_i(\partial_kf_t(x_i))^2`.  With :math:`M = \mathrm{diag}(w)` the
Mahalanobis kernel is :math:`k(\sqrt w\odot x, \sqrt w\odot z)`.  The safeguard and the
normalization are the demo code's; the paper's exact form is not public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from ..errors import ConfigError
from ._agop import agop_from_jacobians
from ._checks import finite_float, nonneg_int, positive_int
from ._kernels import MahalanobisKernel
from ._machine import fit_kernel_machine
from ._tasks import Task

__all__ = ["IRKMIteration", "IRKMResult", "irkm"]


@dataclass(frozen=True)
class IRKMIteration:
    r"""One IRKM iteration ``t`` (1-based).

    Attributes:
        iteration: ``t``.
        metric_in: :math:`M_{t-1}` used by the fit (``(d,)`` diagonal or ``(d, d)``).
        metric_out: :math:`M_t` after safeguard and normalization (trace ``d``).
        agop: the raw :math:`G_t` (its diagonal :math:`\hat w` in the diagonal variant).
        train_mse, test_mse: errors of :math:`f_t`.
    """

    iteration: int
    metric_in: Tensor
    metric_out: Tensor
    agop: Tensor
    train_mse: float
    test_mse: float

    @property
    def weights(self) -> Tensor:
        r"""The coordinate weights :math:`\mathrm{diag}(M_t)`."""
        return self.metric_out if self.metric_out.dim() == 1 else torch.diagonal(self.metric_out)

    def top(self, k: int) -> frozenset[int]:
        """The ``k`` coordinates (0-based) with the largest weights in :math:`M_t`."""
        positive_int("k", k)
        return frozenset(int(i) for i in torch.topk(self.weights, k).indices)

    def mass_fraction(self, coordinates: Sequence[int]) -> float:
        r""":math:`\sum_{j\in S} w_j / \sum_j w_j` for ``S = coordinates``."""
        w = self.weights
        return float(w[list(coordinates)].sum() / w.sum())


@dataclass(frozen=True)
class IRKMResult:
    """The IRKM run: settings and one :class:`IRKMIteration` per iteration."""

    kernel: MahalanobisKernel
    n_per_iteration: int
    ridge: float
    safeguard: float
    variant: Literal["diagonal", "full"]
    resample: bool
    seed: int
    history: tuple[IRKMIteration, ...]

    def settings(self) -> dict[str, Any]:
        """JSON-ready settings of the run."""
        return {
            "kernel": self.kernel.describe(),
            "n_per_iteration": self.n_per_iteration,
            "ridge": self.ridge,
            "safeguard": self.safeguard,
            "variant": self.variant,
            "resample": self.resample,
            "seed": self.seed,
            "iterations": len(self.history),
        }

    def test_mse(self) -> list[float]:
        """Test MSE per iteration."""
        return [it.test_mse for it in self.history]


def irkm(
    task: Task,
    *,
    kernel: MahalanobisKernel,
    n_per_iteration: int,
    iterations: int,
    ridge: float = 1e-8,
    safeguard: float = 1e-2,
    n_test: int = 5000,
    seed: int = 0,
    resample: bool = True,
    variant: Literal["diagonal", "full"] = "diagonal",
    device: str | torch.device = "cpu",
) -> IRKMResult:
    """Run IRKM (module docstring) on ``task`` (anything with ``input_dim`` and
    ``sample(n, generator)``, e.g. :class:`SparsePolynomial`, :class:`MultiIndexTask`).

    One CPU generator seeded by ``seed`` draws the fixed test set (``n_test`` points) first, then
    ``n_per_iteration`` fresh training points per iteration (only once when ``resample`` is
    false).  Computation in float64 on ``device``."""
    positive_int("n_per_iteration", n_per_iteration)
    positive_int("iterations", iterations)
    positive_int("n_test", n_test)
    nonneg_int("seed", seed)
    ridge = finite_float("ridge", ridge, low=0.0)
    safeguard = finite_float("safeguard", safeguard, low=0.0, low_open=True)
    if variant not in ("diagonal", "full"):
        raise ConfigError(f"variant={variant!r} must be 'diagonal' or 'full'")
    d = task.input_dim
    gen = torch.Generator().manual_seed(seed)

    def draw(n: int) -> tuple[Tensor, Tensor]:
        xs, ys = task.sample(n, gen)
        return xs.to(device), ys.to(device)

    x_test, y_test = draw(n_test)
    metric = torch.ones(d, dtype=torch.float64, device=device)
    if variant == "full":
        metric = torch.diag(metric)
    x, y = draw(n_per_iteration)
    history = []
    for t in range(1, iterations + 1):
        if resample and t > 1:
            x, y = draw(n_per_iteration)
        machine = fit_kernel_machine(kernel, x, y, metric, ridge=ridge)
        train_mse = float(((machine.predict(x) - y) ** 2).mean())
        test_mse = float(((machine.predict(x_test) - y_test) ** 2).mean())
        jac = machine.jacobian(x)
        if variant == "diagonal":
            agop = (jac * jac).mean(0)
            guarded = agop + safeguard / d
        else:
            agop = agop_from_jacobians(jac)
            guarded = agop + (safeguard / d) * torch.eye(d, dtype=agop.dtype, device=agop.device)
        new_metric = d * guarded / (guarded.sum() if variant == "diagonal" else guarded.trace())
        history.append(IRKMIteration(t, metric, new_metric, agop, train_mse, test_mse))
        metric = new_metric
    return IRKMResult(
        kernel, n_per_iteration, ridge, safeguard, variant, resample, seed, tuple(history)
    )
