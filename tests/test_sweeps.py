"""Tests of grids, task keys, the SQLite store and sweep execution.

Oracles: the synthetic measure's values are recomputed directly (``noisy_power_law``); stored
points are compared with freshly computed ones; store contents are counted with plain ``sqlite3``
queries; corrupt and foreign files are made by hand.  The Dask test compares a LocalCluster run
with the local executor's numbers, bit for bit.
"""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from _claims_helpers import noisy_power_law, power_law

from wideproof.errors import ConfigError
from wideproof.families import MLP
from wideproof.results import Estimate
from wideproof.sweeps import Grid, ResultStore, Task, check_store, compute, run_sweep
from wideproof.sweeps._store import FORMAT

TESTS = Path(__file__).parent


def _tasks(seeds: int = 3, a: float = -0.5) -> list[Task]:
    return Grid("width", (16, 32, 64), tuple(range(seeds))).tasks(power_law, args={"a": a})


def test_grid_iterates_values_outermost_and_validates() -> None:
    g = Grid("width", (8, 16), (0, 1))
    assert list(g) == [(8, 0), (8, 1), (16, 0), (16, 1)] and len(g) == 4
    for bad in [
        ("width", (), (0,)),
        ("width", (8, 8), (0,)),
        ("width", (8,), (-1,)),
        ("wid th", (8,), (0,)),
        ("width", (float("nan"),), (0,)),
    ]:
        with pytest.raises(ConfigError):
            Grid(*bad)


def test_task_key_is_stable_and_sensitive() -> None:
    spec = MLP(input_dim=2, width=8)
    base = Task(power_law, spec, "width", 8, 0, {"a": -0.5})
    same = Task(power_law, MLP(input_dim=2, width=8), "width", 8, 0, {"a": -0.5})
    assert base.key() == same.key()
    variants = [
        Task(power_law, spec, "width", 8, 1, {"a": -0.5}),
        Task(power_law, spec, "width", 8, 0, {"a": -0.4}),
        Task(power_law, spec, "width", 8, 0, {"a": -0.5}, dtype="float32"),
        Task(power_law, spec, "width", 8, 0, {"a": -0.5}, device="cuda"),
        Task(power_law, MLP(input_dim=2, width=8, activation="gelu"), "width", 8, 0, {"a": -0.5}),
        Task(noisy_power_law, spec, "width", 8, 0, {"a": -0.5}),  # type: ignore[arg-type]
    ]
    assert len({base.key(), *(t.key() for t in variants)}) == 1 + len(variants)


def test_task_rejects_unpicklable_measures_and_bad_args() -> None:
    with pytest.raises(ConfigError, match="module-level"):
        Task(lambda t: 1.0, None, "width", 8, 0)
    with pytest.raises(ConfigError, match="JSON"):
        Task(power_law, None, "width", 8, 0, {"a": object()})
    with pytest.raises(ConfigError, match="dtype"):
        Task(power_law, None, "width", 8, 0, {"a": 1}, dtype="float16")


def test_compute_wraps_floats_and_booleans() -> None:
    from _claims_helpers import flags

    point = compute(Task(flags, None, "width", 4, 2))
    assert point.observations["event"].value == 1.0
    reported = Estimate(4.0, float("inf"), 0, "reported", "float64", "cpu")
    assert point.observations["size"] == reported
    assert point.provenance["torch"] and point.provenance["seconds"] >= 0.0
    value = compute(Task(power_law, None, "width", 64, 1, {"a": -0.5})).observations["value"]
    assert value.value == noisy_power_law(64, 1, -0.5)


def test_sweep_computes_then_reuses(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    stream = io.StringIO()
    with ResultStore(path) as store:
        first = run_sweep(_tasks(), store=store, executor="threads:2", progress=True, stream=stream)
    assert (first.computed, first.reused) == (9, 0)
    assert stream.getvalue().count("\n") == 9 and "width=64 seed=2" in stream.getvalue()
    for p in first.points:
        assert p.observations["value"].value == noisy_power_law(p.value, p.seed, -0.5)
    with ResultStore(path) as store:
        again = run_sweep(_tasks(seeds=4), store=store, executor="threads:2")
    assert (again.computed, again.reused) == (3, 9)
    assert again.points[:3] == first.points[:3]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM points").fetchone() == (12,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_corrupt_foreign_and_unwritable_files(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database at all" * 100)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases = [
        (corrupt, "not an SQLite database"),
        (foreign, "not a wideproof result store"),
        (tmp_path, "is a directory"),
        (blocker / "s.sqlite", "not an existing directory"),
    ]
    for path, words in cases:
        with pytest.raises(ConfigError, match=words) as info:
            ResultStore(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="no result store"):
        ResultStore(tmp_path / "missing.sqlite", readonly=True)


def test_dask_local_cluster_gives_the_same_numbers_as_local_processes() -> None:
    import distributed

    from wideproof.claims.liu2020 import hessian_norm_at_one_input, ntk_tanh_mlp

    grid = Grid("width", (8, 16, 32), (0, 1))
    args = {"tol": 1e-8, "control_output": "softplus"}
    tasks = grid.tasks(hessian_norm_at_one_input, ntk_tanh_mlp, args=args)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        ResultStore(":memory:") as store,
    ):
        on_dask = run_sweep(tasks, store=store, executor=client)
    with ResultStore(":memory:") as store:
        local = run_sweep(tasks, store=store, executor="processes:2")  # the default kind
    assert [p.observations for p in on_dask.points] == [p.observations for p in local.points]
    assert os.getpid() not in {p.provenance["pid"] for p in local.points}
    assert on_dask.computed == local.computed == 6


def test_schema_1_store_is_read_and_upgraded(tmp_path: Path) -> None:
    """A store written before checksums (schema 1, JSON as ``json.dumps`` wrote it): a reader
    validates its rows by content alone; the first writer adds checksums to the valid rows."""
    import json

    path = tmp_path / "old.sqlite"
    tasks = _tasks(seeds=1)
    points = [compute(t) for t in tasks]
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE points (key TEXT PRIMARY KEY, task TEXT NOT NULL, point TEXT NOT NULL,"
            " stored REAL NOT NULL)"
        )
        db.execute(
            "CREATE TABLE verdicts (claim_id TEXT NOT NULL, profile TEXT NOT NULL, verdict TEXT"
            " NOT NULL, keys TEXT NOT NULL, stored REAL NOT NULL, PRIMARY KEY (claim_id, profile))"
        )
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("schema", "1")])
        rows = [
            (p.key, json.dumps(t.describe()), json.dumps(p.to_json()), 0.0)
            for t, p in zip(tasks, points, strict=True)
        ]
        rows[2] = (*rows[2][:2], "{not json", 0.0)
        db.executemany("INSERT INTO points VALUES (?, ?, ?, ?)", rows)
    keys = [p.key for p in points]
    lines: list[str] = []
    with ResultStore(path, readonly=True, on_damage=lines.append) as st:
        assert st.schema == 1 and st.get_many(keys).keys() == set(keys[:2])
    assert len(lines) == 1 and keys[2] in lines[0]
    with ResultStore(path, on_damage=lines.append) as st:
        assert st.schema == 2
        again = run_sweep(tasks, store=st, executor="threads:1")
    assert (again.computed, again.reused) == (1, 2)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == ("2",)
        assert db.execute("SELECT COUNT(*) FROM points WHERE checksum IS NULL").fetchone() == (0,)
    assert check_store(path) == []
