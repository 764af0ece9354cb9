"""``hessian_trace`` and ``hessian_density`` on small MLPs against the dense Hessian of
``torch.autograd.functional.hessian`` (and the Gauss-Newton matrix from a dense
``torch.autograd.functional.jacobian``), with ``torch.linalg.eigvalsh`` for the spectrum."""

from __future__ import annotations

import pytest
import torch

from wideproof.errors import ConfigError
from wideproof.families import MLP, Model
from wideproof.linalg import gauss_newton, hutchpp
from wideproof.measures import hessian_density, hessian_trace

F64 = torch.float64
SPEC = MLP(input_dim=4, width=12, depth=2, activation="tanh", bias=True)


def _data(n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(5)
    return torch.randn(n, 4, generator=gen, dtype=F64), torch.randn(n, generator=gen, dtype=F64)


def _dense(model: Model, of: str) -> torch.Tensor:
    X, y = _data()
    if of == "output":
        return torch.autograd.functional.hessian(
            lambda w: model.apply_flat(w, X[0]), model.flat_params()
        )
    return torch.autograd.functional.hessian(
        lambda w: ((model.apply_flat(w, X) - y) ** 2).mean(), model.flat_params()
    )


def _args(of: str) -> tuple[torch.Tensor, dict[str, object]]:
    X, y = _data()
    return (X[0], {}) if of == "output" else (X, {"of": "loss", "targets": y})


@pytest.mark.parametrize("of", ["output", "loss"])
def test_trace_interval_contains_the_dense_trace(of: str) -> None:
    model = SPEC.init(seed=2)
    dense = _dense(model, of)
    trace = float(torch.trace(dense))
    x, kw = _args(of)
    est = hessian_trace(model, x, matvecs=60, seed=1, **kw)  # type: ignore[arg-type]
    assert est.method == "hutch++" and not est.exact and est.matvecs == 60
    assert est.contains(trace)
    exact = hessian_trace(model, x, matvecs=model.num_params, **kw)  # type: ignore[arg-type]
    assert exact.exact and exact.contains(trace)
    assert abs(exact.value - trace) <= 1e-10 * float(dense.abs().sum())


def test_float32_model_trace_and_density_cover_the_float64_hessian() -> None:
    model = SPEC.init(seed=2)
    dense = _dense(model, "loss")
    trace = float(torch.trace(dense))
    single = model.with_params({k: v.float() for k, v in model.params.items()})
    x, kw = _args("loss")
    exact = hessian_trace(single, x.float(), method="exact", **kw)  # type: ignore[arg-type]
    assert exact.exact and exact.interval[1] - exact.interval[0] < 1e-9 * abs(trace) + 1e-12
    assert abs(exact.value - trace) < 1e-5 * float(dense.abs().sum())
    approx = hessian_trace(single, x.float(), matvecs=60, **kw)  # type: ignore[arg-type]
    assert approx.contains(trace)
    eig = torch.linalg.eigvalsh(dense)
    lo, hi = hessian_density(single, x.float(), steps=40, probes=2, **kw).support  # type: ignore[arg-type]
    assert lo <= float(eig[0]) and float(eig[-1]) <= hi


def test_gauss_newton_trace_interval_contains_the_dense_trace() -> None:
    model = SPEC.init(seed=2)
    X, _ = _data()
    J = torch.autograd.functional.jacobian(lambda w: model.apply_flat(w, X), model.flat_params())
    trace = float(torch.trace(2.0 / X.shape[0] * J.T @ J))
    est = hutchpp(gauss_newton(model, X), 30, seed=0)
    assert est.contains(trace)
    assert abs(est.value - trace) < 1e-8 * trace  # rank 8 <= the sketch of 10: exact up to rounding


@pytest.mark.parametrize("of", ["output", "loss"])
def test_density_support_contains_the_dense_eigenvalues(of: str) -> None:
    model = SPEC.init(seed=2)
    eig = torch.linalg.eigvalsh(_dense(model, of)).numpy()
    x, kw = _args(of)
    density = hessian_density(model, x, steps=40, probes=2, **kw)  # type: ignore[arg-type]
    assert density.size == model.num_params and density.matvecs <= 80
    lo, hi = density.support
    assert lo <= eig[0] and eig[-1] <= hi


def test_bad_arguments_are_refused() -> None:
    model = SPEC.init(seed=2)
    x, kw = _args("loss")
    with pytest.raises(ConfigError, match="matvecs"):
        hessian_trace(model, x, matvecs=0, **kw)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="method"):
        hessian_trace(model, x, method="lanczos", **kw)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="targets"):
        hessian_trace(model, x, of="loss")
    with pytest.raises(ConfigError, match="probes"):
        hessian_density(model, x, probes=0, **kw)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Model"):
        hessian_density(object(), x)  # type: ignore[arg-type]


def test_module_trace_and_density_for_cross_entropy_loss_ggn_and_fisher() -> None:
    """An ``nn.Module`` (conv + BatchNorm in eval mode) with a callable loss: the exact trace of
    the loss Hessian equals the dense one, the Hutch++ interval contains it, and the GGN and Fisher
    traces equal tr(J^T H_l J) and the sum of squared per-sample gradient norms / n."""
    import torch.nn.functional as F
    from torch import nn
    from torch.autograd.functional import hessian
    from torch.func import functional_call, jacrev

    gen = torch.Generator().manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Tanh(), nn.Flatten(), nn.Linear(32, 3)
    ).double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.5)
    module.eval()
    X = torch.randn(8, 1, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (8,), generator=gen)
    names = [n for n, _ in module.named_parameters()]
    shapes = [p.shape for p in module.parameters()]
    w0 = torch.cat([p.detach().reshape(-1) for p in module.parameters()])

    def params(w: torch.Tensor) -> dict[str, torch.Tensor]:
        return dict(
            zip(
                names,
                (
                    t.view(s)
                    for t, s in zip(w.split([s.numel() for s in shapes]), shapes, strict=True)
                ),
                strict=True,
            )
        )

    def outputs(w: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = functional_call(module, params(w), (X,))
        return out

    dense = float(torch.trace(hessian(lambda w: F.cross_entropy(outputs(w), y), w0)))
    kw = {"targets": y, "loss": F.cross_entropy}
    exact = hessian_trace(module, X, of="loss", matvecs=10_000, **kw)  # type: ignore[arg-type]
    assert exact.exact and abs(exact.value - dense) < 1e-10 * abs(dense)
    estimate = hessian_trace(module, X, of="loss", matvecs=60, **kw)  # type: ignore[arg-type]
    assert not estimate.exact and estimate.contains(dense)

    J = jacrev(outputs)(w0).reshape(8, 3, -1)
    p = torch.softmax(outputs(w0), dim=1)
    h_out = (torch.diag_embed(p) - p[:, :, None] * p[:, None, :]) / 8  # Hessian of the mean CE
    ggn = float(torch.einsum("nip,nij,njp->", J, h_out, J))
    assert hessian_trace(module, X, of="ggn", matvecs=10_000, **kw).value == pytest.approx(
        ggn, rel=1e-10
    )  # type: ignore[arg-type]
    grads = torch.einsum("ni,nip->np", (p - F.one_hot(y, 3)), J)  # per-sample CE gradients
    fisher = float((grads**2).sum()) / 8
    assert hessian_trace(module, X, of="fisher", matvecs=10_000, **kw).value == pytest.approx(
        fisher, rel=1e-10
    )  # type: ignore[arg-type]
    density = hessian_density(module, X, of="loss", steps=20, probes=2, **kw)  # type: ignore[arg-type]
    lo, hi = density.support
    eig = torch.linalg.eigvalsh(hessian(lambda w: F.cross_entropy(outputs(w), y), w0))
    assert lo <= float(eig[0]) and float(eig[-1]) <= hi
