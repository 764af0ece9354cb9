"""Input validation shared by the measures."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ..families import Model

__all__ = ["ball_setup", "checked_model", "finite_tensor"]


def checked_model(model: object) -> Model:
    """The model, after checking its type and that its weights are finite."""
    if not isinstance(model, Model):
        raise ConfigError(
            f"model must be a wideproof Model (spec.init(seed)); got {type(model).__name__}"
        )
    model.check_finite()
    return model


def finite_tensor(name: str, value: object, dtype: torch.dtype) -> Tensor:
    """A finite tensor argument in the model's dtype."""
    if not isinstance(value, Tensor):
        raise ConfigError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if not bool(torch.isfinite(value).all()):
        raise NumericalError(f"{name} contains NaN or Inf")
    return value.to(dtype)


def ball_setup(
    model: object, x: object, radius: float, n_points: int, seed: int
) -> tuple[Model, Tensor, Tensor, Tensor]:
    """The checked model, one input ``x`` of shape ``(d,)``, the flat weights :math:`w_0` and
    ``n_points`` random points of the sphere :math:`\\|\\delta\\| = R` (normal directions from
    ``torch.Generator().manual_seed(seed)``, drawn in float64) -- the start of a search of the
    ball :math:`B(w_0, R)`."""
    from .._validate import positive_float

    model = checked_model(model)
    positive_float("radius", radius)
    x = finite_tensor("x", x, model.dtype).to(model.device)
    if x.dim() != 1:
        raise ConfigError(f"x must be one input of shape (d,); got {tuple(x.shape)}")
    w0 = model.flat_params().detach()
    gen = torch.Generator().manual_seed(seed)
    dirs = torch.randn(n_points, w0.numel(), generator=gen, dtype=torch.float64).to(w0)
    return model, x, w0, radius * dirs / dirs.norm(dim=1, keepdim=True)
