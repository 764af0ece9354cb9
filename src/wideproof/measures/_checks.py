"""Input validation shared by the measures."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ..families import Model

__all__ = ["checked_model", "finite_tensor"]


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
