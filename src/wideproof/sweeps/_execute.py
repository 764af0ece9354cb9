"""Run tasks on an executor, committing each finished point to the store as it arrives.

Executors (:func:`open_executor`), all standard :class:`concurrent.futures.Executor` objects:

* ``None`` or ``"processes"`` / ``"processes:N"`` -- a local process pool, one worker per
  available core by default (forkserver start on Linux with torch preloaded, spawn elsewhere);
* ``"threads"`` / ``"threads:N"`` -- a thread pool (for measures that release the GIL, or tests);
* ``"dask://HOST:PORT"`` (or ``tcp://``) -- a Dask ``distributed`` scheduler;
* a ``distributed.Client`` -- its ``get_executor()``;
* any ``concurrent.futures.Executor`` -- used as is and left open.

Each worker runs :func:`~wideproof.sweeps.compute`, which sets torch to one intra-op thread, so
``n`` workers keep ``n`` cores busy without oversubscription.  The scheduling itself is the
executor's; this module only submits, collects and commits.

Faults, handled as a job runner would: each finished point is committed as it arrives, whatever
happens to the others; a point whose measure raises (any ``Exception``) is a failure recorded in
:attr:`SweepResult.failures` -- naming the point, the exception and the measure's own innermost
frames (:func:`measure_frames`), so a bug in a measure is blamed on the measure -- not stored,
and tried again by the next run.  Local worker processes
ignore SIGINT (Ctrl-C is the main process's to handle, so no worker prints a traceback) and die
with the main process however it ends, SIGKILL included: a watchdog thread in each worker polls
the main process every :data:`WATCHDOG_PERIOD_S` seconds, and on Linux a parent-death signal
(``prctl(PR_SET_PDEATHSIG)``) kills a worker at once when its parent, the forkserver, goes.  An
interrupt (``KeyboardInterrupt``) cancels what is queued, kills the running workers at once and
propagates; every point finished before it is already in the store.  Executor specifications are
checked (:func:`check_executor`) before anything is created, and a Dask scheduler that does not
accept connections fails in :data:`CONNECT_TIMEOUT_S` seconds at most.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from ..errors import ConfigError, NumericalError
from ._store import ResultStore
from ._task import Point, Task, compute

__all__ = [
    "ExecutorLike",
    "Progress",
    "SweepResult",
    "available_cores",
    "check_executor",
    "open_executor",
    "run_sweep",
]

ExecutorLike = Executor | str | Any | None
Progress = bool | Literal["auto"] | None
DASK_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 3.0
WATCHDOG_PERIOD_S = 0.5
_PR_SET_PDEATHSIG = 1


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class SweepResult:
    """The points of a sweep, in task order (failed tasks omitted), and what it cost.

    Attributes:
        points: one :class:`Point` per task that has a result.
        computed: points computed by this run.
        reused: points found in the store.
        failures: ``"knob=value seed=s: message"`` for each task whose measure raised (not
            stored; a rerun tries again).
    """

    points: tuple[Point, ...]
    computed: int
    reused: int
    failures: tuple[str, ...] = ()


def check_executor(executor: ExecutorLike, *, connect: bool = False) -> None:
    """Validate an executor specification without opening anything (:class:`ConfigError`).

    With ``connect``, a Dask scheduler's address is also tried (one TCP connection, closed at
    once), so that an unreachable scheduler is reported before any work or file is created.
    """
    if executor is None or not isinstance(executor, str):
        if executor is not None and not isinstance(executor, Executor):
            if not callable(getattr(executor, "get_executor", None)):
                raise ConfigError(
                    f"executor={executor!r} is neither a concurrent.futures.Executor, a "
                    "distributed.Client nor a string such as 'processes' or 'dask://HOST:PORT'"
                )
        return
    kind, host, port = _parse(executor)
    if kind == "dask" and connect:
        _probe(executor, host, port)


def _probe(spec: str, host: str, port: int) -> None:
    """Fail in :data:`CONNECT_TIMEOUT_S` at most when nothing accepts connections at the address."""
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigError(f"cannot reach the Dask scheduler at {spec}: {why}") from None


def _parse(spec: str) -> tuple[str, str, int]:
    """``("dask", host, port)`` or ``(kind, "", workers)`` with ``workers`` 0 for the default."""
    if spec.startswith(("dask://", "tcp://")):
        host, _, port = spec.partition("://")[2].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"executor={spec!r} is not dask://HOST:PORT with a port 1-65535")
        return "dask", host.strip("[]"), int(port)
    kind, _, count = spec.partition(":")
    if kind not in ("processes", "threads") or (count and not count.isdigit()):
        raise ConfigError(
            f"executor={spec!r} is not 'processes[:N]', 'threads[:N]' or 'dask://HOST:PORT'"
        )
    if count and int(count) < 1:
        raise ConfigError(f"executor={spec!r} needs at least one worker")
    return kind, "", int(count or 0)


@contextlib.contextmanager
def open_executor(
    executor: ExecutorLike = None, *, max_workers: int | None = None
) -> Iterator[Executor]:
    """Resolve ``executor`` (see the module docstring); shut down on exit what was opened here.

    On an exception (an interrupt included) queued work is cancelled and the local worker
    processes opened here are killed rather than awaited.
    """
    check_executor(executor)
    if isinstance(executor, Executor):
        yield executor
        return
    if executor is not None and not isinstance(executor, str):
        yield executor.get_executor(pure=False)
        return
    spec = executor or "processes"
    kind, host, n = _parse(spec)
    if kind == "dask":
        with _dask_client(spec, host, n) as client:
            yield client.get_executor(pure=False)
        return
    n = n or max_workers or available_cores()
    pool: Executor
    if kind == "threads":
        pool = ThreadPoolExecutor(max_workers=n)
    else:
        pool = ProcessPoolExecutor(
            max_workers=n,
            mp_context=_mp_context(),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
    try:
        yield pool
    except BaseException:
        _abandon(pool)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


def _abandon(pool: Executor) -> None:
    """Cancel the queued work and kill the pool's worker processes without waiting for them."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # private, but stable
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.join(timeout=5.0)


def _mp_context() -> multiprocessing.context.BaseContext:
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["torch", "wideproof.sweeps._task"])
        return ctx
    return multiprocessing.get_context("spawn")


def _worker_init(parent: int) -> None:
    """In each local worker: ignore SIGINT and die with the main process ``parent``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=_watch, args=(parent,), name="wideproof-watchdog", daemon=True).start()


def _watch(parent: int) -> None:
    """Exit this worker as soon as process ``parent`` is gone (or a zombie)."""
    while _alive(parent):
        time.sleep(WATCHDOG_PERIOD_S)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: the signal test above is all there is
    return state not in ("Z", "X")


@contextlib.contextmanager
def _dask_client(spec: str, host: str, port: int) -> Iterator[Any]:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            f"executor={spec!r} needs dask.distributed (pip install 'wideproof[dask]')"
        ) from None
    _probe(spec, host, port)  # a closed port fails here at once, not after the client's timeout
    try:
        client_cls: Any = distributed.Client
        client = client_cls(f"tcp://{host}:{port}", timeout=DASK_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot reach the Dask scheduler at {spec}: {first}") from None
    try:
        yield client
    finally:
        client.close()


def run_sweep(
    tasks: Sequence[Task],
    *,
    store: ResultStore,
    executor: ExecutorLike = None,
    progress: Progress = None,
    label: str = "sweep",
    stream: TextIO | None = None,
    check: Callable[[Sequence[Task]], None] | None = None,
) -> SweepResult:
    """Compute the tasks missing from ``store`` on ``executor``; commit each point as it finishes.

    Args:
        tasks: the work; tasks with equal keys are computed once.
        store: where points are looked up first and committed one by one.
        executor: see :func:`open_executor`; it is only opened when something is missing.
        progress: ``None``/``False`` silent; ``True`` plain lines; ``"auto"`` a tqdm bar when
            ``stream`` is a terminal and plain lines otherwise.
        label: prefix of the progress lines.
        stream: where progress goes (``sys.stderr`` by default).
        check: called with the missing tasks before any is computed (a claim checks its
            theorem's hypotheses there); it raises to stop the sweep.
    """
    keys = [t.key() for t in tasks]
    found = store.get_many(keys)
    missing: dict[str, Task] = {}
    for key, task in zip(keys, tasks, strict=True):
        if key not in found and key not in missing:
            missing[key] = task
    failures: list[str] = []
    if missing:
        if check is not None:
            check(list(missing.values()))
        report = _reporter(progress, len(missing), label, stream or sys.stderr)
        try:
            with open_executor(executor, max_workers=min(len(missing), available_cores())) as pool:
                _collect(pool, missing, store, found, failures, report)
        finally:
            report(None)
    reused = len(keys) - len(missing)
    points = tuple(found[k] for k in keys if k in found)
    return SweepResult(
        points=points,
        computed=len(missing) - len(failures),
        reused=reused,
        failures=tuple(failures),
    )


def _collect(
    pool: Executor,
    missing: dict[str, Task],
    store: ResultStore,
    found: dict[str, Point],
    failures: list[str],
    report: Callable[[str | None], None],
) -> None:
    pending: dict[Future[Point], Task] = {pool.submit(compute, t): t for t in missing.values()}
    try:
        while pending:
            done, _ = wait_futures(list(pending), return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                where = f"{task.knob}={task.value} seed={task.seed}"
                try:
                    point = fut.result()
                except Exception as exc:  # a failed point, not a failed sweep
                    why = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    if not isinstance(exc, NumericalError):
                        why = f"{type(exc).__name__}: {why}" if why else type(exc).__name__
                        frames = measure_frames(exc)
                        why += f" [in the measure: {frames}]" if frames else ""
                    failures.append(f"{where}: {why}")
                    report(f"{where}: failed ({why})")
                    continue
                store.put(task, point)
                found[point.key] = point
                report(f"{where}: {point.provenance.get('seconds', 0.0):.2f} s")
    finally:
        for fut in pending:
            fut.cancel()


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
MEASURE_FRAMES = 4
"""How many of the innermost frames below the measure call a failure line names."""


def measure_frames(exc: BaseException, below: tuple[str, str] = ("_task.py", "compute")) -> str:
    """The measure's own traceback of ``exc``: the frames below :func:`compute`'s call of the
    measure (innermost :data:`MEASURE_FRAMES`), as ``file.py:line in function`` joined by ``->``;
    ``below`` = ``(file suffix, function)`` of another caller (a family's, say) instead.

    A worker process's traceback arrives as the text of ``exc.__cause__`` (``concurrent.futures``
    attaches it); a thread's is ``exc.__traceback__``.  Empty when the exception did not come from
    inside the measure (a pickling or store error, say), so that such a failure blames nothing in
    the user's code."""
    cause = exc.__cause__
    if cause is not None and type(cause).__name__ == "_RemoteTraceback":
        frames = [(f, int(n), fn) for f, n, fn in _FRAME.findall(str(cause))]
    else:
        frames = [
            (f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(exc.__traceback__)
        ]
    calls = [i for i, (f, _, fn) in enumerate(frames) if fn == below[1] and f.endswith(below[0])]
    if not calls:
        return ""
    inner = frames[calls[-1] + 1 :][-MEASURE_FRAMES:]
    return " -> ".join(f"{os.path.basename(f)}:{n} in {fn}" for f, n, fn in inner)


def _reporter(
    progress: Progress, total: int, label: str, stream: TextIO
) -> Callable[[str | None], None]:
    """A callback taking one line per finished point, or ``None`` at the end."""
    if not progress:
        return lambda line: None
    if progress == "auto" and stream.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, desc=label, file=stream, unit="pt")

        def tick(line: str | None) -> None:
            if line is None:
                bar.close()
            else:
                bar.set_postfix_str(line, refresh=False)
                bar.update(1)

        return tick
    count = 0
    started = time.time()

    def say(line: str | None) -> None:
        nonlocal count
        if line is not None:
            count += 1
            stream.write(f"{label} [{count}/{total}, {time.time() - started:.1f} s] {line}\n")
            stream.flush()

    return say
