"""A :class:`Grid`: knob values x seeds, and the tasks it spans."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ._task import Measure, Task

if TYPE_CHECKING:
    from ..families import FamilySpec

__all__ = ["MAX_POINTS", "Grid"]

MAX_POINTS = 1_000_000
"""The most (value, seed) pairs a grid may span: checked before any task is built."""


@dataclass(frozen=True)
class Grid:
    """Every pair (value, seed) of ``values`` x ``seeds``, values outermost.

    Args:
        knob: the knob's name (``width``, ``depth``, ``bottlenecks``, ``in_degree``, ...).
        values: distinct finite knob values.
        seeds: distinct non-negative int seeds.

    At most :data:`MAX_POINTS` pairs, checked from the lengths before anything is enumerated.
    """

    knob: str
    values: tuple[float, ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.knob, str) or not self.knob.isidentifier():
            raise ConfigError(f"knob={self.knob!r} must be a name such as 'width'")
        size = len(self.values) * len(self.seeds)
        if size > MAX_POINTS:
            raise ConfigError(
                f"a grid of {len(self.values)} {self.knob} values x {len(self.seeds)} seeds has "
                f"{size} points; at most {MAX_POINTS} are allowed"
            )
        values, seeds = tuple(self.values), tuple(self.seeds)
        if not values:
            raise ConfigError(f"{self.knob} values must not be empty")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"{self.knob} value {v!r} must be a finite number")
        if len(set(values)) != len(values):
            raise ConfigError(f"{self.knob} values {values!r} repeat a value")
        if not seeds:
            raise ConfigError("seeds must not be empty")
        for s in seeds:
            if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                raise ConfigError(f"seed {s!r} must be a non-negative int")
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"seeds {seeds!r} repeat a seed")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "seeds", seeds)

    def __iter__(self) -> Iterator[tuple[float, int]]:
        return ((v, s) for v in self.values for s in self.seeds)

    def __len__(self) -> int:
        return len(self.values) * len(self.seeds)

    def tasks(
        self,
        measure: Measure,
        family: Callable[[Any], FamilySpec] | None = None,
        *,
        args: Mapping[str, Any] | None = None,
        dtype: str = "float64",
        device: str = "cpu",
    ) -> list[Task]:
        """One :class:`Task` per (value, seed); ``family(value)`` builds each spec once."""
        specs = {v: None if family is None else family(v) for v in self.values}
        return [
            Task(measure, specs[v], self.knob, v, s, dict(args or {}), dtype, device)
            for v, s in self
        ]
