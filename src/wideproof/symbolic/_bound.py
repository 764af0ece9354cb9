"""``Bound``: a theorem's prediction as a sympy expression that can be checked, evaluated, printed.

A bound states ``quantity  relation  expr`` (relation ``<=``, ``>=``, ``=`` or ``~`` for
:math:`\\Theta`) over declared symbols, under assumptions, for models satisfying named
``hypotheses``; ``provenance`` says where it comes from (paper, theorem or equation, the proof file
in ``proofs/`` deriving it, and a provenance tag).

* :meth:`Bound.exponent_in` -- :math:`a = \\lim_{v\\to\\infty}\\log e/\\log v` and
  :math:`b = \\lim \\log(e/v^a)/\\log\\log v`: ``e = Theta(v^a log(v)^b)`` with the other symbols
  fixed;
* :meth:`Bound.evaluate` -- the value in mpmath at a chosen precision;
* :meth:`Bound.check` -- raises :class:`~wideproof.errors.AssumptionError` naming the violated
  hypothesis and the paper;
* :meth:`Bound.to_latex`, :meth:`Bound.to_json`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import mpmath
import sympy as sp

from ..activations import get_activation
from ..errors import AssumptionError, ConfigError, NumericalError
from ._symbols import KNOBS, lam, sigma0, xnorm

__all__ = [
    "Bound",
    "Hypothesis",
    "Provenance",
    "Scaling",
    "linear_activation",
    "linear_output",
    "nonlinear_smooth_output",
    "ntk_parameterization",
    "smooth_activation",
]

Relation = Literal["<=", ">=", "=", "~"]

_LATEX_NAMES = {lam: r"\lambda", sigma0: r"\sigma_0", xnorm: r"\|x\|"}


@dataclass(frozen=True)
class Hypothesis:
    """A named predicate on a model spec; ``test(spec)`` returns ``None`` or why it fails."""

    name: str
    test: Callable[[Any], str | None] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Provenance:
    """Where a bound comes from: paper, theorem/equation, proof file, provenance tag."""

    paper: str
    where: str
    proof: str
    tag: str = ""

    def cite(self) -> str:
        return f"{self.paper}, {self.where}"


@dataclass(frozen=True)
class Scaling:
    """``Theta(v**power * log(v)**log_power)`` as ``v -> oo`` (``power = oo``: faster than any
    power)."""

    variable: str
    power: Any
    log_power: Any

    def __str__(self) -> str:
        if self.power in (sp.oo, -sp.oo):
            return "exp" if self.power == sp.oo else "-exp"
        text = f"{self.variable}^{self.power}" if self.power != 0 else "1"
        if self.log_power != 0:
            text += f" log({self.variable})^{self.log_power}"
        return text


def _spec_activation(spec: Any, attr: str) -> Any:
    name = getattr(spec, attr, None)
    if name is None:
        raise ConfigError(f"spec {type(spec).__name__} has no {attr!r}; cannot test the hypothesis")
    return get_activation(name)


def _smooth(spec: Any) -> str | None:
    act = _spec_activation(spec, "activation")
    if not act.is_c2:
        return f"activation={act.name!r} is not twice continuously differentiable"
    if act.sup_abs_derivative(2).value == float("inf"):
        return f"activation={act.name!r} has an unbounded second derivative"
    return None


def _linear_output(spec: Any) -> str | None:
    linear = getattr(spec, "has_linear_output", None)
    if linear is None:
        output = getattr(spec, "output", "linear")
        linear = output == "linear" or get_activation(output).is_linear
    return None if linear else f"output={getattr(spec, 'output', '?')!r} is not linear"


def _nonlinear_output(spec: Any) -> str | None:
    if _linear_output(spec) is None:
        return "the output layer is linear"
    act = _spec_activation(spec, "output")
    return None if act.is_c2 else f"output={act.name!r} is not twice differentiable"


def _linear_activation(spec: Any) -> str | None:
    act = _spec_activation(spec, "activation")
    return None if act.is_linear else f"activation={act.name!r} is not linear"


def _ntk(spec: Any) -> str | None:
    par = getattr(spec, "parameterization", "ntk")
    return None if par == "ntk" else f"parameterization={par!r} is not 'ntk'"


smooth_activation = Hypothesis("activation is C^2 with bounded second derivative", _smooth)
linear_output = Hypothesis("output layer is linear", _linear_output)
nonlinear_smooth_output = Hypothesis("output is a non-linear C^2 function", _nonlinear_output)
linear_activation = Hypothesis("activations are linear", _linear_activation)
ntk_parameterization = Hypothesis("NTK parameterization", _ntk)


@dataclass(frozen=True)
class Bound:
    """``quantity relation expr`` with its symbols, assumptions, hypotheses and provenance."""

    name: str
    quantity: str
    relation: Relation
    expr: Any
    symbols: tuple[Any, ...]
    provenance: Provenance
    hypotheses: tuple[Hypothesis, ...] = ()
    assumptions: tuple[Any, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if self.relation not in ("<=", ">=", "=", "~"):
            raise ConfigError(f"relation={self.relation!r} must be one of <=, >=, =, ~")
        free = sp.sympify(self.expr).free_symbols
        undeclared = sorted(s.name for s in free if s not in self.symbols)
        if undeclared:
            raise ConfigError(f"bound {self.name}: symbols {undeclared} are not declared")

    # -- scaling ---------------------------------------------------------------------------
    def _symbol(self, name: str | Any) -> Any:
        if not isinstance(name, str):
            return name
        key = KNOBS.get(name, name)
        for s in self.symbols:
            if s.name == key:
                return s
        from ._symbols import symbol

        return symbol(key)

    def exponent_in(self, var: str | Any) -> Scaling:
        """Power-law exponent and log power of ``expr`` as ``var -> oo``, other symbols fixed."""
        return _exponent(self.name, sp.sympify(self.expr), self._symbol(var))

    # -- values ----------------------------------------------------------------------------
    def evaluate(self, dps: int = 30, **values: Any) -> Any:
        """The bound's value (an ``mpmath.mpf``) at ``values``, computed with ``dps`` digits."""
        e = sp.sympify(self.expr)
        names = {s.name: s for s in e.free_symbols}
        missing = sorted(set(names) - set(values))
        if missing:
            raise ConfigError(f"bound {self.name}: no value for {', '.join(missing)}")
        unknown = sorted(set(values) - {s.name for s in self.symbols})
        if unknown:
            raise ConfigError(f"bound {self.name}: {', '.join(unknown)} are not its symbols")
        order = sorted(names)
        fn = sp.lambdify([names[k] for k in order], e, modules="mpmath")
        with mpmath.workdps(dps):
            args = [
                mpmath.mpf(str(values[k])) if not isinstance(values[k], mpmath.mpf) else values[k]
                for k in order
            ]
            out = fn(*args)
            if isinstance(out, mpmath.mpc):
                if out.imag != 0:
                    raise NumericalError(f"bound {self.name} is complex at {values}")
                out = out.real
            return +mpmath.mpf(out)

    # -- hypotheses ------------------------------------------------------------------------
    def check(self, spec: Any) -> None:
        """Raise :class:`AssumptionError` when ``spec`` violates a hypothesis of the theorem."""
        for h in self.hypotheses:
            reason = h.test(spec)
            if reason is not None:
                raise AssumptionError(
                    f"{self.name}: hypothesis '{h.name}' does not hold for "
                    f"{type(spec).__name__}: {reason} (required by {self.provenance.cite()})"
                )

    # -- output ----------------------------------------------------------------------------
    def to_latex(self) -> str:
        rel = {"<=": r"\le", ">=": r"\ge", "=": "=", "~": r"\asymp"}[self.relation]
        return f"{self.quantity} {rel} {sp.latex(self.expr, symbol_names=_LATEX_NAMES)}"

    def to_json(self, knobs: Mapping[str, Scaling] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "quantity": self.quantity,
            "relation": self.relation,
            "expr": sp.sstr(self.expr),
            "latex": self.to_latex(),
            "symbols": [s.name for s in self.symbols],
            "assumptions": [sp.sstr(a) for a in self.assumptions],
            "hypotheses": [h.name for h in self.hypotheses],
            "provenance": {
                "paper": self.provenance.paper,
                "where": self.provenance.where,
                "proof": self.provenance.proof,
                "tag": self.provenance.tag,
            },
            "description": self.description,
        }
        if knobs is not None:
            out["exponents"] = {
                k: {"power": str(s.power), "log_power": str(s.log_power)} for k, s in knobs.items()
            }
        return out


@functools.lru_cache(maxsize=256)
def _exponent(name: str, e: Any, v: Any) -> Scaling:
    if v not in e.free_symbols:
        return Scaling(v.name, sp.Integer(0), sp.Integer(0))
    try:
        a = sp.limit(sp.log(e) / sp.log(v), v, sp.oo)
        if a in (sp.oo, -sp.oo):
            return Scaling(v.name, a, sp.Integer(0))
        b = sp.limit(sp.log(e / v**a) / sp.log(sp.log(v)), v, sp.oo)
        ratio = sp.limit(e / (v**a * sp.log(v) ** b), v, sp.oo)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise NumericalError(f"bound {name}: exponent in {v} undecided: {exc}") from None
    if not (ratio.is_finite and ratio.is_nonzero):
        raise NumericalError(f"bound {name}: {e} is not Theta({v}^{a} log^{b})")
    return Scaling(v.name, sp.nsimplify(a), sp.nsimplify(b))
