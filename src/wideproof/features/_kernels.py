r"""Mahalanobis kernels: Laplace, Gaussian (two bandwidth conventions) and quadratic.

With a symmetric matrix :math:`M` and :math:`\|v\|_M^2 = v^\top M v`
(Radhakrishnan et al. 2024, RFM, arXiv 2212.13881; Mallinar et al. 2025, eqs. (4)-(6)):

* Laplace:   :math:`k_M(x,z) = \exp(-\|x-z\|_M / L)`;
* Gaussian:  :math:`k_M(x,z) = \exp(-\|x-z\|_M^2 / L)` (``convention="paper"``, as printed in
  Mallinar et al. 2025, §2) or :math:`\exp(-\|x-z\|_M^2 / (2L^2))` (``convention="code"``, the
  authors' RFM and rfm-grokking code);
* quadratic: :math:`k_M(x,z) = (x^\top M z)^2` (Mallinar et al. 2025, §2).

``M`` is passed as ``None`` (identity), a ``(d,)`` tensor (a diagonal, as in IRKM) or a
``(d, d)`` symmetric tensor.  The distance kernels need :math:`M \succeq 0`; the quadratic kernel
accepts any symmetric ``M`` (Theorem 5.1 of Mallinar et al. uses an indefinite one).

Squared distances are formed as :math:`x^\top Mx + z^\top Mz - 2x^\top Mz`; entries below
``1e-4`` of :math:`x^\top Mx + z^\top Mz` are recomputed from the difference :math:`x-z`, so
identical points have distance exactly 0 and near points keep full relative accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from ..errors import ConfigError
from ._checks import as_points, check_metric, finite_float

__all__ = [
    "GaussianConvention",
    "KernelKind",
    "MahalanobisKernel",
    "apply_metric",
    "gaussian_kernel",
    "laplace_kernel",
    "quadratic_kernel",
]

KernelKind = Literal["laplace", "gaussian", "quadratic"]
GaussianConvention = Literal["paper", "code"]

_NEAR = 1e-4
_CHUNK = 1 << 18


def apply_metric(metric: Tensor, v: Tensor) -> Tensor:
    """Rows of ``v`` multiplied by the symmetric ``M`` (a ``(d,)`` diagonal or ``(d, d)``)."""
    return v * metric if metric.dim() == 1 else v @ metric


def _sq_distances(x: Tensor, z: Tensor, metric: Tensor) -> Tensor:
    r""":math:`\|x_j - z_i\|_M^2` for all pairs, shape ``(m, n)``, non-negative.

    For one point (``m = 1``) from the differences themselves: exact, as cheap as the expansion,
    and free of data-dependent shapes, so ``torch.func.vmap`` can trace a per-point call.
    Otherwise by the Gram expansion (matrix products), with the cancelling near pairs recomputed
    from their differences.
    """
    if x.shape[0] == 1:
        diff = x[:, None, :] - z[None, :, :]
        return (apply_metric(metric, diff) * diff).sum(-1)
    xm = apply_metric(metric, x)
    zm = apply_metric(metric, z)
    xx = (xm * x).sum(1)
    zz = (zm * z).sum(1)
    d2 = xx[:, None] + zz[None, :] - 2.0 * (xm @ z.T)
    near = d2 <= _NEAR * (xx[:, None].abs() + zz[None, :].abs())
    rows, cols = near.nonzero(as_tuple=True)
    for start in range(0, rows.numel(), _CHUNK):
        r, c = rows[start : start + _CHUNK], cols[start : start + _CHUNK]
        diff = x[r] - z[c]
        d2[r, c] = (apply_metric(metric, diff) * diff).sum(1)
    return d2.clamp_min(0.0)


@dataclass(frozen=True)
class MahalanobisKernel:
    r"""One Mahalanobis kernel; build it with :func:`laplace_kernel`, :func:`gaussian_kernel` or
    :func:`quadratic_kernel`.

    Attributes:
        kind: ``"laplace"``, ``"gaussian"`` or ``"quadratic"``.
        bandwidth: ``L`` (``None`` for the quadratic kernel).
        convention: for the Gaussian kernel, ``"paper"`` (:math:`\exp(-r^2/L)`) or ``"code"``
            (:math:`\exp(-r^2/(2L^2))`); ``None`` otherwise.
    """

    kind: KernelKind
    bandwidth: float | None = None
    convention: GaussianConvention | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("laplace", "gaussian", "quadratic"):
            raise ConfigError(f"kind={self.kind!r} must be 'laplace', 'gaussian' or 'quadratic'")
        if self.kind == "quadratic":
            if self.bandwidth is not None or self.convention is not None:
                raise ConfigError("the quadratic kernel takes no bandwidth and no convention")
            return
        finite_float("bandwidth", self.bandwidth, low=0.0, low_open=True)
        if self.kind == "gaussian" and self.convention not in ("paper", "code"):
            raise ConfigError(
                f"convention={self.convention!r}: the Gaussian kernel needs convention='paper' "
                "(exp(-r^2/L)) or 'code' (exp(-r^2/(2 L^2)))"
            )
        if self.kind == "laplace" and self.convention is not None:
            raise ConfigError("the Laplace kernel takes no convention")

    @property
    def is_radial(self) -> bool:
        r"""Whether the kernel depends on :math:`\|x-z\|_M` only (Laplace, Gaussian)."""
        return self.kind != "quadratic"

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (the formula and every parameter)."""
        formula = {
            "laplace": "exp(-||x-z||_M / L)",
            "gaussian": "exp(-||x-z||_M^2 / L)"
            if self.convention == "paper"
            else "exp(-||x-z||_M^2 / (2 L^2))",
            "quadratic": "(x^T M z)^2",
        }[self.kind]
        return {
            "kind": self.kind,
            "bandwidth": self.bandwidth,
            "convention": self.convention,
            "formula": formula,
        }

    def __call__(self, x: Tensor, z: Tensor, metric: Tensor | None = None) -> Tensor:
        """The kernel matrix :math:`[k_M(x_j, z_i)]_{ji}`, shape ``(m, n)``."""
        x = as_points("x", x)
        z = as_points("z", z, x.shape[1])
        if z.dtype != x.dtype or z.device != x.device:
            raise ConfigError("x and z must share dtype and device")
        metric = check_metric(metric, x.shape[1], x, psd=self.is_radial)
        return self.parts(x, z, metric)[0]

    # -- internals shared with the kernel machine and the AGOP ------------------------------
    def parts(self, x: Tensor, z: Tensor, metric: Tensor) -> tuple[Tensor, Tensor]:
        r"""``(K, aux)`` for validated inputs: ``aux`` is the matrix of squared distances
        (distance kernels) or of inner products :math:`x^\top Mz` (quadratic kernel)."""
        if self.kind == "quadratic":
            inner = apply_metric(metric, x) @ z.T
            return inner * inner, inner
        d2 = _sq_distances(x, z, metric)
        if self.kind == "laplace":
            return torch.exp(-d2.sqrt() / self._bw), d2
        return torch.exp(-self.gamma * d2), d2

    @property
    def _bw(self) -> float:
        if self.bandwidth is None:
            raise ConfigError(f"the {self.kind} kernel has no bandwidth")
        return float(self.bandwidth)

    @property
    def gamma(self) -> float:
        r"""For the Gaussian kernel, :math:`\gamma` in :math:`\exp(-\gamma r^2)`."""
        bw = self._bw
        return 1.0 / bw if self.convention == "paper" else 1.0 / (2.0 * bw * bw)

    def grad_weights(self, k: Tensor, aux: Tensor) -> tuple[Tensor | None, Tensor]:
        r"""Weights ``(U, V)`` with :math:`\nabla_x k_M(x_j, z_i) = M(U_{ji} x_j + V_{ji} z_i)`.

        * Laplace: :math:`U = -V = -k/(L\,r)` with :math:`r = \|x_j - z_i\|_M`; pairs at
          :math:`r = 0` get weight 0 (the kernel has a cone there; the convention of the RFM and
          IRKM code, "omit self-kernel derivatives");
        * Gaussian: :math:`U = -V = -2\gamma k`;
        * quadratic: :math:`U = 0` (returned as ``None``), :math:`V = 2\,x_j^\top M z_i`.
        """
        if self.kind == "quadratic":
            return None, 2.0 * aux
        if self.kind == "gaussian":
            u = -2.0 * self.gamma * k
        else:
            r = aux.sqrt()
            u = torch.where(r > 0, -k / (self._bw * torch.where(r > 0, r, 1.0)), 0.0)
        return u, -u


def laplace_kernel(bandwidth: float) -> MahalanobisKernel:
    r""":math:`k_M(x,z) = \exp(-\|x-z\|_M / L)` with ``L = bandwidth``."""
    return MahalanobisKernel("laplace", bandwidth=bandwidth)


def gaussian_kernel(bandwidth: float, *, convention: GaussianConvention) -> MahalanobisKernel:
    r"""The Gaussian Mahalanobis kernel; ``convention`` must be named: ``"paper"`` gives
    :math:`\exp(-\|x-z\|_M^2/L)` (Mallinar et al. 2025 as printed), ``"code"`` gives
    :math:`\exp(-\|x-z\|_M^2/(2L^2))` (the RFM and rfm-grokking code)."""
    return MahalanobisKernel("gaussian", bandwidth=bandwidth, convention=convention)


def quadratic_kernel() -> MahalanobisKernel:
    r""":math:`k_M(x,z) = (x^\top M z)^2`."""
    return MahalanobisKernel("quadratic")
