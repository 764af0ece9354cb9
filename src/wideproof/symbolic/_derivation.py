"""``Derivation``: a named chain of steps, each closed by a checker or marked as an assumption.

A derivation holds assumptions (sympy relations such as ``m > 1``; the declared symbols already
carry their signs) and steps:

* ``eq(lhs, rhs)`` -- an identity (scalars or matrices), proven by exact simplification;
* ``le(lhs, rhs)`` / ``lt(lhs, rhs)`` -- an inequality, proven by sympy's sign analysis, z3 or arb
  branch-and-bound on a declared ``box``; ``given`` names earlier established statements used as
  extra hypotheses;
* ``ne(lhs, rhs, witness)`` -- a non-identity (a printed formula that is wrong), proven by exact
  evaluation at a witness point;
* ``order(expr, var, a, log_power=b)`` -- :math:`\\lim_{var\\to\\infty} expr/(var^a\\log(var)^b)`
  finite and non-zero (``kind="theta"``), finite (``"upper"``) or non-zero (``"lower"``);
* ``assume(statement, reference=...)`` -- a fact taken from a paper without proof: it is reported
  as ASSUMED with its reference, never as proven;
* ``uses(other)`` -- another derivation (a lemma) whose report becomes part of this one; its
  established statements may then appear in ``given``.

``check()`` returns a :class:`Report`: one status per step with the method that decided it,
serializable to a JSON certificate (:meth:`Report.to_json`).  The soundness contract
(``docs/symbolic.md``):

* PROVEN -- the statement holds at every real point allowed by the symbols' declarations, the
  assumptions (and the box, the ``given`` facts) where its side conditions hold (:mod:`._domain`),
  and those side conditions follow from the assumptions;
* VACUOUS -- the assumptions (with the declarations, the box, the ``given`` facts) are
  contradictory, so nothing is proven;
* TRIVIAL -- the two sides are the same expression once built (``4/lam = 4/lam``): true, no content;
* REFUTED -- a certified counterexample (or a certified numeric sign);
* UNPROVEN -- no checker decided, a side condition is missing, or the step ran out of time.

Before anything is checked, assumptions are validated (relations over real symbols, no floats, no
infinities; ``True`` dropped, ``False`` refused), two distinct symbols printing alike are refused,
and floats anywhere in a step are refused (write ``sp.Rational`` or use ``sp.nsimplify``).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any, Literal

import sympy as sp

from ..errors import ConfigError
from ._certified import holds_at
from ._checkers import (
    Status,
    Verdict,
    check_eq,
    check_ineq,
    check_ne,
    check_order,
    entailed,
    satisfiable,
)
from ._domain import side_conditions
from ._timing import StepTimeout, time_limit

__all__ = ["Derivation", "Report", "StepReport"]

StepKind = Literal["eq", "le", "lt", "ne", "order", "assume"]


@dataclass(frozen=True)
class StepReport:
    """One checked step: its status and method, the side conditions it was checked under
    (``expr op 0``, see :mod:`._domain`) and, for a z3 proof, the SMT-LIB 2 query."""

    index: int
    kind: StepKind
    statement: str
    why: str
    status: Status
    method: str
    detail: str = ""
    counterexample: Mapping[str, str] | None = None
    reference: str = ""
    conditions: tuple[str, ...] = ()
    smtlib: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "kind": self.kind,
            "statement": self.statement,
            "why": self.why,
            "status": self.status,
            "method": self.method,
            "detail": self.detail,
        }
        if self.counterexample is not None:
            out["counterexample"] = dict(self.counterexample)
        if self.reference:
            out["reference"] = self.reference
        if self.conditions:
            out["side_conditions"] = list(self.conditions)
        if self.smtlib:
            out["smtlib"] = self.smtlib
        return out


@dataclass(frozen=True)
class Report:
    """The result of :meth:`Derivation.check`: every step, the lemmas' reports, the versions."""

    name: str
    assumptions: tuple[str, ...]
    steps: tuple[StepReport, ...]
    uses: tuple[Report, ...] = ()
    symbols: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No step REFUTED, UNPROVEN or VACUOUS, at least one step of evidence (PROVEN, or ASSUMED
        with a reference -- TRIVIAL steps count for nothing), every lemma ok."""
        return (
            not self.failing_steps()
            and any(s.status in ("PROVEN", "ASSUMED") for s in self.steps)
            and all(u.ok for u in self.uses)
        )

    def failing_steps(self) -> list[StepReport]:
        """This derivation's REFUTED, UNPROVEN and VACUOUS steps."""
        return [s for s in self.steps if s.status in _FAILING]

    def failures(self) -> list[tuple[str, StepReport]]:
        """``(derivation name, step)`` for every failing step, lemmas included."""
        out = [(u_name, s) for u in self.uses for u_name, s in u.failures()]
        out += [(self.name, s) for s in self.failing_steps()]
        return out

    def counts(self) -> dict[str, int]:
        """Number of steps per status (this derivation only)."""
        out = dict.fromkeys(_STATUSES, 0)
        for s in self.steps:
            out[s.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        """The certificate: steps, methods, assumptions, lemmas, versions and a content digest."""
        body: dict[str, Any] = {
            "name": self.name,
            "ok": self.ok,
            "assumptions": list(self.assumptions),
            "symbols": {k: dict(v) for k, v in self.symbols.items()},
            "counts": self.counts(),
            "steps": [s.to_json() for s in self.steps],
            "uses": [u.to_json() for u in self.uses],
        }
        signed = ("name", "assumptions", "symbols", "steps")
        blob = json.dumps({k: body[k] for k in signed}, sort_keys=True)
        body["digest"] = hashlib.sha256(blob.encode()).hexdigest()[:16]
        body["versions"] = versions()
        return body

    def format(self) -> str:
        """A plain-text per-step report."""
        counts = ", ".join(f"{n} {k}" for k, n in self.counts().items() if n)
        lines = [f"derivation {self.name}: {'OK' if self.ok else 'FAILED'} ({counts})"]
        for u in self.uses:
            lines += ["  " + line for line in u.format().splitlines()]
        for s in self.steps:
            text = s.statement if len(s.statement) <= 90 else s.statement[:87] + "..."
            lines.append(f"  step {s.index} ({s.kind}) {s.status:<8} [{s.method}] {text}")
            if s.status == "ASSUMED":
                lines.append(f"      reference: {s.reference}")
            if s.counterexample:
                pt = ", ".join(f"{k}={v}" for k, v in s.counterexample.items())
                label = "witness" if s.kind == "ne" else "counterexample"
                lines.append(f"      {label}: {pt}")
            if s.status in _FAILING and s.detail:
                lines.append(f"      {s.detail}")
        return "\n".join(lines)


_STATUSES = ("PROVEN", "ASSUMED", "TRIVIAL", "REFUTED", "UNPROVEN", "VACUOUS")
_FAILING = ("REFUTED", "UNPROVEN", "VACUOUS")
_DECLARATIONS = ("real", "integer", "positive", "nonnegative", "negative", "nonpositive", "nonzero")


def declaration(sym: Any) -> dict[str, bool]:
    """The facts a symbol is declared with (``{"positive": True, ...}``), for certificates."""
    return {k: True for k in _DECLARATIONS if getattr(sym, f"is_{k}") is True}


def versions() -> dict[str, str]:
    """Versions of the tools a certificate depends on."""
    out = {"python": platform.python_version()}
    for dist in ("sympy", "mpmath", "z3-solver", "python-flint", "cvc5", "wideproof"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


@dataclass
class _Step:
    kind: StepKind
    statement: str
    why: str
    payload: dict[str, Any] = field(default_factory=dict)
    fact: Any = None  # the sympy relation this step establishes, when it is one


def _sym(value: Any, name: str) -> Any:
    """``value`` as an exact sympy expression (or matrix); floats are refused."""
    try:
        e = value if isinstance(value, sp.MatrixBase) else sp.sympify(value)
    except (sp.SympifyError, TypeError) as exc:
        raise ConfigError(f"{name}={value!r} is not a sympy expression: {exc}") from None
    floats = e.atoms(sp.Float) if hasattr(e, "atoms") else set()
    if floats:
        f = sorted(floats, key=str)[0]
        raise ConfigError(
            f"{name} holds the inexact number {f}: write it exactly, e.g. sp.Rational('{f}'), "
            "or convert with sp.nsimplify(...) (or opt in with Derivation(float_tolerance=...))"
        )
    return e


def _relations(a: Any) -> list[Any]:
    """A validated assumption as a list of relations (``And`` split, ``True`` dropped)."""
    rel = _sym(a, "assumptions")
    if rel is sp.true:
        return []
    if rel is sp.false:
        raise ConfigError(f"assumptions entry {a!r} is False (for the declared symbols)")
    if isinstance(rel, sp.And):
        return [r for part in rel.args for r in _relations(part)]
    if not isinstance(rel, (sp.Rel, sp.Or, sp.Not)):
        raise ConfigError(f"assumptions entry {a!r} is not a relation such as m > 1")
    if rel.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise ConfigError(f"assumptions entry {rel} compares with an infinite or undefined value")
    _require_real(rel, "assumptions")
    return [rel]


def _require_real(e: Any, where: str) -> None:
    loose = sorted((s for s in e.free_symbols if not s.is_real), key=str)
    if loose:
        raise ConfigError(
            f"{where}: symbol {loose[0]} is not declared real; use sp.Symbol('{loose[0]}', "
            "real=True) (or positive=True, ...)"
        )


def _condition(c: Any) -> str:
    return f"{_text(c.lhs)} {c.rel_op} {_text(c.rhs)}"


def _describe(sym: Any) -> str:
    facts = ", ".join(f"{k}=True" for k in declaration(sym)) or "no assumptions"
    return f"{type(sym).__name__}('{sym.name}', {facts})"


def _exact_bound(value: Any, where: str) -> Any:
    if isinstance(value, float):
        raise ConfigError(f"{where}: {value!r} is a float; write sp.Rational or use sp.nsimplify")
    return sp.Rational(_sym(value, where))


def _text(e: Any) -> str:
    return " ".join(sp.sstr(e).split())


class Derivation:
    """A checkable derivation.  See the module docstring for the step kinds.

    Args:
        name: a short identifier, reported with every failing step.
        assumptions: sympy relations over the derivation's real symbols (``m > 1``); ``And`` is
            split, relations already true by declaration (``k > 0`` for a positive ``k``) dropped.
        step_seconds: wall-clock limit of each step (``None``: none); a step that runs out is
            UNPROVEN (timeout).
        float_tolerance: an exact positive number opting in to floats in ``eq``/``le``/``lt``
            sides: each float is read as its printed decimal, and a step holding one is checked
            only up to the tolerance (``|lhs - rhs| <= tol``, ``lhs <= rhs + tol``,
            ``lhs < rhs + tol``), which its statement and method then say.  Floats stay refused
            in assumptions, boxes, witnesses and matrices.
    """

    def __init__(
        self,
        name: str,
        assumptions: Sequence[Any] = (),
        *,
        step_seconds: float | None = 30.0,
        float_tolerance: Any = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"name={name!r} must be a non-empty string")
        if step_seconds is not None and not step_seconds > 0:
            raise ConfigError(f"step_seconds={step_seconds!r} must be positive or None")
        self.name = name
        self.step_seconds = step_seconds
        self.float_tolerance = None
        if float_tolerance is not None:
            tol = _sym(float_tolerance, "float_tolerance")
            if not (tol.is_Rational and tol > 0):
                raise ConfigError(
                    f"float_tolerance={float_tolerance!r} must be an exact number > 0"
                )
            self.float_tolerance = tol
        self._symbols: dict[str, Any] = {}
        self.assumptions: list[Any] = []
        for a in assumptions:
            for rel in _relations(a):
                self._register(rel)
                self.assumptions.append(rel)
        self._steps: list[_Step] = []
        self._uses: list[Derivation] = []
        self._revision = 0
        self._report: tuple[Any, Report] | None = None

    def __repr__(self) -> str:
        return f"Derivation({self.name!r}, steps={len(self._steps)}, uses={len(self._uses)})"

    # -- building --------------------------------------------------------------------------
    def _register(self, *exprs: Any) -> None:
        """Refuse two distinct symbols that print alike (``x`` real and ``x`` positive)."""
        for e in exprs:
            for sym in sorted(e.free_symbols, key=str):
                known = self._symbols.setdefault(sym.name, sym)
                if known != sym:
                    raise ConfigError(
                        f"two different symbols print as {sym.name!r}: {_describe(known)} and "
                        f"{_describe(sym)}; use one symbol or rename one"
                    )

    def _sides(self, lhs: Any, rhs: Any) -> tuple[Any, Any, Any]:
        """Both sides, exact; with ``float_tolerance`` scalar floats become their decimals and the
        tolerance the step is checked to is returned (else ``None``)."""
        if self.float_tolerance is None or any(isinstance(v, sp.MatrixBase) for v in (lhs, rhs)):
            return _sym(lhs, "lhs"), _sym(rhs, "rhs"), None
        raw = [sp.sympify(v) for v in (lhs, rhs)]
        floats = {f for e in raw for f in e.atoms(sp.Float)}
        exact = [e.xreplace({f: sp.Rational(str(f)) for f in floats}) for e in raw]
        return exact[0], exact[1], (self.float_tolerance if floats else None)

    def _add(self, step: _Step) -> Derivation:
        self._steps.append(step)
        self._revision += 1
        return self

    def eq(self, lhs: Any, rhs: Any, why: str = "") -> Derivation:
        """Add the identity ``lhs == rhs`` (scalars or matrices of the same shape)."""
        a, b, tol = self._sides(lhs, rhs)
        if isinstance(a, sp.MatrixBase) != isinstance(b, sp.MatrixBase):
            raise ConfigError("lhs and rhs must both be matrices or both be scalars")
        if isinstance(a, sp.MatrixBase) and a.shape != b.shape:
            raise ConfigError(f"lhs has shape {a.shape} but rhs has shape {b.shape}")
        fact = None if isinstance(a, sp.MatrixBase) or tol else sp.Eq(a, b, evaluate=False)
        self._register(a, b)
        text = f"{_text(a)} = {_text(b)}" + (f" up to {tol} (floats)" if tol else "")
        return self._add(_Step("eq", text, why, {"lhs": a, "rhs": b, "tolerance": tol}, fact))

    def le(
        self,
        lhs: Any,
        rhs: Any,
        why: str = "",
        *,
        box: Mapping[Any, tuple[Any, Any]] | None = None,
        given: Sequence[Any] = (),
    ) -> Derivation:
        """Add ``lhs <= rhs``; on ``box`` (symbol -> (lo, hi)) when given."""
        return self._ineq("le", lhs, rhs, why, box, given)

    def lt(
        self,
        lhs: Any,
        rhs: Any,
        why: str = "",
        *,
        box: Mapping[Any, tuple[Any, Any]] | None = None,
        given: Sequence[Any] = (),
    ) -> Derivation:
        """Add ``lhs < rhs``; on ``box`` when given."""
        return self._ineq("lt", lhs, rhs, why, box, given)

    def _ineq(
        self,
        kind: Literal["le", "lt"],
        lhs: Any,
        rhs: Any,
        why: str,
        box: Mapping[Any, tuple[Any, Any]] | None,
        given: Sequence[Any],
    ) -> Derivation:
        a, b, tol = self._sides(lhs, rhs)
        if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
            raise ConfigError("inequalities compare scalars, not matrices")
        checked_box = None
        if box is not None:
            checked_box = {}
            for s, bounds in box.items():
                if not getattr(s, "is_Symbol", False) or len(bounds) != 2:
                    raise ConfigError(f"box entry {s!r}: expected symbol -> (lo, hi)")
                lo, hi = (_exact_bound(v, f"box entry {s}") for v in bounds)
                if lo > hi:
                    raise ConfigError(f"box entry {s}: lo={lo} > hi={hi}")
                checked_box[s] = (lo, hi)
        hyps = [_sym(g, "given") for g in given]
        for e in (a, b, *hyps, *(checked_box or {})):
            _require_real(e, "inequality")
        self._register(a, b, *hyps, *(checked_box or {}))
        rel = sp.Lt(a, b, evaluate=False) if kind == "lt" else sp.Le(a, b, evaluate=False)
        op = "<" if kind == "lt" else "<="
        text = f"{_text(a)} {op} {_text(b)}" + (f" up to {tol} (floats)" if tol else "")
        if checked_box:
            text += " for " + ", ".join(
                f"{s} in [{lo}, {hi}]" for s, (lo, hi) in checked_box.items()
            )
        fact = rel if not (checked_box or tol) else None
        payload = {"lhs": a, "rhs": b, "box": checked_box, "given": hyps, "tolerance": tol}
        return self._add(_Step(kind, text, why, payload, fact))

    def ne(
        self, lhs: Any, rhs: Any, witness: Mapping[Any, Any] | None = None, why: str = ""
    ) -> Derivation:
        """Add ``lhs != rhs`` (as functions), shown by exact evaluation at ``witness``."""
        a, b = _sym(lhs, "lhs"), _sym(rhs, "rhs")
        witness = {s: _sym(v, f"witness value of {s}") for s, v in (witness or {}).items()}
        self._register(a, b, *witness)
        free = {s for e in (a, b) for s in e.free_symbols}
        if free - set(witness):
            raise ConfigError(
                "witness must assign values to "
                + ", ".join(sorted(str(s) for s in free - set(witness)))
            )
        return self._add(
            _Step(
                "ne",
                f"{_text(a)} != {_text(b)}",
                why,
                {"lhs": a, "rhs": b, "witness": dict(witness)},
            )
        )

    def order(
        self,
        expr: Any,
        var: Any,
        exponent: Any,
        log_power: Any = 0,
        *,
        kind: Literal["theta", "upper", "lower"] = "theta",
        why: str = "",
    ) -> Derivation:
        """Add ``expr = Theta(var**exponent * log(var)**log_power)`` as ``var -> oo`` (or O/Omega
        with ``kind="upper"``/``"lower"``)."""
        if kind not in ("theta", "upper", "lower"):
            raise ConfigError(f"kind={kind!r} must be 'theta', 'upper' or 'lower'")
        e, a, b = _sym(expr, "expr"), _sym(exponent, "exponent"), _sym(log_power, "log_power")
        if not getattr(var, "is_Symbol", False):
            raise ConfigError(f"var={var!r} must be a sympy Symbol")
        self._register(e, var)
        letter = {"theta": "Theta", "upper": "O", "lower": "Omega"}[kind]
        scale = f"{var}**({a})" + (f" * log({var})**({b})" if b != 0 else "")
        text = f"{_text(e)} = {letter}({scale}) as {var} -> oo"
        return self._add(
            _Step(
                "order",
                text,
                why,
                {"expr": e, "var": var, "exponent": a, "log_power": b, "kind": kind},
            )
        )

    def assume(self, statement: Any, reference: str, why: str = "") -> Derivation:
        """Record a fact taken without proof; ``reference`` (paper, theorem) is required."""
        if not isinstance(reference, str) or not reference.strip():
            raise ConfigError("reference must name the paper and theorem the fact comes from")
        if isinstance(statement, str):
            text, fact = statement, None
        else:
            fact = _sym(statement, "statement")
            self._register(fact)
            text = _text(fact)
        return self._add(_Step("assume", text, why, {"reference": reference}, fact))

    def uses(self, other: Derivation) -> Derivation:
        """Chain a lemma: its report is checked with this one; its statements become citable."""
        if not isinstance(other, Derivation):
            raise ConfigError(f"uses() takes a Derivation, got {type(other).__name__}")
        if other is self or self in other._lemmas():
            raise ConfigError(f"circular uses: {other.name!r} already uses {self.name!r}")
        self._uses.append(other)
        self._revision += 1
        return self

    def _lemmas(self) -> list[Derivation]:
        """Every derivation reachable through ``uses``."""
        seen: list[Derivation] = []
        todo = list(self._uses)
        while todo:
            d = todo.pop()
            if all(d is not s for s in seen):
                seen.append(d)
                todo += d._uses
        return seen

    def _state(self) -> tuple[Any, ...]:
        """Changes whenever this derivation or a lemma gains a step, a lemma or an assumption."""
        return (self._revision, tuple(self.assumptions), tuple(u._state() for u in self._uses))

    # -- checking --------------------------------------------------------------------------
    def check(self) -> Report:
        """Check every step (and every lemma) and return the report (recomputed after a change
        to this derivation or to any lemma)."""
        state = self._state()
        if self._report is not None and self._report[0] == state:
            return self._report[1]
        lemma_reports = tuple(u.check() for u in self._uses)
        facts = self._lemma_facts(lemma_reports)
        real = [s for s in self._symbols.values() if s.is_real]
        consistent = satisfiable(self.assumptions, real)
        results: list[StepReport] = []
        for i, step in enumerate(self._steps, start=1):
            verdict, conditions = self._timed_step(step, i, facts, consistent)
            results.append(
                StepReport(
                    i,
                    step.kind,
                    step.statement,
                    step.why,
                    verdict.status,
                    verdict.method,
                    verdict.detail,
                    verdict.counterexample,
                    step.payload.get("reference", ""),
                    tuple(_condition(c) for c in conditions),
                    verdict.smtlib,
                )
            )
            if verdict.status in ("PROVEN", "ASSUMED", "TRIVIAL") and step.fact is not None:
                facts.append(step.fact)
        symbols = {name: declaration(s) for name, s in sorted(self._symbols.items())}
        report = Report(
            self.name,
            tuple(_text(a) for a in self.assumptions),
            tuple(results),
            lemma_reports,
            symbols,
        )
        self._report = (state, report)
        return report

    def _timed_step(
        self, step: _Step, index: int, facts: list[Any], consistent: bool | None
    ) -> tuple[Verdict, list[Any]]:
        if consistent is False:
            return Verdict(
                "VACUOUS", "z3", "the assumptions and declarations are contradictory"
            ), []
        if step.kind == "assume":
            return Verdict("ASSUMED", "reference", step.payload["reference"]), []
        if consistent is None:
            return Verdict("UNPROVEN", "z3", "the assumptions were not shown satisfiable"), []
        p = step.payload
        conditions = [] if step.kind == "order" else side_conditions(p["lhs"], p["rhs"])
        try:
            with time_limit(self.step_seconds):
                return self._check_step(step, index, facts, conditions), conditions
        except StepTimeout:
            detail = f"timeout: not decided within {self.step_seconds} s"
            return Verdict("UNPROVEN", "timeout", detail), conditions
        except (ArithmeticError, ValueError, TypeError, NotImplementedError, RecursionError) as exc:
            # a checker (sympy, z3, flint) failed on this step: it stays undecided, the others
            # are still checked
            detail = f"checker error: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
            return Verdict("UNPROVEN", "error", detail), conditions

    def _lemma_facts(self, reports: Sequence[Report]) -> list[Any]:
        facts: list[Any] = []
        mine = set(self.assumptions)
        for lemma, report in zip(self._uses, reports, strict=True):
            if not report.ok or not set(lemma.assumptions) <= mine:
                continue
            facts += [s.fact for s in lemma._steps if s.fact is not None]
        return facts

    def _check_step(
        self, step: _Step, index: int, facts: list[Any], conditions: list[Any]
    ) -> Verdict:
        p = step.payload
        if step.kind == "order":
            return check_order(p["expr"], p["var"], p["exponent"], p["log_power"], p["kind"])
        if step.kind == "ne":
            outside = [c for c in conditions if holds_at(c, p["witness"]) is not True]
            if outside:
                return Verdict(
                    "UNPROVEN", "witness", f"the witness breaks {_condition(outside[0])}"
                )
            return check_ne(p["lhs"], p["rhs"], p["witness"], self.assumptions)
        hyps, box = list(self.assumptions), p.get("box")
        if _trivial(step):
            verdict = Verdict("TRIVIAL", "identical sides", "both sides are the same expression")
        elif step.kind in ("le", "lt"):
            missing = [g for g in p["given"] if g not in facts]
            if missing:
                return Verdict(
                    "UNPROVEN",
                    "given",
                    "not established earlier: " + "; ".join(_text(g) for g in missing),
                )
            hyps += p["given"]
            if box or p["given"]:
                found = satisfiable(hyps, list(box or {}), box)
                if found is not True:
                    status: Status = "VACUOUS" if found is False else "UNPROVEN"
                    return Verdict(status, "z3", "assumptions, given facts and box: no point")
            rhs = p["rhs"] if p["tolerance"] is None else p["rhs"] + p["tolerance"]
            verdict = check_ineq(p["lhs"], rhs, step.kind == "lt", hyps, box, seed=index)
        elif p["tolerance"] is not None:
            gap = sp.Abs(p["lhs"] - p["rhs"])
            verdict = check_ineq(gap, p["tolerance"], False, hyps, None, seed=index)
        else:
            verdict = check_eq(p["lhs"], p["rhs"], self.assumptions, seed=index)
        if p["tolerance"] is not None:
            verdict = replace(verdict, method=f"{verdict.method}, up to {p['tolerance']} (floats)")
        if verdict.status not in ("PROVEN", "TRIVIAL"):
            return verdict
        for c in conditions:
            if not entailed(c, hyps, box):
                return Verdict(
                    "UNPROVEN",
                    "side condition",
                    f"[{verdict.method}] holds only where {_condition(c)}; that side condition "
                    "does not follow from the assumptions (state it as one)",
                )
        return verdict


def _trivial(step: _Step) -> bool:
    """The two sides of an ``eq``/``le`` step are the same expression once built."""
    if step.kind not in ("eq", "le"):
        return False
    a, b = step.payload["lhs"], step.payload["rhs"]
    diff = a - b
    return bool(a == b) or (
        all(x == 0 for x in diff) if isinstance(diff, sp.MatrixBase) else diff == 0
    )
