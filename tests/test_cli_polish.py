"""Command-line and package conveniences: ``--version``, quiet broken pipes, the table format
picked by the ``--out`` suffix, lazy subpackages, and ``assert_scaling`` failures that point at
the caller.

Oracles: real subprocesses (a real pipe closed by ``head``), the package metadata, the output of
a real pytest run of a failing test file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from wideproof.cli import main
from wideproof.sweeps import ResultStore

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", code], capture_output=True, text=True, timeout=timeout
    )


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"wideproof {version('wideproof')}"


def test_a_pipe_closed_by_the_reader_is_quiet() -> None:
    """``wideproof list --json | head -n 2``: two lines, nothing on stderr, exit 0."""
    run = _run(f"{sys.executable} -m wideproof.cli list --json | head -n 2")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["[", "  {"] and run.stderr == ""


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".tex", lambda t: r"\begin{table}" in t),
        (".md", lambda t: t.startswith("| Claim |")),
        (".csv", lambda t: t.startswith("claim_id,")),
        (".json", lambda t: json.loads(t)["columns"][0] == "claim_id"),
    ],
)
def test_the_out_suffix_picks_the_format(tmp_path: Path, suffix: str, check) -> None:
    store = tmp_path / "s.sqlite"
    verdict = {
        "claim_id": "a.b",
        "status": "HOLDS",
        "predicted": -0.5,
        "measured": -0.49,
        "rule": "r",
        "evidence": {"statistic": "exponent of x in width"},
    }
    with ResultStore(store) as s:
        s.save_verdict("a.b", "quick", verdict, keys=())
    out = tmp_path / f"t{suffix}"
    assert main(["table", "--store", str(store), "--out", str(out)]) == 0
    assert check(out.read_text())
    # --format overrides the suffix
    assert main(["table", "--store", str(store), "--out", str(out), "--format", "csv"]) == 0
    assert out.read_text().startswith("claim_id,")


def test_subpackages_load_on_first_use() -> None:
    probe = (
        "import sys, wideproof; light = 'torch' not in sys.modules; "
        "m = wideproof.measures; "
        "print(light, m.__name__, 'torch' in sys.modules, 'measures' in dir(wideproof))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["True", "wideproof.measures", "True", "True"], run.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import wideproof

        _ = wideproof.nope  # type: ignore[attr-defined]


FAILING = """
from wideproof.testing import assert_scaling


def test_wrong_exponent():
    assert_scaling(lambda m, s: m ** -0.5 * (1 + 0.01 * s), "width", [8, 16, 32, 64, 128, 256],
                   expected_exponent=-1.0, seeds=3)
"""


def test_assert_scaling_failures_point_at_the_caller(tmp_path: Path) -> None:
    test_file = tmp_path / "test_user.py"
    test_file.write_text(FAILING)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "expected -1 (outside the interval)" in run.stdout
    assert "test_user.py:6" in run.stdout  # the user's line is shown ...
    assert (
        "_scaling.py" not in run.stdout and "seed_list" not in run.stdout
    )  # ... the library's not
