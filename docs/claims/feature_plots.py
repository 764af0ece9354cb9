"""Figures for the feature-learning claim pages (``python docs/claims/feature_plots.py``).

Writes PNGs into ``docs/claims/img/``: RFM grokking curves and the learned feature block
(``mallinar2024.grokking``, quick setting, seed 0), IRKM weights per iteration
(``zhu2025irkm.sparse``, d = 100, seed 0), subspace distance versus n
(``zhu2026agop.central-subspace``, d = 40, seed 0), the ridgeless coefficients and predictor of
Theorem 5.1 next to the Fourier multiplication algorithm (``mallinar2024.fourier``, p = 11,
class 2) and the trained network's :math:`W_1^\top W_1` next to :math:`G^{1/2}`
(``radhakrishnan2024.nfa``, quick setting, seed 0).  About ten seconds on one core.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from _figures import save

from wideproof.claims.mallinar2024 import (
    FOURIER,
    fma_term,
    fourier_identity,
    fourier_metric,
    shift_matrix,
)
from wideproof.claims.radhakrishnan2024 import NFA, train_nfa_network
from wideproof.claims.zhu2026agop import link_a, link_a2, link_b, recover
from wideproof.features import (
    circulant_deviation,
    fit_kernel_machine,
    gaussian_kernel,
    irkm,
    laplace_kernel,
    modular_arithmetic,
    nfa_correlation,
    psd_matrix_power,
    quadratic_kernel,
    random_orthonormal_rows,
    rfm,
    sparse_polynomial,
    subspace_distance,
)


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
    save(fig, "mallinar2024.grokking")


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
    save(fig, "zhu2025irkm.sparse")


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
    save(fig, "zhu2026agop.central-subspace")


def fourier(p: int = 11, ell: int = 2) -> None:
    r"""Theorem 5.1 for one class: the ridgeless quadratic-kernel coefficients at
    :math:`M_\ell`, their distance to :math:`\frac12C^{3\ell} - \frac{1}{2p+2}\mathbf 1\mathbf 1^\top`,
    the predictor on all one-hot inputs, and the FMA with the printed index."""
    (task,) = (t for t in FOURIER.tasks("quick") if t.value == p)
    summary = fourier_identity(task)  # the claim's checks over all p classes
    data = modular_arithmetic(p, "sub", train_fraction=1.0)
    c = shift_matrix(p)
    metric = fourier_metric(torch.linalg.matrix_power(c, ell)).to(torch.float64)
    y = (data.labels == ell).to(torch.float64)
    machine = fit_kernel_machine(quadratic_kernel(), data.inputs, y, metric, method="lu")
    alpha = machine.alpha[:, 0].reshape(p, p)  # operands are a-major: alpha[a, b]
    closed = 0.5 * torch.linalg.matrix_power(c, 3 * ell).to(torch.float64) - 1.0 / (2 * p + 2)
    pred = machine.predict(data.inputs).reshape(p, p)
    x1, x2 = data.inputs[:, :p], data.inputs[:, p:]
    fma = fma_term(x1, x2, (p - ell) % p).reshape(p, p)
    printed = fma_term(x1, x2, (p - ell - 1) % p).reshape(p, p)
    panels = (
        (alpha, r"ridgeless $\alpha^{(\ell)}_{a,b}$ (LU solve)", "RdBu_r"),
        (
            (alpha - closed).abs().clamp_min(1e-18).log10(),
            r"$\log_{10}|\alpha - (\frac{1}{2}C^{3\ell} - \frac{1}{2p+2}\mathbf{1}\mathbf{1}^\top)|$"
            + f"\nmax {float((alpha - closed).abs().max()):.1e}",
            "viridis",
        ),
        (
            pred,
            f"predictor $f_\\ell(e_a\\oplus e_b)$\nmax |f - FMA| = {float((pred - fma).abs().max()):.1e}",
            "RdBu_r",
        ),
        (printed, r"FMA as printed, index $e_{p-\ell-1}$" + "\n(flags a - b = l + 1)", "RdBu_r"),
    )
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    for ax, (image, title, cmap) in zip(axes, panels, strict=True):
        bound = float(image.abs().max())
        limits = {"vmin": -bound, "vmax": bound} if cmap == "RdBu_r" else {}
        shown = ax.imshow(image.numpy(), cmap=cmap, **limits)
        fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("b")
        ax.set_ylabel("a")
    fig.suptitle(
        f"mallinar2024.fourier: x - y mod {p}, all p^2 pairs, quadratic kernel at M_l, class l = {ell}; "
        f"all {p} classes: max |alpha - closed form| = {summary['alpha_max_error']:.1e}, "
        f"printed FMA shift = {summary['printed_fma_shift']:g}",
        fontsize=9,
    )
    save(fig, "mallinar2024.fourier")


def nfa() -> None:
    """The claim's own training run (``train_nfa_network``, quick setting, seed 0) and the
    correlations its measure computes from it."""
    (task,) = NFA.tasks("quick")
    run = train_nfa_network(task)
    w1, w1_init, agop = run.w1, run.w1_init, run.agop
    result = {
        "nfa_cosine": nfa_correlation(w1, agop),
        "init_cosine": nfa_correlation(w1_init, agop),
        "nfa_pearson": nfa_correlation(w1, agop, kind="pearson"),
    }
    panels = (
        (w1.T @ w1, rf"trained $W_1^\top W_1$: cosine {result['nfa_cosine']:.3f}"),
        (psd_matrix_power(agop, 0.5), r"$G^{1/2}$, AGOP of the trained net (train inputs)"),
        (
            w1_init.T @ w1_init,
            rf"initial $W_1^{{(0)\top}} W_1^{{(0)}}$: cosine {result['init_cosine']:.3f}",
        ),
    )
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.0))
    for ax, (image, title) in zip(axes, panels, strict=True):
        shown = ax.imshow(image.numpy(), cmap="viridis")
        fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(0, image.shape[1], 5))
        ax.set_yticks(range(0, image.shape[0], 5))
        ax.set_xlabel("input coordinate j")
        ax.set_ylabel("input coordinate i")
    fig.suptitle(
        f"radhakrishnan2024.nfa: ReLU net 20-{int(task.value)}-{int(task.value)}-1, target x0 x1, "
        f"n = {task.args['n']}, Adam {task.args['epochs']} epochs, seed {task.seed}; "
        f"cosine with $G^{{1/2}}$ (Pearson {result['nfa_pearson']:.3f})",
        fontsize=9,
    )
    save(fig, "radhakrishnan2024.nfa")


if __name__ == "__main__":
    torch.set_num_threads(1)
    grokking()
    irkm_weights()
    subspace_vs_n()
    fourier()
    nfa()
