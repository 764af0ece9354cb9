"""The measured problem of issue 8 (anchors.md §4.2), built identically in every process.

``Linear(32,256)-Tanh-Linear(256,256)-Tanh-Linear(256,10)`` (76,810 parameters, PyTorch's default
initialization under ``torch.manual_seed(0)``), 512 inputs and targets drawn ``N(0, 1)`` in float32
after re-seeding with 0, and then cast, so the float32 and float64 runs solve the same problem
(float64 reference lambda_max = 0.6847215693).  The loss is
``MSELoss(reduction="mean")``, the mean over all ``n*k`` entries.

:func:`wideproof_model` presents the same network to wideproof as its own
:class:`~wideproof.families.MLP` (standard parameterization with biases is exactly a stack of
``nn.Linear`` layers), so the library's MLP paths are the ones measured.  wideproof's
``loss="mean"`` is :math:`\\frac1n\\sum_i\\|r_i\\|^2`, i.e. ``k`` times ``MSELoss``; the
benchmarks divide its eigenvalues by ``k`` (an exact rescaling of the operator).
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn

from wideproof.families import MLP, Model

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


def wideproof_model(net: nn.Sequential) -> Model:
    """The same network as a wideproof ``MLP`` model (weights copied)."""

    linears = [m for m in net if isinstance(m, nn.Linear)]
    hidden = tuple(m.out_features for m in linears[:-1])
    spec = MLP(
        input_dim=linears[0].in_features,
        width=hidden,
        depth=len(hidden),
        activation="tanh",
        parameterization="standard",
        bias=True,
        output_dim=linears[-1].out_features,
    )
    params: dict[str, Tensor] = {}
    for i, lin in enumerate(linears[:-1], start=1):
        params[f"W{i}"] = lin.weight.detach().clone()
        params[f"b{i}"] = lin.bias.detach().clone()
    params["v"] = linears[-1].weight.detach().clone()
    params["c"] = linears[-1].bias.detach().clone()
    return Model(spec, params)
