r"""Average gradient outer product (AGOP), PSD matrix powers, matrix cosine, NFA correlation.

AGOP of :math:`f:\mathbb R^d\to\mathbb R^c` over points :math:`x^{(1)},\dots,x^{(m)}`
(Mallinar et al. 2025, arXiv 2407.20199, Def. 2.1):

.. math:: G(f) = \frac1m\sum_j J_j J_j^\top,\qquad J_j = \frac{\partial f(x^{(j)})}{\partial x}
          \in\mathbb R^{d\times c},

summed over the ``c`` outputs.  *Centered* (the rfm-grokking code's default): :math:`J_j` replaced
by :math:`J_j - \bar J`, :math:`\bar J = \frac1m\sum_i J_i`, i.e. the gradient covariance.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ._checks import finite_float
from ._kernels import MahalanobisKernel, apply_metric

__all__ = [
    "agop_from_jacobians",
    "kernel_agop",
    "matrix_cosine",
    "nfa_correlation",
    "psd_matrix_power",
]


def agop_from_jacobians(jacobians: Tensor, *, centered: bool = False) -> Tensor:
    r""":math:`G = \frac1m\sum_j J_jJ_j^\top` from per-point Jacobians ``(m, d)`` (one output)
    or ``(m, d, c)`` (transposed Jacobians :math:`\partial f/\partial x\in\mathbb R^{d\times c}`,
    Mallinar et al. 2025, Def. 2.1); with ``centered`` the mean Jacobian is subtracted first."""
    if not isinstance(jacobians, Tensor) or jacobians.dim() not in (2, 3):
        raise ConfigError("jacobians must be a tensor of shape (m, d) or (m, d, c)")
    jac = jacobians if jacobians.dim() == 3 else jacobians.unsqueeze(-1)
    if centered:
        jac = jac - jac.mean(0, keepdim=True)
    flat = jac.transpose(1, 2).reshape(-1, jac.shape[1])
    gram = flat.T @ flat
    # symmetric by construction: a GEMM kernel may round (i, j) and (j, i) differently
    return (gram + gram.T) / (2 * jac.shape[0])


def kernel_agop(
    kernel: MahalanobisKernel,
    x: Tensor,
    centers: Tensor,
    alpha: Tensor,
    metric: Tensor,
    gram: tuple[Tensor, Tensor],
    *,
    centered: bool,
) -> Tensor:
    r"""AGOP of :math:`f(x) = \sum_i \alpha_i k_M(x, z_i)` over the rows of ``x`` in closed
    form, without the ``(m, d, c)`` Jacobian tensor (validated inputs; ``gram = kernel.parts(x,
    centers, metric)``; ``alpha`` of shape ``(n, c)``).

    With :math:`\nabla_x k_M(x_j,z_i) = M(U_{ji}x_j + V_{ji}z_i)` (``MahalanobisKernel.
    grad_weights``), :math:`J_j = MA_j`, :math:`A_j = x_jc_j^\top + Z^\top\mathrm{diag}(V_{j\cdot})
    \alpha`, :math:`C = U\alpha`, and

    .. math:: \sum_j A_jA_j^\top = X^\top\mathrm{diag}(\|c_j\|^2)X + X^\top[(C\alpha^\top)
              \circ V]Z + (\cdot)^\top + Z^\top[(\alpha\alpha^\top)\circ(V^\top V)]Z,

    so the cost is :math:`O(mn^2 + n^2 d)` (the identity behind our pilot
    runs).  Then :math:`G = M(\frac1m\sum_jA_jA_j^\top - \bar A\bar A^\top)M`
    with :math:`\bar A = \frac1m(X^\top C + Z^\top\mathrm{diag}(V^\top\mathbf 1)\alpha)` when
    ``centered`` (else without the mean term).

    Accuracy: summing the products before the cancellation inside each :math:`A_j` gives a
    rounding error of about :math:`\varepsilon\kappa^2\|G\|` with
    :math:`\kappa = \max_j\sum_i|V_{ji}|\|z_i\||\alpha_i| / \|A_j\|`, against
    :math:`\varepsilon\kappa` for ``agop_from_jacobians(machine.jacobian())`` (cost
    :math:`O(mndc)`).  On the RFM tasks both agree to ~1e-13 (tests); with large, cancelling
    coefficients (a nearly singular ridge system) prefer the per-point route."""
    u, v = kernel.grad_weights(*gram)
    m = x.shape[0]
    s = centers.T @ ((alpha @ alpha.T) * (v.T @ v)) @ centers
    mean = centers.T @ (v.sum(0)[:, None] * alpha)
    if u is not None:
        c = u @ alpha
        cross = x.T @ ((c @ alpha.T) * v) @ centers
        s = s + x.T @ ((c * c).sum(1)[:, None] * x) + cross + cross.T
        mean = mean + x.T @ c
    s = s / m
    if centered:
        mean = mean / m
        s = s - mean @ mean.T
    g = apply_metric(metric, apply_metric(metric, s).T)
    return (g + g.T) / 2


def psd_matrix_power(matrix: Tensor, power: float) -> Tensor:
    r""":math:`G^s` of a symmetric PSD matrix through its eigendecomposition
    :math:`G = V\Lambda V^\top`: :math:`V\max(\Lambda,0)^sV^\top`.  Eigenvalues below 0 (rounding;
    the rfm-grokking code takes the real part of ``scipy.linalg.sqrtm``) are clipped to 0;
    eigenvalues below ``-1e-8 * max|eigenvalue|`` mean the matrix is not PSD and raise
    :class:`NumericalError`.  The RFM update :math:`M_{t+1} = G_t^{s}` (Mallinar et al. 2025,
    eq. (6), :math:`s = 1/2`)."""
    power = finite_float("power", power, low=0.0, low_open=True)
    if not isinstance(matrix, Tensor) or matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError("matrix must be a square tensor")
    sym = (matrix + matrix.T) / 2
    evals: Tensor
    evecs: Tensor
    evals, evecs = torch.linalg.eigh(sym)
    top = float(evals.abs().max())
    if float(evals[0]) < -1e-8 * top:
        raise NumericalError(
            f"matrix is not positive semi-definite (eigenvalue {float(evals[0]):.3e}, "
            f"largest |eigenvalue| {top:.3e})"
        )
    scaled = evals.clamp_min(0.0) ** power
    out = (evecs * scaled) @ evecs.T
    return (out + out.T) / 2


def matrix_cosine(a: Tensor, b: Tensor) -> float:
    r""":math:`\rho(A,B) = \langle A,B\rangle_F / (\|A\|_F\|B\|_F)` (the "AGOP alignment" of
    Mallinar et al. 2025, §4, and Zhu et al. 2024, Def. 2); :class:`NumericalError` when either
    matrix is zero."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.shape != b.shape:
        raise ConfigError("a and b must be tensors of the same shape")
    na, nb = float(torch.linalg.norm(a)), float(torch.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        raise NumericalError("matrix cosine of a zero matrix is undefined")
    return float((a * b).sum()) / (na * nb)


def nfa_correlation(
    weight: Tensor,
    agop: Tensor,
    *,
    power: float = 0.5,
    kind: Literal["cosine", "pearson"] = "cosine",
) -> float:
    r"""Neural feature ansatz correlation between the first-layer feature matrix
    :math:`W_1^\top W_1` (``weight`` of shape ``(width, d)``) and :math:`G^{s}`
    (Radhakrishnan et al. 2024, NFA; Mallinar et al. 2025, App. C, :math:`s = 1/2`).

    ``kind="cosine"``: the matrix cosine :func:`matrix_cosine` (the deep_neural_feature_ansatz
    code); ``"pearson"``: the Pearson correlation of the entries (``np.corrcoef`` in the
    rfm-grokking code, i.e. the cosine after subtracting each matrix's mean entry)."""
    if not isinstance(weight, Tensor) or weight.dim() != 2:
        raise ConfigError("weight must be a (width, d) tensor")
    d = weight.shape[1]
    if not isinstance(agop, Tensor) or agop.shape != (d, d):
        raise ConfigError(f"agop must have shape ({d}, {d}) to match weight")
    nfm = weight.T @ weight
    target = psd_matrix_power(agop.to(nfm.dtype), power)
    if kind == "cosine":
        return matrix_cosine(nfm, target)
    if kind == "pearson":
        return matrix_cosine(nfm - nfm.mean(), target - target.mean())
    raise ConfigError(f"kind={kind!r} must be 'cosine' or 'pearson'")
