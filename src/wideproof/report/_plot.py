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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..claims import Verdict
from ..errors import ConfigError
from ..sweeps import ExponentFit, Point
from ._trajectory_plot import plot_points

__all__ = ["PLOT_SUFFIXES", "plot_verdict"]

PLOT_SUFFIXES: tuple[str, ...] = (".png", ".pdf", ".svg")


def plot_verdict(
    verdict: Verdict, out: str | Path, points: Callable[[], Sequence[Point]] | None = None
) -> Path:
    """Draw ``verdict`` into ``out`` (``.png``, ``.pdf`` or ``.svg``); return the path.

    A compound verdict (``evidence["parts"]``) gets one panel per part that holds a fit.  A verdict
    without a fit (a threshold, band or trajectory claim) is drawn from its stored points, which
    ``points`` loads (:func:`wideproof.report.plot_points`).
    """
    path = Path(out)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"out={str(out)!r} must end in {', '.join(PLOT_SUFFIXES)}")
    if not path.parent.is_dir():
        raise ConfigError(f"out={str(out)!r}: {path.parent} is not an existing directory")
    panels = _fitted_panels(verdict)
    if not panels and points is not None:
        return plot_points(verdict, points(), path)
    if not panels:
        raise ConfigError(
            f"claim {verdict.claim_id} has no exponent fit to plot (its rule is not a fit)"
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 3.6 * rows), squeeze=False)
    try:
        knob = str(verdict.evidence.get("knob", "knob"))
        for ax, (title, part) in zip(axes.flat, panels, strict=False):
            _draw(ax, part, title, knob)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        if len(panels) > 1 or "fit" not in verdict.evidence:
            fig.suptitle(f"{verdict.claim_id}: {verdict.status}", fontsize=10)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


def _fitted_panels(verdict: Verdict) -> list[tuple[str, Verdict]]:
    """``(title, verdict)`` for the verdict itself or for each of its parts that holds a fit."""
    if "fit" in verdict.evidence:
        return [(f"{verdict.claim_id}: {verdict.status}", verdict)]
    parts = verdict.evidence.get("parts") or {}
    return [
        (f"{label}: {part.status}", part)
        for label, part in ((k, Verdict.from_json(v)) for k, v in parts.items())
        if "fit" in part.evidence
    ]


def _draw(ax: Any, verdict: Verdict, title: str, knob: str) -> None:
    """Points, per-seed spread, the fit with its band, and the prediction (or the rule's band)."""
    fit = ExponentFit.from_json(verdict.evidence["fit"])
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
    band = verdict.evidence.get("band")
    if band:  # a band rule: draw its two ends
        for end, style in zip(band, ("--", ":"), strict=True):
            if math.isfinite(float(end)):
                ax.plot(
                    grid,
                    through_pivot(float(end)),
                    style,
                    color="black",
                    label=f"band end {float(end):g}",
                )
    else:
        ax.plot(
            grid,
            through_pivot(verdict.predicted),
            "--",
            color="black",
            label=f"predicted {verdict.predicted:g}",
        )
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # 2x10^1 3x10^1 ... overlap on short decades
    ax.set_xticks(xs, [f"{v:g}" for v in xs])
    ax.set_xlabel(knob)
    ax.set_ylabel(
        str(verdict.evidence.get("statistic", "value"))
        .split(" in ")[0]
        .removeprefix("exponent of ")
    )
    note = f" (log {knob})^{fit.log_power:g} factor" if fit.log_power else ""
    ax.set_title(f"{title}{note}", fontsize=8)
    ax.legend(fontsize=7)
