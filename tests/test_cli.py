"""Tests of the ``wideproof`` command line.

Oracles: exit codes and one-line errors as the CLI contract states them; point counts checked
against the profile's grid size and against a plain ``sqlite3`` count of the store after a real
``SIGKILL`` of a real subprocess; the table formats compared with each other and with the stored
verdict's raw numbers.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wideproof.cli import main
from wideproof.report import VerdictTable

TESTS = Path(__file__).parent
SLOW_POINTS = 8 * 3  # helpers.slow-sweep: 8 widths x 3 seeds


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_verify_liu2020_twice_reuses_every_point(tmp_path: Path, capsys) -> None:
    """Acceptance: the second run reports every point reused (and computes none)."""
    store = str(tmp_path / "s.sqlite")
    argv = ["verify", "liu2020.hessian-width", "--json", "--store", store]
    code, first = _json(capsys, argv)
    assert code == 0, first
    (verdict,) = first["verdicts"]
    assert verdict["status"] == "HOLDS" and verdict["claim_id"] == "liu2020.hessian-width"
    assert first["points_computed"] == 35 and first["points_reused"] == 0
    code, second = _json(capsys, argv)
    assert code == 0
    assert second["points_computed"] == 0 and second["points_reused"] == 35
    assert second["verdicts"][0]["measured"] == verdict["measured"]

    # what makes the rerun cheap (issue 4: < 1/10 of the first run's wall time): a fully reused
    # verify, in a fresh interpreter, never imports torch or sympy
    probe = (
        "import sys; from wideproof.cli import main; code = main(sys.argv[1:]); "
        "heavy = [m for m in ('torch', 'sympy') if m in sys.modules]; "
        "sys.exit(f'imported {heavy}' if heavy else code)"
    )
    rerun = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["points_reused"] == 35

    # tables from the store render the same numbers in every format
    outputs = {}
    for fmt in ("latex", "markdown", "csv", "json"):
        assert main(["table", "--store", store, "--format", fmt]) == 0
        outputs[fmt] = capsys.readouterr().out
    table = VerdictTable.from_json(json.loads(outputs["json"]))
    # (compared as JSON: the summary row of a multi-part verdict holds NaNs, and NaN != NaN)
    assert VerdictTable.from_json(table.to_json()).to_json() == table.to_json()
    summary, row, control = table.rows  # the verdict, then its parts: the claim, the control
    assert summary.status == verdict["status"] and control.claim_id.endswith(
        "(control: softplus output)"
    )
    assert row.claim_id == "liu2020.hessian-width (claim)"
    assert row.measured == verdict["measured"]
    assert repr(row.measured) in outputs["csv"] and repr(row.ci_low) in outputs["csv"]
    for fmt in ("latex", "markdown"):
        for x in (row.measured, row.ci_low, row.ci_high):
            assert f"{x:.3g}" in outputs[fmt]
    assert "\\toprule" in outputs["latex"] and "\\bottomrule" in outputs["latex"]

    out = tmp_path / "fig.svg"
    assert main(["plot", "liu2020.hessian-width", "--store", store, "--out", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()


def test_sigkill_mid_sweep_then_rerun_computes_only_the_missing(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    env = {
        **os.environ,
        "WIDEPROOF_CLAIMS": "_claims_helpers",
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [
        sys.executable,
        "-m",
        "wideproof.cli",
        "verify",
        "helpers.slow-sweep",
        "--json",
        "--store",
        str(store),
        "--executor",
        "threads:2",
    ]
    proc = subprocess.Popen(
        argv, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    stored = 0
    while stored < 4 and time.time() < deadline:
        time.sleep(0.2)
        if store.exists():
            try:
                with sqlite3.connect(store, timeout=60) as db:
                    stored = db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
            except sqlite3.OperationalError:  # tables not created yet
                stored = 0
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI (in its own process group)
    proc.wait(timeout=30)
    with sqlite3.connect(store, timeout=60) as db:  # a loaded machine may still hold the lock
        kept = db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    assert 4 <= kept < SLOW_POINTS
    rerun = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    doc = json.loads(rerun.stdout)
    assert doc["points_reused"] == kept and doc["points_computed"] == SLOW_POINTS - kept


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["verify", "liu2020.hessian-widht"], "did you mean liu2020.hessian-width"),
        (["verify", "liu2020.hessian-width", "--profile", "huge"], "profile='huge'"),
        (["verify", "--all", "liu2020.hessian-width"], "not both"),
        (["verify", "liu2020.hessian-width", "--device", "tpu"], "device='tpu'"),
        (
            ["verify", "liu2020.hessian-width", "--seeds", "1", "--store", ":memory:"],
            "at least 2 seeds and 2 width values",
        ),
        (
            ["plot", "liu2020.hessian-width", "--out", "x.png", "--store", "/nonexistent/s.sqlite"],
            "no result store",
        ),
        (["verify"], "give claim ids or --all"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(argv: list[str], words: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_unreachable_dask_scheduler(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path) -> None:
    import wideproof.sweeps._execute as execute

    monkeypatch.setattr(execute, "DASK_TIMEOUT_S", 1.0)
    argv = [
        "verify",
        "liu2020.hessian-width",
        "--executor",
        "dask://127.0.0.1:9",
        "--store",
        str(tmp_path / "s.sqlite"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at dask://127.0.0.1:9" in err and err.count("\n") == 1


@pytest.mark.parametrize("kind", ["unwritable", "corrupt"])
def test_bad_store_files(kind: str, tmp_path: Path, capsys) -> None:
    if kind == "unwritable":
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        path = blocker / "s.sqlite"  # its directory is a regular file: nothing can create it
    else:
        path = tmp_path / "s.sqlite"
        path.write_bytes(os.urandom(4096))
    assert main(["verify", "liu2020.hessian-width", "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and err.count("\n") == 1


def test_list_json(capsys) -> None:
    code, doc = _json(capsys, ["list", "--json"])
    assert code == 0
    (liu,) = [c for c in doc if c["id"] == "liu2020.hessian-width"]
    assert liu["knob"] == "width" and set(liu["profiles"]) == {"quick", "full"}


def test_failing_claim_exits_1(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "_claims_helpers")
    argv = [
        "verify",
        "helpers.wrong-exponent",
        "helpers.power-law",
        "--executor",
        "threads",
        "--store",
        ":memory:",
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "FAILS" in out and "HOLDS" in out and "| helpers.wrong-exponent |" in out
