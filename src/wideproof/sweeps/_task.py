"""One unit of work (a :class:`Task`: knob value x seed) and its stored result (a :class:`Point`).

A *measure* is a module-level function ``measure(task) -> observations``.  It runs in a worker
process (or on a Dask worker), so it must be importable by name; it returns one
:class:`~wideproof.results.Estimate` or float, or a mapping of observation names to them (a
dynamics measure may report ``{"final_loss": 0.01, "catapult": True}``).  Floats and booleans are
recorded as an ``Estimate`` with ``error_bound=inf`` ("no certificate") and ``method="reported"``.

A measure may also return *series*: an observation whose value is a sequence of numbers (a
per-step trajectory such as ``{"step": [0, 20, ...], "ratio": [0.4, ...]}``).  Series are stored
with the point (:attr:`Point.series`, non-finite entries as strings), so plots and tables reuse
them without re-running; rules decide on the scalar observations, of which a point needs one.

Non-finite observations: ``inf`` and ``-inf`` are values (stored as the strings ``"inf"`` and
``"-inf"``, see :mod:`wideproof.sweeps._json`).  A NaN among several named observations marks one
that is undefined at this point (``jump_iteration`` of a run with no jump); the claim's rule
decides what that means.  A point whose every observation is NaN -- a scalar measure returning
NaN -- has no result: :func:`compute` raises :class:`~wideproof.errors.NumericalError`, so the
point counts as failed, is not stored, and is tried again by the next run.

The content key of a task hashes everything that determines its numbers: the measure's qualified
name, the family spec's ``describe()``, the knob and its value, the measure arguments, the seed,
dtype, device and the wideproof version.  Two claims asking for the same computation share it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, NumericalError
from ..results import Estimate
from ._json import canonical, float_from_json, float_to_json

if TYPE_CHECKING:
    import torch

    from ..families import FamilySpec, Model

__all__ = ["Measure", "Observation", "Point", "Task", "compute", "measure_name"]

Observation = Estimate | float | bool
Measure = Callable[["Task"], Observation | Mapping[str, Observation | Sequence[float]]]
DTYPES: tuple[str, ...] = ("float64", "float32", "bfloat16")
DEFAULT_OBSERVATION = "value"


def measure_name(measure: Callable[..., Any]) -> str:
    """``module:qualname`` of a module-level function; :class:`ConfigError` for anything else."""
    module = getattr(measure, "__module__", None)
    qualname = getattr(measure, "__qualname__", None)
    if not callable(measure) or module is None or qualname is None or "<" in qualname:
        raise ConfigError(
            f"measure={measure!r} must be a module-level function (workers import it by name)"
        )
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class Task:
    """Measure ``spec`` (the family at knob value ``value``) with ``seed``.

    Attributes:
        measure: module-level function ``measure(task) -> observation(s)``.
        spec: the family spec at this knob value (``None`` for measures that need no model).
        knob: the knob's name (``width``, ``depth``, ...).
        value: the knob value.
        seed: the initialization seed.
        args: JSON-ready measure arguments (inputs, tolerances, ...), part of the key.
        dtype: ``"float64"`` (default), ``"float32"`` or ``"bfloat16"``.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
    """

    measure: Measure
    spec: FamilySpec | None
    knob: str
    value: float
    seed: int
    args: Mapping[str, Any] = field(default_factory=dict)
    dtype: str = "float64"
    device: str = "cpu"

    def __post_init__(self) -> None:
        measure_name(self.measure)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed={self.seed!r} must be a non-negative int")
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype={self.dtype!r} is not one of {', '.join(map(repr, DTYPES))}")
        if not isinstance(self.device, str) or not self.device:
            raise ConfigError(f"device={self.device!r} must be a string such as 'cpu' or 'cuda'")
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise ConfigError(f"{self.knob}={self.value!r} must be a number")
        try:
            json.dumps(dict(self.args), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"args={self.args!r} must be JSON-serializable: {exc}") from None

    def describe(self) -> dict[str, Any]:
        """Everything the key hashes, as JSON."""
        from .. import __version__

        return {
            "measure": measure_name(self.measure),
            "spec": None if self.spec is None else self.spec.describe(),
            "knob": self.knob,
            "value": self.value,
            "args": dict(self.args),
            "seed": self.seed,
            "dtype": self.dtype,
            "device": self.device,
            "wideproof": __version__,
        }

    def key(self) -> str:
        """A content hash of :meth:`describe` (SHA-256, hex)."""
        return hashlib.sha256(canonical(self.describe()).encode()).hexdigest()

    @property
    def torch_dtype(self) -> torch.dtype:
        import torch

        dtype: torch.dtype = getattr(torch, self.dtype)
        return dtype

    def model(self) -> Model:
        """``spec.init(seed, dtype, device)``."""
        if self.spec is None:
            raise ConfigError("this task has no family spec, so it has no model")
        return self.spec.init(self.seed, dtype=self.torch_dtype, device=self.device)


@dataclass(frozen=True)
class Point:
    """A measured task: its key, knob value, seed, named observations and provenance."""

    key: str
    knob: str
    value: float
    seed: int
    observations: Mapping[str, Estimate]
    provenance: Mapping[str, Any]
    series: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "key": self.key,
            "knob": self.knob,
            "value": self.value,
            "seed": self.seed,
            "observations": {k: e.to_json() for k, e in self.observations.items()},
            "provenance": dict(self.provenance),
        }
        if self.series:  # absent when empty, so points without series keep their stored form
            out["series"] = {k: [float_to_json(x) for x in v] for k, v in self.series.items()}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Point:
        """Inverse of :meth:`to_json`; ``ValueError`` naming the field for anything malformed."""
        if not isinstance(data, Mapping) or set(data) - {"series"} != _POINT_FIELDS:
            raise ValueError(
                f"a point has exactly the fields {', '.join(sorted(_POINT_FIELDS))} (and series)"
            )
        series = data.get("series", {})
        key, knob, value, seed = data["key"], data["knob"], data["value"], data["seed"]
        observations, provenance = data["observations"], data["provenance"]
        checks = {
            "key": isinstance(key, str),
            "knob": isinstance(knob, str),
            "value": isinstance(value, (int, float)) and not isinstance(value, bool),
            "seed": isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0,
            "observations": isinstance(observations, Mapping)
            and bool(observations)
            and all(_is_estimate_json(e) for e in observations.values()),
            "provenance": isinstance(provenance, Mapping),
            "series": isinstance(series, Mapping)
            and all(
                isinstance(v, list) and all(_is_float_json(x) for x in v) for v in series.values()
            ),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"a point has an invalid {bad[0]}")
        return cls(
            key=key,
            knob=knob,
            value=value,
            seed=seed,
            observations={str(k): Estimate.from_json(v) for k, v in observations.items()},
            provenance=dict(provenance),
            series={str(k): tuple(float_from_json(x) for x in v) for k, v in series.items()},
        )


def _is_float_json(x: object) -> bool:
    if isinstance(x, str):
        return x in _NON_FINITE
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_POINT_FIELDS = frozenset({"key", "knob", "value", "seed", "observations", "provenance"})
_ESTIMATE_TYPES: dict[str, tuple[type, ...]] = {
    "value": (float, int, str),
    "error_bound": (float, int, str),
    "matvecs": (int,),
    "method": (str,),
    "dtype": (str,),
    "device": (str,),
}


def _is_estimate_json(data: object) -> bool:
    """Whether ``data`` is the JSON of an :class:`Estimate` (floats possibly as "inf"/"nan")."""
    if not isinstance(data, Mapping) or set(data) != set(_ESTIMATE_TYPES):
        return False
    for name, types in _ESTIMATE_TYPES.items():
        x = data[name]
        if isinstance(x, bool) or not isinstance(x, types):
            return False
        if isinstance(x, str) and float in types and x not in _NON_FINITE:
            return False
    return True


_NON_FINITE = frozenset({"inf", "-inf", "nan"})


def compute(task: Task) -> Point:
    """Run ``task.measure(task)`` with one torch thread and wrap the result as a :class:`Point`.

    Executed in the workers; one intra-op thread each, so that ``n`` workers use ``n`` cores.
    """
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    started = time.time()
    raw = task.measure(task)
    seconds = time.time() - started
    observations, series = _normalize(raw, task)
    return Point(
        key=task.key(),
        knob=task.knob,
        value=task.value,
        seed=task.seed,
        observations=observations,
        provenance={
            "started": datetime.fromtimestamp(started, tz=timezone.utc).isoformat(),
            "seconds": seconds,
            "machine": platform.node(),
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "torch": torch.__version__,
        },
        series=series,
    )


def _normalize(raw: object, task: Task) -> tuple[dict[str, Estimate], dict[str, tuple[float, ...]]]:
    items = raw.items() if isinstance(raw, Mapping) else [(DEFAULT_OBSERVATION, raw)]
    out: dict[str, Estimate] = {}
    series: dict[str, tuple[float, ...]] = {}
    for name, obs in items:
        if isinstance(obs, Estimate):
            out[str(name)] = obs
        elif isinstance(obs, (bool, int, float)):
            out[str(name)] = Estimate(
                value=float(obs),
                error_bound=math.inf,
                matvecs=0,
                method="reported",
                dtype=task.dtype,
                device=task.device,
            )
        elif isinstance(obs, (list, tuple)) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in obs
        ):
            series[str(name)] = tuple(float(x) for x in obs)
        else:
            raise ConfigError(
                f"measure {measure_name(task.measure)} returned {type(obs).__name__} for "
                f"{name!r}; expected an Estimate, a float, a bool or a sequence of floats"
            )
    if not out:
        raise ConfigError(f"measure {measure_name(task.measure)} returned no observations")
    if all(math.isnan(e.value) for e in out.values()):
        raise NumericalError(
            f"measure {measure_name(task.measure)} returned NaN for "
            f"{', '.join(map(repr, sorted(out)))}"
        )
    return out, series
