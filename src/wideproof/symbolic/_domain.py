"""Side conditions: where each sub-expression of a step is a defined real number.

The checkers read every expression over the reals: z3 encodes ``sqrt(b)`` as ``s`` with
``s**2 = b, s >= 0`` (so it silently restricts to ``b >= 0``), ``simplify`` cancels
``(x**2 - 1)/(x - 1)`` to ``x + 1`` (silently excluding ``x = 1``).  A step is therefore PROVEN
only where its side conditions hold, and the derivation must establish them from its assumptions
(:meth:`Derivation.check` reports a missing one).  The conditions, each written ``expr op 0``:

* ``b**e``: ``b != 0`` for an integer ``e <= 0``; ``b >= 0`` for a positive non-integer rational
  ``e``; ``b > 0`` for a negative non-integer rational or a non-rational ``e`` (so ``0**0`` and a
  removable singularity are conditions, not identities);
* ``log(a)``: ``a > 0``; ``acosh(a)``: ``a - 1 >= 0``; ``atanh(a)``: ``1 - a**2 > 0``;
  ``asin(a)``, ``acos(a)``: ``1 - a**2 >= 0``.

Conditions that are certainly true numbers (``2 > 0``) are dropped.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["side_conditions"]


def _of_node(node: Any) -> list[Any]:
    if node.is_Pow:
        base, ex = node.args
        if ex.is_Integer:
            return [sp.Ne(base, 0, evaluate=False)] if ex <= 0 else []
        if ex.is_Rational and ex > 0:
            return [sp.Ge(base, 0, evaluate=False)]
        return [sp.Gt(base, 0, evaluate=False)]
    if isinstance(node, sp.log):
        return [sp.Gt(node.args[0], 0, evaluate=False)]
    if isinstance(node, sp.acosh):
        return [sp.Ge(node.args[0] - 1, 0, evaluate=False)]
    if isinstance(node, sp.atanh):
        return [sp.Gt(1 - node.args[0] ** 2, 0, evaluate=False)]
    if isinstance(node, (sp.asin, sp.acos)):
        return [sp.Ge(1 - node.args[0] ** 2, 0, evaluate=False)]
    return []


def _certainly_true(cond: Any) -> bool:
    v = cond.lhs
    if not v.is_Rational:
        return False
    return bool({">": v > 0, ">=": v >= 0, "!=": v != 0}[cond.rel_op])


def side_conditions(*exprs: Any) -> list[Any]:
    """The side conditions (unevaluated ``expr op 0`` relations) of ``exprs`` (or matrices)."""
    out: list[Any] = []
    for e in exprs:
        items = list(e) if isinstance(e, sp.MatrixBase) else [sp.sympify(e)]
        for item in items:
            for node in sp.preorder_traversal(item):
                for cond in _of_node(node):
                    if cond not in out and not _certainly_true(cond):
                        out.append(cond)
    return out
