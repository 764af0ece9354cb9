"""The :class:`Verdict` a claim returns: HOLDS, FAILS or INCONCLUSIVE, with its evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError
from ..sweeps._json import float_from_json, float_to_json

__all__ = ["STATUSES", "Status", "Verdict"]

Status = Literal["HOLDS", "FAILS", "INCONCLUSIVE"]
STATUSES: tuple[str, ...] = ("HOLDS", "FAILS", "INCONCLUSIVE")


@dataclass(frozen=True)
class Verdict:
    """What the measurements say about a claim.

    Attributes:
        claim_id: e.g. ``"liu2020.hessian-width"``.
        status: ``"HOLDS"`` (the rule is satisfied), ``"FAILS"`` (the measurements contradict the
            prediction) or ``"INCONCLUSIVE"`` (they cannot decide: too wide an interval, failed
            points, no data).
        predicted: the value the rule compares against (a predicted exponent, a threshold).
        measured: the measured statistic (a fitted exponent, an aggregate).
        rule: the rule in words.
        evidence: JSON-ready details: the statistic's name, the fit with its points, the reason,
            the profile, seeds, knob values, points computed and reused.
    """

    claim_id: str
    status: Status
    predicted: float
    measured: float
    rule: str
    evidence: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ConfigError(f"status={self.status!r} is not one of {', '.join(STATUSES)}")

    @property
    def holds(self) -> bool:
        return self.status == "HOLDS"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats as strings)."""
        return {
            "claim_id": self.claim_id,
            "status": self.status,
            "predicted": float_to_json(self.predicted),
            "measured": float_to_json(self.measured),
            "rule": self.rule,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        """Inverse of :meth:`to_json`."""
        return cls(
            claim_id=str(data["claim_id"]),
            status=data["status"],
            predicted=float_from_json(data["predicted"]),
            measured=float_from_json(data["measured"]),
            rule=str(data["rule"]),
            evidence=dict(data["evidence"]),
        )
