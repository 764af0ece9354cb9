# cnn_claims.py
"""A small CNN's loss-Hessian top eigenvalue against its width, as a claim of your own.

    wideproof verify --claims cnn_claims.py user.cnn-top-eigenvalue-width

No theorem gives this exponent for this network at these widths: the claim asserts the *measured*
law as a regression check (see docs/guide/your-architecture.md for the measurement: 0.75, 0.86 and
0.83 with seeds 0-2, 3-5 and 6-8; margin 0.2 around 0.8).
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wideproof.claims import Claim, ExponentRule, Profile
from wideproof.families import module_family
from wideproof.measures import hessian_eigs
from wideproof.sweeps import Task

WIDTHS = (8, 16, 32, 64)


def cnn(width: int) -> nn.Module:
    """Two stride-2 3x3 convolutions (He initialization), average pooling, a linear classifier."""
    net = nn.Sequential(
        nn.Conv2d(3, width, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, width, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(width, 10),
    )
    for layer in net:
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return net


CNN = module_family(cnn, (3, 32, 32))


def cifar_like(n: int = 16, dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor]:
    """``n`` synthetic CIFAR-shaped images (standard normal pixels) and labels in 0..9, seeded."""
    g = torch.Generator().manual_seed(0)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=torch.float64)
    return images.to(dtype), torch.randint(0, 10, (n,), generator=g)


def top_eigenvalue(task: Task) -> float:
    """The largest eigenvalue of the mean cross-entropy's Hessian at initialization."""
    model = task.model()
    images, labels = cifar_like(dtype=model.dtype)
    spectrum = hessian_eigs(
        model, images, 1, of="loss", targets=labels, loss=F.cross_entropy, which="largest", tol=1e-6
    )
    return spectrum.eigenvalues[-1]


CLAIM = Claim(
    id="user.cnn-top-eigenvalue-width",
    paper="none: the exponent measured on this grid (a regression check)",
    statement="the loss-Hessian top eigenvalue of the CNN grows like width^0.8 at widths 8-64",
    knob="width",
    family=CNN,
    measure=top_eigenvalue,
    rule=ExponentRule("value", predicted=0.8, margin=0.2),
    profiles={
        "quick": Profile(WIDTHS, tuple(range(6))),
        "full": Profile(WIDTHS, tuple(range(12))),
    },
)
