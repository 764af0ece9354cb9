"""Cheap measures for the fault-injection tests (module-level, so workers import them by name).

``napping`` sleeps ``task.args["sleep"]`` seconds and returns the synthetic power law of
:mod:`_synthetic`, so a test can interrupt a sweep while points are in flight; ``raising`` raises
at the one point named by ``task.args["bad"]``; ``nan_at_odd_seeds`` returns NaN there.  This
module imports neither the claims nor torch, so a fresh worker is ready at once.
"""

from __future__ import annotations

import math
import time

from _synthetic import noisy_power_law

from wideproof.sweeps import Task


def napping(task: Task) -> float:
    time.sleep(float(task.args["sleep"]))
    return noisy_power_law(task.value, task.seed, float(task.args["a"]))


def raising(task: Task) -> float:
    if [task.value, task.seed] == task.args["bad"]:
        raise ValueError(f"planted failure at {task.knob}={task.value} seed={task.seed}")
    return noisy_power_law(task.value, task.seed, -0.5)


def nan_at_odd_seeds(task: Task) -> float:
    return math.nan if task.seed % 2 else noisy_power_law(task.value, task.seed, -0.5)


def buggy(task: Task) -> float:
    """A user's bug: ``task.key`` used as an attribute (it is a method)."""
    return _helper(task)


def _helper(task: Task) -> float:
    return float(len(task.key))  # type: ignore[arg-type]
