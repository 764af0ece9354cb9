"""Matrix-free operators on flat parameter vectors (and on sample space for the tangent kernel).

Every operator is a :class:`LinearOperator`: a size, a ``matvec`` and structure tags.  The
Hessian-vector products use reverse-over-reverse differentiation with the gradient graph built
once (``create_graph=True``) and reused for every product (``retain_graph=True``): one product is
then one backward pass through the gradient graph.  (Forward-over-reverse ``jvp(grad(L))`` fails in
torch 2.13 when ``L`` uses ``mse_loss(reduction="mean")``; reverse-over-reverse does not.)

Conventions for the loss of :math:`n` samples with residuals :math:`r_i = f(w; x_i) - y_i`:

* ``"mean"``: :math:`\\mathcal L = \\frac1n\\sum_i r_i^2`, so
  :math:`H_{\\mathcal L} = \\frac2n (J^TJ + \\sum_i r_i H_i)`;
* ``"half_sum"``: :math:`\\mathcal L = \\frac12\\sum_i r_i^2`, so
  :math:`H_{\\mathcal L} = J^TJ + \\sum_i r_i H_i` (Gauss-Newton decomposition of the loss Hessian).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from .._autodiff import jvp, vjp
from ..errors import ConfigError, NumericalError
from ..families import Model
from ..families.mlp_hessian import mlp_loss_hvp, supports_structured_hvp

__all__ = [
    "LinearOperator",
    "LossConvention",
    "dense_matrix",
    "gauss_newton",
    "hvp_operator",
    "loss_function",
    "loss_hessian",
    "model_hessian",
    "squared_loss",
    "tangent_kernel_operator",
]

LossConvention = Literal["mean", "half_sum"]


@dataclass
class LinearOperator:
    """A square matrix known through its products.

    Attributes:
        size: the dimension.
        matvec: ``v -> A v`` for ``v`` of shape ``(size,)``.
        dtype, device: of the vectors it acts on.
        symmetric, psd: structure tags (solvers may rely on ``symmetric``).
        matvecs: the number of products taken so far.
    """

    size: int
    _matvec: Callable[[Tensor], Tensor] = field(repr=False)
    dtype: torch.dtype
    device: torch.device
    symmetric: bool = True
    psd: bool = False
    matvecs: int = 0

    def matvec(self, v: Tensor) -> Tensor:
        self.matvecs += 1
        return self._matvec(v)

    def __matmul__(self, v: Tensor) -> Tensor:
        return self.matvec(v)


def hvp_operator(
    fn: Callable[[Any], Tensor], point: Tensor | Mapping[str, Tensor]
) -> LinearOperator:
    """The Hessian of a scalar function at ``point``, as an operator on flat vectors.

    ``point`` is a flat vector (``fn`` takes a flat vector) or a dict of parameter blocks
    (``fn`` takes such a dict; the operator acts on their concatenation in dict order).  With a
    dict every block is its own graph leaf, which spares each product the zero-filled
    full-length buffer that slicing one flat leaf costs (1.5-1.8x faster output-Hessian
    products at 4M parameters, ``benchmarks/RESULTS.md``).
    """
    flat = isinstance(point, Tensor)
    leaves = {
        k: v.detach().clone().requires_grad_(True)
        for k, v in ({"w": point} if isinstance(point, Tensor) else point).items()
    }
    names = list(leaves)
    sizes = [v.numel() for v in leaves.values()]
    first = leaves[names[0]]
    with torch.enable_grad():
        value = fn(first if flat else leaves)
        if value.dim() != 0:
            raise ConfigError(f"the function must return a scalar; got shape {tuple(value.shape)}")
        if not bool(torch.isfinite(value)):
            raise NumericalError(f"the function value is not finite: {value.item()}")
        grads = torch.autograd.grad(
            value, list(leaves.values()), create_graph=True, allow_unused=True
        )
    # gradients that do not depend on the point contribute nothing to H v
    live = [(n, g) for n, g in zip(names, grads, strict=True) if g is not None and g.requires_grad]
    if not live:  # the function is affine: its Hessian is zero
        return LinearOperator(sum(sizes), torch.zeros_like, first.dtype, first.device)

    def matvec(v: Tensor) -> Tensor:
        pieces = dict(zip(names, torch.split(v, sizes), strict=True))
        hv = torch.autograd.grad(
            [g for _, g in live],
            list(leaves.values()),
            grad_outputs=[pieces[n].view_as(g) for n, g in live],
            retain_graph=True,
            allow_unused=True,
        )
        return torch.cat(
            [
                (torch.zeros_like(leaf) if h is None else h.detach()).reshape(-1)
                for leaf, h in zip(leaves.values(), hv, strict=True)
            ]
        )

    return LinearOperator(sum(sizes), matvec, first.dtype, first.device)


def model_hessian(model: Model, x: Tensor) -> LinearOperator:
    """:math:`H_f(w_0; x) = \\nabla_w^2 f(w_0; x)` for one input ``x`` (shape ``input_shape``,
    or a batch of one); a model with several outputs names the scalar (``spec.scalar_output``)."""
    spec = model.spec
    batch, _ = spec.check_batch(x)
    if batch.shape[0] != 1:
        raise ConfigError(f"x must be one input of shape {spec.input_shape}; got {tuple(x.shape)}")
    spec.scalar_output(torch.zeros(spec.output_dim))  # refuses several outputs before any work
    return hvp_operator(lambda p: spec.scalar_output(model.apply(p, batch)[0]), model.params)


def _check_loss(model: Model, X: Tensor, targets: Tensor, loss: str) -> None:
    """The convention is known, ``X`` is a non-empty batch, and ``targets`` has exactly the shape
    of the outputs (no broadcasting: ``(n, 1)`` targets for ``(n,)`` outputs would silently give
    an ``n`` times larger loss)."""
    if loss not in ("mean", "half_sum"):
        raise ConfigError(f"loss={loss!r} is not one of 'mean', 'half_sum'")
    if X.dim() != 2 or X.shape[0] == 0:
        raise ConfigError(f"X must be a non-empty batch of shape (n, d); got {tuple(X.shape)}")
    k = model.spec.output_dim
    expected = (X.shape[0],) if k == 1 else (X.shape[0], k)
    if tuple(targets.shape) != expected:
        raise ConfigError(
            f"targets has shape {tuple(targets.shape)}; the outputs on X have shape {expected}"
        )


def squared_loss(outputs: Tensor, targets: Tensor, loss: LossConvention) -> Tensor:
    """:math:`\\frac1n\\sum r_i^2` (``"mean"``) or :math:`\\frac12\\sum r_i^2` (``"half_sum"``)."""
    r = outputs - targets
    sq = (r * r).sum()
    return sq / targets.shape[0] if loss == "mean" else 0.5 * sq


def loss_function(
    model: Model, X: Tensor, targets: Tensor, loss: LossConvention = "mean"
) -> Callable[[Tensor], Tensor]:
    """``w -> L(w)`` (flat parameters) for the squared loss in the named convention."""
    _check_loss(model, X, targets, loss)
    return lambda w: squared_loss(model.apply_flat(w, X), targets, loss)


def loss_hessian(
    model: Model, X: Tensor, targets: Tensor, loss: LossConvention = "mean"
) -> LinearOperator:
    """:math:`H_{\\mathcal L}(w_0)` of the squared loss (see the module docstring).

    For an :class:`~wideproof.families.MLP` with a linear output the products are the exact
    layer-by-layer ones of :func:`wideproof.families.mlp_hessian.mlp_loss_hvp` (no autograd
    graph; 1.06-1.29x faster per product on the benchmark problem, ``benchmarks/RESULTS.md``);
    any other model uses :func:`hvp_operator`.
    """
    _check_loss(model, X, targets, loss)
    if supports_structured_hvp(model):
        w0 = model.flat_params()
        factor = 2.0 / X.shape[0] if loss == "mean" else 1.0
        matvec = mlp_loss_hvp(model, X, targets, factor)
        return LinearOperator(w0.numel(), matvec, w0.dtype, w0.device)
    return hvp_operator(lambda p: squared_loss(model.apply(p, X), targets, loss), model.params)


def _jvp_vjp(
    model: Model, X: Tensor
) -> tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]:
    """``v -> J v`` and ``u -> J^T u`` for the Jacobian of the outputs on ``X`` at ``w_0``."""
    w0 = model.flat_params().detach()

    def outputs(w: Tensor) -> Tensor:
        return model.apply_flat(w, X).reshape(-1)

    _, pullback = vjp(outputs, w0)

    def push(v: Tensor) -> Tensor:
        out: Tensor = jvp(outputs, w0, v)[1]
        return out

    return push, pullback


def gauss_newton(model: Model, X: Tensor, loss: LossConvention = "mean") -> LinearOperator:
    """The Gauss-Newton matrix :math:`c\\,J^TJ` (:math:`c = 2/n` for ``"mean"``, 1 for ``"half_sum"``)."""
    push, pull = _jvp_vjp(model, X)
    scale = 2.0 / X.shape[0] if loss == "mean" else 1.0
    w0 = model.flat_params()
    return LinearOperator(
        w0.numel(), lambda v: scale * pull(push(v)), w0.dtype, w0.device, symmetric=True, psd=True
    )


def tangent_kernel_operator(model: Model, X: Tensor) -> LinearOperator:
    """The tangent kernel :math:`K = JJ^T` on sample space, as an operator (size ``n*k``)."""
    push, pull = _jvp_vjp(model, X)
    n = X.shape[0] * model.spec.output_dim
    return LinearOperator(n, lambda u: push(pull(u)), X.dtype, X.device, symmetric=True, psd=True)


def dense_matrix(op: LinearOperator) -> Tensor:
    """Materialize an operator column by column (for small sizes and tests)."""
    eye = torch.eye(op.size, dtype=op.dtype, device=op.device)
    cols = [op.matvec(eye[i]) for i in range(op.size)]
    return torch.stack(cols, dim=1)
