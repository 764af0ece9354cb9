"""Verdict rules for claims that consist of several per-run checks (0/1 observations).

A feature-learning statement such as "RFM groks: the test accuracy stays flat, then jumps, while
the circulant deviation falls first" is a conjunction of qualitative per-run facts, each recorded
by the measure as a 0/1 observation; the measure may report further numeric observations (jump
iteration, correlations), which the verdict's evidence lists beside the checks.

* :class:`ChecklistRule` -- a deterministic statement: every check holds in every run, so a
  single failing run is a FAILS.
* :class:`SuccessRateRule` -- a with-high-probability statement ("with probability at least
  :math:`1-\\delta` over the initialization"): per check, :math:`k` successes in :math:`n` runs
  and a one-sided Clopper--Pearson bound on the success probability against a declared rate
  :math:`p_0`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..sweeps import Point
from ..sweeps._json import float_to_json
from ._verdict import Status, Verdict

if TYPE_CHECKING:
    from ._claim import Claim

__all__ = ["ChecklistRule", "SuccessRateRule", "clopper_pearson", "runs_needed"]


@dataclass(frozen=True)
class _Checks:
    """``(observation name, what the check states)`` pairs, in the order of the claim."""

    checks: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", tuple((str(n), str(t)) for n, t in self.checks))
        names = [n for n, _ in self.checks]
        if not names:
            raise ConfigError("checks must name at least one observation")
        if len(set(names)) != len(names):
            raise ConfigError(f"checks {names} repeat a name")

    @property
    def observation(self) -> str:
        """The first check (the rule decides on all of them)."""
        return self.checks[0][0]

    def items(self) -> str:
        """The checks in words, ``"name: text; ..."``."""
        return "; ".join(f"{name}: {text}" for name, text in self.checks)


@dataclass(frozen=True)
class ChecklistRule(_Checks):
    """HOLDS when every check (a 0/1 observation) equals 1 in every run that reports it and every
    check is reported by at least one run; FAILS when some check is 0 (or not a number) in some
    run; INCONCLUSIVE when some check is reported by no run.

    A measure may report a check only at the knob values where it applies (the central-subspace
    claim runs a different check at each dimension), hence "every run that reports it".

    Args:
        checks: ``(observation name, what the check states)`` pairs, in the order of the claim.
    """

    def describe(self, claim: Claim) -> str:
        return (
            f"every check holds (observation = 1) in every run, over all {claim.knob} values "
            f"and seeds that report it — {self.items()}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        tally = _tally(claim, points, [n for n, _ in self.checks])
        per_check, failed = tally.rows, tally.failed
        missing = [n for n, rows in per_check.items() if not rows]
        total = sum(len(v) for v in per_check.values())
        measured = (total - len(failed)) / total if total else math.nan
        evidence: dict[str, Any] = {
            "statistic": "fraction of (run, check) pairs that hold",
            "checks": per_check,
            "runs": tally.runs,
            "failed": failed,
        }
        status: Status
        if failed:
            status = "FAILS"
            evidence["reason"] = f"{len(failed)} of {total} checks fail: " + ", ".join(failed[:8])
        elif missing or not points:
            status = "INCONCLUSIVE"
            evidence["reason"] = f"no run reports {', '.join(missing) or 'anything'}"
        else:
            status = "HOLDS"
            evidence["reason"] = f"all {total} checks hold ({len(points)} runs)"
        return Verdict(claim.id, status, 1.0, measured, self.describe(claim), evidence)


@dataclass(frozen=True)
class _Tally:
    rows: dict[str, list[list[Any]]]
    """Per check, ``[knob value, seed, value]`` of every run that reports it."""
    runs: dict[str, dict[str, Any]]
    """Per run label, all its observations."""
    failed: list[str]
    """``"<check> at <run label>"`` of every failing (run, check) pair, in run order."""


def _tally(claim: Claim, points: Sequence[Point], names: Sequence[str]) -> _Tally:
    """The checks ``names`` of every run; a check fails unless its value equals 1 (NaN fails)."""
    rows: dict[str, list[list[Any]]] = {n: [] for n in names}
    runs: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for p in sorted(points, key=lambda q: (q.value, q.seed)):
        label = f"{claim.knob}={p.value:g} seed={p.seed}"
        runs[label] = {k: float_to_json(e.value) for k, e in sorted(p.observations.items())}
        for name in names:
            if name in p.observations:
                value = p.observations[name].value
                rows[name].append([float_to_json(p.value), p.seed, float_to_json(value)])
                if not value == 1.0:
                    failed.append(f"{name} at {label}")
    return _Tally(rows, runs, failed)


def clopper_pearson(successes: int, runs: int, confidence: float = 0.95) -> tuple[float, float]:
    """One-sided Clopper--Pearson bounds on a success probability from ``successes`` of ``runs``
    Bernoulli trials (Clopper & Pearson 1934, Biometrika 26:404): the lower bound
    :math:`B^{-1}(1-c;\\,k,\\,n-k+1)` (0 when :math:`k = 0`) and the upper bound
    :math:`B^{-1}(c;\\,k+1,\\,n-k)` (1 when :math:`k = n`), each a one-sided bound at level
    :math:`c` = ``confidence``; :math:`B^{-1}` is the beta quantile.

    Raises:
        ConfigError: not ``0 <= successes <= runs``, or ``confidence`` outside (0, 1).
    """
    from scipy.stats import beta

    if not 0 <= successes <= runs:
        raise ConfigError(f"successes={successes} must lie in [0, runs={runs}]")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence={confidence!r} must lie in (0, 1)")
    k, n = successes, runs
    low = 0.0 if k == 0 else float(beta.ppf(1.0 - confidence, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(confidence, k + 1, n - k))
    return low, high


def _against(rate: float, low: float, high: float) -> Status:
    """HOLDS when the lower bound reaches ``rate``, FAILS when the upper bound is below it."""
    return "HOLDS" if low >= rate else "FAILS" if high < rate else "INCONCLUSIVE"


def runs_needed(rate: float, confidence: float = 0.95) -> int:
    """The fewest runs whose all-success lower bound reaches ``rate``: with :math:`k = n` the
    Clopper--Pearson lower bound is :math:`(1-c)^{1/n}`, so :math:`n \\ge \\ln(1-c)/\\ln p_0`."""
    if not 0.0 < rate < 1.0:
        raise ConfigError(f"rate={rate!r} must lie in (0, 1)")
    n = max(1, math.ceil(math.log(1.0 - confidence) / math.log(rate)))
    while clopper_pearson(n, n, confidence)[0] < rate:  # guard the ceil against round-off
        n += 1
    return n


@dataclass(frozen=True)
class SuccessRateRule(_Checks):
    """A with-high-probability statement over runs (seeds and knob values): per check, with
    :math:`k` of :math:`n` runs succeeding (observation = 1; NaN fails) and the one-sided
    Clopper--Pearson bounds :math:`[\\ell, u]` (:func:`clopper_pearson`, level ``confidence``):

    * HOLDS when :math:`\\ell \\ge p_0` for every check (the success probability is at least
      :math:`p_0`, at the declared confidence);
    * FAILS when :math:`u < p_0` for some check (it is below :math:`p_0`);
    * INCONCLUSIVE otherwise, or when some check is reported by no run; the reason says whether
      there are too few runs (HOLDS needs at least :func:`runs_needed` runs, all succeeding) or
      the rate lies near :math:`p_0`.

    :math:`p_0` = ``rate`` is declared with the claim, before data, from the theorem's "with
    probability at least :math:`1-\\delta`".  Each of the two one-sided decisions errs with
    probability at most :math:`1 -` ``confidence`` per check.

    Args:
        checks: ``(observation name, what the check states)`` pairs, in the order of the claim.
        rate: :math:`p_0`, in (0, 1).
        confidence: the level of each one-sided bound.
        reported: 0/1 observations whose success counts the evidence lists without deciding on
            them (statements stronger than the theorem, kept visible).
    """

    rate: float
    confidence: float = 0.95
    reported: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "reported", tuple(str(n) for n in self.reported))
        if not 0.0 < self.confidence < 1.0:
            raise ConfigError(f"confidence={self.confidence!r} must lie in (0, 1)")
        runs_needed(self.rate, self.confidence)  # validates the rate

    def describe(self, claim: Claim) -> str:
        return (
            f"per check, the one-sided {self.confidence:.0%} Clopper-Pearson lower bound on its "
            f"success probability over all {claim.knob} values and seeds is at least "
            f"p0 = {self.rate:.4g} (FAILS when the upper bound is below p0; HOLDS needs at least "
            f"{runs_needed(self.rate, self.confidence)} runs) — {self.items()}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        names = [n for n, _ in self.checks]
        tally = _tally(claim, points, [*names, *self.reported])
        need = runs_needed(self.rate, self.confidence)
        checks: dict[str, dict[str, Any]] = {}
        for name in [*names, *self.reported]:
            rows = tally.rows[name]
            k = sum(1 for _, _, v in rows if v == 1.0)
            low, high = clopper_pearson(k, len(rows), self.confidence) if rows else (0.0, 1.0)
            checks[name] = {
                "successes": k,
                "runs": len(rows),
                "ci_low": low,
                "ci_high": high,
                "status": _against(self.rate, low, high) if rows else "INCONCLUSIVE",
                "failed": [f for f in tally.failed if f.startswith(f"{name} at ")],
            }
        decided = {n: checks[n] for n in names}
        reported = {n: checks[n] for n in self.reported}

        def summary(name: str) -> str:
            c = checks[name]
            return f"{name}: {c['successes']}/{c['runs']}, [{c['ci_low']:.3f}, {c['ci_high']:.3f}]"

        fails = [n for n, c in decided.items() if c["status"] == "FAILS"]
        open_ = [n for n, c in decided.items() if c["status"] == "INCONCLUSIVE"]
        p0 = f"p0 = {self.rate:.4g}"
        status: Status
        if fails:
            status = "FAILS"
            reason = f"upper bound below {p0}: " + "; ".join(map(summary, fails))
        elif open_:
            status = "INCONCLUSIVE"
            unreported = [n for n in open_ if not decided[n]["runs"]]
            few = [n for n in open_ if decided[n]["runs"] < need]
            if unreported:
                reason = f"no run reports {', '.join(unreported)}"
            elif few:
                reason = (
                    f"too few runs: need n >= {need}, every run a success, to decide HOLDS at "
                    f"{p0}; " + "; ".join(map(summary, open_))
                )
            else:
                reason = f"the bounds straddle {p0}: " + "; ".join(map(summary, open_))
        else:
            status = "HOLDS"
            reason = f"every lower bound >= {p0}: " + "; ".join(map(summary, names))
        rates = [c["successes"] / c["runs"] for c in decided.values() if c["runs"]]
        evidence: dict[str, Any] = {
            "statistic": (
                f"success rate per check (one-sided {self.confidence:.0%} Clopper-Pearson bounds)"
            ),
            "rate": self.rate,
            "confidence": self.confidence,
            "runs_needed": need,
            "checks": decided,
            "reported": reported,
            "runs": tally.runs,
            "reason": reason,
        }
        measured = min(rates) if rates else math.nan
        return Verdict(claim.id, status, self.rate, measured, self.describe(claim), evidence)
