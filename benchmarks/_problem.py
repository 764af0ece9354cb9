"""The measured problem of issue 8 (anchors.md §4.2), built identically in every process.

``Linear(32,256)-Tanh-Linear(256,256)-Tanh-Linear(256,10)`` (76,810 parameters, PyTorch's default
initialization under ``torch.manual_seed(0)``), 512 inputs and targets drawn ``N(0, 1)`` in float32
after re-seeding with 0, and then cast, so the float32 and float64 runs solve the same problem
(float64 reference lambda_max = 0.6847215693).  The loss is
``MSELoss(reduction="mean")``, the mean over all ``n*k`` entries.

:class:`SequentialMLP` presents the same network to wideproof as a :class:`FamilySpec` (wideproof's
own :class:`~wideproof.families.MLP` has no output bias, so it cannot hold these 76,810 weights).
wideproof's ``loss="mean"`` is :math:`\\frac1n\\sum_i\\|r_i\\|^2`, i.e. ``k`` times ``MSELoss``; the
benchmarks divide its eigenvalues by ``k`` (an exact rescaling of the operator).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor, nn

SIZES = (32, 256, 256, 10)
N_SAMPLES = 512
SEED = 0


def torch_problem(
    dtype: torch.dtype, sizes: tuple[int, ...] = SIZES, n: int = N_SAMPLES
) -> tuple[nn.Sequential, Tensor, Tensor]:
    """The network, the inputs ``(n, d)`` and the targets ``(n, k)``."""
    torch.manual_seed(SEED)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    net = nn.Sequential(*layers)
    torch.manual_seed(SEED)  # the data are drawn from the same seed again (anchors.md §4.2)
    X = torch.randn(n, sizes[0])
    Y = torch.randn(n, sizes[-1])
    return net.to(dtype), X.to(dtype), Y.to(dtype)


def torch_loss(net: nn.Module, X: Tensor, Y: Tensor) -> Tensor:
    """``MSELoss(reduction="mean")`` of the network on the data."""
    return nn.functional.mse_loss(net(X), Y)


def wideproof_model(net: nn.Sequential):  # type: ignore[no-untyped-def]
    """The same network as a wideproof :class:`~wideproof.families.Model` (weights copied)."""
    from wideproof.families import Model

    linears = [m for m in net if isinstance(m, nn.Linear)]
    sizes = (linears[0].in_features, *(m.out_features for m in linears))
    params: dict[str, Tensor] = {}
    for i, lin in enumerate(linears, start=1):
        params[f"W{i}"] = lin.weight.detach().clone()
        params[f"b{i}"] = lin.bias.detach().clone()
    return Model(_spec_class()(sizes), params)


def _spec_class():  # type: ignore[no-untyped-def]
    from wideproof.families import FamilySpec

    @dataclass(frozen=True)
    class SequentialMLP(FamilySpec):
        """Affine layers with tanh between them and an affine output (PyTorch layout)."""

        sizes: tuple[int, ...]

        @property
        def input_dim(self) -> int:  # type: ignore[override]
            return self.sizes[0]

        @property
        def output_dim(self) -> int:  # type: ignore[override]
            return self.sizes[-1]

        def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
            h = x
            depth = len(self.sizes) - 1
            for i in range(1, depth + 1):
                h = torch.addmm(params[f"b{i}"], h, params[f"W{i}"].T)
                if i < depth:
                    h = torch.tanh(h)
            return h

    return SequentialMLP
