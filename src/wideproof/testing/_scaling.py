"""``assert_scaling``: a power-law assertion for users' test suites, with a readable failure.

False-failure rate.  With the default rule (the ``confidence`` interval must contain the expected
exponent) a *true* scaling law fails in about ``1 - confidence`` of independent seed sets: 5% at
0.95 (the per-seed t-interval's coverage, measured over 400 synthetic replications, is 95-96%;
``tests/test_fit.py`` checks >= 92 of 100 synthetic repetitions).  Inside a property test with
``N`` examples these compound to :math:`1 - c^N` (72% for 25 examples at 0.95).  Calibrate by:

* fixed seeds (the default ``seeds=5`` means seeds 0..4): the assertion is then deterministic --
  it either always passes or always fails for a given measure;
* ``tolerance``: assert :math:`|\\hat a - a| \\le` tolerance instead, with the tolerance set to
  about 5 standard deviations of :math:`\\hat a` measured offline;
* Bonferroni: ``confidence = 1 - 0.05 / N`` for ``N`` assertions per run.

Finite-width corrections are not noise: a :math:`\\sqrt{\\log m}` factor biases a plain slope
(-0.405 instead of -1/2 for a one-hidden-layer tanh network with Gaussian output weights at widths
2^6..2^13, where :math:`\\max_i|v_i|\\sim\\sqrt{2\\log m}`); pass it as ``log_power`` rather than
widening the interval.

A failed assertion is reported at the caller's line: pytest hides this function's frames
(``__tracebackhide__``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..results import Estimate
from ..sweeps import ExponentFit, FitMethod, fit_exponent

__all__ = ["assert_scaling"]


def assert_scaling(
    measure: Callable[[float, int], float | Estimate],
    knob: str,
    values: Sequence[float],
    expected_exponent: float,
    *,
    seeds: int | Sequence[int] = 5,
    confidence: float = 0.95,
    log_power: float = 0.0,
    tolerance: float | None = None,
    method: FitMethod = "ols",
) -> ExponentFit:
    """Assert that ``measure(value, seed)`` scales like ``value**expected_exponent``.

    Fits :math:`\\log y = a\\log x + b\\log\\log x + c_s` per seed (``b = log_power`` given) and
    takes the t-interval over seeds (:func:`wideproof.sweeps.fit_exponent`).

    Args:
        measure: ``(knob value, seed) -> value > 0`` (a float or an Estimate).
        knob: the knob's name, for the message.
        values: knob values (a geometric grid over >= 1.5 decades is recommended).
        expected_exponent: the exponent :math:`a` the law predicts.
        seeds: a number of seeds (0..n-1) or the seeds themselves.
        confidence: the interval's level.
        log_power: the known log factor's power.
        tolerance: when given, assert ``|a_hat - expected| <= tolerance`` instead of the interval.
        method: ``"ols"`` or ``"theil-sen"``.

    Returns:
        The fit, when the assertion holds.

    Raises:
        AssertionError: with the fit and a table of the points.
    """
    __tracebackhide__ = True  # pytest: the failure points at the user's call, not at this body
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    points = []
    for v in values:
        for s in seed_list:
            y = measure(v, s)
            points.append((float(v), y.value if isinstance(y, Estimate) else float(y), s))
    fit = fit_exponent(points, method=method, confidence=confidence, log_power=log_power)
    if tolerance is None:
        ok = fit.contains(expected_exponent)
        why = "outside" if not ok else "inside"
        criterion = f"expected {expected_exponent:g} ({why} the interval)"
    else:
        ok = abs(fit.exponent - expected_exponent) <= tolerance
        criterion = (
            f"expected {expected_exponent:g} +- {tolerance:g} "
            f"(off by {fit.exponent - expected_exponent:+.4g})"
        )
    if not ok:
        raise AssertionError(_message(fit, knob, criterion, values, seed_list))
    return fit


def _message(
    fit: ExponentFit, knob: str, criterion: str, values: Sequence[float], seeds: Sequence[int]
) -> str:
    factor = f" x (log {knob})^{fit.log_power:g}" if fit.log_power else ""
    head = (
        f"{knob} exponent{factor}: {fit.exponent:.4g}, {fit.confidence:.0%} CI "
        f"[{fit.ci_low:.4g}, {fit.ci_high:.4g}] ({fit.method} per seed, t over {len(seeds)} "
        f"seeds, r2 {fit.r2:.3f}); {criterion}"
    )
    table = {(x, s): y for x, y, s in fit.points}
    lines = [head, f"{knob:>10} " + " ".join(f"{'seed ' + str(s):>11}" for s in seeds)]
    for v in values:
        row = " ".join(f"{table[(float(v), s)]:>11.4g}" for s in seeds)
        lines.append(f"{v:>10g} {row}")
    return "\n".join(lines)
