"""``wideproof list|verify --claims FILE.py``: claims declared in a user's own Python file.

In-process runs of :func:`wideproof.cli.main` get a fresh registry, ``sys.path`` and module table
(the ``registry`` fixture), so a user file loaded here never leaks into other tests; one run in a
subprocess with a process pool checks that sweep workers import the file's measure by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wideproof import claims
from wideproof.claims import _registry
from wideproof.cli import main

ROOT = Path(__file__).resolve().parents[1]

CLAIM_FILE = '''
from wideproof.claims import Claim, ExponentRule, Profile


def decay(task):
    """y = (1 + seed) * width ** -0.5: an exact power law, the constant varying by seed."""
    return (1.0 + task.seed) * float(task.value) ** -0.5


PROFILES = {{"quick": Profile((8, 16, 32, 64), (0, 1, 2)), "full": Profile((8, 16, 32, 64), (0, 1, 2))}}

LAW = Claim(
    id="{id}",
    paper="synthetic",
    statement="y ~ width^-1/2",
    knob="width",
    measure=decay,
    rule=ExponentRule("value", predicted=-0.5),
    profiles=PROFILES,
)
'''


def claim_file(folder: Path, stem: str, claim_id: str = "user.decay") -> Path:
    path = folder / f"{stem}.py"
    path.write_text(CLAIM_FILE.format(id=claim_id))
    return path


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry, ``sys.path`` and module table of this test's own."""
    monkeypatch.setattr(_registry, "_registered", {})
    monkeypatch.setattr(_registry, "_from_files", {})
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("user_claims_") or name == "cnn_claims":
            del sys.modules[name]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("registry")
def test_list_shows_the_file_claims_next_to_the_built_in_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = claim_file(tmp_path, "user_claims_list")
    code, out, _ = run(["list", "--json", "--claims", str(path)], capsys)
    ids = [c["id"] for c in json.loads(out)]
    assert code == 0
    assert "user.decay" in ids and "liu2020.hessian-width" in ids


@pytest.mark.usefixtures("registry")
def test_verify_runs_the_file_claim_and_stores_it_under_its_user_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = claim_file(tmp_path, "user_claims_verify")
    store = tmp_path / "store.sqlite"
    argv = ["verify", "--claims", str(path), "user.decay", "--store", str(store)]
    code, out, _ = run([*argv, "--executor", "threads:1", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0
    assert doc["verdicts"][0]["claim_id"] == "user.decay"
    assert doc["verdicts"][0]["status"] == "HOLDS"
    assert doc["points_computed"] == 12
    code, out, _ = run(["table", "--claims", str(path), "--store", str(store)], capsys)
    assert code == 0 and "user.decay" in out


@pytest.mark.usefixtures("registry")
def test_loading_the_same_file_again_replaces_its_claims(tmp_path: Path) -> None:
    path = claim_file(tmp_path, "user_claims_again")
    first = claims.load_file(path)
    second = claims.load_file(path)
    assert [c.id for c in first] == [c.id for c in second] == ["user.decay"]
    assert claims.get("user.decay") is second[0]


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize(
    ("stem", "claim_id", "argv_id", "message"),
    [
        ("user_claims_unknown", "user.decay", "user.decays", "unknown claim id 'user.decays'"),
        ("user_claims_namespace", "mine.decay", "mine.decay", "must be in the user. namespace"),
        ("json", "user.decay", "user.decay", "the module name 'json' is already taken"),
    ],
)
def test_bad_claim_files_and_ids_are_one_line_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stem: str,
    claim_id: str,
    argv_id: str,
    message: str,
) -> None:
    path = claim_file(tmp_path, stem, claim_id)
    code, out, err = run(["verify", "--claims", str(path), argv_id], capsys)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.usefixtures("registry")
def test_a_file_without_claims_or_no_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "user_claims_empty.py"
    empty.write_text("X = 1\n")
    code, _, err = run(["list", "--claims", str(empty)], capsys)
    assert code == 2 and "declares no Claim" in err
    code, _, err = run(["list", "--claims", str(tmp_path / "missing.py")], capsys)
    assert code == 2 and "is not a Python (.py) file" in err


@pytest.mark.usefixtures("registry")
def test_two_files_declaring_one_id_collide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = claim_file(tmp_path, "user_claims_a")
    b = claim_file(tmp_path, "user_claims_b")
    code, _, err = run(["list", "--claims", str(a), "--claims", str(b)], capsys)
    assert code == 2 and "claim id 'user.decay' is already registered" in err


def test_process_workers_import_the_file_measure(tmp_path: Path) -> None:
    """The default executor's workers are other processes: they import the measure by name."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    path = claim_file(folder, "user_claims_workers")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    argv = ["verify", "--claims", str(path), "user.decay", "--store", str(tmp_path / "s.sqlite")]
    proc = subprocess.run(
        [sys.executable, "-m", "wideproof.cli", *argv, "--executor", "processes:2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "HOLDS" in proc.stdout and "12 points computed" in proc.stdout


@pytest.mark.usefixtures("registry")
def test_the_worked_example_file_is_the_one_the_guide_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = ROOT / "docs" / "examples" / "cnn_claims.py"
    page = (ROOT / "docs" / "guide" / "your-architecture.md").read_text()
    start = page.index("```python\n# cnn_claims.py\n") + len("```python\n")
    assert page[start : page.index("```", start)] == example.read_text()
    code, out, _ = run(["list", "--claims", str(example)], capsys)
    assert code == 0 and "user.cnn-top-eigenvalue-width" in out
