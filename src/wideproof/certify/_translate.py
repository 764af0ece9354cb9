"""A strict sympy -> scalar translator (mpmath or arb) for expressions in one variable.

Unlike ``sympy.lambdify`` it has no fallback: the expression tree may contain only the variable,
integers, rationals, floats (taken exactly), :math:`\\pi`, :math:`e`, ``+``, ``*``, integer and
half-integer powers and the functions of the back-end's whitelist.  Anything else (``Max``,
``Heaviside``, ``Piecewise``, an unknown function or a second symbol) raises
:class:`~wideproof.errors.ConfigError`.  Constants are built at call time, so they follow the
working precision in force when the function is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from ..activations import X
from ..errors import ConfigError
from ._scalar import Backend, S

__all__ = ["translate"]


def translate(expr: Any, backend: Backend[S], symbol: Any = X) -> Callable[[S], S]:
    """Compile the sympy expression ``expr`` in ``symbol`` into a function on ``backend`` scalars.

    Raises:
        ConfigError: a node outside the whitelist, naming it and the allowed functions.
    """
    return _compile(sp.sympify(expr), backend, symbol)


def _compile(e: Any, be: Backend[S], sym: Any) -> Callable[[S], S]:
    if e == sym:
        return lambda t: t
    if e.is_Symbol:
        raise ConfigError(f"expression has a free symbol {e} besides {sym}")
    if e.is_Rational or e.is_Float:
        q = sp.Rational(e)  # a sympy Float is a binary number: this is its exact value
        p_, q_ = int(q.p), int(q.q)
        return lambda t: be.rational(p_, q_)
    if e is sp.pi:
        return lambda t: be.pi()
    if e is sp.E:
        return _compile(sp.exp(1, evaluate=False), be, sym)
    if e.is_Add or e.is_Mul:
        parts = [_compile(a, be, sym) for a in e.args]
        if e.is_Add:
            return lambda t: _fold(parts, t, lambda a, b: a + b)
        return lambda t: _fold(parts, t, lambda a, b: a * b)
    if e.is_Pow:
        return _compile_pow(e, be, sym)
    fn = be.functions.get(e.func)
    if fn is None or len(e.args) != 1:
        allowed = ", ".join(sorted(f.__name__ for f in be.functions))
        raise ConfigError(
            f"{e.func.__name__} (in {e}) is not in the {be.name} whitelist: "
            f"+, *, integer and half-integer powers, pi, E, {allowed}"
        )
    arg = _compile(e.args[0], be, sym)
    return lambda t: fn(arg(t))


def _compile_pow(e: Any, be: Backend[S], sym: Any) -> Callable[[S], S]:
    base, expo = e.args
    b = _compile(base, be, sym)
    if expo.is_Integer:
        n = int(expo)
        if n >= 0:
            return lambda t: be.power(b(t), n)
        return lambda t: be.rational(1, 1) / be.power(b(t), -n)
    if expo.is_Rational and expo.q == 2:
        p = int(expo.p)
        if p >= 0:
            return lambda t: be.power(be.sqrt(b(t)), p)
        return lambda t: be.rational(1, 1) / be.power(be.sqrt(b(t)), -p)
    raise ConfigError(f"power {e} has exponent {expo}; only integers and halves are whitelisted")


def _fold(parts: list[Callable[[S], S]], t: S, op: Callable[[S, S], S]) -> S:
    acc = parts[0](t)
    for part in parts[1:]:
        acc = op(acc, part(t))
    return acc
