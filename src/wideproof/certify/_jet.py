"""Second-order forward-mode jets over any :class:`~wideproof.certify._scalar.Ring`.

A jet of a scalar function :math:`u(w)`, :math:`w\\in\\mathbb R^P`, at a point is the triple
:math:`(u, \\nabla u, \\nabla^2 u)`, stored sparsely: the gradient as ``{i: u_i}`` and the
Hessian's upper triangle as ``{(i, j): u_ij}`` with :math:`i\\le j`.  An absent entry is an exact
zero (no term of the chain rule reaches it).  The rules are the product and chain rules,

.. math::
    \\nabla^2(ab) = a\\nabla^2 b + b\\nabla^2 a + \\nabla a\\nabla b^T + \\nabla b\\nabla a^T,
    \\qquad \\nabla^2 s(u) = s'(u)\\nabla^2 u + s''(u)\\nabla u\\nabla u^T,

so over ``arb`` every entry is a ball containing the exact derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from ._scalar import S

__all__ = ["Jet", "jet_sum"]

_K = TypeVar("_K")


class Jet(Generic[S]):
    """The value, gradient and Hessian (upper triangle) of a scalar function of ``w``."""

    __slots__ = ("grad", "hess", "value")

    def __init__(
        self,
        value: S,
        grad: dict[int, S] | None = None,
        hess: dict[tuple[int, int], S] | None = None,
    ) -> None:
        self.value = value
        self.grad: dict[int, S] = grad if grad is not None else {}
        self.hess: dict[tuple[int, int], S] = hess if hess is not None else {}

    @classmethod
    def variable(cls, index: int, value: S, one: S) -> Jet[S]:
        """The coordinate function :math:`w \\mapsto w_{index}`."""
        return cls(value, {index: one})

    def __add__(self, other: Jet[S]) -> Jet[S]:
        return jet_sum((self, other))

    def __mul__(self, other: Jet[S]) -> Jet[S]:
        a, b = self.value, other.value
        grad = _scaled(self.grad, b)
        _accumulate(grad, other.grad.items(), a)
        hess = _scaled(self.hess, b)
        _accumulate(hess, other.hess.items(), a)
        for p, gp in self.grad.items():
            for q, gq in other.grad.items():
                c = gp * gq
                _add(hess, (p, q) if p <= q else (q, p), c + c if p == q else c)
        return Jet(a * b, grad, hess)

    def scale(self, c: S) -> Jet[S]:
        """:math:`c\\,u` for a constant ``c``."""
        return Jet(self.value * c, _scaled(self.grad, c), _scaled(self.hess, c))

    def shift(self, c: S) -> Jet[S]:
        """:math:`u + c` for a constant ``c``."""
        return Jet(self.value + c, self.grad, self.hess)

    def compose(
        self, d0: Callable[[S], S], d1: Callable[[S], S], d2: Callable[[S], S] | None
    ) -> Jet[S]:
        """:math:`s(u)` from :math:`s, s', s''` (``d2=None`` when :math:`s''\\equiv 0`)."""
        u = self.value
        s1 = d1(u)
        hess = _scaled(self.hess, s1)
        if d2 is not None:
            s2 = d2(u)
            items = sorted(self.grad.items())
            for k, (p, gp) in enumerate(items):
                gp2 = s2 * gp
                for q, gq in items[k:]:
                    _add(hess, (p, q), gp2 * gq)
        return Jet(d0(u), _scaled(self.grad, s1), hess)


def jet_sum(jets: Iterable[Jet[S]]) -> Jet[S]:
    """:math:`\\sum_k u_k` of a non-empty sequence, merged in place into fresh dicts."""
    it = iter(jets)
    first = next(it)
    value, grad, hess = first.value, dict(first.grad), dict(first.hess)
    for j in it:
        value = value + j.value
        _accumulate(grad, j.grad.items(), None)
        _accumulate(hess, j.hess.items(), None)
    return Jet(value, grad, hess)


def _scaled(d: dict[_K, S], c: S) -> dict[_K, S]:
    return {k: v * c for k, v in d.items()}


def _add(d: dict[_K, S], key: _K, v: S) -> None:
    old = d.get(key)
    d[key] = v if old is None else old + v


def _accumulate(d: dict[_K, S], items: Iterable[tuple[_K, S]], c: S | None) -> None:
    for k, v in items:
        _add(d, k, v if c is None else v * c)
