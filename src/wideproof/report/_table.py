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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields, replace
from typing import Any, Literal

from ..claims import Verdict
from ..errors import ConfigError
from ..sweeps import ResultStore
from ..sweeps._json import dumps, float_from_json, float_to_json
from ._latex import Column, latex_table, tex_escape, tex_number, tex_text

__all__ = ["DIGITS", "FORMATS", "Row", "TableFormat", "VerdictTable", "table_from_store"]

TableFormat = Literal["latex", "markdown", "csv", "json"]
FORMATS: tuple[str, ...] = ("latex", "markdown", "csv", "json")
DIGITS = 3
FORM_SYMBOLS = {"tight": "Θ", "upper": "O", "lower": "Ω"}
_HEADERS = (
    "Claim",
    "Profile",
    "Statistic",
    "Form",
    "Predicted",
    "Margin",
    "Measured",
    "CI",
    "Level",
    "Points",
    "Verdict",
)


@dataclass(frozen=True)
class Row:
    """One verdict: the statistic, the theorem's logical form, the paper's predicted value and the
    declared margin δ, the measured value and its interval, the status.

    ``form`` is ``"tight"``, ``"upper"`` or ``"lower"`` (Θ, O, Ω) for an exponent rule and ``""``
    for a rule without one; ``margin`` is NaN then.
    """

    claim_id: str
    profile: str
    statistic: str
    form: str
    predicted: float
    margin: float
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
        grid = len(ev.get("knob_values", [])) * len(ev.get("seeds", []))
        npoints = len(fit["points"]) if fit else grid - len(ev.get("failures", []))
        return cls(
            claim_id=verdict.claim_id,
            profile=profile,
            statistic=str(ev.get("statistic", "")),
            form=str(ev.get("form", "")),
            predicted=verdict.predicted,
            margin=float_from_json(ev.get("margin", "nan")),
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
                    "",
                    math.nan,
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

    def render(
        self,
        fmt: TableFormat = "markdown",
        *,
        wide: bool = False,
        standalone: bool = False,
        siunitx: bool = False,
    ) -> str:
        """The table as ``latex``, ``markdown``, ``csv`` or ``json``.

        LaTeX is a ``table`` float exactly ``\\columnwidth`` wide (``wide``: a ``table*``,
        ``\\textwidth``, for two-column papers) that needs only ``booktabs`` (and ``siunitx``
        with ``siunitx=True``, which sets the numbers with ``\\num``); ``standalone`` makes it a
        complete document.  The options do not affect the other formats.
        """
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
            return _latex(self.rows, wide=wide, standalone=standalone, siunitx=siunitx)
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


def threshold(x: float) -> str:
    """A declared value (a rule's threshold or prediction): :func:`number`, unless that rounds it,
    then up to 6 significant digits (``1.001`` stays ``1.001``, not ``1``)."""
    short = number(x)
    if not math.isfinite(x) or float(short) == x:
        return short
    exact = f"{x:.6g}"
    return exact if float(exact) == x else short


def _jsonable(value: Any) -> Any:
    return float_to_json(value) if isinstance(value, float) else value


def _cells(r: Row, escape: Any) -> list[str]:
    num = number
    ci = f"[{num(r.ci_low)}, {num(r.ci_high)}]" if math.isfinite(r.ci_low) else "--"
    level = f"{r.confidence:.0%}" if math.isfinite(r.confidence) else "--"
    return [
        escape(r.claim_id),
        escape(r.profile),
        escape(r.statistic),
        FORM_SYMBOLS.get(r.form, ""),
        threshold(r.predicted),
        f"±{threshold(r.margin)}" if math.isfinite(r.margin) else "--",
        num(r.measured),
        ci,
        escape(level),
        str(r.points),
        r.status,
    ]


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


# -- LaTeX -----------------------------------------------------------------------------------
_PART = re.compile(r"^(?P<claim>\S+) \((?P<part>.*)\)$")
_FORM_SUFFIX = re.compile(r" \((Θ|O|Ω), ±[^()]*\)$")
_TEX_FORMS = {"tight": r"$\Theta$", "upper": "$O$", "lower": r"$\Omega$"}
_STATUS = {"HOLDS": "holds", "FAILS": r"\textbf{fails}", "INCONCLUSIVE": "inconcl."}


def _stacked(top: str, below: str) -> str:
    """Two lines in one right-aligned cell (a value, its interval or margin below it)."""
    return rf"\begin{{tabular}}[t]{{@{{}}r@{{}}}}{top}\\ \relax {below}\end{{tabular}}"


def _latex(rows: Sequence[Row], *, wide: bool, standalone: bool, siunitx: bool) -> str:
    """One row per claim, its parts as indented sub-rows; the statistic under the claim label;
    the measured value and its interval in one column; a uniform profile and confidence level
    stated once (caption, header) instead of in every row."""

    def num(x: float) -> str:
        return tex_number(x, DIGITS, siunitx=siunitx)

    def label(r: Row) -> str:
        part = _PART.match(r.claim_id)
        name = (
            rf"\leftskip=1em\relax {tex_text(part['part'])}"
            if part
            else rf"\texttt{{{tex_text(r.claim_id)}}}"
        )
        whole = r.statistic.startswith("all ") and r.statistic.endswith(" parts")
        if whole or not r.statistic:
            return name
        statistic = _FORM_SUFFIX.sub("", r.statistic)  # the Form and ±δ columns show it
        return rf"{name}\newline{{\scriptsize {tex_text(statistic)}}}"

    def measured(r: Row) -> str:
        if not math.isfinite(r.ci_low):
            return num(r.measured)
        ci = f"[{num(r.ci_low)}, {num(r.ci_high)}]"
        if not uniform_level:
            ci += f" at {r.confidence:.0%}".replace("%", r"\%")
        return _stacked(num(r.measured), rf"\scriptsize {ci}")

    def predicted(r: Row) -> str:
        value = f"{_TEX_FORMS[r.form]}\\,{num(r.predicted)}" if r.form else num(r.predicted)
        if not math.isfinite(r.margin):
            return value
        return _stacked(value, rf"\scriptsize $\pm${num(r.margin)}")

    levels = {r.confidence for r in rows if math.isfinite(r.ci_low)}
    uniform_level = len(levels) == 1
    level = f"{next(iter(levels)):.0%}".replace("%", r"\%") if uniform_level else "level"
    profiles = sorted({r.profile for r in rows})
    columns: list[Column[Row]] = [Column("Claim / part", label, 0.44)]
    if len(profiles) > 1:
        columns.append(Column("Profile", lambda r: tex_escape(r.profile)))
    columns += [
        Column(_stacked("Pred.", r"[$\pm\delta$]"), predicted, "r"),
        Column(_stacked("Measured", f"[{level} CI]"), measured, "r"),
        Column("$n$", lambda r: str(r.points) if r.points else "", "r"),
        Column("Verdict", lambda r: _STATUS[r.status]),
    ]
    caption = (
        "Verdicts of the claims"
        + (rf" (profile \texttt{{{tex_escape(profiles[0])}}})" if len(profiles) == 1 else "")
        + "."
    )
    notes = [
        r"Pred.: the theorem's logical form ($\Theta$ tight, $O$ upper, $\Omega$ lower bound)"
        r" and the paper's exponent (or a rule's threshold), $\pm\delta$ the margin declared"
        rf" before measuring; Measured: the statistic under each claim, with its {level}"
        r" $t$-interval over seeds; $n$: points; inconcl.: inconclusive. A claim with parts"
        r" holds when every part holds."
    ]
    return latex_table(
        columns,
        rows,
        caption=caption,
        label="tab:wideproof-verdicts",
        notes=notes,
        wide=wide,
        standalone=standalone,
        packages=("booktabs", "siunitx") if siunitx else ("booktabs",),
    )
