"""Stochastic Lanczos quadrature against dense eigenvalues (``torch.linalg.eigvalsh``) and
closed-form traces of explicit matrices."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch

from wideproof.errors import ConfigError
from wideproof.linalg import LinearOperator, slq

F64 = torch.float64


def _operator(matrix: torch.Tensor, symmetric: bool = True) -> LinearOperator:
    return LinearOperator(
        matrix.shape[0], lambda v: matrix @ v, matrix.dtype, matrix.device, symmetric=symmetric
    )


def _matrix(n: int, seed: int = 0) -> torch.Tensor:
    """Symmetric, indefinite, with a few large eigenvalues above a bulk (a Hessian-like shape)."""
    gen = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))
    lam = torch.randn(n, generator=gen, dtype=F64)
    lam[:3] = torch.tensor([8.0, 5.0, -4.0], dtype=F64)
    return (u * lam) @ u.T


def test_quadrature_is_exact_for_polynomials_of_degree_below_2_steps() -> None:
    """For a diagonal A every Rademacher probe has v^T f(A) v = tr f(A)/n exactly; j steps of
    Gauss quadrature integrate t^k exactly for k <= 2j - 1, and every f once j = n."""
    d = torch.linspace(-2.0, 3.0, 40, dtype=F64) ** 3
    op = _operator(torch.diag(d))
    dn = d.numpy()
    few = slq(op, 6, 3, seed=1)
    for k in range(12):
        assert np.allclose(few.per_probe(lambda t, k=k: t**k), np.mean(dn**k), rtol=1e-10)
    assert not np.allclose(few.per_probe(lambda t: t**12), np.mean(dn**12), rtol=1e-8)
    full = slq(op, 40, 3, seed=1)
    assert np.allclose(full.per_probe(np.exp), np.mean(np.exp(dn)), rtol=1e-11)


def test_with_n_steps_the_nodes_are_the_eigenvalues_and_the_support_contains_them() -> None:
    a = _matrix(50)
    eig = torch.linalg.eigvalsh(a).numpy()
    density = slq(_operator(a), 50, 2, seed=0)
    assert density.matvecs == 100
    for theta, w in zip(density.nodes, density.weights, strict=True):
        assert np.allclose(theta, eig, atol=1e-10)
        assert math.isclose(float(w.sum()), 1.0, rel_tol=1e-12)
    lo, hi = density.support
    assert lo <= eig[0] and eig[-1] <= hi
    assert hi - lo < (eig[-1] - eig[0]) * (1 + 1e-8)


def test_the_support_contains_the_dense_eigenvalues_with_fewer_steps() -> None:
    a = _matrix(300)
    eig = torch.linalg.eigvalsh(a).numpy()
    lo, hi = slq(_operator(a), 40, 2, seed=0).support
    assert lo <= eig[0] and eig[-1] <= hi
    assert lo > eig[0] - 1e-6 and hi < eig[-1] + 1e-6  # converged extremes: a tight support


def test_moments_match_the_trace_of_powers_within_the_probe_error() -> None:
    """tr(A^k)/n for k <= 3 within 4 standard errors of the probe average (20 steps integrate
    degree 39 exactly, so the error is the probes'); the shifted operator A + 0.3 I fails."""
    n = 200
    a = _matrix(n, seed=2)
    exact = [float(torch.trace(torch.linalg.matrix_power(a, k))) / n for k in range(4)]
    density = slq(_operator(a), 20, 30, seed=0)
    moments = density.moments(3)
    assert moments[0] == pytest.approx(1.0, rel=1e-12)
    for k in (1, 2, 3):
        samples = density.per_probe(lambda t, k=k: t**k)
        stderr = samples.std(ddof=1) / math.sqrt(len(samples))
        assert abs(moments[k] - exact[k]) <= 4 * stderr
    shifted = slq(_operator(a + 0.3 * torch.eye(n, dtype=F64)), 20, 30, seed=0)
    first = shifted.per_probe(lambda t: t)
    assert abs(first.mean() - exact[1]) > 4 * first.std(ddof=1) / math.sqrt(len(first))


def test_broadened_density_integrates_to_one_and_plots() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    density = slq(_operator(_matrix(60)), 25, 3, seed=0)
    lo, hi = density.support
    grid = np.linspace(lo - 1.0, hi + 1.0, 4001)
    values = density.evaluate(grid, 0.1)
    assert float(np.sum(values) * (grid[1] - grid[0])) == pytest.approx(1.0, abs=1e-6)
    ax = density.plot(sigma=0.1)
    assert len(ax.lines) == 1
    plt.close(ax.figure)


def test_plot_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    density = slq(_operator(_matrix(10)), 5, 1, seed=0)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ConfigError, match=r"wideproof\[plot\]"):
        density.plot()


def test_bad_arguments_are_refused() -> None:
    a = _matrix(10)
    with pytest.raises(ConfigError, match="symmetric"):
        slq(_operator(a, symmetric=False), 5, 1, seed=0)
    with pytest.raises(ConfigError, match="steps"):
        slq(_operator(a), 0, 1, seed=0)
    density = slq(_operator(a), 5, 2, seed=0)
    with pytest.raises(ConfigError, match="elementwise"):
        density.per_probe(lambda t: t.sum())
    with pytest.raises(ConfigError, match="sigma"):
        density.evaluate([0.0], 0.0)
