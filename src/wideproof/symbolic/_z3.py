"""Translate sympy (in)equalities into z3 nonlinear real arithmetic.

z3's nlsat procedure is complete for polynomial real arithmetic, so *unsat* of
"assumptions and not(claim)" is a proof.  The translation is exact for polynomials and rational
functions; the other nodes become fresh variables with side constraints:

* ``b**(-k)`` -> ``q`` with ``q * b**k = 1`` (so ``b != 0``);
* ``b**(p/2)`` -> ``s**p`` with ``s**2 = b, s >= 0`` (square roots; ``b >= 0`` follows);
* ``Abs(e)`` -> ``a`` with ``a >= 0, a**2 = e**2``;
* ``Max/Min(e1, e2)`` -> ``u`` with ``u >= e_i`` (resp. ``<=``) and ``u = e1 or u = e2``;
* ``tanh(e) -> t in (-1, 1)``, ``erf(e) -> t in (-1, 1)``, ``exp(e) -> t > 0, t >= 1 + e``,
  ``log(e) -> t`` with ``e > 0, 1 - 1/e <= t <= e - 1``, ``E = exp(1)``, ``b**c = exp(c log b)``
  for a symbolic exponent, and monotonicity between any two values of the same function (one
  variable per distinct argument): a *relaxation*, sound for proofs, so a z3 model is only a
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
_MONOTONE = (sp.tanh, sp.erf, sp.exp, sp.log)


@dataclass
class Translation:
    """A translation context: variables, side constraints and whether it is exact."""

    variables: dict[Any, Any] = field(default_factory=dict)
    side: list[Any] = field(default_factory=list)
    aux: dict[Any, Any] = field(default_factory=dict)
    relaxed: list[str] = field(default_factory=list)
    inverses: list[tuple[Any, Any, Any]] = field(default_factory=list)
    monotone: list[tuple[Any, Any, Any]] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.relaxed

    def realize(self, point: dict[Any, Any], value: Any) -> None:
        """Set each symbol seen only through a relaxed function to the preimage of its value.

        ``value(z3 variable)`` returns the model's value; ``tanh(x) -> t`` gives ``x = atanh(t)``.
        """
        inverse = {sp.tanh: sp.atanh, sp.erf: sp.erfinv, sp.exp: sp.log, sp.log: sp.exp}
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
        if e is sp.E:
            return self._relax(sp.exp, e, z3.RealVal(1))
        if e.func in _MONOTONE and len(e.args) == 1:
            try:
                arg = self.expr(e.args[0])
            except Untranslatable:
                if e.func is not sp.exp:
                    raise
                arg = None
            return self._relax(e.func, e, arg)
        raise Untranslatable(f"{e.func.__name__} has no z3 translation")

    def _relax(self, func: Any, key: Any, arg: Any) -> Any:
        """A variable ``t`` for ``func(arg)`` with sound facts: its range, the tangent lines
        ``exp(a) >= 1 + a`` and ``1 - 1/a <= log(a) <= a - 1``, and monotonicity against every
        other relaxed value of the same function."""
        t, new = self.fresh(key, "t")
        if not new:
            return t
        lo, hi = _RANGES.get(func, (None, None))
        if lo is not None:
            self.side.append(t > lo)
        if hi is not None:
            self.side.append(t < hi)
        if arg is not None:
            if func is sp.exp:
                self.side.append(t >= 1 + arg)
            if func is sp.log:
                self.side += [arg > 0, t <= arg - 1, t * arg >= arg - 1]
            for other, other_arg, other_t in self.monotone:
                if other is func:
                    self.side += [
                        z3.Implies(arg <= other_arg, t <= other_t),
                        z3.Implies(other_arg <= arg, other_t <= t),
                    ]
            self.monotone.append((func, arg, t))
        self.relaxed.append(f"{key} as {func.__name__}")
        if key.args and key.args[0].is_Symbol and key.func is func:
            self.inverses.append((func, key.args[0], t))
        return t

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
        if ex.is_Rational:
            raise Untranslatable(f"power with exponent {ex} has no z3 translation")
        # b**e = exp(e log b) for a symbolic or irrational exponent (side condition b > 0)
        log_b = self._relax(sp.log, sp.log(base), self.expr(base))
        return self._relax(sp.exp, e, self.expr(ex) * log_b)


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
