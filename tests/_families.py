"""Small instances of every family, shared by the core tests."""

from __future__ import annotations

from wideproof.families import (
    MLP,
    Assembly,
    DAGNet,
    FamilySpec,
    LinearBottleneck,
    QuadraticModel,
    UVModel,
)

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
