"""A :class:`Claim`: a theorem's prediction bound to a family, a measure, a knob and a rule.

``claim.verify(profile)`` builds the grid of the profile (knob values x seeds), measures every
point missing from the store on the executor, and hands all points of the grid to the rule,
which returns the :class:`~wideproof.claims.Verdict`.  Before any model is measured, the bound's
hypotheses are checked on its spec (``bound.check(spec)`` raises
:class:`~wideproof.errors.AssumptionError`); points already in the store were checked when they
were computed, since the spec is part of their key.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError
from ..sweeps import ExecutorLike, Grid, Measure, Progress, ResultStore, Task, run_sweep
from ..sweeps._task import measure_name
from ._rules import Rule
from ._verdict import Verdict

if TYPE_CHECKING:
    from ..families import FamilySpec

__all__ = ["BoundLike", "Claim", "Profile", "profile_label"]

_ID = re.compile(r"^[a-z][a-z0-9]*\.[a-z0-9]+(-[a-z0-9]+)*$")


class BoundLike(Protocol):
    """What a claim uses of :class:`wideproof.symbolic.Bound` (duck-typed, optional)."""

    def exponent_in(self, var: str) -> Any: ...

    def check(self, spec: Any) -> None: ...


def profile_label(profile: str, seeds: int | None = None) -> str:
    """The label a verdict is stored and shown under: ``"quick"``, or ``"quick@seeds=12"`` for a
    run whose seeds were replaced, so that it never overwrites the profile's own verdict."""
    return profile if seeds is None else f"{profile}@seeds={seeds}"


@dataclass(frozen=True)
class Profile:
    """Knob values and seeds of one profile (``quick``: seconds, for CI; ``full``: a figure).

    ``args`` override the claim's ``measure_args`` in this profile (a paper figure may need more
    training steps than CI can afford); like every measure argument they are part of the key.
    """

    values: tuple[float, ...]
    seeds: tuple[int, ...]
    args: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "seeds", tuple(self.seeds))
        object.__setattr__(self, "args", dict(self.args))


@dataclass(frozen=True)
class Claim:
    """A checkable statement of a paper.

    Attributes:
        id: ``paper.statement``, lower case, e.g. ``"liu2020.hessian-width"``.
        paper: the reference (authors, year, title, arXiv id, theorem/equation).
        statement: the claim in words.
        knob: the swept size knob (``width``, ``depth``, ``bottlenecks``, ``in_degree``, ...).
        measure: module-level ``measure(task) -> observation(s)`` (see :mod:`wideproof.sweeps`).
        rule: the verdict rule (:class:`ExponentRule`, :class:`ThresholdRule`, or your own).
        profiles: at least ``"quick"`` and ``"full"``.
        family: knob value -> family spec (``None`` when the measure builds no model from one).
        measure_args: JSON-ready arguments the measure reads from ``task.args`` (part of the key).
        bound: a zero-argument function returning the theorem's bound (``None`` if there is
            none); a function, because building bounds imports the symbolic machinery.
    """

    id: str
    paper: str
    statement: str
    knob: str
    measure: Measure
    rule: Rule
    profiles: Mapping[str, Profile]
    family: Callable[[Any], FamilySpec] | None = None
    measure_args: Mapping[str, Any] = field(default_factory=dict)
    bound: Callable[[], BoundLike] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ConfigError(
                f"claim id {self.id!r} must look like 'paper.statement' "
                "(lower case, digits and dashes, e.g. 'liu2020.hessian-width')"
            )
        measure_name(self.measure)
        missing = {"quick", "full"} - set(self.profiles)
        if missing:
            raise ConfigError(f"claim {self.id}: profiles {sorted(missing)} are missing")
        for name, prof in self.profiles.items():
            Grid(self.knob, prof.values, prof.seeds)  # validates
            if not isinstance(prof, Profile):
                raise ConfigError(f"claim {self.id}: profile {name!r} must be a Profile")

    @property
    def rule_text(self) -> str:
        """The verdict rule in words."""
        return self.rule.describe(self)

    def grid(self, profile: str = "quick", *, seeds: int | None = None) -> Grid:
        """The grid of ``profile``; ``seeds=N`` replaces its seeds by ``0..N-1``."""
        if profile not in self.profiles:
            names = ", ".join(map(repr, sorted(self.profiles)))
            raise ConfigError(f"profile={profile!r} is not one of {names} (claim {self.id})")
        prof = self.profiles[profile]
        if seeds is not None:
            if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
                raise ConfigError(f"seeds={seeds!r} must be a positive int")
            return Grid(self.knob, prof.values, tuple(range(seeds)))
        return Grid(self.knob, prof.values, prof.seeds)

    def tasks(
        self,
        profile: str = "quick",
        *,
        seeds: int | None = None,
        dtype: str = "float64",
        device: str = "cpu",
    ) -> list[Task]:
        """The tasks of ``profile``, values outermost."""
        return self.grid(profile, seeds=seeds).tasks(
            self.measure, self.family, args=self.args(profile), dtype=dtype, device=device
        )

    def args(self, profile: str = "quick") -> dict[str, Any]:
        """The measure arguments of ``profile``: ``measure_args`` updated by the profile's."""
        self.grid(profile)  # an unknown profile is a ConfigError
        return {**self.measure_args, **self.profiles[profile].args}

    def verify(
        self,
        profile: str = "quick",
        *,
        device: str = "cpu",
        dtype: str = "float64",
        executor: ExecutorLike = None,
        store: ResultStore | str | Path | None = None,
        seeds: int | None = None,
        progress: Progress = None,
    ) -> Verdict:
        """Measure what the store lacks, decide, record the verdict in the store, return it.

        Args:
            profile: ``"quick"``, ``"full"`` or another profile of the claim.
            device: ``"cpu"`` or ``"cuda"``; dtype: ``"float64"`` (default) or lower.
            executor: see :func:`wideproof.sweeps.open_executor` (local processes by default).
            store: a :class:`ResultStore`, a path, or ``None`` for a throw-away in-memory store.
            seeds: replace the profile's seeds by ``0..seeds-1``.
            progress: see :func:`wideproof.sweeps.run_sweep`.

        The evidence records the profile, its label (:func:`profile_label`: the verdict is stored
        under it), device, dtype, knob values (``knob_values``, beside the rule's own evidence,
        which it never overwrites), seeds, the number of points computed and reused, and any
        failed points; a verdict with failed points is at best INCONCLUSIVE.
        """
        _check_device(device)
        grid = self.grid(profile, seeds=seeds)
        check_grid = getattr(self.rule, "check_grid", None)
        if check_grid is not None:
            check_grid(grid)
        tasks = grid.tasks(
            self.measure, self.family, args=self.args(profile), dtype=dtype, device=device
        )
        with _opened(store) as st:
            result = run_sweep(
                tasks,
                store=st,
                executor=executor,
                progress=progress,
                label=self.id,
                check=self._check_hypotheses,
            )
            verdict = self.rule.decide(self, result.points)
            evidence = dict(verdict.evidence)
            evidence.update(
                profile=profile,
                label=profile_label(profile, seeds),
                device=device,
                dtype=dtype,
                knob=self.knob,
                knob_values=list(grid.values),
                seeds=list(grid.seeds),
                points_computed=result.computed,
                points_reused=result.reused,
                failures=list(result.failures),
            )
            status = verdict.status
            if result.failures and status == "HOLDS":
                status = "INCONCLUSIVE"
                evidence["reason"] = f"{len(result.failures)} points failed; " + str(
                    evidence.get("reason", "")
                )
            verdict = Verdict(
                self.id, status, verdict.predicted, verdict.measured, verdict.rule, evidence
            )
            st.save_verdict(
                self.id, profile_label(profile, seeds), verdict.to_json(), [t.key() for t in tasks]
            )
        return verdict

    def _check_hypotheses(self, tasks: Sequence[Task]) -> None:
        if self.bound is None:
            return
        bound = self.bound()
        for spec in {id(t.spec): t.spec for t in tasks if t.spec is not None}.values():
            bound.check(spec)


def _check_device(device: str) -> None:
    if device == "cpu":
        return
    if not isinstance(device, str) or not re.fullmatch(r"cuda(:\d+)?", device):
        raise ConfigError(f"device={device!r} is not 'cpu', 'cuda' or 'cuda:N'")
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(f"device={device!r}, but torch sees no CUDA device on this machine")


@contextlib.contextmanager
def _opened(store: ResultStore | str | Path | None) -> Iterator[ResultStore]:
    if isinstance(store, ResultStore):
        yield store
        return
    with ResultStore(":memory:" if store is None else store) as st:
        yield st
