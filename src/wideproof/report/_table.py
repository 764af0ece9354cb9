"""Verdict tables in LaTeX (booktabs), Markdown, CSV and JSON -- the same numbers in each.

A :class:`VerdictTable` holds the raw floats.  JSON and CSV write them losslessly (shortest
round-trip ``repr``; non-finite values as ``"nan"``/``"inf"``); LaTeX and Markdown print the
same values rounded to :data:`DIGITS` significant digits.  ``VerdictTable.from_json`` inverts
``to_json`` exactly.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, fields, replace
from typing import Any, Literal

from ..claims import Verdict
from ..errors import ConfigError
from ..sweeps import ResultStore
from ..sweeps._json import dumps, float_from_json, float_to_json

__all__ = ["DIGITS", "FORMATS", "Row", "TableFormat", "VerdictTable", "table_from_store"]

TableFormat = Literal["latex", "markdown", "csv", "json"]
FORMATS: tuple[str, ...] = ("latex", "markdown", "csv", "json")
DIGITS = 3
_HEADERS = (
    "Claim",
    "Profile",
    "Statistic",
    "Predicted",
    "Measured",
    "CI",
    "Level",
    "Points",
    "Verdict",
)


@dataclass(frozen=True)
class Row:
    """One verdict: the statistic, predicted and measured values, the interval, the status."""

    claim_id: str
    profile: str
    statistic: str
    predicted: float
    measured: float
    ci_low: float
    ci_high: float
    confidence: float
    points: int
    status: str

    @classmethod
    def from_verdict(cls, profile: str, verdict: Verdict) -> Row:
        ev = verdict.evidence
        fit: Mapping[str, Any] = ev.get("fit") or {}
        npoints = len(fit["points"]) if fit else len(ev.get("values", []))
        return cls(
            claim_id=verdict.claim_id,
            profile=profile,
            statistic=str(ev.get("statistic", "")),
            predicted=verdict.predicted,
            measured=verdict.measured,
            ci_low=float_from_json(fit.get("ci_low", "nan")),
            ci_high=float_from_json(fit.get("ci_high", "nan")),
            confidence=float(fit.get("confidence", math.nan)),
            points=npoints,
            status=verdict.status,
        )


@dataclass(frozen=True)
class VerdictTable:
    """Rows of verdicts, rendered by :meth:`render`."""

    rows: tuple[Row, ...]

    @classmethod
    def of(cls, verdicts: Iterable[tuple[str, Verdict]]) -> VerdictTable:
        """A table of ``(profile, verdict)`` pairs.

        A compound verdict (``evidence["parts"]``, e.g. from ``AllOf``) gives its own row with
        the overall status, then one row per part, named ``claim-id (part)``.
        """
        rows: list[Row] = []
        for profile, verdict in verdicts:
            parts: Mapping[str, Any] = verdict.evidence.get("parts") or {}
            if not parts:
                rows.append(Row.from_verdict(profile, verdict))
                continue
            rows.append(
                Row(
                    verdict.claim_id,
                    profile,
                    f"all {len(parts)} parts",
                    math.nan,
                    math.nan,
                    math.nan,
                    math.nan,
                    math.nan,
                    0,
                    verdict.status,
                )
            )
            for label, part in parts.items():
                row = Row.from_verdict(profile, Verdict.from_json(part))
                rows.append(replace(row, claim_id=f"{verdict.claim_id} ({label})"))
        return cls(tuple(rows))

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": [f.name for f in fields(Row)],
            "rows": [
                {f.name: _jsonable(getattr(r, f.name)) for f in fields(Row)} for r in self.rows
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerdictTable:
        rows = []
        for r in data["rows"]:
            values: dict[str, Any] = {
                f.name: float_from_json(r[f.name]) if f.type == "float" else r[f.name]
                for f in fields(Row)
            }
            rows.append(Row(**values))
        return cls(tuple(rows))

    def render(self, fmt: TableFormat = "markdown") -> str:
        """The table as ``latex`` (booktabs, for ``\\input``), ``markdown``, ``csv`` or ``json``."""
        if fmt == "json":
            return dumps(self.to_json(), indent=2) + "\n"
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow([f.name for f in fields(Row)])
            for r in self.rows:
                writer.writerow([_jsonable(v) for v in astuple(r)])
            return buf.getvalue()
        if fmt == "markdown":
            lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "---|" * len(_HEADERS)]
            lines += ["| " + " | ".join(_cells(r, _md_escape)) + " |" for r in self.rows]
            return "\n".join(lines) + "\n"
        if fmt == "latex":
            body = [" & ".join(_cells(r, _tex_escape, math_mode=True)) + r" \\" for r in self.rows]
            return (
                "\n".join(
                    [
                        r"\begin{tabular}{lllrrlrrl}",
                        r"\toprule",
                        " & ".join(_HEADERS) + r" \\",
                        r"\midrule",
                        *body,
                        r"\bottomrule",
                        r"\end{tabular}",
                    ]
                )
                + "\n"
            )
        raise ConfigError(f"format={fmt!r} is not one of {', '.join(map(repr, FORMATS))}")


def table_from_store(store: ResultStore, claim_ids: Iterable[str] | None = None) -> VerdictTable:
    """The stored verdicts (all, or those of ``claim_ids``), one row per claim and profile."""
    wanted = None if claim_ids is None else list(claim_ids)
    stored = store.verdicts(wanted)
    if wanted:
        missing = sorted(set(wanted) - {s.claim_id for s in stored})
        if missing:
            raise ConfigError(f"no stored verdict for {', '.join(missing)} in {store.path}")
    return VerdictTable.of((s.profile, Verdict.from_json(s.verdict)) for s in stored)


def number(x: float) -> str:
    """A value as LaTeX and Markdown print it (``--`` when not finite)."""
    return f"{x:.{DIGITS}g}" if math.isfinite(x) else "--"


def _jsonable(value: Any) -> Any:
    return float_to_json(value) if isinstance(value, float) else value


def _cells(r: Row, escape: Any, math_mode: bool = False) -> list[str]:
    def num(x: float) -> str:
        text = number(x)
        return f"${text}$" if math_mode and text != "--" else text

    ci = f"[{num(r.ci_low)}, {num(r.ci_high)}]" if math.isfinite(r.ci_low) else "--"
    level = f"{r.confidence:.0%}" if math.isfinite(r.confidence) else "--"
    return [
        escape(r.claim_id),
        escape(r.profile),
        escape(r.statistic),
        num(r.predicted),
        num(r.measured),
        ci,
        escape(level),
        str(r.points),
        r.status,
    ]


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


_TEX = {
    **{ch: "\\" + ch for ch in "&%$#_{}"},
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex_escape(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in text)
