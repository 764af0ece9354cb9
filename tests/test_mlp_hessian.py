"""The structured loss-Hessian-vector product of an MLP against autograd and the dense Hessian.

Oracles, independent of the code under test: :func:`wideproof.linalg.hvp_operator`
(reverse-over-reverse autograd through the model's own forward pass) and
``torch.autograd.functional.hessian`` of the loss as a function of the flat parameters.
"""

from __future__ import annotations

import pytest
import torch

from wideproof.errors import ConfigError
from wideproof.families import MLP, Model
from wideproof.families.mlp_hessian import mlp_loss_hvp, supports_structured_hvp
from wideproof.linalg import LinearOperator, hvp_operator, loss_hessian, squared_loss
from wideproof.linalg._operators import LossConvention
from wideproof.measures import _hessian, hessian_eigs

F64 = torch.float64

SPECS = {
    "tanh-ntk-2-bias-k3": MLP(input_dim=5, width=(7, 6), depth=2, bias=True, output_dim=3),
    "gelu-standard-3-shift": MLP(
        input_dim=4,
        width=8,
        depth=3,
        activation="gelu",
        parameterization="standard",
        output_shift=0.3,
    ),
    "relu-ntk-1-bias-k2": MLP(
        input_dim=4, width=8, depth=1, activation="relu", bias=True, output_dim=2
    ),
    "softplus-rsc-2": MLP(
        input_dim=3, width=6, depth=2, activation="softplus", initialization="rsc"
    ),
}


def _data(model: Model, n: int = 9) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(2)
    k = model.spec.output_dim
    X = torch.randn(n, model.spec.input_dim, dtype=model.dtype, generator=gen)
    shape = (n,) if k == 1 else (n, k)
    return X, torch.randn(*shape, dtype=model.dtype, generator=gen)


def _vector(model: Model, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(model.num_params, dtype=model.dtype, generator=gen)


@pytest.mark.parametrize("loss", ["mean", "half_sum"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_structured_product_equals_autograd(name: str, loss: LossConvention) -> None:
    model = SPECS[name].init(seed=0)
    X, Y = _data(model)
    op = loss_hessian(model, X, Y, loss)
    auto = hvp_operator(lambda p: squared_loss(model.apply(p, X), Y, loss), model.params)
    for seed in (1, 2):
        u = _vector(model, seed)
        expected = auto.matvec(u)
        got = op.matvec(u)
        assert float((got - expected).abs().max()) <= 1e-12 * float(expected.abs().max())


def test_structured_product_equals_dense_hessian() -> None:
    model = SPECS["tanh-ntk-2-bias-k3"].init(seed=4)
    X, Y = _data(model, n=6)
    dense = torch.autograd.functional.hessian(
        lambda w: squared_loss(model.apply_flat(w, X), Y, "mean"), model.flat_params()
    )
    hvp = mlp_loss_hvp(model, X, Y, 2.0 / X.shape[0])
    u = _vector(model)
    expected = dense @ u
    assert float((hvp(u) - expected).abs().max()) <= 1e-12 * float(expected.abs().max())


def test_products_are_fresh_tensors_and_repeatable() -> None:
    """The work buffers are reused, the returned vector never is."""
    model = SPECS["gelu-standard-3-shift"].init(seed=1)
    X, Y = _data(model)
    hvp = mlp_loss_hvp(model, X, Y, 1.0)
    u, v = _vector(model, 1), _vector(model, 2)
    first = hvp(u)
    snapshot = first.clone()
    second = hvp(v)
    assert first.data_ptr() != second.data_ptr()
    assert torch.equal(first, snapshot)
    assert torch.equal(hvp(u), snapshot)


def test_float32_product_is_the_float64_one_rounded() -> None:
    model = SPECS["tanh-ntk-2-bias-k3"].init(seed=0)
    X, Y = _data(model)
    low = model.with_params({k: v.float() for k, v in model.params.items()})
    u = _vector(model)
    exact = loss_hessian(model, X, Y).matvec(u)
    single = loss_hessian(low, X.float(), Y.float()).matvec(u.float()).double()
    assert float((single - exact).abs().max()) <= 1e-5 * float(exact.abs().max())


def test_nonlinear_output_uses_autograd_and_is_refused_by_the_structured_product() -> None:
    model = MLP(input_dim=3, width=5, output="tanh", output_shift=0.5).init(seed=0)
    X, Y = _data(model)
    assert not supports_structured_hvp(model)
    with pytest.raises(ConfigError, match="linear output"):
        mlp_loss_hvp(model, X, Y, 1.0)
    dense = torch.autograd.functional.hessian(
        lambda w: squared_loss(model.apply_flat(w, X), Y, "half_sum"), model.flat_params()
    )
    u = _vector(model)
    got = loss_hessian(model, X, Y, "half_sum").matvec(u)
    assert torch.allclose(got, dense @ u, rtol=1e-12, atol=1e-14)


def _loss_problem() -> tuple[Model, torch.Tensor, torch.Tensor, float]:
    """A float64 MLP loss Hessian (400 parameters) and its dense largest eigenvalue."""
    model = MLP(input_dim=6, width=(16, 16), depth=2, bias=True, output_dim=2).init(seed=5)
    X, Y = _data(model, n=20)
    dense = torch.autograd.functional.hessian(
        lambda w: squared_loss(model.apply_flat(w, X), Y, "mean"), model.flat_params()
    )
    return model, X, Y, float(torch.linalg.eigvalsh(dense)[-1])


def test_float64_model_iterates_in_float32_under_a_float64_certificate() -> None:
    model, X, Y, top = _loss_problem()
    spec = hessian_eigs(
        model, X, 1, of="loss", targets=Y, which="largest", method="lanczos", tol=1e-6
    )
    assert spec.method == "lanczos (float64 residual)"
    (value,), (bound,) = spec.eigenvalues, spec.error_bounds
    assert bound <= 1e-6 * abs(value)
    assert abs(value - top) <= bound + 1e-13 * abs(top)
    exact = hessian_eigs(
        model, X, 1, of="loss", targets=Y, which="largest", method="lanczos", tol=1e-7
    )
    assert exact.method == "lanczos"  # below the threshold: float64 throughout


def test_float32_iteration_that_misses_tol_continues_in_float64(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A float32 operator 1e-3 away from the exact one (a planted defect) gives Ritz vectors whose
    float64 residual misses tol: the solve continues in float64 and still meets it."""
    model, X, Y, top = _loss_problem()
    original = _hessian._operator
    u = _vector(model, 7).float()
    u = u / u.norm()

    skewed_products = [0]

    def skewed(m: Model, *args: object, **kwargs: object) -> LinearOperator:
        op = original(m, *args, **kwargs)  # type: ignore[arg-type]
        if m.dtype != torch.float32:
            return op

        def matvec(v: torch.Tensor) -> torch.Tensor:
            skewed_products[0] += 1
            return op.matvec(v) + 1e-3 * (u @ v) * u

        return LinearOperator(op.size, matvec, op.dtype, op.device)

    monkeypatch.setattr(_hessian, "_operator", skewed)
    spec = hessian_eigs(
        model, X, 1, of="loss", targets=Y, which="largest", method="lanczos", tol=1e-6
    )
    (value,), (bound,) = spec.eigenvalues, spec.error_bounds
    assert spec.method == "lanczos"
    assert bound <= 1e-6 * abs(value)
    assert abs(value - top) <= bound + 1e-13 * abs(top)
    assert 0 < skewed_products[0] < spec.matvecs  # the float32 products are counted too


def test_targets_beyond_float32_keep_the_solve_in_float64() -> None:
    """Targets of 1e39 overflow float32: the float32 copy is refused and float64 iterates."""
    model, X, Y, _ = _loss_problem()
    big = Y * 1e39
    dense = torch.autograd.functional.hessian(
        lambda w: squared_loss(model.apply_flat(w, X), big, "mean"), model.flat_params()
    )
    top = float(torch.linalg.eigvalsh(dense)[-1])
    spec = hessian_eigs(
        model, X, 1, of="loss", targets=big, which="largest", method="lanczos", tol=1e-6
    )
    assert spec.method == "lanczos"
    (value,), (bound,) = spec.eigenvalues, spec.error_bounds
    assert abs(value - top) <= bound + 1e-12 * abs(top)


@pytest.mark.parametrize(("which", "float32_used"), [("both", False), ("largest", True)])
def test_only_one_end_iterates_in_float32(
    monkeypatch: pytest.MonkeyPatch, which: str, float32_used: bool
) -> None:
    """Both ends of the spectrum (as ``hessian_norm`` asks) never take the float32 iteration:
    measured 3-10x slower on indefinite output Hessians (``SINGLE_ITERATION_TOL``)."""
    model, X, Y, _ = _loss_problem()
    dtypes: list[torch.dtype] = []
    original = _hessian._operator

    def watched(m: Model, *args: object, **kwargs: object) -> LinearOperator:
        dtypes.append(m.dtype)
        return original(m, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_hessian, "_operator", watched)
    spec = hessian_eigs(
        model,
        X,
        1,
        of="loss",
        targets=Y,
        which=which,
        method="lanczos",
        tol=1e-6,  # type: ignore[arg-type]
    )
    assert (torch.float32 in dtypes) is float32_used
    assert max(spec.error_bounds) <= 1e-6 * max(abs(v) for v in spec.eigenvalues)


@pytest.mark.parametrize(
    ("loss", "structured"),
    [("mean", True), ("half_sum", True), (torch.nn.functional.mse_loss, False)],
)
def test_loss_measures_take_the_structured_product(
    monkeypatch: pytest.MonkeyPatch, loss: object, structured: bool
) -> None:
    """``hessian_eigs(of="loss")`` reaches the structured product through the curvature operators
    for a named squared loss of an MLP (a merge once routed it to autograd, 1.2x slower per
    product); a callable loss stays on autograd.  Both give the dense eigenvalue."""
    from wideproof.linalg import _operators

    built: list[float] = []
    original = _operators.mlp_loss_hvp

    def counting(*args: object, **kwargs: object) -> object:
        built.append(1.0)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_operators, "mlp_loss_hvp", counting)
    model, X, Y, top = _loss_problem()
    if not isinstance(loss, str):
        top /= Y.shape[1]  # mse_loss(mean) averages over the k outputs too
    spec = hessian_eigs(
        model, X, 1, of="loss", targets=Y, loss=loss, which="largest", method="lanczos", tol=1e-9
    )
    scale = 0.5 * X.shape[0] if loss == "half_sum" else 1.0
    assert abs(spec.eigenvalues[0] - scale * top) <= spec.error_bounds[0] + 1e-12 * abs(top)
    assert bool(built) is structured
