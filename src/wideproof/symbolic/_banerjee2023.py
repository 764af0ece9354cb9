"""Bounds of Banerjee, Cisneros-Velarde, Zhu & Belkin, "Restricted strong convexity of deep
learning models with smooth activations" (ICLR 2023, arXiv 2209.15106), §4-§5."""

from __future__ import annotations

import sympy as sp

from ._bound import Bound, Provenance, linear_output, smooth_activation
from ._symbols import m, n

__all__ = ["rsc_alpha", "rsc_hessian", "rsc_ntk_link"]

PAPER = "Banerjee, Cisneros-Velarde, Zhu, Belkin 2023 (arXiv 2209.15106)"

c_H = sp.Symbol("c_H", positive=True)
c_2 = sp.Symbol("c_2", positive=True)
kappa = sp.Symbol("kappa", positive=True)
G = sp.Symbol("G", positive=True)
lam_min = sp.Symbol("lambda_min", positive=True)


def rsc_hessian() -> Bound:
    """Theorem 4.1: :math:`\\|\\nabla^2_\\theta f\\|\\le c_H/\\sqrt m` on the layerwise spectral
    ball,
    :math:`c_H = O(\\mathrm{poly}(L)(1+\\gamma^{O(L)})(1+\\rho_1))` ([V] shape, [R] constant)."""
    return Bound(
        "banerjee2023.hessian",
        r"\|\nabla^2_\theta f(\theta;x)\|_2",
        "<=",
        c_H / sp.sqrt(m),
        (m, c_H),
        Provenance(PAPER, "Theorem 4.1", "proofs/rsc_proof.py", "[V] shape, [R] c_H"),
        (smooth_activation, linear_output),
    )


def rsc_alpha() -> Bound:
    """Theorem 5.1: RSC parameter :math:`\\alpha_t = 2\\kappa^2\\|\\nabla\\bar G_t\\|^2 -
    c_2/\\sqrt m`
    (G stands for :math:`\\|\\nabla\\bar G_t\\|^2`)."""
    return Bound(
        "banerjee2023.rsc-alpha",
        r"\alpha_t",
        "=",
        2 * kappa**2 * G - c_2 / sp.sqrt(m),
        (m, kappa, G, c_2),
        Provenance(PAPER, "Theorem 5.1", "proofs/rsc_proof.py", "[R] med"),
        (smooth_activation, linear_output),
    )


def rsc_ntk_link() -> Bound:
    """:math:`\\|\\nabla\\bar G\\|^2 = \\mathbf 1^TK\\mathbf 1/n^2\\ge\\lambda_{\\min}(K)/n`.

    Banerjee et al. 2023, §5.
    """
    return Bound(
        "banerjee2023.rsc-ntk-link",
        r"\|\nabla_\theta\bar G\|^2",
        ">=",
        lam_min / n,
        (n, lam_min),
        Provenance(PAPER, "RSC vs NTK condition (derived)", "proofs/rsc_proof.py", "[I]"),
    )
