"""Tests of wideproof.certify (high-precision and certified cross-checks).

Why the oracles are independent of the code under test:

* the mpmath Hessian is a scalar restatement of each family's formula differentiated by
  hand-written forward-mode jets; it is compared with torch's reverse-mode autograd on the torch
  forward pass (``torch.autograd.functional.hessian``), a different program and a different
  differentiation scheme, and with itself at a higher precision;
* certified norms are compared with closed forms evaluated in mpmath (two-layer linear network
  :math:`\\|x\\|/\\sqrt{md}`, the tridiagonal Toeplitz spectrum), with LAPACK ``eigvalsh`` of the
  torch Hessian and with mpmath's symmetric eigensolver ``eigsy`` at 40 digits;
* the branch-and-bound supremum is compared with maxima derived by hand
  (:math:`\\sup|\\tanh''| = 4\\sqrt3/9`, :math:`\\sup\\mathrm{softplus}'' = 1/4`, ...).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch
from flint import arb

from wideproof.activations import X
from wideproof.certify import (
    ARB,
    MAX_PARAMS,
    MPMATH,
    HighPrecision,
    certified_hessian_norm,
    certified_spectral_norm,
    hessian_mp,
    max_relative_deviation,
    sup_abs_derivative_on,
    translate,
)
from wideproof.errors import AssumptionError, ConfigError
from wideproof.families import (
    MLP,
    Assembly,
    DAGNet,
    LinearBottleneck,
    Model,
    QuadraticModel,
    UVModel,
)

torch.set_num_threads(1)


def _input(d: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _torch_derivatives(model: Model, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    w = model.flat_params()

    def f(flat: torch.Tensor) -> torch.Tensor:
        return model.apply_flat(flat, x)

    grad = torch.autograd.functional.jacobian(f, w)
    return f(w), grad, torch.autograd.functional.hessian(f, w)


def _quadratic_model() -> Model:
    base = MLP(input_dim=2, width=3, activation="tanh", bias=True).init(2)
    shift = 0.1 * torch.randn(base.num_params, dtype=torch.float64, generator=torch.Generator())
    return QuadraticModel(base).init().with_params(base.flat_params() + shift)


TINY = {
    "mlp-tanh": lambda: MLP(input_dim=3, width=4, depth=2, activation="tanh").init(0),
    "mlp-softplus-bias": lambda: MLP(3, 4, activation="softplus", bias=True).init(1),
    "mlp-standard-nonlinear-output": lambda: MLP(
        input_dim=2,
        width=3,
        depth=2,
        activation="gelu",
        parameterization="standard",
        output="sigmoid",
        output_shift=0.4,
        bias=True,
    ).init(2),
    "bottleneck": lambda: LinearBottleneck(input_dim=2, width=3, bottlenecks=1).init(0),
    "assembly": lambda: Assembly(input_dim=2, n_models=3, sub_width=2, activation="silu").init(0),
    "dagnet": lambda: DAGNet(input_dim=2, in_degree=2, depth=3, activation="tanh").init(0),
    "uv": lambda: UVModel(width=4, input_dim=2).init(0),
    "nqm": _quadratic_model,
}


@pytest.mark.parametrize("name", list(TINY))
def test_mp_derivatives_match_torch_autograd(name: str) -> None:
    model = TINY[name]()
    x = _input(model.spec.input_dim)
    hp = hessian_mp(model, x)
    dev = hp.deviation(*_torch_derivatives(model, x))
    assert dev.max < 1e-12, dev
    assert len(hp.gradient) == model.num_params
    assert hp.hessian.rows == hp.hessian.cols == model.num_params


def test_mp_precision_is_real() -> None:
    model = MLP(input_dim=3, width=4, depth=2, activation="tanh", bias=True).init(3)
    x = _input(3, 1)
    hp30, hp50, hp100 = (hessian_mp(model, x, dps=d) for d in (30, 50, 100))
    with mpmath.workdps(110):
        n = model.num_params
        ref = [hp100.hessian[i, j] for i in range(n) for j in range(n)]
        scale = max(abs(v) for v in ref)

        def gap(hp: HighPrecision) -> float:
            h = hp.hessian
            diff = max(abs(h[i, j] - ref[i * n + j]) for i in range(n) for j in range(n))
            return float(diff / scale)

        assert abs(hp50.value - hp100.value) / abs(hp100.value) < 1e-45
        assert gap(hp50) < 1e-45
        # The check has teeth: a 30-digit run is visibly worse than 45 digits.
        assert gap(hp30) > 1e-45


def test_max_relative_deviation() -> None:
    exact = [mpmath.mpf(2), mpmath.mpf(0), mpmath.mpf(-4)]
    assert max_relative_deviation(exact, [2.0, 0.0, -4.0]) == 0.0
    assert max_relative_deviation(exact, [2.0, 0.5, -4.0]) == pytest.approx(0.125)
    with pytest.raises(ConfigError, match="entries"):
        max_relative_deviation(exact, [1.0])


@pytest.mark.parametrize("name", ["mlp-tanh", "mlp-softplus-bias", "dagnet", "nqm"])
def test_certified_norm_contains_float64_and_is_tight(name: str) -> None:
    model = TINY[name]()
    x = _input(model.spec.input_dim, 2)
    enc = certified_hessian_norm(model, x)
    hess = _torch_derivatives(model, x)[2].numpy()
    norm64 = float(np.abs(np.linalg.eigvalsh((hess + hess.T) / 2)).max())
    assert enc.contains(norm64)
    assert enc.contains(enc.float64_value)
    assert 0 < enc.width < 1e-10
    assert not enc.contains(norm64 * (1 + 1e-9))
    assert not enc.contains(norm64 * (1 - 1e-9))
    # mpmath's symmetric eigensolver at 40 digits on the 40-digit Hessian lands inside as well
    with mpmath.workdps(40):
        eigs = mpmath.eigsy(hessian_mp(model, x, dps=40).hessian, eigvals_only=True)
        assert enc.lower <= max(abs(v) for v in eigs) <= enc.upper


@pytest.mark.parametrize(("m", "d"), [(3, 2), (5, 4)])
def test_certified_norm_of_two_layer_linear_network(m: int, d: int) -> None:
    """:math:`f = v^T W x / \\sqrt{md}`: the Hessian is :math:`[[0, B], [B^T, 0]]` with singular
    values :math:`\\|x\\|/\\sqrt{md}`, so :math:`\\|H\\| = \\|x\\|/\\sqrt{md}` exactly."""
    model = MLP(input_dim=d, width=m, activation="identity", depth=1).init(0)
    x = _input(d, 3)
    enc = certified_hessian_norm(model, x)
    with mpmath.workdps(50):
        exact = mpmath.sqrt(mpmath.fsum(mpmath.mpf(v) ** 2 for v in x.tolist()) / (m * d))
        assert enc.lower <= exact <= enc.upper
    assert enc.width < 1e-10


def test_certified_spectral_norm_of_toeplitz_matrix() -> None:
    """tridiag(-1, 2, -1) of size n has eigenvalues 2 - 2 cos(k pi / (n + 1))."""
    n = 30
    a = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    enc = certified_spectral_norm(a)
    with mpmath.workdps(50):
        exact = 2 + 2 * mpmath.cos(mpmath.pi / (n + 1))
        assert enc.lower <= exact <= enc.upper
    assert enc.width < 1e-12
    with pytest.raises(ConfigError, match="symmetric"):
        certified_spectral_norm(np.triu(a))


def test_sup_tanh_second_derivative_contains_exact_value() -> None:
    """tanh'' = -2t(1 - t^2) with t = tanh(x); |2t - 2t^3| peaks at t = 1/sqrt(3) (x = 0.658 in
    [-3, 3]) with value 4 sqrt(3) / 9."""
    enc = sup_abs_derivative_on("tanh", 2, (-3.0, 3.0), tol=1e-9)
    with mpmath.workdps(40):
        value = 4 * mpmath.sqrt(3) / 9
        assert enc.lower <= value <= enc.upper
    assert enc.width <= 1e-9
    assert enc.lower > 0.7697  # the false bound 0.7697 is refuted
    assert abs(enc.float64_value - float(value)) < 1e-8


@pytest.mark.parametrize(
    ("name", "order", "interval", "exact"),
    [
        ("softplus", 2, (-5.0, 5.0), 0.25),  # sigma(1 - sigma), largest at 0
        ("sigmoid", 1, (1.0, 4.0), math.exp(-1) / (1 + math.exp(-1)) ** 2),  # decreasing for t>0
        ("quadratic", 1, (-1.0, 2.0), 4.0),  # |2t| at t = 2
    ],
)
def test_sup_on_interval_known_maxima(
    name: str, order: int, interval: tuple[float, float], exact: float
) -> None:
    enc = sup_abs_derivative_on(name, order, interval, tol=1e-8)
    assert enc.lower - 1e-15 <= exact <= enc.upper + 1e-15
    assert enc.width <= 1e-8


def test_translator_is_strict() -> None:
    for expr in (sp.Max(0, X), sp.Function("g")(X), sp.gamma(X), sp.Heaviside(X)):
        with pytest.raises(ConfigError, match="whitelist"):
            translate(expr, ARB)
    with pytest.raises(ConfigError, match="free symbol"):
        translate(X + sp.Symbol("y"), MPMATH)
    with pytest.raises(ConfigError, match="exponent"):
        translate(X ** sp.Rational(1, 3), MPMATH)
    # relu's derivative is a Heaviside step: refused, never silently evaluated
    with pytest.raises(ConfigError):
        sup_abs_derivative_on("relu", 1, (-1.0, 1.0))


def test_translator_keeps_balls_wide() -> None:
    """A known pitfall of interval arithmetic: ``math.cosh(arb(0, 3))`` collapses to 1.0."""
    ball = translate(sp.cosh(X) + sp.Rational(1, 10), ARB)(arb(0, 3))
    assert ball.contains(arb(3).cosh() + arb("0.1"))
    assert ball.contains(arb(1) + arb("0.1"))
    with mpmath.workdps(30):
        v = translate(sp.erf(X / sp.sqrt(2)) * sp.pi + sp.E, MPMATH)(mpmath.mpf(1))
        expected = mpmath.erf(1 / mpmath.sqrt(2)) * mpmath.pi + mpmath.e
        assert abs(v - expected) < mpmath.mpf(10) ** -28


def test_argument_errors() -> None:
    big = MLP(input_dim=10, width=50).init(0)  # 550 parameters
    assert big.num_params > MAX_PARAMS
    with pytest.raises(ConfigError, match="MAX_PARAMS=500"):
        hessian_mp(big, _input(10))
    with pytest.raises(ConfigError, match="MAX_PARAMS=500"):
        certified_hessian_norm(big, _input(10))
    small = MLP(input_dim=2, width=3).init(0)
    with pytest.raises(ConfigError, match="one input"):
        hessian_mp(small, torch.zeros(4, 2, dtype=torch.float64))
    with pytest.raises(ConfigError, match="dps"):
        hessian_mp(small, _input(2), dps=10)
    with pytest.raises(ConfigError, match="output_index"):
        hessian_mp(small, _input(2), output_index=1)
    with pytest.raises(AssumptionError, match="relu"):
        hessian_mp(MLP(input_dim=2, width=3, activation="relu").init(0), _input(2))


def test_multi_output_index() -> None:
    model = MLP(input_dim=2, width=3, output_dim=2).init(0)
    x = _input(2)
    w = model.flat_params()
    for k in range(2):
        hess = torch.autograd.functional.hessian(lambda f, k=k: model.apply_flat(f, x)[k], w)
        hp = hessian_mp(model, x, output_index=k)
        assert max_relative_deviation(hp.hessian, hess.numpy()) < 1e-12


def test_modules_are_refused_with_a_typed_error() -> None:
    """A raw ``nn.Module`` (an AttributeError before) and its ``from_module`` wrapper get a
    ConfigError naming the measures that do take modules."""
    from torch import nn

    from wideproof.certify import certified_hessian_norm, hessian_mp
    from wideproof.errors import ConfigError
    from wideproof.families import from_module

    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = torch.zeros(3, dtype=torch.float64)
    for model in (net, from_module(net, input_shape=(3,))):
        for call in (lambda m: hessian_mp(m, x), lambda m: certified_hessian_norm(m, x)):
            with pytest.raises(ConfigError, match="hessian_norm or hessian_eigs"):
                call(model)
    with pytest.raises(ConfigError, match="expected a wideproof Model; got str"):
        hessian_mp("mlp", x)  # type: ignore[arg-type]  # the wrong type is the point
