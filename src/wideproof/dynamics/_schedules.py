r"""Learning-rate schedules: constant, piecewise constant, and the increase-to-super-critical ramp.

A schedule maps the step :math:`t` (and what the trainer knows at :math:`w_t`) to :math:`\eta_t`.
It is a pure function of a :class:`ScheduleContext`: the step, the previous rate, the
convention's :math:`\eta_{crit}` conversion and a lazily computed :math:`\lambda_{\max}(K(w_t))`
on the full training set (computed only when a schedule asks for it).

:class:`SupercriticalRamp` is the protocol that produces repeated catapults in full-batch GD
(Zhu et al. 2024, "Catapults in SGD", arXiv 2306.04815, Fig. 3): start below
:math:`\eta_{crit}`; at each milestone set :math:`\eta = \text{factor}\cdot\eta_{crit}(w_t)`
with the *current* sharpness.  Each catapult lowers :math:`\lambda_{\max}` below
:math:`2/(c\eta)`, so the next increase is super-critical again.  With ``factor < 2`` the new rate
stays below the uv/NQM divergence threshold :math:`\eta_{max} = 2\eta_{crit}`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .._validate import positive_float
from ..errors import ConfigError

__all__ = ["Constant", "Piecewise", "Schedule", "ScheduleContext", "SupercriticalRamp"]


@dataclass(frozen=True)
class ScheduleContext:
    """What a schedule may read at step ``step`` (before the update :math:`w_t\\to w_{t+1}`).

    Attributes:
        step: :math:`t`.
        previous: :math:`\\eta_{t-1}` (``None`` at ``t = 0``).
        lambda_max: returns :math:`\\lambda_{\\max}(K(w_t))` on the full training set (costly;
            evaluated on demand).
        eta_crit: converts a :math:`\\lambda_{\\max}(K)` into :math:`\\eta_{crit}` in the run's loss
            convention (see :func:`wideproof.dynamics.eta_crit`).
    """

    step: int
    previous: float | None
    lambda_max: Callable[[], float]
    eta_crit: Callable[[float], float]


class Schedule(Protocol):
    """``schedule(context) -> eta_t``."""

    def __call__(self, context: ScheduleContext) -> float: ...


def _milestones(milestones: tuple[int, ...]) -> tuple[int, ...]:
    out = tuple(milestones)
    for m in out:
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ConfigError(f"milestones={milestones!r} must be positive ints")
    if any(b <= a for a, b in itertools.pairwise(out)):
        raise ConfigError(f"milestones={milestones!r} must be strictly increasing")
    return out


@dataclass(frozen=True)
class Constant:
    """:math:`\\eta_t = \\eta`."""

    eta: float

    def __post_init__(self) -> None:
        positive_float("eta", self.eta)

    def __call__(self, context: ScheduleContext) -> float:
        return float(self.eta)


@dataclass(frozen=True)
class Piecewise:
    """:math:`\\eta_t = ` ``etas[k]`` for ``milestones[k-1] <= t < milestones[k]``.

    ``etas[0]`` applies before the first milestone.
    """

    etas: tuple[float, ...]
    milestones: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "milestones", _milestones(self.milestones))
        object.__setattr__(self, "etas", tuple(positive_float("etas", e) for e in self.etas))
        if len(self.etas) != len(self.milestones) + 1:
            raise ConfigError(
                f"etas has {len(self.etas)} rates; {len(self.milestones)} milestones need "
                f"{len(self.milestones) + 1}"
            )

    def __call__(self, context: ScheduleContext) -> float:
        k = sum(1 for m in self.milestones if context.step >= m)
        return self.etas[k]


@dataclass(frozen=True)
class SupercriticalRamp:
    """Start at ``eta0``; at each milestone jump to ``factor`` times the current η_crit.

    Attributes:
        eta0: the initial rate (choose it below :math:`\\eta_{crit}(w_0)` for a lazy start).
        milestones: the steps at which the rate is raised.
        factor: :math:`\\eta/\\eta_{crit}(w_t)` after each raise; must be > 1 (super-critical).
    """

    eta0: float
    milestones: tuple[int, ...]
    factor: float = 1.5

    def __post_init__(self) -> None:
        positive_float("eta0", self.eta0)
        object.__setattr__(self, "milestones", _milestones(self.milestones))
        if positive_float("factor", self.factor) <= 1.0:
            raise ConfigError(f"factor={self.factor!r} must exceed 1 (a super-critical rate)")

    def __call__(self, context: ScheduleContext) -> float:
        if context.step in self.milestones:
            return self.factor * context.eta_crit(context.lambda_max())
        if context.previous is None:
            return float(self.eta0)
        return context.previous
