"""The a-posteriori certificate and the Lanczos safeguards on operators with a known spectrum.

Oracle: diagonal operators, whose eigenvalues are their entries (no computation to trust).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wideproof.errors import NumericalError
from wideproof.linalg import LinearOperator, _lanczos, lanczos
from wideproof.linalg._certificate import certify_pairs

F64 = torch.float64


def _diagonal(entries: list[float]) -> LinearOperator:
    d = torch.tensor(entries, dtype=F64)
    return LinearOperator(len(entries), lambda v: d * v, F64, torch.device("cpu"))


def test_a_ghost_copy_is_refused() -> None:
    """Two copies of one eigenvector: the certificate refuses them instead of reporting one
    eigenvalue twice."""
    op = _diagonal([1.0, 2.0, 3.0])
    e3 = torch.tensor([0.0, 0.0, 1.0], dtype=F64)
    ghost = torch.stack([e3, e3 + 1e-13 * torch.tensor([1.0, 0.0, 0.0], dtype=F64)], dim=1)
    with pytest.raises(NumericalError, match="found twice"):
        certify_pairs(op.matvec, ghost, F64)


def test_close_values_get_a_cluster_bound_that_covers_distinct_eigenvalues() -> None:
    """Vectors mixing the eigenvectors of 1 and 1 + 1e-9 with a perturbation of 1e-6: the two
    Ritz values overlap, share the Kahan bound ||R_C||_2, and each lies within it of a distinct
    eigenvalue (sorted pairing)."""
    op = _diagonal([1.0, 1.0 + 1e-9, 5.0])
    y = torch.tensor([[1.0, 1.0], [1.0, -1.0], [1e-6, 2e-6]], dtype=F64)
    cert = certify_pairs(op.matvec, y, F64)
    assert cert.bounds[0] == cert.bounds[1]
    for value, bound, truth in zip(cert.values, cert.bounds, (1.0, 1.0 + 1e-9), strict=True):
        assert abs(value - truth) <= bound
    assert cert.bounds[0] < 1e-4


def test_an_invariant_start_continues_from_a_fresh_direction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A start vector that is an eigenvector (e_5 of diag(1..10)) spans an invariant subspace at
    the first step; the run continues from a fresh random direction and finds both ends."""
    op = _diagonal([float(i) for i in range(1, 11)])
    real = _lanczos._random_unit
    calls: list[int] = []

    def first_is_e5(n, like, rng, basis, locked):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            return torch.eye(n, dtype=like.dtype)[4]
        return real(n, like, rng, basis, locked)

    monkeypatch.setattr(_lanczos, "_random_unit", first_is_e5)
    spectrum = lanczos(op, tol=1e-12)
    assert len(calls) >= 2
    assert spectrum.eigenvalues == pytest.approx((1.0, 10.0), abs=1e-10)


def test_a_triple_eigenvalue_is_returned_three_times() -> None:
    """diag with the top eigenvalue 7 three times: Lanczos alone sees it once; the deflation
    probes return it three times, then the next value."""
    entries = [7.0, 7.0, 7.0, 6.0, *np.linspace(-3.0, 5.0, 40).tolist()]
    spectrum = lanczos(_diagonal(entries), k_top=4, k_bottom=0, tol=1e-12)
    assert spectrum.eigenvalues == pytest.approx((6.0, 7.0, 7.0, 7.0), abs=1e-10)
    truths = (6.0, 7.0, 7.0, 7.0)
    for value, bound, truth in zip(
        spectrum.eigenvalues, spectrum.error_bounds, truths, strict=True
    ):
        assert abs(value - truth) <= bound


def _probes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the deflation probes (runs on the complement of vectors already found)."""
    real = _lanczos._solve
    calls: list[int] = []

    def counted(plan: object, locked: torch.Tensor | None, *args: object) -> object:
        if locked is not None:
            calls.append(locked.shape[1])
        return real(plan, locked, *args)

    monkeypatch.setattr(_lanczos, "_solve", counted)
    return calls


def test_copies_seen_by_the_block_start_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The block of two sees two copies of 7, which may be copies of one eigenvalue: the probe
    runs (in floating point the block run often finds the third copy too -- rounding seeds the
    direction -- but only the probe is meant to rely on)."""
    entries = [7.0, 7.0, 7.0, 6.0, *np.linspace(-3.0, 5.0, 40).tolist()]
    probes = _probes(monkeypatch)
    spectrum = lanczos(_diagonal(entries), k_top=4, k_bottom=0, tol=1e-12)
    assert spectrum.eigenvalues == pytest.approx((6.0, 7.0, 7.0, 7.0), abs=1e-10)
    assert probes


def test_distinct_top_values_are_found_without_a_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spectrum whose top five are simple and apart: the block run alone returns them (no
    probe, fewer products), each within its bound; a double fifth value starts the probe."""
    rng = np.random.default_rng(3)
    tail = np.sort(rng.uniform(-1.0, 1.0, 400)).tolist()
    simple = [2.0, 1.9, 1.8, 1.7, 1.6, *tail]
    probes = _probes(monkeypatch)
    spectrum = lanczos(_diagonal(simple), k_top=5, k_bottom=0, tol=1e-10)
    assert probes == []
    truths = (1.6, 1.7, 1.8, 1.9, 2.0)
    for value, bound, truth in zip(
        spectrum.eigenvalues, spectrum.error_bounds, truths, strict=True
    ):
        assert abs(value - truth) <= bound
    double = [2.0, 1.9, 1.8, 1.7, 1.7, *tail]
    spectrum = lanczos(_diagonal(double), k_top=5, k_bottom=0, tol=1e-10)
    assert probes
    assert spectrum.eigenvalues == pytest.approx((1.7, 1.7, 1.8, 1.9, 2.0), abs=1e-9)


def test_a_capped_block_run_restarts_and_keeps_both_copies() -> None:
    """A basis capped at 24 vectors forces the block run to restart (from the sum and a random
    combination of its Ritz vectors); the top four -- a double eigenvalue among them -- still
    come out within their bounds, both copies included."""
    rng = np.random.default_rng(5)
    entries = [3.0, 2.5, 2.5, 2.2, *np.sort(rng.uniform(-1.0, 2.0, 300)).tolist()]
    spectrum = lanczos(_diagonal(entries), k_top=4, k_bottom=0, tol=1e-10, max_basis=24)
    assert spectrum.matvecs > 24
    truths = (2.2, 2.5, 2.5, 3.0)
    for value, bound, truth in zip(
        spectrum.eigenvalues, spectrum.error_bounds, truths, strict=True
    ):
        assert abs(value - truth) <= bound
