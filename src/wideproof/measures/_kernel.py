"""The empirical tangent kernel (NTK) and its change.

:math:`K(w; x, z) = \\nabla_w f(w; x)^T \\nabla_w f(w; z)` (Liu et al. 2020, eq. (1)); for
:math:`k` outputs the Gram matrix has shape :math:`(n_1k, n_2k)` with row index
:math:`i\\,k + a` for sample :math:`i`, output :math:`a`.

For :class:`~wideproof.families.MLP` a structured per-layer contraction needs no per-sample
Jacobian at all (``"layers"``, the default for MLPs).  Otherwise two algorithms: Jacobian
contraction :math:`K = J_1 J_2^T` (``torch.func.jacrev``, rows in blocks so memory stays below
``memory_bytes``), or products :math:`K e_j = J_1 (J_2^T e_j)` (one vjp and one
jvp per column, :math:`O(P)` memory).  ``"auto"`` contracts Jacobians whenever one sample's Jacobian
fits in the budget.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from .._autodiff import jvp, vjp
from .._validate import finite_result, one_of, positive_int, real_tensor
from ..errors import ConfigError, NumericalError
from ..families import MLP, Model
from ..families.mlp import Tap
from ._checks import ModelLike, checked_model

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


def _by_layers(model: Model, X1: Tensor, X2: Tensor) -> Tensor:
    r"""Structured contraction for :class:`~wideproof.families.MLP` (no per-sample Jacobians).

    For an affine layer :math:`z = s\,Wh + b` the gradient of output :math:`a` is
    :math:`\partial f_a/\partial W = s\,g_a h^T` with :math:`g_a = \partial f_a/\partial z`, so

    .. math::
        K_{(i,a),(j,b)} = \sum_l s_l^2\,\big(g^{(l)}_a(x_i)\cdot g^{(l)}_b(x_j)\big)
        \big(h^{(l)}(x_i)\cdot h^{(l)}(x_j)\big) + [\text{bias}]\ g^{(l)}_a(x_i)\cdot g^{(l)}_b(x_j),

    with every :math:`g^{(l)}` of a batch from one backward pass per output (rows of a batch are
    independent).  Cost :math:`O(n_1n_2\sum_l m_l)` instead of :math:`O(n_1n_2P)`.
    """
    spec = model.spec
    assert isinstance(spec, MLP)
    k = spec.output_dim
    params = {name: p.detach() for name, p in model.params.items()}

    def factors(X: Tensor) -> list[tuple[Tensor, Tensor, float, bool]]:
        taps: list[Tap] = []
        with torch.enable_grad():
            out = spec.forward(params, X, taps=taps).reshape(X.shape[0], k)
            zs = [t.preactivation for t in taps]
            per_output = [
                torch.autograd.grad(out[:, a].sum(), zs, retain_graph=a < k - 1) for a in range(k)
            ]
        result = []
        for l, tap in enumerate(taps):
            g = torch.stack([grads[l] for grads in per_output], dim=1)  # (n, k, m_l)
            result.append((g.reshape(X.shape[0] * k, -1), tap.inputs.detach(), tap.scale, tap.bias))
        return result

    kernel = torch.zeros(X1.shape[0] * k, X2.shape[0] * k, dtype=X1.dtype, device=X1.device)
    for (g1, h1, scale, bias), (g2, h2, _, _) in zip(factors(X1), factors(X2), strict=True):
        gg, log_g = _scaled_gram(g1, g2)
        # the input Gram is shared by the k outputs: form it once, then spread it over (i, a) rows
        hh, log_h = _scaled_gram(h1, h2)
        hh = hh.repeat_interleave(k, dim=0).repeat_interleave(k, dim=1)
        kernel += _scaled(gg * hh, log_g + log_h + 2 * math.log(scale))
        if bias:
            kernel += _scaled(gg, log_g)
    return kernel


def _scaled_gram(a: Tensor, b: Tensor) -> tuple[Tensor, float]:
    """:math:`(a/c_a)(b/c_b)^T` and :math:`\\log(c_ab_b)` with :math:`c = \\max|\\cdot|` (1 for zero)."""
    ca = float(a.abs().max()) or 1.0
    cb = float(b.abs().max()) or 1.0
    return (a / ca) @ (b / cb).T, math.log(ca) + math.log(cb)


def _scaled(term: Tensor, log_factor: float) -> Tensor:
    """:math:`e^{\\log\\_factor}` ``term``; a zero term stays zero whatever the factor."""
    if not bool(term.any()):
        return term
    if log_factor > math.log(torch.finfo(torch.float64).max):
        raise NumericalError(f"ntk overflows float64 (a term of size e^{log_factor:.4g})")
    return math.exp(log_factor) * term


def _by_products(model: Model, X1: Tensor, X2: Tensor) -> Tensor:
    w0 = model.flat_params().detach()
    _, pull2 = vjp(lambda w: model.apply_flat(w, X2).reshape(-1), w0)
    eye = torch.eye(X2.shape[0] * model.spec.output_dim, dtype=w0.dtype, device=w0.device)
    cols = [jvp(lambda w: model.apply_flat(w, X1).reshape(-1), w0, pull2(e))[1] for e in eye]
    return torch.stack(cols, dim=1)


def ntk(
    model: ModelLike,
    X1: Tensor,
    X2: Tensor | None = None,
    *,
    method: Literal["auto", "jacobian", "products", "layers"] = "auto",
    memory_bytes: int = DEFAULT_MEMORY,
) -> Tensor:
    """The empirical tangent kernel Gram matrix between ``X1`` and ``X2`` (default ``X1``)."""
    model = checked_model(model, X1)
    one_of("method", method, ("auto", "jacobian", "products", "layers"))
    positive_int("memory_bytes", memory_bytes)
    X1 = _batch(model, "X1", X1)
    X2 = X1 if X2 is None else _batch(model, "X2", X2)
    return finite_result("ntk", _kernel(model, X1, X2, method, memory_bytes).detach())


def _batch(model: Model, name: str, X: object) -> Tensor:
    """``X`` as a batch ``(n, *input_shape)`` in the model's dtype, on its device."""
    X = real_tensor(name, X, model.dtype).to(model.device)
    shape = model.spec.input_shape
    if X.dim() != len(shape) + 1 or tuple(X.shape[1:]) != shape:
        dims = ", ".join(map(str, shape))
        raise ConfigError(f"{name} must have shape (n, {dims}); got {tuple(X.shape)}")
    return X


def _kernel(model: Model, X1: Tensor, X2: Tensor, method: str, memory_bytes: int) -> Tensor:
    if method == "layers" or (method == "auto" and isinstance(model.spec, MLP)):
        if not isinstance(model.spec, MLP):
            raise ConfigError("method='layers' is only for MLP models")
        return _by_layers(model, X1, X2)
    one_row = model.num_params * model.spec.output_dim * X1.element_size()
    if method == "products" or (method == "auto" and one_row > memory_bytes):
        return _by_products(model, X1, X2)
    return _by_jacobians(model, X1, X2, memory_bytes)


def ntk_change(model_a: ModelLike, model_b: ModelLike, X: Tensor) -> float:
    """Relative Frobenius change :math:`\\|K_b - K_a\\|_F / \\|K_a\\|_F` of the tangent kernel on ``X``."""
    model_a, model_b = checked_model(model_a, X), checked_model(model_b, X)
    if model_a.spec != model_b.spec:
        raise ConfigError("model_a and model_b must share one spec (the same architecture)")
    ka, kb = ntk(model_a, X), ntk(model_b, X)
    base = float(ka.norm())
    if base == 0.0:
        raise NumericalError("ntk_change: the kernel of model_a is zero, so no relative change")
    change = float((kb - ka).norm()) / base
    if not math.isfinite(change):
        raise NumericalError(f"ntk_change is not finite ({change})")
    return change
