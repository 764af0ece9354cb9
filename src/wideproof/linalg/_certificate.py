"""A-posteriori certificate for approximate eigenpairs of a symmetric operator.

Given vectors :math:`Y` (columns) that approximate eigenvectors of a symmetric :math:`A`, the
certificate orthonormalizes them in float64 (:math:`Q`), takes :math:`|Y|` *fresh* products
:math:`W = AQ`, and performs Rayleigh-Ritz on :math:`\\mathrm{span}(Q)`: :math:`H = Q^TW`,
:math:`H S = S\\,\\mathrm{diag}(\\mu)`, Ritz vectors :math:`Z = QS` and residuals
:math:`R = WS - Z\\,\\mathrm{diag}(\\mu)`.  Two theorems turn residuals into error bounds:

* an isolated Ritz value :math:`\\mu_i` is within :math:`\\|r_i\\|` of an eigenvalue of :math:`A`
  (Parlett, *The Symmetric Eigenvalue Problem*, 1998, Thm 4.5.1);
* for a cluster :math:`C` of Ritz values whose intervals overlap, Kahan's theorem (Parlett 1998,
  Thm 11.5.1) pairs the :math:`|C|` values with :math:`|C|` *distinct* eigenvalues of :math:`A`,
  each within :math:`\\|R_C\\|_2`.

Clusters are merged until the intervals of different clusters are disjoint, so the returned values
are matched with pairwise distinct eigenvalues: a duplicated ("ghost") copy of one eigenvalue
cannot be certified -- it either gets a bound wide enough to cover a second eigenvalue or the
vectors are refused as linearly dependent.  The certificate does not prove that no eigenvalue
*outside* the returned set lies beyond it (no matrix-free method can); see
:func:`wideproof.linalg.lanczos` for the deflation probe that looks for one.

**Why no quadratic (gap) bound.** For an isolated eigenvalue the Kato-Temple inequality (Kato 1949,
*On the upper and lower bounds of eigenvalues*, J. Phys. Soc. Japan 4) gives the much smaller
:math:`|\\lambda - \\mu| \\le \\|r\\|^2/\\delta`, *provided* :math:`\\delta` bounds the distance
from :math:`\\mu` to every other eigenvalue from below. Matrix-free, :math:`\\delta` can only be
read off the other Ritz values (:math:`\\delta \\ge \\mu_1 - (\\mu_2 + \\|r_2\\|)`), and that
reading is wrong whenever an eigenvalue lies closer to :math:`\\mu_1` than the Krylov space has
resolved -- a run then stops on a mixture of two eigenvectors whose residual is small -- which is
not a probability-zero event like a missed eigenvalue but the generic outcome for close pairs
(``benchmarks/side_experiments.py gap``: on a top pair :math:`1, 1-g`, stopping when the gap bound
reached :math:`10^{-6}` left true errors up to 1.4x (:math:`g = 10^{-2}`), 14x (:math:`10^{-3}`)
and 271x (:math:`10^{-4}`) that bound). The residual bounds used here hold for such mixtures as
they stand (the value is within :math:`\\|r\\|` of an eigenvalue of the pair), so they are kept.

Every bound carries a rounding allowance :math:`10\\sqrt n\\,\\varepsilon\\max|\\mu|` for the
products (:math:`\\varepsilon` of the precision they are taken in) and the deviation of :math:`Q`
from orthonormality.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ..errors import NumericalError

__all__ = ["Certificate", "certify_pairs"]

DEPENDENT = 1e-3
"""Smallest singular value of the normalized candidate vectors below which they are refused."""


@dataclass(frozen=True)
class Certificate:
    """Rayleigh-Ritz values (ascending), their bounds, and the float64 Ritz vectors (columns)."""

    values: tuple[float, ...]
    bounds: tuple[float, ...]
    vectors: Tensor
    products: int


def certify_pairs(
    matvec: Callable[[Tensor], Tensor], vectors: Tensor, dtype: torch.dtype
) -> Certificate:
    """Certify approximate eigenvectors ``vectors`` (columns) of the operator ``matvec``.

    ``matvec`` acts on vectors of ``dtype`` (the precision of the products, whose rounding the
    allowance covers); the arithmetic around it is float64.  Raises :class:`NumericalError` when
    the vectors are nearly dependent (a ghost copy) or a product is not finite.
    """
    y = vectors.to(torch.float64)
    y = y / y.norm(dim=0, keepdim=True)
    sigma = torch.linalg.svdvals(y)
    if float(sigma[-1]) < DEPENDENT:
        raise NumericalError(
            f"the {y.shape[1]} Ritz vectors are linearly dependent (smallest singular value "
            f"{float(sigma[-1]):.2g}): an eigenvalue was found twice"
        )
    q, _ = torch.linalg.qr(y)
    w = torch.stack([matvec(q[:, i].to(dtype)).to(torch.float64) for i in range(q.shape[1])], 1)
    if not bool(torch.isfinite(w).all()):
        raise NumericalError("the operator returned NaN or Inf while certifying the eigenvalues")
    h = q.T @ w
    mu, s = torch.linalg.eigh(0.5 * (h + h.T))
    z = q @ s
    r = w @ s - z * mu
    n = q.shape[0]
    scale = float(mu.abs().max())
    eta = float(
        torch.linalg.matrix_norm(
            q.T @ q - torch.eye(q.shape[1], dtype=q.dtype, device=q.device), ord=2
        )
    )
    slack = 10 * math.sqrt(n) * float(torch.finfo(dtype).eps) * scale + 2 * eta * scale
    bounds = _cluster_bounds(mu.tolist(), r)
    return Certificate(
        values=tuple(float(m) for m in mu),
        bounds=tuple(b + slack for b in bounds),
        vectors=z,
        products=q.shape[1],
    )


def _cluster_bounds(mu: list[float], r: Tensor) -> list[float]:
    """Per-value bounds: :math:`\\|r_i\\|` for isolated values, :math:`\\|R_C\\|_2` over a cluster
    of overlapping intervals, merging clusters until their intervals are disjoint."""
    clusters = [[i] for i in range(len(mu))]
    while True:
        bound = [_block_norm(r, c) for c in clusters]
        for k in range(len(clusters) - 1):
            if mu[clusters[k][-1]] + bound[k] >= mu[clusters[k + 1][0]] - bound[k + 1]:
                clusters[k : k + 2] = [clusters[k] + clusters[k + 1]]
                break
        else:
            return [b for c, b in zip(clusters, bound, strict=True) for _ in c]


def _block_norm(r: Tensor, cluster: list[int]) -> float:
    return float(torch.linalg.matrix_norm(r[:, cluster], ord=2))
