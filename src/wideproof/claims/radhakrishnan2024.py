r"""Claims of Radhakrishnan, Beaglehole, Pandit & Belkin, "Mechanism for feature learning in neural
networks and backpropagation-free machine learning models" (Science 383, 2024; arXiv:2212.13881).

``radhakrishnan2024.nfa`` -- the neural feature ansatz: after training, the first-layer feature
matrix :math:`W_1^\top W_1` of a network is proportional to a power of the AGOP of the trained
network over the training inputs, :math:`W_1^\top W_1 \propto G^{1/2}` (eq. (2); correlation
measured as the matrix cosine, as in the authors' ``deep_neural_feature_ansatz`` code).

A high cosine alone does not show that training produced the alignment: a tanh network that
merely memorizes scores 0.98 because its *initial* weights already score 0.955
(measured in a pilot run).  The claim therefore requires both a high
cosine and a margin over the same cosine computed with the initial weights :math:`W_1^{(0)}`.
Setting (§3): :math:`x\sim\mathcal N(0, I_{20})`, :math:`n = 2000`, :math:`f^*(x) = x_0x_1`, a
bias-free ReLU network :math:`20\to m\to m\to1` with PyTorch's default uniform initialization
scaled by 0.1, Adam (lr :math:`3\cdot10^{-3}`), minibatches of 128, MSE loss; the cosine settles
at 0.90-0.93 from epoch 20 on, against 0.42-0.48 for the initial weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..sweeps import Task
from ._checklist import ChecklistRule
from ._claim import Claim, Profile

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = ["CLAIMS", "NFA", "NFATraining", "nfa_run", "train_nfa_network"]

PAPER = (
    "Radhakrishnan, Beaglehole, Pandit & Belkin 2024, Mechanism for feature learning in neural "
    "networks and backpropagation-free machine learning models, Science 383, arXiv:2212.13881, "
    "eq. (2) (neural feature ansatz)"
)
INPUT_DIM = 20
COSINE_MIN = 0.85  # observed 0.86-0.94 with init x0.1 and Adam (§3)
MARGIN_MIN = 0.3  # over the initial-weights baseline (observed 0.38-0.51; tanh: 0.03)


def _init(shape: tuple[int, int], scale: float, gen: torch.Generator, dtype: torch.dtype) -> Tensor:
    """PyTorch's default ``nn.Linear`` init, uniform on :math:`\\pm1/\\sqrt{\\text{fan-in}}`,
    times ``scale``."""
    import torch

    bound = scale / math.sqrt(shape[1])
    return ((2 * torch.rand(shape, generator=gen, dtype=dtype) - 1) * bound).requires_grad_()


@dataclass(frozen=True)
class NFATraining:
    """A trained network of :func:`train_nfa_network`: its first-layer weights before and after
    training, the AGOP :math:`G` of the trained net over its training inputs (float64) and the
    train and relative test mean squared errors."""

    w1: Tensor
    w1_init: Tensor
    agop: Tensor
    train_mse: float
    test_relative_mse: float


def train_nfa_network(task: Task) -> NFATraining:
    """Train the network of the module docstring (width ``task.value``; ``task.args``:
    ``n``, ``epochs``, ``lr``, ``batch``, ``init_scale``, ``activation``) with seed ``task.seed``."""
    import torch

    from ..activations import get_activation
    from ..features import agop_from_jacobians

    width = int(task.value)
    args = task.args
    n, epochs, batch = int(args["n"]), int(args["epochs"]), int(args["batch"])
    if min(width, n, epochs, batch) < 1:
        raise ConfigError("width, n, epochs and batch must be positive")
    act = get_activation(str(args["activation"])).torch_fn
    dtype = task.torch_dtype
    gen = torch.Generator().manual_seed(task.seed)
    x = torch.randn(n, INPUT_DIM, generator=gen, dtype=dtype)
    x_test = torch.randn(n, INPUT_DIM, generator=gen, dtype=dtype)
    y, y_test = x[:, 0] * x[:, 1], x_test[:, 0] * x_test[:, 1]
    scale = float(args["init_scale"])
    w1 = _init((width, INPUT_DIM), scale, gen, dtype)
    w2 = _init((width, width), scale, gen, dtype)
    w3 = _init((1, width), scale, gen, dtype)
    w1_init = w1.detach().clone()

    def net(inp: Tensor) -> Tensor:
        out: Tensor = act(act(inp @ w1.T) @ w2.T) @ w3.T
        return out[:, 0]

    opt = torch.optim.Adam([w1, w2, w3], lr=float(args["lr"]))
    for _ in range(epochs):
        for idx in torch.split(torch.randperm(n, generator=gen), batch):
            opt.zero_grad()
            loss = ((net(x[idx]) - y[idx]) ** 2).mean()
            weight_grads = torch.autograd.grad(loss, [w1, w2, w3])
            for w, g in zip((w1, w2, w3), weight_grads, strict=True):
                w.grad = g
            opt.step()
    xg = x.clone().requires_grad_()
    (grads,) = torch.autograd.grad(net(xg).sum(), xg)  # row j: grad f(x_j) (rows independent)
    with torch.no_grad():
        test_mse = float(((net(x_test) - y_test) ** 2).mean())
        train_mse = float(((net(x) - y) ** 2).mean())
    return NFATraining(
        w1=w1.detach().to(torch.float64),
        w1_init=w1_init.to(torch.float64),
        agop=agop_from_jacobians(grads.detach().to(torch.float64)),
        train_mse=train_mse,
        test_relative_mse=test_mse / float(y_test.var()),
    )


def nfa_run(task: Task) -> dict[str, float]:
    """:func:`train_nfa_network`, then compare :math:`W_1^\\top W_1` with :math:`G^{1/2}` (cosine),
    before and after training."""
    from ..features import nfa_correlation

    run = train_nfa_network(task)
    cosine = nfa_correlation(run.w1, run.agop)
    baseline = nfa_correlation(run.w1_init, run.agop)
    return {
        "correlated": float(cosine >= COSINE_MIN),
        "margin_over_init": float(cosine - baseline >= MARGIN_MIN),
        "nfa_cosine": cosine,
        "init_cosine": baseline,
        "nfa_pearson": nfa_correlation(run.w1, run.agop, kind="pearson"),
        "train_mse": run.train_mse,
        "test_relative_mse": run.test_relative_mse,
    }


NFA = Claim(
    id="radhakrishnan2024.nfa",
    paper=PAPER,
    statement=(
        "After training, the first-layer feature matrix W1^T W1 of a ReLU network correlates "
        "with the square root of the AGOP of the trained network over its training inputs, and "
        "the correlation is produced by training (it clearly exceeds that of the initial weights)."
    ),
    knob="width",
    measure=nfa_run,
    measure_args={
        "n": 2000,
        "epochs": 30,
        "lr": 3e-3,
        "batch": 128,
        "init_scale": 0.1,
        "activation": "relu",
    },
    rule=ChecklistRule(
        (
            ("correlated", f"cos(W1^T W1, G^(1/2)) >= {COSINE_MIN}"),
            (
                "margin_over_init",
                f"cos(W1^T W1, G^(1/2)) - cos(W1(0)^T W1(0), G^(1/2)) >= {MARGIN_MIN}",
            ),
        )
    ),
    profiles={
        "quick": Profile(values=(256,), seeds=(0,)),
        "full": Profile(values=(256, 512), seeds=tuple(range(5))),
    },
)

CLAIMS = (NFA,)
