"""Activation facts derived from the sympy expressions, checked against torch and known values.

Oracles: the published constants (sup|tanh''| = 4 sqrt(3)/9, sup|sigmoid'| = 1/4), a dense grid
of torch evaluations (an independent numeric path), and torch autograd vs the sympy derivative.
"""

from __future__ import annotations

import math

import pytest
import sympy as sp
import torch

from wideproof.activations import ACTIVATIONS, X, get_activation
from wideproof.errors import ConfigError


def test_known_suprema_are_derived_exactly() -> None:
    tanh2 = get_activation("tanh").sup_abs_derivative(2)
    assert sp.simplify(tanh2.exact - 4 * sp.sqrt(3) / 9) == 0
    assert get_activation("sigmoid").sup_abs_derivative(1).exact == sp.Rational(1, 4)
    assert get_activation("softplus").sup_abs_derivative(2).exact == sp.Rational(1, 4)


def test_smoothness_flags() -> None:
    assert not get_activation("relu").is_c2
    assert all(ACTIVATIONS[n].is_c2 for n in ACTIVATIONS if n != "relu")
    assert get_activation("identity").is_linear and not get_activation("tanh").is_linear
    assert math.isinf(get_activation("relu").sup_abs_derivative(2).value)
    assert math.isinf(get_activation("quadratic").sup_abs_derivative(1).value)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "relu"])
def test_torch_function_matches_sympy_and_suprema_bound_a_grid(name: str) -> None:
    act = get_activation(name)
    z = torch.linspace(-12, 12, 24001, dtype=torch.float64, requires_grad=True)
    y = act(z)
    f = sp.lambdify(X, act.expr, "mpmath")
    for t in (-2.5, -0.3, 0.0, 0.7, 3.1):
        assert float(act(torch.tensor(t, dtype=torch.float64))) == pytest.approx(
            float(f(t)), rel=1e-13, abs=1e-15
        )
    (d1,) = torch.autograd.grad(y.sum(), z, create_graph=True)
    d2 = torch.autograd.grad(d1.sum(), z)[0] if d1.requires_grad else torch.zeros_like(z)
    for order, values in ((1, d1), (2, d2)):
        sup = act.sup_abs_derivative(order)
        if math.isfinite(sup.value):
            assert float(values.abs().max()) <= sup.value * (1 + 1e-9)
            assert float(values.abs().max()) >= sup.value * (1 - 1e-3)


def test_unknown_activation() -> None:
    with pytest.raises(ConfigError, match="known activations"):
        get_activation("swish")
