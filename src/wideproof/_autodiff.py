"""Typed wrappers of the ``torch.func`` transforms used across the package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

__all__ = ["jvp", "vjp"]


def jvp(fn: Callable[[Tensor], Any], primal: Tensor, tangent: Tensor) -> tuple[Any, Any]:
    """``(fn(primal), d/dt fn(primal + t tangent) at 0)`` by forward mode."""
    out = torch.func.jvp(fn, (primal,), (tangent,))
    return out[0], out[1]


def vjp(
    fn: Callable[[Tensor], Tensor], primal: Tensor
) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
    """``fn(primal)`` and ``u -> J^T u`` for the Jacobian of ``fn`` at ``primal``."""
    out = torch.func.vjp(fn, primal)
    pullback = out[1]

    def apply(u: Tensor) -> Tensor:
        result: Tensor = pullback(u)[0]
        return result

    value: Tensor = out[0]
    return value, apply
