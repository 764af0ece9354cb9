"""A wall-clock limit for one derivation step.

sympy is pure Python, so a ``SIGALRM`` timer interrupts it between bytecodes with
:class:`StepTimeout` (a ``BaseException``, so that no ``except Exception`` inside sympy swallows it).
The timer repeats every :data:`RETRY_SECONDS` after the deadline until the step ends: an exception
raised while Python runs a finalizer (``__del__``, a weakref callback of a garbage collection) is
printed and dropped, and a one-shot alarm that landed there would leave the step without a limit
(seen once in a full test run: a 0.5 s step still running after 10 minutes);
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

RETRY_SECONDS = 0.05
"""After the deadline, the alarm repeats at this interval until the limited block exits."""


class StepTimeout(BaseException):
    """The step ran past its time limit."""


def remaining_ms(default_ms: int) -> int:
    """Milliseconds left in the innermost limit (at least 1), or ``default_ms`` if smaller."""
    if not _deadline:
        return default_ms
    return max(1, min(default_ms, int((_deadline[-1] - time.monotonic()) * 1000)))


def _raise(signum: int, frame: FrameType | None) -> None:
    if _deadline and time.monotonic() >= _deadline[-1]:
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
        signal.setitimer(signal.ITIMER_REAL, seconds, RETRY_SECONDS)
    try:
        yield
    finally:
        _deadline.pop()
        if armed:
            if _deadline:  # an enclosing limit: its alarm again
                left = max(_deadline[-1] - time.monotonic(), 1e-3)
                signal.setitimer(signal.ITIMER_REAL, left, RETRY_SECONDS)
            else:
                signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
