"""Activation functions, each defined once for both the numeric and the symbolic side.

An :class:`Activation` holds the torch function used by the models and the sympy expression used by
the bounds.  Its smoothness facts are *derived* from the sympy expression, never typed in:

* ``is_c2``: the second derivative of the expression is free of ``Heaviside``/``DiracDelta``/
  ``Max``/``Piecewise`` (so relu is not C^2);
* ``sup_abs_derivative(k)``: :math:`\\sup_{x\\in\\mathbb R} |s^{(k)}(x)|` from sympy's
  ``function_range`` when it can find the critical points (exact, e.g.
  :math:`\\sup|\\tanh''| = 4\\sqrt3/9`); otherwise the maximum of :math:`|s^{(k)}|` over the
  real roots of :math:`s^{(k+1)}` found by mpmath at 50 digits plus the limits at :math:`\\pm\\infty`
  (``method="critical-points"``); ``inf`` when :math:`s^{(k)}` is unbounded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    import sympy as sp
    import torch

    X: sp.Symbol
    """The symbol every activation expression is written in."""

__all__ = ["ACTIVATIONS", "Activation", "SupBound", "X", "get_activation"]

# Declaring and validating an activation by name is cheap: torch and sympy are imported on first
# use of ``torch_fn`` or ``expr``, so that model specs and claims load without either.
NAMES: tuple[str, ...] = (
    "identity",
    "tanh",
    "sigmoid",
    "softplus",
    "gelu",
    "silu",
    "quadratic",
    "relu",
)


@dataclass(frozen=True)
class SupBound:
    """:math:`\\sup_x |s^{(k)}(x)|`: a float value, the exact sympy value when one was found."""

    order: int
    value: float
    exact: Any  # a sympy expression, or None when only a numeric value was derived
    method: str  # "function_range", "critical-points" or "unbounded"


@dataclass(frozen=True)
class Activation:
    """One activation, by name: its torch function and its sympy expression in :data:`X`."""

    name: str

    @property
    def torch_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """The elementwise torch function."""
        return _torch_fns()[self.name]

    @property
    def expr(self) -> Any:
        """The sympy expression :math:`s(x)` in :data:`X`."""
        return _exprs()[self.name]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.torch_fn(z)

    def derivative_expr(self, order: int) -> Any:
        """The sympy expression of :math:`s^{(order)}(x)`."""
        import sympy as sp

        return sp.diff(self.expr, _symbol(), order)

    @property
    def is_linear(self) -> bool:
        """True when the second derivative vanishes identically (affine activation)."""
        return _is_linear(self.name)

    @property
    def is_c2(self) -> bool:
        """Twice continuously differentiable on R, read off the sympy expression."""
        return _is_c2(self.name)

    def sup_abs_derivative(self, order: int) -> SupBound:
        """:math:`\\sup_{x\\in\\mathbb R}|s^{(order)}(x)|`, derived from the expression."""
        return _sup_abs(self.name, order)


ACTIVATIONS: dict[str, Activation] = {name: Activation(name) for name in NAMES}


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name; raises :class:`ConfigError` listing the known ones."""
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(ACTIVATIONS))
        raise ConfigError(f"activation={name!r} is unknown; known activations: {known}") from None


def __getattr__(name: str) -> Any:
    if name == "X":
        return _symbol()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _symbol() -> Any:
    import sympy as sp

    return sp.Symbol("x", real=True)


@functools.cache
def _torch_fns() -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    import torch
    from torch.nn import functional

    def gelu(z: torch.Tensor) -> torch.Tensor:
        return functional.gelu(z, approximate="none")

    def quadratic(z: torch.Tensor) -> torch.Tensor:
        return z * z

    def identity(z: torch.Tensor) -> torch.Tensor:
        return z

    return {
        "identity": identity,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": functional.softplus,
        "gelu": gelu,
        "silu": functional.silu,
        "quadratic": quadratic,
        "relu": torch.relu,
    }


@functools.cache
def _exprs() -> dict[str, Any]:
    import sympy as sp

    x = _symbol()
    return {
        "identity": x,
        "tanh": sp.tanh(x),
        "sigmoid": 1 / (1 + sp.exp(-x)),
        "softplus": sp.log(1 + sp.exp(x)),
        "gelu": x * (1 + sp.erf(x / sp.sqrt(2))) / 2,
        "silu": x / (1 + sp.exp(-x)),
        "quadratic": x**2,
        "relu": sp.Max(0, x),
    }


@functools.cache
def _is_linear(name: str) -> bool:
    from ._activation_facts import vanishes

    return vanishes(ACTIVATIONS[name].derivative_expr(2))


@functools.cache
def _is_c2(name: str) -> bool:
    from ._activation_facts import is_smooth

    act = ACTIVATIONS[name]
    return all(is_smooth(act.derivative_expr(order)) for order in (0, 1, 2))


@functools.cache
def _sup_abs(name: str, order: int) -> SupBound:
    from ._activation_facts import sup_abs

    exact, value, method = sup_abs(ACTIVATIONS[name].derivative_expr(order), _symbol())
    return SupBound(order, value, exact, method)
