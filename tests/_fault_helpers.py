"""Claims for the fault-injection tests over the cheap measures of :mod:`_fault_measures`.

Loaded by the registry through ``WIDEPROOF_CLAIMS=_fault_helpers`` in the subprocess tests.
"""

from __future__ import annotations

import math

from _fault_measures import napping

from wideproof.claims import Claim, ExponentRule, Profile, ThresholdRule

WIDTHS = (16, 32, 64, 128, 256, 512, 1024, 2048)


NAPPING = Claim(
    id="faults.napping",
    paper="synthetic",
    statement="y ~ x^(-1/2), measured slowly",
    knob="width",
    measure=napping,
    measure_args={"a": -0.5, "sleep": 0.15},
    rule=ExponentRule("value", predicted=-0.5),
    profiles=dict.fromkeys(("quick", "full"), Profile(WIDTHS, tuple(range(4)))),
)

UNBOUNDED = Claim(
    id="faults.unbounded-threshold",
    paper="synthetic",
    statement="the largest y is at most +inf (a threshold at infinity, stored and printed)",
    knob="width",
    measure=napping,
    measure_args={"a": -0.5, "sleep": 0.0},
    rule=ThresholdRule("value", aggregate="max", at_most=math.inf),
    profiles=dict.fromkeys(("quick", "full"), Profile(WIDTHS[:4], tuple(range(3)))),
)

CLAIMS = (NAPPING, UNBOUNDED)
