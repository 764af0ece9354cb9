"""Any ``nn.Module`` as a model: loss Hessian, GGN and Fisher of any loss, data loaders, families.

Every operator is checked against an independent dense reference: ``torch.autograd.functional
.hessian`` of the loss through ``torch.func.functional_call``, ``torch.func.jacrev`` of the
outputs, and per-sample gradients taken one sample at a time with ``torch.autograd.grad``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from wideproof.errors import AssumptionError, ConfigError, NumericalError
from wideproof.families import Model, from_module, module_family
from wideproof.linalg import curvature_operator, dense_matrix, gauss_newton, resolve_loss
from wideproof.measures import (
    agop,
    directional_derivative,
    hessian_eigs,
    linearization_gap,
    ntk,
    ntk_change,
)
from wideproof.sweeps import Task
from wideproof.testing import assert_scaling

CLASSES = 3
SHAPE = (2, 5, 5)
"""One image: 2 channels of 5x5 (99 parameters in :func:`small_cnn`)."""


def small_cnn(channels: int = 2) -> nn.Module:
    """Conv -> BatchNorm (eval, non-trivial running statistics) -> tanh -> linear, float64."""
    net = nn.Sequential(
        nn.Conv2d(2, channels, 3),
        nn.BatchNorm2d(channels),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(channels * 9, CLASSES),
    ).double()
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.fixture
def data() -> tuple[nn.Module, Tensor, Tensor]:
    torch.manual_seed(0)
    net = small_cnn()
    X = torch.randn(9, *SHAPE, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (9,))
    return net, X, y


def flat_call(net: nn.Module, model: Model, X: Tensor):  # type: ignore[no-untyped-def]
    """``w -> net(X)`` on the flat trainable parameters (the reference's own function)."""

    def f(w: Tensor) -> Tensor:
        return torch.func.functional_call(net, model.unflatten(w), (X,))

    return f


def dense_loss_hessian(net: nn.Module, X: Tensor, y: Tensor, loss) -> Tensor:  # type: ignore[no-untyped-def]
    model = from_module(net, input_shape=tuple(X.shape[1:]))
    f = flat_call(net, model, X)
    return torch.autograd.functional.hessian(lambda w: loss(f(w), y), model.flat_params())


def test_cnn_loss_hessian_eigenvalues_within_bounds_of_dense(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    spec = hessian_eigs(
        net, X, 2, of="loss", targets=y, loss=F.cross_entropy, method="lanczos", tol=1e-10
    )
    dense = torch.linalg.eigvalsh(dense_loss_hessian(net, X, y, F.cross_entropy))
    reference = torch.cat([dense[:2], dense[-2:]])
    scale = float(dense.abs().max())
    for value, bound, ref in zip(spec.eigenvalues, spec.error_bounds, reference, strict=True):
        assert abs(value - float(ref)) <= bound + 1e-12 * scale
    assert spec.method == "lanczos"


def test_cnn_at_the_single_iteration_tolerance_stays_in_float64(data) -> None:  # type: ignore[no-untyped-def]
    """At tol >= 1e-6 a float64 library model iterates on a float32 copy; a module (whose
    buffers keep float64) with integer class targets iterates in float64 and meets tol."""
    net, X, y = data
    spec = hessian_eigs(
        net,
        X,
        1,
        of="loss",
        targets=y,
        loss=F.cross_entropy,
        which="largest",
        tol=1e-6,
        method="lanczos",
    )
    top = float(torch.linalg.eigvalsh(dense_loss_hessian(net, X, y, F.cross_entropy))[-1])
    (value,), (bound,) = spec.eigenvalues, spec.error_bounds
    assert bound <= 1e-6 * abs(value) and abs(value - top) <= bound + 1e-12 * abs(top)


def test_module_ntk_equals_jacobian_contraction(data) -> None:  # type: ignore[no-untyped-def]
    net, X, _ = data
    model = from_module(net, input_shape=SHAPE)
    jac = torch.func.jacrev(flat_call(net, model, X))(model.flat_params())  # (n, k, P)
    J = jac.reshape(X.shape[0] * CLASSES, -1)
    K = ntk(net, X)
    assert K.shape == (27, 27)
    torch.testing.assert_close(K, J @ J.T, rtol=1e-12, atol=1e-12)


def test_layernorm_output_hessian_matches_dense() -> None:
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.Tanh(), nn.Linear(6, 1)).double()
    x = torch.randn(1, 4, dtype=torch.float64)
    model = from_module(net)  # the input shape is read from the first Linear
    assert model.spec.input_shape == (4,)
    spec = hessian_eigs(net, x, 3, method="dense")
    f = flat_call(net, model, x)
    dense = torch.linalg.eigvalsh(
        torch.autograd.functional.hessian(lambda w: f(w)[0, 0], model.flat_params())
    )
    reference = torch.cat([dense[:3], dense[-3:]])
    torch.testing.assert_close(
        torch.tensor(spec.eigenvalues, dtype=torch.float64), reference, rtol=0, atol=1e-12
    )


def test_frozen_layer_is_excluded(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    net[0].requires_grad_(False)
    model = from_module(net, input_shape=SHAPE)
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert model.num_params == trainable == 99 - (2 * 2 * 9 + 2)
    assert "0.weight" not in model.params
    op = curvature_operator(model, X, y, "loss", resolve_loss(F.cross_entropy))
    torch.testing.assert_close(
        dense_matrix(op), dense_loss_hessian(net, X, y, F.cross_entropy), rtol=1e-10, atol=1e-12
    )


def _ggn_reference(net: nn.Module, X: Tensor, y: Tensor) -> Tensor:
    """:math:`J^T H_\\ell J` from ``jacrev`` of the outputs and the dense output-space Hessian."""
    model = from_module(net, input_shape=tuple(X.shape[1:]))
    J = torch.func.jacrev(flat_call(net, model, X))(model.flat_params()).reshape(
        -1, model.num_params
    )
    out = net(X).detach()
    H = torch.autograd.functional.hessian(
        lambda o: F.cross_entropy(o.view_as(out), y), out.reshape(-1)
    )
    return J.T @ H @ J


def _fisher_reference(net: nn.Module, X: Tensor, y: Tensor) -> Tensor:
    """:math:`\\frac1N\\sum_i g_i g_i^T` from one backward pass per sample."""
    grads = []
    for i in range(X.shape[0]):
        net.zero_grad()
        loss = F.cross_entropy(net(X[i : i + 1]), y[i : i + 1])
        params = [p for p in net.parameters() if p.requires_grad]
        grads.append(torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)]))
    G = torch.stack(grads)
    return G.T @ G / X.shape[0]


@pytest.mark.parametrize("of", ["ggn", "fisher"])
def test_ggn_and_fisher_match_dense_references(data, of: str) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    model = from_module(net, input_shape=SHAPE)
    op = curvature_operator(model, X, y, of, resolve_loss(F.cross_entropy))  # type: ignore[arg-type]
    reference = _ggn_reference(net, X, y) if of == "ggn" else _fisher_reference(net, X, y)
    dense = dense_matrix(op)
    torch.testing.assert_close(dense, reference, rtol=1e-10, atol=1e-13)
    assert float(torch.linalg.eigvalsh(dense)[0]) > -1e-12 * float(dense.norm())  # PSD


def test_ggn_of_the_squared_loss_is_gauss_newton() -> None:
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    X, Y = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    model = from_module(net)
    ggn = dense_matrix(curvature_operator(model, X, Y, "ggn", resolve_loss("mean")))
    torch.testing.assert_close(
        ggn, dense_matrix(gauss_newton(model, X, "mean")), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("of", ["loss", "ggn", "fisher"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_dataloader_of_three_batches_equals_full_batch(data, of: str, shuffle: bool) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    model = from_module(net, input_shape=SHAPE)
    loss = resolve_loss(F.cross_entropy)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=shuffle)  # 4 + 4 + 1
    assert len(loader) == 3
    # `of` is a parametrized str, not the Literal the signature names
    full = curvature_operator(model, X, y, of, loss)  # type: ignore[arg-type]
    batched = curvature_operator(model, loader, None, of, loss)  # type: ignore[arg-type]
    for v in torch.randn(
        4, model.num_params, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    ):
        expected = full.matvec(v)
        torch.testing.assert_close(
            batched.matvec(v), expected, rtol=0, atol=1e-12 * float(expected.abs().max())
        )


def test_summed_loss_weights_batches_by_one(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    model = from_module(net, input_shape=SHAPE)

    def summed(out: Tensor, t: Tensor) -> Tensor:
        return F.cross_entropy(out, t, reduction="sum")

    loss = resolve_loss(summed, "sum")
    batches = [(X[:4], y[:4]), (X[4:], y[4:])]
    full = dense_matrix(curvature_operator(model, X, y, "loss", loss))
    torch.testing.assert_close(
        dense_matrix(curvature_operator(model, batches, None, "loss", loss)),
        full,
        rtol=1e-12,
        atol=1e-12,
    )
    torch.testing.assert_close(full, X.shape[0] * dense_loss_hessian(net, X, y, F.cross_entropy))


def test_float32_module_certified_by_float64_copy(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    net = net.float()
    spec = hessian_eigs(
        net,
        X.float(),
        1,
        of="loss",
        targets=y,
        loss=F.cross_entropy,
        which="largest",
        method="lanczos",
        tol=1e-5,
    )
    dense = torch.linalg.eigvalsh(dense_loss_hessian(net.double(), X, y, F.cross_entropy))
    assert abs(spec.eigenvalues[0] - float(dense[-1])) <= spec.error_bounds[0] + 1e-12


def test_multi_output_hessian_needs_an_explicit_output(data) -> None:  # type: ignore[no-untyped-def]
    net, X, _ = data
    with pytest.raises(ConfigError, match=r"3 outputs.*output="):
        hessian_eigs(net, X[:1], 1, method="dense")
    model = from_module(net, input_shape=SHAPE, output=2)
    spec = hessian_eigs(model, X[0], 1, which="largest", method="dense")
    f = flat_call(net, model, X[:1])
    dense = torch.autograd.functional.hessian(lambda w: f(w)[0, 2], model.flat_params())
    assert spec.eigenvalues[0] == pytest.approx(float(torch.linalg.eigvalsh(dense)[-1]), abs=1e-12)


# -- refusals ---------------------------------------------------------------------------------
def test_train_mode_batchnorm_and_dropout_are_refused(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    with pytest.raises(ConfigError, match=r"1 \(BatchNorm2d\) is in training mode.*eval\(\)"):
        hessian_eigs(net.train(), X, of="loss", targets=y, loss=F.cross_entropy)
    dropout = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1)).double()
    with pytest.raises(ConfigError, match=r"Dropout.*training mode"):
        from_module(dropout)


def test_batch_dependent_module_is_refused() -> None:
    class Centred(nn.Module):  # subtracts the batch mean: a sample's output depends on the batch
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x: Tensor) -> Tensor:
            return self.lin(x - x.mean(0))

    with pytest.raises(ConfigError, match="depends on the rest of the batch"):
        from_module(Centred().double())


def test_planted_wrong_inputs_raise_typed_errors(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    model = from_module(net, input_shape=SHAPE)
    with pytest.raises(ConfigError, match=r"expects one input of shape \(2, 5, 5\)"):
        model(torch.randn(4, 3, 5, 5, dtype=torch.float64))
    with pytest.raises(ConfigError, match=r"input_shape is needed.*Conv2d"):
        from_module(net)
    with pytest.raises(ConfigError, match="output=5 is not an index of the module's 3 outputs"):
        from_module(net, input_shape=SHAPE, output=5)
    with pytest.raises(ConfigError, match="9 targets are needed"):
        hessian_eigs(model, X, of="loss", targets=y[:5], loss=F.cross_entropy)
    with pytest.raises(ConfigError, match="the loss fails on outputs"):
        hessian_eigs(model, X, of="loss", targets=torch.randint(0, 3, (9, 2)), loss=F.cross_entropy)
    with pytest.raises(ConfigError, match="loss_reduction='mean' is declared"):
        hessian_eigs(
            model, X, of="loss", targets=y, loss=lambda o, t: F.cross_entropy(o, t, reduction="sum")
        )
    with pytest.raises(ConfigError, match="must return a scalar"):
        hessian_eigs(
            model,
            X,
            of="loss",
            targets=y,
            loss=lambda o, t: F.cross_entropy(o, t, reduction="none"),
        )
    shuffled = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, drop_last=True)
    with pytest.raises(ConfigError, match="drop_last=True"):
        hessian_eigs(model, shuffled, of="loss", loss=F.cross_entropy)
    with pytest.raises(ConfigError, match="one-pass iterator"):
        hessian_eigs(model, iter([(X, y)]), of="loss", loss=F.cross_entropy)
    with torch.no_grad():
        net[4].weight[0, 0] = float("nan")
    with pytest.raises(NumericalError, match=r"'4\.weight' contains NaN"):
        hessian_eigs(net, X, of="loss", targets=y, loss=F.cross_entropy)


# -- families from a build function -----------------------------------------------------------
def build_cnn(width: int) -> nn.Module:
    """A module-level build function: its qualified name keys the family's specs."""
    return nn.Sequential(
        nn.Conv2d(2, width, 3), nn.Tanh(), nn.Flatten(), nn.Linear(width * 16, CLASSES)
    ).eval()


def test_module_family_draws_per_seed_without_touching_the_global_rng() -> None:
    family = module_family(build_cnn, (2, 6, 6))
    spec = family(4)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b, c = spec.init(0), spec.init(0), spec.init(1)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert (
        a.dtype == torch.float64
        and a.num_params == spec.param_count() == 2 * 4 * 9 + 4 + 4 * 16 * 3 + 3
    )
    assert torch.equal(a.flat_params(), b.flat_params())
    assert not torch.equal(a.flat_params(), c.flat_params())
    assert a.spec == spec and family(8) != spec
    assert spec.describe()["build"].endswith("test_modules.build_cnn")
    task = Task(top_loss_eigenvalue, spec, "width", 4, seed=1, dtype="float32")
    again = Task(top_loss_eigenvalue, family(4), "width", 4, seed=1, dtype="float32")
    assert task.key() == again.key()  # a store finds the point again from a rebuilt family
    model = task.model()  # what a sweep measures: the seeded draw, in the task's dtype
    assert model.dtype == torch.float32
    assert torch.equal(model.flat_params(), c.flat_params().float())


def top_loss_eigenvalue(task: Task) -> float:  # a sweep measure (module level, as sweeps need)
    raise NotImplementedError("only its name keys the task here")


def test_module_family_digest_is_stable_across_processes() -> None:
    here = module_family(build_cnn, (2, 6, 6))(4).digest()
    code = (
        "import sys; sys.path.insert(0, 'tests'); import test_modules as t; "
        "from wideproof.families import module_family; "
        "print(module_family(t.build_cnn, (2, 6, 6))(4).digest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here


# -- the other measures take modules ----------------------------------------------------------
def tiny_mlp(activation: type[nn.Module] = nn.Tanh) -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(3, 5), activation(), nn.Linear(5, 1)).double()


def test_directional_derivatives_of_a_module_match_gradient_and_hessian() -> None:
    net = tiny_mlp()
    x = torch.randn(1, 3, dtype=torch.float64)
    model = from_module(net)
    v = torch.randn(model.num_params, dtype=torch.float64)
    f = flat_call(net, model, x)
    w0 = model.flat_params()
    grad = torch.func.grad(lambda w: f(w)[0, 0])(w0)
    hess = torch.autograd.functional.hessian(lambda w: f(w)[0, 0], w0)
    first = directional_derivative(net, x, v, 1)
    second = directional_derivative(net, x, v, 2)
    assert first.shape == (1,)
    assert float(first[0]) == pytest.approx(float(grad @ v), rel=1e-12)
    assert float(second[0]) == pytest.approx(float(v @ hess @ v), rel=1e-10)


def test_linearization_gap_of_a_module_and_its_c2_hypothesis() -> None:
    x = torch.randn(1, 3, dtype=torch.float64)
    result = linearization_gap(tiny_mlp(), x, 0.1, n_directions=4, ascent_steps=3, segment_points=2)
    assert 0 < result.gap <= result.bound
    with pytest.raises(AssumptionError, match=r"layer '1' \(ReLU\) is not C\^2"):
        linearization_gap(tiny_mlp(nn.ReLU), x, 0.1)


def test_agop_of_a_conv_module_is_the_input_jacobian_outer_product(data) -> None:  # type: ignore[no-untyped-def]
    net, X, _ = data
    G = agop(net, X[:4])
    jac = torch.func.jacrev(net)(X[:4])  # (4, k, 4, *SHAPE): sample i depends on input i only
    rows = torch.stack([jac[i, :, i].reshape(CLASSES, -1) for i in range(4)])
    assert G.shape == (50, 50)
    torch.testing.assert_close(G, torch.einsum("nci,ncj->ij", rows, rows) / 4)


def test_ntk_change_of_two_modules(data) -> None:  # type: ignore[no-untyped-def]
    net, X, _ = data
    moved = small_cnn()
    moved.load_state_dict(net.state_dict())
    with torch.no_grad():
        moved[4].weight.mul_(2.0)
    change = ntk_change(net, moved, X)
    a, b = ntk(net, X), ntk(moved, X)
    assert change == pytest.approx(float((b - a).norm() / a.norm()), rel=1e-12)
    assert change > 0.1


def frozen_features(width: int) -> nn.Module:
    """Random tanh features (frozen) and a trainable linear read-out without bias: the tangent
    kernel at ``x`` is :math:`K(x, x) = \\sum_{j\\le m}\\tanh(w_j\\cdot x + b_j)^2`, a sum of
    ``m`` i.i.d. terms, so :math:`\\mathbb E K = c\\,m`: exponent 1 in the width."""
    net = nn.Sequential(nn.Linear(4, width), nn.Tanh(), nn.Linear(width, 1, bias=False))
    net[0].requires_grad_(False)
    return net


def test_assert_scaling_on_a_module_family() -> None:
    family = module_family(frozen_features, (4,))
    x = torch.ones(1, 4, dtype=torch.float64)

    def kernel(width: float, seed: int) -> float:
        return float(ntk(family(int(width)).init(seed), x)[0, 0])

    widths = [32, 128, 512, 2048]
    fit = assert_scaling(kernel, "width", widths, 1.0, seeds=4)
    assert fit.ci_low < 1.0 < fit.ci_high
    with pytest.raises(AssertionError, match=r"expected 0\.5 \(outside the interval\)"):
        assert_scaling(kernel, "width", widths, 0.5, seeds=4)
