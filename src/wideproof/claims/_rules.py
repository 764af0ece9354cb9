"""Verdict rules: how stored points become HOLDS / FAILS / INCONCLUSIVE, in words and in code.

* :class:`ExponentRule` -- fit the exponent of one observation in the knob (per-seed fits,
  t-interval over seeds, optional known log factor; :func:`~wideproof.sweeps.fit_exponent`) and
  compare the interval with the predicted exponent and with exponents that must be excluded.
* :class:`ThresholdRule` -- an aggregate (mean, min or max) of one observation over all points
  compared with a threshold (per-run booleans such as "a catapult happened" are 0/1 values, so
  "in every run" is ``aggregate="min", at_least=1``).

A rule is any object with ``observation``, ``describe(claim) -> str`` and
``decide(claim, points) -> Verdict``, and optionally ``check_grid(grid)`` raising
:class:`~wideproof.errors.ConfigError` before anything is computed when the grid cannot support a
verdict; these two are the ones the claims engine ships.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from ..errors import ConfigError, NumericalError
from ..sweeps import FitMethod, Grid, Point, fit_exponent
from ..sweeps._fit import FIT_METHODS
from ..sweeps._json import float_to_json
from ._verdict import Status, Verdict

if TYPE_CHECKING:
    from ._claim import Claim

__all__ = ["ExponentRule", "Rule", "ThresholdRule", "observations", "pretty_number"]


class Rule(Protocol):
    """What a claim needs from a verdict rule."""

    @property
    def observation(self) -> str: ...

    def describe(self, claim: Claim) -> str: ...

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict: ...


def pretty_number(x: float) -> str:
    """``-1/2`` for -0.5, ``1/3`` for 0.333..., else ``repr``-like shortest form."""
    if math.isfinite(x):
        frac = Fraction(x).limit_denominator(12)
        if frac.denominator > 1 and abs(float(frac) - x) < 1e-12:
            return f"{frac.numerator}/{frac.denominator}"
        if float(frac) == x:
            return str(frac.numerator)
    return f"{x:g}"


def observations(points: Sequence[Point], name: str) -> list[tuple[float, float, int]]:
    """``(knob value, observed value, seed)`` for observation ``name`` of every point."""
    out = []
    for p in points:
        if name not in p.observations:
            raise ConfigError(
                f"observation {name!r} missing at {p.knob}={p.value} seed={p.seed} "
                f"(the measure returned {sorted(p.observations)})"
            )
        out.append((float(p.value), p.observations[name].value, p.seed))
    return out


@dataclass(frozen=True)
class ExponentRule:
    """HOLDS when the confidence interval of the exponent contains ``predicted`` and excludes
    every value in ``excludes``; FAILS when it excludes ``predicted``; INCONCLUSIVE otherwise
    (the interval is too wide to tell the prediction from an excluded value).

    Args:
        observation: the observation whose exponent in the knob is fitted.
        predicted: the predicted exponent; ``None`` takes it from the claim's bound
            (``bound.exponent_in(knob).power``).
        excludes: exponents the interval must exclude (0: "it does decay").
        log_power: the known exponent of :math:`\\log(\\text{knob})` divided out before the fit;
            ``None`` takes it from the bound (``.log_power``).
        confidence: the interval's level.
        method: ``"ols"`` or ``"theil-sen"`` per-seed slopes.
    """

    observation: str
    predicted: float | None = None
    excludes: tuple[float, ...] = (0.0,)
    log_power: float | None = 0.0
    confidence: float = 0.95
    method: FitMethod = "ols"

    def __post_init__(self) -> None:
        if self.method not in FIT_METHODS:
            raise ConfigError(f"method={self.method!r} is not one of {FIT_METHODS}")
        if not 0.0 < self.confidence < 1.0:
            raise ConfigError(f"confidence={self.confidence!r} must lie strictly between 0 and 1")
        object.__setattr__(self, "excludes", tuple(float(e) for e in self.excludes))

    def check_grid(self, grid: Grid) -> None:
        """A t-interval over seeds needs two seeds and each slope two knob values."""
        if len(grid.seeds) < 2 or len(grid.values) < 2:
            raise ConfigError(
                f"an exponent fit needs at least 2 seeds and 2 {grid.knob} values; "
                f"got {len(grid.seeds)} and {len(grid.values)}"
            )

    def prediction(self, claim: Claim) -> tuple[float, float]:
        """``(exponent, log_power)``, from the rule or else from the claim's bound."""
        predicted, log_power = self.predicted, self.log_power
        if predicted is None or log_power is None:
            if claim.bound is None:
                raise ConfigError(
                    f"claim {claim.id}: the rule takes its prediction from the bound, "
                    "but the claim has no bound"
                )
            scaling = claim.bound().exponent_in(claim.knob)
            if predicted is None:
                predicted = float(getattr(scaling, "power", scaling))
            if log_power is None:
                log_power = float(getattr(scaling, "log_power", 0.0))
        return float(predicted), float(log_power)

    def describe(self, claim: Claim) -> str:
        if self.predicted is None or self.log_power is None:
            pred, logp = "the bound's exponent", "the bound's log factor"
        else:
            pred, logp = pretty_number(self.predicted), pretty_number(self.log_power)
        factor = "" if self.log_power == 0.0 else f", with a (log {claim.knob})^{logp} factor"
        excl = " and ".join(pretty_number(e) for e in self.excludes)
        tail = f" and excludes {excl}" if self.excludes else ""
        return (
            f"the {self.confidence:.0%} CI of the {claim.knob} exponent of {self.observation}"
            f"{factor} (per-seed {self.method} fits, t-interval over seeds) contains {pred}{tail}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        predicted, log_power = self.prediction(claim)
        statistic = f"exponent of {self.observation} in {claim.knob}"
        evidence: dict[str, Any] = {
            "statistic": statistic,
            "excludes": list(self.excludes),
            "log_power": log_power,
        }
        try:
            fit = fit_exponent(
                observations(points, self.observation),
                method=self.method,
                confidence=self.confidence,
                log_power=log_power,
            )
        except NumericalError as exc:
            evidence["reason"] = f"no exponent could be fitted: {exc}"
            return Verdict(
                claim.id, "INCONCLUSIVE", predicted, math.nan, self.describe(claim), evidence
            )
        evidence["fit"] = fit.to_json()
        ci = f"[{fit.ci_low:.4g}, {fit.ci_high:.4g}]"
        caught = [e for e in self.excludes if fit.contains(e)]
        status: Status
        if not fit.contains(predicted):
            status = "FAILS"
            reason = f"the CI {ci} excludes the predicted {pretty_number(predicted)}"
        elif caught:
            status = "INCONCLUSIVE"
            reason = (
                f"the CI {ci} contains the predicted {pretty_number(predicted)} but also "
                f"{', '.join(pretty_number(e) for e in caught)}"
            )
        else:
            status = "HOLDS"
            reason = f"the CI {ci} contains the predicted {pretty_number(predicted)}"
            if self.excludes:
                reason += " and excludes " + ", ".join(pretty_number(e) for e in self.excludes)
        evidence["reason"] = reason
        return Verdict(claim.id, status, predicted, fit.exponent, self.describe(claim), evidence)


@dataclass(frozen=True)
class ThresholdRule:
    """HOLDS when the ``aggregate`` of ``observation`` over all points is at least ``at_least``
    (or at most ``at_most``); FAILS otherwise; INCONCLUSIVE without points.

    Give exactly one of ``at_least`` and ``at_most``.  The comparison is exact: a mean of noisy
    values near the threshold is not given an interval, so choose thresholds with margin.
    """

    observation: str
    aggregate: Literal["mean", "min", "max"] = "mean"
    at_least: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        if self.aggregate not in ("mean", "min", "max"):
            raise ConfigError(f"aggregate={self.aggregate!r} is not one of 'mean', 'min', 'max'")
        if (self.at_least is None) == (self.at_most is None):
            raise ConfigError("give exactly one of at_least and at_most")

    @property
    def threshold(self) -> float:
        return float(cast(float, self.at_least if self.at_least is not None else self.at_most))

    def describe(self, claim: Claim) -> str:
        op = "at least" if self.at_least is not None else "at most"
        return (
            f"the {self.aggregate} of {self.observation} over all {claim.knob} values and seeds "
            f"is {op} {pretty_number(self.threshold)}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        data = observations(points, self.observation)
        evidence: dict[str, Any] = {
            "statistic": f"{self.aggregate} of {self.observation}",
            "values": [[float_to_json(x), float_to_json(y), s] for x, y, s in data],
        }
        if not data:
            evidence["reason"] = "no points"
            return Verdict(
                claim.id, "INCONCLUSIVE", self.threshold, math.nan, self.describe(claim), evidence
            )
        ys = [y for _, y, _ in data]
        measured = {"mean": sum(ys) / len(ys), "min": min(ys), "max": max(ys)}[self.aggregate]
        ok = measured >= self.threshold if self.at_least is not None else measured <= self.threshold
        op = ">=" if self.at_least is not None else "<="
        evidence["reason"] = (
            f"{self.aggregate} {measured:.6g} {op if ok else 'violates ' + op} "
            f"{pretty_number(self.threshold)}"
        )
        return Verdict(
            claim.id,
            "HOLDS" if ok else "FAILS",
            self.threshold,
            measured,
            self.describe(claim),
            evidence,
        )
