"""The declared symbols every bound and derivation is written in (DESIGN.md, Conventions).

One name per idea across the code, the CLI and the tables: ``m`` width, ``L`` depth, ``B`` number
of multilinear blocks (bottlenecks + 1), ``k`` minimum in-degree of a DAG network, ``d`` input
dimension, ``n`` number of samples, ``R`` ball radius, ``sigma0`` initialization scale, ``beta``
smoothness constant, ``eta`` learning rate, ``lam`` a kernel eigenvalue, ``xnorm`` the input norm
:math:`\\|x\\|`.  All are positive reals (``m, L, B, k, d, n`` also integers), so sympy's sign
analysis and limits know them to be positive.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = [
    "KNOBS",
    "SYMBOLS",
    "B",
    "L",
    "R",
    "beta",
    "d",
    "eta",
    "k",
    "lam",
    "m",
    "n",
    "sigma0",
    "symbol",
    "xnorm",
]

m = sp.Symbol("m", positive=True, integer=True)
L = sp.Symbol("L", positive=True, integer=True)
B = sp.Symbol("B", positive=True, integer=True)
k = sp.Symbol("k", positive=True, integer=True)
d = sp.Symbol("d", positive=True, integer=True)
n = sp.Symbol("n", positive=True, integer=True)
R = sp.Symbol("R", positive=True)
sigma0 = sp.Symbol("sigma0", positive=True)
beta = sp.Symbol("beta", positive=True)
eta = sp.Symbol("eta", positive=True)
lam = sp.Symbol("lam", positive=True)
xnorm = sp.Symbol("xnorm", positive=True)

SYMBOLS: dict[str, Any] = {s.name: s for s in (m, L, B, k, d, n, R, sigma0, beta, eta, lam, xnorm)}
"""Every declared symbol by name."""

KNOBS: dict[str, str] = {"width": "m", "depth": "L", "in_degree": "k", "n_samples": "n"}
"""Size-knob names (sweeps, CLI) mapped to their symbol names (``B`` is ``bottlenecks + 1``)."""


def symbol(name: str) -> Any:
    """The declared symbol called ``name`` (a symbol name or a knob name such as ``"width"``)."""
    from ..errors import ConfigError

    key = KNOBS.get(name, name)
    try:
        return SYMBOLS[key]
    except KeyError:
        known = ", ".join(sorted(SYMBOLS))
        raise ConfigError(f"symbol={name!r} is not declared; declared symbols: {known}") from None
