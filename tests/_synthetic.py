"""The synthetic power law of the sweep and claim tests, importable without wideproof.

:math:`y = c\\, x^{a} e^{\\varepsilon}` with a per-seed offset and slope wobble and lognormal
measurement noise, drawn from a numpy generator seeded by (seed, x).  Kept apart from the claim
helpers so that a worker process that only measures does not import the claim registry.
"""

from __future__ import annotations

import math

import numpy as np


def noisy_power_law(x: float, seed: int, a: float, rep: int = 0) -> float:
    """:math:`2 x^{a + w_s} e^{o_s + 0.1 z}`; seed effects o_s ~ N(0, 0.3^2), w_s ~ N(0, 0.02^2)."""
    seed_rng = np.random.default_rng([rep, seed])
    offset, wobble = seed_rng.normal(0.0, 0.3), seed_rng.normal(0.0, 0.02)
    z = np.random.default_rng([rep, seed, int(x)]).normal()
    return 2.0 * x ** (a + wobble) * math.exp(offset + 0.1 * z)
