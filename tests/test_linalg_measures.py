"""Matrix-free Hessian norms, tangent kernels and directional derivatives against dense references.

Oracles, independent of the code under test: ``torch.autograd.functional.hessian`` /
``jacobian`` (dense derivatives built by torch's own functional API, not our reused gradient
graph) followed by ``torch.linalg.eigvalsh``; closed forms of Liu, Zhu & Belkin
2020 (§2, §3.1), written out here by hand.
"""

from __future__ import annotations

import math

import pytest
import torch
from _families import SMALL_SPECS

from wideproof.errors import ConfigError
from wideproof.families import MLP, LinearBottleneck
from wideproof.linalg import lanczos, loss_hessian, model_hessian, power_iteration
from wideproof.measures import directional_derivative, hessian_eigs, hessian_norm, ntk, ntk_change

F64 = torch.float64


def _x(d: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(d, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _dense_hessian(model, x):  # type: ignore[no-untyped-def]
    return torch.autograd.functional.hessian(lambda w: model.apply_flat(w, x), model.flat_params())


@pytest.mark.parametrize("name", sorted(SMALL_SPECS))
def test_lanczos_norm_matches_dense_and_bound_covers_error(name: str) -> None:
    spec = SMALL_SPECS[name]
    model = spec.init(seed=3)
    x = _x(spec.input_dim)
    true = float(torch.linalg.eigvalsh(_dense_hessian(model, x)).abs().max())
    est = hessian_norm(model, x, method="lanczos", tol=1e-11)
    assert est.method == "lanczos"
    assert abs(est.value - true) <= 1e-9 * true
    assert abs(est.value - true) <= est.error_bound
    dense = hessian_norm(model, x, method="dense")
    assert abs(dense.value - true) <= dense.error_bound


@pytest.mark.parametrize("name", sorted(SMALL_SPECS))
def test_ntk_equals_dense_jacobian_gram(name: str) -> None:
    spec = SMALL_SPECS[name]
    model = spec.init(seed=2)
    X = torch.randn(5, spec.input_dim, generator=torch.Generator().manual_seed(4), dtype=F64)
    J = torch.autograd.functional.jacobian(lambda w: model.apply_flat(w, X), model.flat_params())
    ref = J @ J.T
    for method in ("jacobian", "products"):
        K = ntk(model, X, method=method)
        assert K.shape == (5, 5)
        assert torch.allclose(K, ref, rtol=0, atol=1e-12 * float(ref.abs().max()))


@pytest.mark.parametrize(
    "spec",
    [
        MLP(input_dim=4, width=(8, 6), depth=2, activation="softplus", bias=True),
        MLP(
            input_dim=4,
            width=10,
            depth=1,
            parameterization="standard",
            output="sigmoid",
            output_shift=0.3,
        ),
        MLP(input_dim=4, width=7, depth=3, output_dim=3, bias=True),
    ],
)
def test_structured_mlp_ntk_equals_the_jacobian_contraction(spec: MLP) -> None:
    """The per-layer contraction (default for MLPs) against J1 J2^T from a dense Jacobian."""
    model = spec.init(seed=1)
    X1 = torch.randn(6, 4, generator=torch.Generator().manual_seed(0), dtype=F64)
    X2 = torch.randn(3, 4, generator=torch.Generator().manual_seed(1), dtype=F64)

    def jac(X: torch.Tensor) -> torch.Tensor:
        J = torch.autograd.functional.jacobian(
            lambda w: model.apply_flat(w, X).reshape(-1), model.flat_params()
        )
        return J

    ref = jac(X1) @ jac(X2).T
    K = ntk(model, X1, X2, method="layers")
    assert torch.allclose(K, ref, rtol=0, atol=1e-12 * float(ref.abs().max()))
    assert torch.equal(ntk(model, X1, X2), K)


def test_ntk_blocks_rows_under_a_small_memory_budget() -> None:
    model = MLP(input_dim=3, width=16, depth=2).init(seed=0)
    X1 = torch.randn(7, 3, dtype=F64)
    X2 = torch.randn(4, 3, dtype=F64)
    full = ntk(model, X1, X2, method="jacobian")
    tiny = ntk(model, X1, X2, method="jacobian", memory_bytes=model.num_params * 8 * 3)
    assert full.shape == (7, 4)
    assert torch.allclose(full, tiny, atol=1e-13)


@pytest.mark.parametrize("name", ["mlp-tanh", "bottleneck", "dag", "assembly", "nqm"])
def test_directional_derivatives_match_dense_gradient_and_hessian(name: str) -> None:
    spec = SMALL_SPECS[name]
    model = spec.init(seed=1)
    x = _x(spec.input_dim, seed=7)
    v = torch.randn(model.num_params, generator=torch.Generator().manual_seed(8), dtype=F64)
    w0 = model.flat_params()
    g = torch.autograd.functional.jacobian(lambda w: model.apply_flat(w, x), w0)
    H = _dense_hessian(model, x)
    assert torch.allclose(directional_derivative(model, x, v, 0), model(x), atol=0)
    d1 = directional_derivative(model, x, v, 1)
    d2 = directional_derivative(model, x, v, 2)
    assert abs(float(d1) - float(g @ v)) <= 1e-12 * max(1.0, abs(float(g @ v)))
    assert abs(float(d2) - float(v @ H @ v)) <= 1e-11 * max(1.0, abs(float(v @ H @ v)))


def test_third_directional_derivative_matches_finite_difference_of_dense_hessian() -> None:
    """Order 3 = d/dt (v^T H(w0 + t v) v): central difference of dense Hessians, step 1e-4."""
    model = MLP(input_dim=3, width=6, depth=2, activation="tanh").init(seed=0)
    x = _x(3)
    v = torch.randn(model.num_params, generator=torch.Generator().manual_seed(2), dtype=F64)
    h = 1e-4
    w0 = model.flat_params()

    def quad(t: float) -> float:
        m = model.with_params(w0 + t * v)
        return float(v @ _dense_hessian(m, x) @ v)

    fd = (quad(h) - quad(-h)) / (2 * h)
    d3 = float(directional_derivative(model, x, v, 3))
    assert abs(d3 - fd) <= 1e-6 * max(1.0, abs(fd))


def test_one_hidden_layer_closed_form() -> None:
    """||H|| = max_i (|A_i| + sqrt(A_i^2 + 4 B_i^2)) / (2 sqrt m)   (Liu et al. 2020, §3.1)."""
    d, m = 3, 40
    model = MLP(input_dim=d, width=m, depth=1, activation="tanh").init(seed=0)
    x = _x(d)
    W, v = model.params["W1"], model.params["v"][0]
    a = W @ x / math.sqrt(d)
    s1 = 1 - torch.tanh(a) ** 2
    s2 = -2 * torch.tanh(a) * s1
    A = v * s2 * (x @ x) / d
    B = s1 * x.norm() / math.sqrt(d)
    closed = float((A.abs() + torch.sqrt(A**2 + 4 * B**2)).max() / (2 * math.sqrt(m)))
    est = hessian_norm(model, x, method="lanczos", tol=1e-12)
    assert abs(est.value - closed) <= 1e-12 * closed


@pytest.mark.parametrize("m", [5, 64, 300])
def test_two_layer_linear_network_norm_is_exact(m: int) -> None:
    """||H|| = ||x|| / sqrt(m d) for f = v^T W x / sqrt(m d), whatever the weights (§1.4 item 6)."""
    d = 4
    x = _x(d)
    expected = float(x.norm()) / math.sqrt(m * d)
    for spec in (
        MLP(input_dim=d, width=m, depth=1, activation="identity"),
        LinearBottleneck(d, m, 0),
    ):
        est = hessian_norm(spec.init(seed=m), x, method="lanczos")
        assert abs(est.value - expected) <= 1e-12 * expected


def test_hessian_eigs_both_ends_and_power_iteration_agree() -> None:
    model = MLP(input_dim=4, width=30, depth=2).init(seed=0)
    x = _x(4)
    ev = torch.linalg.eigvalsh(_dense_hessian(model, x))
    spec = hessian_eigs(model, x, k=3, method="lanczos", tol=1e-11)
    want = [*ev[:3].tolist(), *ev[-3:].tolist()]
    assert spec.eigenvalues == pytest.approx(want, rel=1e-9, abs=1e-12)
    power = power_iteration(model_hessian(model, x), tol=1e-9)
    assert abs(abs(power.eigenvalues[0]) - float(ev.abs().max())) <= 1e-7


def test_loss_hessian_conventions_differ_by_two_over_n() -> None:
    """H of mean loss = (2/n) H of the half-sum loss (linalg docstring)."""
    model = MLP(input_dim=3, width=20, depth=1).init(seed=1)
    X = torch.randn(6, 3, dtype=F64)
    y = torch.randn(6, dtype=F64)
    mean = hessian_norm(model, X, of="loss", targets=y, loss="mean", method="lanczos").value
    half = hessian_norm(model, X, of="loss", targets=y, loss="half_sum", method="lanczos").value
    assert mean == pytest.approx(half * 2 / 6, rel=1e-10)
    dense = torch.autograd.functional.hessian(
        lambda w: ((model.apply_flat(w, X) - y) ** 2).mean(), model.flat_params()
    )
    assert mean == pytest.approx(float(torch.linalg.eigvalsh(dense).abs().max()), rel=1e-9)


@pytest.mark.parametrize("of", ["loss", "output"])
def test_float32_bounds_from_float64_residuals_cover_the_exact_error(of: str) -> None:
    """A float32 solve at tol 1e-6: with float64 certificate products every bound covers the
    distance to the float64 dense Hessian's eigenvalue and meets the tolerance; certified with
    float32 products (no reference) the rounding allowance 10 sqrt(n) eps32 max|theta| does not."""
    model = MLP(input_dim=6, width=40, depth=2).init(seed=0, dtype=torch.float32)
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(30, 6, generator=gen) if of == "loss" else torch.randn(6, generator=gen)
    y = torch.randn(30, generator=gen) if of == "loss" else None
    exact = model.with_params({k: v.double() for k, v in model.params.items()})
    if of == "loss":
        assert y is not None
        dense = torch.autograd.functional.hessian(
            lambda w: ((exact.apply_flat(w, X.double()) - y.double()) ** 2).mean(),
            exact.flat_params(),
        )
        op32 = loss_hessian(model, X, y)
    else:
        dense = _dense_hessian(exact, X.double())
        op32 = model_hessian(model, X)
    true = torch.linalg.eigvalsh(dense)
    ends = (float(true[0]), float(true[-1]))
    certified = hessian_eigs(model, X, 1, of=of, targets=y, method="lanczos", tol=1e-6)
    plain = lanczos(op32, tol=1e-6)
    scale = max(abs(e) for e in ends)
    assert certified.method == "lanczos (float64 residual)" and plain.method == "lanczos"
    assert certified.matvecs == plain.matvecs == certified.iterations + 2
    for value, bound, truth in zip(
        certified.eigenvalues, certified.error_bounds, ends, strict=True
    ):
        assert abs(value - truth) <= bound <= 1e-6 * scale
    assert min(plain.error_bounds) > 1e-6 * scale
    with pytest.raises(ConfigError, match="float64 operator"):
        lanczos(op32, reference=op32)


@pytest.mark.parametrize(
    "spec",
    [
        LinearBottleneck(input_dim=3, width=12, bottlenecks=2, bottleneck_width=2),
        MLP(input_dim=3, width=10, depth=2, activation="softplus"),
    ],
)
def test_hessian_block_norms_match_dense_blocks(spec) -> None:  # type: ignore[no-untyped-def]
    """Every within- and cross-block norm against the 2-norm of the slice of the dense Hessian."""
    from wideproof.measures import hessian_block_norms

    model = spec.init(seed=2)
    x = _x(spec.input_dim)
    dense = _dense_hessian(model, x)
    index = {
        b: torch.cat([torch.arange(s.start, s.stop) for s in slices])
        for b, slices in model.block_slices().items()
    }
    got = hessian_block_norms(model, x, tol=1e-12)
    names = list(index)
    assert set(got) == {(b, c) for i, b in enumerate(names) for c in names[i:]}
    for (b, c), est in got.items():
        ref = float(torch.linalg.matrix_norm(dense[index[b]][:, index[c]], ord=2))
        assert abs(est.value - ref) <= max(est.error_bound, 1e-12), (b, c)
        assert est.value == pytest.approx(ref, rel=1e-9, abs=1e-13)


def test_lanczos_restarts_when_the_basis_is_capped() -> None:
    model = MLP(input_dim=4, width=40, depth=2).init(seed=2)
    x = _x(4)
    true = float(torch.linalg.eigvalsh(_dense_hessian(model, x)).abs().max())
    spec = lanczos(model_hessian(model, x), max_basis=14, tol=1e-10)
    assert spec.spectral_norm[0] == pytest.approx(true, rel=1e-9)


def test_ntk_change_is_zero_for_identical_models_and_positive_after_a_step() -> None:
    model = MLP(input_dim=3, width=16, depth=1).init(seed=0)
    X = torch.randn(4, 3, dtype=F64)
    assert ntk_change(model, model, X) == 0.0
    moved = model.with_params(model.flat_params() + 0.1)
    assert ntk_change(model, moved, X) > 0.0


def test_directional_derivatives_match_mpmath_at_50_digits() -> None:
    """Orders 1-3 against wideproof.certify's independent mpmath forward (50 digits).

    Order 3 is d/dt (v^T H(w0 + t v) v) by Richardson-extrapolated central differences of the
    50-digit Hessian, with w0 on the grid 2^-20 Z and integer v so that every evaluation point
    w0 +- t v is exact in float64 (truncation error O(h^4) ~ 1e-24).
    """
    import mpmath

    from wideproof.certify import hessian_mp

    base = MLP(input_dim=3, width=5, depth=2, activation="tanh").init(seed=0)
    h = 2.0**-20
    w0 = torch.round(base.flat_params() / h) * h
    model = base.with_params(w0)
    x = torch.round(_x(3) / h) * h
    v = torch.randint(-3, 4, (model.num_params,), generator=torch.Generator().manual_seed(3)).to(
        F64
    )
    vm = [mpmath.mpf(float(a)) for a in v]

    def quad(t: float) -> mpmath.mpf:
        hp = hessian_mp(model.with_params(w0 + t * v), x, dps=50)
        return sum(vm[i] * hp.hessian[i, j] * vm[j] for i in range(len(vm)) for j in range(len(vm)))

    with mpmath.workdps(50):
        hp0 = hessian_mp(model, x, dps=50)
        exact = [
            sum(g * a for g, a in zip(hp0.gradient, vm, strict=True)),
            quad(0.0),
        ]
        d_h = (quad(h) - quad(-h)) / (2 * h)
        d_2h = (quad(2 * h) - quad(-2 * h)) / (4 * h)
        exact.append((4 * d_h - d_2h) / 3)
    for order, ref in zip((1, 2, 3), exact, strict=True):
        got = float(directional_derivative(model, x, v, order))
        assert abs(got - float(ref)) <= 1e-11 * max(1.0, abs(float(ref))), order


def test_float64_estimate_lies_in_the_certified_enclosure() -> None:
    from wideproof.certify import certified_hessian_norm

    model = MLP(input_dim=3, width=8, depth=2, activation="softplus", bias=True).init(seed=4)
    x = _x(3)
    enclosure = certified_hessian_norm(model, x)
    for method in ("lanczos", "dense"):
        est = hessian_norm(model, x, method=method)
        assert enclosure.lower - est.error_bound <= est.value <= enclosure.upper + est.error_bound
        assert enclosure.contains(est.value) or est.error_bound >= enclosure.width


@pytest.mark.parametrize("dtype", [F64, torch.float32])
@pytest.mark.parametrize("of", ["output", "loss"])
def test_one_eigenvalue_per_end_by_the_plain_recurrence_is_certified(
    of: str, dtype: torch.dtype, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``max_matvecs`` below the size no run can fill the space, so one eigenvalue per end
    comes from the recurrence without reorthogonalization (ghosts allowed): both ends still lie
    within their certified bounds of the dense float64 Hessian's extremes."""
    from wideproof.linalg import _lanczos

    calls: list[int] = []
    real = _lanczos._orthogonalize

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(_lanczos, "_orthogonalize", counted)
    model = MLP(input_dim=5, width=16, depth=2).init(0, dtype=dtype)  # 352 parameters
    gen = torch.Generator().manual_seed(2)
    X = torch.randn(8, 5, generator=gen, dtype=F64) if of == "loss" else torch.randn(5, dtype=F64)
    y = torch.randn(8, generator=gen, dtype=F64) if of == "loss" else None
    X, y = X.to(dtype), None if y is None else y.to(dtype)
    exact = model.with_params({k: v.double() for k, v in model.params.items()})
    if y is None:
        dense = _dense_hessian(exact, X.double())
    else:
        dense = torch.autograd.functional.hessian(
            lambda w: ((exact.apply_flat(w, X.double()) - y.double()) ** 2).mean(),
            exact.flat_params(),
        )
    true = torch.linalg.eigvalsh(dense)
    spec = hessian_eigs(model, X, 1, of=of, targets=y, method="lanczos", max_matvecs=300)
    assert not calls
    for value, bound, truth in zip(
        spec.eigenvalues, spec.error_bounds, (true[0], true[-1]), strict=True
    ):
        assert abs(value - float(truth)) <= bound
        assert bound <= 1e-5 * float(true.abs().max())
