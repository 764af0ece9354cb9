"""Verdict rules: how stored points become HOLDS / FAILS / INCONCLUSIVE, in words and in code.

* :class:`ExponentRule` -- fit the exponent of one observation in the knob (per-seed fits,
  t-interval over seeds, optional known log factor; :func:`~wideproof.sweeps.fit_exponent`) and
  test it for equivalence with the prediction within a declared margin, in the theorem's
  logical form (Θ two-sided, O or Ω one-sided; :func:`equivalence`).
* :class:`ThresholdRule` -- an aggregate (mean, min or max) of one observation over all points
  compared with a threshold (per-run booleans such as "a catapult happened" are 0/1 values, so
  "in every run" is ``aggregate="min", at_least=1``).

A rule is any object with ``observation``, ``describe(claim) -> str`` and
``decide(claim, points) -> Verdict``, and optionally ``check_grid(grid)`` raising
:class:`~wideproof.errors.ConfigError` before anything is computed when the grid cannot support a
verdict; these two are the ones the claims engine ships.  Every rule treats a NaN or infinite
observation as a failed point (:func:`not_finite`; at best INCONCLUSIVE) and returns
INCONCLUSIVE, never an exception, when points or observations are missing.
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

__all__ = [
    "FORMS",
    "ExponentRule",
    "Form",
    "Rule",
    "ThresholdRule",
    "check_fit_grid",
    "equivalence",
    "not_finite",
    "observations",
    "pretty_number",
]


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
    """``(knob value, observed value, seed)`` for observation ``name`` of every point.

    Raises:
        ConfigError: a point lacks the observation (rules turn this into an INCONCLUSIVE).
    """
    out = []
    for p in points:
        if name not in p.observations:
            raise ConfigError(
                f"observation {name!r} missing at {p.knob}={p.value} seed={p.seed} "
                f"(the measure returned {sorted(p.observations)})"
            )
        out.append((float(p.value), p.observations[name].value, p.seed))
    return out


def check_fit_grid(grid: Grid) -> None:
    """Per-seed slopes need two knob values and a t-interval over seeds two seeds.

    Raises:
        ConfigError: the grid has fewer.
    """
    if len(grid.seeds) < 2 or len(grid.values) < 2:
        raise ConfigError(
            f"an exponent fit needs at least 2 seeds and 2 {grid.knob} values; "
            f"got {len(grid.seeds)} and {len(grid.values)}"
        )


def not_finite(data: Sequence[tuple[float, float, int]]) -> list[str]:
    """``"x=.. seed=.."`` of every observation that is NaN or infinite: a failed point, which no
    rule may skip (Python's ``max``/``min`` would silently pass over a NaN)."""
    return [f"x={x:g} seed={s}: {y!r}" for x, y, s in data if not math.isfinite(y)]


Form = Literal["tight", "upper", "lower"]
FORMS: tuple[str, ...] = ("tight", "upper", "lower")
FORM_NAMES = {"tight": "Θ (tight)", "upper": "O (upper bound)", "lower": "Ω (lower bound)"}


@dataclass(frozen=True)
class ExponentRule:
    """An equivalence test of a fitted exponent against ``predicted`` with margin ``margin`` (δ),
    following the theorem's logical ``form``.

    Let :math:`[\\ell, u]` be the ``confidence`` t-interval of the exponent (per-seed fits,
    :func:`~wideproof.sweeps.fit_exponent`), :math:`P` the prediction and :math:`\\delta` the
    margin:

    * ``"tight"`` (Θ, the order is attained): HOLDS when :math:`[\\ell, u] \\subseteq
      [P-\\delta, P+\\delta]`, FAILS when the interval lies wholly outside that window,
      INCONCLUSIVE otherwise (two one-sided tests, Schuirmann 1987, at level
      :math:`(1-\\text{confidence})/2` each).
    * ``"upper"`` (O, the exponent must not exceed :math:`P`): HOLDS when :math:`u \\le P+\\delta`,
      FAILS when :math:`\\ell > P+\\delta`; a HOLDS with :math:`u < P-\\delta` is reported as
      "bound holds, not tight" with the measured exponent.
    * ``"lower"`` (Ω, the exponent must be at least :math:`P`): HOLDS when
      :math:`\\ell \\ge P-\\delta`, FAILS when :math:`u < P-\\delta`; "not tight" when
      :math:`\\ell > P+\\delta`.

    An INCONCLUSIVE says why: "too noisy" when the interval is wider than the window
    :math:`2\\delta` (more seeds would help), "in between" when it is narrower but straddles an
    end of the window (the exponent is near :math:`P\\pm\\delta`).

    Args:
        observation: the observation whose exponent in the knob is fitted.
        predicted: the paper's exponent; ``None`` takes it from the claim's bound
            (``bound.exponent_in(knob).power``).
        margin: δ, declared before any data; at most half the distance from ``predicted`` to
            every rival in ``excludes``.  ``None``: a third of the distance to the nearest rival.
        form: ``"tight"``, ``"upper"`` or ``"lower"``.
        excludes: the rival exponents the margin must separate from the prediction (0: "no
            decay"); each must lie more than 2δ from ``predicted``.
        log_power: the known exponent of :math:`\\log(\\text{knob})` divided out before the fit;
            ``None`` takes it from the bound (``.log_power``).
        confidence: the interval's level.
        method: ``"ols"`` or ``"theil-sen"`` per-seed slopes.
    """

    observation: str
    predicted: float | None = None
    margin: float | None = None
    form: Form = "tight"
    excludes: tuple[float, ...] = (0.0,)
    log_power: float | None = 0.0
    confidence: float = 0.95
    method: FitMethod = "ols"

    def __post_init__(self) -> None:
        if self.method not in FIT_METHODS:
            raise ConfigError(f"method={self.method!r} is not one of {FIT_METHODS}")
        if self.form not in FORMS:
            raise ConfigError(f"form={self.form!r} is not one of {FORMS}")
        if not 0.0 < self.confidence < 1.0:
            raise ConfigError(f"confidence={self.confidence!r} must lie strictly between 0 and 1")
        if self.margin is not None and not (math.isfinite(self.margin) and self.margin > 0.0):
            raise ConfigError(f"margin={self.margin!r} must be finite and positive")
        object.__setattr__(self, "excludes", tuple(float(e) for e in self.excludes))
        if self.predicted is not None:
            self.delta(float(self.predicted))

    def delta(self, predicted: float) -> float:
        """The margin δ for ``predicted``, checked against the rivals."""
        gaps = [abs(predicted - e) for e in self.excludes]
        if self.margin is None and not gaps:
            raise ConfigError(f"{self.observation}: give a margin or at least one rival exponent")
        delta = self.margin if self.margin is not None else min(gaps) / 3.0
        close = [e for e, g in zip(self.excludes, gaps, strict=True) if not g > 2.0 * delta]
        if close or not delta > 0.0:
            raise ConfigError(
                f"{self.observation}: margin {delta:g} does not separate the prediction "
                f"{pretty_number(predicted)} from the rival(s) "
                f"{', '.join(pretty_number(e) for e in close) or pretty_number(predicted)} "
                "(each rival must lie more than twice the margin away)"
            )
        return float(delta)

    def check_grid(self, grid: Grid) -> None:
        check_fit_grid(grid)

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
            pred, logp = "the bound's exponent P", "the bound's log factor"
            delta = "δ" if self.margin is None else f"{self.margin:g}"
        else:
            pred, logp = pretty_number(self.predicted), pretty_number(self.log_power)
            delta = f"{self.delta(self.predicted):.3g}"
            pred = f"P = {pred}"
        factor = "" if self.log_power == 0.0 else f", with a (log {claim.knob})^{logp} factor"
        ci = (
            f"the {self.confidence:.0%} CI of the {claim.knob} exponent of {self.observation}"
            f"{factor} (per-seed {self.method} fits, t-interval over seeds)"
        )
        test = {
            "tight": f"{ci} lies within {pred} ± {delta} (FAILS: wholly outside it)",
            "upper": f"the upper end of {ci} is at most {pred} + {delta} (FAILS: its lower end "
            f"is above; 'not tight' when its upper end is below {pred} - {delta})",
            "lower": f"the lower end of {ci} is at least {pred} - {delta} (FAILS: its upper end "
            f"is below; 'not tight' when its lower end is above {pred} + {delta})",
        }[self.form]
        rivals = (
            f"; rivals {', '.join(pretty_number(e) for e in self.excludes)}"
            if self.excludes
            else ""
        )
        return f"{FORM_NAMES[self.form]}: {test}{rivals}"

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        predicted, log_power = self.prediction(claim)
        delta = self.delta(predicted)
        evidence: dict[str, Any] = {
            "statistic": f"exponent of {self.observation} in {claim.knob} "
            f"({FORM_NAMES[self.form].split()[0]}, ±{delta:.3g})",
            "form": self.form,
            "margin": delta,
            "window": [predicted - delta, predicted + delta],
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
        except (ConfigError, NumericalError) as exc:
            evidence["reason"] = f"no exponent could be fitted: {exc}"
            return Verdict(
                claim.id, "INCONCLUSIVE", predicted, math.nan, self.describe(claim), evidence
            )
        status, reason, tight = equivalence(fit.ci_low, fit.ci_high, predicted, delta, self.form)
        evidence.update(fit=fit.to_json(), reason=reason, ci_width=fit.ci_high - fit.ci_low)
        if self.form != "tight":
            evidence["tight"] = tight
        return Verdict(claim.id, status, predicted, fit.exponent, self.describe(claim), evidence)


def equivalence(
    low: float, high: float, predicted: float, delta: float, form: Form
) -> tuple[Status, str, bool | None]:
    """``(status, reason, tight)`` of the interval ``[low, high]`` against the window
    ``predicted ± delta`` in the logical ``form`` (see :class:`ExponentRule`).

    ``tight`` is ``None`` for the two-sided form; for a one-sided bound it says whether the
    interval lies within the window (True), wholly on the side the bound allows (False: "bound
    holds, not tight"), or neither (None).
    """
    lo_w, hi_w = predicted - delta, predicted + delta
    ci = f"the CI [{low:.4g}, {high:.4g}]"
    p = pretty_number(predicted)
    win = f"{p} ± {delta:.3g}"
    width = high - low
    why = (
        f"too noisy: CI width {width:.3g} > 2δ = {2 * delta:.3g}"
        if width > 2.0 * delta
        else f"in between: CI width {width:.3g} <= 2δ = {2 * delta:.3g}"
    )
    inside = lo_w <= low and high <= hi_w
    below, above = high < lo_w, low > hi_w
    if form == "tight":
        if inside:
            return "HOLDS", f"{ci} lies within {win}", None
        if below or above:
            return "FAILS", f"{ci} lies wholly outside {win}", None
        return "INCONCLUSIVE", f"{ci} straddles an end of {win} ({why})", None
    # one-sided: the bound's edge, and whether the interval is past it on the forbidden side
    upper = form == "upper"
    edge, sign = (hi_w, "+") if upper else (lo_w, "-")
    clear, violated = (high <= edge, low > edge) if upper else (low >= edge, high < edge)
    slack = below if upper else above
    bound = f"{p} {sign} {delta:.3g}"
    if clear:
        tight = True if inside else False if slack else None
        side = "below" if upper else "above"
        tail = f"; bound holds, not tight ({ci} lies {side} {win})" if slack else ""
        ends = "ends at or below" if upper else "starts at or above"
        return "HOLDS", f"{ci} {ends} {bound}{tail}", tight
    if violated:
        return "FAILS", f"{ci} lies {'above' if upper else 'below'} {bound}", None
    return "INCONCLUSIVE", f"{ci} contains {bound} ({why})", None


@dataclass(frozen=True)
class ThresholdRule:
    """HOLDS when the ``aggregate`` of ``observation`` over all points is at least ``at_least``
    (or at most ``at_most``); FAILS when the finite values violate it; INCONCLUSIVE without
    points or when some value is NaN or infinite (a failed point, never skipped).

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
        evidence: dict[str, Any] = {"statistic": f"{self.aggregate} of {self.observation}"}
        try:
            data = observations(points, self.observation)
        except ConfigError as exc:
            data, evidence["reason"] = [], str(exc)
        evidence["values"] = [[float_to_json(x), float_to_json(y), s] for x, y, s in data]
        bad = not_finite(data)
        ys = [y for _, y, _ in data if math.isfinite(y)]
        measured = (
            math.nan
            if not ys
            else {"mean": sum(ys) / len(ys), "min": min(ys), "max": max(ys)}[self.aggregate]
        )
        op = ">=" if self.at_least is not None else "<="
        ok = measured >= self.threshold if self.at_least is not None else measured <= self.threshold
        status: Status
        if ys and not ok:
            status = "FAILS"
            evidence["reason"] = (
                f"{self.aggregate} {measured:.6g} violates {op} {pretty_number(self.threshold)}"
            )
        elif bad or not ys:
            status = "INCONCLUSIVE"
            evidence.setdefault("reason", "no points")
            if bad:
                evidence["reason"] = f"{len(bad)} observations are not finite: " + "; ".join(bad)
        else:
            status = "HOLDS"
            evidence["reason"] = (
                f"{self.aggregate} {measured:.6g} {op} {pretty_number(self.threshold)}"
            )
        if bad:
            evidence["not_finite"] = bad
        return Verdict(claim.id, status, self.threshold, measured, self.describe(claim), evidence)
