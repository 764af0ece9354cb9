"""Tests of ``zhu2022bottleneck.degree`` and ``zhu2022dag.in-degree``.

Oracles independent of the code under test: the Taylor coefficients of the bottleneck network
(one-pass coefficient propagation) are checked against nested forward-mode derivatives
(:func:`wideproof.measures.directional_derivative`, divided by j!); the power-method supremum of
orders 1 and 2 against closed forms, :math:`s_1 = \\|\\nabla f\\|` and :math:`s_2 = \\|H_f\\|/2`
(dense Hessian); the DAG measure against a dense Hessian of a small DAG.  The quick verdicts are
asserted to be what the theory predicts, and a deliberately wrong degree prediction must FAIL.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from wideproof.claims import get
from wideproof.claims.zhu2022bottleneck import (
    DEGREE,
    DegreeRule,
    estimated_degree,
    sup_coefficient,
    taylor_coefficients,
)
from wideproof.claims.zhu2022dag import IN_DEGREE, LAYOUTS, hessian_norms_by_layout
from wideproof.errors import ConfigError
from wideproof.families import MLP, DAGNet, LinearBottleneck
from wideproof.measures import directional_derivative, hessian_norm
from wideproof.sweeps import ResultStore, Task


def _bottleneck(seed: int = 1, **kw: int) -> tuple[LinearBottleneck, torch.Tensor]:
    spec = LinearBottleneck(
        input_dim=3,
        width=kw.get("width", 5),
        bottlenecks=kw.get("bottlenecks", 2),
        bottleneck_width=2,
        layers_per_block=kw.get("layers_per_block", 2),
    )
    x = torch.randn(3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return spec, x


def test_taylor_coefficients_match_nested_jvp() -> None:
    spec, x = _bottleneck(bottlenecks=1)
    model = spec.init(1)
    gen = torch.Generator().manual_seed(7)
    d = {
        k: torch.randn(v.shape, generator=gen, dtype=torch.float64) for k, v in model.params.items()
    }
    flat = torch.cat([v.reshape(-1) for v in d.values()])
    coeffs = taylor_coefficients(model, x, d, 7)
    assert float(coeffs[7]) == 0.0  # t -> f(W + t Delta) is a polynomial of degree L = 6
    t = 0.7
    moved = model.apply_flat(model.flat_params() + t * flat, x)
    assert float(sum(c * t**j for j, c in enumerate(coeffs))) == pytest.approx(
        float(moved), rel=1e-10
    )
    for j in range(5):
        ref = float(directional_derivative(model, x, flat, j)) / math.factorial(j)
        assert float(coeffs[j]) == pytest.approx(ref, rel=1e-10, abs=1e-12)


def test_sup_of_first_two_orders_matches_closed_forms() -> None:
    spec, x = _bottleneck(width=4, bottlenecks=1, layers_per_block=1)
    model = spec.init(2)
    w = model.flat_params().detach().requires_grad_(True)
    (g,) = torch.autograd.grad(model.apply_flat(w, x), w)
    assert sup_coefficient(model, x, 1) == pytest.approx(float(g.norm()), rel=1e-12)
    half_h = hessian_norm(model, x, method="dense").value / 2
    s2 = sup_coefficient(model, x, 2, iterations=60)
    assert 0.99 * half_h <= s2 <= half_h * (1 + 1e-10)


def test_sup_coefficient_rejects_other_families() -> None:
    model = MLP(input_dim=2, width=3, depth=1, activation="tanh").init(0)
    with pytest.raises(ConfigError, match="LinearBottleneck"):
        sup_coefficient(model, torch.ones(2, dtype=torch.float64), 1)


def test_estimated_degree_reads_the_last_order_above_threshold() -> None:
    widths = [10, 100, 1000]
    sups = {1: [1.0, 1.1, 0.9], 2: [1.0, 0.8, 0.7], 3: [1.0, 0.1**0.5, 0.1], 4: [0.0, 0.0, 0.0]}
    est = estimated_degree(sups, widths)
    assert est.degree == 2
    assert est.exponents[2] == pytest.approx(-0.5)
    assert est.exponents[3] == -math.inf


def test_degree_quick_holds_and_wrong_degree_fails() -> None:
    """The quick profile gives degree B at every depth; predicting B + 1 must fail."""
    with ResultStore(":memory:") as store:
        verdict = get("zhu2022bottleneck.degree").verify("quick", executor="threads", store=store)
        assert verdict.status == "HOLDS", verdict.evidence["reason"]
        wrong = dataclasses.replace(DEGREE, rule=DegreeRule(depths=(1, 2), offset=2))
        bad = wrong.verify("quick", executor="threads", store=store)
        assert bad.status == "FAILS"
        assert bad.evidence["points_reused"] == len(DEGREE.tasks("quick"))


def test_dag_measure_matches_dense_hessian() -> None:
    spec = DAGNet(input_dim=4, in_degree=3, depth=3, layer_size=4)
    args = {"tol": 1e-10, "layouts": list(LAYOUTS)}
    got = hessian_norms_by_layout(Task(hessian_norms_by_layout, spec, "in_degree", 3, 1, args))
    x = torch.ones(4, dtype=torch.float64)
    base = dataclasses.replace(spec, graph_seed=1)
    variants = {
        "hessian_norm": base,
        "hessian_norm_out2": dataclasses.replace(base, output_in_degree=2),
        "hessian_norm_layered": dataclasses.replace(base, graph="layered", output_in_degree=3),
        "hessian_norm_densenet": dataclasses.replace(base, graph="densenet"),
        "hessian_norm_resnet": dataclasses.replace(base, graph="resnet"),
    }
    assert set(got) == set(variants)
    for name, s in variants.items():
        model = s.init(1)
        w = model.flat_params().detach()
        h = torch.func.hessian(lambda v, mod=model: mod.apply_flat(v, x).reshape(()))(w)
        ref = float(torch.linalg.eigvalsh(h).abs().max())
        assert got[name].value == pytest.approx(ref, rel=1e-8)


@pytest.mark.slow  # ~20-30 s on a loaded 2-core machine
def test_dag_quick_holds() -> None:
    verdict = IN_DEGREE.verify("quick", executor="threads")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    parts = verdict.evidence["parts"]
    assert parts["output in-degree 2"]["status"] == "HOLDS"


def test_bottleneck_blocks_quick_holds() -> None:
    """Within-block Hessian norms decay in width, cross-block ones do not (quick profile)."""
    verdict = get("zhu2022bottleneck.blocks").verify("quick", executor="threads")
    assert verdict.status == "HOLDS", verdict.evidence["reason"]
    parts = verdict.evidence["parts"]
    assert parts["within a block"]["measured"] < -0.3 < parts["across blocks"]["measured"]
