"""Invariants every model of every family must satisfy, whatever hypothesis draws.

* The tangent kernel Gram matrix is symmetric positive semi-definite.
* The Hessian of the output in the weights is symmetric, and ``hessian_norm`` equals the largest
  absolute eigenvalue of the dense autograd Hessian (an independent computation).
* The linearization gap at a point of the sphere of radius R never exceeds
  :math:`\\tfrac12 R^2\\sup_t\\|H_f(w_0 + t\\delta)\\|` over the segment (Taylor's theorem with
  integral
  remainder; the sup is bounded below by its value at Gauss-Legendre nodes, which is enough because
  the remainder integral agrees with its 12-node Gauss quadrature, whose weights are positive,
  far within the 1e-6 slack for these analytic functions).
* The two-layer linear network :math:`f = v^T W x/\\sqrt{md}` has
  :math:`\\|H\\| = \\|x\\|/\\sqrt{md}`.

Tolerances: these are identities, so the only error is floating-point rounding in float64 on
models of at most a few hundred parameters: relative 1e-9 (observed <= 1e-13); they hold on every
run, not only in 999 of 1000.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from wideproof.families import FamilySpec, LinearBottleneck, Model
from wideproof.measures import hessian_norm, ntk
from wideproof.testing import assemblies, bottleneck_nets, dag_nets, mlps

REL = 1e-9
seeds = st.integers(0, 2**31 - 1)
any_model = st.one_of(
    mlps(max_width=12),
    dag_nets(max_in_degree=4),
    bottleneck_nets(max_width=6),
    assemblies(max_models=6),
)


def _input(model: Model, seed: int, n: int | None = None) -> torch.Tensor:
    d = model.spec.input_dim
    shape = (d,) if n is None else (n, d)
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _dense_hessian(model: Model, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    h: torch.Tensor = torch.func.hessian(lambda v: model.apply_flat(v, x).reshape(()))(w)
    return h


@given(spec=mlps(max_width=16), seed=seeds, n=st.integers(1, 6))
def test_tangent_kernel_is_symmetric_psd(spec: FamilySpec, seed: int, n: int) -> None:
    model = spec.init(seed)
    k = ntk(model, _input(model, seed, n))
    scale = float(k.abs().max()) + 1e-300
    assert float((k - k.T).abs().max()) <= REL * scale
    assert float(torch.linalg.eigvalsh((k + k.T) / 2).min()) >= -REL * scale * n


@given(spec=any_model, seed=seeds)
def test_hessian_is_symmetric_and_norm_matches_dense(spec: FamilySpec, seed: int) -> None:
    model = spec.init(seed)
    x = _input(model, seed)
    h = _dense_hessian(model, x, model.flat_params().detach())
    scale = float(h.abs().max()) + 1e-300
    assert float((h - h.T).abs().max()) <= REL * scale
    ref = float(torch.linalg.eigvalsh((h + h.T) / 2).abs().max())
    got = hessian_norm(model, x, method="lanczos", tol=1e-12).value
    assert abs(got - ref) <= 1e-8 * max(ref, 1e-12) + 1e-14


@given(spec=mlps(max_width=12), seed=seeds, radius=st.floats(0.01, 3.0))
def test_linearization_gap_below_taylor_bound(spec: FamilySpec, seed: int, radius: float) -> None:
    model = spec.init(seed)
    x = _input(model, seed)
    w0 = model.flat_params().detach()
    delta = torch.randn(w0.shape, generator=torch.Generator().manual_seed(seed + 1), dtype=w0.dtype)
    delta = radius * delta / delta.norm()
    w = w0.clone().requires_grad_(True)
    f0 = model.apply_flat(w, x)
    (g,) = torch.autograd.grad(f0, w)
    gap = abs(float(model.apply_flat(w0 + delta, x) - f0.detach() - g @ delta))
    nodes, _ = np.polynomial.legendre.leggauss(12)
    sup_h = max(
        float(
            torch.linalg.eigvalsh(_dense_hessian(model, x, w0 + 0.5 * (t + 1) * delta)).abs().max()
        )
        for t in nodes
    )
    assert gap <= 0.5 * radius**2 * sup_h * (1 + 1e-6) + 1e-13


@given(d=st.integers(1, 6), m=st.integers(1, 64), seed=seeds)
def test_two_layer_linear_network_meets_exact_formula(d: int, m: int, seed: int) -> None:
    model = LinearBottleneck(input_dim=d, width=m, bottlenecks=0).init(seed)
    x = _input(model, seed)
    exact = float(x.norm()) / (m * d) ** 0.5
    got = hessian_norm(model, x, method="lanczos", tol=1e-12).value
    assert abs(got - exact) <= REL * exact
