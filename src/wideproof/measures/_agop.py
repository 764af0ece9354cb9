"""The average gradient outer product (AGOP) of a function of the input.

For :math:`f:\\mathbb R^d\\to\\mathbb R^c` and points :math:`x^{(1..n)}` (Mallinar et al. 2025,
Def. 2.1):

.. math::
    G(f) = \\frac1n \\sum_{j=1}^n \\frac{\\partial f(x^{(j)})}{\\partial x}
    \\frac{\\partial f(x^{(j)})}{\\partial x}^{T} \\in \\mathbb R^{d\\times d},

with :math:`\\partial f/\\partial x\\in\\mathbb R^{d\\times c}`.  Computed as ``vmap(jacrev(f))``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from .._validate import finite_result, real_tensor
from ..errors import ConfigError
from ..families import Model
from ._checks import ModelLike, checked_model

__all__ = ["agop"]


def agop(fn: Callable[[Tensor], Tensor] | ModelLike, X: Tensor) -> Tensor:
    """:math:`G(f)` over the rows of ``X``; ``fn`` maps one input ``(d,)`` to a scalar or ``(c,)``.

    ``fn`` may also be a :class:`~wideproof.families.Model` or an ``nn.Module`` (its input shape
    read from ``X``, a batch ``(n, *input_shape)``): the gradient is with respect to the input,
    flattened to :math:`d = \\prod` ``input_shape``.
    """
    if isinstance(fn, (Model, nn.Module)):
        model = checked_model(fn, X)
        X = real_tensor("X", X, model.dtype).to(model.device)
        batch, single = model.spec.check_batch(X)
        if single:
            raise ConfigError(f"X must be a batch (n, *{model.spec.input_shape}); got one input")
        return _agop(model, batch)
    if not isinstance(X, Tensor) or X.dim() != 2:
        raise ConfigError(f"X must be a tensor of shape (n, d); got {getattr(X, 'shape', type(X))}")
    return _agop(fn, real_tensor("X", X, X.dtype))


def _agop(fn: Callable[[Tensor], Tensor], X: Tensor) -> Tensor:
    jac = torch.func.vmap(torch.func.jacrev(fn))(X)  # (n, *out, *input_shape)
    n, d = X.shape[0], X[0].numel()
    jac = jac.reshape(n, -1, d)
    return finite_result("agop", torch.einsum("nci,ncj->ij", jac, jac).detach() / n)
