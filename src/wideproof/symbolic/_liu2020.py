"""Bounds of Liu, Zhu & Belkin, "On the linearity of large non-linear models" (NeurIPS 2020,
arXiv 2010.01092), §3-§4.

Provenance tags: [I] our exact derivation (proven in ``proofs/``), [R] recalled
from the paper (an assumption in the proof, an upper-bound *shape* here).
"""

from __future__ import annotations

import sympy as sp

from ._bound import (
    Bound,
    Hypothesis,
    Provenance,
    linear_activation,
    linear_output,
    nonlinear_smooth_output,
    ntk_parameterization,
    smooth_activation,
)
from ._symbols import L, R, d, m, xnorm

__all__ = [
    "ball_kernel_change",
    "ball_linearization_gap",
    "fc_hessian",
    "nonlinear_output",
    "one_hidden_layer_at_init",
    "one_hidden_layer_block_norm",
    "two_layer_linear",
]

PAPER = "Liu, Zhu, Belkin 2020 (arXiv 2010.01092)"

A_i = sp.Symbol("A_i", real=True)
B_i = sp.Symbol("B_i", real=True, nonzero=True)
C = sp.Symbol("C", positive=True)
eps = sp.Symbol("epsilon", positive=True)
g_x = sp.Symbol("g_x", nonnegative=True)
g_z = sp.Symbol("g_z", nonnegative=True)
grad = sp.Symbol("g", positive=True)
c_H = sp.Symbol("c_H", positive=True)
phi1 = sp.Symbol("phi1", real=True)
phi2 = sp.Symbol("phi2", real=True, nonzero=True)


def _depth_one(spec: object) -> str | None:
    depth = getattr(spec, "depth", None)
    return None if depth == 1 else f"depth={depth!r}, the theorem needs one hidden layer"


one_hidden_layer = Hypothesis("one hidden layer", _depth_one)


def one_hidden_layer_block_norm() -> Bound:
    """Exact Hessian norm of :math:`f = m^{-1/2}\\sum_i v_i\\sigma(w_i^Tx/\\sqrt d)` at one input.

    The Hessian is block diagonal over neurons; neuron i's block has norm
    :math:`(|A_i| + \\sqrt{A_i^2 + 4B_i^2})/(2\\sqrt m)` with :math:`A_i =
    v_i\\sigma''(a_i)\\|x\\|^2/d`,
    :math:`B_i = \\sigma'(a_i)\\|x\\|/\\sqrt d`, and :math:`\\|H\\| = \\max_i` of it (§3.1).
    """
    return Bound(
        "liu2020.one-hidden-layer.block-norm",
        r"\|H_f^{(i)}\|_2",
        "=",
        (sp.Abs(A_i) + sp.sqrt(A_i**2 + 4 * B_i**2)) / (2 * sp.sqrt(m)),
        (m, A_i, B_i),
        Provenance(
            PAPER, "§3.1 one-hidden-layer example", "proofs/one_hidden_layer_proof.py", "[I]"
        ),
        (one_hidden_layer, linear_output, ntk_parameterization),
        description="exact spectral norm of neuron i's Hessian block; the full norm is the max",
    )


def one_hidden_layer_at_init() -> Bound:
    """:math:`\\|H\\| = \\Theta(\\sqrt{2\\log m}/\\sqrt m)` at Gaussian initialization (§3.1
    §1.4.5):
    the block norm is dominated by :math:`\\max_i|v_i|\\sim\\sqrt{2\\log m}`."""
    return Bound(
        "liu2020.one-hidden-layer.init",
        r"\|H_f(w_0)\|_2",
        "~",
        C * sp.sqrt(2 * sp.log(m)) / sp.sqrt(m),
        (m, C),
        Provenance(
            PAPER, "§3.1 one-hidden-layer example", "proofs/one_hidden_layer_proof.py", "[I]"
        ),
        (one_hidden_layer, smooth_activation, linear_output, ntk_parameterization),
        description="C = sup|sigma''| ||x||^2/d up to the Gaussian extreme-value constant",
    )


def two_layer_linear() -> Bound:
    """:math:`f = (md)^{-1/2} v^TWx` has :math:`\\|H\\| = \\|x\\|/\\sqrt{md}` exactly.

    Liu, Zhu & Belkin 2020, §3.
    """
    return Bound(
        "liu2020.two-layer-linear",
        r"\|H_f\|_2",
        "=",
        xnorm / sp.sqrt(m * d),
        (m, d, xnorm),
        Provenance(
            PAPER, "§1.4.6 two-layer linear network", "proofs/one_hidden_layer_proof.py", "[I]"
        ),
        (one_hidden_layer, linear_activation, linear_output, ntk_parameterization),
        description="independent of the weights",
    )


def fc_hessian() -> Bound:
    """Theorem 3.2: :math:`\\|H(w)\\| = \\tilde O(R^{3L}/\\sqrt m)` on :math:`B(w_0, R)` (§3.2
    §1.4.4,
    [R] med); the log factor is the :math:`\\sqrt{\\log m}` of :math:`\\|b^{(l)}\\|_\\infty`."""
    return Bound(
        "liu2020.fc-hessian",
        r"\sup_{w\in B(w_0,R)}\|H_f(w)\|_2",
        "<=",
        C * R ** (3 * L) * sp.sqrt(sp.log(m)) / sp.sqrt(m),
        (m, L, R, C),
        Provenance(PAPER, "Theorem 3.2", "proofs/deep_mlp_proof.py", "[R] med"),
        (smooth_activation, linear_output, ntk_parameterization),
        (sp.Gt(m, 1),),
        description="C collects the constants of Theorem 3.1 ((2,2,1)-norms, ||b||_inf)",
    )


def nonlinear_output() -> Bound:
    """Non-linear output :math:`f = \\phi(\\tilde f)`:
    :math:`\\|H_f\\|\\ge|\\phi''|\\|\\nabla\\tilde f\\|^2 -
    |\\phi'|\\|H_{\\tilde f}\\|`, with :math:`\\|H_{\\tilde f}\\|\\le c_H/\\sqrt m` (§4):
    Theta(1)."""
    return Bound(
        "liu2020.nonlinear-output",
        r"\|H_f\|_2",
        ">=",
        sp.Abs(phi2) * grad**2 - sp.Abs(phi1) * c_H / sp.sqrt(m),
        (m, phi1, phi2, grad, c_H),
        Provenance(PAPER, "§4 non-linear output layer", "proofs/nonlinear_output_proof.py", "[I]"),
        (nonlinear_smooth_output, smooth_activation),
        description="phi1 = phi'(f~), phi2 = phi''(f~) != 0, g = ||grad f~||",
    )


def ball_linearization_gap() -> Bound:
    """:math:`\\|H\\|\\le\\epsilon` on :math:`B(w_0,R)` gives :math:`|f - f_{lin}|\\le\\epsilon
    R^2/2`
    (Prop. of §2)."""
    return Bound(
        "liu2020.ball.linearization-gap",
        r"\sup_{w\in B(w_0,R)}|f(w)-f_{lin}(w)|",
        "<=",
        eps * R**2 / 2,
        (eps, R),
        Provenance(
            PAPER,
            "§2, Taylor / kernel-change proposition",
            "proofs/ball_proof.py",
            "[R] hi, exact form [I]",
        ),
        description="epsilon = sup of the Hessian norm on the ball",
    )


def ball_kernel_change() -> Bound:
    """:math:`|K(w) - K(w_0)|\\le\\epsilon R(\\|\\nabla f_x\\| + \\|\\nabla f_z\\|) +
    \\epsilon^2R^2`
    (Prop. of §2, explicit form [I])."""
    return Bound(
        "liu2020.ball.kernel-change",
        r"\sup_{w\in B(w_0,R)}|K_{x,z}(w)-K_{x,z}(w_0)|",
        "<=",
        eps * R * (g_x + g_z) + eps**2 * R**2,
        (eps, R, g_x, g_z),
        Provenance(
            PAPER, "§2, kernel-change proposition", "proofs/ball_proof.py", "[R] hi, exact form [I]"
        ),
        description="g_x, g_z = gradient norms at w0",
    )
