"""Networks on directed acyclic graphs (Zhu, Liu, Belkin 2022, arXiv 2205.11786, §3-§4).

Every non-input neuron :math:`v` computes (Zhu, Liu & Belkin 2022, arXiv 2205.11786)

.. math::
    f_v = \\sigma\\Big(\\frac{1}{\\sqrt{|\\mathrm{in}(v)|}} \\sum_{u\\in\\mathrm{in}(v)} w_{(u,v)} f_u\\Big),

with :math:`w\\sim\\mathcal N(0,1)` and a linear output neuron.  The paper's *width* is the minimum
in-degree over all neurons except the inputs and the first layer (which reads the :math:`d`
inputs).  Layouts (``graph``; first hidden layer always fully connected to the inputs):

* ``"random"`` -- each neuron of layer :math:`l\\ge2` has exactly ``in_degree`` sources drawn
  uniformly without replacement from all neurons of layers :math:`1..l-1` (skip connections);
* ``"layered"`` -- sources drawn from the previous layer only;
* ``"densenet"`` -- each neuron reads every neuron of every earlier layer (layer size = in_degree);
* ``"resnet"`` -- each neuron reads the previous layer and, from layer 3 on, the layer two back
  (layer size = in_degree).

The output reads ``output_in_degree`` random hidden neurons (default ``in_degree``; ``"layered"``
and ``"resnet"`` read the last layer).  An ``output_in_degree`` of 2 is the counterexample whose
width stays 2, so it does not transition to linearity.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .._validate import one_of, positive_int
from ..activations import get_activation
from ..errors import ConfigError
from ._model import FamilySpec

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = ["DAG", "DAGNet"]

Layout = Literal["random", "layered", "densenet", "resnet"]


@dataclass(frozen=True)
class DAG:
    """The graph of a :class:`DAGNet`.

    ``sources[l]`` is an integer tensor of shape ``(layer_sizes[l], in-degree)`` indexing the
    concatenation of the hidden layers ``0..l-1`` (layer 0 is the first hidden layer, which reads
    the inputs and has no entry here: ``sources[0]`` is empty).  ``output_sources`` indexes all
    hidden neurons.
    """

    input_dim: int
    layer_sizes: tuple[int, ...]
    sources: tuple[Tensor, ...]
    output_sources: Tensor

    def in_degrees(self) -> list[int]:
        """In-degree of each hidden layer (inputs count for the first) and, last, the output's."""
        return (
            [self.input_dim]
            + [int(s.shape[1]) for s in self.sources[1:]]
            + [int(self.output_sources.shape[0])]
        )

    @property
    def min_in_degree(self) -> int:
        """The paper's width: the minimum in-degree beyond the first hidden layer."""
        return min(self.in_degrees()[1:])

    def edges(self) -> list[tuple[str, str]]:
        """Every edge as (source, target) with names ``x{j}``, ``h{layer}.{i}`` and ``out``."""
        names = [f"h{l + 1}.{i}" for l, n in enumerate(self.layer_sizes) for i in range(n)]
        out = [
            (f"x{j}", f"h1.{i}") for i in range(self.layer_sizes[0]) for j in range(self.input_dim)
        ]
        for l, src in enumerate(self.sources[1:], start=2):
            out += [(names[int(u)], f"h{l}.{i}") for i, row in enumerate(src) for u in row]
        out += [(names[int(u)], "out") for u in self.output_sources]
        return out


@dataclass(frozen=True)
class DAGNet(FamilySpec):
    """A feedforward network on a random DAG with minimum in-degree ``in_degree``.

    Args:
        input_dim: d.
        in_degree: k, the in-degree of every neuron beyond the first hidden layer.
        depth: the number of hidden layers (>= 2 for a non-trivial graph).
        activation: hidden activation; the output is linear.
        graph_seed: seed of the graph (independent of the weight seed of ``init``).
        layer_size: neurons per hidden layer (default ``2 * in_degree``; fixed to ``in_degree``
            for ``"densenet"`` and ``"resnet"``).
        graph: the layout, see the module docstring.
        output_in_degree: the output neuron's in-degree (default ``in_degree``).
    """

    input_dim: int
    in_degree: int
    depth: int = 3
    activation: str = "tanh"
    graph_seed: int = 0
    layer_size: int | None = None
    graph: Layout = "random"
    output_in_degree: int | None = None

    def __post_init__(self) -> None:
        positive_int("input_dim", self.input_dim)
        positive_int("in_degree", self.in_degree)
        positive_int("depth", self.depth)
        get_activation(self.activation)
        one_of("graph", self.graph, ("random", "layered", "densenet", "resnet"))
        if self.layer_size is not None:
            positive_int("layer_size", self.layer_size)
            if self.layer_size < self.in_degree and self.graph in ("random", "layered"):
                raise ConfigError(
                    f"layer_size={self.layer_size} is smaller than in_degree={self.in_degree}"
                )
        if self.output_in_degree is not None:
            positive_int("output_in_degree", self.output_in_degree)
            if self.output_in_degree > self.size * self.depth:
                raise ConfigError(
                    f"output_in_degree={self.output_in_degree} exceeds the {self.size * self.depth} hidden neurons"
                )
        if not isinstance(self.graph_seed, int) or self.graph_seed < 0:
            raise ConfigError(f"graph_seed={self.graph_seed!r} must be a non-negative int")

    @property
    def size(self) -> int:
        """Neurons per hidden layer."""
        if self.graph in ("densenet", "resnet"):
            return self.in_degree
        return self.layer_size if self.layer_size is not None else 2 * self.in_degree

    def dag(self) -> DAG:
        """The graph (deterministic in ``graph_seed``)."""
        return _build_dag(self)

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        import torch

        dag = self.dag()
        f64 = torch.float64
        params = {"W1": torch.randn(dag.layer_sizes[0], self.input_dim, generator=gen, dtype=f64)}
        for l, src in enumerate(dag.sources[1:], start=2):
            params[f"W{l}"] = torch.randn(*src.shape, generator=gen, dtype=f64)
        params["v"] = torch.randn(dag.output_sources.shape[0], generator=gen, dtype=f64)
        return params

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        import torch

        act = get_activation(self.activation)
        dag = self.dag()
        hidden = act(x @ params["W1"].T / math.sqrt(self.input_dim))
        for l, src in enumerate(dag.sources[1:], start=2):
            w = params[f"W{l}"]
            gathered = hidden[:, src.to(x.device)]  # (n, N_l, deg)
            h = act((gathered * w).sum(-1) / math.sqrt(src.shape[1]))
            hidden = torch.cat([hidden, h], dim=1)
        out_src = dag.output_sources.to(x.device)
        out = hidden[:, out_src] @ params["v"] / math.sqrt(out_src.shape[0])
        return out.unsqueeze(-1)


@functools.lru_cache(maxsize=256)
def _build_dag(spec: DAGNet) -> DAG:
    import torch

    gen = torch.Generator().manual_seed(spec.graph_seed)
    n, k = spec.size, spec.in_degree
    sizes = (n,) * spec.depth
    sources: list[Tensor] = [torch.empty(0, 0, dtype=torch.long)]
    for l in range(1, spec.depth):
        first_prev = (l - 1) * n  # offset of layer l-1 (0-based) in the concatenation
        if spec.graph == "random":
            rows = [torch.randperm(l * n, generator=gen)[:k] for _ in range(n)]
            src = torch.stack(rows)
        elif spec.graph == "layered":
            rows = [first_prev + torch.randperm(n, generator=gen)[:k] for _ in range(n)]
            src = torch.stack(rows)
        elif spec.graph == "densenet":
            src = torch.arange(l * n).expand(n, l * n).clone()
        else:  # resnet: previous layer plus the one two back
            prev = torch.arange(first_prev, first_prev + n)
            if l >= 2:
                prev = torch.cat([torch.arange(first_prev - n, first_prev), prev])
            src = prev.expand(n, prev.shape[0]).clone()
        sources.append(src)
    total = n * spec.depth
    if spec.output_in_degree is not None:
        out = torch.randperm(total, generator=gen)[: spec.output_in_degree]
    elif spec.graph in ("layered", "resnet"):
        out = torch.arange(total - n, total)
    else:
        out = torch.randperm(total, generator=gen)[: min(k, total)]
    return DAG(spec.input_dim, sizes, tuple(sources), out)
