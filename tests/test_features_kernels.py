"""Mahalanobis kernels, kernel solves, closed-form input gradients and the closed-form AGOP.

Oracles, independent of the code under test: kernel values and predictors are re-implemented
here point by point from the printed formulas (explicit differences ``x - z``, no expansion of the
squared distance, no shared helper), and differentiated by ``torch.func.jacrev``; solves are
compared with ``torch.linalg.solve`` and with the closed-form coefficients of Theorem 5.1 of
Mallinar et al. 2025 (arXiv:2407.20199, §5).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.func import jacrev

from wideproof.errors import ConfigError, NumericalError
from wideproof.features import (
    MahalanobisKernel,
    agop_from_jacobians,
    fit_kernel_machine,
    gaussian_kernel,
    laplace_kernel,
    modular_arithmetic,
    quadratic_kernel,
    solve_kernel_system,
)
from wideproof.measures import agop

torch.set_num_threads(1)
F64 = torch.float64

KERNELS = {
    "laplace": laplace_kernel(1.7),
    "gaussian-paper": gaussian_kernel(2.5, convention="paper"),
    "gaussian-code": gaussian_kernel(1.3, convention="code"),
    "quadratic": quadratic_kernel(),
}


def naive_value(kernel: MahalanobisKernel, x: torch.Tensor, z: torch.Tensor, m: torch.Tensor):
    """k_M(x, z) for single points from the printed formula (full matrix m)."""
    if kernel.kind == "quadratic":
        return (x @ m @ z) ** 2
    diff = x - z
    q = diff @ m @ diff
    L = kernel.bandwidth
    if kernel.kind == "laplace":
        return torch.exp(-torch.sqrt(q) / L)
    if kernel.convention == "paper":
        return torch.exp(-q / L)
    return torch.exp(-q / (2 * L * L))


def naive_predictor(kernel, centers, alpha, m):
    def f(x):
        return sum(alpha[i] * naive_value(kernel, x, centers[i], m) for i in range(len(centers)))

    return f


def random_spd(d: int, gen: torch.Generator) -> torch.Tensor:
    a = torch.randn(d, d, generator=gen, dtype=F64)
    return a @ a.T / d + 0.1 * torch.eye(d, dtype=F64)


def setup(seed: int, n: int = 9, d: int = 5, c: int = 3):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=F64)
    y = torch.randn(n, c, generator=gen, dtype=F64)
    return gen, x, y


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("metric_kind", ["identity", "diagonal", "full"])
def test_kernel_values_match_formula(name, metric_kind):
    kernel = KERNELS[name]
    gen, x, _ = setup(1)
    z = torch.randn(4, 5, generator=gen, dtype=F64)
    metric = {
        "identity": None,
        "diagonal": torch.rand(5, generator=gen, dtype=F64) + 0.2,
        "full": random_spd(5, gen),
    }[metric_kind]
    full = torch.eye(5, dtype=F64) if metric is None else metric
    full = torch.diag(full) if full.dim() == 1 else full
    got = kernel(x, z, metric)
    want = torch.stack([torch.stack([naive_value(kernel, a, b, full) for b in z]) for a in x])
    torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-15)


def test_conventions_are_distinct_and_explicit():
    x = torch.tensor([[0.0, 0.0]], dtype=F64)
    z = torch.tensor([[3.0, 4.0]], dtype=F64)  # squared distance 25
    paper = gaussian_kernel(2.5, convention="paper")(x, z)
    code = gaussian_kernel(2.5, convention="code")(x, z)
    assert float(paper) == pytest.approx(math.exp(-25 / 2.5), rel=1e-14)
    assert float(code) == pytest.approx(math.exp(-25 / 12.5), rel=1e-14)
    with pytest.raises(ConfigError, match="convention"):
        MahalanobisKernel("gaussian", bandwidth=1.0)
    with pytest.raises(ConfigError, match="bandwidth"):
        laplace_kernel(0.0)
    with pytest.raises(ConfigError):
        MahalanobisKernel("quadratic", bandwidth=1.0)
    with pytest.raises(ConfigError, match="kind"):
        MahalanobisKernel("cauchy", bandwidth=1.0)  # type: ignore[arg-type]


def test_identical_points_have_distance_exactly_zero():
    gen = torch.Generator().manual_seed(3)
    x = 100 * torch.randn(6, 40, generator=gen, dtype=F64)
    m = random_spd(40, gen)
    k = laplace_kernel(0.5)(x, x, m)
    assert torch.equal(torch.diagonal(k), torch.ones(6, dtype=F64))
    # a near pair keeps full relative accuracy (the expansion x'Mx + z'Mz - 2x'Mz would not)
    z = x[:1] + 1e-7 * torch.randn(1, 40, generator=gen, dtype=F64)
    got = laplace_kernel(0.5)(x[:1], z, m)
    want = naive_value(laplace_kernel(0.5), x[0], z[0], m)
    assert float(got) == pytest.approx(float(want), rel=1e-14)


def test_metric_validation():
    _, x, _ = setup(0)
    not_psd = torch.diag(torch.tensor([1.0, -1.0, 1.0, 1.0, 1.0], dtype=F64))
    with pytest.raises(ConfigError, match="positive semi-definite"):
        laplace_kernel(1.0)(x, x, not_psd)
    with pytest.raises(ConfigError, match="negative"):
        gaussian_kernel(1.0, convention="code")(x, x, torch.diagonal(not_psd).clone())
    with pytest.raises(ConfigError, match="symmetric"):
        quadratic_kernel()(x, x, torch.triu(torch.ones(5, 5, dtype=F64)))
    with pytest.raises(ConfigError, match="shape"):
        quadratic_kernel()(x, x, torch.ones(4, dtype=F64))
    # the quadratic kernel accepts an indefinite symmetric M (Theorem 5.1 uses one)
    assert quadratic_kernel()(x, x, not_psd).shape == (9, 9)


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("metric_kind", ["diagonal", "full"])
def test_gradients_match_autograd_off_sample(name, metric_kind):
    kernel = KERNELS[name]
    gen, x, y = setup(2)
    metric = torch.rand(5, generator=gen, dtype=F64) + 0.2 if metric_kind == "diagonal" else None
    if metric_kind == "full":
        metric = random_spd(5, gen)
    machine = fit_kernel_machine(kernel, x, y, metric, ridge=1e-3)
    full = torch.diag(machine.metric) if machine.metric.dim() == 1 else machine.metric
    f = naive_predictor(kernel, x, machine.alpha, full)
    pts = torch.randn(4, 5, generator=gen, dtype=F64)
    got = machine.jacobian(pts)
    want = torch.stack([jacrev(f)(p).T for p in pts])  # (m, d, c)
    assert got.shape == (4, 5, 3)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
    torch.testing.assert_close(
        machine.predict(pts), torch.stack([f(p) for p in pts]), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", list(KERNELS))
def test_gradients_at_training_points(name):
    """At a training point the Laplace term of that centre is dropped (its cone has no
    gradient): the closed form equals autograd of the predictor with that centre removed.
    The other kernels are smooth there and match autograd of the full predictor."""
    kernel = KERNELS[name]
    gen, x, y = setup(4)
    metric = random_spd(5, gen)
    machine = fit_kernel_machine(kernel, x, y, metric, ridge=0.0)
    got = machine.jacobian()
    for j in range(x.shape[0]):
        keep = [i for i in range(x.shape[0]) if i != j or kernel.kind != "laplace"]
        f = naive_predictor(kernel, x[keep], machine.alpha[keep], metric)
        torch.testing.assert_close(got[j], jacrev(f)(x[j]).T, rtol=0, atol=1e-10)


def test_single_output_shapes():
    _, x, y = setup(5)
    machine = fit_kernel_machine(laplace_kernel(2.0), x, y[:, 0])
    assert machine.predict(x).shape == (9,)
    assert machine.jacobian().shape == (9, 5)
    assert machine.agop().shape == (5, 5)


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("where", ["train", "fresh"])
def test_closed_form_agop_matches_autograd_jacobians(name, centered, where):
    kernel = KERNELS[name]
    gen, x, y = setup(6, n=8, d=4, c=2)
    metric = random_spd(4, gen)
    machine = fit_kernel_machine(kernel, x, y, metric, ridge=1e-2)
    pts = x if where == "train" else torch.randn(7, 4, generator=gen, dtype=F64)
    jac = []
    for j, p in enumerate(pts):
        drop = where == "train" and kernel.kind == "laplace"
        keep = [i for i in range(8) if not (drop and i == j)]
        jac.append(jacrev(naive_predictor(kernel, x[keep], machine.alpha[keep], metric))(p).T)
    want = agop_from_jacobians(torch.stack(jac), centered=centered)
    got = machine.agop(None if where == "train" else pts, centered=centered)
    torch.testing.assert_close(got, want, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("name", list(KERNELS))
def test_closed_form_agop_matches_measures_agop(name):
    """Cross-check with the core library's autograd AGOP (``wideproof.measures.agop``)."""
    kernel = KERNELS[name]
    gen, x, y = setup(9, n=8, d=4, c=2)
    machine = fit_kernel_machine(kernel, x, y, random_spd(4, gen), ridge=1e-2)
    pts = torch.randn(6, 4, generator=gen, dtype=F64)
    f = naive_predictor(kernel, x, machine.alpha, machine.metric)
    torch.testing.assert_close(machine.agop(pts), agop(f, pts), rtol=1e-11, atol=1e-12)
    # the machine's own pure evaluation traces under vmap(jacrev) too, and agrees with predict
    torch.testing.assert_close(agop(machine.evaluate, pts), agop(f, pts), rtol=1e-12, atol=1e-13)
    torch.testing.assert_close(machine.evaluate(pts), machine.predict(pts), rtol=0, atol=0)
    torch.testing.assert_close(machine.evaluate(pts[0]), machine.predict(pts[:1])[0])


@pytest.mark.parametrize("kernel", [gaussian_kernel(2.5, convention="code"), quadratic_kernel()])
def test_closed_form_agop_on_modular_data(kernel):
    """The RFM setting (one-hot inputs, ridgeless, p outputs): the closed form agrees with the
    AGOP of the per-point Jacobians (themselves checked against autograd above)."""
    data = modular_arithmetic(11, "add", train_fraction=0.6, seed=0)
    machine = fit_kernel_machine(kernel, data.x_train, data.y_train)
    for centered in (False, True):
        want = agop_from_jacobians(machine.jacobian(), centered=centered)
        torch.testing.assert_close(machine.agop(centered=centered), want, rtol=1e-11, atol=1e-13)


def test_ridgeless_interpolates_and_ridge_matches_dense_solve():
    _, x, y = setup(7, n=30)
    exact = fit_kernel_machine(gaussian_kernel(2.0, convention="code"), x, y)
    torch.testing.assert_close(exact.predict(x), y, rtol=0, atol=1e-9)
    k = gaussian_kernel(2.0, convention="code")(x, x)
    ridge = fit_kernel_machine(gaussian_kernel(2.0, convention="code"), x, y, ridge=0.3)
    want = torch.linalg.solve(k + 0.3 * torch.eye(30, dtype=F64), y)
    torch.testing.assert_close(ridge.alpha, want, rtol=1e-12, atol=1e-12)


def test_singular_system_raises_numerical_error():
    _, x, y = setup(8)
    x = torch.cat([x, x[:1]])  # a duplicated training point: K is exactly singular
    y = torch.cat([y, y[:1]])
    with pytest.raises(NumericalError, match="ridge"):
        fit_kernel_machine(laplace_kernel(1.0), x, y)
    with pytest.raises(NumericalError, match="ridge"):
        fit_kernel_machine(laplace_kernel(1.0), x, y, method="lu")
    fit_kernel_machine(laplace_kernel(1.0), x, y, ridge=1e-6)  # the remedy works
    with pytest.raises(ConfigError, match="ridge"):
        fit_kernel_machine(laplace_kernel(1.0), x, y, ridge=-1.0)
    with pytest.raises(ConfigError, match="method"):
        solve_kernel_system(torch.eye(2, dtype=F64), torch.ones(2, 1, dtype=F64), method="qr")  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [5, 7])
def test_lu_solve_reproduces_theorem_5_1_coefficients(p):
    """All p^2 subtraction pairs, M_l = [[0, C^l], [(C^l)^T, 0]] (indefinite), quadratic kernel:
    the ridgeless coefficients are C^{3l}/2 - 11^T/(2p+2) (exact in sympy, ``proofs/modular_arithmetic_proof.py``)."""
    data = modular_arithmetic(p, "sub", train_fraction=1.0)
    c = torch.roll(torch.eye(p, dtype=F64), 1, dims=1)  # C_{i,(i+1) mod p} = 1
    for ell in range(1, p):
        cl = torch.linalg.matrix_power(c, ell)
        metric = torch.block_diag(cl, cl.T).roll(p, dims=1)  # [[0, C^l], [(C^l)^T, 0]]
        torch.testing.assert_close(metric[:p, p:], cl)
        y = (data.labels == ell).to(F64)
        with pytest.raises(NumericalError, match="lu"):
            fit_kernel_machine(quadratic_kernel(), data.inputs, y, metric)
        machine = fit_kernel_machine(quadratic_kernel(), data.inputs, y, metric, method="lu")
        want = torch.linalg.matrix_power(c, 3 * ell) / 2 - 1.0 / (2 * p + 2)
        torch.testing.assert_close(machine.alpha.reshape(p, p), want, rtol=0, atol=1e-12)


def test_squared_distances_large_path_matches_the_differences():
    """The Gram expansion with near pairs recomputed from their differences (several chunks of
    them), against the differences themselves (the one-point path) on near-duplicate points."""
    from wideproof.features._kernels import _CHUNK, _sq_distances

    gen = torch.Generator().manual_seed(3)
    z = torch.randn(520, 3, generator=gen, dtype=F64) * 10
    x = torch.cat([z[:300] + 1e-7 * torch.randn(300, 3, generator=gen, dtype=F64), z[:300]])
    metric = random_spd(3, gen)
    assert x.shape[0] * z.shape[0] > _CHUNK
    exact = torch.cat([_sq_distances(row[None], z, metric) for row in x])
    got = _sq_distances(x, z, metric)
    assert bool((got >= 0).all())
    torch.testing.assert_close(got, exact, rtol=1e-9, atol=1e-16)
