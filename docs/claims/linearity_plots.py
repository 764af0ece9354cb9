"""Figures for the linearity claims whose rule is not an exponent fit
(``python docs/claims/linearity_plots.py``; the fitted ones come from ``wideproof plot``).

Writes PNGs into ``docs/claims/img/``: the worst-case Taylor coefficients :math:`s_j(m)` of linear
bottleneck networks with their fitted slopes and the estimated degree
(``zhu2022bottleneck.degree``, one wide layer per block, quick widths, seed 0), the Hessian and
gradient norms against depth at :math:`\\sigma_1 = 0.5` and 4 (``banerjee2022.hessian-depth``) and
the constant :math:`\\|H\\|\\sqrt m` that the Theorem 4.1 shape needs (``banerjee2022.bound-holds``),
both from the claims' own quick sweeps.  About ten seconds on one core.
"""

from __future__ import annotations

import math
from collections import defaultdict

import matplotlib.pyplot as plt
import torch
from _figures import save
from matplotlib.ticker import NullFormatter

from wideproof.claims import Claim
from wideproof.claims.banerjee2022 import BOUND_HOLDS, HESSIAN_DEPTH
from wideproof.claims.zhu2022bottleneck import (
    BOTTLENECK_WIDTH,
    DEGREE,
    INPUT_DIM,
    WIDTHS,
    multilinear_degree,
)
from wideproof.families import LinearBottleneck
from wideproof.sweeps import Point, ResultStore, run_sweep


def quick_points(claim: Claim) -> list[Point]:
    """The claim's quick-profile points, measured here (threads, in-memory store)."""
    with ResultStore(":memory:") as store:
        return list(run_sweep(claim.tasks("quick"), store=store, executor="threads").points)


def bottleneck_degree() -> None:
    widths = WIDTHS[1]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    for ax, bottlenecks in zip(axes, DEGREE.profiles["quick"].values, strict=True):
        spec = LinearBottleneck(
            input_dim=INPUT_DIM,
            width=widths[0],
            bottlenecks=int(bottlenecks),
            bottleneck_width=BOTTLENECK_WIDTH,
        )
        est = multilinear_degree(spec, widths, seeds=0)
        for j, (values, slope) in enumerate(zip(est.sups, est.exponents, strict=True), start=1):
            style = "-o" if j <= est.degree else "--s"
            ax.loglog(est.widths, values, style, label=f"$s_{j}$, slope {slope:.2f}")
        ax.set_title(
            f"B = {spec.blocks} blocks: estimated degree {est.degree} "
            f"(slopes > {est.threshold:g} count)",
            fontsize=9,
        )
        ax.set_xticks(est.widths, [str(m) for m in est.widths])
        ax.set_xlabel("width m")
        ax.legend(fontsize=7)
    axes[0].set_ylabel(r"$s_j = \sup_{\|\Delta\|=1}|c_j(\Delta)|$")
    fig.suptitle(
        "zhu2022bottleneck.degree: worst-case j-th Taylor coefficient of f(W + tΔ; 1) "
        f"(linear NTK net, one wide layer per block, bottleneck width {BOTTLENECK_WIDTH}, seed 0)",
        fontsize=10,
    )
    save(fig, "zhu2022bottleneck.degree")


def hessian_depth() -> None:
    points = quick_points(HESSIAN_DEPTH)
    sigma1 = HESSIAN_DEPTH.args("quick")["sigma1"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, kind, label in (
        (axes[0], "hessian", r"$\|H_f\|$"),
        (axes[1], "grad_norm", r"$\|\nabla_\theta f\|$"),
    ):
        for k, (name, value) in enumerate(sigma1.items()):
            by_depth: dict[float, list[float]] = defaultdict(list)
            for p in points:
                by_depth[p.value].append(p.observations[f"{kind}_{name}"].value)
            depths = sorted(by_depth)
            ax.semilogy(depths, [by_depth[d] for d in depths], "o", color=f"C{k}", alpha=0.4)
            geo = [math.exp(sum(map(math.log, by_depth[d])) / len(by_depth[d])) for d in depths]
            ax.semilogy(depths, geo, "-", color=f"C{k}", label=rf"$\sigma_1 = {value:g}$")
        ax.set_xlabel("depth L")
        ax.set_ylabel(label)
        ax.set_xticks(depths)
        ax.legend(fontsize=8)
    axes[0].set_title("Hessian norm (lines: geometric mean over seeds)", fontsize=9)
    axes[1].set_title("gradient norm (the RSC condition's ingredient)", fontsize=9)
    fig.suptitle(
        "banerjee2022.hessian-depth: tanh MLP at initialization, quick profile "
        f"({len(points)} points)",
        fontsize=10,
    )
    save(fig, "banerjee2022.hessian-depth")


def bound_holds() -> None:
    points = quick_points(BOUND_HOLDS)
    observation = BOUND_HOLDS.rule.observation
    widths = sorted({p.value for p in points})
    fig, ax = plt.subplots(figsize=(6, 3.8))
    scaled = [p.observations[observation].value * math.sqrt(p.value) for p in points]
    ax.plot([p.value for p in points], scaled, "o", alpha=0.6, label=r"$\|H_f\|\sqrt{m}$ per seed")
    needed = max(scaled)
    ax.axhline(needed, color="k", ls="--", label=f"smallest C that fits: {needed:.4g}")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(widths, [f"{m:g}" for m in widths])
    ax.set_xlabel("width m")
    ax.set_ylabel(r"$\|H_f\|\sqrt{m}$")
    ax.set_title(
        "banerjee2022.bound-holds: Thm 4.1 says $\\|H\\| \\leq c_H/\\sqrt{m}$;\n"
        "$c_H$ is only recalled, so no verdict (depth 3, $\\sigma_1 = 0.5$)",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    save(fig, "banerjee2022.bound-holds")


if __name__ == "__main__":
    torch.set_num_threads(1)
    bottleneck_degree()
    hessian_depth()
    bound_holds()
