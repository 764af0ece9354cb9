r"""Catapult detection on a loss trace, and the lazy / catapult / divergent phase of a GD run.

**Detector** (our operational rule; Zhu, Liu, Radhakrishnan & Belkin 2024, "Catapults in SGD",
arXiv 2306.04815, do not state a counting rule).  Scan the trace :math:`L_0, L_1, \dots` left to
right.  A step :math:`t` is a candidate start when the loss rises, :math:`L_{t+1} > L_t`, from a pre-spike level
:math:`L_t\ge` ``min_level`` :math:`\cdot L_0`.  Its end is the first :math:`e\in(t, t+k]` with
:math:`L_e\le L_t` (:math:`k` = ``return_window``), and its peak the step :math:`p\in(t, e)` of the
largest loss.  It is an episode when :math:`L_p\ge c\,L_t` (:math:`c` = ``spike_factor``); the scan
resumes at :math:`e`, so an episode is counted once however many local bumps it has.  A rise that
does not come back within :math:`k` steps is not a catapult (a divergence, or a slow drift), nor is
one smaller than :math:`c`.

Run it on the *full* training loss: per-batch SGD losses fluctuate by more than :math:`c` from batch
to batch and give hundreds of false episodes; the floor ``min_level`` keeps float round-off at
converged losses (~1e-12 in float32) from counting (the rule the ``zhu2023sgd`` claims use:
:math:`c = 2`, :math:`k = 50`, floor :math:`10^{-2}L_0`).

**Phase** of a GD run (the phases of Lewkowycz, Bahri, Dyer, Sohl-Dickstein & Gur-Ari 2020, arXiv
2003.02218):
``"diverged"`` when the trainer stopped on divergence; ``"lazy"`` when the loss never increases
above the round-off floor (a rise to a loss at most ``noise_floor`` is float rounding at a
converged loss, not dynamics);
``"catapult"`` when the loss rises above :math:`L_0` and then converges
(:math:`L_T\le` ``converged_ratio`` :math:`\cdot L_0`); ``"unresolved"`` otherwise (for example a
run too short to tell).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from torch import Tensor

from .._validate import positive_int
from ..errors import ConfigError
from ._trajectory import Trajectory

__all__ = ["CatapultEpisode", "Phase", "classify_phase", "detect_catapults"]

Phase = Literal["lazy", "catapult", "diverged", "unresolved"]


@dataclass(frozen=True)
class CatapultEpisode:
    """One loss spike: ``start`` (pre-spike step), ``peak`` and ``end`` (first return to the
    pre-spike level), with the losses there."""

    start: int
    peak: int
    end: int
    pre_spike_loss: float
    peak_loss: float

    @property
    def ratio(self) -> float:
        """Peak over pre-spike loss (at least ``spike_factor``)."""
        return self.peak_loss / self.pre_spike_loss if self.pre_spike_loss > 0 else math.inf


def _trace(loss: Sequence[float] | Tensor) -> list[float]:
    if isinstance(loss, Tensor):
        if loss.dim() != 1:
            raise ConfigError(f"loss must be one-dimensional; got shape {tuple(loss.shape)}")
        return [float(v) for v in loss.tolist()]
    try:
        return [float(v) for v in loss]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"loss must be a sequence of numbers: {exc}") from None


def detect_catapults(
    loss: Sequence[float] | Tensor,
    *,
    spike_factor: float = 2.0,
    return_window: int = 50,
    min_level: float = 1e-2,
) -> tuple[CatapultEpisode, ...]:
    """The catapult episodes of a loss trace (rule in the module docstring).

    Args:
        loss: :math:`L_0, L_1, \\dots` -- the full training loss at every step.
        spike_factor: :math:`c > 1`, the least peak / pre-spike ratio.
        return_window: :math:`k`, the most steps from the start to the return.
        min_level: the least pre-spike level, relative to :math:`L_0` (0 disables the floor).
    """
    if (
        isinstance(spike_factor, bool)
        or not isinstance(spike_factor, (int, float))
        or not (1.0 < spike_factor < math.inf)
    ):
        raise ConfigError(f"spike_factor={spike_factor!r} must be a finite number > 1")
    positive_int("return_window", return_window)
    if (
        isinstance(min_level, bool)
        or not isinstance(min_level, (int, float))
        or not (0.0 <= min_level < math.inf)
    ):
        raise ConfigError(f"min_level={min_level!r} must be a finite number >= 0")
    L = _trace(loss)
    if not L:
        return ()
    floor = min_level * L[0]
    episodes: list[CatapultEpisode] = []
    t = 0
    while t < len(L) - 1:
        level = L[t]
        if not (math.isfinite(level) and level >= floor and L[t + 1] > level):
            t += 1
            continue
        limit = min(len(L) - 1, t + return_window)
        end = next((s for s in range(t + 1, limit + 1) if L[s] <= level), None)
        if end is None:
            t += 1
            continue
        peak = max(range(t + 1, end), key=L.__getitem__)
        if L[peak] >= spike_factor * level:
            episodes.append(CatapultEpisode(t, peak, end, level, L[peak]))
            t = end
        else:
            t += 1
    return tuple(episodes)


def classify_phase(
    trajectory: Trajectory, *, converged_ratio: float = 1e-6, noise_floor: float = 0.0
) -> Phase:
    """Lazy, catapult, diverged or unresolved (rule in the module docstring); ``noise_floor`` is
    the absolute loss below which rises are rounding (0: every rise counts)."""
    if not 0 < converged_ratio < 1:
        raise ConfigError(f"converged_ratio={converged_ratio!r} must lie in (0, 1)")
    if not (math.isfinite(noise_floor) and noise_floor >= 0):
        raise ConfigError(f"noise_floor={noise_floor!r} must be finite and non-negative")
    if trajectory.diverged:
        return "diverged"
    L = trajectory.loss
    if all(b <= a or b <= noise_floor for a, b in itertools.pairwise(L)):
        return "lazy"
    if max(L) > L[0] and L[-1] <= converged_ratio * L[0]:
        return "catapult"
    return "unresolved"
