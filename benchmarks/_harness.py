"""Shared machinery of the benchmarks: one process per competitor, pinned threads, ratio tables.

Every benchmark script is both the *driver* (``python benchmarks/bench_x.py``) and the *worker*
(``... --worker NAME --dtype float32 --ref VALUE``).  The driver starts one fresh process per
competitor and dtype with OpenBLAS/OpenMP/MKL pinned to one thread (torch is pinned inside the
worker by :func:`pin_threads`), reads one ``RESULT {json}`` line back, and prints a Markdown table.

Competitors run under ``BENCH_PYTHON``: ``$WIDEPROOF_BENCH_PYTHON`` if set, else
``/work/benchenv/bin/python`` if it exists (the separate environment of ``benchmarks/README.md``),
else the current interpreter (then the anchors that are not installed report "not installed").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PIN_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_DEFAULT_ENV = Path("/work/benchenv/bin/python")
BENCH_PYTHON = os.environ.get(
    "WIDEPROOF_BENCH_PYTHON", str(_DEFAULT_ENV) if _DEFAULT_ENV.exists() else sys.executable
)
RESULT_TAG = "RESULT "

Worker = Callable[[argparse.Namespace], dict[str, Any]]


class NotInstalled(Exception):
    """Raised by a worker whose competitor library cannot be imported."""


def pin_threads() -> None:
    """One intra-op and one inter-op torch thread (call first thing in a worker)."""
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (interop threads can be set once per process)
        pass


def timed(
    fn: Callable[[], Any], repeats: int, min_total_s: float = 0.0, max_repeats: int = 50
) -> tuple[Any, list[float]]:
    """Run ``fn`` ``repeats`` times, and more (up to ``max_repeats``) until the runs add up to
    ``min_total_s``; return the last result and the wall times in seconds."""
    times: list[float] = []
    out: Any = None
    while len(times) < repeats or (sum(times) < min_total_s and len(times) < max_repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def summary(times: Sequence[float]) -> dict[str, float]:
    """Median, min and max of a list of timings."""
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def worker_main(
    workers: dict[str, Worker], extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> bool:
    """If this process was started as a worker, run it, print its RESULT line and return True."""
    if "--worker" not in sys.argv:
        return False
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True, choices=sorted(workers))
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--ref", type=float, default=float("nan"))
    parser.add_argument("--repeats", type=int, default=3)
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    pin_threads()
    try:
        out = workers[args.worker](args)
    except NotInstalled as exc:
        out = {"error": f"not installed: {exc}"}
    out = {"name": args.worker, "dtype": args.dtype, **out}
    print(RESULT_TAG + json.dumps(out), flush=True)
    return True


def run_worker(script: str | Path, name: str, *args: str, timeout: float = 600.0) -> dict[str, Any]:
    """Run one competitor in its own pinned process and return its RESULT record."""
    cmd = [BENCH_PYTHON, str(script), "--worker", name, *args]
    env = {**os.environ, **PIN_ENV}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"name": name, "error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            record: dict[str, Any] = json.loads(line[len(RESULT_TAG) :])
            return record
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"name": name, "error": f"exit {proc.returncode}: " + " | ".join(tail)}


def interleaved(
    script: str | Path,
    jobs: Sequence[tuple[str, Sequence[str]]],
    rounds: int,
    timeout: float = 600.0,
) -> list[dict[str, Any]]:
    """Run every job once per round, round after round, and merge each job's records.

    On a shared machine the load from other processes drifts; interleaving the competitors spreads
    that drift over all of them instead of penalizing whichever ran during a busy minute.  The
    merged record keeps the first round's fields (value, accuracy, cold time) and takes
    ``min_s`` as the best over all rounds and ``median_s`` as the median of the rounds' medians.
    """
    merged: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(jobs))}
    for r in range(rounds):
        for i, (name, args) in enumerate(jobs):
            rec = run_worker(script, name, *args, timeout=timeout)
            merged[i].append(rec)
            status = rec.get("error") or f"best {rec['min_s']:.4f} s"
            print(
                f"  round {r + 1}/{rounds}  {name:24s} {' '.join(args)[:40]:40s} {status}",
                flush=True,
            )
    out = []
    for i in range(len(jobs)):
        recs = merged[i]
        ok = [q for q in recs if "error" not in q]
        if not ok:
            out.append(recs[0])
            continue
        first = dict(ok[0])
        first["min_s"] = min(q["min_s"] for q in ok)
        first["median_s"] = statistics.median(q["median_s"] for q in ok)
        first["round_min_s"] = [q["min_s"] for q in ok]
        first["correct"] = all(q.get("correct", True) for q in ok)
        out.append(first)
    return out


DTYPES: tuple[str, ...] = ("float32", "float64")


def per_dtype(
    script: str | Path, names: Sequence[str], args: Sequence[str], rounds: int
) -> list[dict[str, Any]]:
    """:func:`interleaved` over every competitor in ``names`` for each of :data:`DTYPES` (worker
    arguments ``--dtype D`` plus ``args``); each record carries its ``dtype``."""
    jobs = [(name, ["--dtype", dtype, *args]) for dtype in DTYPES for name in names]
    records = interleaved(script, jobs, rounds)
    for rec, (_, job_args) in zip(records, jobs, strict=True):
        rec.setdefault("dtype", job_args[1])
    return records


def machine_info() -> dict[str, str]:
    """Date, CPU model, Python, and the torch/numpy/scipy versions of ``BENCH_PYTHON``."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = (
        "import json,torch,numpy,scipy;print(json.dumps({'torch':torch.__version__,"
        "'numpy':numpy.__version__,'scipy':scipy.__version__}))"
    )
    versions = json.loads(
        subprocess.run(
            [BENCH_PYTHON, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    )
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "bench_python": BENCH_PYTHON,
        **versions,
        "threads": "torch 1 intra-op, OpenBLAS/OMP/MKL 1",
        "load_average_1_5_15": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def fmt(value: Any, spec: str = ".3g") -> str:
    """Format a number for a table (``-`` for missing)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table from a header and rows of already formatted cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write a benchmark's raw records to ``benchmarks/out/NAME.json``."""
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1))
    return path
