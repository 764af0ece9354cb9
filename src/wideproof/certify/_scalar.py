"""Scalar back-ends: mpmath (high precision) and python-flint ``arb`` balls (rigorous).

A :class:`Backend` bundles what the jet arithmetic and the sympy translator need beyond the
field operations ``+ - * /``: exact rationals, :math:`\\pi`, ``sqrt``, integer powers and a
whitelist of elementary functions.  Every float entering a computation (weights, inputs, shifts)
is converted exactly (:meth:`Backend.exact`), so the only roundings are the back-end's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import mpmath
import sympy as sp
from flint import arb, fmpq

__all__ = ["ARB", "MPMATH", "Backend", "Ring"]

_R = TypeVar("_R", bound="Ring")


class Ring(Protocol):
    """The field operations a jet needs from its scalars (an mpmath ``mpf`` or a flint ``arb``)."""

    def __add__(self: _R, other: _R, /) -> _R: ...
    def __sub__(self: _R, other: _R, /) -> _R: ...
    def __mul__(self: _R, other: _R, /) -> _R: ...
    def __truediv__(self: _R, other: _R, /) -> _R: ...
    def __neg__(self: _R) -> _R: ...


S = TypeVar("S", bound=Ring)


@dataclass(frozen=True)
class Backend(Generic[S]):
    """A scalar type with exact conversions and a whitelist of elementary functions.

    ``functions`` maps a sympy function class (``sp.tanh``) to its implementation; anything
    not listed is refused by the translator, so a ball can never reach ``math.*`` and silently
    collapse to its midpoint (``sympy.lambdify`` can map ``cosh`` to ``math.cosh``).
    """

    name: str
    exact: Callable[[float], S]
    rational: Callable[[int, int], S]
    pi: Callable[[], S]
    sqrt: Callable[[S], S]
    power: Callable[[S, int], S]
    functions: Mapping[Any, Callable[[S], S]]


def _mp_rational(p: int, q: int) -> Any:
    return mpmath.mpf(p) / q


MPMATH: Backend[Any] = Backend(
    name="mpmath",
    exact=mpmath.mpf,  # a binary64 float is exact at any mpmath precision >= 53 bits
    rational=_mp_rational,
    pi=lambda: +mpmath.pi,
    sqrt=mpmath.sqrt,
    power=lambda b, n: b**n,
    functions={
        sp.exp: mpmath.exp,
        sp.log: mpmath.log,
        sp.tanh: mpmath.tanh,
        sp.sinh: mpmath.sinh,
        sp.cosh: mpmath.cosh,
        sp.sech: mpmath.sech,
        sp.sin: mpmath.sin,
        sp.cos: mpmath.cos,
        sp.atan: mpmath.atan,
        sp.erf: mpmath.erf,
    },
)
"""Non-rigorous high precision at the working precision of ``mpmath.mp``."""


def _arb_power(base: arb, n: int) -> arb:
    return base**n


ARB: Backend[arb] = Backend(
    name="arb",
    exact=arb,  # arb(float) holds the binary64 value exactly
    rational=lambda p, q: arb(fmpq(p, q)),
    pi=arb.pi,
    sqrt=arb.sqrt,
    power=_arb_power,
    functions={
        sp.exp: arb.exp,
        sp.log: arb.log,
        sp.tanh: arb.tanh,
        sp.sinh: arb.sinh,
        sp.cosh: arb.cosh,
        sp.sech: arb.sech,
        sp.sin: arb.sin,
        sp.cos: arb.cos,
        sp.atan: arb.atan,
        sp.erf: arb.erf,
    },
)
"""Rigorous ball arithmetic at the working precision of ``flint.ctx``."""
