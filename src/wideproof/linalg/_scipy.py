"""Conversion between :class:`LinearOperator` and :class:`scipy.sparse.linalg.LinearOperator`.

:func:`to_scipy` lets any of scipy's matrix-free solvers (``eigsh``, ``cg``, ``minres``,
``expm_multiply``) act on a Hessian, Gauss-Newton or kernel operator; :func:`from_scipy` lets this
package's solvers (:func:`~wideproof.linalg.lanczos`, :func:`~wideproof.linalg.hutchpp`,
:func:`~wideproof.linalg.slq`) act on a scipy operator, sparse or dense matrix.  Vectors cross
as float64 numpy arrays on the scipy side and as tensors of the operator's dtype and device on the
torch side.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ._operators import LinearOperator

__all__ = ["from_scipy", "to_scipy"]


def to_scipy(op: LinearOperator) -> Any:
    """``op`` as a :class:`scipy.sparse.linalg.LinearOperator` of dtype float64.

    ``matvec`` takes shape ``(n,)`` or ``(n, 1)``, ``matmat`` ``(n, k)`` (one product of ``op`` per
    column); a symmetric ``op`` also provides ``rmatvec`` (the same product), as ``eigsh`` and
    ``minres`` expect.  Products are counted in ``op.matvecs``.
    """
    from scipy.sparse.linalg import LinearOperator as ScipyOperator

    if not isinstance(op, LinearOperator):
        raise ConfigError(f"expected a LinearOperator; got {type(op).__name__}")

    def matvec(x: np.ndarray) -> np.ndarray:
        v = torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(-1))
        out: np.ndarray = op.matvec(v.to(dtype=op.dtype, device=op.device)).cpu().double().numpy()
        return out

    def matmat(x: np.ndarray) -> np.ndarray:
        return np.stack([matvec(x[:, j]) for j in range(x.shape[1])], axis=1)

    return ScipyOperator(
        shape=(op.size, op.size),
        matvec=matvec,
        rmatvec=matvec if op.symmetric else None,
        matmat=matmat,
        dtype=np.float64,
    )


def from_scipy(a: Any, *, symmetric: bool = True, psd: bool = False) -> LinearOperator:
    """A square scipy operator, sparse matrix or numpy array as a float64 CPU
    :class:`LinearOperator`.

    ``symmetric`` and ``psd`` are structure tags the caller vouches for (the eigensolvers need
    ``symmetric``); they are not checked, since checking symmetry matrix-free costs products.
    Complex operators are refused.
    """
    from scipy.sparse.linalg import aslinearoperator

    try:
        scipy_op = aslinearoperator(a)
    except TypeError as err:
        raise ConfigError(
            f"cannot convert {type(a).__name__} to a scipy LinearOperator: {err}"
        ) from None
    n, m = scipy_op.shape
    if n != m:
        raise ConfigError(f"the operator must be square; got shape {scipy_op.shape}")
    if scipy_op.dtype is not None and np.issubdtype(scipy_op.dtype, np.complexfloating):
        raise ConfigError(f"the operator has complex dtype {scipy_op.dtype}; a real one is needed")

    def matvec(v: Tensor) -> Tensor:
        out = np.asarray(scipy_op.matvec(v.detach().cpu().double().numpy()))
        if np.iscomplexobj(out):
            raise NumericalError("the scipy operator returned a complex vector")
        return torch.as_tensor(out.reshape(-1), dtype=torch.float64)

    return LinearOperator(
        n, matvec, torch.float64, torch.device("cpu"), symmetric=symmetric, psd=psd
    )
