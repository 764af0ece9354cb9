"""Trace estimators against the trace of explicit matrices: exactness below the budget, the
measured coverage of the Hutch++ interval, and its advantage over Hutchinson on decaying spectra.

Reference: ``torch.trace`` of matrices :math:`U\\,\\mathrm{diag}(\\lambda)U^T` built here with a
random orthogonal :math:`U` and a chosen spectrum.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wideproof.errors import ConfigError, NumericalError
from wideproof.linalg import LinearOperator, exact_trace, hutchinson, hutchpp

F64 = torch.float64
N = 100
REPLICATIONS = 240


def _operator(matrix: torch.Tensor) -> LinearOperator:
    return LinearOperator(matrix.shape[0], lambda v: matrix @ v, matrix.dtype, matrix.device)


def _matrix(spectrum: str, n: int = N, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))
    i = torch.arange(1, n + 1, dtype=F64)
    lam = {
        "decaying": i**-2.0,
        "indefinite": torch.randn(n, generator=gen, dtype=F64) / i,
        "flat": 1.0 + 0.1 * torch.rand(n, generator=gen, dtype=F64),
    }[spectrum]
    return (u * lam) @ u.T


def test_exact_trace_is_the_sum_of_the_diagonal_within_its_rounding_bound() -> None:
    a = _matrix("indefinite", 30)
    for dtype in (F64, torch.float32):
        est = exact_trace(_operator(a.to(dtype)))
        assert est.exact and est.method == "exact" and est.confidence == 1.0
        assert est.matvecs == 30
        assert est.contains(float(torch.trace(a)))
        assert est.interval[1] - est.interval[0] < (1e-11 if dtype == F64 else 1e-3)


def test_a_budget_of_the_dimension_gives_the_exact_trace() -> None:
    a = _matrix("flat", 12)
    for estimator in (hutchpp, hutchinson):
        est = estimator(_operator(a), 12, seed=0)
        assert est.exact and est.matvecs == 12
        assert abs(est.value - float(torch.trace(a))) < 1e-12


@pytest.mark.parametrize("spectrum", ["decaying", "indefinite", "flat"])
def test_hutchpp_interval_covers_the_trace_at_its_nominal_level(spectrum: str) -> None:
    """Coverage of the 95% interval measured over 240 seeds (30 products: 10 residual samples)."""
    a = _matrix(spectrum)
    trace = float(torch.trace(a))
    hits = 0
    for seed in range(REPLICATIONS):
        est = hutchpp(_operator(a), 30, seed=seed)
        assert not est.exact and est.matvecs == 30 and est.confidence == 0.95
        hits += est.contains(trace)
    assert hits / REPLICATIONS >= 0.90


@pytest.mark.slow
@pytest.mark.parametrize("matvecs", [30, 60])
@pytest.mark.parametrize("spectrum", ["decaying", "indefinite", "flat"])
def test_hutchpp_coverage_over_1000_seeds(spectrum: str, matvecs: int) -> None:
    """The measurement behind the docstring's numbers, with a tighter estimate of the coverage
    (binomial standard error 0.7% at 1000 seeds)."""
    a = _matrix(spectrum)
    trace = float(torch.trace(a))
    hits = sum(hutchpp(_operator(a), matvecs, seed=s).contains(trace) for s in range(1000))
    assert hits / 1000 >= 0.90


def test_hutchpp_beats_hutchinson_at_equal_products_on_a_decaying_spectrum() -> None:
    a = _matrix("decaying")
    trace = float(torch.trace(a))
    errors = {
        name: np.mean([abs(f(_operator(a), 30, seed=s).value - trace) for s in range(60)])
        for name, f in (("hutch++", hutchpp), ("hutchinson", hutchinson))
    }
    assert errors["hutch++"] < 0.25 * errors["hutchinson"]


def test_a_planted_shift_falls_outside_the_interval() -> None:
    """The same estimator on A + 0.05 I (trace off by 5, about 3% of it) must exclude tr A."""
    a = _matrix("flat")
    shifted = a + 0.05 * torch.eye(N, dtype=F64)
    est = hutchpp(_operator(shifted), 30, seed=0)
    assert est.contains(float(torch.trace(shifted)))
    assert not est.contains(float(torch.trace(a)))


def test_the_interval_narrows_with_the_confidence_level() -> None:
    a = _matrix("indefinite")
    wide = hutchpp(_operator(a), 30, seed=3, confidence=0.99)
    narrow = hutchpp(_operator(a), 30, seed=3, confidence=0.5)
    assert wide.value == narrow.value
    assert wide.interval[0] < narrow.interval[0] < narrow.interval[1] < wide.interval[1]


def test_bad_arguments_are_refused() -> None:
    op = _operator(_matrix("flat", 20))
    with pytest.raises(ConfigError, match="at least 6"):
        hutchpp(op, 5, seed=0)
    with pytest.raises(ConfigError, match="at least 2"):
        hutchinson(op, 1, seed=0)
    with pytest.raises(ConfigError, match="confidence"):
        hutchpp(op, 10, seed=0, confidence=1.0)
    with pytest.raises(ConfigError, match="seed"):
        hutchpp(op, 10, seed=-1)
    with pytest.raises(ConfigError, match="float16"):
        exact_trace(LinearOperator(3, lambda v: v, torch.float16, torch.device("cpu")))
    with pytest.raises(NumericalError, match="NaN"):
        hutchpp(LinearOperator(20, lambda v: v * float("nan"), F64, op.device), 10, seed=0)
