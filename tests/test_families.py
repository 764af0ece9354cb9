"""Model families: shapes, purity, seeds, structure, and the typed errors of bad specs.

Oracles: explicit re-computations of each family's defining formula written here with plain
tensor algebra (independent of the family's ``forward``), and exact structural facts (the
antisymmetric initialization gives an output of exactly 0; a DAG's in-degrees are as specified).
"""

from __future__ import annotations

import math

import pytest
import torch
from _families import SMALL_SPECS, antisymmetric_rounding_bound

from wideproof.errors import ConfigError, NumericalError
from wideproof.families import MLP, Assembly, DAGNet, LinearBottleneck, UVModel
from wideproof.measures import hessian_norm

F64 = torch.float64


@pytest.mark.parametrize("name", sorted(SMALL_SPECS))
def test_shapes_purity_and_seeds(name: str) -> None:
    spec = SMALL_SPECS[name]
    model = spec.init(seed=0)
    X = torch.randn(5, spec.input_dim, dtype=F64)
    assert model(X).shape == (5,)
    assert model(X[0]).shape == ()
    assert torch.allclose(model(X)[2], model(X[2]), rtol=1e-13, atol=1e-15)
    w = model.flat_params()
    assert w.shape == (model.num_params,)
    assert torch.allclose(model.apply_flat(w, X), model(X), rtol=1e-13, atol=1e-15)
    again = spec.init(seed=0)
    assert torch.equal(again.flat_params(), w)
    names = [n for block in model.param_blocks().values() for n in block]
    assert sorted(names) == sorted(model.params)


def test_mlp_ntk_forward_matches_formula_and_float32() -> None:
    spec = MLP(input_dim=3, width=(5, 7), depth=2, activation="tanh")
    model = spec.init(seed=4)
    x = torch.randn(3, dtype=F64)
    p = model.params
    h1 = torch.tanh(p["W1"] @ x / math.sqrt(3))
    h2 = torch.tanh(p["W2"] @ h1 / math.sqrt(5))
    assert float(model(x)) == pytest.approx(float(p["v"][0] @ h2 / math.sqrt(7)), rel=1e-14)
    m32 = spec.init(seed=4, dtype=torch.float32)
    assert m32.dtype == torch.float32
    assert float(m32(x.float())) == pytest.approx(float(model(x)), rel=1e-5)


def test_standard_parameterization_has_fan_in_variance() -> None:
    model = MLP(input_dim=400, width=300, depth=1, parameterization="standard").init(seed=0)
    var = float(model.params["W1"].var())
    assert var == pytest.approx(1 / 400, rel=0.05)


def test_antisymmetric_initialization_gives_zero_output_and_shift_places_it() -> None:
    spec = MLP(input_dim=3, width=8, depth=3, initialization="antisymmetric")
    X = torch.randn(6, 3, dtype=F64)
    model = spec.init(seed=1)
    # 0 in exact arithmetic; in floating point within the dot products' rounding bound
    assert bool((model(X).abs() <= antisymmetric_rounding_bound(model, X)).all())
    shifted = MLP(3, 8, 3, output="tanh", initialization="antisymmetric", output_shift=0.7).init(
        seed=1
    )
    assert torch.allclose(shifted(X), torch.full((6,), math.tanh(0.7), dtype=F64), atol=0)


def test_rsc_initialization_has_unit_output_vector_and_sigma0() -> None:
    m, sigma1 = 512, 0.5
    model = MLP(input_dim=4, width=m, depth=2, initialization="rsc", sigma1=sigma1).init(seed=0)
    assert float(model.params["v"].norm()) == pytest.approx(1.0, rel=1e-14)
    sigma0 = sigma1 / (2 * (1 + math.sqrt(math.log(m) / (2 * m))))
    assert float(model.params["W2"].std()) == pytest.approx(sigma0, rel=0.01)


def test_bottleneck_blocks_and_product_formula() -> None:
    spec = LinearBottleneck(input_dim=3, width=5, bottlenecks=1, bottleneck_width=2)
    model = spec.init(seed=0)
    assert model.param_blocks() == {"block1": ("W1", "W2"), "block2": ("W3", "W4")}
    p = model.params
    x = torch.randn(3, dtype=F64)
    ref = p["W4"] @ p["W3"] @ p["W2"] @ p["W1"] @ x / math.sqrt(3 * 5 * 2 * 5)
    assert float(model(x)) == pytest.approx(float(ref[0]), rel=1e-13)
    assert spec.blocks == 2


@pytest.mark.parametrize("graph", ["random", "layered", "densenet", "resnet"])
def test_dag_in_degrees_and_edges(graph: str) -> None:
    spec = DAGNet(input_dim=3, in_degree=5, depth=4, graph=graph)
    dag = spec.dag()
    assert dag.min_in_degree == 5
    assert all(deg >= 5 for deg in dag.in_degrees()[1:])
    edges = dag.edges()
    assert sum(1 for _, t in edges if t == "out") == dag.in_degrees()[-1]
    assert spec.dag() is dag  # deterministic, cached by graph seed
    out2 = DAGNet(input_dim=3, in_degree=5, depth=4, graph=graph, output_in_degree=2)
    assert out2.dag().min_in_degree == 2


def test_dag_layered_equals_its_formula() -> None:
    spec = DAGNet(input_dim=2, in_degree=3, depth=2, graph="layered", layer_size=3)
    model = spec.init(seed=0)
    p, dag = model.params, spec.dag()
    x = torch.randn(2, dtype=F64)
    h1 = torch.tanh(p["W1"] @ x / math.sqrt(2))
    h2 = torch.tanh((h1[dag.sources[1]] * p["W2"]).sum(1) / math.sqrt(3))
    allh = torch.cat([h1, h2])
    ref = allh[dag.output_sources] @ p["v"] / math.sqrt(len(dag.output_sources))
    assert float(model(x)) == pytest.approx(float(ref), rel=1e-14)


def test_assembly_dominance_and_scaling() -> None:
    ntk = Assembly(input_dim=3, n_models=16, dominance=1.0).init(seed=0)
    assert float(ntk.params["v"][0]) == pytest.approx(4.0)
    mf = Assembly(input_dim=3, n_models=16, scaling="mean-field").init(seed=0)
    x = torch.randn(3, dtype=F64)
    base = Assembly(input_dim=3, n_models=16).init(seed=0)
    assert float(mf(x)) == pytest.approx(float(base(x)) / 4.0, rel=1e-13)


def test_uv_model_kernel_value() -> None:
    """For d = 1, x = 1: lambda = (||u||^2 + ||v||^2) / m (Lewkowycz et al. 2020, §2)."""
    model = UVModel(width=50).init(seed=0)
    x = torch.ones(1, 1, dtype=F64)
    from wideproof.measures import ntk

    lam = float(ntk(model, x)[0, 0])
    p = model.params
    assert lam == pytest.approx(float((p["u"].norm() ** 2 + p["v"].norm() ** 2) / 50), rel=1e-13)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: MLP(input_dim=3, width=0), "width"),
        (lambda: MLP(input_dim=3, width=4, sigma0=-1.0), "sigma0"),
        (lambda: MLP(input_dim=3, width=4, activation="swish"), "activation"),
        (lambda: MLP(input_dim=3, width=(4, 4), depth=3), "width"),
        (lambda: MLP(input_dim=3, width=5, initialization="antisymmetric"), "width"),
        (lambda: MLP(input_dim=3, width=4, parameterization="mup"), "parameterization"),
        (lambda: LinearBottleneck(input_dim=3, width=4, bottlenecks=-1), "bottlenecks"),
        (lambda: DAGNet(input_dim=3, in_degree=0), "in_degree"),
        (lambda: DAGNet(input_dim=3, in_degree=4, layer_size=2), "layer_size"),
        (lambda: Assembly(input_dim=3, n_models=4, scaling="weird"), "scaling"),
        (lambda: UVModel(width=-3), "width"),
        (lambda: MLP(input_dim=3, width=4).init(seed=-1), "seed"),
    ],
)
def test_bad_specs_raise_config_error_naming_the_argument(make, argument: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=argument):
        make()


def test_unknown_activation_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="tanh"):
        MLP(input_dim=3, width=4, activation="swish")


def test_nan_weights_and_inputs_raise_numerical_error() -> None:
    model = MLP(input_dim=3, width=4).init(seed=0)
    bad = model.flat_params()
    bad[2] = float("nan")
    with pytest.raises(NumericalError, match="W1"):
        hessian_norm(model.with_params(bad), torch.zeros(3, dtype=F64))
    with pytest.raises(NumericalError, match="x"):
        hessian_norm(model, torch.tensor([0.0, float("inf"), 1.0], dtype=F64))
    with pytest.raises(ConfigError, match="input_dim"):
        model(torch.zeros(5, dtype=F64))


def test_eigensolver_budget_exhaustion_reports_the_bound_reached() -> None:
    model = MLP(input_dim=4, width=60, depth=2).init(seed=0)
    with pytest.raises(NumericalError, match="relative residual bound reached"):
        hessian_norm(model, torch.ones(4, dtype=F64), method="lanczos", tol=1e-14, max_matvecs=5)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_nqm_is_the_second_order_taylor_polynomial(activation: str) -> None:
    """f0 + J0 delta + delta^T H0 delta / 2 per input, from dense autograd derivatives of the base
    at w0 (torch.autograd.functional), also when evaluated under torch.no_grad()."""
    from wideproof.families import QuadraticModel

    base = MLP(input_dim=3, width=7, depth=2, activation=activation).init(seed=1)
    nqm = QuadraticModel(base).init()
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    w0 = base.flat_params()
    delta = 0.3 * torch.randn(w0.shape[0], generator=gen, dtype=torch.float64)
    want = []
    for x in X:

        def f(w: torch.Tensor, x: torch.Tensor = x) -> torch.Tensor:
            return base.apply_flat(w, x)

        grad = torch.autograd.functional.jacobian(f, w0)
        hess = torch.autograd.functional.hessian(f, w0)
        want.append(f(w0) + grad @ delta + 0.5 * delta @ hess @ delta)
    moved = nqm.with_params(w0 + delta)
    torch.testing.assert_close(moved(X), torch.stack(want), rtol=1e-12, atol=1e-14)
    with torch.no_grad():
        quiet = moved(X)
    assert not quiet.requires_grad
    torch.testing.assert_close(quiet, torch.stack(want), rtol=1e-12, atol=1e-14)
