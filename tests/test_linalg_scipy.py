"""Interop with ``scipy.sparse.linalg``: round trips against explicit matrices, and scipy's own
``eigsh`` (ARPACK) on an exported Hessian against :func:`wideproof.linalg.lanczos`."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import torch
from scipy.sparse.linalg import eigsh

from wideproof.errors import ConfigError
from wideproof.families import MLP
from wideproof.linalg import LinearOperator, dense_matrix, from_scipy, lanczos, to_scipy
from wideproof.measures._hessian import _operator

F64 = torch.float64


def _symmetric(n: int) -> torch.Tensor:
    a = torch.randn(n, n, generator=torch.Generator().manual_seed(0), dtype=F64)
    return a + a.T


def test_to_scipy_products_match_the_matrix_for_vectors_and_blocks() -> None:
    a = _symmetric(7)
    op = LinearOperator(7, lambda v: a @ v, F64, torch.device("cpu"))
    sp = to_scipy(op)
    assert sp.shape == (7, 7) and sp.dtype == np.float64
    x = np.arange(7.0)
    assert np.allclose(sp.matvec(x), a.numpy() @ x, rtol=1e-14)
    assert np.allclose(sp.rmatvec(x), a.numpy() @ x, rtol=1e-14)
    assert sp.matvec(x.reshape(7, 1)).shape == (7, 1)
    block = np.random.default_rng(0).standard_normal((7, 3))
    assert np.allclose(sp.matmat(block), a.numpy() @ block, rtol=1e-13)
    assert op.matvecs == 1 + 1 + 1 + 3


def test_a_float32_operator_exports_float64_arrays() -> None:
    a = _symmetric(5).float()
    sp = to_scipy(LinearOperator(5, lambda v: a @ v, torch.float32, torch.device("cpu")))
    out = sp.matvec(np.ones(5))
    assert out.dtype == np.float64
    assert np.allclose(out, a.double().sum(dim=1).numpy(), rtol=1e-6)


def test_round_trip_and_from_sparse() -> None:
    a = _symmetric(6)
    op = LinearOperator(6, lambda v: a @ v, F64, torch.device("cpu"))
    back = from_scipy(to_scipy(op))
    assert back.size == 6 and back.dtype == F64 and back.symmetric
    assert torch.equal(dense_matrix(back), dense_matrix(op))
    sparse = scipy.sparse.diags([1.0, 2.0, 3.0]).tocsr()
    assert torch.equal(dense_matrix(from_scipy(sparse)), torch.diag(torch.tensor([1.0, 2.0, 3.0])))
    dense = from_scipy(a.numpy(), symmetric=False)
    assert not dense.symmetric and torch.equal(dense_matrix(dense), a)


def test_eigsh_on_an_exported_hessian_agrees_with_lanczos() -> None:
    model = MLP(input_dim=4, width=12, depth=2, activation="tanh").init(seed=3)
    x = torch.randn(4, generator=torch.Generator().manual_seed(1), dtype=F64)
    op = _operator(model, x, "output", None, "mean")
    spec = lanczos(op, tol=1e-11)
    top = eigsh(to_scipy(op), k=1, which="LA", tol=1e-12, return_eigenvectors=False)
    bottom = eigsh(to_scipy(op), k=1, which="SA", tol=1e-12, return_eigenvectors=False)
    assert abs(float(top[0]) - spec.eigenvalues[-1]) <= spec.error_bounds[-1] + 1e-10
    assert abs(float(bottom[0]) - spec.eigenvalues[0]) <= spec.error_bounds[0] + 1e-10


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ConfigError, match="square"):
        from_scipy(np.ones((3, 4)))
    with pytest.raises(ConfigError, match="complex"):
        from_scipy(np.eye(3) * 1j)
    with pytest.raises(ConfigError, match="cannot convert"):
        from_scipy("not a matrix")
    with pytest.raises(ConfigError, match="LinearOperator"):
        to_scipy(np.eye(3))  # type: ignore[arg-type]
