"""The LaTeX tables compile in a plain ``article`` with ``booktabs`` at default margins.

Oracle: ``pdflatex`` itself.  A table passes when the run ends without an error and the log holds
no ``Overfull \\hbox`` wider than 2 pt (a table wider than ``\\columnwidth`` always produces one,
because each table is a ``tabular*`` of exactly that width).  Each compiled table is also
rendered to a PNG in ``docs/tables/`` (``pdftoppm``) so the docs show what a paper gets.

Inputs: ``wideproof bounds --format latex`` (every registered bound), the verdict table of the
stored quick-profile run in ``docs/tables/linearity.json`` through ``wideproof table --store S
--out t.tex``, and a stress table with every registered claim id, five-part compound claims, long
statistics, exponent-form and non-finite numbers.  CI installs TeX (``.ci/run``); elsewhere the
test is skipped when no ``pdflatex`` is on PATH.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from wideproof.claims import Verdict
from wideproof.cli import main
from wideproof.report import VerdictTable
from wideproof.sweeps import ResultStore
from wideproof.symbolic import all_bounds

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "docs" / "tables"
SLACK_PT = 2.0
# a plain article with booktabs: default class options, margins and fonts
PLAIN_ARTICLE = (
    "\\documentclass{{article}}\n\\usepackage{{booktabs}}\n{preamble}"
    "\\begin{{document}}\n{body}\\end{{document}}\n"
)

needs_tex = pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None,
    reason="no pdflatex/pdftoppm on PATH (CI installs them in .ci/run: texlive-latex-base, "
    "texlive-latex-recommended, poppler-utils)",
)


def pdflatex(document: str, workdir: Path, name: str) -> subprocess.CompletedProcess[str]:
    """``pdflatex`` on ``document`` written to ``workdir/name.tex`` (stops at the first error)."""
    (workdir / f"{name}.tex").write_text(document)
    return subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def compile_latex(
    body: str, workdir: Path, name: str, preamble: str = "", *, fits_page: bool = False
) -> Path:
    """Compile ``body`` inside a plain article; return the PDF; fail on an error, an overfull
    line, or (``fits_page``) a float taller than the page."""
    run = pdflatex(PLAIN_ARTICLE.format(preamble=preamble, body=body), workdir, name)
    log = (workdir / f"{name}.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, (
        f"{name}: pdflatex failed: {errors or run.stdout[-2000:]}"
    )
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert max(overfull, default=0.0) <= SLACK_PT, f"{name}: overfull boxes {overfull} pt"
    too_tall = re.findall(r"Float too large for page by ([\d.]+)pt", log)
    assert not (fits_page and too_tall), f"{name}: taller than the page by {too_tall} pt"
    return workdir / f"{name}.pdf"


def write_png(body: str, workdir: Path, target: Path) -> None:
    """``body`` on one tall page of the article's text width, cropped to its ink, as ``target``
    (a table taller than a page shows whole).  The images in ``docs/tables`` are rewritten only
    with ``WIDEPROOF_WRITE_DOCS=1``; otherwise the image goes to ``workdir``, so a test run
    leaves the checkout unchanged."""
    if os.environ.get("WIDEPROOF_WRITE_DOCS") != "1":
        target = workdir / target.name
    from PIL import Image, ImageOps

    tall = "\\pdfpageheight=60in \\textheight=58in \\pagestyle{empty}\n"
    pdf = compile_latex(body, workdir, target.stem + "-png", preamble=tall)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(pdf),
            str(pdf.with_suffix("")),
        ],
        check=True,
        timeout=120,
    )
    with Image.open(pdf.with_suffix(".png")) as page:
        gray = page.convert("L")
        box = ImageOps.invert(gray).getbbox()
        assert box is not None, f"{pdf.name}: blank page"
        left, top, right, bottom = box
        crop = gray.crop((max(left - 20, 0), max(top - 20, 0), right + 20, bottom + 20))
        crop.save(target, optimize=True)


def stress_table() -> VerdictTable:
    """Every registered claim id; compound claims with five long part labels; long statistics;
    numbers in exponent form, negative, infinite and missing; every status and logical form."""
    from wideproof import claims

    statuses = ("HOLDS", "FAILS", "INCONCLUSIVE")
    values = (-0.000412, 1.2345e-5, -12345.6, math.inf, math.nan, 0.5)
    verdicts = []
    for i, c in enumerate(claims.all()):
        x = values[i % len(values)]
        fit = {
            "ci_low": x - 0.1,
            "ci_high": x + 0.1,
            "confidence": 0.95,
            "points": [[1, 2, 0]] * 35,
        }
        stat = f"exponent of hessian_norm_ntk/(log n_models)^1 in {c.knob}, band [-0.7, -0.35]"
        form, margin = (
            ("tight", "upper", "lower")[i % 3],
            (0.125, 0.0125)[i % 2],
        )  # margins of exponents
        evidence: dict[str, object] = {
            "statistic": stat,
            "fit": fit,
            "form": form,
            "margin": margin,
        }
        if i % 3 == 0:
            part = Verdict(c.id, statuses[i % 3], -0.5, x, "rule", evidence).to_json()
            labels = (
                "sigma1=0.5: no exponential growth",
                "recorded: gradient vanishes at sigma1=0.5",
                "min in-degree k",
                "output in-degree 2",
                "control: tanh at 0",
            )
            evidence = {"parts": {label: part for label in labels}}
        verdicts.append(("quick", Verdict(c.id, statuses[i % 3], -0.5, x, "rule", evidence)))
    return VerdictTable.of(verdicts)


@needs_tex
def test_bounds_table_compiles_and_fits_the_column(tmp_path: Path, capsys) -> None:
    assert main(["bounds", "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert r"\max_i =" not in latex and r"\^{}" not in latex and "**" not in latex
    assert r"$m^{-1/2} \sqrt{\log m}$" in latex and r"$\Theta(1)$ in $m$" in latex
    compile_latex(latex, tmp_path, "bounds")
    write_png(latex, tmp_path, TABLES / "bounds.png")


@needs_tex
@pytest.mark.parametrize(
    "paper", ["liu2020", "liu2022.assembly", "zhu2022", "banerjee2023", "liu2022.plstar", "zhu2024"]
)
def test_each_papers_bounds_fit_one_page(tmp_path: Path, capsys, paper: str) -> None:
    assert main(["bounds", paper, "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    rows = [ln for ln in latex.splitlines() if ln.startswith(r"\raggedright \texttt")]
    assert len(rows) == sum(b.name.startswith(paper) for b in all_bounds()) > 0
    compile_latex(latex, tmp_path, "paper", fits_page=True)


@needs_tex
def test_verdict_table_from_a_store_compiles_and_fits_the_column(tmp_path: Path) -> None:
    """``wideproof table --store S --out t.tex`` writes LaTeX (by the suffix) that compiles."""
    doc = json.loads((TABLES / "linearity.json").read_text())
    store_path = tmp_path / "s.sqlite"
    with ResultStore(store_path) as store:
        for v in doc["verdicts"]:
            store.save_verdict(v["claim_id"], v["profile"], v, keys=())
    out = tmp_path / "t.tex"
    assert main(["table", "--store", str(store_path), "--out", str(out)]) == 0
    latex = out.read_text()
    assert latex.lstrip().startswith("% wideproof table") and r"\begin{table}" in latex
    compile_latex(latex, tmp_path, "linearity")
    write_png(latex, tmp_path, TABLES / "linearity.png")
    # the claims a paper section cites (here the Hessian-width ones, 14 rows) fit one page
    cited = [
        "liu2020.hessian-width",
        "liu2020.hessian-ball",
        "liu2020.nonlinear-output",
        "liu2020.kernel-change",
        "banerjee2022.hessian-width",
    ]
    assert main(["table", *cited, "--store", str(store_path), "--out", str(out)]) == 0
    compile_latex(out.read_text(), tmp_path, "cited", fits_page=True)


@needs_tex
@pytest.mark.parametrize("wide", [False, True])
def test_worst_case_verdict_table_fits(tmp_path: Path, wide: bool) -> None:
    table = stress_table()
    body = table.render("latex", wide=wide)
    if wide:  # table* floats only in two-column documents; \textwidth is the full page there
        body = "\\twocolumn\n" + body
    compile_latex(body, tmp_path, "stress")
    run = pdflatex(table.render("latex", standalone=True), tmp_path, "alone")
    assert run.returncode == 0, run.stdout[-2000:]


def test_siunitx_option_sets_numbers_with_num(tmp_path: Path) -> None:
    """``--siunitx`` numbers are ``\\num{...}`` (exponent form included) and the header names the
    package; compiled only where siunitx is installed (Debian: texlive-science)."""
    latex = stress_table().render("latex", siunitx=True, standalone=True)
    assert r"\num{-0.000412}" in latex and r"\num{1.23e-05}" in latex
    assert "\\usepackage{siunitx}" in latex and "$-0.5$" not in latex
    kpse = shutil.which("kpsewhich")
    if kpse is None or not subprocess.run([kpse, "siunitx.sty"], capture_output=True).stdout:
        pytest.skip("siunitx.sty not installed (texlive-science)")
    run = pdflatex(latex, tmp_path, "si")
    assert run.returncode == 0, run.stdout[-2000:]
