"""Invariants of the loss operators of an ``nn.Module``, whatever batches hypothesis draws.

* Splitting the data into batches changes nothing: the loss Hessian, the generalized Gauss-Newton
  matrix and the empirical Fisher of an iterable of batches (any sizes, any order) act as those of
  the full batch, for a mean-reduced and for a summed loss (the weights :math:`n_b/N` and 1 of
  ``wideproof/linalg/_data.py``).
* For a model linear in its parameters (one ``nn.Linear``) the loss Hessian *is* the generalized
  Gauss-Newton matrix: :math:`H_{\\mathcal L} = J^TH_\\ell J + \\sum_i (\\partial\\ell/\\partial f_i)
  \\nabla^2_w f_i` and the second term vanishes (Schraudolph 2002, eq. (8)).

Tolerances: these are identities, so the only error is float64 rounding on models of a few dozen
parameters: 1e-11 relative to the largest entry of the product (observed <= 1e-14).
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from wideproof.families import from_module
from wideproof.linalg import curvature_operator, resolve_loss

REL = 1e-11
EXAMPLES = max(4, settings.default.max_examples // 6)
N, D, K = 9, 3, 3


def _data(seed: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(N, D, dtype=torch.float64, generator=gen)
    return X, torch.randint(0, K, (N,), generator=gen)


def _summed(outputs: Tensor, targets: Tensor) -> Tensor:
    return F.cross_entropy(outputs, targets, reduction="sum")


def _close(a: Tensor, b: Tensor) -> bool:
    return float((a - b).abs().max()) <= REL * max(float(b.abs().max()), 1e-300)


@settings(max_examples=EXAMPLES)
@given(
    seed=st.integers(0, 2**31 - 1),
    cuts=st.lists(st.integers(1, N - 1), max_size=4, unique=True),
    reverse=st.booleans(),
    of=st.sampled_from(["loss", "ggn", "fisher"]),
    reduction=st.sampled_from(["mean", "sum"]),
)
def test_batches_act_as_the_full_batch(
    seed: int, cuts: list[int], reverse: bool, of: str, reduction: str
) -> None:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(D, 5), nn.Tanh(), nn.Linear(5, K)).double()
    model = from_module(net)
    X, y = _data(seed)
    edges = [0, *sorted(cuts), N]
    batches = [(X[a:b], y[a:b]) for a, b in pairwise(edges)]
    loss = resolve_loss(F.cross_entropy if reduction == "mean" else _summed, reduction)
    # `of` is a parametrized str, not the Literal the signature names
    full = curvature_operator(model, X, y, of, loss)  # type: ignore[arg-type]
    split = curvature_operator(model, batches[::-1] if reverse else batches, None, of, loss)  # type: ignore[arg-type]
    v = torch.randn(
        model.num_params, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)
    )
    assert _close(split.matvec(v), full.matvec(v))


@settings(max_examples=EXAMPLES)
@given(seed=st.integers(0, 2**31 - 1))
def test_loss_hessian_of_a_linear_model_is_its_ggn(seed: int) -> None:
    torch.manual_seed(seed)
    model = from_module(nn.Linear(D, K).double())
    X, y = _data(seed)
    loss = resolve_loss(F.cross_entropy)
    v = torch.randn(
        model.num_params, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)
    )
    hessian = curvature_operator(model, X, y, "loss", loss).matvec(v)
    assert _close(curvature_operator(model, X, y, "ggn", loss).matvec(v), hessian)
