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

``check()`` returns a :class:`Report`: PROVEN / REFUTED / UNPROVEN / ASSUMED per step with the
method that decided it, serializable to a JSON certificate (:meth:`Report.to_json`).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

import sympy as sp

from ..errors import ConfigError
from ._checkers import Status, Verdict, check_eq, check_ineq, check_ne, check_order

__all__ = ["Derivation", "Report", "StepReport"]

StepKind = Literal["eq", "le", "lt", "ne", "order", "assume"]


@dataclass(frozen=True)
class StepReport:
    """One checked step."""

    index: int
    kind: StepKind
    statement: str
    why: str
    status: Status
    method: str
    detail: str = ""
    counterexample: Mapping[str, str] | None = None
    reference: str = ""

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
        return out


@dataclass(frozen=True)
class Report:
    """The result of :meth:`Derivation.check`: every step, the lemmas' reports, the versions."""

    name: str
    assumptions: tuple[str, ...]
    steps: tuple[StepReport, ...]
    uses: tuple[Report, ...] = ()

    @property
    def ok(self) -> bool:
        """Every step PROVEN or ASSUMED (with a reference), every lemma ok, at least one step."""
        return (
            bool(self.steps)
            and all(s.status in ("PROVEN", "ASSUMED") for s in self.steps)
            and all(u.ok for u in self.uses)
        )

    def failures(self) -> list[tuple[str, StepReport]]:
        """``(derivation name, step)`` for every REFUTED or UNPROVEN step, lemmas included."""
        out = [(u_name, s) for u in self.uses for u_name, s in u.failures()]
        out += [(self.name, s) for s in self.steps if s.status in ("REFUTED", "UNPROVEN")]
        return out

    def counts(self) -> dict[str, int]:
        """Number of steps per status (this derivation only)."""
        out = {"PROVEN": 0, "ASSUMED": 0, "REFUTED": 0, "UNPROVEN": 0}
        for s in self.steps:
            out[s.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        """The certificate: steps, methods, assumptions, lemmas, versions and a content digest."""
        body: dict[str, Any] = {
            "name": self.name,
            "ok": self.ok,
            "assumptions": list(self.assumptions),
            "steps": [s.to_json() for s in self.steps],
            "uses": [u.to_json() for u in self.uses],
        }
        blob = json.dumps({k: body[k] for k in ("name", "assumptions", "steps")}, sort_keys=True)
        body["digest"] = hashlib.sha256(blob.encode()).hexdigest()[:16]
        body["versions"] = versions()
        return body

    def format(self) -> str:
        """A plain-text per-step report."""
        lines = [f"derivation {self.name}: {'OK' if self.ok else 'FAILED'}"]
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
            if s.status in ("REFUTED", "UNPROVEN") and s.detail:
                lines.append(f"      {s.detail}")
        return "\n".join(lines)


def versions() -> dict[str, str]:
    """Versions of the tools a certificate depends on."""
    out = {"python": platform.python_version()}
    for dist in ("sympy", "mpmath", "z3-solver", "python-flint", "wideproof"):
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
    try:
        return value if isinstance(value, sp.MatrixBase) else sp.sympify(value)
    except (sp.SympifyError, TypeError) as exc:
        raise ConfigError(f"{name}={value!r} is not a sympy expression: {exc}") from None


def _text(e: Any) -> str:
    return " ".join(sp.sstr(e).split())


class Derivation:
    """A checkable derivation.  See the module docstring for the step kinds.

    Args:
        name: a short identifier, reported with every failing step.
        assumptions: sympy relations over the derivation's symbols (``m > 1``).
    """

    def __init__(self, name: str, assumptions: Sequence[Any] = ()) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"name={name!r} must be a non-empty string")
        self.name = name
        self.assumptions: list[Any] = []
        for a in assumptions:
            rel = _sym(a, "assumptions")
            if not isinstance(rel, (sp.Rel, sp.And, sp.Or)):
                raise ConfigError(f"assumptions entry {a!r} is not a relation such as m > 1")
            self.assumptions.append(rel)
        self._steps: list[_Step] = []
        self._uses: list[Derivation] = []
        self._report: Report | None = None

    def __repr__(self) -> str:
        return f"Derivation({self.name!r}, steps={len(self._steps)}, uses={len(self._uses)})"

    # -- building --------------------------------------------------------------------------
    def _add(self, step: _Step) -> Derivation:
        self._steps.append(step)
        self._report = None
        return self

    def eq(self, lhs: Any, rhs: Any, why: str = "") -> Derivation:
        """Add the identity ``lhs == rhs`` (scalars or matrices of the same shape)."""
        a, b = _sym(lhs, "lhs"), _sym(rhs, "rhs")
        if isinstance(a, sp.MatrixBase) != isinstance(b, sp.MatrixBase):
            raise ConfigError("lhs and rhs must both be matrices or both be scalars")
        if isinstance(a, sp.MatrixBase) and a.shape != b.shape:
            raise ConfigError(f"lhs has shape {a.shape} but rhs has shape {b.shape}")
        fact = None if isinstance(a, sp.MatrixBase) else sp.Eq(a, b, evaluate=False)
        return self._add(_Step("eq", f"{_text(a)} = {_text(b)}", why, {"lhs": a, "rhs": b}, fact))

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
        a, b = _sym(lhs, "lhs"), _sym(rhs, "rhs")
        if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
            raise ConfigError("inequalities compare scalars, not matrices")
        checked_box = None
        if box is not None:
            checked_box = {}
            for s, bounds in box.items():
                if not getattr(s, "is_Symbol", False) or len(bounds) != 2:
                    raise ConfigError(f"box entry {s!r}: expected symbol -> (lo, hi)")
                lo, hi = sp.Rational(bounds[0]), sp.Rational(bounds[1])
                if lo > hi:
                    raise ConfigError(f"box entry {s}: lo={lo} > hi={hi}")
                checked_box[s] = (lo, hi)
        hyps = [_sym(g, "given") for g in given]
        rel = sp.Lt(a, b, evaluate=False) if kind == "lt" else sp.Le(a, b, evaluate=False)
        op = "<" if kind == "lt" else "<="
        text = f"{_text(a)} {op} {_text(b)}"
        if checked_box:
            text += " for " + ", ".join(
                f"{s} in [{lo}, {hi}]" for s, (lo, hi) in checked_box.items()
            )
        fact = rel if not checked_box else None
        return self._add(
            _Step(kind, text, why, {"lhs": a, "rhs": b, "box": checked_box, "given": hyps}, fact)
        )

    def ne(
        self, lhs: Any, rhs: Any, witness: Mapping[Any, Any] | None = None, why: str = ""
    ) -> Derivation:
        """Add ``lhs != rhs`` (as functions), shown by exact evaluation at ``witness``."""
        a, b = _sym(lhs, "lhs"), _sym(rhs, "rhs")
        witness = dict(witness or {})
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
            text = _text(fact)
        return self._add(_Step("assume", text, why, {"reference": reference}, fact))

    def uses(self, other: Derivation) -> Derivation:
        """Chain a lemma: its report is checked with this one; its statements become citable."""
        if not isinstance(other, Derivation):
            raise ConfigError(f"uses() takes a Derivation, got {type(other).__name__}")
        if other is self:
            raise ConfigError("a derivation cannot use itself")
        self._uses.append(other)
        self._report = None
        return self

    # -- checking --------------------------------------------------------------------------
    def check(self) -> Report:
        """Check every step (and every lemma) and return the report."""
        if self._report is not None:
            return self._report
        lemma_reports = tuple(u.check() for u in self._uses)
        facts = self._lemma_facts(lemma_reports)
        results: list[StepReport] = []
        for i, step in enumerate(self._steps, start=1):
            verdict = self._check_step(step, i, facts)
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
                )
            )
            if verdict.status in ("PROVEN", "ASSUMED") and step.fact is not None:
                facts.append(step.fact)
        self._report = Report(
            self.name, tuple(_text(a) for a in self.assumptions), tuple(results), lemma_reports
        )
        return self._report

    def _lemma_facts(self, reports: Sequence[Report]) -> list[Any]:
        facts: list[Any] = []
        mine = set(self.assumptions)
        for lemma, report in zip(self._uses, reports, strict=True):
            if not report.ok or not set(lemma.assumptions) <= mine:
                continue
            facts += [s.fact for s in lemma._steps if s.fact is not None]
        return facts

    def _check_step(self, step: _Step, index: int, facts: list[Any]) -> Verdict:
        p = step.payload
        if step.kind == "assume":
            return Verdict("ASSUMED", "reference", p["reference"])
        if step.kind == "eq":
            return check_eq(p["lhs"], p["rhs"], self.assumptions, seed=index)
        if step.kind == "ne":
            return check_ne(p["lhs"], p["rhs"], p["witness"])
        if step.kind == "order":
            return check_order(p["expr"], p["var"], p["exponent"], p["log_power"], p["kind"])
        missing = [g for g in p["given"] if g not in facts]
        if missing:
            return Verdict(
                "UNPROVEN",
                "given",
                "not established earlier: " + "; ".join(_text(g) for g in missing),
            )
        hyps = self.assumptions + list(p["given"])
        return check_ineq(p["lhs"], p["rhs"], step.kind == "lt", hyps, p["box"], seed=index)
