"""Symmetric eigensolvers with certified residual bounds: Lanczos, power iteration, dense.

**Lanczos with full reorthogonalization.**  After :math:`j` steps from a random unit vector,
:math:`AV_j = V_jT_j + \\beta_j v_{j+1}e_j^T` with :math:`T_j` tridiagonal.  For an eigenpair
:math:`T_js = \\theta s` the Ritz pair :math:`(\\theta, V_js)` has residual
:math:`\\|AV_js - \\theta V_js\\| = \\beta_j|e_j^Ts|`, and for symmetric :math:`A` there is an eigenvalue of
:math:`A` within that residual of :math:`\\theta` (Parlett, *The Symmetric Eigenvalue Problem*,
Thm 4.5.1).  The iteration stops when the wanted extreme Ritz values -- at *both* ends, since a model
Hessian is indefinite -- have residual :math:`\\le` ``tol`` :math:`\\cdot\\max|\\theta|`.  Each vector is
reorthogonalized twice against the whole basis (classical Gram-Schmidt, "twice is enough"), so no
spurious copies of converged eigenvalues appear.  When the basis reaches ``max_basis`` vectors the
iteration restarts from the sum of the wanted Ritz vectors; if ``max_matvecs`` products do not
reach the tolerance a :class:`~wideproof.errors.NumericalError` reports the bound that was reached.

Each reported error bound is the residual plus :math:`10\\,j\\,\\varepsilon\\max|\\theta|` for the rounding of
the residual itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ._operators import LinearOperator

__all__ = ["Spectrum", "dense_spectrum", "lanczos", "power_iteration"]

DEFAULT_BASIS_BYTES = 4 * 2**30
"""Memory allowed for the Lanczos basis before the iteration restarts (4 GiB)."""


@dataclass(frozen=True)
class Spectrum:
    """Extreme eigenvalues of a symmetric operator with a bound on each one's error.

    ``eigenvalues`` are ascending; ``error_bounds[i]`` bounds the distance from
    ``eigenvalues[i]`` to an eigenvalue of the operator.  ``eigenvectors`` (columns, optional)
    match ``eigenvalues``.
    """

    eigenvalues: tuple[float, ...]
    error_bounds: tuple[float, ...]
    matvecs: int
    iterations: int
    converged: bool
    method: str
    eigenvectors: Tensor | None = field(default=None, repr=False, compare=False)

    @property
    def spectral_norm(self) -> tuple[float, float]:
        """:math:`\\max(|\\lambda_{max}|, |\\lambda_{min}|)` and its error bound."""
        lo, hi = self.eigenvalues[0], self.eigenvalues[-1]
        if abs(hi) >= abs(lo):
            return abs(hi), self.error_bounds[-1]
        return abs(lo), self.error_bounds[0]


def _start_vector(n: int, dtype: torch.dtype, device: torch.device, seed: int) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(n, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    return v / v.norm()


def lanczos(
    op: LinearOperator,
    *,
    k_top: int = 1,
    k_bottom: int = 1,
    tol: float = 1e-10,
    max_matvecs: int = 2000,
    max_basis: int | None = None,
    seed: int = 0,
    return_vectors: bool = False,
) -> Spectrum:
    """The ``k_bottom`` smallest and ``k_top`` largest eigenvalues of a symmetric operator."""
    if not op.symmetric:
        raise ConfigError("lanczos needs a symmetric operator")
    if k_top < 0 or k_bottom < 0 or k_top + k_bottom == 0:
        raise ConfigError(f"k_top={k_top}, k_bottom={k_bottom}: ask for at least one eigenvalue")
    if tol <= 0:
        raise ConfigError(f"tol={tol!r} must be positive")
    n = op.size
    k_top, k_bottom = min(k_top, n), min(k_bottom, n)
    itemsize = torch.empty((), dtype=op.dtype).element_size()
    cap = max_basis or max(DEFAULT_BASIS_BYTES // (n * itemsize), 1)
    cap = int(min(max(cap, 2 * (k_top + k_bottom) + 10), n, max_matvecs))
    eps = float(torch.finfo(op.dtype).eps)
    start_matvecs = op.matvecs

    v = _start_vector(n, op.dtype, op.device, seed)
    best: tuple[np.ndarray, np.ndarray, np.ndarray, Tensor, int] | None = None
    iterations = 0
    while True:
        basis = torch.empty(cap, n, dtype=op.dtype, device=op.device)
        alphas: list[float] = []
        betas: list[float] = []
        basis[0] = v
        for j in range(cap):
            w = op.matvec(basis[j])
            iterations += 1
            alpha = float(basis[j] @ w)
            w = w - alpha * basis[j]
            if j > 0:
                w = w - betas[-1] * basis[j - 1]
            for _ in range(2):
                w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
            beta = float(w.norm())
            alphas.append(alpha)
            theta, s = _tridiagonal_eigh(alphas, betas)
            scale = max(abs(theta[0]), abs(theta[-1]), np.finfo(np.float64).tiny)
            residuals = beta * np.abs(s[-1, :])
            wanted = _wanted(len(theta), k_top, k_bottom)
            invariant = beta <= 10 * n * eps * scale
            done = invariant or bool(np.all(residuals[wanted] <= tol * scale))
            best = (theta, s, residuals, basis[: j + 1], j + 1)
            used = op.matvecs - start_matvecs
            if done or used >= max_matvecs or j + 1 == cap:
                break
            betas.append(beta)
            basis[j + 1] = w / beta
        theta, s, residuals, vecs, steps = best
        if done:
            return _result(theta, s, residuals, vecs, wanted, steps, eps, op, start_matvecs,
                           iterations, True, return_vectors)
        if op.matvecs - start_matvecs >= max_matvecs:
            reached = float(np.max(residuals[wanted]) / scale)
            raise NumericalError(
                f"lanczos did not reach tol={tol:g} within max_matvecs={max_matvecs}: "
                f"relative residual bound reached {reached:.3g}"
            )
        # explicit restart from the sum of the wanted Ritz vectors
        v = vecs.T @ torch.as_tensor(s[:, wanted].sum(axis=1), dtype=op.dtype, device=op.device)
        v = v / v.norm()


def _wanted(count: int, k_top: int, k_bottom: int) -> np.ndarray:
    idx = set(range(min(k_bottom, count))) | set(range(max(count - k_top, 0), count))
    return np.array(sorted(idx), dtype=np.int64)


def _tridiagonal_eigh(alphas: list[float], betas: list[float]) -> tuple[np.ndarray, np.ndarray]:
    t = np.diag(np.asarray(alphas))
    if betas:
        off = np.asarray(betas)
        t += np.diag(off, 1) + np.diag(off, -1)
    theta, s = np.linalg.eigh(t)
    return theta, s


def _result(
    theta: np.ndarray,
    s: np.ndarray,
    residuals: np.ndarray,
    vecs: Tensor,
    wanted: np.ndarray,
    steps: int,
    eps: float,
    op: LinearOperator,
    start_matvecs: int,
    iterations: int,
    converged: bool,
    return_vectors: bool,
) -> Spectrum:
    scale = max(abs(theta[0]), abs(theta[-1]))
    slack = 10 * steps * eps * scale
    vectors = None
    if return_vectors:
        coeff = torch.as_tensor(s[:, wanted], dtype=op.dtype, device=op.device)
        vectors = vecs.T @ coeff
    return Spectrum(
        eigenvalues=tuple(float(t) for t in theta[wanted]),
        error_bounds=tuple(float(r + slack) for r in residuals[wanted]),
        matvecs=op.matvecs - start_matvecs,
        iterations=iterations,
        converged=converged,
        method="lanczos",
        eigenvectors=vectors,
    )


def power_iteration(
    op: LinearOperator, *, tol: float = 1e-10, max_matvecs: int = 5000, seed: int = 0
) -> Spectrum:
    """The eigenvalue of largest magnitude by power iteration (for comparison with Lanczos).

    Stops when the residual :math:`\\|Av - \\theta v\\|` of the Rayleigh quotient is
    :math:`\\le` ``tol`` :math:`|\\theta|`; slow when :math:`|\\lambda_{max}|\\approx|\\lambda_{min}|`.
    """
    v = _start_vector(op.size, op.dtype, op.device, seed)
    start = op.matvecs
    av = op.matvec(v)
    for _ in range(max_matvecs):
        theta = float(v @ av)
        resid = float((av - theta * v).norm())
        if resid <= tol * max(abs(theta), np.finfo(np.float64).tiny):
            return Spectrum((theta,), (resid,), op.matvecs - start, op.matvecs - start, True, "power")
        norm = float(av.norm())
        if norm == 0.0:
            return Spectrum((0.0,), (0.0,), op.matvecs - start, op.matvecs - start, True, "power")
        v = av / norm
        av = op.matvec(v)
    raise NumericalError(
        f"power iteration did not reach tol={tol:g} within max_matvecs={max_matvecs}: "
        f"relative residual {resid / max(abs(theta), 1e-300):.3g}"
    )


def dense_spectrum(matrix: Tensor) -> Spectrum:
    """All eigenvalues of a dense symmetric matrix, with the backward-error bound
    :math:`n\\,\\varepsilon\\,\\|A\\|_F` of a stable symmetric eigensolver."""
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError(f"expected a square matrix; got {tuple(matrix.shape)}")
    sym = 0.5 * (matrix + matrix.T)
    values = torch.linalg.eigvalsh(sym)
    eps = float(torch.finfo(matrix.dtype).eps)
    bound = matrix.shape[0] * eps * float(sym.norm()) + float((matrix - sym).norm())
    vals = tuple(float(v) for v in values.cpu())
    return Spectrum(vals, (bound,) * len(vals), matrix.shape[0], 1, True, "dense")
