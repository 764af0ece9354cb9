"""Tests of the ``wideproof`` command line.

Oracles: exit codes and one-line errors as the CLI contract states them; point counts checked
against the profile's grid size; the table formats compared with each other and with the stored
verdict's raw numbers; the bytes of files a reader was given, compared before and after.  Signals
and damaged stores are in ``test_faults.py``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wideproof.cli import main
from wideproof.report import VerdictTable

TESTS = Path(__file__).parent


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

    # what makes the rerun cheap (the target: < 1/10 of the first run's wall time): a fully reused
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


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--executor", "tcp://127.0.0.1:notaport"], "is not dask://HOST:PORT"),
        (["--executor", "processes:0"], "needs at least one worker"),
        (["--seeds", "1000000000"], "--seeds 1000000000 must be between 1 and 1000000"),
        (["--executor", "dask://127.0.0.1:{closed}"], "cannot reach the Dask scheduler"),
    ],
)
def test_bad_limits_and_executors_fail_fast_before_the_store(
    extra: list[str], words: str, tmp_path: Path, capsys
) -> None:
    store = tmp_path / "s.sqlite"
    extra = [a.format(closed=_closed_port()) for a in extra]
    started = time.perf_counter()
    assert main(["verify", "liu2020.hessian-width", "--store", str(store), *extra]) == 2
    seconds = time.perf_counter() - started
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and seconds < 15.0, (err, seconds)
    assert not store.exists()


def test_empty_store_path_is_one_line(capsys) -> None:
    assert main(["verify", "liu2020.hessian-width", "--store", ""]) == 2
    err = capsys.readouterr().err
    assert "result store path is empty" in err and err.count("\n") == 1


def test_readers_never_write(tmp_path: Path, capsys) -> None:
    """`table` and `plot` on an empty file, a foreign SQLite file and a valid store: one line or
    a result, and the files (and their directory) exactly as before."""
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for path, words in ((empty, "is empty"), (foreign, "not a wideproof result store")):
        for argv in (["table"], ["plot", "liu2020.hessian-width", "--out", "x.svg"]):
            assert main([*argv, "--store", str(path)]) == 2
            err = capsys.readouterr().err
            assert words in err and err.count("\n") == 1, err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_table_reads_a_store_on_read_only_media(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wideproof.sweeps import ResultStore

    store = tmp_path / "s.sqlite"
    verdict = {
        "claim_id": "a.b",
        "status": "HOLDS",
        "predicted": -0.5,
        "measured": -0.5,
        "rule": "r",
        "evidence": {},
    }
    with ResultStore(store) as st:
        st.save_verdict("a.b", "quick", verdict, [])
    files = sorted(p.name for p in tmp_path.iterdir())
    if os.geteuid() != 0:  # root writes anywhere: there, only the immutable open is checked
        tmp_path.chmod(0o555)
        try:
            assert main(["table", "--store", str(store), "--format", "csv"]) == 0
        finally:
            tmp_path.chmod(0o755)
        assert "a.b" in capsys.readouterr().out
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as on read-only media
    assert main(["table", "--store", str(store), "--format", "csv"]) == 0
    assert "a.b" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_an_error_inside_a_proof_file_is_one_line(tmp_path: Path, capsys) -> None:
    proof = tmp_path / "typo_proof.py"
    proof.write_text("import math\n\n\ndef derivation():\n    return undefined_name\n")
    assert main(["prove", str(proof)]) == 2
    err = capsys.readouterr().err
    assert f"{proof}:5: NameError: name 'undefined_name' is not defined" in err
    assert err.count("\n") == 1
