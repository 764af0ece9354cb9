"""Translate sympy (in)equalities into z3 nonlinear real arithmetic (formal_numerics.md §2.2).

z3's nlsat procedure is complete for polynomial real arithmetic, so *unsat* of
"assumptions and not(claim)" is a proof.  The translation is exact for polynomials and rational
functions; the other nodes become fresh variables with side constraints:

* ``b**(-k)`` -> ``q`` with ``q * b**k = 1`` (so ``b != 0``);
* ``b**(p/2)`` -> ``s**p`` with ``s**2 = b, s >= 0`` (square roots; ``b >= 0`` follows);
* ``Abs(e)`` -> ``a`` with ``a >= 0, a**2 = e**2``;
* ``Max/Min(e1, e2)`` -> ``u`` with ``u >= e_i`` (resp. ``<=``) and ``u = e1 or u = e2``;
* the built-in ranges ``tanh(e) -> t in (-1, 1)``, ``exp(e) -> t > 0``, ``erf(e) -> t in (-1, 1)``
  (one variable per distinct argument): a *relaxation*, sound for proofs, so a z3 model is only a
  candidate counterexample that the caller must confirm on the original expression.

``exact`` is False as soon as a relaxation was used.

Variables are keyed by the sympy symbol itself (name *and* declared assumptions), and every z3
variable is named ``<label>#<counter>`` with a counter unique within the translation, so two
distinct symbols that print alike, or a user symbol called like a relaxation variable, never share
a z3 constant.  Only symbols declared real are translated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp
import z3

__all__ = ["Translation", "Untranslatable", "translate"]


class Untranslatable(Exception):
    """The expression holds a node the translator does not handle."""


_RANGES: dict[Any, tuple[Any, Any]] = {
    sp.tanh: (-1, 1),
    sp.erf: (-1, 1),
    sp.exp: (0, None),
}


@dataclass
class Translation:
    """A translation context: variables, side constraints and whether it is exact."""

    variables: dict[Any, Any] = field(default_factory=dict)
    side: list[Any] = field(default_factory=list)
    aux: dict[Any, Any] = field(default_factory=dict)
    relaxed: list[str] = field(default_factory=list)
    inverses: list[tuple[Any, Any, Any]] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.relaxed

    def realize(self, point: dict[Any, Any], value: Any) -> None:
        """Set each symbol seen only through a relaxed function to the preimage of its value.

        ``value(z3 variable)`` returns the model's value; ``tanh(x) -> t`` gives ``x = atanh(t)``.
        """
        inverse = {sp.tanh: sp.atanh, sp.erf: sp.erfinv, sp.exp: sp.log}
        for func, arg, t in self.inverses:
            if arg.is_Symbol:
                v = value(t)
                if v is not None:
                    point[arg] = inverse[func](v)

    def _new(self, label: str) -> Any:
        return z3.Real(f"{label}#{len(self.variables) + len(self.aux)}")

    def var(self, sym: Any) -> Any:
        """The z3 variable of ``sym``, with its declared sign and integrality as side facts."""
        if sym not in self.variables:
            if not sym.is_real:
                raise Untranslatable(f"symbol {sym} is not declared real")
            v = self._new(sym.name)
            self.variables[sym] = v
            if sym.is_positive:
                self.side.append(v > 0)
            elif sym.is_nonnegative:
                self.side.append(v >= 0)
            elif sym.is_negative:
                self.side.append(v < 0)
            elif sym.is_nonpositive:
                self.side.append(v <= 0)
            elif sym.is_nonzero:
                self.side.append(v != 0)
            if sym.is_integer:
                self.side.append(z3.IsInt(v))
        return self.variables[sym]

    def fresh(self, key: Any, prefix: str) -> tuple[Any, bool]:
        if key in self.aux:
            return self.aux[key], False
        v = self._new(prefix)
        self.aux[key] = v
        return v, True

    def expr(self, e: Any) -> Any:
        if e.is_Symbol:
            return self.var(e)
        if e.is_Rational:
            return z3.RealVal(str(e.p)) / z3.RealVal(str(e.q)) if e.q != 1 else z3.RealVal(str(e.p))
        if e.is_Add:
            return z3.Sum([self.expr(a) for a in e.args])
        if e.is_Mul:
            return z3.Product([self.expr(a) for a in e.args])
        if e.is_Pow:
            return self._pow(e)
        if isinstance(e, sp.Abs):
            inner = self.expr(e.args[0])
            a, new = self.fresh(e, "abs")
            if new:
                self.side += [a >= 0, a * a == inner * inner]
            return a
        if isinstance(e, (sp.Max, sp.Min)):
            parts = [self.expr(a) for a in e.args]
            u, new = self.fresh(e, "ext")
            if new:
                for p in parts:
                    self.side.append(u >= p if isinstance(e, sp.Max) else u <= p)
                self.side.append(z3.Or([u == p for p in parts]))
            return u
        if e.func in _RANGES and len(e.args) == 1:
            if e.func is sp.tanh or e.func is sp.erf:
                self.expr(e.args[0])  # declare its symbols
            t, new = self.fresh(e, "t")
            if new:
                lo, hi = _RANGES[e.func]
                if lo is not None:
                    self.side.append(t > lo)
                if hi is not None:
                    self.side.append(t < hi)
                self.relaxed.append(f"{e} in ({lo}, {'oo' if hi is None else hi})")
                self.inverses.append((e.func, e.args[0], t))
            return t
        raise Untranslatable(f"{e.func.__name__} has no z3 translation")

    def _pow(self, e: Any) -> Any:
        base, ex = e.args
        if ex.is_Integer:
            k = int(ex)
            b = self.expr(base)
            if k >= 0:
                return b**k if k > 1 else (b if k == 1 else z3.RealVal(1))
            q, new = self.fresh(e, "inv")
            if new:
                self.side.append(q * b ** (-k) == 1 if k < -1 else q * b == 1)
            return q
        if ex.is_Rational and ex.q == 2:
            root = sp.sqrt(base) if ex > 0 else 1 / sp.sqrt(base)
            s, new = self.fresh(sp.sqrt(base), "sqrt")
            if new:
                self.side += [s >= 0, s * s == self.expr(base)]
            p = abs(int(ex.p))
            val = s**p if p > 1 else s
            if ex > 0:
                return val
            q, new = self.fresh(root**p, "inv")
            if new:
                self.side.append(q * val == 1)
            return q
        raise Untranslatable(f"power with exponent {ex} has no z3 translation")


def translate(e: Any, ctx: Translation) -> Any:
    """Translate a sympy relational or expression within ``ctx``."""
    if isinstance(e, sp.Rel):
        lhs, rhs = ctx.expr(e.lhs), ctx.expr(e.rhs)
        ops = {
            "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
            ">": lambda a, b: a > b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }
        return ops[e.rel_op](lhs, rhs)
    if e is sp.true or e is sp.false:
        return z3.BoolVal(e is sp.true)
    if isinstance(e, sp.And):
        return z3.And([translate(a, ctx) for a in e.args])
    if isinstance(e, sp.Or):
        return z3.Or([translate(a, ctx) for a in e.args])
    if isinstance(e, sp.Not):
        return z3.Not(translate(e.args[0], ctx))
    raise Untranslatable(f"{type(e).__name__} is not a relation")
