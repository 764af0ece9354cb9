"""Series in the store: a measure's per-step sequences are stored with the point, reused without
re-running, drawn by ``wideproof plot`` (trajectory and threshold claims) and listed by
``wideproof table --points``; a declared 1.001 threshold prints as 1.001."""

from __future__ import annotations

import json
import math

import pytest

from wideproof.cli import main
from wideproof.results import Estimate
from wideproof.sweeps import Point, ResultStore


@pytest.fixture
def store(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "_claims_helpers")
    path = str(tmp_path / "s.sqlite")
    argv = ["verify", "helpers.trajectory", "--store", path, "--executor", "threads:1", "--json"]
    assert main(argv) == 0  # HOLDS: the trajectories end at 1/16 and 2/16
    capsys.readouterr()
    return path


def test_series_are_stored_and_reused(store, capsys) -> None:  # type: ignore[no-untyped-def]
    with ResultStore(store, readonly=True) as s:
        from _claims_helpers import TRAJECTORY

        points = s.get_many([t.key() for t in TRAJECTORY.tasks("quick")])
    assert len(points) == 4
    for p in points.values():
        assert p.series["step"] == (0.0, 1.0, 2.0, 3.0, 4.0)
        assert p.series["y"] == tuple(p.value * 2.0**-t for t in range(5))
    argv = ["verify", "helpers.trajectory", "--store", store, "--executor", "threads:1", "--json"]
    main(argv)
    out = json.loads(capsys.readouterr().out)
    assert out["verdicts"][0]["points_computed"] == 0 and out["verdicts"][0]["points_reused"] == 4


def test_plot_and_points_table_of_a_trajectory_claim(store, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "t.png"
    assert main(["plot", "helpers.trajectory", "--store", store, "--out", str(png)]) == 0
    assert png.stat().st_size > 1000
    assert main(["table", "--points", "--format", "csv", "--store", store]) == 0
    text = capsys.readouterr().out
    assert "helpers.trajectory,quick,width,2.0,1,final,0.125,inf" in text and "y[5]" in text
    assert main(["table", "--store", store]) == 0
    assert "| 1.001 |" in capsys.readouterr().out


def test_point_json_keeps_series_and_old_points_still_parse() -> None:
    est = Estimate(1.0, math.inf, 0, "reported", "float64", "cpu")
    p = Point("k", "width", 1.0, 0, {"v": est}, {}, series={"s": (1.0, math.nan, math.inf)})
    back = Point.from_json(json.loads(json.dumps(p.to_json())))
    assert back.series["s"][0] == 1.0 and math.isnan(back.series["s"][1])
    old = Point("k", "width", 1.0, 0, {"v": est}, {}).to_json()
    assert "series" not in old and Point.from_json(old).series == {}
    with pytest.raises(ValueError, match="series"):
        Point.from_json({**old, "series": {"s": ["x"]}})
