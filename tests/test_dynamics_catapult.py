"""The catapult detector and the schedules that make catapults.

Independence of the oracles: the synthetic traces are built by hand with the episode's start,
peak and end known by construction; the SGD checks compare the full-loss and batch-loss traces of
one run against the rule of the pilot study (the batch-loss rule counts noise, the
full-loss rule with a floor does not); the ramp schedule is checked against the kernel probe (the
rate set at a milestone must make c*eta*lambda_max(K) exactly 2*factor).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wideproof.dynamics import (
    CatapultEpisode,
    Piecewise,
    Probes,
    SupercriticalRamp,
    detect_catapults,
    gd,
    sgd,
)
from wideproof.errors import ConfigError
from wideproof.families import MLP, UVModel


def decay(steps: int, start: float = 1.0, rate: float = 0.95) -> list[float]:
    return [start * rate**t for t in range(steps)]


def test_clean_spike_is_found_with_its_start_peak_and_end() -> None:
    trace = decay(30)  # L_29 = 0.95^29
    pre = trace[-1]
    trace += [pre * 3, pre * 20, pre * 60, pre * 8, pre * 1.5, pre * 0.9]  # steps 30..35
    trace += [pre * 0.9 * 0.95**k for k in range(1, 40)]
    (episode,) = detect_catapults(trace)
    assert episode == CatapultEpisode(
        start=29, peak=32, end=35, pre_spike_loss=pre, peak_loss=pre * 60
    )
    assert episode.ratio == pytest.approx(60.0)


def test_two_spikes_are_two_episodes_and_bumps_inside_one_are_not_split() -> None:
    trace = decay(10)
    a = trace[-1]
    trace += [a * 5, a * 2, a * 7, a * 0.5]  # one episode with two local maxima: steps 10..13
    trace += decay(20, a * 0.5)[1:]
    b = trace[-1]
    trace += [b * 4, b * 0.8, *decay(10, b * 0.8)[1:]]
    episodes = detect_catapults(trace)
    assert [(e.start, e.peak, e.end) for e in episodes] == [(9, 12, 13), (32, 33, 34)]


def test_monotone_decay_gives_no_episode() -> None:
    assert detect_catapults(decay(500)) == ()
    assert detect_catapults(torch.tensor(decay(500))) == ()
    assert detect_catapults([]) == ()


def test_noise_below_the_spike_factor_gives_no_episode() -> None:
    """Multiplicative noise in [0.8, 1.2] never lifts the loss 2x over a pre-spike level (at most
    1.2/0.8 = 1.5x) but does make it rise often: a factor of 1.2 sees those rises."""
    rng = np.random.default_rng(0)
    trace = [0.99**t * (1 + 0.2 * rng.uniform(-1, 1)) for t in range(2000)]
    assert detect_catapults(trace, spike_factor=2.0) == ()
    assert len(detect_catapults(trace, spike_factor=1.2)) >= 20


def test_floor_and_return_window() -> None:
    """A spike from below min_level * L_0 does not count (float round-off at convergence); a rise
    that comes back only after more than return_window steps does not count."""
    low = decay(200, rate=0.9)  # L_199 ~ 8e-10 of L_0
    pre = low[-1]
    trace = [*low, pre * 10, pre * 0.5, *decay(5, pre * 0.5)[1:]]
    assert detect_catapults(trace) == ()
    assert len(detect_catapults(trace, min_level=0.0)) == 1
    slow = decay(10)
    pre = slow[-1]
    slow += [pre * 3] * 60 + [pre * 0.5]  # back below pre-spike level 61 steps after the start
    assert detect_catapults(slow, return_window=50) == ()
    (episode,) = detect_catapults(slow, return_window=61)
    assert (episode.start, episode.end) == (9, 70)


def test_detector_rejects_bad_parameters() -> None:
    for kwargs in (
        {"spike_factor": 1.0},
        {"spike_factor": math.inf},
        {"return_window": 0},
        {"min_level": -1.0},
        {"return_window": 2.5},
    ):
        with pytest.raises(ConfigError):
            detect_catapults(decay(10), **kwargs)
    with pytest.raises(ConfigError):
        detect_catapults(torch.ones(2, 2))


def sgd_task() -> tuple[MLP, torch.Tensor, torch.Tensor]:
    """A small version of the pilot study: 2-layer ReLU NTK net, d = 20, target x1 x2."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(64, 20, generator=gen, dtype=torch.float64)
    return MLP(input_dim=20, width=256, activation="relu"), X, X[:, 0] * X[:, 1]


def test_batch_noise_is_not_counted_on_the_full_loss() -> None:
    """Negative control: with the mean loss at eta = 0.5, below the critical rate of every batch
    (about 1.05 for single samples at this width, dynamics.md §5), the full training loss has no
    spike, while the same rule on the per-batch losses counts batch-to-batch variation."""
    spec, X, y = sgd_task()
    traj = sgd(
        spec.init(0),
        X,
        y,
        eta=0.5,
        steps=400,
        batch_size=4,
        seed=0,
        loss="mean",
        probes=Probes(every=None),
    )
    assert traj.batch_loss is not None and len(traj.batch_loss) == 400
    assert traj.loss[-1] < 0.05 * traj.loss[0]
    assert detect_catapults(traj.loss) == ()
    assert len(detect_catapults(traj.batch_loss)) >= 10


def test_supercritical_small_batches_catapult_on_the_full_loss() -> None:
    """At eta = 4 (mean loss), above the critical rate of size-4 batches but below that of the full
    batch (dynamics.md §5), the full training loss spikes repeatedly with b = 4 and never with
    full-batch GD."""
    spec, X, y = sgd_task()
    small = sgd(
        spec.init(0),
        X,
        y,
        eta=4.0,
        steps=400,
        batch_size=4,
        seed=0,
        loss="mean",
        probes=Probes(every=None),
    )
    full = gd(spec.init(0), X, y, eta=4.0, steps=400, loss="mean", probes=Probes(every=None))
    assert len(detect_catapults(small.loss)) >= 3
    assert detect_catapults(full.loss) == ()


def test_supercritical_ramp_sets_the_rate_from_the_current_sharpness() -> None:
    """At each milestone the rate becomes factor * eta_crit(w_t), so c*eta*lambda_max(K(w_t)) is
    exactly 2*factor there.  On the uv model (n = 1000, y = 0) each raise is followed by a
    catapult before the next raise: the loss climbs over 1000x its level at the raise and the
    sharpness product ends the window below 2 (repeated catapults by raising
    the rate, Zhu et al. 2024)."""
    n = 1000
    model = UVModel(n).init(0)
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    lam0 = float((model.flat_params() ** 2).sum()) / n
    milestones = (10, 45, 75)
    ramp = SupercriticalRamp(eta0=0.5 / lam0, milestones=milestones, factor=1.5)
    traj = gd(
        model,
        x,
        y,
        eta=ramp,
        steps=125,
        loss="half_sum",
        probes=Probes(every=1, gradient=False, kernel=True),
    )
    products = traj.sharpness_products()
    assert products[0] == pytest.approx(0.5, rel=1e-12)
    for m, following in zip(milestones, (*milestones[1:], traj.steps), strict=True):
        assert products[m] == pytest.approx(3.0, rel=1e-12)
        assert traj.eta[m - 1] != traj.eta[m] == traj.eta[m + 1]
        assert max(traj.loss[m:following]) > 1e3 * traj.loss[m]
        assert products[following - 1] < 2.0
    assert len(detect_catapults(traj.loss, min_level=0.0)) == len(milestones)


def test_piecewise_and_invalid_schedules() -> None:
    schedule = Piecewise(etas=(0.1, 0.2, 0.05), milestones=(3, 5))
    model = UVModel(50).init(0)
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    traj = gd(model, x, y, eta=schedule, steps=7, loss="half_sum")
    assert traj.eta == (0.1, 0.1, 0.1, 0.2, 0.2, 0.05, 0.05)
    with pytest.raises(ConfigError, match="etas"):
        Piecewise(etas=(0.1,), milestones=(3,))
    with pytest.raises(ConfigError, match="milestones"):
        Piecewise(etas=(0.1, 0.2, 0.3), milestones=(5, 3))
    with pytest.raises(ConfigError, match="factor"):
        SupercriticalRamp(eta0=0.1, milestones=(5,), factor=1.0)
    with pytest.raises(ConfigError, match="eta0"):
        SupercriticalRamp(eta0=-0.1, milestones=(5,))
