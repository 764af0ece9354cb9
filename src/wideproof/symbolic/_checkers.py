"""The checkers that close a derivation step: exact sympy first, then z3, then arb intervals.

Each checker returns a :class:`Verdict`.  Only exact methods prove:

* equalities -- ``simplify(lhs - rhs) == 0`` (then the same after ``rewrite(exp)``);
* inequalities -- sympy's sign analysis after the shift substitution (``m > 1`` becomes
  ``m = 1 + u`` with ``u > 0``), else z3 on the polynomial/rational translation
  (:mod:`._z3`), else certified branch-and-bound with arb balls on a declared box (:mod:`._arb`);
* non-identities -- exact evaluation at a witness point to a non-zero number;
* scaling -- ``sympy.limit`` of ``expr / (var**a * log(var)**b)`` as ``var -> oo``.

A step without free symbols is decided by :mod:`._certified` (exact rationals, else arb balls at
rising precision), never by sympy's low-precision evaluation; sympy's sign analysis only sees
constants through their certified signs.  Random points and z3 models are used only to *refute*:
a point is a counterexample when every assumption and every declared sign certainly holds there
and the claim certainly fails (:func:`._certified.holds_at`).  Nothing undecided is ever accepted:
it is ``UNPROVEN``.  z3 proofs carry the unsatisfiable query as SMT-LIB 2 text, which any SMT
solver can re-run.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sympy as sp
import z3
from flint import arb

from . import _arb, _z3
from ._certified import constant_sign, holds_at, respects_declaration
from ._timing import remaining_ms

__all__ = [
    "Status",
    "Verdict",
    "check_eq",
    "check_ineq",
    "check_ne",
    "check_order",
    "entailed",
    "satisfiable",
]

Status = Literal["PROVEN", "REFUTED", "UNPROVEN", "ASSUMED", "TRIVIAL", "VACUOUS"]

Box = Mapping[Any, tuple[Any, Any]]

_SAMPLES = 48
_Z3_TIMEOUT_MS = 10_000
_MAX_BOXES = 5_000


@dataclass(frozen=True)
class Verdict:
    """How a step was decided: status, method, a human-readable detail, a counterexample, and for
    a z3 proof the unsatisfiable query as SMT-LIB 2 text."""

    status: Status
    method: str
    detail: str = ""
    counterexample: Mapping[str, str] | None = None
    smtlib: str = ""


# -- helpers ---------------------------------------------------------------------------------
def _is_matrix(e: Any) -> bool:
    return isinstance(e, sp.MatrixBase)


def _is_zero(e: Any) -> bool:
    if _is_matrix(e):
        return all(_is_zero(x) for x in e)
    return bool(e == 0)


def _simplify(e: Any) -> Any:
    return e.applyfunc(sp.simplify) if _is_matrix(e) else sp.simplify(e)


def _free(*exprs: Any) -> list[Any]:
    syms: set[Any] = set()
    for e in exprs:
        syms |= set(sp.sympify(e).free_symbols)
    return sorted(syms, key=lambda s: s.name)


def _shifts(assumptions: Sequence[Any]) -> dict[Any, Any]:
    """``s > c`` -> ``s = c + u`` (``u`` positive), ``s >= c`` -> nonnegative ``u``, same for <.

    Only rational bounds ``c`` are used; the substitution covers a superset of the assumed set, so
    a sign established after it holds under the assumption.
    """
    subs: dict[Any, Any] = {}
    for a in assumptions:
        if not isinstance(a, sp.Rel) or a.rel_op not in ("<", "<=", ">", ">="):
            continue
        lhs, rhs, op = a.lhs, a.rhs, a.rel_op
        if not lhs.is_Symbol and rhs.is_Symbol:
            lhs, rhs = rhs, lhs
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        if not lhs.is_Symbol or not rhs.is_Rational or lhs in subs:
            continue
        strict = op in ("<", ">")
        u = (
            sp.Dummy(f"{lhs.name}_shift", positive=True)
            if strict
            else sp.Dummy(f"{lhs.name}_shift", nonnegative=True)
        )
        subs[lhs] = rhs + u if op in (">", ">=") else rhs - u
    return subs


def _holds(assumptions: Sequence[Any], point: Mapping[Any, Any]) -> bool:
    """Every assumption and every symbol's declaration certainly holds at ``point``."""
    return all(respects_declaration(s, v) for s, v in point.items()) and all(
        holds_at(a, point) is True for a in assumptions
    )


def _sign_at(e: Any, point: Mapping[Any, Any]) -> int | None:
    value = sp.sympify(e).subs(dict(point))
    return None if value.free_symbols else constant_sign(value)


_POOL = [
    sp.Rational(1, 3),
    sp.Rational(1, 2),
    sp.Integer(1),
    sp.Rational(3, 2),
    sp.Integer(2),
    sp.Integer(3),
    sp.Integer(7),
    sp.Integer(10),
    sp.Integer(100),
    sp.Integer(10_000),
]


def _sample(
    syms: Sequence[Any], assumptions: Sequence[Any], box: Box | None, rng: random.Random
) -> dict[Any, Any]:
    shifts = _shifts(assumptions)
    point: dict[Any, Any] = {}
    for s in syms:
        if box is not None and s in box:
            lo, hi = (sp.Rational(v) for v in box[s])
            point[s] = lo + (hi - lo) * sp.Rational(rng.randint(0, 1000), 1000)
            continue
        v = rng.choice(_POOL) if rng.random() < 0.7 else sp.Rational(rng.randint(1, 10**6), 1000)
        if s.is_integer:
            v = sp.ceiling(v)
        if s in shifts:
            expr = shifts[s]
            point[s] = expr.subs({u: v for u in expr.free_symbols})
            if s.is_integer:
                point[s] = sp.ceiling(point[s])
        elif s.is_nonnegative:
            point[s] = v
        elif s.is_nonpositive:
            point[s] = -v
        else:
            point[s] = v if rng.random() < 0.5 else -v
    return point


def _format_point(point: Mapping[Any, Any]) -> dict[str, str]:
    return {s.name: str(v) for s, v in sorted(point.items(), key=lambda kv: kv[0].name)}


def _violates(violation: Any, point: Mapping[Any, Any], allow_zero: bool) -> bool:
    """``violation`` (scalar or matrix) is certainly > 0 at ``point`` (or = 0, if allowed)."""
    items = list(violation) if _is_matrix(violation) else [violation]
    signs = [_sign_at(item, point) for item in items]
    return any(s == 1 or (allow_zero and s == 0) for s in signs)


def _search_counterexample(
    violation: Any,
    syms: Sequence[Any],
    assumptions: Sequence[Any],
    box: Box | None,
    seed: int,
    allow_zero: bool = False,
) -> dict[Any, Any] | None:
    """A point satisfying the assumptions where ``violation`` is certainly > 0 (or = 0)."""
    rng = random.Random(seed)
    for _ in range(_SAMPLES):
        point = _sample(syms, assumptions, box, rng)
        if box is not None and not all(lo <= point[s] <= hi for s, (lo, hi) in box.items()):
            continue
        if _holds(assumptions, point) and _violates(violation, point, allow_zero):
            return point
    return None


def _refuted(
    method: str, point: Mapping[Any, Any], what: str, claim_symbols: Sequence[Any] | None = None
) -> Verdict:
    shown = (
        point if claim_symbols is None else {s: v for s, v in point.items() if s in claim_symbols}
    )
    return Verdict("REFUTED", method, f"{what} at the counterexample", _format_point(shown))


def _box_relations(box: Box | None) -> list[Any]:
    if box is None:
        return []
    return [
        r
        for s, (lo, hi) in box.items()
        for r in (
            sp.Ge(s, sp.Rational(lo), evaluate=False),
            sp.Le(s, sp.Rational(hi), evaluate=False),
        )
    ]


# -- equalities ------------------------------------------------------------------------------
def check_eq(lhs: Any, rhs: Any, assumptions: Sequence[Any], seed: int = 0) -> Verdict:
    """Prove ``lhs == rhs`` by exact simplification; refute at a certified point."""
    diff = sp.sympify(lhs) - sp.sympify(rhs) if not _is_matrix(lhs) else lhs - rhs
    if _is_matrix(diff) and diff.shape != getattr(lhs, "shape", diff.shape):
        return Verdict("REFUTED", "shape", "the two sides have different shapes")
    if _is_zero(diff):
        return Verdict("PROVEN", "exact", "the difference is identically 0")
    if _is_zero(_simplify(diff)):
        return Verdict("PROVEN", "sympy.simplify", "simplify(lhs - rhs) = 0")
    rewritten = (
        diff.applyfunc(lambda e: e.rewrite(sp.exp)) if _is_matrix(diff) else diff.rewrite(sp.exp)
    )
    if _is_zero(_simplify(rewritten)):
        return Verdict("PROVEN", "sympy.simplify(rewrite(exp))", "simplify(rewrite(lhs - rhs)) = 0")
    syms = _free(diff)
    magnitude = diff.applyfunc(lambda e: e**2) if _is_matrix(diff) else diff**2
    if all(s.is_real for s in syms):
        point = _search_counterexample(magnitude, syms, assumptions, None, seed)
        if point is not None:
            return _refuted("certified evaluation (exact / arb)", point, "lhs - rhs != 0")
    return Verdict("UNPROVEN", "none", "simplify did not reach 0 and no counterexample was found")


def check_ne(
    lhs: Any, rhs: Any, witness: Mapping[Any, Any], assumptions: Sequence[Any] = ()
) -> Verdict:
    """Prove ``lhs != rhs`` (as functions) at ``witness``, a point allowed by the assumptions
    and the declarations, where ``lhs - rhs`` is certainly non-zero."""
    for sym, value in witness.items():
        if not respects_declaration(sym, value):
            return Verdict(
                "UNPROVEN", "witness", f"the witness {sym} = {value} breaks its declaration"
            )
    for a in assumptions:
        if holds_at(a, witness) is not True:
            return Verdict("UNPROVEN", "witness", f"the witness does not satisfy {a}")
    diff = lhs - rhs
    at = diff.subs(dict(witness))
    at = at.applyfunc(sp.simplify) if _is_matrix(at) else sp.simplify(at)
    if _is_zero(at):
        return Verdict("UNPROVEN", "exact", "lhs - rhs is 0 at the witness")
    values = list(at) if _is_matrix(at) else [at]
    if all(v.is_number for v in values) and any(_nonzero(v) for v in values):
        return Verdict(
            "PROVEN",
            "certified evaluation at a witness",
            f"lhs - rhs = {_short(at)}",
            _format_point(witness),
        )
    return Verdict("UNPROVEN", "exact", "the value at the witness is not a decided number")


def _nonzero(v: Any) -> bool:
    """``v`` (a number, possibly complex) is certainly non-zero."""
    if constant_sign(v) in (-1, 1):
        return True
    re_, im = v.as_real_imag()
    return constant_sign(re_) in (-1, 1) or constant_sign(im) in (-1, 1)


def _short(e: Any, limit: int = 80) -> str:
    s = str(e)
    return s if len(s) <= limit else s[: limit - 3] + "..."


# -- inequalities ----------------------------------------------------------------------------
def check_ineq(
    lhs: Any,
    rhs: Any,
    strict: bool,
    assumptions: Sequence[Any],
    box: Box | None = None,
    seed: int = 0,
) -> Verdict:
    """Prove ``lhs <= rhs`` (``<`` when ``strict``) under the assumptions (and on ``box``)."""
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    gap = rhs - lhs
    if not gap.free_symbols:
        return _by_constant(gap, strict)
    domain_note = "" if box is None else " on the declared box"
    verdict = _by_sign(gap, strict, assumptions)
    if verdict is not None:
        return verdict
    claim = sp.Lt(lhs, rhs, evaluate=False) if strict else sp.Le(lhs, rhs, evaluate=False)
    z3_verdict = _by_z3(claim, list(assumptions) + _box_relations(box), gap, strict)
    if z3_verdict is not None and z3_verdict.status != "UNPROVEN":
        return z3_verdict
    if box is not None:
        bb = _by_boxes(gap, strict, assumptions, box)
        if bb.status != "UNPROVEN":
            return bb
    point = _search_counterexample(-gap, _free(gap), assumptions, box, seed, allow_zero=strict)
    if point is not None:
        return _refuted("certified evaluation (exact / arb)", point, "lhs > rhs")
    detail = "; ".join(v.detail for v in (z3_verdict,) if v is not None and v.detail)
    return Verdict("UNPROVEN", "none", (detail or "no checker closed the step") + domain_note)


def _by_constant(gap: Any, strict: bool) -> Verdict:
    """A numeric relation: the certified sign of ``rhs - lhs``."""
    sign = constant_sign(gap)
    method = "exact rational" if gap.is_Rational else "arb (certified enclosure)"
    if sign is None:
        return Verdict("UNPROVEN", method, "the sign of rhs - lhs was not certified")
    if sign > 0 or (sign == 0 and not strict):
        return Verdict("PROVEN", method, f"rhs - lhs has the certified sign {sign}")
    return Verdict("REFUTED", method, f"rhs - lhs has the certified sign {sign}")


class _Uncertified(Exception):
    pass


def _certified_constants(e: Any) -> Any:
    """``e`` with each non-rational constant replaced by 0 or a Dummy carrying its certified sign,
    so that sympy's sign analysis never evaluates a constant itself; raises :class:`_Uncertified`
    when a constant's sign (or realness) is not certified."""
    cache: dict[Any, Any] = {}

    def visit(node: Any) -> Any:
        if not node.free_symbols:
            if node.is_Rational:
                return node
            if node not in cache:
                sign = constant_sign(node)
                if sign is None:
                    raise _Uncertified
                cache[node] = (
                    sp.Integer(0)
                    if sign == 0
                    else sp.Dummy("c", positive=True)
                    if sign > 0
                    else sp.Dummy("c", negative=True)
                )
            return cache[node]
        if not node.args:
            return node
        return node.func(*[visit(a) for a in node.args])

    return visit(e)


def _sign_holds(e: Any, op: str, assumptions: Sequence[Any]) -> bool:
    """sympy's sign analysis, after the shifts, establishes ``e op 0`` (op: > >= !=)."""
    try:
        shifted = _certified_constants(sp.sympify(e).subs(_shifts(assumptions)))
    except _Uncertified:
        return False
    for form in (shifted, sp.factor(sp.together(shifted)), sp.simplify(shifted)):
        ok = {">": form.is_positive, ">=": form.is_nonnegative, "!=": form.is_nonzero}[op]
        if ok:
            return True
    return False


def _by_sign(gap: Any, strict: bool, assumptions: Sequence[Any]) -> Verdict | None:
    if _sign_holds(gap, ">" if strict else ">=", assumptions):
        return Verdict("PROVEN", "sympy.sign", "rhs - lhs has a known sign under the assumptions")
    return None


def _solver(facts: Sequence[Any]) -> Any:
    solver = z3.Solver()
    solver.set("timeout", remaining_ms(_Z3_TIMEOUT_MS))
    solver.add(*facts)
    return solver


def _by_z3(claim: Any, assumptions: Sequence[Any], gap: Any, strict: bool) -> Verdict | None:
    ctx = _z3.Translation()
    try:
        goal = _z3.translate(claim, ctx)
        hyps = [_z3.translate(a, ctx) for a in assumptions]
    except _z3.Untranslatable as exc:
        return Verdict("UNPROVEN", "z3", f"z3: {exc}")
    solver = _solver([*ctx.side, *hyps, z3.Not(goal)])
    result = solver.check()
    how = "z3.nlsat" + (f" (relaxing {', '.join(ctx.relaxed)})" if ctx.relaxed else "")
    if result == z3.unsat:
        return Verdict(
            "PROVEN",
            how,
            "assumptions and not(claim) are unsatisfiable",
            smtlib=solver.to_smt2(),
        )
    if result == z3.sat:
        model = solver.model()
        point = {}
        for sym, var in ctx.variables.items():
            val = model.eval(var, model_completion=True)
            point[sym] = _z3_value(val)
        ctx.realize(point, lambda var: _z3_value(model.eval(var, model_completion=True)))
        if all(v is not None for v in point.values()) and _holds(assumptions, point):
            if _violates(-gap, point, allow_zero=strict):
                return _refuted("z3 model, certified", point, "lhs > rhs", _free(gap))
        return Verdict("UNPROVEN", "z3", "z3 found a model of the relaxation, not confirmed")
    return Verdict("UNPROVEN", "z3", "z3 returned unknown (timeout)")


def _z3_value(val: Any) -> Any:
    if z3.is_rational_value(val):
        return sp.Rational(val.numerator_as_long(), val.denominator_as_long())
    if z3.is_algebraic_value(val):
        approx = val.approx(40)
        return sp.Rational(approx.numerator_as_long(), approx.denominator_as_long())
    return None


def _by_boxes(gap: Any, strict: bool, assumptions: Sequence[Any], box: Box) -> Verdict:
    """Best-first bisection: every sub-box must have a certainly non-negative enclosure of ``gap``.

    The box with the lowest enclosure is split first, so a false claim meets a point with a
    certainly negative value early; that point (if it satisfies the assumptions) refutes.
    """
    syms = _free(gap)
    missing = [s.name for s in syms if s not in box]
    if missing:
        return Verdict("UNPROVEN", "arb", f"arb: no interval for {', '.join(missing)}")

    def enclose(cell: dict[Any, tuple[Any, Any]]) -> arb:
        return _arb.arb_eval(gap, {s: _arb.interval(lo, hi) for s, (lo, hi) in cell.items()})

    start = {s: (sp.Rational(box[s][0]), sp.Rational(box[s][1])) for s in syms}
    try:
        heap = [(0.0, 0, start, enclose(start))]
    except _arb.Untranslatable as exc:
        return Verdict("UNPROVEN", "arb", f"arb: {exc}")
    count = 0
    while heap:
        _, _, cell, enclosure = heapq.heappop(heap)
        count += 1
        if count > _MAX_BOXES:
            return Verdict("UNPROVEN", "arb", f"arb: not closed within {_MAX_BOXES} boxes")
        if (enclosure > 0) if strict else (enclosure >= 0):
            continue
        mid = {s: (lo + hi) / 2 for s, (lo, hi) in cell.items()}
        if _holds(assumptions, mid) and _violates(-gap, mid, allow_zero=strict):
            return _refuted("arb (certified value at a point)", mid, "lhs > rhs")
        widest = max(cell, key=lambda s: cell[s][1] - cell[s][0])
        lo, hi = cell[widest]
        try:
            for part in ((lo, (lo + hi) / 2), ((lo + hi) / 2, hi)):
                sub = {**cell, widest: part}
                e = enclose(sub)
                heapq.heappush(heap, (float(e.lower().mid()), count * 2 + len(heap), sub, e))
        except _arb.Untranslatable as exc:
            return Verdict("UNPROVEN", "arb", f"arb: {exc}")
    return Verdict("PROVEN", "arb branch-and-bound", f"{count} boxes, certified enclosures")


# -- side conditions and consistency ----------------------------------------------------------
def entailed(condition: Any, assumptions: Sequence[Any], box: Box | None = None) -> bool:
    """Whether ``condition`` (``expr op 0``, op in ``> >= !=``) follows from the assumptions, the
    declared signs and the box: certified sign of a constant, sign analysis, z3, or arb on the box.
    """
    e, op = condition.lhs, condition.rel_op
    if not e.free_symbols:
        sign = constant_sign(e)
        return sign is not None and {">": sign > 0, ">=": sign >= 0, "!=": sign != 0}[op]
    if _sign_holds(e, op, assumptions):
        return True
    negated = sp.Not(condition) if op != "!=" else sp.Eq(e, 0, evaluate=False)
    ctx = _z3.Translation()
    try:
        facts = [_z3.translate(a, ctx) for a in (*assumptions, *_box_relations(box), negated)]
    except _z3.Untranslatable:
        facts = []
    if facts and _solver([*ctx.side, *facts]).check() == z3.unsat:
        return True
    if box is None or op == "!=":
        return False
    return _by_boxes(e, op == ">", assumptions, box).status == "PROVEN"


def satisfiable(
    assumptions: Sequence[Any], symbols: Sequence[Any], box: Box | None = None
) -> bool | None:
    """Whether some point allowed by the declarations of ``symbols`` satisfies the assumptions
    and the box: z3 (``False`` is then a proof of inconsistency), else a certified sample point.
    """
    ctx = _z3.Translation()
    try:
        facts = [_z3.translate(a, ctx) for a in (*assumptions, *_box_relations(box))]
        for sym in symbols:
            ctx.var(sym)
        result = _solver([*ctx.side, *facts]).check()
    except _z3.Untranslatable:
        result = z3.unknown
    if result == z3.unsat:
        return False
    if result == z3.sat:
        return True
    rng = random.Random(0)
    syms = _free(*assumptions)
    for _ in range(_SAMPLES):
        if _holds(assumptions, _sample(syms, assumptions, box, rng)):
            return True
    return None


# -- scaling ---------------------------------------------------------------------------------
def check_order(
    expr: Any, var: Any, exponent: Any, log_power: Any, kind: Literal["theta", "upper", "lower"]
) -> Verdict:
    """``lim_{var->oo} expr / (var**a * log(var)**b)``: finite non-zero (theta), finite (upper),
    non-zero (lower)."""
    ratio = sp.sympify(expr) / (var ** sp.sympify(exponent) * sp.log(var) ** sp.sympify(log_power))
    try:
        lim = sp.limit(ratio, var, sp.oo)
    except (NotImplementedError, ValueError, TypeError) as exc:
        return Verdict("UNPROVEN", "sympy.limit", f"limit failed: {exc}")
    if lim.has(sp.AccumBounds) or lim.has(sp.Limit) or lim is sp.nan:
        return Verdict("UNPROVEN", "sympy.limit", f"limit = {lim}")
    finite, zero = lim.is_finite, lim.is_zero
    detail = f"limit of the ratio = {_short(lim)}"
    if kind == "upper":
        if finite:
            return Verdict("PROVEN", "sympy.limit", detail)
        if finite is False:
            return Verdict("REFUTED", "sympy.limit", detail)
    elif kind == "lower":
        if zero is False and (finite is False or lim.is_nonzero):
            return Verdict("PROVEN", "sympy.limit", detail)
        if zero:
            return Verdict("REFUTED", "sympy.limit", detail)
    else:
        if finite and zero is False:
            return Verdict("PROVEN", "sympy.limit", detail)
        if finite is False or zero:
            return Verdict("REFUTED", "sympy.limit", detail)
    return Verdict("UNPROVEN", "sympy.limit", detail + " (finiteness/sign undecided)")
