"""A wall-clock limit for one derivation step.

sympy is pure Python, so a ``SIGALRM`` timer interrupts it between bytecodes with
:class:`StepTimeout` (a ``BaseException``, so that no ``except Exception`` inside sympy swallows it);
z3 runs its own timeout, read from :func:`remaining_ms`.  Signals reach only the main thread: in
another thread (or on a platform without ``setitimer``) the step runs without the alarm and only
z3's own timeout applies.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["StepTimeout", "remaining_ms", "time_limit"]

_deadline: list[float] = []


class StepTimeout(BaseException):
    """The step ran past its time limit."""


def remaining_ms(default_ms: int) -> int:
    """Milliseconds left in the innermost limit (at least 1), or ``default_ms`` if smaller."""
    if not _deadline:
        return default_ms
    return max(1, min(default_ms, int((_deadline[-1] - time.monotonic()) * 1000)))


def _raise(signum: int, frame: FrameType | None) -> None:
    raise StepTimeout


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`StepTimeout` in the body once ``seconds`` have passed (``None``: no limit)."""
    if seconds is None:
        yield
        return
    _deadline.append(time.monotonic() + seconds)
    armed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous = signal.signal(signal.SIGALRM, _raise) if armed else None
    if armed:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        _deadline.pop()
