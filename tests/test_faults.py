"""Fault injection: sweeps and stores under signals, concurrent writers, damaged bytes and rows.

Every test asserts the two invariants of the result store: nothing finished is lost (each point
committed before a fault is still there and reused by the rerun) and nothing damaged is reused
(every point a store hands back equals the point computed directly, and a damaged row is
recomputed).  Oracles: plain ``sqlite3`` reads of the file, the synthetic measure recomputed
directly (``noisy_power_law``), the process table in ``/proc`` for orphaned workers.  Faults are
real: ``SIGKILL``/``SIGTERM``/``SIGINT`` to a real ``wideproof verify`` subprocess, four writer
processes on one file, bits flipped in the file, a killed Dask worker process.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from _fault_helpers import NAPPING
from _fault_measures import nan_at_odd_seeds, napping, raising
from _synthetic import noisy_power_law

from wideproof.cli import main
from wideproof.errors import ConfigError
from wideproof.sweeps import (
    Grid,
    Point,
    ResultStore,
    Task,
    check_store,
    repair_store,
    run_sweep,
)
from wideproof.sweeps._json import loads
from wideproof.sweeps._store import checksum

TESTS = Path(__file__).parent
ENV = {
    **os.environ,
    "WIDEPROOF_CLAIMS": "_fault_helpers",
    "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
}
TOTAL = len(NAPPING.tasks())  # 8 widths x 4 seeds


def _verify(store: Path, executor: str) -> list[str]:
    """The arguments of ``wideproof verify faults.napping --json`` on ``store``."""
    return ["verify", NAPPING.id, "--json", "--store", str(store), "--executor", executor]


def _keys(store: Path) -> set[str]:
    if not store.exists():
        return set()
    try:
        with sqlite3.connect(store, timeout=60) as db:
            return {k for (k,) in db.execute("SELECT key FROM points")}
    except sqlite3.OperationalError:  # tables not created yet
        return set()


def _wait_for_points(store: Path, n: int, proc: subprocess.Popen[str]) -> set[str]:
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        keys = _keys(store)
        if len(keys) >= n:
            return keys
        time.sleep(0.05)
    raise AssertionError(f"the sweep did not store {n} points ({proc.poll()=})")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            alive.add(pid)
    return alive


def _same(got: dict[str, Point], truth: dict[str, Point]) -> bool:
    """Equal points by key, provenance (times, pids) aside."""
    strip = lambda p: {k: v for k, v in p.to_json().items() if k != "provenance"}  # noqa: E731
    return got.keys() <= truth.keys() and all(strip(p) == strip(truth[k]) for k, p in got.items())


def _assert_points_are_the_measure(points: list[Point] | tuple[Point, ...]) -> None:
    for p in points:
        assert p.observations["value"].value == noisy_power_law(p.value, p.seed, -0.5)


def _start(store: Path) -> subprocess.Popen[str]:
    """``verify`` on local processes; output to files, which an orphan cannot keep us waiting on."""
    with open(store.with_suffix(".err"), "w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "wideproof.cli", *_verify(store, "processes:2")],
            env=ENV,
            text=True,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _assert_no_orphans(helpers: set[int], why: str) -> None:
    deadline = time.time() + 10
    while _running(helpers) and time.time() < deadline:
        time.sleep(0.1)
    assert not _running(helpers), f"orphans after {why}: {_running(helpers)}"


def test_sigkill_at_random_moments_loses_no_point_and_leaves_no_orphan(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs whose main process is SIGKILLed at a random moment, then a rerun (in this
    process, to save an interpreter): each kill keeps every committed point, leaves no worker
    (or forkserver) running, and the rerun computes exactly the missing points."""
    store = tmp_path / "s.sqlite"
    rng = random.Random(20261203)
    kept: set[str] = set()
    for run in range(2):
        proc = _start(store)
        _wait_for_points(store, len(kept) + 1, proc)
        helpers = _descendants(proc.pid)
        assert len(helpers) >= 2, helpers  # the workers (and the forkserver)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)  # the main process only: its workers must notice
        proc.wait(timeout=60)
        _assert_no_orphans(helpers, f"SIGKILL {run}")
        now = _keys(store)
        assert kept <= now, "a point committed before the kill is gone"
        kept = now
        assert check_store(store) == []
    assert len(kept) < TOTAL, "the kills came too late to test anything"
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "_fault_helpers")
    assert main(_verify(store, "threads:2")) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["points_reused"], doc["points_computed"]) == (len(kept), TOTAL - len(kept))
    with ResultStore(store, readonly=True) as st:
        _assert_points_are_the_measure(list(st.get_many(sorted(_keys(store))).values()))


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)]
)
def test_interrupted_sweep_stops_at_once_and_keeps_its_points(
    sig: signal.Signals, tmp_path: Path
) -> None:
    """SIGINT to the process group: one line, no worker traceback, exit 130 within seconds, every
    finished point kept, no orphan.  SIGTERM (its default action: no clean-up in the main
    process): no orphan either."""
    store = tmp_path / "s.sqlite"
    proc = _start(store)
    before = _wait_for_points(store, 2, proc)
    helpers = _descendants(proc.pid)
    sent = time.time()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # as Ctrl-C does: the workers get it too, and must stay quiet
    else:
        os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    stopped = time.time() - sent
    err = store.with_suffix(".err").read_text()
    _assert_no_orphans(helpers, sig.name)
    assert before <= _keys(store) and check_store(store) == []
    if sig == signal.SIGINT:
        lines = [ln for ln in err.splitlines() if not ln.startswith(NAPPING.id)]
        assert proc.returncode == 130 and stopped < 10.0, (proc.returncode, stopped, err)
        assert lines == [f"wideproof verify: interrupted; every finished point is kept in {store}"]


def test_four_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Four processes commit overlapping point sets into one new file at the same time."""
    path = tmp_path / "shared.sqlite"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from _fault_measures import napping
        from wideproof.results import Estimate
        from wideproof.sweeps import Grid, Point, ResultStore
        seeds = tuple(range(int(sys.argv[1]), int(sys.argv[2])))
        args = {{"a": -0.5, "sleep": 0.0}}
        with ResultStore({str(path)!r}) as store:
            for task in Grid("width", tuple(range(2, 32)), seeds).tasks(napping, args=args):
                est = Estimate(napping(task), 0.0, 0, "exact", "float64", "cpu")
                point = Point(task.key(), "width", task.value, task.seed, {{"value": est}}, {{}})
                store.put(task, point)
        """
    )
    ranges = (("0", "3"), ("2", "5"), ("4", "7"), ("0", "7"))
    procs = [subprocess.Popen([sys.executable, "-c", script, lo, hi]) for lo, hi in ranges]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert len(_keys(path)) == 30 * 7 and check_store(path) == []
    with ResultStore(path, readonly=True) as st:
        points = list(st.get_many(sorted(_keys(path))).values())
    assert len(points) == 30 * 7
    _assert_points_are_the_measure(points)


def _small_tasks() -> list[Task]:
    return Grid("width", tuple(range(2, 42)), (0, 1, 2)).tasks(
        napping, args={"a": -0.5, "sleep": 0.0}
    )


def _small_store(path: Path) -> dict[str, Point]:
    """120 points and one verdict (with an infinite band end) in a new store at ``path``."""
    tasks = _small_tasks()
    with ResultStore(path) as st:
        result = run_sweep(tasks, store=st, executor="threads:1")
        st.save_verdict("faults.napping", "quick", _VERDICT, [t.key() for t in tasks])
    return {p.key: p for p in result.points}


_VERDICT = {
    "claim_id": "faults.napping",
    "status": "HOLDS",
    "predicted": -0.5,
    "measured": -0.5,
    "rule": "r",
    "evidence": {"band": [-1.0, "inf"]},
}


def test_random_bit_flips_never_yield_a_changed_point(tmp_path: Path) -> None:
    """40 single-bit flips anywhere past the file header.  Each store either refuses to open (one
    line), or hands back only points equal to the originals, reports each damaged row in one line,
    and a sweep then restores every point; `repair` then leaves a store that passes every check
    and still holds only original points (all of them, unless the file was malformed)."""
    original = tmp_path / "orig.sqlite"
    truth = _small_store(original)
    tasks = _small_tasks()
    size = original.stat().st_size
    rng = random.Random(16)
    outcomes = dict.fromkeys(("refused", "damaged", "structure", "unchanged"), 0)
    for trial in range(40):
        copy = tmp_path / f"flip{trial}.sqlite"
        shutil.copyfile(original, copy)
        data = bytearray(copy.read_bytes())
        data[rng.randrange(100, size)] ^= 1 << rng.randrange(8)
        copy.write_bytes(bytes(data))
        lines: list[str] = []
        try:
            with ResultStore(copy, on_damage=lines.append) as st:
                got = st.get_many(list(truth))
                assert _same(got, truth), "a changed point was reused"
                result = run_sweep(tasks, store=st, executor="threads:1")
                assert result.computed == len(truth) - len(got)
            outcome = "damaged" if lines else "unchanged"
            assert all(line.count("\n") == 0 and str(copy) in line for line in lines)
        except ConfigError as exc:
            assert "\n" not in str(exc) and str(copy) in str(exc)
            outcome = "refused"
        _, dropped = repair_store(copy)
        if outcome == "unchanged" and any(d.table == "database" for d in dropped):
            outcome = "structure"  # an index page: only integrity_check sees it
        outcomes[outcome] += 1
        assert check_store(copy) == []
        with ResultStore(copy) as st:
            got = st.get_many(list(truth))
        assert _same(got, truth), "repair kept a changed point"
        assert outcome == "refused" or got.keys() == truth.keys(), "repair dropped a good point"
    assert outcomes["damaged"] + outcomes["structure"] > 0, outcomes


def test_a_malformed_store_is_refused_then_salvaged(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of garbage in the middle of the file: `verify` and `table` refuse it in one line
    (exit 2, the file untouched); `store repair` keeps every row still readable, all original."""
    path = tmp_path / "s.sqlite"
    truth = _small_store(path)
    (page_size,) = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()
    data = bytearray(path.read_bytes())
    middle = len(data) // page_size // 2
    data[middle * page_size : (middle + 1) * page_size] = random.Random(3).randbytes(page_size)
    path.write_bytes(bytes(data))
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "_fault_helpers")
    for argv in (["table"], ["verify", NAPPING.id]):
        assert main([*argv, "--store", str(path)]) == 2
        err = capsys.readouterr().err
        assert "is malformed" in err and "store repair" in err and err.count("\n") == 1, err
        assert path.read_bytes() == bytes(data)
    assert main(["store", "repair", str(path)]) == 0
    capsys.readouterr()
    assert check_store(path) == []
    with ResultStore(path) as st:
        got = st.get_many(list(truth))
    assert 0 < len(got) < len(truth) and _same(got, truth)


def test_damaged_rows_are_reported_recomputed_and_repaired(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.sqlite"
    truth = _small_store(path)
    keys = sorted(truth)
    with sqlite3.connect(path) as db:
        rows = {k: json.loads(t) for k, t in db.execute("SELECT key, point FROM points")}
        del rows[keys[1]]["knob"]  # a field missing
        rows[keys[2]]["seed"] += 1  # another seed's point under this key
        for key, text in ((keys[0], "{not json"), *((k, json.dumps(rows[k])) for k in keys[1:3])):
            db.execute("UPDATE points SET point = ? WHERE key = ?", (text, key))
        (task,) = db.execute("SELECT task FROM points WHERE key = ?", (keys[1],)).fetchone()
        resum = checksum(keys[1], task, json.dumps(rows[keys[1]]))  # only the schema check is left
        db.execute("UPDATE points SET checksum = ? WHERE key = ?", (resum, keys[1]))
        db.execute("UPDATE verdicts SET verdict = '{\"claim_id\": 1'")
    damaged = set(keys[:3])

    assert main(["store", "check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{path}: 4 damaged rows" and len(out) == 5
    assert {k for k in damaged if any(k in line for line in out)} == damaged

    assert main(["table", "--store", str(path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"] == []  # the damaged verdict is not shown
    (line,) = captured.err.splitlines()
    assert "damaged verdicts row faults.napping/quick" in line and "treated as missing" in line

    lines: list[str] = []
    with ResultStore(path, on_damage=lines.append) as st:
        result = run_sweep(_small_tasks(), store=st, executor="threads:1")
    assert (result.computed, result.reused) == (3, len(truth) - 3) and len(lines) == 3
    assert len(result.points) == len(truth) and _same({p.key: p for p in result.points}, truth)

    with sqlite3.connect(path) as db:  # damage again, then repair: only the damaged go
        db.execute("UPDATE points SET checksum = 'x' WHERE key = ?", (keys[5],))
    assert main(["store", "repair", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and keys[5] in out[0] and "dropped 2 damaged rows" in out[-1]
    backup = Path(out[-1].rpartition(" ")[2])
    assert len(_keys(backup)) == len(truth) and _keys(path) == set(keys) - {keys[5]}
    assert check_store(path) == []


def test_a_measure_raising_at_one_point_loses_no_other_point(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    grid = Grid("width", (16, 32, 64), (0, 1, 2))
    tasks = grid.tasks(raising, args={"bad": [32, 1]})
    with ResultStore(path) as st:
        first = run_sweep(tasks, store=st, executor="threads:2")
    (failure,) = first.failures
    assert failure.startswith("width=32 seed=1: ValueError: planted failure at width=32 seed=1")
    assert failure.endswith("[in the measure: _fault_measures.py:26 in raising]")
    assert first.computed == 8 and len(_keys(path)) == 8
    _assert_points_are_the_measure(first.points)
    with ResultStore(path) as st:
        again = run_sweep(tasks, store=st, executor="threads:2")
    assert (again.computed, again.reused, len(again.failures)) == (0, 8, 1)

    nan_tasks = grid.tasks(nan_at_odd_seeds)
    with ResultStore(path) as st:
        nan = run_sweep(nan_tasks, store=st, executor="threads:2")
    assert nan.computed == 6 and len(nan.failures) == 3
    assert all("returned NaN" in f for f in nan.failures) and len(_keys(path)) == 8 + 6


def test_dask_worker_killed_mid_sweep_loses_no_point(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "s.sqlite"
    tasks = Grid("width", (16, 32, 64, 128), (0, 1, 2, 3)).tasks(
        napping, args={"a": -0.5, "sleep": 0.3}
    )
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        ResultStore(path) as st,
    ):
        pids = client.run(os.getpid)
        victim = next(iter(pids.values()))

        def kill_when_started() -> None:
            deadline = time.time() + 120
            while len(_keys(path)) < 3 and time.time() < deadline:
                time.sleep(0.05)
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_started)
        killer.start()
        result = run_sweep(tasks, store=st, executor=client)
        killer.join()
    assert not _running({victim})
    assert result.failures == () and result.computed == 16
    assert len(_keys(path)) == 16
    _assert_points_are_the_measure(result.points)


def test_strict_json_for_infinite_evidence(tmp_path: Path, capsys, monkeypatch) -> None:
    """A threshold at infinity (the verdict's prediction) is written as the string "inf", never
    Infinity."""
    monkeypatch.setenv("WIDEPROOF_CLAIMS", "_fault_helpers")
    store = tmp_path / "s.sqlite"
    argv = ["verify", "faults.unbounded-threshold", "--json", "--store", str(store)]
    assert main([*argv, "--executor", "threads:1"]) == 0
    out = capsys.readouterr().out
    doc = loads(out)  # strict: rejects Infinity and NaN tokens
    assert doc["verdicts"][0]["predicted"] == "inf"
    with sqlite3.connect(store) as db:
        texts = [t for (t,) in db.execute("SELECT verdict FROM verdicts")]
        texts += [t for (t,) in db.execute("SELECT point FROM points")]
    for text in texts:
        loads(text)
        assert "Infinity" not in text and "NaN" not in text
    assert math.isinf(float(loads(texts[0])["predicted"]))
