"""Deep linear networks with linear bottlenecks (Zhu, Pandit, Belkin 2022, arXiv 2206.15058).

Zhu, Pandit & Belkin 2022 (arXiv 2206.15058): identity activations, NTK scaling,
:math:`h^{(l)} = W^{(l)} h^{(l-1)} / \\sqrt{m_{l-1}}`, :math:`W^{(l)}_{ij}\\sim\\mathcal N(0,1)`.
``bottlenecks`` :math:`= B-1` layers of fixed width ``bottleneck_width`` separate :math:`B` blocks;
each block maps its input through ``layers_per_block`` wide layers of width :math:`m` and then
projects to the next bottleneck (or to the scalar output for the last block).  With
``bottlenecks=0, layers_per_block=1`` this is the two-layer linear network
:math:`f = v^T W x / \\sqrt{m d}` whose Hessian norm is exactly :math:`\\|x\\|/\\sqrt{md}`.

The paper's statement: in :math:`B(w_0, R)` the network tends, as :math:`m\\to\\infty`, to a
function that is linear in each block separately -- a degree-:math:`B` multilinear function of the
weights, whatever the depth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from .._validate import positive_int
from ..errors import ConfigError
from ._model import FamilySpec

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = ["LinearBottleneck"]


@dataclass(frozen=True)
class LinearBottleneck(FamilySpec):
    """A deep linear NTK network with ``bottlenecks`` narrow layers.

    Args:
        input_dim: d.
        width: m, the width of every wide layer.
        bottlenecks: B - 1 >= 0, the number of narrow layers.
        bottleneck_width: k, the width of each narrow layer.
        layers_per_block: the number of wide layers in each block (>= 1).
    """

    input_dim: int
    width: int
    bottlenecks: int = 1
    bottleneck_width: int = 1
    layers_per_block: int = 1

    activation = "identity"

    def __post_init__(self) -> None:
        positive_int("input_dim", self.input_dim)
        positive_int("width", self.width)
        positive_int("bottleneck_width", self.bottleneck_width)
        positive_int("layers_per_block", self.layers_per_block)
        if (
            not isinstance(self.bottlenecks, int)
            or isinstance(self.bottlenecks, bool)
            or self.bottlenecks < 0
        ):
            raise ConfigError(f"bottlenecks={self.bottlenecks!r} must be a non-negative int")

    @property
    def blocks(self) -> int:
        """B, the number of blocks (multilinear degree predicted by the paper)."""
        return self.bottlenecks + 1

    def layer_sizes(self) -> list[list[int]]:
        """For each block, the sizes along it: [in, m, ..., m, out]."""
        sizes: list[list[int]] = []
        fan_in = self.input_dim
        for b in range(self.blocks):
            out = 1 if b == self.blocks - 1 else self.bottleneck_width
            sizes.append([fan_in, *([self.width] * self.layers_per_block), out])
            fan_in = out
        return sizes

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        import torch

        params: dict[str, Tensor] = {}
        l = 0
        for block in self.layer_sizes():
            for fan_in, fan_out in pairwise(block):
                l += 1
                params[f"W{l}"] = torch.randn(fan_out, fan_in, generator=gen, dtype=torch.float64)
        return params

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        h = x
        for w in params.values():
            h = h @ w.T / math.sqrt(w.shape[1])
        return h

    def param_blocks(self, params: Mapping[str, Tensor]) -> dict[str, tuple[str, ...]]:
        """``block1`` .. ``blockB``: the weight matrices between consecutive bottlenecks."""
        per = self.layers_per_block + 1
        names = list(params)
        return {f"block{b + 1}": tuple(names[b * per : (b + 1) * per]) for b in range(self.blocks)}
