"""Tests of verdict tables and plots.

Oracles: hand-built verdicts with known numbers; each text format is parsed back and compared
with the raw floats (CSV exactly, LaTeX/Markdown at the documented 3 significant digits).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from wideproof.claims import Verdict
from wideproof.errors import ConfigError
from wideproof.report import VerdictTable, plot_verdict
from wideproof.sweeps import fit_exponent

FIT = fit_exponent(
    [(m, m**-0.5 * (1 + 0.01 * s * (m % 3)), s) for m in (8, 64, 512) for s in range(3)]
)
EXPONENT = Verdict(
    "paper.fit_claim",
    "HOLDS",
    -0.5,
    FIT.exponent,
    "rule words",
    {
        "statistic": "exponent of h_norm in width",
        "fit": FIT.to_json(),
        "knob": "width",
        "form": "upper",
        "margin": 0.125,
        "window": [-0.625, -0.375],
    },
)
THRESHOLD = Verdict(
    "paper.events",
    "FAILS",
    0.9,
    0.5,
    "the mean of event is at least 0.9",
    {
        "statistic": "mean of event",
        "values": [[1.0, 1.0, 0], [1.0, 0.0, 1]],
        "knob_values": [1.0],
        "seeds": [0, 1],
        "failures": [],
    },
)


def test_formats_render_the_same_numbers_and_json_round_trips() -> None:
    table = VerdictTable.of([("quick", EXPONENT), ("full", THRESHOLD)])
    import json

    doc = json.loads(table.render("json"))
    assert VerdictTable.from_json(doc).to_json() == doc == table.to_json()  # NaN-safe comparison
    assert VerdictTable.from_json(doc).rows[0] == table.rows[0]
    rows = list(csv.DictReader(io.StringIO(table.render("csv"))))
    assert float(rows[0]["measured"]) == FIT.exponent and float(rows[0]["ci_low"]) == FIT.ci_low
    assert math.isnan(float(rows[1]["ci_low"])) and rows[1]["points"] == "2"
    latex, markdown = table.render("latex"), table.render("markdown")
    for x in (FIT.exponent, FIT.ci_low, FIT.ci_high):
        assert f"${x:.3g}$" in latex and f"{x:.3g}" in markdown
    assert (
        r"paper.\allowbreak{}fit\_\allowbreak{}claim" in latex and r"h\_\allowbreak{}norm" in latex
    )
    assert r"[95\% CI]" in latex  # a uniform confidence level is stated once, in the header
    assert r"\begin{tabular*}{\columnwidth}" in latex and r"\midrule" in latex
    assert "(profile" not in latex and "Profile" in latex  # two profiles: a column
    assert markdown.count("\n") == 4 and "| paper.events | full |" in markdown
    # the logical form and the margin, beside the paper's value and apart from the measurement
    assert "| O | -0.5 | ±0.125 |" in markdown and "| mean of event |  | 0.9 | -- |" in markdown
    assert (rows[0]["form"], rows[0]["predicted"], rows[0]["margin"]) == ("upper", "-0.5", "0.125")
    assert rows[1]["form"] == "" and rows[1]["margin"] == "nan"
    assert r"$O$\,$-0.5$\\ \relax \scriptsize $\pm$$0.125$" in latex and r"$\pm\delta$" in latex
    with pytest.raises(ConfigError):
        table.render("html")  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_each_format(tmp_path: Path, suffix: str) -> None:
    out = plot_verdict(EXPONENT, tmp_path / f"fig{suffix}")
    assert out.stat().st_size > 1000


def test_plot_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no exponent fit"):
        plot_verdict(THRESHOLD, tmp_path / "x.png")
    with pytest.raises(ConfigError, match=r"\.png"):
        plot_verdict(EXPONENT, tmp_path / "x.jpg")


def test_compound_verdicts_get_a_panel_and_a_row_per_fitted_part(tmp_path: Path) -> None:
    """An AllOf-style verdict (evidence["parts"]): one table row per part, one panel per fit."""
    parts = {"first": EXPONENT.to_json(), "second": THRESHOLD.to_json()}
    compound = Verdict(
        EXPONENT.claim_id, "HOLDS", math.nan, math.nan, "both parts", {"parts": parts}
    )
    rows = VerdictTable.of([("quick", compound)]).rows
    assert [r.claim_id for r in rows] == [
        EXPONENT.claim_id,
        f"{EXPONENT.claim_id} (first)",
        f"{EXPONENT.claim_id} (second)",
    ]
    assert rows[1].measured == EXPONENT.measured
    out = plot_verdict(compound, tmp_path / "compound.png")
    assert out.stat().st_size > 1000
    with pytest.raises(ConfigError, match="no exponent fit"):
        plot_verdict(
            Verdict("a.b", "HOLDS", 0.0, 0.0, "t", {"parts": {"x": THRESHOLD.to_json()}}),
            tmp_path / "none.png",
        )
