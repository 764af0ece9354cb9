"""The eigensolvers never return a silent wrong number.

For random small models (MLPs over activations, depths, widths, parameterizations and biases;
deep linear networks with bottlenecks, whose Hessians have multiple and zero eigenvalues; networks
on random DAGs), float64 and
float32 weights, the output or the loss Hessian, ``k`` from 1 to 8 at the ends asked for, and
every method: each eigenvalue ``hessian_eigs`` returns lies within its own error bound of the
eigenvalue at the same position of the dense float64 Hessian (``torch.func.hessian`` then
``torch.linalg.eigvalsh``, independent of the solvers), so the ``k`` extreme eigenvalues are all
present and none is repeated; ``hessian_norm`` (also by power iteration) lies within its bound of
:math:`\\max|\\lambda|`.

Tolerance: the bounds themselves, plus the reference's own rounding
:math:`10\\,n\\,\\varepsilon_{64}\\max|\\lambda|` (eigvalsh is backward stable).  No other slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from wideproof.errors import NumericalError
from wideproof.families import MLP, FamilySpec, Model
from wideproof.linalg import _lanczos
from wideproof.measures import hessian_eigs, hessian_norm
from wideproof.testing import bottleneck_nets, dag_nets, mlps

F64 = torch.float64
EPS64 = float(torch.finfo(F64).eps)
Which = Literal["both", "largest", "smallest"]

MORE = settings(max_examples=4 * settings.default.max_examples, deadline=None)


def _data(model: Model, seed: int, of: str, batch: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    gen = torch.Generator().manual_seed(seed)
    d = model.spec.input_dim
    if of == "output":
        return torch.randn(d, generator=gen, dtype=F64), None
    return torch.randn(batch, d, generator=gen, dtype=F64), torch.randn(
        batch, generator=gen, dtype=F64
    )


def _dense_eigenvalues(model: Model, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    exact = model.with_params({k: v.to(F64) for k, v in model.params.items()})

    def fn(w: torch.Tensor) -> torch.Tensor:
        out = exact.apply_flat(w, x)
        return out.reshape(()) if y is None else ((out - y) ** 2).mean()

    h: torch.Tensor = torch.func.hessian(fn)(exact.flat_params().detach())
    values: torch.Tensor = torch.linalg.eigvalsh(0.5 * (h + h.T))
    return values


@dataclass(frozen=True)
class Case:
    """One drawn configuration."""

    spec: FamilySpec
    seed: int
    dtype: torch.dtype
    of: str
    batch: int
    k: int
    which: Which
    method: str


def check_case(case: Case) -> None:
    """The property for one drawn case (also called directly by the tests below)."""
    spec, seed, dtype, of, batch, k, which, method = (
        case.spec,
        case.seed,
        case.dtype,
        case.of,
        case.batch,
        case.k,
        case.which,
        case.method,
    )
    model = spec.init(seed, dtype=dtype)
    x, y = _data(model, seed, of, batch)
    x, y = x.to(dtype), None if y is None else y.to(dtype)  # the data the model sees
    truth = _dense_eigenvalues(model, x.to(F64), None if y is None else y.to(F64)).tolist()
    n = len(truth)
    ref_err = 10 * n * EPS64 * max(abs(truth[0]), abs(truth[-1]))
    args = {"of": of, "targets": y, "method": method, "seed": seed}
    if method == "power":
        try:
            est = hessian_norm(model, x, **args)  # type: ignore[arg-type]
        except NumericalError:  # power iteration stalls only when |lambda_min| ~ |lambda_max|
            lo, hi = abs(truth[0]), abs(truth[-1])
            assert min(lo, hi) >= 0.99 * max(lo, hi)
            return
        assert abs(est.value - max(abs(truth[0]), abs(truth[-1]))) <= est.error_bound + ref_err
        return
    k = min(k, n)
    spectrum = hessian_eigs(model, x, k, which=which, **args)  # type: ignore[arg-type]
    low = range(k) if which in ("both", "smallest") else range(0)
    high = range(n - k, n) if which in ("both", "largest") else range(0)
    positions = sorted(set(low) | set(high))
    assert len(spectrum.eigenvalues) == len(positions)
    assert list(spectrum.eigenvalues) == sorted(spectrum.eigenvalues)
    for value, bound, i in zip(spectrum.eigenvalues, spectrum.error_bounds, positions, strict=True):
        assert abs(value - truth[i]) <= bound + ref_err, (i, value, truth[i], bound)


CASES = st.builds(
    Case,
    spec=st.one_of(
        mlps(max_width=12, max_depth=3, activations=("tanh", "softplus", "gelu", "relu")),
        bottleneck_nets(max_width=8),
        dag_nets(max_in_degree=4),
    ),
    seed=st.integers(0, 2**31 - 1),
    dtype=st.sampled_from([F64, torch.float32]),
    of=st.sampled_from(["output", "loss"]),
    batch=st.integers(1, 6),
    k=st.integers(1, 8),
    which=st.sampled_from(["both", "largest", "smallest"]),
    method=st.sampled_from(["auto", "lanczos", "power", "dense"]),
)


@MORE
@given(case=CASES)
def test_returned_eigenvalues_lie_within_their_bounds_at_their_positions(case: Case) -> None:
    check_case(case)


GHOSTLY = MLP(input_dim=5, width=16, depth=2, activation="tanh")
"""352 parameters: Lanczos without reorthogonalization returns ghost copies of converged
eigenvalues for k = 4 at both ends (block runs; single-vector runs already for k = 3)."""


def test_the_property_fails_without_reorthogonalization(monkeypatch: pytest.MonkeyPatch) -> None:
    """With reorthogonalization forced off, the certificate refuses the ghost copies
    (NumericalError) -- the property above would fail; with it on, the same case passes."""
    case = Case(GHOSTLY, 0, F64, "output", 1, 4, "both", "lanczos")
    check_case(case)
    monkeypatch.setattr(_lanczos, "_REORTHOGONALIZE", False)
    with pytest.raises(NumericalError, match="found twice"):
        check_case(case)


def test_a_double_eigenvalue_is_found_twice() -> None:
    """Exact multiplicity: a network whose two hidden halves are identical (weights copied) has
    repeated Hessian eigenvalues; single-vector Lanczos sees one copy, the block run (two start
    vectors) sees both."""
    base = MLP(input_dim=3, width=8, depth=1, activation="tanh").init(0)
    w, v = base.params["W1"], base.params["v"]
    twin = base.with_params(
        {"W1": torch.cat([w[:4], w[:4]]), "v": torch.cat([v[:, :4], v[:, :4]], 1)}
    )
    x = torch.randn(3, generator=torch.Generator().manual_seed(1), dtype=F64)
    truth = _dense_eigenvalues(twin, x, None)
    top = truth[-4:].tolist()
    assert abs(top[-1] - top[-2]) <= 1e-12 * abs(top[-1])  # the premise: a double eigenvalue
    spectrum = hessian_eigs(twin, x, 4, which="largest", method="lanczos")
    for value, bound, t in zip(spectrum.eigenvalues, spectrum.error_bounds, top, strict=True):
        assert abs(value - t) <= bound + 1e-14
