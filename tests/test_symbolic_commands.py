"""Tests of ``wideproof prove`` / ``wideproof bounds`` (the functions cli.py calls).

Oracle: proof files written here with a known-false step, whose failure must be reported by file
and step, and the JSON documents parsed back and compared with the bound registry.
"""

import json
from pathlib import Path

import pytest

from wideproof.symbolic import all_bounds
from wideproof.symbolic.commands import bounds_command, prove_command

ROOT = Path(__file__).resolve().parents[1]

FALSE_PROOF = """
import sympy as sp
from wideproof.symbolic import Derivation

m = sp.Symbol("m", positive=True)


def derivation():
    d = Derivation("toy", assumptions=[m > 1])
    d.eq((m + 1)**2, m**2 + 2*m + 1, why="expand")
    d.le(m, 1/m, why="wrong on purpose")
    return d
"""


def test_prove_names_the_file_and_the_failing_step(tmp_path: Path, capsys) -> None:
    path = tmp_path / "false_proof.py"
    path.write_text(FALSE_PROOF)
    assert prove_command([str(path)], as_json=False) == 1
    out = capsys.readouterr().out
    assert f"FAILED {path} :: toy :: step 2 (le) REFUTED" in out
    assert "counterexample: m=" in out


def test_prove_json_of_a_true_file(capsys) -> None:
    path = ROOT / "proofs" / "dag_proof.py"
    assert prove_command([str(path)], as_json=True) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["derivations"][0]["file"] == str(path)
    statuses = {s["status"] for s in doc["derivations"][0]["steps"]}
    assert statuses <= {"PROVEN", "ASSUMED"}
    assumed = [s for s in doc["derivations"][0]["steps"] if s["status"] == "ASSUMED"]
    assert all(s["reference"] for s in assumed)


def test_prove_usage_errors(tmp_path: Path, capsys) -> None:
    assert prove_command([str(tmp_path / "missing.py")], as_json=False) == 2
    empty = tmp_path / "empty_proof.py"
    empty.write_text("x = 1\n")
    assert prove_command([str(empty)], as_json=False) == 2
    assert "derivation()" in capsys.readouterr().err


@pytest.mark.slow
def test_prove_json_over_the_whole_proofs_folder(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert prove_command([], as_json=True) == 0
    doc = json.loads(capsys.readouterr().out)
    files = {d["file"] for d in doc["derivations"]}
    assert len(files) >= 13
    for d in doc["derivations"]:
        for s in d["steps"]:
            assert s["status"] in ("PROVEN", "TRIVIAL") or (
                s["status"] == "ASSUMED" and s["reference"]
            )
        assert d["ok"] and d["counts"]["PROVEN"] + d["counts"]["ASSUMED"] > 0


def test_bounds_formats(capsys) -> None:
    assert bounds_command("json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in doc] == [b.name for b in all_bounds()]
    fc = next(b for b in doc if b["name"] == "liu2020.fc-hessian")
    assert fc["exponents"]["m"] == {"power": "-1/2", "log_power": "1/2"}
    assert bounds_command("markdown") == 0
    assert capsys.readouterr().out.count("\n| `") == len(doc)
    assert bounds_command("latex") == 0
    assert r"\toprule" in capsys.readouterr().out
    assert bounds_command("html") == 2


AMGM_PROOF = """
import sympy as sp
from wideproof.symbolic import Derivation

a, b = sp.symbols("a b", positive=True)


def derivation():
    return Derivation("am-gm").le(sp.sqrt(a * b), (a + b) / 2)
"""


def test_prove_second_opinion_reruns_z3_proofs_with_cvc5(tmp_path: Path, capsys) -> None:
    pytest.importorskip("cvc5")
    path = tmp_path / "amgm_proof.py"
    path.write_text(AMGM_PROOF)
    assert prove_command([str(path)], as_json=False, second_opinion=True) == 0
    assert "second opinion (cvc5): 1 of 1 z3 proofs confirmed" in capsys.readouterr().out
    assert prove_command([str(path)], as_json=True, second_opinion=True) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["second_opinion"] == [{"derivation": "am-gm", "step": 1, "cvc5": "unsat"}]
