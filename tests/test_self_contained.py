"""The documentation and the docstrings stand on their own.

README.md, docs/, benchmarks/*.md, src/, tests/, property_tests/ and proofs/ cite papers (authors,
year, arXiv id, theorem or section) and the repository's own files, never notes that are not in
the repository ("linearity notes §1.4", ``formal_numerics.md``, ``feasibility/...``,
``anchors.md``, "the note's grid") and never issue numbers.  A fact taken from such a note is
stated plainly ("measured in a pilot run: ...").  Oracle: a case-insensitive pattern over every
line of those files (this file, which spells the pattern out, excepted).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_REFERENCE = re.compile(
    r"\b(linearity|catapult|theory|feasibility|dynamics)\s+notes?\b"
    r"|formal_numerics|feasibility/|anchors\.md|catapult_agop|linearity_static"
    r"|rfm_grokking|irkm_subspace|\bfeasibility\s+(runs?|study|grid|notes?)\b|\bthe\s+note('s)?\b"
    r"|\bnotes?\s+§|\bthe notes\b|\bof the notes|\(notes\b"
    r"|\bissues?\s+#?\d+|\.\./shared|shared/theory",
    re.IGNORECASE,
)


def checked_files() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "benchmarks").glob("*.md"))]
    files += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "docs").rglob("*.py"))
    for folder in ("src", "tests", "property_tests", "proofs"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if f != Path(__file__).resolve()]


def violations(path: Path) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if OUTSIDE_REFERENCE.search(line)
    ]


def test_no_reference_to_notes_outside_the_repository_or_to_issues() -> None:
    found = [v for f in checked_files() for v in violations(f)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "(linearity notes §1.4 item 5)",
        "see ``formal_numerics.md`` §5.2",
        "feasibility/dynamics.md §3",
        "as measured in issue 5",
        "the notes' provenance tag",
        "thresholds are the note's, not tuned",
        "the quick profile of rfm_grokking.md §1.6",
        "These agree with the feasibility runs",
    ],
)
def test_the_pattern_catches_each_kind(line: str) -> None:
    assert OUTSIDE_REFERENCE.search(line)


def test_the_pattern_spares_table_notes() -> None:
    assert not OUTSIDE_REFERENCE.search("caption above the table, ``notes`` below it")


def test_benchmarks_readme_names_only_what_exists() -> None:
    """Every file the benchmarks README names (outside installed packages and generated output)
    is in ``benchmarks/``, and every ``_module.name`` it cites is defined there."""
    import ast

    bench = ROOT / "benchmarks"
    text = (bench / "README.md").read_text()
    files = set(re.findall(r"`([\w./-]+\.(?:py|sh|md))`", text)) - {"backpack/utils/examples.py"}
    missing = sorted(f for f in files if not (bench / f).is_file() and not (ROOT / f).is_file())
    assert not missing and len(files) >= 10, missing
    for module, name in set(re.findall(r"\b(_\w+)\.(?!py\b)(\w+)", text)):
        tree = ast.parse((bench / f"{module}.py").read_text())
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        assert name in defined, f"benchmarks/README.md names {module}.{name}, not in {module}.py"
