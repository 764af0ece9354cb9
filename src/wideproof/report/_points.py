"""Per-point values behind stored verdicts (``wideproof table --points``), in long form: one row
per claim, profile, knob value, seed and scalar observation (series are listed by name and
length; ``wideproof plot`` draws them)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from ..errors import ConfigError
from ..sweeps import Point
from ..sweeps._json import float_to_json

__all__ = ["render_points"]

_HEADER = ("claim", "profile", "knob", "value", "seed", "observation", "measured", "error_bound")


def _rows(entries: Iterable[tuple[str, str, Point]]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for claim_id, profile, p in entries:
        for name, e in sorted(p.observations.items()):
            rows.append((claim_id, profile, p.knob, p.value, p.seed, name, e.value, e.error_bound))
        for name, values in sorted(p.series.items()):
            rows.append(
                (
                    claim_id,
                    profile,
                    p.knob,
                    p.value,
                    p.seed,
                    f"{name}[{len(values)}]",
                    float("nan"),
                    float("nan"),
                )
            )
    return rows


def render_points(entries: Iterable[tuple[str, str, Point]], fmt: str) -> str:
    """``(claim id, profile, point)`` entries as ``"markdown"``, ``"csv"`` or ``"json"``; values in
    full precision (``repr`` of the float), so a declared 1.001 never reads as 1."""
    rows = _rows(entries)
    if fmt == "json":
        data = [
            {
                k: float_to_json(v) if isinstance(v, float) else v
                for k, v in zip(_HEADER, r, strict=True)
            }
            for r in rows
        ]
        return json.dumps(data, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(_HEADER)
        writer.writerows([[repr(v) if isinstance(v, float) else v for v in r] for r in rows])
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
        for r in rows:
            cells = [
                "--"
                if isinstance(v, float) and v != v
                else repr(v)
                if isinstance(v, float)
                else str(v)
                for v in r
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    raise ConfigError(f"--points prints markdown, csv or json, not {fmt}")
