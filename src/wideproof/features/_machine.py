r"""Kernel machines: exact (ridgeless) and ridge solves, predictions, input gradients, AGOP.

The predictor is :math:`f(x) = \sum_{i=1}^n \alpha_i k_M(x, z_i)` with
:math:`\alpha = (K + \lambda I)^{-1}Y`, :math:`K = [k_M(z_i,z_k)]` (Mallinar et al. 2025,
eq. (4); ridgeless :math:`\lambda = 0` as in their experiments; ridge as in the RFM and IRKM
code).  Its input gradient (checked against autograd in ``tests/test_features_kernels.py``) is

.. math:: \nabla_x f(x) = M\sum_i\big(U_i(x)\,x + V_i(x)\,z_i\big)\alpha_i^\top

with the weights of :meth:`MahalanobisKernel.grad_weights`: for the Laplace kernel
:math:`-\frac1L\sum_i\alpha_i\frac{k(x,z_i)}{\|x-z_i\|_M}M(x-z_i)` (terms at zero distance
dropped), for the Gaussian kernel :math:`-2\gamma\sum_i\alpha_ik(x,z_i)M(x-z_i)`, for the
quadratic kernel :math:`2\sum_i\alpha_i(x^\top Mz_i)Mz_i`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ._agop import kernel_agop
from ._checks import as_points, as_targets, check_metric, finite_float
from ._kernels import MahalanobisKernel, apply_metric

__all__ = [
    "KernelMachine",
    "SolveMethod",
    "fit_kernel_machine",
    "fit_with_gram",
    "solve_kernel_system",
]

SolveMethod = Literal["cholesky", "lu"]


def solve_kernel_system(
    gram: Tensor, targets: Tensor, *, ridge: float = 0.0, method: SolveMethod = "cholesky"
) -> Tensor:
    r""":math:`\alpha = (K + \lambda I)^{-1}Y` for a symmetric ``gram`` ``(n, n)``.

    ``method="cholesky"`` (positive-definite systems, every PSD kernel) or ``"lu"`` (symmetric
    indefinite systems, e.g. the quadratic kernel with an indefinite ``M``).  The system is
    declared singular, with :class:`NumericalError`, when the factorization breaks down or its
    smallest pivot falls below :math:`n\,\varepsilon` times the largest (for Cholesky, pivots
    :math:`L_{ii}^2`, each an upper bound on :math:`\lambda_{\min}`; for LU, :math:`|U_{ii}|`) —
    the usual numerical-rank tolerance.  The remedy is a ridge :math:`\lambda > 0`.
    """
    ridge = finite_float("ridge", ridge, low=0.0)
    if not isinstance(gram, Tensor) or gram.dim() != 2 or gram.shape[0] != gram.shape[1]:
        raise ConfigError("gram must be a square (n, n) tensor")
    n = gram.shape[0]
    if not isinstance(targets, Tensor) or targets.dim() != 2 or targets.shape[0] != n:
        raise ConfigError(f"targets must have shape ({n}, c)")
    system = gram + ridge * torch.eye(n, dtype=gram.dtype, device=gram.device)
    tol = n * torch.finfo(gram.dtype).eps
    hint = f"(ridge={ridge:g}); use a ridge > 0"
    if method == "cholesky":
        chol, info = torch.linalg.cholesky_ex(system)
        if int(info) != 0:
            raise NumericalError(
                f"kernel system is not positive definite: Cholesky failed at column {int(info)} "
                f"{hint}, or method='lu' for an indefinite kernel"
            )
        pivots = torch.diagonal(chol) ** 2
        if float(pivots.min()) <= tol * float(pivots.max()):
            raise NumericalError(
                f"kernel system is singular to working precision: smallest Cholesky pivot "
                f"{float(pivots.min()):.3e} vs largest {float(pivots.max()):.3e} {hint}"
            )
        return torch.cholesky_solve(targets, chol)
    if method == "lu":
        lu, piv, info = torch.linalg.lu_factor_ex(system)
        diag = torch.diagonal(lu).abs()
        if int(info) != 0 or float(diag.min()) <= tol * float(diag.max()):
            raise NumericalError(
                f"kernel system is singular to working precision: smallest LU pivot "
                f"{float(diag.min()):.3e} vs largest {float(diag.max()):.3e} {hint}"
            )
        solution: Tensor = torch.linalg.lu_solve(lu, piv, targets)
        return solution
    raise ConfigError(f"method={method!r} must be 'cholesky' or 'lu'")


@dataclass(frozen=True)
class KernelMachine:
    r"""A fitted kernel predictor :math:`f(x) = k_M(x, Z)\,\alpha`.

    Attributes:
        kernel: the kernel.
        centers: training inputs ``Z`` ``(n, d)``.
        alpha: coefficients ``(n, c)``.
        metric: ``M`` as ``(d,)`` (diagonal) or ``(d, d)``.
        ridge: the ridge used in the solve.
        single_output: whether the targets were given as ``(n,)`` (then predictions are ``(m,)``
            and Jacobians ``(m, d)``; otherwise ``(m, c)`` and ``(m, d, c)``).
    """

    kernel: MahalanobisKernel
    centers: Tensor
    alpha: Tensor
    metric: Tensor
    ridge: float
    single_output: bool

    @property
    def input_dim(self) -> int:
        return int(self.centers.shape[1])

    def _points(self, x: Tensor | None) -> Tensor:
        if x is None:
            return self.centers
        x = as_points("x", x, self.input_dim)
        if x.dtype != self.centers.dtype or x.device != self.centers.device:
            raise ConfigError(f"x must have dtype {self.centers.dtype} on {self.centers.device}")
        return x

    def predict(self, x: Tensor) -> Tensor:
        """:math:`f(x)` for the rows of ``x``: ``(m,)`` or ``(m, c)``."""
        return self.evaluate(self._points(x))

    def evaluate(self, x: Tensor) -> Tensor:
        """:math:`f(x)` at one point ``(d,)`` (a scalar or ``(c,)``) or at rows ``(m, d)``, without
        the argument checks of :meth:`predict`: a pure function of ``x`` that ``torch.func``
        transforms can trace, e.g. ``wideproof.measures.agop(machine.evaluate, X)``."""
        rows = x.unsqueeze(0) if x.dim() == 1 else x
        out = self.kernel.parts(rows, self.centers, self.metric)[0] @ self.alpha
        out = out[:, 0] if self.single_output else out
        return out[0] if x.dim() == 1 else out

    def jacobian(self, x: Tensor | None = None) -> Tensor:
        r"""Input gradients :math:`\partial f(x_j)/\partial x` at the rows of ``x`` (default:
        the training inputs): ``(m, d)`` for one output, else ``(m, d, c)``."""
        x = self._points(x)
        u, v = self.kernel.grad_weights(*self.kernel.parts(x, self.centers, self.metric))
        outs = []
        for col in self.alpha.T:
            a = (v * col) @ self.centers
            if u is not None:
                a = a + (u @ col)[:, None] * x
            outs.append(apply_metric(self.metric, a))
        jac = torch.stack(outs, dim=-1)
        return jac[..., 0] if self.single_output else jac

    def agop(self, x: Tensor | None = None, *, centered: bool = False) -> Tensor:
        r"""AGOP :math:`\frac1m\sum_j\nabla f(x_j)\nabla f(x_j)^\top` over the rows of ``x``
        (default: the training inputs), summed over outputs; ``centered`` subtracts the mean
        gradient (the rfm-grokking code).  Closed form, see :func:`kernel_agop`."""
        x = self._points(x)
        gram = self.kernel.parts(x, self.centers, self.metric)
        return kernel_agop(
            self.kernel, x, self.centers, self.alpha, self.metric, gram, centered=centered
        )


def fit_kernel_machine(
    kernel: MahalanobisKernel,
    x: Tensor,
    y: Tensor,
    metric: Tensor | None = None,
    *,
    ridge: float = 0.0,
    method: SolveMethod = "cholesky",
) -> KernelMachine:
    r"""Fit :math:`f(x) = k_M(x, X)(K + \lambda I)^{-1}Y` on inputs ``x`` ``(n, d)`` and targets
    ``y`` ``(n,)`` or ``(n, c)``; ``ridge = 0`` is the exact interpolant.  Raises
    :class:`NumericalError` if the system is singular (see :func:`solve_kernel_system`)."""
    return fit_with_gram(kernel, x, y, metric, ridge=ridge, method=method)[0]


def fit_with_gram(
    kernel: MahalanobisKernel,
    x: Tensor,
    y: Tensor,
    metric: Tensor | None,
    *,
    ridge: float,
    method: SolveMethod,
) -> tuple[KernelMachine, tuple[Tensor, Tensor]]:
    """:func:`fit_kernel_machine` that also returns ``kernel.parts(x, x, M)`` for reuse."""
    x = as_points("x", x)
    targets = as_targets("y", y, x.shape[0], x)
    m = check_metric(metric, x.shape[1], x, psd=kernel.is_radial)
    gram = kernel.parts(x, x, m)
    alpha = solve_kernel_system(gram[0], targets, ridge=ridge, method=method)
    if not bool(torch.isfinite(alpha).all()):
        raise NumericalError("kernel solve produced NaN or Inf coefficients")
    machine = KernelMachine(kernel, x, alpha, m, float(ridge), y.dim() == 1)
    return machine, gram
