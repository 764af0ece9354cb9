"""Probes along training: the loss-Hessian sharpness (warm-started Lanczos), custom probes, the
edge-of-stability product, and the relative divergence rule."""

from __future__ import annotations

import math

import pytest
import torch

from wideproof.dynamics import Probes, gd, sgd
from wideproof.dynamics._probes import sharpness
from wideproof.errors import ConfigError, NumericalError
from wideproof.families import MLP, Model


def _data(n: int = 12, d: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    X = torch.randn(n, d, dtype=torch.float64, generator=gen)
    return X, torch.sin(2 * X[:, 0])


def _model() -> Model:
    return MLP(input_dim=3, width=8, depth=2, parameterization="standard").init(seed=1)


def _dense_top(model: Model, X: torch.Tensor, y: torch.Tensor) -> float:
    """Reference: the top eigenvalue of the dense autograd Hessian of the mean loss."""
    w = model.flat_params().detach()
    H = torch.autograd.functional.hessian(lambda v: ((model.apply_flat(v, X) - y) ** 2).mean(), w)
    return float(torch.linalg.eigvalsh(H)[-1])


def _norm(m: Model) -> float:
    return float(m.flat_params().norm())


def test_probe_series_equal_chunked_recomputation() -> None:
    """One run probing every 5 steps equals 4 chunks of 5 steps, each end state measured afresh
    (the sharpness against the dense Hessian within its certified bound)."""
    X, y = _data()
    eta, chunk = 0.2, 5
    probes = Probes(every=chunk, sharpness=True, sharpness_tol=1e-10, custom={"wnorm": _norm})
    traj = gd(_model(), X, y, eta=eta, steps=4 * chunk, loss="mean", probes=probes)
    assert traj.series("step") == (0, 5, 10, 15, 20)
    model = _model()
    expected_sharp, expected_norm = [_dense_top(model, X, y)], [_norm(model)]
    for _ in range(4):
        part = gd(model, X, y, eta=eta, steps=chunk, loss="mean", probes=Probes(every=None))
        model = model.with_params(part.final_params)
        expected_sharp.append(_dense_top(model, X, y))
        expected_norm.append(_norm(model))
    for got, bound, want in zip(
        traj.series("sharpness"), traj.series("sharpness_error"), expected_sharp, strict=True
    ):
        assert abs(got - want) <= bound + 1e-12 * abs(want)
    assert traj.series("wnorm") == pytest.approx(expected_norm, rel=1e-12)
    products = traj.edge_products()
    assert products == pytest.approx([eta * s for s in expected_sharp], rel=1e-8)


def test_warm_started_sharpness_equals_cold_with_fewer_products() -> None:
    """Along one GD run, Lanczos from the previous probe's Ritz vector agrees with a cold start
    within the two certified bounds and costs fewer Hessian-vector products in total."""
    X, y = _data(n=32)
    model = MLP(input_dim=3, width=32, depth=2, parameterization="standard").init(seed=1)
    traj = gd(model, X, y, eta=0.1, steps=40, loss="mean", probes=Probes(every=2, sharpness=True))
    warm_cost, cold_cost = 0, 0
    w = model.flat_params().detach()
    for record in traj.probes:
        # rebuild the probed state by replaying GD to this step
        if record.step:
            w = gd(model, X, y, eta=0.1, steps=record.step, loss="mean").final_params
        cold, cold_err, cold_mv, _ = sharpness(model.with_params(w), X, y, "mean", 1e-6)
        assert record.sharpness is not None and record.sharpness_error is not None
        assert abs(record.sharpness - cold) <= record.sharpness_error + cold_err
        if record.step:
            warm_cost += record.sharpness_matvecs or 0
            cold_cost += cold_mv
    assert warm_cost < cold_cost


def test_custom_probe_and_bad_probes() -> None:
    X, y = _data()
    traj = sgd(
        _model(),
        X,
        y,
        eta=0.05,
        steps=4,
        batch_size=4,
        seed=0,
        loss="mean",
        probes=Probes(custom={"loss_again": lambda m: float(((m(X) - y) ** 2).mean())}),
    )
    assert traj.series("loss_again") == pytest.approx(traj.series("loss"), rel=1e-12)
    with pytest.raises(ConfigError, match="not a probe"):
        traj.series("nope")
    with pytest.raises(ConfigError, match="identifier"):
        Probes(custom={"loss": _norm})
    with pytest.raises(ConfigError, match="float"):
        gd(_model(), X, y, eta=0.1, steps=1, loss="mean", probes=Probes(custom={"v": lambda m: m}))


def test_a_loss_that_explodes_is_never_completed() -> None:
    """Past the stability edge the loss grows geometrically; the default relative rule
    (10^6 x L0) stops it as diverged long before overflow, and raises by default."""
    X, y = _data()
    kwargs = {"eta": 5.0, "steps": 400, "loss": "mean", "probes": Probes(every=None)}
    traj = gd(_model(), X, y, on_divergence="stop", **kwargs)  # type: ignore[arg-type]
    assert traj.status == "diverged" and traj.diverged_at is not None
    assert traj.loss[-1] > 1e6 * traj.loss[0] and math.isfinite(traj.loss[-1])
    with pytest.raises(NumericalError, match="diverged"):
        gd(_model(), X, y, **kwargs)  # type: ignore[arg-type]
    off = gd(_model(), X, y, on_divergence="stop", divergence_factor=math.inf, **kwargs)  # type: ignore[arg-type]
    assert off.status == "diverged" and not math.isfinite(off.loss[-1])
    with pytest.raises(ConfigError, match="divergence_factor"):
        gd(_model(), X, y, divergence_factor=0.5, **kwargs)  # type: ignore[arg-type]
