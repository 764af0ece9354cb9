"""Rigorous :math:`\\sup_{t\\in[a,b]} |s^{(k)}(t)|` of an activation: branch-and-bound on balls.

The derivatives come from the activation's sympy expression through the whitelist translator.
For a box :math:`T` with midpoint :math:`c` and radius :math:`\\rho`, write :math:`g = s^{(k)}`;
both the natural ball value and the mean-value form bound :math:`g` on :math:`T`,

.. math::
    \\sup_T |g| \\le
    \\min\\big(\\overline{|g(T)|},\\ \\overline{|g(c) + g'(T)[-\\rho,\\rho]|}\\big),

and :math:`|g(c)|` bounds the supremum from below.  Boxes are split, the one with the largest
upper bound first, and dropped once their upper bound falls below the best lower bound, until
the two bounds are ``tol`` apart.  The natural bound overshoots linearly in :math:`\\rho`
(``tests/test_certify.py`` encloses :math:`\\sup_{[-3,3]}|\\tanh''| = 4\\sqrt3/9` this way); near
a maximizer :math:`g'(T) = O(\\rho)`, so the mean-value form overshoots like :math:`\\rho^2` and
few boxes stay alive there.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable

import flint
import torch
from flint import arb

from ..activations import Activation, get_activation
from ..errors import ConfigError, NumericalError
from ._enclosure import Enclosure, enclosure_of
from ._scalar import ARB
from ._translate import translate

__all__ = ["sup_abs_derivative_on"]


def sup_abs_derivative_on(
    activation: str | Activation,
    order: int,
    interval: tuple[float, float],
    *,
    tol: float = 1e-9,
    prec: int = 64,
    max_boxes: int = 200_000,
) -> Enclosure:
    """A rigorous enclosure of :math:`\\sup_{a\\le t\\le b}|s^{(order)}(t)|`, at most ``tol`` wide.

    ``float64_value`` is :math:`|s^{(order)}(t^*)|` from torch float64 autograd at the best
    midpoint :math:`t^*` found.

    Raises:
        ConfigError: bad arguments, or a derivative outside the translator's whitelist
            (e.g. ``Heaviside`` for relu).
        NumericalError: ``max_boxes`` boxes did not reach ``tol`` (the message gives the bounds).
    """
    act = get_activation(activation)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ConfigError(f"order={order!r} must be a non-negative int")
    a, b = (float(v) for v in interval)
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ConfigError(f"interval={interval!r} must be finite with lower < upper")
    if not tol > 0:
        raise ConfigError(f"tol={tol!r} must be positive")
    g = translate(act.derivative_expr(order), ARB)
    dg = translate(act.derivative_expr(order + 1), ARB)

    def bound(box: arb) -> arb:
        natural = g(box)
        centered = g(box.mid()) + dg(box) * arb(0, box.rad())
        finite = [v.abs_upper() for v in (natural, centered) if v.is_finite()]
        return min(finite) if finite else arb("inf")

    with flint.ctx.workprec(prec):
        lower, upper, witness = _branch_and_bound(g, bound, arb(a), arb(b), tol, max_boxes)
    value = _torch_abs_derivative(act, order, witness)
    method = f"branch-and-bound(arb, {prec} bits)"
    return enclosure_of(lower.union(upper), value, method)


def _branch_and_bound(
    g: Callable[[arb], arb],
    bound: Callable[[arb], arb],
    a: arb,
    b: arb,
    tol: float,
    max_boxes: int,
) -> tuple[arb, arb, float]:
    """``(lower, upper, witness)``: exact balls with ``lower <= sup |g| <= upper``."""
    best, witness = arb(0), float(a)
    counter = itertools.count()
    heap: list[tuple[float, int, arb, arb, arb]] = []  # (-upper, tie-break, lo, hi, upper)

    def push(lo: arb, hi: arb) -> None:
        up = bound(lo.union(hi))
        if up > best:
            key = -float(up) if up.is_finite() else -math.inf
            heapq.heappush(heap, (key, next(counter), lo, hi, up))

    push(a, b)
    for _ in range(max_boxes):
        if not heap:
            return best, best, witness
        _, _, lo, hi, up = heap[0]
        if up.is_finite() and float(up - best) <= tol:
            return best, up, witness
        heapq.heappop(heap)
        mid = lo.union(hi).mid()
        if not lo < mid < hi:
            raise NumericalError(f"box [{lo}, {hi}] cannot be split at the working precision")
        point = g(mid).abs_lower()
        if point > best:
            best, witness = point, float(mid)
        push(lo, mid)
        push(mid, hi)
    top = heap[0][4] if heap else best
    raise NumericalError(
        f"{max_boxes} boxes left the supremum in [{best}, {top}], wider than tol={tol}"
    )


def _torch_abs_derivative(act: Activation, order: int, t: float) -> float:
    fn = act.torch_fn
    for _ in range(order):
        fn = torch.func.grad(fn)
    return abs(float(fn(torch.tensor(t, dtype=torch.float64))))
