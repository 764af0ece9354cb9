"""The empirical tangent kernel (NTK) and its change.

:math:`K(w; x, z) = \\nabla_w f(w; x)^T \\nabla_w f(w; z)` (Liu et al. 2020, eq. (1)); for
:math:`k` outputs the Gram matrix has shape :math:`(n_1k, n_2k)` with row index
:math:`i\\,k + a` for sample :math:`i`, output :math:`a`.

Two algorithms: Jacobian contraction :math:`K = J_1 J_2^T` (``torch.func.jacrev``, rows in blocks so
memory stays below ``memory_bytes``), or products :math:`K e_j = J_1 (J_2^T e_j)` (one vjp and one
jvp per column, :math:`O(P)` memory).  ``"auto"`` contracts Jacobians whenever one sample's Jacobian
fits in the budget.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from .._autodiff import jvp, vjp
from ..errors import ConfigError
from ..families import Model
from ._checks import checked_model, finite_tensor

__all__ = ["ntk", "ntk_change"]

DEFAULT_MEMORY = 512 * 2**20


def _jacobian(model: Model, X: Tensor) -> Tensor:
    """:math:`J` of shape ``(n*k, P)`` at the model's parameters."""

    def outputs(params: dict[str, Tensor]) -> Tensor:
        return model.apply(params, X).reshape(-1)

    jac = torch.func.jacrev(outputs)(model.params)
    rows = X.shape[0] * model.spec.output_dim
    return torch.cat([j.reshape(rows, -1) for j in jac.values()], dim=1)


def _by_jacobians(model: Model, X1: Tensor, X2: Tensor, memory: int) -> Tensor:
    """:math:`J_1J_2^T` with at most ``block`` rows of a Jacobian alive at a time (two blocks
    within ``memory``); the blocks of ``X2`` are recomputed for each block of ``X1``."""
    per_row = model.num_params * model.spec.output_dim * X1.element_size()
    block = max(1, memory // (2 * per_row))

    def blocks(X: Tensor) -> list[Tensor]:
        return [X[i : i + block] for i in range(0, X.shape[0], block)]

    if X2 is X1 and X1.shape[0] <= block:  # the Gram matrix of one block: one Jacobian
        j = _jacobian(model, X1)
        return j @ j.T
    rows = []
    for b1 in blocks(X1):
        j1 = _jacobian(model, b1)
        rows.append(torch.cat([j1 @ _jacobian(model, b2).T for b2 in blocks(X2)], dim=1))
    return torch.cat(rows, dim=0)


def _by_products(model: Model, X1: Tensor, X2: Tensor) -> Tensor:
    w0 = model.flat_params().detach()
    _, pull2 = vjp(lambda w: model.apply_flat(w, X2).reshape(-1), w0)
    eye = torch.eye(X2.shape[0] * model.spec.output_dim, dtype=w0.dtype, device=w0.device)
    cols = [jvp(lambda w: model.apply_flat(w, X1).reshape(-1), w0, pull2(e))[1] for e in eye]
    return torch.stack(cols, dim=1)


def ntk(
    model: Model,
    X1: Tensor,
    X2: Tensor | None = None,
    *,
    method: Literal["auto", "jacobian", "products"] = "auto",
    memory_bytes: int = DEFAULT_MEMORY,
) -> Tensor:
    """The empirical tangent kernel Gram matrix between ``X1`` and ``X2`` (default ``X1``)."""
    model = checked_model(model)
    X1 = finite_tensor("X1", X1, model.dtype).to(model.device)
    X2 = X1 if X2 is None else finite_tensor("X2", X2, model.dtype).to(model.device)
    for name, X in (("X1", X1), ("X2", X2)):
        if X.dim() != 2:
            raise ConfigError(f"{name} must have shape (n, d); got {tuple(X.shape)}")
    if method not in ("auto", "jacobian", "products"):
        raise ConfigError(f"method={method!r} is not one of 'auto', 'jacobian', 'products'")
    one_row = model.num_params * model.spec.output_dim * X1.element_size()
    if method == "products" or (method == "auto" and one_row > memory_bytes):
        return _by_products(model, X1, X2).detach()
    return _by_jacobians(model, X1, X2, memory_bytes).detach()


def ntk_change(model_a: Model, model_b: Model, X: Tensor) -> float:
    """Relative Frobenius change :math:`\\|K_b - K_a\\|_F / \\|K_a\\|_F` of the tangent kernel on ``X``."""
    if model_a.spec != model_b.spec:
        raise ConfigError("model_a and model_b must share one spec (the same architecture)")
    ka, kb = ntk(model_a, X), ntk(model_b, X)
    return float((kb - ka).norm() / ka.norm())
