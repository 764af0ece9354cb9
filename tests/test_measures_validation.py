"""Every malformed argument to a measure is a typed one-line error, never a silent number.

The cases are the reproductions of a user's first tries (wrong target shapes, relu under a C^2
bound, huge inputs, half precision, out-of-range seeds, tolerances and sizes).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from wideproof.errors import AssumptionError, ConfigError, NumericalError
from wideproof.families import MLP
from wideproof.measures import agop, hessian_eigs, hessian_norm, linearization_gap, ntk, ntk_change

F64 = torch.float64
MODEL = MLP(input_dim=5, width=6, depth=2).init(0)
X = torch.randn(4, 5, generator=torch.Generator().manual_seed(0), dtype=F64)
Y = torch.randn(4, generator=torch.Generator().manual_seed(1), dtype=F64)
x = X[0]

CASES: dict[str, tuple[type[Exception], Callable[[], object]]] = {
    "targets (n, 1) for (n,) outputs": (
        ConfigError,
        lambda: hessian_norm(MODEL, X, of="loss", targets=Y[:, None]),
    ),
    "targets (n,) for two outputs": (
        ConfigError,
        lambda: hessian_norm(MLP(5, 6, 1, output_dim=2).init(0), X, of="loss", targets=Y),
    ),
    "relu under the Taylor bound": (
        AssumptionError,
        lambda: linearization_gap(MLP(5, 8, 2, activation="relu").init(0), x, 1.0),
    ),
    "ntk_change from a zero kernel": (
        NumericalError,
        lambda: ntk_change(MODEL.with_params(MODEL.flat_params() * 0), MODEL, X),
    ),
    "agop of a NaN function": (NumericalError, lambda: agop(lambda z: z.sum() * float("nan"), X)),
    "bfloat16 model": (
        ConfigError,
        lambda: hessian_norm(MLP(5, 6, 2).init(0, dtype=torch.bfloat16), x.bfloat16()),
    ),
    "float16 dense": (
        ConfigError,
        lambda: hessian_norm(MLP(5, 6, 2).init(0, dtype=torch.float16), x.half(), method="dense"),
    ),
    "complex input": (ConfigError, lambda: hessian_norm(MODEL, x.to(torch.complex128))),
    "integer input": (ConfigError, lambda: ntk(MODEL, torch.ones(2, 5, dtype=torch.int64))),
    "k beyond the size": (ConfigError, lambda: hessian_eigs(MODEL, x, k=10**6)),
    "max_matvecs=0": (ConfigError, lambda: hessian_norm(MODEL, x, max_matvecs=0)),
    "800 TB of weights": (ConfigError, lambda: MLP(5, 10**7, 2).init(0)),
    "seed 2**70": (ConfigError, lambda: MLP(5, 3, 2).init(seed=2**70)),
    "seed -1": (ConfigError, lambda: hessian_norm(MODEL, x, seed=-1)),
    "empty batch": (ConfigError, lambda: hessian_norm(MODEL, X[:0], of="loss", targets=Y[:0])),
    "ntk inputs of other widths": (ConfigError, lambda: ntk(MODEL, X, X[:, :4])),
    "tol=nan": (ConfigError, lambda: hessian_norm(MODEL, x, tol=float("nan"))),
    "segment_points=0": (ConfigError, lambda: linearization_gap(MODEL, x, 1.0, segment_points=0)),
    "input overflowing float32": (
        NumericalError,
        lambda: ntk(MODEL.with_params({k: v.float() for k, v in MODEL.params.items()}), X * 1e160),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_a_typed_one_line_error(case: str) -> None:
    error, call = CASES[case]
    with pytest.raises(error) as info:
        call()
    assert "\n" not in str(info.value)


def test_ntk_of_huge_inputs_is_the_finite_saturated_kernel() -> None:
    """At |x| = 1e160 tanh saturates (g = 0 in layer 1), so K equals the Jacobian Gram at 1e100
    (also saturated) -- formerly 0 * inf = NaN."""
    model = MLP(input_dim=5, width=10, depth=2).init(0)
    huge = torch.full((2, 5), 1e160, dtype=F64)
    big = torch.full((2, 5), 1e100, dtype=F64)
    J = torch.autograd.functional.jacobian(lambda w: model.apply_flat(w, big), model.flat_params())
    ref = J @ J.T
    got = ntk(model, huge)
    assert torch.allclose(got, ref, rtol=1e-12, atol=0)
    relu = MLP(input_dim=5, width=10, depth=2, activation="relu").init(0)
    with pytest.raises(NumericalError, match="overflows"):
        ntk(relu, huge)


@pytest.mark.slow
def test_float32_at_a_million_parameters_agrees_with_float64_within_its_bound() -> None:
    """MLP(5, 1000, 2): 1,006,000 parameters.  The float32 solve's float64-certified bound covers
    its distance to the float64 solve (formerly 0.0556 +- 0.034 against 0.1103)."""
    spec = MLP(input_dim=5, width=1000, depth=2)
    xs = torch.randn(5, generator=torch.Generator().manual_seed(0), dtype=F64)
    ref = hessian_norm(spec.init(0), xs)
    low = hessian_norm(spec.init(0, dtype=torch.float32), xs.float())
    assert low.method == "lanczos (float64 residual)"
    assert abs(low.value - ref.value) <= low.error_bound + ref.error_bound
    assert low.error_bound <= 1e-4 * ref.value


def test_a_float32_hessian_that_cannot_be_certified_in_float64_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine too small for float64 products, a float32 Hessian is a NumericalError naming
    the precision that would certify it, not an uncertified number."""
    from wideproof.measures import _hessian

    monkeypatch.setattr(_hessian, "physical_memory", lambda: 1024)
    model = MLP(5, 30, 2).init(0, dtype=torch.float32)
    with pytest.raises(NumericalError, match="float64 products"):
        hessian_norm(model, x.float())
