"""A log-log figure of an exponent-fit verdict: points, per-seed spread, the fit, the prediction.

Drawn from the verdict alone (its evidence holds the :class:`~wideproof.sweeps.ExponentFit` with
every point), so ``wideproof plot`` needs no recomputation.  With the fit's log power :math:`b`,
the lines are :math:`y = e^{c} x^{a} (\\log x)^{b}` where :math:`c` is the mean of
:math:`\\log y - a\\log x - b\\log\\log x` over the points (the least-squares intercept for that
slope); the band spans the interval's slopes, pivoting at the geometric centre of the knob values,
and the predicted slope is drawn through the same pivot.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..claims import Verdict
from ..errors import ConfigError
from ..sweeps import ExponentFit

__all__ = ["PLOT_SUFFIXES", "plot_verdict"]

PLOT_SUFFIXES: tuple[str, ...] = (".png", ".pdf", ".svg")


def plot_verdict(verdict: Verdict, out: str | Path) -> Path:
    """Draw ``verdict`` into ``out`` (``.png``, ``.pdf`` or ``.svg``); return the path."""
    path = Path(out)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"out={str(out)!r} must end in {', '.join(PLOT_SUFFIXES)}")
    if not path.parent.is_dir():
        raise ConfigError(f"out={str(out)!r}: {path.parent} is not an existing directory")
    if "fit" not in verdict.evidence:
        raise ConfigError(
            f"claim {verdict.claim_id} has no exponent fit to plot (its rule is not a fit)"
        )
    fit = ExponentFit.from_json(verdict.evidence["fit"])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = (np.array([p[i] for p in fit.points], dtype=float) for i in (0, 1))
    xs = np.unique(x)
    grid = np.geomspace(xs.min(), xs.max(), 100)
    logfac = np.log(np.log(x)) if fit.log_power else np.zeros_like(x)

    def line(slope: float) -> Any:
        c = float(np.mean(np.log(y) - slope * np.log(x) - fit.log_power * logfac))
        logs = np.log(np.log(grid)) if fit.log_power else 0.0
        return np.exp(c + slope * np.log(grid) + fit.log_power * logs)

    pivot = math.exp(float(np.mean(np.log(xs))))

    def through_pivot(slope: float) -> Any:
        base = line(fit.exponent)
        return base * (grid / pivot) ** (slope - fit.exponent)

    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    try:
        ax.scatter(x, y, s=10, alpha=0.35, color="tab:blue", label=f"{len(fit.seeds)} seeds")
        med = np.array([np.median(y[x == v]) for v in xs])
        lo = np.array([y[x == v].min() for v in xs])
        hi = np.array([y[x == v].max() for v in xs])
        ax.errorbar(
            xs,
            med,
            yerr=[med - lo, hi - med],
            fmt="o",
            color="tab:blue",
            capsize=3,
            label="median, seed range",
        )
        ax.plot(
            grid,
            line(fit.exponent),
            color="tab:orange",
            label=f"fit {fit.exponent:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]",
        )
        ax.fill_between(
            grid,
            through_pivot(fit.ci_low),
            through_pivot(fit.ci_high),
            color="tab:orange",
            alpha=0.2,
            label=f"{fit.confidence:.0%} CI",
        )
        ax.plot(
            grid,
            through_pivot(verdict.predicted),
            "--",
            color="black",
            label=f"predicted {verdict.predicted:g}",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        knob = str(verdict.evidence.get("knob", "knob"))
        ax.set_xlabel(knob)
        ax.set_ylabel(
            str(verdict.evidence.get("statistic", "value"))
            .split(" in ")[0]
            .removeprefix("exponent of ")
        )
        note = f" (log {knob})^{fit.log_power:g} factor" if fit.log_power else ""
        ax.set_title(f"{verdict.claim_id}: {verdict.status}{note}", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
