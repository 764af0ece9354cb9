"""Power-law exponents with honest confidence intervals.

Model, for measurements :math:`y` at knob values :math:`x` (widths, depths, ...), one curve per
seed :math:`s`:

.. math::
    \\log y_{s,i} = a_s \\log x_i + b \\log\\log x_i + c_s + \\varepsilon_{s,i},

where :math:`b` (``log_power``) is *given*, not fitted: it is the poly-logarithmic factor of an
:math:`\\tilde O` bound, e.g. :math:`b = 1/2` for :math:`\\|H\\| = O(m^{-1/2}\\sqrt{\\log m})`
(Liu, Zhu & Belkin 2020, Thm 3.2, the :math:`\\max_i |v_i| \\sim \\sqrt{2\\log m}` factor).
Each seed's slope :math:`a_s` is fitted separately (ordinary least squares, or Theil-Sen's
median of pairwise slopes), and the interval is the Student-t interval over seeds,

.. math::
    \\bar a \\pm t_{S-1,(1+c)/2}\\, \\mathrm{sd}(a_s)/\\sqrt S .

The seed is the unit of replication: points of one seed share its initialization and are
correlated, so a pooled regression's interval or a bootstrap over points is not trustworthy.
Measured on this kind of problem (a simulation with 400 replications):
per-seed OLS + t covers 96.5% at 5 seeds, per-seed Theil-Sen + t 95.5% with 30% lower RMSE under
outliers, while a percentile bootstrap over seeds covers only 83%.  Without the log factor a plain
slope of a max-type Hessian norm is biased towards 0 (-0.405 instead of -1/2 at moderate widths,
ibid. §5.1).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import ConfigError, NumericalError
from ._json import float_from_json, float_to_json

__all__ = ["ExponentFit", "FitMethod", "fit_exponent"]

FitMethod = Literal["ols", "theil-sen"]
FIT_METHODS: tuple[str, ...] = ("ols", "theil-sen")


@dataclass(frozen=True)
class ExponentFit:
    """An exponent :math:`a` of :math:`y \\propto x^a (\\log x)^b` with a confidence interval.

    Attributes:
        exponent: :math:`\\bar a`, the mean of the per-seed slopes.
        ci_low, ci_high: the t-interval over seeds at level ``confidence``.
        confidence: the interval's nominal coverage, e.g. 0.95.
        r2: :math:`1 - SS_{res}/SS_{tot}` of the per-seed lines, pooled over seeds
            (:math:`SS_{tot}` about each seed's own mean): how straight the log-log curves are.
        method: ``"ols"`` or ``"theil-sen"`` (the per-seed slope estimator).
        points: the data, ``(x, y, seed)`` triples with the raw measured ``y``.
        log_power: :math:`b`, the known log factor that was divided out (0 for a plain power law).
    """

    exponent: float
    ci_low: float
    ci_high: float
    confidence: float
    r2: float
    method: str
    points: tuple[tuple[float, float, int], ...]
    log_power: float = 0.0

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds, sorted."""
        return tuple(sorted({s for _, _, s in self.points}))

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the closed interval ``[ci_low, ci_high]``."""
        return self.ci_low <= value <= self.ci_high

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats as strings)."""
        return {
            "exponent": float_to_json(self.exponent),
            "ci_low": float_to_json(self.ci_low),
            "ci_high": float_to_json(self.ci_high),
            "confidence": self.confidence,
            "r2": float_to_json(self.r2),
            "method": self.method,
            "log_power": self.log_power,
            "points": [[float_to_json(x), float_to_json(y), s] for x, y, s in self.points],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExponentFit:
        """Inverse of :meth:`to_json`."""
        return cls(
            exponent=float_from_json(data["exponent"]),
            ci_low=float_from_json(data["ci_low"]),
            ci_high=float_from_json(data["ci_high"]),
            confidence=float(data["confidence"]),
            r2=float_from_json(data["r2"]),
            method=str(data["method"]),
            points=tuple(
                (float_from_json(x), float_from_json(y), int(s)) for x, y, s in data["points"]
            ),
            log_power=float(data["log_power"]),
        )


def fit_exponent(
    points: Iterable[tuple[float, float, int]],
    *,
    method: FitMethod = "ols",
    confidence: float = 0.95,
    log_power: float = 0.0,
) -> ExponentFit:
    """Fit the exponent of :math:`y \\propto x^a (\\log x)^b` per seed; t-interval over seeds.

    Args:
        points: ``(x, y, seed)`` triples: knob value, measured value (> 0), seed.  Every seed needs
            at least two distinct knob values; at least two seeds are needed for an interval.
        method: ``"ols"`` (least squares per seed, the default) or ``"theil-sen"`` (median of the
            pairwise slopes per seed, robust to outliers).
        confidence: the interval's level, in (0, 1).
        log_power: the known exponent :math:`b` of :math:`\\log x` (e.g. 0.5 for a
            :math:`\\sqrt{\\log m}` factor); every knob value must then exceed 1.

    Raises:
        ConfigError: bad arguments or too few seeds / knob values.
        NumericalError: a measured value that is not finite and positive.
    """
    if method not in FIT_METHODS:
        raise ConfigError(f"method={method!r} is not one of {', '.join(map(repr, FIT_METHODS))}")
    if isinstance(confidence, bool) or not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence={confidence!r} must lie strictly between 0 and 1")
    if not math.isfinite(log_power):
        raise ConfigError(f"log_power={log_power!r} must be finite")
    pts = tuple((float(x), float(y), int(s)) for x, y, s in points)
    by_seed: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for x, y, s in pts:
        if not (math.isfinite(x) and x > 0.0) or (log_power != 0.0 and x <= 1.0):
            need = "greater than 1 (log_power != 0)" if log_power else "finite and positive"
            raise ConfigError(f"knob value x={x!r} (seed {s}) must be {need}")
        if not (math.isfinite(y) and y > 0.0):
            raise NumericalError(
                f"measured value y={y!r} at x={x!r}, seed {s} is not finite and positive; "
                "a power law cannot be fitted to it"
            )
        by_seed[s].append((x, y))
    if len(by_seed) < 2:
        raise ConfigError(
            f"fit_exponent needs at least 2 seeds for a t-interval over seeds; got {len(by_seed)}"
        )
    seeds = sorted(by_seed)
    counts = [len(by_seed[s]) for s in seeds]
    ids = np.repeat(np.arange(len(seeds)), counts)
    u = np.log(np.array([x for s in seeds for x, _ in by_seed[s]]))
    starts = np.cumsum([0, *counts[:-1]])
    spread = np.maximum.reduceat(u, starts) - np.minimum.reduceat(u, starts)
    if (few := np.flatnonzero(spread == 0.0)).size:
        raise ConfigError(
            f"seed {seeds[few[0]]} has fewer than 2 distinct knob values; no slope to fit"
        )
    z = np.log(np.array([y for s in seeds for _, y in by_seed[s]])) - log_power * np.log(u)
    slopes, intercepts = (_ols if method == "ols" else _theil_sen)(ids, u, z)
    ss_res = float(np.sum((z - slopes[ids] * u - intercepts[ids]) ** 2))
    ss_tot = float(np.sum((z - _group_mean(ids, z)[ids]) ** 2))
    a = slopes
    mean = float(a.mean())
    t = _t_quantile(a.size - 1, (1.0 + confidence) / 2.0)
    half = t * float(a.std(ddof=1)) / math.sqrt(a.size)
    r2 = 1.0 if ss_res == 0.0 else 1.0 - ss_res / ss_tot
    return ExponentFit(
        exponent=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        confidence=float(confidence),
        r2=r2,
        method=method,
        points=pts,
        log_power=float(log_power),
    )


Array = np.ndarray[Any, Any]


def _group_mean(ids: Array, v: Array) -> Array:
    return np.bincount(ids, v) / np.bincount(ids)


def _ols(ids: Array, u: Array, z: Array) -> tuple[Array, Array]:
    """Least-squares slope and intercept of ``z`` on ``u`` within each group of ``ids``
    (vectorized over the groups: one pass of sums, no per-seed Python loop)."""
    mu, mz = _group_mean(ids, u), _group_mean(ids, z)
    du, dz = u - mu[ids], z - mz[ids]
    slope = np.bincount(ids, du * dz) / np.bincount(ids, du * du)
    return slope, mz - slope * mu


def _theil_sen(ids: Array, u: Array, z: Array) -> tuple[Array, Array]:
    """Theil-Sen slope (median of pairwise slopes) and intercept within each group."""
    from scipy.stats import theilslopes

    fits = [theilslopes(z[ids == g], u[ids == g]) for g in range(int(ids.max()) + 1)]
    return np.array([f.slope for f in fits]), np.array([f.intercept for f in fits])


@functools.lru_cache(maxsize=256)
def _t_quantile(dof: int, p: float) -> float:
    """The ``p``-quantile (``p > 1/2``) of Student's t with ``dof`` (an int) degrees of freedom.

    Bisection to double precision on the closed form of :math:`A(t\\mid\\nu) = P(|T|\\le t)`
    (Abramowitz & Stegun 26.7.3), at :math:`A = 2p - 1`.  Tested against
    ``scipy.special.stdtrit``; written out because importing scipy.special would be the largest
    cost of a verify whose points are all in the store.
    """
    target = 2.0 * p - 1.0
    lo, hi = 0.0, 1.0
    while _t_two_sided(hi, dof) < target:
        lo, hi = hi, 2.0 * hi
    while lo < (mid := 0.5 * (lo + hi)) < hi:
        lo, hi = (mid, hi) if _t_two_sided(mid, dof) < target else (lo, mid)
    return hi


def _t_two_sided(t: float, dof: int) -> float:
    """:math:`A(t\\mid\\nu)` for integer :math:`\\nu`: with :math:`\\theta = \\arctan(t/\\sqrt\\nu)`,
    :math:`\\sin\\theta\\sum_{k<\\nu/2} \\tfrac{(2k-1)!!}{(2k)!!}\\cos^{2k}\\theta` for even
    :math:`\\nu` and :math:`\\tfrac2\\pi\\bigl(\\theta + \\sin\\theta\\cos\\theta\\sum_{k<(\\nu-1)/2}
    \\tfrac{(2k)!!}{(2k+1)!!}\\cos^{2k}\\theta\\bigr)` for odd :math:`\\nu`."""
    theta = math.atan(t / math.sqrt(dof))
    c2 = math.cos(theta) ** 2
    odd = dof % 2
    term = total = 1.0
    for k in range(1, (dof - 1) // 2 if odd else dof // 2):
        term *= c2 * (2 * k - 1 + odd) / (2 * k + odd)
        total += term
    if odd:
        return (
            2.0
            / math.pi
            * (theta + (math.sin(theta) * math.cos(theta) * total if dof > 1 else 0.0))
        )
    return math.sin(theta) * total
