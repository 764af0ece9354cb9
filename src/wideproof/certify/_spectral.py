"""Certified spectral norms of symmetric matrices, and of a small model's Hessian.

A-posteriori certificate.  Let :math:`X` be approximate eigenvectors
of the symmetric :math:`A` (float64 ``eigh``, taken exactly) and, in ball arithmetic,

.. math::
    M = X^T A X,\\qquad F = X^T X - I,\\qquad e \\ge \\|F\\|_F,\\qquad
    r \\ge \\|M - \\mathrm{diag}(M)\\|_F .

*Weyl* (Horn & Johnson, *Matrix Analysis*, 2nd ed., §4.3): each eigenvalue of :math:`M` lies
within :math:`\\|M-\\mathrm{diag} M\\|_2 \\le r` of the same-rank eigenvalue of
:math:`\\mathrm{diag}(M)`, so :math:`\\lambda_{\\max}(M)\\in[\\max_i M_{ii} - r, \\max_i M_{ii}+r]`
and likewise for :math:`\\lambda_{\\min}`.  *Ostrowski* (ibid., §4.5):
:math:`\\lambda_k(X^TAX) = \\theta_k\\lambda_k(A)` with
:math:`\\theta_k\\in[\\sigma_{\\min}(X)^2, \\sigma_{\\max}(X)^2]\\subset[1-e, 1+e]` (needs
:math:`e<1`), hence :math:`\\lambda_k(A) \\in \\lambda_k(M) / [1-e, 1+e]`, a ball division.  Finally
:math:`\\|A\\|_2 = \\max(|\\lambda_{\\max}(A)|, |\\lambda_{\\min}(A)|)`.  Every step is a ball
operation, so the result holds for every matrix inside the entry balls of :math:`A`; no
eigenvalue separation is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

import flint
import numpy as np
import torch
from flint import arb, arb_mat
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ..families import Model
from ._enclosure import Enclosure, enclosure_of
from ._forward import model_jet
from ._scalar import ARB

__all__ = ["certified_hessian_norm", "certified_spectral_norm"]


def certified_spectral_norm(matrix: Tensor | np.ndarray, *, prec: int = 128) -> Enclosure:
    """A rigorous enclosure of :math:`\\|A\\|_2` for a symmetric float matrix (entries exact).

    ``float64_value`` is :math:`\\max|\\lambda_i|` from float64 ``numpy.linalg.eigh``.
    """
    a = _as_array(matrix)
    if not np.array_equal(a, a.T):
        raise ConfigError("matrix must be exactly symmetric (its entries are taken as exact)")
    _check_prec(prec)
    with flint.ctx.workprec(prec):
        return _norm_enclosure(arb_mat(a.tolist()), a, "weyl-ostrowski(arb)")


def certified_hessian_norm(
    model: Model, x: Tensor, *, prec: int = 128, output_index: int = 0
) -> Enclosure:
    """A rigorous enclosure of :math:`\\|\\nabla_w^2 f(w;x)\\|_2` (at most 500 parameters).

    The Hessian entries are balls from jet arithmetic over ``arb`` at ``prec`` bits (the family's
    formula with the weights and ``x`` taken exactly), so the enclosure covers the Hessian's own
    rounding; the approximate eigenvectors come from float64 ``eigh`` of the torch autograd
    Hessian, whose spectral norm is reported as ``float64_value``.
    """
    _check_prec(prec)
    with flint.ctx.workprec(prec):
        jet = model_jet(model, x, ARB, output_index)
        n = model.num_params
        hess = arb_mat(n, n)
        for (i, j), v in jet.hess.items():
            hess[i, j] = v
            hess[j, i] = v
        return _norm_enclosure(
            hess, _torch_hessian(model, x, output_index), "jet+weyl-ostrowski(arb)"
        )


def _norm_enclosure(a: arb_mat, approx: np.ndarray, method: str) -> Enclosure:
    evals, vecs = np.linalg.eigh(approx)
    lam_min, lam_max = _extreme_eigenvalues(a, vecs)
    lo = lam_max.abs_lower().max(lam_min.abs_lower())
    hi = lam_max.abs_upper().max(lam_min.abs_upper())
    return enclosure_of(lo.union(hi), float(np.abs(evals).max()), method)


def _extreme_eigenvalues(a: arb_mat, vecs: np.ndarray) -> tuple[arb, arb]:
    """Balls containing :math:`\\lambda_{\\min}(A)` and :math:`\\lambda_{\\max}(A)` (see module)."""
    n = a.nrows()
    x = arb_mat(vecs.tolist())
    xt = x.transpose()
    m = xt * a * x
    f = xt * x
    e = _frobenius_upper(f[i, j] - (1 if i == j else 0) for i in range(n) for j in range(n))
    if not e < 1:
        raise NumericalError(
            f"approximate eigenvectors are not near-orthonormal (||X^T X - I||_F <= {e})"
        )
    r = _frobenius_upper(m[i, j] for i in range(n) for j in range(n) if i != j)
    diag = [m[i, i] for i in range(n)]
    theta = arb(1, e)
    spread = arb(0, r)
    lam_max = (reduce(arb.max, diag) + spread) / theta
    lam_min = (reduce(arb.min, diag) + spread) / theta
    return lam_min, lam_max


def _frobenius_upper(entries: Iterable[arb]) -> arb:
    """An exact upper bound on :math:`(\\sum |a_k|^2)^{1/2}` of a stream of balls."""
    total = arb(0)
    for v in entries:
        u = v.abs_upper()
        total += u * u
    return total.sqrt().upper()


def _torch_hessian(model: Model, x: Tensor, output_index: int) -> np.ndarray:
    w = model.flat_params().detach().to("cpu", torch.float64)
    xx = x.detach().to("cpu", torch.float64)
    cpu = model.with_params(
        {k: v.detach().to("cpu", torch.float64) for k, v in model.params.items()}
    )

    def f(flat: Tensor) -> Tensor:
        out = cpu.apply_flat(flat, xx)
        return out if out.dim() == 0 else out[output_index]

    h = _as_array(torch.func.hessian(f)(w))
    sym: np.ndarray = (h + h.T) / 2  # autograd Hessians are symmetric only up to rounding
    return sym


def _as_array(matrix: Tensor | np.ndarray) -> np.ndarray:
    if isinstance(matrix, Tensor):
        a = matrix.detach().to("cpu", torch.float64).numpy()
    else:
        a = np.asarray(matrix, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ConfigError(f"matrix must be square; got shape {a.shape}")
    if not np.isfinite(a).all():
        raise NumericalError("matrix has NaN or Inf entries")
    return a


def _check_prec(prec: int) -> None:
    if not isinstance(prec, int) or isinstance(prec, bool) or prec < 53:
        raise ConfigError(f"prec={prec!r} must be an int >= 53 (bits)")
