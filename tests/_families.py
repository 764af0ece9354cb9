"""Small instances of every family, shared by the core tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wideproof.families import (
    MLP,
    Assembly,
    DAGNet,
    FamilySpec,
    LinearBottleneck,
    QuadraticModel,
    UVModel,
)

if TYPE_CHECKING:
    from torch import Tensor

    from wideproof.families import Model
    from wideproof.families.mlp import Tap

SMALL_SPECS: dict[str, FamilySpec] = {
    "mlp-tanh": MLP(input_dim=4, width=12, depth=2, activation="tanh"),
    "mlp-softplus-bias": MLP(input_dim=3, width=10, depth=2, activation="softplus", bias=True),
    "mlp-standard-gelu": MLP(
        input_dim=3, width=10, depth=1, activation="gelu", parameterization="standard"
    ),
    "mlp-sigmoid-out": MLP(
        input_dim=3, width=8, depth=1, activation="silu", output="sigmoid", output_shift=0.5
    ),
    "mlp-rsc": MLP(input_dim=3, width=9, depth=3, initialization="rsc", sigma1=0.5),
    "bottleneck": LinearBottleneck(input_dim=3, width=6, bottlenecks=2, bottleneck_width=2),
    "dag": DAGNet(input_dim=3, in_degree=4, depth=3, graph="random"),
    "dag-resnet": DAGNet(input_dim=3, in_degree=4, depth=3, graph="resnet"),
    "assembly": Assembly(input_dim=3, n_models=6, sub_width=3),
    "uv": UVModel(width=10, input_dim=2),
    "nqm": QuadraticModel(MLP(input_dim=3, width=6, depth=1).init(seed=5)),
}


def antisymmetric_rounding_bound(model: Model, x: Tensor) -> Tensor:
    """Per-input bound on |f~(w_0; x)| for an antisymmetric MLP, whose pre-output is 0 in exact
    arithmetic but not bitwise in floating point (the GEMM kernel, chosen per CPU, sums the
    cancelling halves in its own order).

    A dot product of n terms is off by at most gamma_n * sum_i |a_i b_i| with
    gamma_n ~ n u (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., eq. 3.5);
    the two hidden halves, equal in exact arithmetic, each carry such an error through every
    layer, so n is taken as the sum of all fan-ins and the bound doubled.
    """
    import torch

    spec = model.spec
    assert isinstance(spec, MLP) and spec.initialization == "antisymmetric"
    taps: list[Tap] = []
    with torch.no_grad():
        spec.forward(model.params, x, taps)
    h, scale = taps[-1].inputs, taps[-1].scale
    n = spec.input_dim + spec.depth * spec.width
    u = torch.finfo(x.dtype).eps / 2
    return 2 * n * u * scale * (h.abs() @ model.params["v"].abs().T).squeeze(-1)
