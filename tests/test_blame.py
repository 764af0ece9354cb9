"""Errors that blame the right thing: a bug inside a measure is reported with the point, the
exception and the measure's own frames (threads and worker processes), and a non-string key is the
caller's error, not a store failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from _fault_measures import buggy

from wideproof.errors import ConfigError
from wideproof.sweeps import Grid, ResultStore, run_sweep


@pytest.mark.parametrize("executor", ["threads:1", "processes:1"])
def test_a_bug_in_a_measure_names_the_point_and_the_measures_frames(
    tmp_path: Path, executor: str
) -> None:
    tasks = Grid("width", (16,), (0,)).tasks(buggy)
    with ResultStore(tmp_path / "s.sqlite") as st:
        result = run_sweep(tasks, store=st, executor=executor)
    (line,) = result.failures
    assert line.startswith("width=16 seed=0: TypeError: object of type 'method' has no len()")
    assert "_fault_measures.py" in line and "in buggy -> _fault_measures.py" in line
    assert line.endswith("in _helper]") and "store" not in line


def test_a_key_that_is_not_a_string_is_the_callers_error(tmp_path: Path) -> None:
    (task,) = Grid("width", (16,), (0,)).tasks(buggy)
    with ResultStore(tmp_path / "s.sqlite") as st:
        with pytest.raises(
            ConfigError, match=r"keys must be str; got method \(call it: task.key\(\)\)"
        ):
            st.get_many([task.key])  # type: ignore[list-item]
        assert st.get_many([task.key()]) == {}


def _family(width: float) -> object:
    return {"width": width}["depth"]  # a user's bug: KeyError


def test_a_bug_in_a_family_is_the_claims_family_error() -> None:
    from wideproof.claims import Claim, Profile, ThresholdRule
    from wideproof.cli import _check_family

    claim = Claim(
        id="user.buggy-family",
        paper="synthetic",
        statement="-",
        knob="width",
        measure=buggy,
        rule=ThresholdRule("value", at_most=1.0),
        profiles={"quick": Profile((16,), (0,)), "full": Profile((16,), (0,))},
        family=_family,  # type: ignore[arg-type]
    )
    with pytest.raises(ConfigError) as info:
        _check_family(claim, "quick")
    text = str(info.value)
    assert text.startswith("claim user.buggy-family: its family raised KeyError: 'depth'")
    assert "[in the family: " in text and "test_blame.py:" in text and text.endswith(" in _family]")
