"""Fully connected networks in NTK and standard parameterization (Liu, Zhu, Belkin 2020, §3).

NTK parameterization (Liu, Zhu & Belkin 2020, arXiv 2010.01092, §3), for hidden layers :math:`l = 1..L`:

.. math::
    \\alpha^{(0)} = x,\\quad \\alpha^{(l)} = \\sigma\\Big(\\tfrac{1}{\\sqrt{m_{l-1}}} W^{(l)}\\alpha^{(l-1)}\\Big),
    \\quad f(w; x) = \\phi\\Big(\\tfrac{1}{\\sqrt{m_L}} v^T \\alpha^{(L)} + c\\Big),

with :math:`W^{(l)}_{ij}, v_i \\sim \\mathcal N(0, \\sigma_0^2)`, a linear output (:math:`\\phi` the
identity) unless ``output`` names an activation, and ``output_shift`` :math:`c` (0 by default).
Standard parameterization draws :math:`\\mathcal N(0, \\sigma_0^2/m_{l-1})` and drops the explicit
factors.

Initializations (``initialization``):

* ``"gaussian"`` -- i.i.d. as above;
* ``"antisymmetric"`` -- the second half of every hidden layer copies the first half and the output
  weights of the second half are the negated first half, so the pre-output is 0 at
  initialization (exactly in exact arithmetic; in floating point up to the rounding of the
  cancelling halves, whose order the GEMM kernel chooses) (used to place the non-linear output
  at a chosen point via ``output_shift``);
* ``"rsc"`` -- Banerjee et al. 2023 (arXiv 2209.15106), Assumption 2:
  :math:`\\sigma_0 = \\sigma_1 / (2(1 + \\sqrt{\\log m / (2m)}))` for the hidden weights and a
  uniformly random unit output vector :math:`v_0`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, NamedTuple

from .._validate import one_of, positive_float, positive_int
from ..activations import get_activation
from ..errors import ConfigError
from ._model import FamilySpec

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = ["MLP", "Tap"]

Parameterization = Literal["ntk", "standard"]
Init = Literal["gaussian", "antisymmetric", "rsc"]


class Tap(NamedTuple):
    r"""One affine layer :math:`z = s\,W h + b` seen during a forward pass."""

    inputs: Tensor
    preactivation: Tensor
    scale: float
    bias: bool


@dataclass(frozen=True)
class MLP(FamilySpec):
    """A fully connected network with ``depth`` hidden layers.

    Args:
        input_dim: d.
        width: m, an int or a tuple of ``depth`` per-layer widths.
        depth: L, the number of hidden layers (>= 1).
        activation: hidden activation name (see :data:`wideproof.activations.ACTIVATIONS`).
        parameterization: ``"ntk"`` or ``"standard"``.
        output: ``"linear"`` or an activation name applied to the output.
        bias: add a bias (drawn N(0, sigma0^2), unscaled) to every layer, the output included
            (PyTorch's ``nn.Linear`` layout; with ``parameterization="standard"`` the network
            is exactly a stack of ``nn.Linear`` layers).
        sigma0: standard deviation of the weights (ignored by ``initialization="rsc"`` for hidden layers).
        output_dim: k outputs.
        initialization: ``"gaussian"``, ``"antisymmetric"`` or ``"rsc"`` (see the module docstring).
        sigma1: the RSC paper's sigma_1 (used by ``initialization="rsc"``).
        output_shift: c added to the pre-output before a non-linear output.
    """

    input_dim: int
    width: int | tuple[int, ...]
    depth: int = 1
    activation: str = "tanh"
    parameterization: Parameterization = "ntk"
    output: str = "linear"
    bias: bool = False
    sigma0: float = 1.0
    output_dim: int = 1
    initialization: Init = "gaussian"
    sigma1: float = 1.0
    output_shift: float = 0.0

    def __post_init__(self) -> None:
        positive_int("input_dim", self.input_dim)
        positive_int("depth", self.depth)
        positive_int("output_dim", self.output_dim)
        if isinstance(self.width, (tuple, list)):
            if len(self.width) != self.depth:
                raise ConfigError(
                    f"width={self.width!r} lists {len(self.width)} layers but depth={self.depth}"
                )
            object.__setattr__(self, "width", tuple(self.width))
            for w in self.width:
                positive_int("width", w)
        else:
            positive_int("width", self.width)
        get_activation(self.activation)
        if self.output != "linear":
            get_activation(self.output)
        one_of("parameterization", self.parameterization, ("ntk", "standard"))
        one_of("initialization", self.initialization, ("gaussian", "antisymmetric", "rsc"))
        positive_float("sigma0", self.sigma0)
        positive_float("sigma1", self.sigma1)
        if not math.isfinite(self.output_shift):
            raise ConfigError(f"output_shift={self.output_shift!r} must be finite")
        if self.initialization == "antisymmetric" and any(w % 2 for w in self.widths):
            raise ConfigError(
                f"width={self.width!r} must be even for initialization='antisymmetric'"
            )

    @property
    def widths(self) -> tuple[int, ...]:
        """Per-layer widths (m_1, ..., m_L)."""
        w = self.width
        return w if isinstance(w, tuple) else (w,) * self.depth

    def param_count(self) -> int:
        """Weights and biases of every layer plus the output layer."""
        fans = (self.input_dim, *self.widths)
        hidden = sum(i * o + (o if self.bias else 0) for i, o in pairwise(fans))
        return hidden + self.output_dim * (fans[-1] + (1 if self.bias else 0))

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        import torch

        fans = (self.input_dim, *self.widths)
        f64 = torch.float64
        params: dict[str, Tensor] = {}
        for l, (fan_in, fan_out) in enumerate(pairwise(fans), start=1):
            std = self._hidden_std(fan_in, fan_out)
            params[f"W{l}"] = torch.randn(fan_out, fan_in, generator=gen, dtype=f64) * std
            if self.bias:
                params[f"b{l}"] = torch.randn(fan_out, generator=gen, dtype=f64) * self.sigma0
        m = fans[-1]
        v = torch.randn(self.output_dim, m, generator=gen, dtype=f64)
        if self.initialization == "rsc":
            v = v / v.norm(dim=1, keepdim=True)
        else:
            v = v * self._std(m)
        params["v"] = v
        if self.bias:
            params["c"] = torch.randn(self.output_dim, generator=gen, dtype=f64) * self.sigma0
        if self.initialization == "antisymmetric":
            _make_antisymmetric(params, self.depth, self.bias)
        return params

    def _std(self, fan_in: int) -> float:
        return self.sigma0 if self.parameterization == "ntk" else self.sigma0 / math.sqrt(fan_in)

    def _hidden_std(self, fan_in: int, fan_out: int) -> float:
        if self.initialization == "rsc":
            m = fan_out
            sigma0 = (
                self.sigma1 / (2.0 * (1.0 + math.sqrt(math.log(m) / (2.0 * m))))
                if m > 1
                else self.sigma1 / 2.0
            )
            return sigma0 if self.parameterization == "ntk" else sigma0 / math.sqrt(fan_in)
        return self._std(fan_in)

    def forward(
        self, params: Mapping[str, Tensor], x: Tensor, taps: list[Tap] | None = None
    ) -> Tensor:
        r"""The network on a batch ``x``; with ``taps`` (a list), record every layer's
        :class:`Tap` and make the first pre-activation a graph leaf, so that
        :math:`\partial f/\partial z^{(l)}` of every layer comes from one backward pass."""
        act = get_activation(self.activation)
        ntk = self.parameterization == "ntk"
        h = x
        for l in range(1, self.depth + 1):
            w = params[f"W{l}"]
            scale = 1 / math.sqrt(w.shape[1]) if ntk else 1.0
            z = _affine(h, w, params.get(f"b{l}"), scale)
            if taps is not None:
                if not z.requires_grad:
                    z.requires_grad_(True)
                taps.append(Tap(h, z, scale, self.bias))
            h = act(z)
        v = params["v"]
        scale = 1 / math.sqrt(v.shape[1]) if ntk else 1.0
        out = _affine(h, v, params.get("c"), scale)
        if taps is not None:
            taps.append(Tap(h, out, scale, self.bias))
        if self.output != "linear":
            out = get_activation(self.output)(out + self.output_shift)
        elif self.output_shift:
            out = out + self.output_shift
        return out

    def param_blocks(self, params: Mapping[str, Tensor]) -> dict[str, tuple[str, ...]]:
        """One block per layer: ``layer1`` .. ``layerL`` and ``output``."""
        blocks = {
            f"layer{l}": tuple(n for n in (f"W{l}", f"b{l}") if n in params)
            for l in range(1, self.depth + 1)
        }
        blocks["output"] = ("v", "c") if "c" in params else ("v",)
        return blocks


def _affine(h: Tensor, w: Tensor, b: Tensor | None, scale: float) -> Tensor:
    """:math:`s\\,hW^T + b` as one fused kernel (no multiplication when :math:`s = 1`)."""
    import torch

    if b is not None:
        return torch.addmm(b, h, w.T, alpha=scale)
    z = h @ w.T
    return z if scale == 1.0 else z * scale


def _make_antisymmetric(params: dict[str, Tensor], depth: int, bias: bool) -> None:
    """Copy the first half of every hidden layer into the second half; negate the output half
    (and zero the output bias), so the pre-output is 0 up to rounding."""
    for l in range(1, depth + 1):
        # Equal rows see the same (already duplicated) inputs, so the two halves stay equal.
        w = params[f"W{l}"]
        half = w.shape[0] // 2
        w[half:] = w[:half]
        if bias:
            b = params[f"b{l}"]
            b[half:] = b[:half]
    v = params["v"]
    half = v.shape[1] // 2
    v[:, half:] = -v[:, :half]
    if bias:
        params["c"].zero_()
