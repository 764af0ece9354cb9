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
from torch import Tensor

from .._validate import finite_result, real_tensor
from ..errors import ConfigError

__all__ = ["agop"]


def agop(fn: Callable[[Tensor], Tensor], X: Tensor) -> Tensor:
    """:math:`G(f)` over the rows of ``X``; ``fn`` maps one input ``(d,)`` to a scalar or ``(c,)``."""
    if not isinstance(X, Tensor) or X.dim() != 2:
        raise ConfigError(f"X must be a tensor of shape (n, d); got {getattr(X, 'shape', type(X))}")
    X = real_tensor("X", X, X.dtype)
    jac = torch.func.vmap(torch.func.jacrev(fn))(X)  # (n, d) or (n, c, d)
    if jac.dim() == 2:
        jac = jac.unsqueeze(1)
    jac = jac.reshape(X.shape[0], -1, X.shape[1])
    return finite_result("agop", torch.einsum("nci,ncj->ij", jac, jac).detach() / X.shape[0])
