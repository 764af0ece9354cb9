"""Spectral density of a symmetric operator by stochastic Lanczos quadrature (SLQ).

For a unit start vector :math:`v`, :math:`j` Lanczos steps give :math:`T_j = S\\,\\mathrm{diag}(\\theta)S^T`,
and :math:`\\sum_i w_i f(\\theta_i)` with :math:`w_i = (e_1^Ts_i)^2` is the :math:`j`-point Gauss
quadrature of :math:`v^Tf(A)v = \\int f\\,d\\mu_v` (Golub & Meurant 2010, *Matrices, Moments and
Quadrature*, Thm 6.2): exact for polynomials of degree :math:`\\le 2j-1`, and for every :math:`f`
once the Krylov space is invariant (at the latest :math:`j = n`).  With :math:`v = z/\\sqrt n` for
a Rademacher :math:`z`, :math:`\\mathbb E[v^Tf(A)v] = \\operatorname{tr}f(A)/n`, so averaging over
probes estimates the spectral density :math:`\\frac1n\\sum_k\\delta_{\\lambda_k}` (Lin, Saad & Yang
2016, SIAM Rev. 58(1), §3.2; Ubaru, Chen & Saad 2017, SIAM J. Matrix Anal. Appl. 38(4), eq. (2.6)
and Thm 4.1 for the number of probes and steps).

Every new Lanczos vector is reorthogonalized against the whole basis: without it, converged
eigenvalues reappear as spurious nodes and the weights double-count them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._validate import positive_float, positive_int
from .._validate import seed as check_seed
from ..errors import ConfigError, NumericalError
from ._lanczos import _orthogonalize, _tridiagonal_eigh, check_solver_operator
from ._operators import LinearOperator
from ._trace import ROUNDING

__all__ = ["SpectralDensity", "slq"]

DENSITY_STREAM = 0x534C5121
"""Tag mixed into the seed of the probes."""


@dataclass(frozen=True)
class SpectralDensity:
    """The SLQ estimate of the spectral density of an operator of dimension ``size``.

    Attributes:
        nodes: per probe, the Ritz values :math:`\\theta` (ascending).
        weights: per probe, the Gauss weights :math:`(e_1^Ts_i)^2` (summing to 1).
        support: ``(low, high)``: the smallest and largest Ritz value over the probes, each widened
            by its residual :math:`\\beta_j|e_j^Ts_i|` plus a rounding allowance.  Guaranteed: each
            end lies within that width of an eigenvalue (Parlett 1998, Thm 4.5.1; the recurrence's
            residual equals the true one up to rounding because the basis is kept orthonormal), and
            no Ritz value lies outside :math:`[\\lambda_{min}, \\lambda_{max}]`.  *Not*
            guaranteed: that no eigenvalue lies outside the support -- that holds when the
            extreme Ritz values have converged to the extreme eigenvalues, which no residual can
            prove (a probe nearly orthogonal to an extreme eigenvector hides it).
        size: the dimension :math:`n`.
        matvecs: the products spent.
    """

    nodes: tuple[np.ndarray, ...] = field(repr=False, compare=False)
    weights: tuple[np.ndarray, ...] = field(repr=False, compare=False)
    support: tuple[float, float]
    size: int
    matvecs: int

    def per_probe(self, f: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """:math:`\\sum_i w_i f(\\theta_i)` for each probe: i.i.d. estimates of
        :math:`\\operatorname{tr}f(A)/n` (their spread gives a standard error).  ``f`` acts
        elementwise on an array of nodes."""
        values = []
        for theta, w in zip(self.nodes, self.weights, strict=True):
            fx = np.asarray(f(theta), dtype=np.float64)
            if fx.shape != theta.shape:
                raise ConfigError(f"f must act elementwise: got shape {fx.shape} for {theta.shape}")
            values.append(float(w @ fx))
        out = np.array(values)
        if not np.isfinite(out).all():
            raise NumericalError("f is not finite at the quadrature nodes")
        return out

    def expect(self, f: Callable[[np.ndarray], np.ndarray]) -> float:
        """The estimate of :math:`\\operatorname{tr}f(A)/n`: the mean of :meth:`per_probe`."""
        return float(self.per_probe(f).mean())

    def moments(self, k: int) -> np.ndarray:
        """Estimates of :math:`\\operatorname{tr}(A^j)/n` for :math:`j = 0, \\dots, k`."""
        positive_int("k", k)
        return np.array([self.expect(_power(j)) for j in range(k + 1)])

    def evaluate(self, grid: Any, sigma: float) -> np.ndarray:
        """The density broadened by a Gaussian of width ``sigma`` on ``grid``:
        :math:`\\frac1P\\sum_p\\sum_i w_{p,i}\\,\\varphi_\\sigma(t - \\theta_{p,i})` (it integrates
        to 1 over the real line)."""
        positive_float("sigma", sigma)
        t = np.asarray(grid, dtype=np.float64)
        if not np.isfinite(t).all():
            raise ConfigError("grid must be finite")
        total = np.zeros_like(t)
        for theta, w in zip(self.nodes, self.weights, strict=True):
            z = (t[..., None] - theta) / sigma
            total += (np.exp(-0.5 * z * z) * w).sum(axis=-1)
        out: np.ndarray = total / (len(self.nodes) * sigma * math.sqrt(2.0 * math.pi))
        return out

    def plot(self, ax: Any = None, *, sigma: float | None = None, points: int = 400) -> Any:
        """Draw :meth:`evaluate` over the support (widened by ``4 sigma``) on a matplotlib
        ``ax`` (a new figure's when ``None``); return the axes.  ``sigma`` defaults to 1% of the
        support's width.  Needs the ``[plot]`` extra (matplotlib)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ConfigError(
                "plotting a spectral density needs matplotlib: pip install 'wideproof[plot]'"
            ) from None
        positive_int("points", points)
        lo, hi = self.support
        width = sigma if sigma is not None else 0.01 * max(hi - lo, abs(hi), 1e-300)
        grid = np.linspace(lo - 4 * width, hi + 4 * width, points)
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(grid, self.evaluate(grid, width))
        ax.set_xlabel("eigenvalue")
        ax.set_ylabel(f"density (Gaussian broadening {width:.2g})")
        return ax


def _power(j: int) -> Callable[[np.ndarray], np.ndarray]:
    def f(t: np.ndarray) -> np.ndarray:
        out: np.ndarray = t**j
        return out

    return f


def slq(op: LinearOperator, steps: int, probes: int, *, seed: int) -> SpectralDensity:
    """Stochastic Lanczos quadrature with ``probes`` Rademacher start vectors and at most
    ``steps`` Lanczos steps each (fewer when the Krylov space becomes invariant; never more than
    ``op.size``, where the quadrature is exact), with full reorthogonalization (module docstring).
    """
    check_solver_operator(op)
    positive_int("steps", steps)
    positive_int("probes", probes)
    check_seed("seed", seed)
    rng = np.random.default_rng([seed, DENSITY_STREAM])
    start = op.matvecs
    nodes, weights, lows, highs = [], [], [], []
    for _ in range(probes):
        z = 2.0 * rng.integers(0, 2, size=op.size) - 1.0
        v = torch.as_tensor(z / math.sqrt(op.size)).to(dtype=op.dtype, device=op.device)
        theta, s, beta = _lanczos_quadrature(op, v, min(steps, op.size))
        # the rounding allowance of the certificate, ROUNDING * sqrt(n) * eps * max|theta|
        slack = ROUNDING * math.sqrt(op.size) * float(torch.finfo(op.dtype).eps)
        slack *= float(np.abs(theta).max())
        nodes.append(theta)
        weights.append(s[0, :] ** 2)
        lows.append(theta[0] - beta * abs(s[-1, 0]) - slack)
        highs.append(theta[-1] + beta * abs(s[-1, -1]) + slack)
    return SpectralDensity(
        tuple(nodes), tuple(weights), (min(lows), max(highs)), op.size, op.matvecs - start
    )


def _lanczos_quadrature(
    op: LinearOperator, v: torch.Tensor, steps: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Ritz values, eigenvectors of :math:`T` and the last :math:`\\beta` of at most ``steps``
    reorthogonalized Lanczos steps from the unit vector ``v``; stops early (with
    :math:`\\beta = 0`) when the Krylov space is invariant to working precision."""
    basis = torch.empty(steps, op.size, dtype=op.dtype, device=op.device)
    alphas: list[float] = []
    betas: list[float] = []
    floor = 4 * float(torch.finfo(op.dtype).eps)
    prev, cur = torch.zeros_like(v), v
    for j in range(steps):
        basis[j] = cur
        w = op.matvec(cur)
        alpha = float(cur @ w)
        w = w - alpha * cur - (betas[-1] * prev if betas else 0.0)
        w = _orthogonalize(w, basis[: j + 1], None)
        beta = float(w.norm())
        if not (math.isfinite(alpha) and math.isfinite(beta)):
            raise NumericalError(f"the operator returned NaN or Inf at Lanczos step {j + 1}")
        alphas.append(alpha)
        scale = max(max(abs(a) for a in alphas), max(betas, default=0.0), beta)
        if beta <= floor * scale or j + 1 == op.size:
            beta = 0.0  # invariant Krylov space: the quadrature is exact
            break
        if j + 1 < steps:
            betas.append(beta)
            prev, cur = cur, w / beta
    theta, s = _tridiagonal_eigh(alphas, betas)
    return theta, s, beta
