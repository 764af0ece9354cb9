"""A figure of a trajectory or threshold verdict from its stored points, without re-running.

Points that hold series (a measure returned per-step sequences, see :mod:`wideproof.sweeps`) are
drawn as curves against the series ``"step"``, one panel per other series and one line per knob
value and seed; a threshold of the verdict on an observation named ``name`` or ``<window>_name``
(e.g. ``late_ratio`` for the series ``ratio``) is drawn on that panel as a dashed reference line.
Points without series are drawn as the verdict's observation against the knob, one marker per
seed, with the threshold(s) as reference lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..claims import Verdict
from ..errors import ConfigError
from ..sweeps import Point

__all__ = ["plot_points", "thresholds"]

STEP = "step"
"""The series used as the horizontal axis of trajectory panels."""


def thresholds(verdict: Verdict) -> list[tuple[str, float]]:
    """``(observation, threshold)`` of the verdict and of each of its parts (band ends
    included), read from the verdict's evidence."""
    parts = verdict.evidence.get("parts")
    if isinstance(parts, dict) and parts:
        return [t for v in parts.values() for t in thresholds(Verdict.from_json(v))]
    statistic = str(verdict.evidence.get("statistic", ""))
    observation = statistic.split(" of ", 1)[1] if " of " in statistic else ""
    if observation and math.isfinite(verdict.predicted):
        return [(observation, verdict.predicted)]
    return []


def _matches(observation: str, series: str) -> bool:
    return observation == series or observation.endswith("_" + series)


def plot_points(verdict: Verdict, points: Sequence[Point], out: Path) -> Path:
    """Draw the stored ``points`` of ``verdict`` into ``out`` (see the module docstring)."""
    if not points:
        raise ConfigError(f"claim {verdict.claim_id}: the store holds no points of this verdict")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = thresholds(verdict)
    names = sorted({k for p in points for k in p.series if k != STEP})
    traced = [p for p in points if STEP in p.series]
    panels = names if traced else [lines[0][0] if lines else ""]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 3.6), squeeze=False)
    try:
        for ax, name in zip(axes.flat, panels, strict=True):
            if traced:
                _draw_series(ax, traced, name)
            else:
                _draw_scalar(ax, points, name)
            for observation, value in lines:
                if _matches(observation, name) if traced else observation == name:
                    ax.axhline(
                        value, ls="--", color="black", lw=1, label=f"{observation} {value:g}"
                    )
            ax.set_title(name, fontsize=9)
            ax.legend(fontsize=6)
        fig.suptitle(f"{verdict.claim_id}: {verdict.status}", fontsize=10)
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out


def _draw_series(ax: Any, points: Sequence[Point], name: str) -> None:
    knob = points[0].knob
    for p in sorted(points, key=lambda q: (q.value, q.seed)):
        if name not in p.series:
            continue
        x, y = p.series[STEP], p.series[name]
        if len(x) != len(y):  # a per-step series beside per-probe steps: its own index
            x = tuple(float(i) for i in range(len(y)))
        ax.plot(x, y, lw=1, alpha=0.8, label=f"{knob}={p.value:g} seed {p.seed}")
    ys = [v for p in points for v in p.series.get(name, ()) if math.isfinite(v)]
    if ys and min(ys) > 0 and max(ys) > 100 * min(ys):
        ax.set_yscale("log")
    ax.set_xlabel(STEP)


def _draw_scalar(ax: Any, points: Sequence[Point], name: str) -> None:
    knob = points[0].knob
    for seed in sorted({p.seed for p in points}):
        mine = sorted(
            (p for p in points if p.seed == seed and name in p.observations), key=lambda q: q.value
        )
        ax.plot(
            [p.value for p in mine],
            [p.observations[name].value for p in mine],
            "o-",
            ms=4,
            lw=0.8,
            label=f"seed {seed}",
        )
    ax.set_xlabel(knob)
