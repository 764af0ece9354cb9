"""Subspace tools for central-subspace recovery from an AGOP (Zhu, Davis, Drusvyatskiy, Fazel
2026; our metric conventions, the paper's own metric being unknown)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..errors import ConfigError
from ._checks import positive_int

__all__ = ["max_principal_sine", "subspace_distance", "top_eigenspace"]


def top_eigenspace(matrix: Tensor, r: int) -> Tensor:
    r"""Orthonormal eigenvectors ``(d, r)`` of the ``r`` largest eigenvalues of a symmetric
    ``matrix`` (e.g. the AGOP :math:`\hat G` of a kernel predictor)."""
    positive_int("r", r)
    if not isinstance(matrix, Tensor) or matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError("matrix must be a square tensor")
    if r > matrix.shape[0]:
        raise ConfigError(f"r={r} exceeds the dimension {matrix.shape[0]}")
    vecs: Tensor = torch.linalg.eigh((matrix + matrix.T) / 2).eigenvectors
    return vecs[:, -r:].flip(1)


def _basis(name: str, v: Tensor, d: int | None = None) -> Tensor:
    """An orthonormal basis ``(d, r)`` of the column space of ``v`` (``(d, r)``)."""
    if not isinstance(v, Tensor) or v.dim() != 2 or v.shape[1] > v.shape[0]:
        raise ConfigError(f"{name} must be a (d, r) tensor with r <= d")
    if d is not None and v.shape[0] != d:
        raise ConfigError(f"{name} has {v.shape[0]} rows; expected {d}")
    q: Tensor
    q, rr = torch.linalg.qr(v)
    diag = torch.diagonal(rr).abs()
    if float(diag.min()) <= 1e-12 * float(diag.max()):
        raise ConfigError(f"{name} does not have full column rank")
    return q


def subspace_distance(a: Tensor, b: Tensor) -> float:
    r""":math:`\|P_A - P_B\|_F / \sqrt{2r}` for the column spaces of ``a`` and ``b`` (both
    ``(d, r)``, same ``r``): 0 for equal spaces, :math:`\sqrt{(1-c^2)/2}` when one of two
    directions is exact and the other has cosine ``c``, :math:`\approx\sqrt{1-r/d}` for a
    random space."""
    qa = _basis("a", a)
    qb = _basis("b", b, qa.shape[0])
    if qa.shape[1] != qb.shape[1]:
        raise ConfigError("a and b must span spaces of the same dimension")
    diff = qa @ qa.T - qb @ qb.T
    return float(torch.linalg.norm(diff)) / math.sqrt(2 * qa.shape[1])


def max_principal_sine(a: Tensor, b: Tensor) -> float:
    r""":math:`\|(I - P_B)Q_A\|_2`, the sine of the largest principal angle between the column
    spaces of ``a`` and ``b`` (same dimension)."""
    qa = _basis("a", a)
    qb = _basis("b", b, qa.shape[0])
    if qa.shape[1] != qb.shape[1]:
        raise ConfigError("a and b must span spaces of the same dimension")
    resid = qa - qb @ (qb.T @ qa)
    return min(1.0, float(torch.linalg.matrix_norm(resid, ord=2)))
