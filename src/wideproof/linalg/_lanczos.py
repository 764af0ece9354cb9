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
the residual itself (times :math:`\\sqrt n` without reorthogonalization).  In float32 that rounding
term dominates (:math:`4\\cdot10^{-5}` relative after 35 steps, against true errors near
:math:`10^{-7}`); given a ``reference`` operator -- the same matrix in float64 -- each returned Ritz
vector :math:`y` is multiplied once more, in float64, and its bound becomes the a-posteriori
residual :math:`\\|Ay - \\theta y\\|/\\|y\\|` (the same theorem, now with float64 rounding only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ._operators import LinearOperator

__all__ = ["Spectrum", "dense_spectrum", "lanczos", "power_iteration"]

DEFAULT_BASIS_BYTES = 4 * 2**30
"""Memory allowed for the Lanczos basis before the iteration restarts (4 GiB)."""

FULL_REORTH_MAX_SIZE = 2**18
"""Above this many unknowns ``reorthogonalize="auto"`` runs without a stored basis."""


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
    unit: Tensor = v / v.norm()
    return unit


def _given_start(v0: Tensor, op: LinearOperator) -> Tensor:
    if not isinstance(v0, Tensor) or v0.shape != (op.size,) or not bool(torch.isfinite(v0).all()):
        raise ConfigError(f"v0 must be a finite tensor of shape ({op.size},)")
    v = v0.detach().to(dtype=op.dtype, device=op.device)
    if float(v.norm()) == 0.0:
        raise ConfigError("v0 must be non-zero")
    unit: Tensor = v / v.norm()
    return unit


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
    reorthogonalize: Literal["auto", "full", "none"] = "auto",
    reference: LinearOperator | Callable[[], LinearOperator] | None = None,
    v0: Tensor | None = None,
) -> Spectrum:
    r"""The ``k_bottom`` smallest and ``k_top`` largest eigenvalues of a symmetric operator.

    ``reorthogonalize="auto"`` keeps the full basis (reorthogonalizing every new vector against
    it) when eigenvectors or a capped basis are asked for, and up to :data:`FULL_REORTH_MAX_SIZE`
    unknowns unless the basis-free rounding term :math:`10\,j\,\varepsilon\sqrt n\,\max|\theta|`
    (at :math:`j = 100`) is below a tenth of ``tol``; otherwise it runs the plain three-term
    recurrence in :math:`O(n)` memory: loss of orthogonality then only adds spurious copies of converged Ritz
    values, and a Ritz value with a small computed residual is still within that residual (plus
    :math:`O(j\varepsilon\|A\|)`) of an eigenvalue (Paige 1980, *Accuracy and effectiveness of the
    Lanczos algorithm*, Thm 3.1), so the stopping rule and the bounds keep their meaning.

    ``reference``: the same operator in float64 (for an ``op`` in lower precision), or a function
    building it (called only when it is used).  When the basis is kept, each returned eigenvalue's
    bound is then its Ritz vector's residual recomputed with ``reference`` (one float64 product per
    eigenvalue) plus :math:`10\\sqrt n\\,\\varepsilon_{64}\\max|\\theta|`; without a basis the
    working-precision bound stays.

    ``v0``: the start vector (normalized here; default a random one from ``seed``), e.g. a Ritz
    vector of a nearby operator to warm-start a sequence of solves.
    """
    if not op.symmetric:
        raise ConfigError("lanczos needs a symmetric operator")
    if k_top < 0 or k_bottom < 0 or k_top + k_bottom == 0:
        raise ConfigError(f"k_top={k_top}, k_bottom={k_bottom}: ask for at least one eigenvalue")
    if tol <= 0:
        raise ConfigError(f"tol={tol!r} must be positive")
    if reorthogonalize not in ("auto", "full", "none"):
        raise ConfigError(
            f"reorthogonalize={reorthogonalize!r} is not one of 'auto', 'full', 'none'"
        )
    n = op.size
    if isinstance(reference, LinearOperator):
        _check_reference(reference, n)
    eps = float(torch.finfo(op.dtype).eps)
    # Without a basis the bounds carry a rounding term ~10 j eps sqrt(n) (Paige); keep the basis
    # unless that term is negligible at the requested tolerance (j ~ 100 steps) or it would not fit.
    negligible = 10 * 100 * eps * math.sqrt(n) <= 0.1 * tol
    full = reorthogonalize == "full" or (
        reorthogonalize == "auto"
        and (
            return_vectors
            or max_basis is not None
            or (n <= FULL_REORTH_MAX_SIZE and not negligible)
        )
    )
    if return_vectors and not full:
        raise ConfigError("return_vectors needs reorthogonalize='full' (the basis is kept)")
    k_top, k_bottom = min(k_top, n), min(k_bottom, n)
    itemsize = torch.empty((), dtype=op.dtype).element_size()
    if full:
        cap = max_basis or max(DEFAULT_BASIS_BYTES // (n * itemsize), 1)
        cap = int(min(max(cap, 2 * (k_top + k_bottom) + 10), n, max_matvecs))
    else:
        cap = int(min(n, max_matvecs))
    slack_factor = 10 * eps if full else 10 * eps * math.sqrt(n)
    start = op.matvecs
    v = _start_vector(n, op.dtype, op.device, seed) if v0 is None else _given_start(v0, op)
    iterations = 0
    while True:
        run = _run(op, v, cap, full, k_top, k_bottom, tol, max_matvecs - (op.matvecs - start))
        iterations += run.steps
        if run.done:
            spectrum = _result(
                run, slack_factor, op, op.matvecs - start, iterations, return_vectors
            )
            if reference is None or run.basis is None:
                return spectrum
            return _reference_bounds(spectrum, run, reference)
        if op.matvecs - start >= max_matvecs:
            reached = float(np.max(run.residuals[run.wanted]) / run.scale)
            raise NumericalError(
                f"lanczos did not reach tol={tol:g} within max_matvecs={max_matvecs}: "
                f"relative residual bound reached {reached:.3g}"
            )
        # explicit restart from the sum of the wanted Ritz vectors
        assert run.basis is not None  # a capped run only happens with the full basis
        coeff = torch.as_tensor(run.s[:, run.wanted].sum(axis=1), dtype=op.dtype, device=op.device)
        v = run.basis.T @ coeff
        v = v / v.norm()


@dataclass
class _Run:
    theta: np.ndarray
    s: np.ndarray
    residuals: np.ndarray
    wanted: np.ndarray
    scale: float
    basis: Tensor | None
    steps: int
    done: bool


def _run(
    op: LinearOperator,
    v: Tensor,
    cap: int,
    full: bool,
    k_top: int,
    k_bottom: int,
    tol: float,
    budget: int,
) -> _Run:
    """One Lanczos run of at most ``cap`` steps from the unit vector ``v``."""
    n = op.size
    eps = float(torch.finfo(op.dtype).eps)
    basis = torch.empty(cap, n, dtype=op.dtype, device=op.device) if full else None
    alphas: list[float] = []
    betas: list[float] = []
    prev, cur = torch.zeros_like(v), v
    for j in range(cap):
        if basis is not None:
            basis[j] = cur
        w = op.matvec(cur)
        alpha = float(cur @ w)
        w = w - alpha * cur
        if j > 0:
            w = w - betas[-1] * prev
        if basis is not None:
            # classical Gram-Schmidt, repeated only when it removed much ("twice is enough")
            for _ in range(2):
                before = float(w.norm())
                w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
                if float(w.norm()) > 0.7 * before:
                    break
        beta = float(w.norm())
        alphas.append(alpha)
        theta, s = _tridiagonal_eigh(alphas, betas)
        scale = max(abs(theta[0]), abs(theta[-1]), np.finfo(np.float64).tiny)
        residuals = beta * np.abs(s[-1, :])
        wanted = _wanted(len(theta), k_top, k_bottom)
        invariant = beta <= 10 * n * eps * scale
        done = invariant or bool(np.all(residuals[wanted] <= tol * scale))
        if done or j + 1 == cap or j + 1 >= budget:
            kept = None if basis is None else basis[: j + 1]
            return _Run(theta, s, residuals, wanted, scale, kept, j + 1, done)
        betas.append(beta)
        prev, cur = cur, w / beta
    raise AssertionError("unreachable: the loop returns at its last step")


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
    run: _Run,
    slack_factor: float,
    op: LinearOperator,
    matvecs: int,
    iterations: int,
    return_vectors: bool,
) -> Spectrum:
    slack = slack_factor * run.steps * run.scale
    vectors = None
    if return_vectors and run.basis is not None:
        coeff = torch.as_tensor(run.s[:, run.wanted], dtype=op.dtype, device=op.device)
        vectors = run.basis.T @ coeff
    return Spectrum(
        eigenvalues=tuple(float(t) for t in run.theta[run.wanted]),
        error_bounds=tuple(float(r + slack) for r in run.residuals[run.wanted]),
        matvecs=matvecs,
        iterations=iterations,
        converged=True,
        method="lanczos",
        eigenvectors=vectors,
    )


def _check_reference(reference: LinearOperator, n: int) -> None:
    if reference.size != n or reference.dtype != torch.float64:
        raise ConfigError(
            f"reference must be a float64 operator of size {n}; got size {reference.size}, "
            f"dtype {reference.dtype}"
        )


def _reference_bounds(
    spectrum: Spectrum, run: _Run, reference: LinearOperator | Callable[[], LinearOperator]
) -> Spectrum:
    """``spectrum`` with each bound replaced by its Ritz vector's residual under ``reference``."""
    assert run.basis is not None
    if not isinstance(reference, LinearOperator):
        reference = reference()
        _check_reference(reference, run.basis.shape[1])
    eps64 = float(torch.finfo(torch.float64).eps)
    slack = 10 * math.sqrt(reference.size) * eps64 * float(run.scale)
    bounds = []
    for i, theta in zip(run.wanted, spectrum.eigenvalues, strict=True):
        coeff = torch.as_tensor(run.s[:, i], dtype=run.basis.dtype, device=run.basis.device)
        y = (run.basis.T @ coeff).to(torch.float64)
        r = reference.matvec(y) - theta * y
        bounds.append(float(r.norm() / y.norm()) + slack)
    return replace(
        spectrum,
        error_bounds=tuple(bounds),
        matvecs=spectrum.matvecs + len(bounds),
        method=f"{spectrum.method} (float64 residual)",
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
            return Spectrum(
                (theta,), (resid,), op.matvecs - start, op.matvecs - start, True, "power"
            )
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
