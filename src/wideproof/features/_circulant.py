r"""Circulant structure of learned feature matrices (Mallinar et al. 2025, §5, Obs. 1, App. J).

Circulant deviation of a square block :math:`A\in\mathbb R^{p\times p}` (§5.4):

.. math:: \mathcal D(A) = \frac{1}{\|A\|_F^2}\sum_{k=0}^{p-1}\sum_{\ell=0}^{p-1}
          \big(S_{\ell k} - \tfrac1p\textstyle\sum_{\ell'}S_{\ell' k}\big)^2,

the summed (not averaged) variance of each column of the shifted matrix :math:`S`, normalized by
:math:`\|A\|_F^2` (the prose of §5.4; the transcription prints :math:`\|A\|_F`).  Two
orientations:

* ``shift="right"`` — :math:`S_{\ell k} = A_{\ell,(k-\ell)\bmod p}`, row :math:`\ell` shifted
  right by :math:`\ell` as printed in the paper: column :math:`k` collects an anti-diagonal, so
  :math:`\mathcal D = 0` iff :math:`A` is Hankel (entries depend on :math:`\ell+m`) — the pattern
  RFM learns for subtraction;
* ``shift="left"`` — :math:`S_{\ell k} = A_{\ell,(k+\ell)\bmod p}`: column :math:`k` collects a
  wrapped diagonal, :math:`\mathcal D = 0` iff :math:`A` is circulant (entries depend on
  :math:`m-\ell`) — the pattern for addition.

For multiplication and division the blocks become circulant after ordering the nonzero residues
by their discrete logarithm (§5.3, Lemma J.1): :func:`discrete_log_reorder`.  Which orientation
vanishes follows the additive case: two training pairs with the same label couple coordinates
``a`` and ``b'`` with :math:`a - b' = a' - b` for addition (circulant) and :math:`a + b' = a' + b`
for subtraction (Hankel); in log order, multiplication behaves like addition and division like
subtraction (measured: RFM, p = 23, fraction 0.8, seed 0 — ``shift="left"`` 0.001 for mul,
``shift="right"`` 0.002 for div, the other orientation >= 0.95).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from ..errors import ConfigError, NumericalError
from ._checks import positive_int
from ._tasks import is_prime

__all__ = [
    "Shift",
    "circulant_deviation",
    "discrete_log_order",
    "discrete_log_reorder",
    "primitive_root",
]

Shift = Literal["left", "right"]


def circulant_deviation(block: Tensor, *, shift: Shift) -> float:
    r""":math:`\mathcal D(A)` of a square ``block`` (module docstring); for the RFM feature
    matrix of modular arithmetic pass the bottom-left block ``M[p:2p, :p]``.  Zero for a circulant
    block (``shift="left"``) or a Hankel block (``shift="right"``); scale-invariant, in
    :math:`[0, 1]`.  :class:`NumericalError` for the zero block (undefined)."""
    if not isinstance(block, Tensor) or block.dim() != 2 or block.shape[0] != block.shape[1]:
        raise ConfigError("block must be a square tensor")
    if shift not in ("left", "right"):
        raise ConfigError(f"shift={shift!r} must be 'left' (circulant) or 'right' (Hankel)")
    p = block.shape[0]
    rows = torch.arange(p, device=block.device)[:, None]
    cols = torch.arange(p, device=block.device)[None, :]
    sign = 1 if shift == "left" else -1
    shifted = torch.gather(block, 1, (cols + sign * rows) % p)
    norm2 = float((block * block).sum())
    if norm2 == 0.0:
        raise NumericalError("circulant deviation of a zero block is undefined")
    centred = shifted - shifted.mean(0, keepdim=True)
    return float((centred * centred).sum()) / norm2


def primitive_root(p: int) -> int:
    r"""The smallest generator of the multiplicative group :math:`\mathbb Z_p^*` (2 for
    ``p = 59, 61``, 5 for ``p = 97``)."""
    positive_int("p", p)
    if not is_prime(p):
        raise ConfigError(f"p={p} must be prime")
    if p == 2:
        return 1
    factors = [q for q in range(2, p) if (p - 1) % q == 0 and is_prime(q)]
    for g in range(2, p):
        if all(pow(g, (p - 1) // q, p) != 1 for q in factors):
            return g
    raise AssertionError("unreachable: every prime has a primitive root")


def discrete_log_order(p: int, generator: int | None = None) -> Tensor:
    r"""Residues in the order :math:`0, g^0, g^1, \dots, g^{p-2}` (long tensor of length ``p``);
    position :math:`1 + k` holds the residue with discrete logarithm :math:`k`.  ``generator``
    defaults to :func:`primitive_root`; a non-generator raises :class:`ConfigError`."""
    g = primitive_root(p) if generator is None else generator
    powers = [pow(g, k, p) for k in range(p - 1)]
    if sorted(powers) != list(range(1, p)):
        raise ConfigError(f"generator={generator!r} does not generate Z_{p}^*")
    return torch.tensor([0, *powers])


def discrete_log_reorder(matrix: Tensor, p: int, generator: int | None = None) -> Tensor:
    r""":math:`E^\top ME`: rows and columns of every ``p x p`` block of a ``(kp, kp)`` matrix put
    in discrete-log order (:func:`discrete_log_order`), as the rfm-grokking code's ``reorder``.
    After it, the ``(p-1) x (p-1)`` sub-block of the nonzero residues of a bottom-left block
    learned for multiplication is circulant (``shift="left"``), for division Hankel
    (``shift="right"``)."""
    order = discrete_log_order(p, generator)
    if not isinstance(matrix, Tensor) or matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError("matrix must be a square tensor")
    if matrix.shape[0] % p != 0:
        raise ConfigError(f"matrix size {matrix.shape[0]} is not a multiple of p={p}")
    blocks = matrix.shape[0] // p
    perm = torch.cat([order + b * p for b in range(blocks)]).to(matrix.device)
    return matrix[perm][:, perm]
