"""Synthetic measures and claims for the claims-engine tests (module-level, so workers import them).

``power_law``: :math:`y = c\\, x^{a} e^{\\varepsilon}` (:func:`_synthetic.noisy_power_law`).  The
true exponent is ``task.args["a"]``.
``slow_power_law`` sleeps first, so a test can kill a sweep in the middle.
Loaded by the registry through ``WIDEPROOF_CLAIMS=_claims_helpers`` in the subprocess tests.
"""

from __future__ import annotations

import time

from _synthetic import noisy_power_law as noisy_power_law

from wideproof.claims import Claim, ExponentRule, Profile, ThresholdRule
from wideproof.sweeps import Task


def power_law(task: Task) -> float:
    return noisy_power_law(task.value, task.seed, float(task.args["a"]))


def slow_power_law(task: Task) -> float:
    time.sleep(float(task.args["sleep"]))
    return power_law(task)


def flags(task: Task) -> dict[str, float | bool]:
    return {"event": task.seed % 2 == 0, "size": float(task.value)}


WIDTHS = (16, 32, 64, 128, 256, 512, 1024, 2048)

TRUE = Claim(
    id="helpers.power-law",
    paper="synthetic",
    statement="y ~ x^(-1/2)",
    knob="width",
    measure=power_law,
    measure_args={"a": -0.5},
    rule=ExponentRule("value", predicted=-0.5),
    profiles={"quick": Profile(WIDTHS, tuple(range(5))), "full": Profile(WIDTHS, tuple(range(20)))},
)

WRONG = Claim(
    id="helpers.wrong-exponent",
    paper="synthetic",
    statement="predicts x^(-1/4) for data scaling like x^(-1/2)",
    knob="width",
    measure=power_law,
    measure_args={"a": -0.5},
    rule=ExponentRule("value", predicted=-0.25),
    profiles=TRUE.profiles,
)

SLOW = Claim(
    id="helpers.slow-sweep",
    paper="synthetic",
    statement="a slow sweep, to be killed",
    knob="width",
    measure=slow_power_law,
    measure_args={"a": -0.5, "sleep": 0.25},
    rule=ExponentRule("value", predicted=-0.5),
    profiles={"quick": Profile(WIDTHS, tuple(range(3))), "full": Profile(WIDTHS, tuple(range(3)))},
)

EVENTS = Claim(
    id="helpers.events",
    paper="synthetic",
    statement="half of the runs have the event",
    knob="width",
    measure=flags,
    rule=ThresholdRule("event", aggregate="mean", at_least=0.4),
    profiles={"quick": Profile((1, 2), (0, 1, 2, 3)), "full": Profile((1, 2), (0, 1, 2, 3))},
)


def decay(task: Task) -> dict[str, float | list[float]]:
    """A trajectory: :math:`y_t = x\\,2^{-t}` for ``t = 0..4``; the scalar is its last value."""
    ys = [task.value * 2.0**-t for t in range(5)]
    return {"final": ys[-1], "step": [float(t) for t in range(5)], "y": ys}


TRAJECTORY = Claim(
    id="helpers.trajectory",
    paper="synthetic",
    statement="the trajectory ends at most 1.001",
    knob="width",
    measure=decay,
    rule=ThresholdRule("final", aggregate="max", at_most=1.001),
    profiles={"quick": Profile((1.0, 2.0), (0, 1)), "full": Profile((1.0, 2.0), (0, 1))},
)

CLAIMS = (TRUE, WRONG, SLOW, EVENTS, TRAJECTORY)
