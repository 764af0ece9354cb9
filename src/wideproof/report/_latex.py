"""LaTeX tables a paper can ``\\input``: booktabs rules, a column spec, a float with caption and notes.

A table is a tuple of :class:`Column` entries (header, alignment, cell function) applied to each
row object, plus full-width :class:`Span` lines (group headings); :func:`latex_table` sets it as a
``table`` float (``table*`` with ``wide=True``, for two-column papers) whose ``tabular*`` is exactly
``\\columnwidth`` (``\\textwidth``) wide, with the caption above and notes below it.  Adding a
column to a table is adding one :class:`Column` to its spec.

The output needs only ``\\usepackage{booktabs}`` (``siunitx`` too when numbers are set with
:func:`tex_number` ``siunitx=True``); ``standalone=True`` wraps it in a complete ``article``
document that compiles on its own.  Paragraph (``p``) columns take a fraction of the table width
and set their text ragged-right; rows end in ``\\tabularnewline`` so that ``\\raggedright`` cells
need no ``array`` package.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "Column",
    "Span",
    "latex_table",
    "tex_escape",
    "tex_number",
    "tex_text",
]

R = TypeVar("R")

_ESCAPES = {
    **{ch: "\\" + ch for ch in "&%$#_{}"},
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # text-companion glyphs would need the TS1 fonts (bitmaps generated on first use)
    "§": r"$\mathsection$",
    "–": "--",
    "—": "---",
    "≤": r"$\le$",
    "≥": r"$\ge$",
    "×": r"$\times$",
    "±": r"$\pm$",
    "Θ": r"$\Theta$",  # the logical forms of a bound: Θ, O, Ω
    "Ω": r"$\Omega$",
}


@dataclass(frozen=True)
class Column(Generic[R]):
    """One table column.

    Attributes:
        header: the header cell, as LaTeX.
        cell: the cell of a row, as LaTeX.
        align: ``"l"``, ``"r"``, ``"c"``, or a number in (0, 1): a ragged-right paragraph column
            that fraction of the table width wide.
    """

    header: str
    cell: Callable[[R], str]
    align: str | float = "l"

    def spec(self, width: str) -> str:
        if isinstance(self.align, float):
            return f"p{{{self.align:.3f}{width}}}"
        return self.align

    def render(self, row: R) -> str:
        text = self.cell(row)
        return rf"\raggedright {text}" if isinstance(self.align, float) else text


@dataclass(frozen=True)
class Span:
    """A line across the whole table (e.g. a group heading), as LaTeX."""

    text: str


def tex_escape(text: str) -> str:
    """Plain text with LaTeX's special characters escaped and Greek letters set as math."""
    return "".join(_ESCAPES.get(ch) or _greek(ch) or ch for ch in text)


def _greek(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    if not name.startswith("GREEK SMALL LETTER ") or " " in name[19:]:
        return None
    letter = name[19:].lower().replace("lamda", "lambda")
    return rf"$\{letter}$"


def tex_text(text: str) -> str:
    """Plain text escaped, with line-break opportunities after ``_`` and ``/``, and after ``.``
    and ``-`` between a word and a letter (long identifiers wrap in narrow columns; numbers and
    ``-inf`` stay whole)."""
    return re.sub(r"(\\_|/|(?<=\w)[.-](?=[A-Za-z]))", r"\1\\allowbreak{}", tex_escape(text))


def tex_number(x: float, digits: int, *, siunitx: bool = False) -> str:
    """``x`` to ``digits`` significant digits as math (``$1.23\\times10^{-5}$``), or
    ``\\num{...}`` for siunitx; ``--`` when not finite."""
    if not math.isfinite(x):
        return "--"
    text = f"{x:.{digits}g}"
    if siunitx:
        return rf"\num{{{text}}}"
    mantissa, _, exponent = text.partition("e")
    if exponent:
        power = int(exponent)
        return f"${mantissa}\\times 10^{{{power}}}$" if mantissa != "1" else f"$10^{{{power}}}$"
    return f"${text}$"


def latex_table(
    columns: Sequence[Column[R]],
    rows: Sequence[R | Span],
    *,
    caption: str,
    label: str,
    notes: Sequence[str] = (),
    wide: bool = False,
    standalone: bool = False,
    packages: Sequence[str] = ("booktabs",),
    size: str = r"\small",
) -> str:
    """The rows as a booktabs float of full column (``wide``: text) width.

    ``caption`` goes above the table (the NeurIPS/ICML convention), ``notes`` below it in
    footnote size; ``label`` is the ``\\label`` key; ``size`` the font size of the table body.
    ``standalone`` returns a complete document using ``packages``.
    """
    env = "table*" if wide else "table"
    width = r"\textwidth" if wide else r"\columnwidth"
    spec = "".join(c.spec(width) for c in columns)
    body: list[str] = []
    for row in rows:
        if isinstance(row, Span):
            if body and body[-1] != r"\midrule":
                body.append(r"\addlinespace")
            body.append(rf"\multicolumn{{{len(columns)}}}{{@{{}}l}}{{{row.text}}}\tabularnewline")
        else:
            body.append(" & ".join(c.render(row) for c in columns) + r" \tabularnewline")
    lines = [
        f"% wideproof table: needs {', '.join(packages)}; "
        r"\input it in the document body",
        rf"\begin{{{env}}}[tbp]",
        rf"\centering{size}",
        r"\setlength{\tabcolsep}{3pt}",
        rf"\caption{{{caption}}}\label{{{label}}}",
        rf"\begin{{tabular*}}{{{width}}}{{@{{\extracolsep{{\fill}}}}{spec}@{{}}}}",
        r"\toprule",
        " & ".join(c.header for c in columns) + r" \tabularnewline",
        r"\midrule",
        *body,
        r"\bottomrule",
        r"\end{tabular*}",
    ]
    if notes:
        lines += [r"\par\smallskip", r"{\footnotesize\raggedright", *notes, r"\par}"]
    lines.append(rf"\end{{{env}}}")
    text = "\n".join(lines) + "\n"
    if standalone:
        preamble = "".join(rf"\usepackage{{{p}}}" + "\n" for p in packages)
        text = (
            "\\documentclass{article}\n"
            + preamble
            + "\\begin{document}\n\\pagestyle{empty}\n"
            + text
            + "\\end{document}\n"
        )
    return text
