"""A verdict rule for claims that consist of several per-run checks (feature-learning claims).

A feature-learning statement such as "RFM groks: the test accuracy stays flat, then jumps, while
the circulant deviation falls first" is a conjunction of qualitative per-run facts, each recorded
by the measure as a 0/1 observation.  :class:`ChecklistRule` requires every check to hold in every
run that reports it; the measure may report further numeric observations (jump iteration,
correlations), which the verdict's evidence lists beside the checks.
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

__all__ = ["ChecklistRule"]


@dataclass(frozen=True)
class ChecklistRule:
    """HOLDS when every check (a 0/1 observation) equals 1 in every run that reports it and every
    check is reported by at least one run; FAILS when some check is 0 (or not a number) in some
    run; INCONCLUSIVE when some check is reported by no run.

    A measure may report a check only at the knob values where it applies (the central-subspace
    claim runs a different check at each dimension), hence "every run that reports it".

    Args:
        checks: ``(observation name, what the check states)`` pairs, in the order of the claim.
    """

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

    def describe(self, claim: Claim) -> str:
        items = "; ".join(f"{name}: {text}" for name, text in self.checks)
        return (
            f"every check holds (observation = 1) in every run, over all {claim.knob} values "
            f"and seeds that report it — {items}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        names = [n for n, _ in self.checks]
        per_check: dict[str, list[list[Any]]] = {n: [] for n in names}
        failed: list[str] = []
        runs: dict[str, dict[str, Any]] = {}
        for p in sorted(points, key=lambda q: (q.value, q.seed)):
            label = f"{claim.knob}={p.value:g} seed={p.seed}"
            runs[label] = {k: float_to_json(e.value) for k, e in sorted(p.observations.items())}
            for name in names:
                if name in p.observations:
                    value = p.observations[name].value
                    per_check[name].append([float_to_json(p.value), p.seed, float_to_json(value)])
                    if not value == 1.0:
                        failed.append(f"{name} at {label}")
        missing = [n for n in names if not per_check[n]]
        total = sum(len(v) for v in per_check.values())
        measured = (total - len(failed)) / total if total else math.nan
        evidence: dict[str, Any] = {
            "statistic": "fraction of (run, check) pairs that hold",
            "checks": per_check,
            "runs": runs,
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
