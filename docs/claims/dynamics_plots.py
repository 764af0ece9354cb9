"""Figures for the dynamics claim pages (``python docs/claims/dynamics_plots.py``).

Writes one PNG per claim into ``docs/claims/img/``, each from the claim's quick-profile setting
with seed 0 (the settings are read from the claim's ``args("quick")``):

* ``lewkowycz2020.uv-phases`` -- uv model, n = 1000: loss and :math:`\\eta\\lambda_t` at five rates;
* ``zhu2022nqm.single-example`` -- NQM and network at m = 400, :math:`\\eta\\lambda_0` = 2.5, 3.0;
* ``zhu2022nqm.multi-example`` -- projected losses of the NQM on :math:`p_1, p_2` in regimes A-D;
* ``zhu2022nqm.network-agreement`` -- network, NQM and linearization at s = 1, 3, 4.4;
* ``zhu2023sgd.top-eigenspace`` -- :math:`\\mathcal{L}`, :math:`\\mathcal{P}_5\\mathcal{L}` and the
  complement at r = 1.2, 1.5 (m = 1024);
* ``zhu2023sgd.batch-size`` -- full training loss of SGD at b = 4, 16, 256 (eta = 4);
* ``liu2020pl.plstar-inequality`` and ``liu2020pl.exponential-convergence`` -- one GD path
  (m = 256): the PL* ratio, :math:`\\lambda_{\\min/\\max}(K_t)`, the loss against
  :math:`(1-\\eta\\mu)^t`;
* ``liu2020pl.width`` -- the quick-profile verdict, drawn by :func:`wideproof.report.plot_verdict`;
* ``banerjee2022.rsc`` -- realized curvature against :math:`2\\kappa_t^2\\|\\nabla\\bar G_t\\|^2`.

Catapults are the episodes of :func:`wideproof.dynamics.detect_catapults` with its default rule
(the rule the claims use); each is shaded from its start to its return, with a star at the peak.
About a minute on one core (``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1``); each figure's seconds
are printed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from _figures import OUT, save
from matplotlib.axes import Axes

from wideproof.claims.banerjee2022dynamics import RSC, realized_curvature, rsc_trajectory
from wideproof.claims.lewkowycz2020 import UV_PHASES, uv_model
from wideproof.claims.liu2020pl import PLSTAR, WIDTH, pl_data, plstar_mlp
from wideproof.claims.zhu2022nqm import (
    AGREE_RATES,
    DIVERGED,
    ETA_LAMBDAS,
    MULTI_EXAMPLE,
    NETWORK_AGREEMENT,
    PEAK_CONSTANT,
    SINGLE_EXAMPLE,
    agreement_data,
    fig3_data,
    group_eigenvalues,
    linearized_losses,
    regime_run,
    single_example_data,
)
from wideproof.claims.zhu2023sgd import (
    BATCH_SIZE,
    COMPLEMENT_MAX,
    TOP_EIGENSPACE,
    batch_size_setting,
    product_task,
    relu_network,
)
from wideproof.dynamics import Probes, Trajectory, classify_phase, detect_catapults, gd, sgd
from wideproof.families import MLP, QuadraticModel
from wideproof.measures import ntk
from wideproof.report import plot_verdict

SEED = 0


def _quick_width(claim_values: Sequence[float]) -> int:
    """The largest width of a quick profile."""
    return int(max(claim_values))


def _mark_catapults(ax: Axes, loss: Sequence[float], color: str, scale: float = 1.0) -> int:
    """Shade each detected catapult (start to return) and star its peak; the count."""
    episodes = detect_catapults(loss)
    for e in episodes:
        ax.axvspan(e.start, e.end, color=color, alpha=0.12, lw=0)
        ax.plot(e.peak, e.peak_loss / scale, "*", color=color, ms=10, mec="k", mew=0.5)
    return len(episodes)


def _edge_lines(ax: Axes, edges: Sequence[float] = (2.0, 4.0)) -> None:
    for value, style in zip(edges, ("--", ":"), strict=False):
        ax.axhline(value, color="k", ls=style, lw=0.9)
        ax.annotate(
            f"{value:g}",
            (1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(3, -3),
            textcoords="offset points",
            fontsize=8,
        )


def uv_phases() -> None:
    args = UV_PHASES.args("quick")
    width = int(args["width"])
    model, lam0 = uv_model(SEED, width)
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.9))
    for k, product in enumerate((1.9, 2.5, 3.0, 3.9, 4.1)):
        traj = gd(
            model,
            x,
            y,
            eta=product / lam0,
            steps=int(args["steps"]),
            loss="half_sum",
            probes=Probes(every=1, gradient=False, kernel=True),
            on_divergence="stop",
            divergence_threshold=float(args["divergence"]),
            stop_ratio=float(args["stop_ratio"]),
        )
        color = f"C{k}"
        count = _mark_catapults(ax, traj.loss, color)
        label = rf"$\eta\lambda_0$ = {product:g}: {classify_phase(traj)}, {count} detected"
        ax.semilogy(traj.loss, color=color, label=label)
        steps = [p.step for p in traj.probes]
        bx.plot(steps, traj.sharpness_products(), color=color, label=rf"{product:g}")
    ax.set_xlim(0, 40)
    ax.set_ylim(1e-31, 1e13)
    ax.set_xlabel("GD step t (first 40)")
    ax.set_ylabel(r"loss $\frac{1}{2} f_t^2$ (½-sum, y = 0)")
    ax.legend(fontsize=7, loc="lower right")
    bx.set_xlim(0, 40)
    bx.set_ylim(0, 5)
    _edge_lines(bx)
    bx.set_xlabel("GD step t (first 40)")
    bx.set_ylabel(r"$\eta\lambda_t$, $\lambda = (\|u\|^2+\|v\|^2)/n$")
    bx.legend(fontsize=7, title=r"$\eta\lambda_0$", title_fontsize=7, loc="upper right")
    fig.suptitle(
        f"lewkowycz2020.uv-phases: uv model, n = {width}, seed {SEED} "
        "(4.1 stops at the divergence threshold 1e12)",
        fontsize=10,
    )
    save(fig, "lewkowycz2020.uv-phases")


def nqm_single_example() -> None:
    args = SINGLE_EXAMPLE.args("quick")
    m = _quick_width(SINGLE_EXAMPLE.profiles["quick"].values)
    d, target = int(args["d"]), float(args["y"])
    x, y = single_example_data(d, target, SEED)
    base = MLP(input_dim=d, width=m, activation="relu").init(SEED)
    nqm = QuadraticModel(base).init()
    lam0 = float(ntk(nqm, x)[0, 0])
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.9))
    for k, product in enumerate(ETA_LAMBDAS):
        color = f"C{k}"
        runs = (
            ("NQM", nqm, int(args["steps"]), "-"),
            ("network", base, int(args["net_steps"]), "--"),
        )
        for name, model, steps, style in runs:
            traj = gd(
                model,
                x,
                y,
                eta=product / lam0,
                steps=steps,
                loss="half_sum",
                probes=Probes(every=1, gradient=False, kernel=True),
            )
            count = _mark_catapults(ax, traj.loss, color)
            final = traj.sharpness_products()[-1]
            ax.semilogy(
                traj.loss, style, color=color, label=f"{name}, {product:g} ({count} detected)"
            )
            bx.plot(
                [p.step for p in traj.probes],
                traj.sharpness_products(),
                style,
                color=color,
                label=rf"{name}, {product:g}: final {final:.2f} at t = {traj.steps}",
            )
        bound = PEAK_CONSTANT * m * (product - 2.0) ** 2 / math.log(m)
        ax.axhline(bound, color=color, ls=":", lw=1)
    ax.plot([], [], "k:", lw=1, label=r"peak bound $0.1\,m(\eta\lambda_0-2)^2/\log m$")
    ax.set_xlim(0, 40)
    ax.set_ylim(1e-8, 1e3)
    ax.set_xlabel("GD step t (first 40)")
    ax.set_ylabel(r"loss $\frac{1}{2}(g_t-y)^2$ (½-sum)")
    ax.legend(fontsize=7)
    bx.set_xlim(0, 40)
    bx.set_ylim(0, 4.5)
    _edge_lines(bx)
    bx.set_xlabel("GD step t (first 40)")
    bx.set_ylabel(r"$\eta\lambda_t$ (tangent kernel of the model trained)")
    bx.legend(fontsize=7)
    fig.suptitle(
        f"zhu2022nqm.single-example: m = {m}, d = {d}, y = {target}, seed {SEED}; "
        f"NQM {args['steps']} steps, network {args['net_steps']}",
        fontsize=10,
    )
    save(fig, "zhu2022nqm.single-example")


def nqm_multi_example() -> None:
    args = MULTI_EXAMPLE.args("quick")
    m = _quick_width(MULTI_EXAMPLE.profiles["quick"].values)
    n, steps = int(args["n"]), int(args["steps"])
    base = MLP(input_dim=1, width=m, activation="relu").init(SEED)
    x, y, attempt = fig3_data(SEED, n, base)
    lam = group_eigenvalues(ntk(base, x), x)
    top = 0 if lam[0] >= lam[1] else 1
    l1, l2 = lam[top], lam[1 - top]
    regimes = {  # the rates of multi_example_run, mean-loss units
        "A": (0.9 * n / l1, r"$0.9\,n/\lambda_1$: lazy"),
        "B": (
            0.5 * (n / l1 + n / l2),
            r"between $n/\lambda_1$ and $n/\lambda_2$: along $p_1$ only",
        ),
        "C": (0.5 * (n / l2 + 2 * n / l1), r"between $n/\lambda_2$ and $2n/\lambda_1$: both"),
        "D": (1.05 * 2 * n / l1, r"$1.05\cdot 2n/\lambda_1$: diverges"),
    }
    nqm = QuadraticModel(base).init()
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.2))
    for ax, (regime, (eta, text)) in zip(axes.flat, regimes.items(), strict=True):
        run = regime_run(nqm, x, y, eta, steps, top)
        if run["diverged"]:
            with torch.no_grad():
                L0 = float(((nqm(x) - y) ** 2).mean())
            traj = gd(
                nqm,
                x,
                y,
                eta=eta,
                steps=steps,
                loss="mean",
                probes=Probes(every=None, gradient=False),
                on_divergence="stop",
                divergence_threshold=DIVERGED * L0,
            )
            ax.semilogy(traj.loss, "k", label=r"NQM loss $\mathcal{L}_t$")
            ax.axhline(
                DIVERGED * L0,
                color="gray",
                ls=":",
                label=r"divergence threshold $10^6\mathcal{L}_0$",
            )
            ax.set_title(
                f"{regime}: η = {eta:.3f}, {text}\nNQM stopped at t = {traj.diverged_at}",
                fontsize=8,
            )
            ax.set_xlabel("GD step t")
            ax.set_ylabel(r"mean loss $\mathcal{L}_t$")
        else:
            proj, loss = run["proj"], torch.tensor(run["loss"])
            ax.semilogy(proj[:, 0], "C0", label=r"$\Pi_1\mathcal{L}$ (on $p_1$)")
            ax.semilogy(proj[:, 1], "C1", label=r"$\Pi_2\mathcal{L}$ (on $p_2$)")
            ax.semilogy(loss - proj.sum(1), "C2", label=r"$\Pi_{\geq3}\mathcal{L}$ (complement)")
            net = regime_run(base, x, y, eta, steps, top)
            if not net["diverged"]:
                ax.semilogy(
                    net["proj"][:, 0], "C0", ls="--", lw=0.8, label=r"network $\Pi_1$, $\Pi_2$"
                )
                ax.semilogy(net["proj"][:, 1], "C1", ls="--", lw=0.8)
            s0 = [2 * eta * v / n for v in run["lam0"]]
            s1 = [2 * eta * v / n for v in run["lam1"]]
            ax.set_title(
                f"{regime}: η = {eta:.3f}, {text}\n"
                rf"NQM $2\eta\lambda_1/n$: {s0[0]:.2f} → {s1[0]:.2f},  "
                rf"$2\eta\lambda_2/n$: {s0[1]:.2f} → {s1[1]:.2f}",
                fontsize=8,
            )
            ax.set_xlim(0, 40)
            ax.set_ylim(1e-8, None)
            ax.set_xlabel(f"GD step t (first 40 of {steps})")
            ax.set_ylabel(r"mean-loss units, $\frac{1}{n}\langle p_i, r_t\rangle^2$")
        ax.legend(fontsize=7)
    fig.suptitle(
        f"zhu2022nqm.multi-example: NQM (solid) of the 1-D ReLU net, m = {m}, n = {n}, seed {SEED} "
        f"(data attempt {attempt}, λ1/λ2 = {l1 / l2:.3f}), mean loss",
        fontsize=10,
    )
    save(fig, "zhu2022nqm.multi-example")


def nqm_network_agreement() -> None:
    args = NETWORK_AGREEMENT.args("quick")
    m = _quick_width(NETWORK_AGREEMENT.profiles["quick"].values)
    n, d, steps = int(args["n"]), int(args["d"]), int(args["steps"])
    x, y = agreement_data(n, d, SEED)
    base = MLP(input_dim=d, width=m, activation="relu").init(SEED)
    nqm = QuadraticModel(base).init()
    K0 = ntk(base, x)
    lam0 = float(torch.linalg.eigvalsh(K0)[-1])
    r0 = (base(x) - y).detach()
    c = 2.0 / n
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.6))
    sharp = axes[1, 1]
    for ax, (regime, product) in zip(axes.flat, AGREE_RATES.items(), strict=False):
        eta = product / (c * lam0)
        lin = linearized_losses(K0, r0, eta, steps)
        ax.semilogy([v / lin[0] for v in lin], "k", lw=1, label="linearization")
        for k, (name, model) in enumerate((("network", base), ("NQM", nqm))):
            with torch.no_grad():
                L0 = float(((model(x) - y) ** 2).mean())
            traj = gd(
                model,
                x,
                y,
                eta=eta,
                steps=steps,
                loss="mean",
                probes=Probes(every=1, gradient=False, kernel=True),
                on_divergence="stop",
                divergence_threshold=DIVERGED * L0,
            )
            color = f"C{k}"
            count = _mark_catapults(ax, traj.loss, color, scale=L0)
            status = (
                f"diverged at t = {traj.diverged_at}"
                if traj.diverged
                else f"{count} detected, peak {max(traj.loss) / L0:.2g}, final {traj.loss[-1] / L0:.1e}"
            )
            ax.semilogy([v / L0 for v in traj.loss], color=color, label=f"{name} ({status})")
            if regime == "above":
                sharp.plot(
                    [p.step for p in traj.probes],
                    traj.sharpness_products(),
                    color=color,
                    label=name,
                )
        ax.set_title(f"s = {product:g} ({regime}): η = {eta:.3f}", fontsize=9)
        ax.set_xlabel("GD step t")
        ax.set_ylabel(r"$\mathcal{L}_t/\mathcal{L}_0$ (mean loss)")
        ax.legend(fontsize=7)
    _edge_lines(sharp)
    sharp.set_xlim(0, 60)
    sharp.set_ylim(0, 4.5)
    sharp.set_title(r"s = 3: sharpness product $c\,\eta\,\lambda_{\max}(K_t)$, c = 2/n", fontsize=9)
    sharp.set_xlabel("GD step t (first 60)")
    sharp.set_ylabel(r"$c\,\eta\,\lambda_{\max}(K_t)$")
    sharp.legend(fontsize=7)
    fig.suptitle(
        f"zhu2022nqm.network-agreement: ReLU net m = {m}, n = {n}, d = {d}, seed {SEED}; "
        r"$s = c\,\eta\,\lambda_{\max}(K_0)$",
        fontsize=10,
    )
    save(fig, "zhu2022nqm.network-agreement")


def sgd_top_eigenspace() -> None:
    args = TOP_EIGENSPACE.args("quick")
    d, n, width, steps = int(args["d"]), int(args["n"]), int(args["width"]), int(args["steps"])
    x, y = product_task(n, d, 2000 + SEED, torch.float64)
    model = relu_network(width, d, SEED, torch.float64)
    lam1 = float(torch.linalg.eigvalsh(ntk(model, x))[-1])
    rates = TOP_EIGENSPACE.profiles["quick"].values
    fig, axes = plt.subplots(len(rates), 2, figsize=(10, 3.4 * len(rates)), squeeze=False)
    for (ax, bx), r in zip(axes, rates, strict=True):
        eta = 2.0 * r / lam1
        traj = gd(
            model,
            x,
            y,
            eta=eta,
            steps=steps,
            loss="half_sum",
            probes=Probes(every=1, gradient=False, kernel=True, top_s=5),
        )
        loss = [p.loss for p in traj.probes]
        top = [float(sum(v)) for v in traj.series("projected_loss")]
        count = _mark_catapults(ax, traj.loss, "C0")
        ax.semilogy(loss, "C0", label=rf"$\mathcal{{L}}$ ({count} detected)")
        ax.semilogy(top, "C1--", label=r"$\mathcal{P}_5\mathcal{L}$ (top-5 eigvecs of $K_t$)")
        ax.semilogy(traj.series("complement_loss"), "C2", label="complement (the rest)")
        ax.axhline(COMPLEMENT_MAX * max(loss), color="C2", ls=":", lw=1, label="0.05 max L (check)")
        ax.set_xlabel("GD step t")
        ax.set_ylabel(r"½-sum loss $\frac{1}{2}\|f-y\|^2$")
        ax.set_title(f"r = ηλ1(K0)/2 = {r:g}", fontsize=9)
        ax.legend(fontsize=7)
        products = traj.sharpness_products()
        bx.plot([p.step for p in traj.probes], products, "C0")
        _edge_lines(bx)
        bx.set_ylim(0, 4.5)
        bx.set_xlabel("GD step t")
        bx.set_ylabel(r"$\eta\lambda_1(K_t)$")
        bx.set_title(f"r = {r:g}: final ηλ1 = {products[-1]:.2f}", fontsize=9)
    fig.suptitle(
        f"zhu2023sgd.top-eigenspace: 2-layer ReLU NTK net m = {width}, d = {d}, n = {n}, "
        f"target x1 x2, GD, seed {SEED}",
        fontsize=10,
    )
    save(fig, "zhu2023sgd.top-eigenspace")


def sgd_batch_size() -> None:
    args = BATCH_SIZE.args("quick")
    eta = float(BATCH_SIZE.profiles["quick"].values[0])
    setting = batch_size_setting(args, SEED)
    x, y, x_test, y_test = setting.x, setting.y, setting.x_test, setting.y_test
    model, probes = setting.model, setting.probes
    fig, (ax, tx) = plt.subplots(1, 2, figsize=(11, 4.0), gridspec_kw={"width_ratios": [2.2, 1]})
    rows = []
    for k, b in enumerate(int(v) for v in args["batches"]):
        traj = sgd(
            model,
            x,
            y,
            eta=eta,
            steps=int(args["steps"]),
            batch_size=b,
            seed=SEED,
            loss="mean",
            probes=probes,
            on_divergence="stop",
        )
        color = f"C{k}"
        count = _mark_catapults(ax, traj.loss, color)
        ax.semilogy(traj.loss, color=color, lw=0.8, label=f"b = {b}: {count} catapults")
        lam = traj.series("lambda_max")
        test = float(((model.apply_flat(traj.final_params, x_test) - y_test) ** 2).mean())
        rows.append(
            [
                str(b),
                str(count),
                f"{lam[-1] / lam[0]:.2f}",
                f"{traj.series('agop_alignment')[-1]:.3f}",
                f"{test:.3f}",
            ]
        )
    ax.set_xlabel("SGD step t")
    ax.set_ylabel(r"full training loss $\frac{1}{n}\sum_i(f(x_i)-y_i)^2$ (mean)")
    ax.legend(fontsize=8)
    tx.axis("off")
    table = tx.table(
        cellText=rows,
        colLabels=[
            "b",
            "catapults",
            "λmax(K_T)\n/ λmax(K_0)",
            "AGOP align.\n(test inputs)",
            "test\nMSE",
        ],
        loc="center",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(5)))
    table.scale(1.0, 2.2)
    fig.suptitle(
        f"zhu2023sgd.batch-size: SGD η = {eta:g}, {args['steps']} steps each, ReLU NTK net "
        f"m = {args['width']}, n = {args['n']}, d = {args['d']}, {args['dtype']}, seed {SEED}",
        fontsize=10,
    )
    save(fig, "zhu2023sgd.batch-size")


def pl_path() -> tuple[Trajectory, float, int]:
    """The GD path of ``pl_run`` at the quick width, seed 0: the trajectory, eta and the width."""
    args = PLSTAR.args("quick")
    width = _quick_width(PLSTAR.profiles["quick"].values)
    d, n = int(args["d"]), int(args["n"])
    x, y = pl_data(d, n, 1000 + SEED)
    model = plstar_mlp(width, d).init(SEED)
    eta = float(args["eta_factor"]) / float(torch.linalg.eigvalsh(ntk(model, x))[-1])
    traj = gd(
        model,
        x,
        y,
        eta=eta,
        steps=int(args["max_steps"]),
        loss="half_sum",
        probes=Probes(every=1, kernel=True, top_s=1),
        stop_ratio=float(args["stop_ratio"]),
    )
    return traj, eta, width


def _pl_setting(width: int) -> str:
    return (
        f"NTK MLP 2 tanh layers, m = {width}, d = n = 20, ½-sum loss, η = 1/λmax(K0), seed {SEED}"
    )


def plstar_inequality(traj: Trajectory, width: int) -> None:
    steps = [p.step for p in traj.probes]
    lmin, lmax = traj.series("lambda_min"), traj.series("lambda_max")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax.plot(steps, traj.pl_ratios(), "C0")
    ax.axhline(1.0, color="k", ls="--", lw=0.9, label="1 (the PL* bound)")
    ax.set_xlabel("GD step t")
    ax.set_ylabel(r"$\|\nabla\mathcal{L}\|^2 / (2\lambda_{\min}(K_t)\mathcal{L}_t)$")
    ax.set_title(f"PL* ratio along the path (min {min(traj.pl_ratios()):.3f})", fontsize=9)
    ax.legend(fontsize=8)
    bx.plot(
        steps, [v / lmin[0] for v in lmin], "C1", label=r"$\lambda_{\min}(K_t)/\lambda_{\min}(K_0)$"
    )
    bx.plot(
        steps, [v / lmax[0] for v in lmax], "C2", label=r"$\lambda_{\max}(K_t)/\lambda_{\max}(K_0)$"
    )
    bx.axhline(0.5, color="C1", ls=":", lw=1, label=r"$\frac{1}{2}$ (mu_persists check)")
    bx.set_ylim(0, None)
    bx.set_xlabel("GD step t")
    bx.set_ylabel("kernel eigenvalue / its value at t = 0")
    bx.legend(fontsize=8)
    fig.suptitle(f"liu2020pl.plstar-inequality: {_pl_setting(width)}", fontsize=9)
    save(fig, "liu2020pl.plstar-inequality")


def exponential_convergence(traj: Trajectory, eta: float, width: int) -> None:
    steps = [p.step for p in traj.probes]
    loss = [p.loss for p in traj.probes]
    mu = min(traj.series("lambda_min"))
    bound = [(1.0 - eta * mu) ** t * loss[0] for t in steps]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax.semilogy(steps, [v / loss[0] for v in loss], "C0", label=r"$\mathcal{L}_t/\mathcal{L}_0$")
    ax.semilogy(steps, [v / loss[0] for v in bound], "k--", label=r"$(1-\eta\mu)^t$")
    ax.axhline(1e-8, color="gray", ls=":", lw=1, label="stop at 1e-8")
    ax.set_xlabel("GD step t")
    ax.set_ylabel(r"½-sum loss relative to $\mathcal{L}_0$")
    ax.set_title(
        rf"$\mu = \min_t\lambda_{{\min}}(K_t)$ = {mu:.3g}, $\eta\mu$ = {eta * mu:.3f}", fontsize=9
    )
    ax.legend(fontsize=8)
    bx.semilogy(steps[1:], [a / b for a, b in zip(loss[1:], bound[1:], strict=True)], "C0")
    bx.axhline(1.0, color="k", ls="--", lw=0.9, label="1 (the bound)")
    bx.set_xlabel("GD step t")
    bx.set_ylabel(r"$\mathcal{L}_t / ((1-\eta\mu)^t\mathcal{L}_0)$")
    bx.legend(fontsize=8)
    fig.suptitle(f"liu2020pl.exponential-convergence: {_pl_setting(width)}", fontsize=9)
    save(fig, "liu2020pl.exponential-convergence")


def pl_width() -> None:
    verdict = WIDTH.verify("quick", executor="threads:1")
    plot_verdict(verdict, OUT / "liu2020pl.width.png")


def rsc() -> None:
    args = RSC.args("quick")
    width = _quick_width(RSC.profiles["quick"].values)
    runs = {
        f"wide run: m = {width}, d = n = {args['d']}, η = 0.5/(cλmax(K0))": rsc_trajectory(
            width, int(args["d"]), int(args["n"]), SEED, args
        )[2],
        (
            f"singular run: m = {args['singular_width']}, d = {args['singular_d']}, "
            f"n = {args['singular_n']} > #params, η = 0.1/(cλmax(K0))"
        ): rsc_trajectory(
            int(args["singular_width"]),
            int(args["singular_d"]),
            int(args["singular_n"]),
            SEED,
            {
                **args,
                "max_steps": args["singular_steps"],
                "eta_factor": args["singular_eta_factor"],
            },
        )[2],
    }
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.9))
    for ax, (title, traj) in zip(axes, runs.items(), strict=True):
        curv, jensen = realized_curvature(traj)
        kappa, g_bar = traj.series("mean_grad_cosine"), traj.series("mean_grad_sq")
        rsc_term = [2.0 * k * k * g for k, g in zip(kappa[:-1], g_bar[:-1], strict=True)]
        t = range(len(curv))
        ax.plot(t, curv, "C0", label=r"realized curvature $a_t$")
        ax.plot(t, jensen, "C1", lw=0.8, label=r"Jensen part $j_t$")
        ax.plot(t, rsc_term, "C2", lw=0.8, label=r"$2\kappa_t^2\|\nabla\bar G_t\|^2$")
        if min(curv) > 0:
            ax.set_yscale("log")
            ax.set_ylabel("curvature (mean-loss units)")
        else:
            ax.axhline(0.0, color="k", lw=0.6)
            ax.set_yscale("symlog", linthresh=1e-4)
            ax.set_ylabel("curvature (mean-loss units;\nsymlog, linear within ±1e-4)")
        ax.set_xlabel("GD step t")
        ax.set_title(title, fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"banerjee2022.rsc: NTK MLP, 1 tanh layer, rsc init, mean loss, seed {SEED}",
        fontsize=10,
    )
    save(fig, "banerjee2022.rsc")


def _timed(name: str, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    fn()
    print(f"{name}: {time.perf_counter() - start:.1f} s")


def main() -> None:
    torch.set_num_threads(1)
    _timed("lewkowycz2020.uv-phases", uv_phases)
    _timed("zhu2022nqm.single-example", nqm_single_example)
    _timed("zhu2022nqm.multi-example", nqm_multi_example)
    _timed("zhu2022nqm.network-agreement", nqm_network_agreement)
    _timed("zhu2023sgd.top-eigenspace", sgd_top_eigenspace)
    _timed("zhu2023sgd.batch-size", sgd_batch_size)
    start = time.perf_counter()
    traj, eta, width = pl_path()
    plstar_inequality(traj, width)
    exponential_convergence(traj, eta, width)
    print(
        f"liu2020pl.plstar-inequality + exponential-convergence: {time.perf_counter() - start:.1f} s"
    )
    _timed("liu2020pl.width", pl_width)
    _timed("banerjee2022.rsc", rsc)


if __name__ == "__main__":
    main()
