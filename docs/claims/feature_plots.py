"""Figures for the feature-learning claim pages (``python docs/claims/feature_plots.py``).

Writes PNGs into ``docs/claims/img/``: RFM grokking curves and the learned feature block
(``mallinar2024.grokking``, quick setting, seed 0), IRKM weights per iteration
(``zhu2025irkm.sparse``, d = 100, seed 0) and subspace distance versus n
(``zhu2026agop.central-subspace``, d = 40, seed 0).  About a minute on one core.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from wideproof.claims.zhu2026agop import link_a, link_a2, link_b, recover
from wideproof.features import (
    circulant_deviation,
    gaussian_kernel,
    irkm,
    laplace_kernel,
    modular_arithmetic,
    random_orthonormal_rows,
    rfm,
    sparse_polynomial,
    subspace_distance,
)

OUT = Path(__file__).parent / "img"


def grokking() -> None:
    p = 23
    data = modular_arithmetic(p, "add", train_fraction=0.7, seed=0)
    res = rfm(
        data.x_train,
        data.y_train,
        kernel=gaussian_kernel(2.5, convention="code"),
        iterations=25,
        x_test=data.x_test,
        y_test=data.y_test,
        centered=True,
    )
    acc = res.test_accuracy()
    ts = range(len(acc))
    circ = [math.nan] + [
        circulant_deviation(it.metric[p:, :p], shift="left") for it in res.history[1:]
    ]
    align = [it.alignment for it in res.history]
    jump = res.first_iteration_reaching(0.99)
    fig, (ax, im) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax.plot(ts, acc, "o-", label="test accuracy")
    ax.plot(ts, circ, "s-", label="circulant deviation")
    ax.plot(ts, align, "^-", label=r"alignment $\rho(M_t, M_T)$")
    if jump is not None:
        ax.axvline(jump, color="gray", ls="--", label=f"jump (t = {jump})")
    ax.set_xlabel("RFM iteration t")
    ax.set_title("RFM, x + y mod 23, fraction 0.7, Gaussian kernel")
    ax.legend(fontsize=8)
    im.imshow(res.final_metric[p:, :p].numpy(), cmap="viridis")
    im.set_title(r"learned block $M_T[p:2p,\,:p]$ (circulant)")
    fig.tight_layout()
    fig.savefig(OUT / "mallinar2024.grokking.png", dpi=120)


def irkm_weights() -> None:
    d = 100
    task = sparse_polynomial({(0,): 0.5, (1,): 0.5, (0, 1, 2): 0.5}, d=d)
    res = irkm(task, kernel=laplace_kernel(math.sqrt(d)), n_per_iteration=d, iterations=10)
    w = torch.stack([it.weights for it in res.history])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    for j, name in enumerate(("x1", "x2", "x3")):
        ax.plot(range(1, 11), w[:, j] / d, "o-", label=name)
    ax.plot(range(1, 11), w[:, 3:].max(1).values / d, "k:", label="largest other")
    ax.set_xlabel("IRKM iteration t")
    ax.set_ylabel("weight / d")
    ax.legend(fontsize=8)
    bx.semilogy(range(1, 11), res.test_mse(), "o-")
    bx.set_xlabel("IRKM iteration t")
    bx.set_ylabel("test MSE")
    fig.suptitle("IRKM on (x1 + x2 + x1 x2 x3)/2, d = n = 100")
    fig.tight_layout()
    fig.savefig(OUT / "zhu2025irkm.sparse.png", dpi=120)


def subspace_vs_n() -> None:
    d = 40
    u = random_orthonormal_rows(2, d, seed=0)
    ns = [40, 101, 253, 640, 1600]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, link in (("A", link_a), ("B", link_b), ("A2", link_a2)):
        dist = [subspace_distance(recover(link, u, n, 0)[0], u.T) for n in ns]
        ax.semilogx(ns, dist, "o-", label=name)
    ax.axhline(math.sqrt(0.5), color="gray", ls=":", label="one direction missed")
    ax.set_xlabel("n")
    ax.set_ylabel(r"$\|P_{\hat V} - P_U\|_F / \sqrt{2r}$")
    ax.set_title("AGOP of Laplace KRR, d = 40")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "zhu2026agop.central-subspace.png", dpi=120)


if __name__ == "__main__":
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    grokking()
    irkm_weights()
    subspace_vs_n()
