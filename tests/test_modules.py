"""Any ``nn.Module`` as a model: loss Hessian, GGN and Fisher of any loss, data loaders, families.

Every operator is checked against an independent dense reference: ``torch.autograd.functional
.hessian`` of the loss through ``torch.func.functional_call``, ``torch.func.jacrev`` of the
outputs, and per-sample gradients taken one sample at a time with ``torch.autograd.grad``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wideproof.families import Model, from_module
from wideproof.measures import hessian_eigs

CLASSES = 3


def small_cnn(channels: int = 3) -> nn.Module:
    """Conv -> BatchNorm (eval, non-trivial running statistics) -> tanh -> linear, float64."""
    net = nn.Sequential(
        nn.Conv2d(2, channels, 3),
        nn.BatchNorm2d(channels),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(channels * 16, CLASSES),
    ).double()
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.fixture
def data() -> tuple[nn.Module, Tensor, Tensor]:
    torch.manual_seed(0)
    net = small_cnn()
    X = torch.randn(9, 2, 6, 6, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (9,))
    return net, X, y


def flat_call(net: nn.Module, model: Model, X: Tensor):  # type: ignore[no-untyped-def]
    """``w -> net(X)`` on the flat trainable parameters (the reference's own function)."""

    def f(w: Tensor) -> Tensor:
        return torch.func.functional_call(net, model.unflatten(w), (X,))

    return f


def dense_loss_hessian(net: nn.Module, X: Tensor, y: Tensor, loss) -> Tensor:  # type: ignore[no-untyped-def]
    model = from_module(net, input_shape=tuple(X.shape[1:]))
    f = flat_call(net, model, X)
    return torch.autograd.functional.hessian(lambda w: loss(f(w), y), model.flat_params())


def test_cnn_loss_hessian_eigenvalues_within_bounds_of_dense(data) -> None:  # type: ignore[no-untyped-def]
    net, X, y = data
    spec = hessian_eigs(
        net, X, 2, of="loss", targets=y, loss=F.cross_entropy, method="lanczos", tol=1e-10
    )
    dense = torch.linalg.eigvalsh(dense_loss_hessian(net, X, y, F.cross_entropy))
    reference = torch.cat([dense[:2], dense[-2:]])
    scale = float(dense.abs().max())
    for value, bound, ref in zip(spec.eigenvalues, spec.error_bounds, reference, strict=True):
        assert abs(value - float(ref)) <= bound + 1e-12 * scale
    assert spec.method == "lanczos"
