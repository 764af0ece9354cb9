"""The trainer on every kind of model: MLP, the NQM of a ReLU net, the uv model; determinism,
divergence handling, the distance and AGOP-alignment probes, argument checks.

Independence of the oracles: the NQM update equations of Zhu et al. 2024 §2.3 (derived in the
paper and re-derived by hand) are evaluated from the recorded outputs and
the kernel of :func:`wideproof.measures.ntk`, not from the trainer's gradient; the AGOP alignment of
a two-layer linear network is checked against its closed form (the input gradient is the constant
vector :math:`u^Tv/\\sqrt m`); the distance probe against the returned final parameters.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from wideproof.dynamics import Probes, classify_phase, gd, sgd
from wideproof.errors import ConfigError, NumericalError
from wideproof.families import MLP, QuadraticModel, UVModel


def mlp_task(n: int = 32, d: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    return X, torch.tanh(X[:, 0] - X[:, 1])


def test_gd_and_sgd_train_an_mlp() -> None:
    X, y = mlp_task()
    model = MLP(input_dim=8, width=128, depth=2, activation="tanh").init(0)
    full = gd(model, X, y, eta=1.0, steps=200, loss="mean")
    mini = sgd(model, X, y, eta=0.5, steps=200, batch_size=8, seed=0, loss="mean")
    for traj in (full, mini):
        assert traj.status == "completed" and traj.steps == 200 and len(traj.eta) == 200
        assert traj.loss[-1] < 0.1 * traj.loss[0]
        assert len(traj.probes) == 201 and traj.probes[-1].step == 200
    assert full.batch_loss is None and full.batch_size is None and full.seed is None
    assert mini.batch_loss is not None and len(mini.batch_loss) == 200


def test_sgd_is_deterministic_by_seed() -> None:
    X, y = mlp_task()
    model = MLP(input_dim=8, width=64, activation="relu").init(1)
    a = sgd(model, X, y, eta=0.5, steps=50, batch_size=5, seed=7, loss="half_sum")
    b = sgd(model, X, y, eta=0.5, steps=50, batch_size=5, seed=7, loss="half_sum")
    c = sgd(model, X, y, eta=0.5, steps=50, batch_size=5, seed=8, loss="half_sum")
    assert a == b and torch.equal(a.final_params, b.final_params)
    assert a.batch_loss != c.batch_loss and not torch.equal(a.final_params, c.final_params)
    # the same starting point: the first full loss agrees whatever the batch order
    assert a.loss[0] == c.loss[0]


def test_sgd_with_one_batch_is_gd() -> None:
    """batch_size = n: every batch is the whole (shuffled) set, so SGD follows GD exactly
    (up to the summation order of the shuffled batch)."""
    X, y = mlp_task()
    model = MLP(input_dim=8, width=64).init(2)
    full = gd(model, X, y, eta=0.3, steps=20, loss="mean")
    one = sgd(model, X, y, eta=0.3, steps=20, batch_size=32, seed=0, loss="mean")
    assert one.loss == pytest.approx(full.loss, rel=1e-12)
    assert torch.allclose(one.final_params, full.final_params, rtol=0, atol=1e-12)


def test_nqm_single_example_update_equations() -> None:
    """The NQM of f = m^{-1/2} sum_i v_i relu(u_i^T x / sqrt d) on one example (Zhu et al. 2024,
    §2.3): g_{t+1}-y = (1 - eta lambda_t + (|x|²/(md)) eta² (g_t-y) g_t)(g_t-y) and
    lambda_{t+1} = lambda_t - eta (|x|²/(md)) (g_t-y)² (4 g_t/(g_t-y) - eta lambda_t), to 1e-12
    with the g-residual scaled by max(|g_t|, |g_{t+1}|, |g_t-y|, |g_{t+1}-y|) (dynamics.md §2).
    Settings of dynamics.md §2 (d = 5, y = 0.7, |x| = sqrt(d), eta lambda0 = 3) at m = 300 and 16
    steps (the NQM forward pass is slow): the catapult happens within them, with peak/m in
    [0.02, 0.08] (reference median 0.046 at eta lambda0 = 3, range 0.038-0.060 at m = 500) and
    eta lambda < 2 at the end."""
    m, d, target = 300, 5, 0.7
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, d, generator=gen, dtype=torch.float64)
    x = x / x.norm() * math.sqrt(d)
    base = MLP(input_dim=d, width=m, activation="relu").init(0)
    model = QuadraticModel(base).init()
    y = torch.full((1,), target, dtype=torch.float64)
    jac = torch.func.jacrev(lambda w: model.apply_flat(w, x))(model.flat_params())
    lam0 = float(jac.pow(2).sum())
    eta = 3.0 / lam0
    traj = gd(
        model,
        x,
        y,
        eta=eta,
        steps=16,
        loss="half_sum",
        probes=Probes(every=1, gradient=False, kernel=True, outputs=True),
    )
    g = np.array([p.outputs[0] for p in traj.probes])  # type: ignore[index]
    lam = np.array(traj.series("lambda_max"))
    k = float(x.norm() ** 2) / (m * d)
    r = g - target
    g_pred = target + (1 - eta * lam[:-1] + k * eta**2 * r[:-1] * g[:-1]) * r[:-1]
    scale = np.maximum.reduce([abs(g[:-1]), abs(g[1:]), abs(r[:-1]), abs(r[1:])])
    assert np.max(abs(g[1:] - g_pred) / scale) <= 1e-12
    lam_pred = lam[:-1] - eta * k * (4 * g[:-1] * r[:-1] - eta * lam[:-1] * r[:-1] ** 2)
    assert np.max(abs(lam[1:] - lam_pred) / lam[1:]) <= 1e-12
    assert lam[0] == pytest.approx(lam0, rel=1e-12)
    assert max(traj.loss) > 5 * traj.loss[0] and 0.02 <= max(traj.loss) / m <= 0.08
    assert eta * lam[-1] < 2.0


def test_distance_probe_and_path_length() -> None:
    X, y = mlp_task()
    model = MLP(input_dim=8, width=32).init(0)
    traj = gd(model, X, y, eta=0.5, steps=25, loss="half_sum", probes=Probes(every=5))
    assert [p.step for p in traj.probes] == [0, 5, 10, 15, 20, 25]
    assert traj.probes[0].distance == 0.0
    moved = float((traj.final_params - model.flat_params()).norm())
    assert traj.probes[-1].distance == pytest.approx(moved, rel=1e-14)
    assert moved <= traj.path_length


def test_agop_alignment_matches_the_closed_form() -> None:
    """For f(x) = v^T u x / sqrt(m) the input gradient is a = u^T v / sqrt(m) at every x, so
    G(f) = a a^T and the alignment with b b^T is (a.b)² / (|a|²|b|²)."""
    m, d = 40, 3
    model = UVModel(m, input_dim=d).init(0)
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(6, d, generator=gen, dtype=torch.float64)
    y = torch.randn(6, generator=gen, dtype=torch.float64)
    b = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    probes = Probes(every=None, gradient=False, agop_target=torch.outer(b, b))
    traj = gd(model, X, y, eta=0.05, steps=10, loss="half_sum", probes=probes)

    def closed_form(params: dict[str, torch.Tensor]) -> float:
        a = params["u"].T @ params["v"] / math.sqrt(m)
        return float((a @ b) ** 2 / ((a @ a) * (b @ b)))

    final = model.unflatten(traj.final_params)
    first, last = traj.series("agop_alignment")
    assert first == pytest.approx(closed_form(model.params), rel=1e-12)
    assert last == pytest.approx(closed_form(final), rel=1e-12)
    assert first != pytest.approx(last, rel=1e-6)


def test_nan_during_training_raises_with_the_step() -> None:
    """A rate so large that the loss overflows: the default reports the step; "stop" marks it."""
    model = UVModel(100).init(0)
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    with pytest.raises(NumericalError, match=r"step \d+"):
        gd(model, x, y, eta=1e3, steps=100, loss="half_sum")
    traj = gd(
        model,
        x,
        y,
        eta=1e3,
        steps=100,
        loss="half_sum",
        on_divergence="stop",
        probes=Probes(every=None),
    )
    assert traj.diverged and classify_phase(traj) == "diverged"
    assert traj.diverged_at is not None and traj.diverged_at < 100
    assert len(traj.probes) == 1  # only step 0: no probe at the diverged state
    json.dumps(traj.to_json())  # non-finite values are written as strings


def test_stop_ratio_and_json() -> None:
    X, y = mlp_task()
    model = MLP(input_dim=8, width=32).init(0)
    traj = gd(
        model,
        X,
        y,
        eta=1.0,
        steps=5000,
        loss="mean",
        stop_ratio=0.1,
        probes=Probes(every=None, kernel=True, top_s=3),
    )
    assert traj.status == "converged" and traj.steps < 5000
    assert traj.loss[-1] <= 0.1 * traj.loss[0] < traj.loss[-2]
    data = json.loads(json.dumps(traj.to_json()))
    assert data["status"] == "converged" and len(data["probes"]) == 2
    assert data["probes"][1]["kernel_top"] == list(traj.probes[1].kernel_top or ())
    with pytest.raises(ConfigError, match="agop_alignment"):
        traj.series("agop_alignment")


def test_bad_arguments_raise_config_errors() -> None:
    X, y = mlp_task()
    model = MLP(input_dim=8, width=16).init(0)
    cases: list[tuple[dict[str, object], str]] = [
        ({"loss": "sum"}, "loss"),
        ({"steps": -1}, "steps"),
        ({"eta": -0.1}, "eta"),
        ({"on_divergence": "ignore"}, "on_divergence"),
        ({"stop_ratio": 1.5}, "stop_ratio"),
    ]
    for kwargs, name in cases:
        args = {"eta": 0.1, "steps": 3, "loss": "mean", **kwargs}
        with pytest.raises(ConfigError, match=name):
            gd(model, X, y, **args)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="batch_size"):
        sgd(model, X, y, eta=0.1, steps=3, batch_size=33, seed=0, loss="mean")
    with pytest.raises(ConfigError, match="seed"):
        sgd(model, X, y, eta=0.1, steps=3, batch_size=4, seed=-1, loss="mean")
    with pytest.raises(ConfigError, match="y must"):
        gd(model, X, y[:5], eta=0.1, steps=3, loss="mean")
    with pytest.raises(ConfigError, match="X must"):
        gd(model, X[:, :3], y, eta=0.1, steps=3, loss="mean")
    with pytest.raises(ConfigError, match="every"):
        Probes(every=0)
    with pytest.raises(ConfigError, match="agop_target"):
        Probes(agop_target=torch.ones(3))


def test_kernel_probe_survives_a_residual_in_the_kernels_null_space(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the residual an eigenvector of K whose eigenvalue rounded to -1e-16, the PSD quadratic
    forms are clamped at 0 (a NaN cosine, not a math domain error)."""
    import wideproof.dynamics._probes as probes_module

    model = MLP(input_dim=2, width=8, depth=1).init(seed=0)
    X = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    q, _ = torch.linalg.qr(
        torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    )
    K = q @ torch.diag(torch.tensor([-1e-16, 1.0, 2.0], dtype=torch.float64)) @ q.T
    monkeypatch.setattr(probes_module, "ntk", lambda m, inputs: K)
    y = model(X).detach() - q[:, 0]  # residual = the eigenvector of the "negative" eigenvalue
    w = model.flat_params()
    rec, _ = probes_module.take_probes(
        Probes(gradient=False, kernel=True),
        model,
        w,
        w,
        X,
        y,
        step=0,
        loss="half_sum",
        loss_value=0.5,
        grad=None,
    )
    assert rec.kernel_grad_norm_sq == 0.0 and math.isnan(rec.mean_grad_cosine)  # type: ignore[arg-type]


def test_a_probe_that_was_off_is_an_error_not_a_number() -> None:
    from wideproof.dynamics import ProbeRecord
    from wideproof.errors import NumericalError

    record = ProbeRecord(step=3, loss=1.0, distance=0.0, lambda_max=2.5)
    assert record.scalar("lambda_max") == 2.5
    with pytest.raises(NumericalError, match="'agop_alignment' was off at step 3"):
        record.scalar("agop_alignment")
