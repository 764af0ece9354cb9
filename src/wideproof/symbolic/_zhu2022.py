"""Bounds of Zhu, Liu & Belkin on DAG networks (NeurIPS 2022, arXiv 2205.11786) and of Zhu,
Pandit & Belkin on linear bottleneck networks (arXiv 2206.15058)."""

from __future__ import annotations

import itertools

import sympy as sp

from ..errors import ConfigError
from ._bound import Bound, Provenance, linear_activation, linear_output, smooth_activation
from ._symbols import L, R, d, k, m, xnorm

__all__ = ["bottleneck_cross", "bottleneck_degree", "bottleneck_within", "dag_hessian"]

DAG = "Zhu, Liu, Belkin 2022 (arXiv 2205.11786)"
BOTTLENECK = "Zhu, Pandit, Belkin 2022 (arXiv 2206.15058)"

C = sp.Symbol("C", positive=True)
k_b = sp.Symbol("k_b", positive=True, integer=True)


def dag_hessian() -> Bound:
    """:math:`\\|H_f\\| = O((\\log k + R)^{L^2}/\\sqrt k)` on :math:`B(w_0, R)`, with k the minimum
    in-degree (the DAG network's width) and L the depth (arXiv:2205.11786, Thm 3.1, [R])."""
    return Bound(
        "zhu2022.dag-hessian",
        r"\sup_{w\in B(w_0,R)}\|H_f(w)\|_2",
        "<=",
        C * (sp.log(k) + R) ** (L**2) / sp.sqrt(k),
        (k, L, R, C),
        Provenance(
            DAG, "main theorem (Hessian of DAG networks)", "proofs/dag_proof.py", "[R] lo-med"
        ),
        (smooth_activation, linear_output),
        (sp.Gt(k, 1),),
        description="the width of a DAG network is its minimum in-degree k",
    )


def bottleneck_within() -> Bound:
    """Within-block second derivative of a linear network with a bottleneck (d->m->k_b->m->1):
    :math:`\\|\\partial^2f/\\partial W_2\\partial W_1\\|\\asymp\\|x\\|/\\sqrt{md}` (arXiv:2206.15058,
    [I])."""
    return Bound(
        "zhu2022.bottleneck.within-block",
        r"\|\partial^2 f/\partial W_2\partial W_1\|_2",
        "~",
        xnorm / sp.sqrt(m * d),
        (m, d, xnorm),
        Provenance(BOTTLENECK, "transition to multilinearity", "proofs/bottleneck_proof.py", "[I]"),
        (linear_activation, linear_output),
    )


def bottleneck_cross() -> Bound:
    """Cross-block second derivative across a bottleneck of width :math:`k_b`:
    :math:`\\|\\partial^2f/\\partial W_3\\partial W_2\\|\\asymp\\|x\\|/\\sqrt{k_bd}` (arXiv:2206.15058,
    [I])."""
    return Bound(
        "zhu2022.bottleneck.cross-block",
        r"\|\partial^2 f/\partial W_3\partial W_2\|_2",
        "~",
        xnorm / sp.sqrt(k_b * d),
        (m, d, k_b, xnorm),
        Provenance(BOTTLENECK, "transition to multilinearity", "proofs/bottleneck_proof.py", "[I]"),
        (linear_activation, linear_output),
    )


def bottleneck_degree(bottlenecks: int, depth: int | None = None) -> int:
    """The multilinear degree B of a deep linear network with ``bottlenecks`` fixed-width layers.

    Layers ``1..depth`` (the last one is the output); hidden layer j has width ``k_b`` if it is a
    bottleneck, else ``m``.  The order-r term of ``f`` in perturbations of layers
    :math:`l_1 < \\dots < l_r` scales as :math:`\\prod_i (\\min_{l_i\\le j<l_{i+1}} m_j)^{-1/2}`
    (arXiv:2206.15058, [I]); it survives ``m -> oo`` iff every consecutive pair is separated by a
    bottleneck.  The degree is the largest surviving r (= bottlenecks + 1, whatever the depth).
    """
    if not isinstance(bottlenecks, int) or bottlenecks < 0:
        raise ConfigError(f"bottlenecks={bottlenecks!r} must be a non-negative int")
    depth = 2 * bottlenecks + 2 if depth is None else depth
    if not isinstance(depth, int) or depth < bottlenecks + 1:
        raise ConfigError(f"depth={depth!r} must be an int >= bottlenecks + 1")
    hidden = depth - 1
    positions = {-(-(i + 1) * hidden // (bottlenecks + 1)) for i in range(bottlenecks)}
    widths = [k_b if j in positions else m for j in range(1, depth)]  # widths[j-1] = m_j
    best = 1
    for r in range(2, depth + 1):
        for layers in itertools.combinations(range(1, depth + 1), r):
            scale = sp.Integer(1)
            for a, b in itertools.pairwise(layers):
                # as m -> oo, min(m, k_b) = k_b: the smallest width between the two layers
                between = widths[a - 1 : b - 1]
                scale *= (k_b if k_b in between else m) ** sp.Rational(-1, 2)
            if m not in scale.free_symbols:
                best = max(best, r)
    return best
