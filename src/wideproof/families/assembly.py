"""Assembly models of weak sub-models (Liu, Zhu, Belkin 2022, arXiv 2203.05104, §3).

.. math::
    f(\\theta; x) = \\frac{1}{s(m)} \\sum_{i=1}^m v_i\\, g_i(\\theta_i; x),\\qquad
    g_i = \\frac{1}{\\sqrt h} \\sum_{j=1}^h a_{ij}\\, \\sigma(w_{ij}^T x / \\sqrt d),

with disjoint sub-model parameters :math:`\\theta_i = (w_i \\in \\mathbb R^{h\\times d}, a_i\\in\\mathbb R^h)`,
all :math:`\\mathcal N(0,1)`, and :math:`s(m) = \\sqrt m` (``"ntk"``) or :math:`m` (``"mean-field"``).
With ``dominance`` :math:`c > 0` the first coefficient is set to :math:`v_1 = c\\,s(m)`, so one
sub-model dominates the assembly (then nothing decays; Liu, Zhu & Belkin 2022, arXiv 2203.05104, §3).  Because the
parameters are disjoint, :math:`H_f` is block diagonal over sub-models:
:math:`\\|H_f\\| \\le s(m)^{-1}\\max_i(|v_i|\\|H_{g_i}\\| + \\|\\nabla g_i\\|)`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .._validate import one_of, positive_float, positive_int
from ..activations import get_activation
from ._model import FamilySpec

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = ["Assembly"]

Scaling = Literal["ntk", "mean-field"]


@dataclass(frozen=True)
class Assembly(FamilySpec):
    """An assembly of ``n_models`` one-hidden-layer sub-models of width ``sub_width``.

    Args:
        input_dim: d.
        n_models: m, the number of sub-models.
        sub_width: h, hidden units per sub-model.
        activation: the sub-models' activation.
        scaling: ``"ntk"`` (s = sqrt(m)) or ``"mean-field"`` (s = m).
        dominance: c >= 0; when positive, v_1 = c * s(m).
    """

    input_dim: int
    n_models: int
    sub_width: int = 4
    activation: str = "tanh"
    scaling: Scaling = "ntk"
    dominance: float = 0.0

    def __post_init__(self) -> None:
        positive_int("input_dim", self.input_dim)
        positive_int("n_models", self.n_models)
        positive_int("sub_width", self.sub_width)
        get_activation(self.activation)
        one_of("scaling", self.scaling, ("ntk", "mean-field"))
        positive_float("dominance", self.dominance, allow_zero=True)

    @property
    def scale(self) -> float:
        """s(m)."""
        m = self.n_models
        return math.sqrt(m) if self.scaling == "ntk" else float(m)

    def _v(self, gen: torch.Generator) -> Tensor:
        import torch

        v = torch.randn(self.n_models, generator=gen, dtype=torch.float64)
        if self.dominance > 0:
            v[0] = self.dominance * self.scale
        return v

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        import torch

        m, h, d = self.n_models, self.sub_width, self.input_dim
        f64 = torch.float64
        w = torch.randn(m, h, d, generator=gen, dtype=f64)
        a = torch.randn(m, h, generator=gen, dtype=f64)
        return {"w": w, "a": a, "v": self._v(gen)}

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        import torch

        act = get_activation(self.activation)
        w, a = params["w"], params["a"]
        v = params["v"]
        z = torch.einsum("mhd,nd->nmh", w, x) / math.sqrt(self.input_dim)
        g = (act(z) * a).sum(-1) / math.sqrt(self.sub_width)  # (n, m)
        return (g @ v / self.scale).unsqueeze(-1)

    def param_blocks(self, params: Mapping[str, Tensor]) -> dict[str, tuple[str, ...]]:
        return {"submodels": ("w", "a"), "coefficients": ("v",)}
