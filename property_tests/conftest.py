"""Hypothesis profiles for the property tests.

* ``ci`` (the default): derandomized -- the same examples on every run, so a run either always
  passes or always fails for a given library -- and sized so the whole folder runs in <= 5
  minutes on 2 cores (``CI=true python -m pytest property_tests -q``).
* ``thorough``: random examples, 8x more of them; select with ``--hypothesis-profile=thorough``.

Each test module states how its tolerances were calibrated (a correct library fails less than once
in 1000 runs).  Test modules scale their example counts from ``settings.default.max_examples``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch
from hypothesis import HealthCheck, settings

torch.set_num_threads(1)

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=24, derandomize=True, database=None, **_COMMON)
settings.register_profile("thorough", max_examples=192, **_COMMON)
if settings.get_current_profile_name() in ("default", "ci"):
    # not chosen with --hypothesis-profile (hypothesis itself loads its own "ci" when CI is set)
    settings.load_profile("ci")
