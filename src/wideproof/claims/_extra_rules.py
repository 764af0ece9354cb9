"""Verdict rules beyond the engine's two, for the transition-to-linearity claims.

* :class:`AllOf` -- a conjunction of rules on different observations of the same points (e.g. the
  width exponent is 0 with a softplus output *and* with a shifted tanh output, while the unshifted
  tanh control keeps -1/2).
* :class:`GrowthFactorRule` -- the per-step growth factor of a quantity in a depth-like knob
  (exponential versus not, §4).
* :class:`BoundConstantRule` -- measured values under a bound ``C * knob^p``; INCONCLUSIVE when
  ``C`` is only recalled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, NumericalError
from ..sweeps import ExponentFit, Grid, Point, fit_exponent
from ._rules import Rule, check_fit_grid, not_finite, observations
from ._verdict import Status, Verdict

if TYPE_CHECKING:
    from ._claim import Claim

__all__ = ["AllOf", "BoundConstantRule", "GrowthFactorRule"]


@dataclass(frozen=True)
class AllOf:
    """HOLDS when every part HOLDS; FAILS when any part FAILS; INCONCLUSIVE otherwise.

    ``predicted`` and ``measured`` of the verdict are those of the first part (the headline
    statistic); every part's verdict is kept in ``evidence["parts"]``, keyed by its label.

    Args:
        parts: ``(label, rule)`` pairs, at least one; labels must be distinct.
    """

    parts: tuple[tuple[str, Rule], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple((str(k), r) for k, r in self.parts))
        labels = [k for k, _ in self.parts]
        if not labels:
            raise ConfigError("AllOf needs at least one (label, rule) part")
        if len(set(labels)) != len(labels):
            raise ConfigError(f"AllOf part labels {labels!r} must be distinct")

    @property
    def observation(self) -> str:
        """The first part's observation (the headline statistic)."""
        return self.parts[0][1].observation

    def check_grid(self, grid: Grid) -> None:
        """Every part's own grid check."""
        for _, rule in self.parts:
            check = getattr(rule, "check_grid", None)
            if check is not None:
                check(grid)

    def describe(self, claim: Claim) -> str:
        return "; and ".join(f"({k}) {r.describe(claim)}" for k, r in self.parts)

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        verdicts = [(k, r.decide(claim, points)) for k, r in self.parts]
        statuses = {v.status for _, v in verdicts}
        status: Status = (
            "FAILS" if "FAILS" in statuses else "HOLDS" if statuses == {"HOLDS"} else "INCONCLUSIVE"
        )
        parts: dict[str, Any] = {k: v.to_json() for k, v in verdicts}
        reason = "; ".join(f"{k}: {v.status} ({v.evidence.get('reason', '')})" for k, v in verdicts)
        head = verdicts[0][1]
        evidence = {"parts": parts, "reason": reason}
        return Verdict(
            claim.id, status, head.predicted, head.measured, self.describe(claim), evidence
        )


def _log_slope(
    points: Sequence[Point], observation: str, confidence: float
) -> tuple[ExponentFit | None, str]:
    """The per-seed slope of log y against the knob itself (a fit against exp(knob)), or
    ``None`` and why not (a missing, non-finite or non-positive observation, too few seeds)."""
    try:
        data = [(math.exp(x), y, s) for x, y, s in observations(points, observation)]
        return fit_exponent(data, confidence=confidence), ""
    except (ConfigError, NumericalError) as exc:
        return None, f"no slope could be fitted: {exc}"


@dataclass(frozen=True)
class GrowthFactorRule:
    """Per-step growth factor :math:`g` of ``observation`` in the knob, :math:`y \\propto g^{L}`
    (per-seed least-squares slope of :math:`\\log y` against :math:`L`, t-interval over seeds,
    :math:`g = e^{\\text{slope}}`).

    With ``at_most``: HOLDS when the whole interval of :math:`g` is at most ``at_most``, FAILS
    when the whole interval exceeds it.  With ``at_least``: HOLDS when the whole interval is at
    least ``at_least``, FAILS when it lies below.  INCONCLUSIVE otherwise.
    """

    observation: str
    at_most: float | None = None
    at_least: float | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if (self.at_most is None) == (self.at_least is None):
            raise ConfigError("give exactly one of at_most and at_least")

    @property
    def threshold(self) -> float:
        """``at_most`` or ``at_least``, whichever is given."""
        value = self.at_most if self.at_most is not None else self.at_least
        if value is None:  # unreachable after __post_init__
            raise ConfigError("give exactly one of at_most and at_least")
        return float(value)

    def check_grid(self, grid: Grid) -> None:
        """Per-seed slopes need two knob values; a t-interval needs two seeds."""
        check_fit_grid(grid)

    def describe(self, claim: Claim) -> str:
        op, t = (
            ("at most", self.at_most) if self.at_most is not None else ("at least", self.at_least)
        )
        return (
            f"the {self.confidence:.0%} CI of the per-{claim.knob} growth factor of "
            f"{self.observation} (exp of per-seed OLS slopes of its log against {claim.knob}, "
            f"t-interval over seeds) is {op} {t:g}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        threshold = self.threshold
        fit, why = _log_slope(points, self.observation, self.confidence)
        if fit is None:
            return Verdict(
                claim.id, "INCONCLUSIVE", threshold, math.nan, self.describe(claim), {"reason": why}
            )
        lo, hi, g = math.exp(fit.ci_low), math.exp(fit.ci_high), math.exp(fit.exponent)
        status: Status
        if self.at_most is not None:
            status = "HOLDS" if hi <= threshold else "FAILS" if lo > threshold else "INCONCLUSIVE"
        else:
            status = "HOLDS" if lo >= threshold else "FAILS" if hi < threshold else "INCONCLUSIVE"
        reason = f"growth factor {g:.4g}, CI [{lo:.4g}, {hi:.4g}] against {threshold:g}"
        bound = "at most" if self.at_most is not None else "at least"
        evidence = {
            "statistic": f"per-{claim.knob} growth factor of {self.observation} ({bound} {threshold:g})",
            "growth_factor": g,
            "growth_ci": [lo, hi],
            "reason": reason,
            "log_slope_fit": fit.to_json(),
        }
        return Verdict(claim.id, status, threshold, g, self.describe(claim), evidence)


@dataclass(frozen=True)
class BoundConstantRule:
    """``observation`` :math:`\\le C\\,\\text{knob}^{p}` at every point, for a bound whose
    shape is known and whose constant :math:`C` may not be.

    With ``constant=None`` (the constant is only recalled, an [R] tag): INCONCLUSIVE, never a
    guessed constant; the evidence gives the smallest :math:`C` consistent with every point,
    :math:`\\max y\\,\\text{knob}^{-p}`.  With a derived or stated ``constant``: HOLDS when every
    point is at most the bound, FAILS otherwise.
    """

    observation: str
    power: float
    constant: float | None = None
    provenance: str = ""

    def describe(self, claim: Claim) -> str:
        c = "C" if self.constant is None else f"{self.constant:g}"
        tail = " (C only recalled: INCONCLUSIVE)" if self.constant is None else ""
        return (
            f"every {self.observation} is at most {c} * {claim.knob}^{self.power:g} "
            f"over all {claim.knob} values and seeds{tail}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        evidence: dict[str, Any] = {"provenance": self.provenance}
        try:
            data = observations(points, self.observation)
        except ConfigError as exc:
            data, evidence["reason"] = [], str(exc)
        bad = not_finite(data)
        scaled = [y * x ** (-self.power) for x, y, _ in data if math.isfinite(y)]
        needed = max(scaled) if scaled else math.nan
        evidence["smallest_constant"] = needed
        if bad:
            evidence["not_finite"] = bad
        failed = f"; {len(bad)} observations are not finite: {'; '.join(bad)}" if bad else ""
        status: Status
        if self.constant is None or not scaled:
            evidence.setdefault(
                "reason",
                "the bound's constant is only recalled ([R]), so no comparison is made; "
                f"the measurements need C >= {needed:.4g}" + failed,
            )
            return Verdict(
                claim.id, "INCONCLUSIVE", math.nan, needed, self.describe(claim), evidence
            )
        ok = needed <= self.constant
        status = "FAILS" if not ok else "INCONCLUSIVE" if bad else "HOLDS"
        evidence["reason"] = (
            f"max of {self.observation} * {claim.knob}^{-self.power:g} = "
            f"{needed:.4g} {'<=' if ok else '>'} {self.constant:g}{failed}"
        )
        return Verdict(claim.id, status, self.constant, needed, self.describe(claim), evidence)
