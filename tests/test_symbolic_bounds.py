"""Tests of ``Bound``: exponents, hypotheses, and numeric values against independent computations.

Oracles: dense Hessians from ``torch.autograd.functional.hessian`` of the real model code
(``wideproof.families.MLP``) and eigenvalues from ``torch.linalg.eigvalsh``; first and second
activation derivatives from torch autograd (not from the sympy expressions the bounds use);
explicit GD iterations for the step-size thresholds.  None of them calls the symbolic code.
"""

import math

import mpmath
import pytest
import sympy as sp
import torch

from wideproof.errors import AssumptionError, ConfigError
from wideproof.families.mlp import MLP
from wideproof.symbolic import (
    ball_linearization_gap,
    bottleneck_degree,
    dag_hessian,
    eta_crit,
    fc_hessian,
    nonlinear_output,
    one_hidden_layer_block_norm,
    plstar_gradient,
    rsc_ntk_link,
    two_layer_linear,
)

torch.set_num_threads(1)


def _dense_hessian_norm(model, x: torch.Tensor) -> float:
    w0 = model.flat_params()
    H = torch.autograd.functional.hessian(lambda w: model.apply_flat(w, x), w0)
    return float(torch.linalg.eigvalsh(H).abs().max())


def test_exponents_in_the_width() -> None:
    s = fc_hessian().exponent_in("m")
    assert (s.power, s.log_power) == (sp.Rational(-1, 2), sp.Rational(1, 2))
    dag = dag_hessian()
    s = dag.exponent_in("k")
    assert (
        s.power == sp.Rational(-1, 2)
        and s.log_power == sp.Symbol("L", positive=True, integer=True) ** 2
    )
    assert dag.exponent_in("in_degree") == s
    s = nonlinear_output().exponent_in("m")
    assert (s.power, s.log_power) == (0, 0)
    assert two_layer_linear().exponent_in("width").power == sp.Rational(-1, 2)


@pytest.mark.parametrize("bottlenecks", range(5))
def test_bottleneck_degree_is_bottlenecks_plus_one(bottlenecks: int) -> None:
    for depth in range(bottlenecks + 1, bottlenecks + 5):
        assert bottleneck_degree(bottlenecks, depth) == bottlenecks + 1
    with pytest.raises(ConfigError):
        bottleneck_degree(bottlenecks, bottlenecks)


def test_check_rejects_relu_on_a_smooth_activation_theorem() -> None:
    with pytest.raises(AssumptionError) as err:
        fc_hessian().check(MLP(input_dim=3, width=8, depth=2, activation="relu"))
    assert "C^2" in str(err.value) and "Liu, Zhu, Belkin 2020" in str(err.value)
    fc_hessian().check(MLP(input_dim=3, width=8, depth=2, activation="tanh"))


def test_check_rejects_non_linear_output_on_a_linear_output_theorem() -> None:
    with pytest.raises(AssumptionError) as err:
        fc_hessian().check(MLP(input_dim=3, width=8, depth=2, output="tanh"))
    assert "output layer is linear" in str(err.value) and "Theorem 3.2" in str(err.value)
    with pytest.raises(AssumptionError):
        nonlinear_output().check(MLP(input_dim=3, width=8))
    nonlinear_output().check(MLP(input_dim=3, width=8, output="tanh"))


@pytest.mark.parametrize("seed", [0, 1])
def test_one_hidden_layer_norm_matches_the_dense_hessian(seed: int) -> None:
    d, m = 3, 16
    model = MLP(input_dim=d, width=m, depth=1, activation="tanh").init(seed)
    x = torch.tensor([0.7, -1.1, 0.4], dtype=torch.float64)
    a = (model.params["W1"] @ x / math.sqrt(d)).detach().requires_grad_(True)
    (s1,) = torch.autograd.grad(torch.tanh(a).sum(), a, create_graph=True)
    (s2,) = torch.autograd.grad(s1.sum(), a)
    v = model.params["v"][0]
    A = v * s2 * x.dot(x) / d
    B = s1.detach() * x.norm() / math.sqrt(d)
    bound = one_hidden_layer_block_norm()
    predicted = max(
        float(bound.evaluate(m=m, A_i=float(Ai), B_i=float(Bi)))
        for Ai, Bi in zip(A, B, strict=True)
    )
    assert predicted == pytest.approx(_dense_hessian_norm(model, x), rel=1e-12)


def test_two_layer_linear_norm_matches_the_dense_hessian() -> None:
    d, m = 4, 6
    model = MLP(input_dim=d, width=m, depth=1, activation="identity").init(3)
    x = torch.tensor([0.3, -2.0, 1.5, 0.1], dtype=torch.float64)
    predicted = two_layer_linear().evaluate(m=m, d=d, xnorm=float(x.norm()))
    assert float(predicted) == pytest.approx(_dense_hessian_norm(model, x), rel=1e-12)


def test_bottleneck_block_norms_match_the_dense_hessian() -> None:
    # f = c w4^T W3 W2 W1 x, d -> m -> k_b -> m -> 1: the proof's lemma gives the block norms
    gen = torch.Generator().manual_seed(0)
    d, m, kb = 3, 5, 2
    shapes = [(m, d), (kb, m), (m, kb), (m,)]
    ws = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]
    x = torch.randn(d, generator=gen, dtype=torch.float64)
    c = 1 / math.sqrt(d * m * kb * m)

    def f(W1, W2, W3, w4):
        return c * w4 @ W3 @ W2 @ W1 @ x

    H = torch.autograd.functional.hessian(f, tuple(ws))
    cross = H[2][1].reshape(m * kb, kb * m)
    within = H[1][0].reshape(kb * m, m * d)
    W1, _, W3, w4 = ws
    assert float(torch.linalg.matrix_norm(cross, 2)) == pytest.approx(
        c * float(w4.norm() * (W1 @ x).norm()), rel=1e-12
    )
    assert float(torch.linalg.matrix_norm(within, 2)) == pytest.approx(
        c * float((W3.T @ w4).norm() * x.norm()), rel=1e-12
    )


def test_linearization_gap_is_attained_by_a_quadratic() -> None:
    gen = torch.Generator().manual_seed(1)
    A = torch.randn(5, 5, generator=gen, dtype=torch.float64)
    A = A + A.T
    evals, evecs = torch.linalg.eigh(A)
    top = int(evals.abs().argmax())
    R = 0.7
    delta = R * evecs[:, top]
    gap = 0.5 * float(delta @ A @ delta)  # f - f_lin for f(w) = w^T A w / 2
    bound = float(ball_linearization_gap().evaluate(epsilon=float(evals.abs().max()), R=R))
    assert abs(gap) == pytest.approx(bound, rel=1e-12)


def test_eta_crit_separates_convergent_from_divergent_gd() -> None:
    gen = torch.Generator().manual_seed(2)
    n, p = 4, 7
    J = torch.randn(n, p, generator=gen, dtype=torch.float64)
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    lam_max = float(torch.linalg.eigvalsh(J @ J.T).max())
    for loss, scale in (("half_sum", 1.0), ("mean", 2.0 / n)):
        values = {"lam": lam_max, "n": n} if loss == "mean" else {"lam": lam_max}
        crit = float(eta_crit(loss).evaluate(**values))
        for factor, converges in ((0.98, True), (1.02, False)):
            w = torch.zeros(p, dtype=torch.float64)
            for _ in range(3000):
                w = w - factor * crit * scale * J.T @ (J @ w - y)
            residual = float((J @ w - y).norm())
            assert (residual < 1e3) == converges, (loss, factor, residual)


def test_rsc_and_plstar_inequalities_on_random_kernels() -> None:
    gen = torch.Generator().manual_seed(3)
    for n in (2, 5):
        J = torch.randn(n, 9, generator=gen, dtype=torch.float64)
        K = J @ J.T
        lam_min = float(torch.linalg.eigvalsh(K).min())
        grad_bar = J.T @ torch.ones(n, dtype=torch.float64) / n
        assert (
            float(grad_bar @ grad_bar)
            >= float(rsc_ntk_link().evaluate(lambda_min=lam_min, n=n)) - 1e-12
        )
        r = torch.randn(n, generator=gen, dtype=torch.float64)
        loss = 0.5 * float(r @ r)
        g = J.T @ r
        assert (
            float(g @ g) >= float(plstar_gradient().evaluate(lambda_min=lam_min, loss=loss)) - 1e-12
        )


def test_evaluate_uses_the_requested_precision_and_names_missing_symbols() -> None:
    value = two_layer_linear().evaluate(dps=50, m=3, d=1, xnorm=1)
    with mpmath.workdps(50):
        assert abs(value - 1 / mpmath.sqrt(3)) < mpmath.mpf(10) ** -45
    with pytest.raises(ConfigError, match="xnorm"):
        two_layer_linear().evaluate(m=3, d=1)


def test_to_latex_and_json() -> None:
    b = fc_hessian()
    assert r"\le" in b.to_latex() and "R^{3 L}" in b.to_latex()
    data = b.to_json({"m": b.exponent_in("m")})
    assert data["provenance"]["proof"] == "proofs/deep_mlp_proof.py"
    assert data["exponents"]["m"] == {"power": "-1/2", "log_power": "1/2"}
