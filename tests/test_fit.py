"""Tests of ``fit_exponent`` and ``assert_scaling``.

Oracles independent of the code under test: exact power laws (the exponent is known by
construction), ``numpy.polyfit`` per seed with a tabulated Student-t quantile
(t_{4, 0.975} = 2.7764451051977987), scipy's ``stdtrit`` for the closed-form t quantile, a
brute-force median of pairwise slopes for Theil-Sen, and a Monte Carlo coverage count on
synthetic data whose true exponent is known.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _claims_helpers import noisy_power_law

from wideproof.errors import ConfigError, NumericalError
from wideproof.sweeps import ExponentFit, fit_exponent
from wideproof.testing import assert_scaling

WIDTHS = (16, 32, 64, 128, 256, 512, 1024, 2048)
T_4_975 = 2.7764451051977987


def _points(a: float, seeds: int = 5, rep: int = 0) -> list[tuple[float, float, int]]:
    return [(m, noisy_power_law(m, s, a, rep), s) for m in WIDTHS for s in range(seeds)]


def test_exact_power_law_recovered_with_zero_width_interval() -> None:
    pts = [(m, 3.0 * m**-0.5 * (1.5 if s else 1.0), s) for m in WIDTHS for s in range(3)]
    fit = fit_exponent(pts)
    assert fit.exponent == pytest.approx(-0.5, abs=1e-12)
    assert fit.ci_high - fit.ci_low == pytest.approx(0.0, abs=1e-10)
    assert fit.r2 == pytest.approx(1.0)


def test_known_log_factor_is_divided_out() -> None:
    pts = [(m, m**-0.5 * math.sqrt(math.log(m)) * (s + 1), s) for m in WIDTHS for s in range(3)]
    assert fit_exponent(pts, log_power=0.5).exponent == pytest.approx(-0.5, abs=1e-12)
    # without the factor the plain slope is biased towards 0, as a simulation shows
    assert fit_exponent(pts).exponent > -0.45


def test_ols_t_interval_matches_polyfit_and_tabulated_quantile() -> None:
    pts = _points(-0.5)
    slopes = []
    for s in range(5):
        xs = np.log([m for m, _, t in pts if t == s])
        ys = np.log([y for _, y, t in pts if t == s])
        slopes.append(np.polyfit(xs, ys, 1)[0])
    half = T_4_975 * np.std(slopes, ddof=1) / math.sqrt(5)
    fit = fit_exponent(pts)
    assert fit.exponent == pytest.approx(np.mean(slopes), abs=1e-12)
    assert fit.ci_low == pytest.approx(np.mean(slopes) - half, abs=1e-12)
    assert fit.ci_high == pytest.approx(np.mean(slopes) + half, abs=1e-12)


@pytest.mark.parametrize("dof", [1, 2, 3, 4, 7, 10, 29, 30, 99])
def test_t_quantile_matches_scipy(dof: int) -> None:
    """The closed-form Student-t quantile (no scipy import on the verify path) against scipy's."""
    from scipy.special import stdtrit

    from wideproof.sweeps._fit import _t_quantile

    for p in (0.55, 0.8, 0.9, 0.95, 0.975, 0.995, 0.9995):
        assert _t_quantile(dof, p) == pytest.approx(float(stdtrit(dof, p)), rel=1e-12)


def test_theil_sen_is_the_mean_of_per_seed_median_pairwise_slopes() -> None:
    pts = _points(-0.3, seeds=4)
    pts[3] = (pts[3][0], pts[3][1] * 50.0, pts[3][2])  # an outlier
    medians = []
    for s in range(4):
        xy = [(math.log(m), math.log(y)) for m, y, t in pts if t == s]
        pair = [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in itertools.combinations(xy, 2)]
        medians.append(float(np.median(pair)))
    fit = fit_exponent(pts, method="theil-sen")
    assert fit.exponent == pytest.approx(np.mean(medians), abs=1e-12)
    assert abs(fit.exponent + 0.3) < abs(fit_exponent(pts).exponent + 0.3)


def test_coverage_of_the_95_percent_interval() -> None:
    """Acceptance: the interval contains the true exponent in >= 92 of 100 repetitions."""
    hits = sum(fit_exponent(_points(-0.5, rep=rep)).contains(-0.5) for rep in range(100))
    assert hits >= 92


def test_json_round_trip() -> None:
    fit = fit_exponent(_points(-0.5), log_power=0.5, method="theil-sen")
    assert ExponentFit.from_json(fit.to_json()) == fit


@pytest.mark.parametrize(
    ("pts", "kwargs", "error"),
    [
        ([(16, 1.0, 0), (32, 0.5, 0)], {}, ConfigError),  # one seed
        ([(16, 1.0, 0), (16, 0.5, 1), (32, 1.0, 1)], {}, ConfigError),  # one knob value
        ([(16, 1.0, 0), (32, 0.0, 0), (16, 1.0, 1), (32, 1.0, 1)], {}, NumericalError),
        ([(1, 1.0, 0), (32, 1.0, 0), (1, 1.0, 1), (32, 1.0, 1)], {"log_power": 0.5}, ConfigError),
        (_points(-0.5), {"confidence": 1.0}, ConfigError),
        (_points(-0.5), {"method": "huber"}, ConfigError),
    ],
)
def test_bad_input(pts: list[tuple[float, float, int]], kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        fit_exponent(pts, **kwargs)


def test_assert_scaling_passes_and_fails_with_a_readable_message() -> None:
    fit = assert_scaling(lambda m, s: noisy_power_law(m, s, -0.5), "width", WIDTHS, -0.5)
    assert fit.contains(-0.5)
    with pytest.raises(AssertionError) as info:
        assert_scaling(lambda m, s: noisy_power_law(m, s, -0.5), "width", WIDTHS, 0.0)
    text = str(info.value)
    assert "width exponent" in text and "outside the interval" in text
    assert "seed 4" in text and "2048" in text  # the points table


def test_assert_scaling_tolerance_mode() -> None:
    assert_scaling(lambda m, s: m**-1.0 * (1 + s), "depth", (2, 4, 8), -1.0, tolerance=1e-9)
    with pytest.raises(AssertionError, match="off by"):
        assert_scaling(lambda m, s: m**-0.9 * (1 + s), "depth", (2, 4, 8), -1.0, tolerance=0.05)
