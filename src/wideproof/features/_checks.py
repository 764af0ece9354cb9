"""Argument validation shared by the ``features`` modules (each failure is a :class:`ConfigError`
naming the argument)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .._validate import nonneg_int, positive_int
from ..errors import ConfigError

__all__ = [
    "as_points",
    "as_targets",
    "check_metric",
    "finite_float",
    "nonneg_int",
    "positive_int",
]


def finite_float(
    name: str, value: object, *, low: float = -math.inf, low_open: bool = False
) -> float:
    """``value`` as a finite float, ``> low`` when ``low_open`` else ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name}={value!r} must be a real number")
    out = float(value)
    if not math.isfinite(out) or out < low or (low_open and out == low):
        bound = f"> {low}" if low_open else f">= {low}"
        raise ConfigError(f"{name}={value!r} must be finite and {bound}")
    return out


def as_points(name: str, x: object, dim: int | None = None) -> Tensor:
    """A finite floating tensor of shape ``(n, d)`` (with ``d == dim`` when given)."""
    if not isinstance(x, Tensor):
        raise ConfigError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2 or x.shape[0] == 0:
        raise ConfigError(f"{name} must have shape (n, d) with n >= 1; got {tuple(x.shape)}")
    if not x.dtype.is_floating_point:
        raise ConfigError(f"{name} must be a floating tensor; got {x.dtype}")
    if dim is not None and x.shape[1] != dim:
        raise ConfigError(f"{name} has {x.shape[1]} features; expected {dim}")
    if not bool(torch.isfinite(x).all()):
        raise ConfigError(f"{name} contains NaN or Inf")
    return x


def as_targets(name: str, y: object, n: int, like: Tensor) -> Tensor:
    """Targets ``(n,)`` or ``(n, c)`` on ``like``'s dtype and device, as a 2-D tensor ``(n, c)``."""
    if not isinstance(y, Tensor):
        raise ConfigError(f"{name} must be a torch.Tensor, got {type(y).__name__}")
    if y.dim() not in (1, 2) or y.shape[0] != n:
        raise ConfigError(f"{name} must have shape ({n},) or ({n}, c); got {tuple(y.shape)}")
    if y.dtype != like.dtype or y.device != like.device:
        raise ConfigError(f"{name} must have dtype {like.dtype} on {like.device}")
    if not bool(torch.isfinite(y).all()):
        raise ConfigError(f"{name} contains NaN or Inf")
    return y.reshape(n, -1)


def check_metric(metric: object, dim: int, like: Tensor, *, psd: bool) -> Tensor:
    """A Mahalanobis matrix for ``dim`` features: ``None`` is the identity (returned as
    ``ones(dim)``), a ``(dim,)`` tensor is a diagonal, a ``(dim, dim)`` tensor a full symmetric
    matrix.  With ``psd`` the matrix must be positive semi-definite (eigenvalues
    ``>= -1e-10 * max|eigenvalue|``), as every distance-based kernel requires."""
    if metric is None:
        return torch.ones(dim, dtype=like.dtype, device=like.device)
    if not isinstance(metric, Tensor):
        raise ConfigError(f"metric must be a torch.Tensor or None, got {type(metric).__name__}")
    if metric.dtype != like.dtype or metric.device != like.device:
        raise ConfigError(f"metric must have dtype {like.dtype} on {like.device}")
    if metric.shape not in ((dim,), (dim, dim)):
        raise ConfigError(
            f"metric must have shape ({dim},) or ({dim}, {dim}); got {tuple(metric.shape)}"
        )
    if not bool(torch.isfinite(metric).all()):
        raise ConfigError("metric contains NaN or Inf")
    scale = float(metric.abs().max())
    if metric.dim() == 1:
        if psd and float(metric.min()) < 0:
            raise ConfigError("metric has negative diagonal entries; distance kernels need M >= 0")
        return metric
    if float((metric - metric.T).abs().max()) > 1e-12 * max(scale, 1e-300):
        raise ConfigError("metric must be a symmetric matrix")
    if psd and scale > 0 and float(torch.linalg.eigvalsh(metric)[0]) < -1e-10 * scale:
        raise ConfigError("metric is not positive semi-definite; a distance kernel needs M >= 0")
    return metric
