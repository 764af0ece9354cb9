"""Hypothesis strategies for the model families, small enough for property tests.

Every strategy draws a validated spec; sizes are capped so a dense Hessian stays cheap
(a few hundred parameters at the defaults).  Draw the weight seed separately
(``st.integers(0, 2**31 - 1)``) and call ``spec.init(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from ..families import MLP, Assembly, DAGNet, LinearBottleneck

__all__ = ["SMOOTH_ACTIVATIONS", "assemblies", "bottleneck_nets", "dag_nets", "mlps"]

SMOOTH_ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "softplus", "gelu", "silu")
"""C^2 activations with bounded second derivative: the hypothesis of the linearity theorems."""


def mlps(
    *,
    max_input_dim: int = 4,
    min_width: int = 1,
    max_width: int = 32,
    max_depth: int = 3,
    activations: Sequence[str] = SMOOTH_ACTIVATIONS,
    parameterizations: Sequence[str] = ("ntk", "standard"),
    bias: bool | None = None,
) -> st.SearchStrategy[MLP]:
    """Fully connected networks (:class:`~wideproof.families.MLP`) with a linear output."""
    return st.builds(
        MLP,
        input_dim=st.integers(1, max_input_dim),
        width=st.integers(min_width, max_width),
        depth=st.integers(1, max_depth),
        activation=st.sampled_from(tuple(activations)),
        parameterization=st.sampled_from(tuple(parameterizations)),
        bias=st.booleans() if bias is None else st.just(bias),
    )


def bottleneck_nets(
    *,
    max_input_dim: int = 4,
    max_width: int = 16,
    max_bottlenecks: int = 3,
    max_bottleneck_width: int = 3,
    max_layers_per_block: int = 2,
) -> st.SearchStrategy[LinearBottleneck]:
    """Deep linear networks with narrow layers (:class:`~wideproof.families.LinearBottleneck`)."""
    return st.builds(
        LinearBottleneck,
        input_dim=st.integers(1, max_input_dim),
        width=st.integers(1, max_width),
        bottlenecks=st.integers(0, max_bottlenecks),
        bottleneck_width=st.integers(1, max_bottleneck_width),
        layers_per_block=st.integers(1, max_layers_per_block),
    )


def dag_nets(
    *,
    max_input_dim: int = 4,
    max_in_degree: int = 6,
    max_depth: int = 3,
    activations: Sequence[str] = SMOOTH_ACTIVATIONS,
    graphs: Sequence[str] = ("random", "layered", "densenet", "resnet"),
) -> st.SearchStrategy[DAGNet]:
    """Networks on random DAGs of bounded in-degree (:class:`~wideproof.families.DAGNet`)."""
    return st.builds(
        DAGNet,
        input_dim=st.integers(1, max_input_dim),
        in_degree=st.integers(1, max_in_degree),
        depth=st.integers(1, max_depth),
        activation=st.sampled_from(tuple(activations)),
        graph_seed=st.integers(0, 2**16),
        graph=st.sampled_from(tuple(graphs)),
    )


def assemblies(
    *,
    max_input_dim: int = 4,
    max_models: int = 16,
    max_sub_width: int = 4,
    activations: Sequence[str] = SMOOTH_ACTIVATIONS,
) -> st.SearchStrategy[Assembly]:
    """Assemblies of small sub-models (:class:`~wideproof.families.Assembly`)."""
    return st.builds(
        Assembly,
        input_dim=st.integers(1, max_input_dim),
        n_models=st.integers(1, max_models),
        sub_width=st.integers(1, max_sub_width),
        activation=st.sampled_from(tuple(activations)),
        scaling=st.sampled_from(("ntk", "mean-field")),
    )
