"""Bounds of Liu, Zhu & Belkin on assembly models (ICLR 2022, arXiv 2203.05104) and on PL*
(ACHA 2022, arXiv 2003.00307)."""

from __future__ import annotations

from typing import Literal

import sympy as sp

from ..errors import ConfigError
from ._bound import Bound, Provenance, linear_output
from ._symbols import eta, m

__all__ = [
    "assembly_hessian",
    "assembly_relative_nonlinearity",
    "plstar_gradient",
    "plstar_radius",
    "plstar_rate",
]

ASSEMBLY = "Liu, Zhu, Belkin 2022 (arXiv 2203.05104)"
PLSTAR = "Liu, Zhu, Belkin 2022 (arXiv 2003.00307)"

v_max = sp.Symbol("v_max", positive=True)
h_max = sp.Symbol("h_max", positive=True)
g_max = sp.Symbol("g_max", positive=True)
c_g = sp.Symbol("c_g", positive=True)
mu = sp.Symbol("mu", positive=True)
t = sp.Symbol("t", nonnegative=True, integer=True)
loss0 = sp.Symbol("L_0", positive=True)
lip = sp.Symbol("L_F", positive=True)
res0 = sp.Symbol("r_0", positive=True)
lam_min = sp.Symbol("lambda_min", positive=True)
loss = sp.Symbol("loss", nonnegative=True)

Scale = Literal["ntk", "mean-field"]


def _s(scaling: Scale) -> sp.Expr:
    if scaling == "ntk":
        return sp.sqrt(m)
    if scaling == "mean-field":
        return m
    raise ConfigError(f"scaling={scaling!r} must be 'ntk' or 'mean-field'")


def assembly_hessian(scaling: Scale = "ntk") -> Bound:
    """:math:`\\|H_f\\|\\le s(m)^{-1}\\max_i(|v_i|\\|H_{g_i}\\| + \\|\\nabla g_i\\|)` for
    :math:`f = s(m)^{-1}\\sum_i v_ig_i` with disjoint sub-model parameters."""
    return Bound(
        f"liu2022.assembly.hessian.{scaling}",
        r"\|H_f\|_2",
        "<=",
        (v_max * h_max + g_max) / _s(scaling),
        (m, v_max, h_max, g_max),
        Provenance(
            ASSEMBLY, "§3 assembly models (disjoint parameters)", "proofs/assembly_proof.py", "[I]"
        ),
        (linear_output,),
        description=f"s(m) = {_s(scaling)}; weak sub-models: O(1) constants",
    )


def assembly_relative_nonlinearity(scaling: Scale = "ntk") -> Bound:
    """:math:`\\|H_f\\|/\\|\\nabla f\\|^2 = O(s(m)/m)` with
    :math:`\\|\\nabla f\\|^2\\ge c_g m/s(m)^2`."""
    s = _s(scaling)
    return Bound(
        f"liu2022.assembly.relative-nonlinearity.{scaling}",
        r"\|H_f\|_2/\|\nabla f\|^2",
        "<=",
        (v_max * h_max + g_max) * s / (c_g * m),
        (m, v_max, h_max, g_max, c_g),
        Provenance(ASSEMBLY, "§3 assembly models", "proofs/assembly_proof.py", "[I]"),
        (linear_output,),
        description=f"s(m) = {s}",
    )


def plstar_gradient() -> Bound:
    """:math:`\\|\\nabla\\mathcal L\\|^2 = r^TKr\\ge 2\\lambda_{\\min}(K)\\mathcal L`.

    Liu, Zhu & Belkin 2022.
    """
    return Bound(
        "liu2022.plstar.gradient",
        r"\|\nabla\mathcal L(w)\|^2",
        ">=",
        2 * lam_min * loss,
        (lam_min, loss),
        Provenance(
            PLSTAR, "PL* definition / uniform conditioning", "proofs/plstar_proof.py", "[I]"
        ),
        description="square loss L = ||F - y||^2 / 2",
    )


def plstar_rate() -> Bound:
    """GD on a :math:`\\mu`-PL* loss: :math:`\\mathcal L_t\\le(1-\\eta\\mu)^t\\mathcal L_0`."""
    return Bound(
        "liu2022.plstar.rate",
        r"\mathcal L(w_t)",
        "<=",
        (1 - eta * mu) ** t * loss0,
        (eta, mu, t, loss0),
        Provenance(PLSTAR, "local PL* convergence theorem", "proofs/plstar_proof.py", "[R] med"),
        assumptions=(sp.Le(eta * mu, 1),),
        description="eta <= 1/beta, mu <= beta",
    )


def plstar_radius() -> Bound:
    """The ball radius :math:`R = 2L_{\\mathcal F}\\|\\mathcal F(w_0)-y\\|/\\mu` containing GD's
    path."""
    return Bound(
        "liu2022.plstar.radius",
        r"\sum_t\|w_{t+1}-w_t\|",
        "<=",
        2 * lip * res0 / mu,
        (lip, res0, mu),
        Provenance(
            PLSTAR,
            "local PL* theorem (ACHA version)",
            "proofs/plstar_proof.py",
            "[R] med, path-length argument [I]",
        ),
        description="L_F = Lipschitz constant of F, r_0 = ||F(w0) - y||",
    )
