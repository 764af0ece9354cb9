"""The squared loss and its gradient at a flat parameter vector, and the training-data checks.

The loss is :func:`wideproof.linalg.loss_function` (one definition of both conventions for the
whole library); the gradient is one reverse pass of autograd.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ..families import Model
from ..linalg import LossConvention, loss_function

__all__ = ["checked_data", "loss_and_grad", "loss_value"]


def loss_and_grad(
    model: Model, w: Tensor, X: Tensor, y: Tensor, loss: LossConvention
) -> tuple[float, Tensor]:
    """:math:`\\mathcal L(w)` on ``(X, y)`` in the named convention, and its gradient."""
    fn = loss_function(model, X, y, loss)
    wv = w.detach().requires_grad_(True)
    with torch.enable_grad():
        value = fn(wv)
        (grad,) = torch.autograd.grad(value, wv)
    return float(value.detach()), grad.detach()


def loss_value(model: Model, w: Tensor, X: Tensor, y: Tensor, loss: LossConvention) -> float:
    """:math:`\\mathcal L(w)` alone (no graph is built)."""
    with torch.no_grad():
        return float(loss_function(model, X, y, loss)(w))


def checked_data(model: Model, X: object, y: object) -> tuple[Tensor, Tensor]:
    """``X`` ``(n, d)`` and targets shaped like the model's outputs, in its dtype and device."""
    if not isinstance(model, Model):
        raise ConfigError(f"model must be a wideproof Model; got {type(model).__name__}")
    model.check_finite()
    if not isinstance(X, Tensor) or X.dim() != 2 or X.shape[1] != model.spec.input_dim:
        got = getattr(X, "shape", type(X))
        raise ConfigError(f"X must be a tensor of shape (n, {model.spec.input_dim}); got {got}")
    k = model.spec.output_dim
    expected = (X.shape[0],) if k == 1 else (X.shape[0], k)
    if not isinstance(y, Tensor) or tuple(y.shape) != expected:
        got = getattr(y, "shape", type(y))
        raise ConfigError(f"y must be a tensor of shape {expected}; got {got}")
    for name, t in (("X", X), ("y", y)):
        if not bool(torch.isfinite(t).all()):
            raise NumericalError(f"{name} contains NaN or Inf")
    return X.to(model.dtype).to(model.device), y.to(model.dtype).to(model.device)
