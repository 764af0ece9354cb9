"""Task generators with explicit seeds: modular arithmetic, multi-index models, sparse
polynomials on the hypercube.

Every random draw uses a CPU ``torch.Generator`` seeded by the caller and is moved to the
requested device afterwards, so a seed gives the same numbers on every device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import torch
from torch import Tensor

from ..errors import ConfigError
from ._checks import finite_float, nonneg_int, positive_int

__all__ = [
    "InputLaw",
    "ModularDataset",
    "ModularOp",
    "MultiIndexTask",
    "SparsePolynomial",
    "Task",
    "hermite",
    "is_prime",
    "modular_arithmetic",
    "random_orthonormal_rows",
    "sample_inputs",
    "sparse_polynomial",
]

ModularOp = Literal["add", "sub", "mul", "div"]
InputLaw = Literal["gaussian", "hypercube"]


def is_prime(p: int) -> bool:
    """Trial division (``p`` is small here)."""
    if p < 2:
        return False
    k = 2
    while k * k <= p:
        if p % k == 0:
            return False
        k += 1
    return True


# -- modular arithmetic ------------------------------------------------------------------------
@dataclass(frozen=True)
class ModularDataset:
    r"""All pairs of a modular operation with a seeded train/test split
    (Mallinar et al. 2025, §2: inputs :math:`e_a\oplus e_b\in\mathbb R^{2p}`, targets
    :math:`e_{g(a,b)}\in\mathbb R^p`).

    Attributes:
        p, op, train_fraction, seed: the arguments.
        operands: ``(N, 2)`` long, all pairs ``(a, b)`` in ``a``-major order (``b != 0`` for
            ``div``, so ``N = p(p-1)``; otherwise ``N = p^2``).
        labels: ``(N,)`` long, :math:`g(a,b) \bmod p`.
        train_index, test_index: disjoint index tensors into the pairs; the first
            ``int(train_fraction * N)`` entries of ``torch.randperm(N)`` seeded by ``seed`` are the
            training pairs.
        inputs: ``(N, 2p)`` one-hot encodings; targets: ``(N, p)`` one-hot labels.
    """

    p: int
    op: ModularOp
    train_fraction: float
    seed: int
    operands: Tensor
    labels: Tensor
    inputs: Tensor
    targets: Tensor
    train_index: Tensor
    test_index: Tensor

    @property
    def x_train(self) -> Tensor:
        return self.inputs[self.train_index]

    @property
    def y_train(self) -> Tensor:
        return self.targets[self.train_index]

    @property
    def x_test(self) -> Tensor:
        return self.inputs[self.test_index]

    @property
    def y_test(self) -> Tensor:
        return self.targets[self.test_index]


def modular_arithmetic(
    p: int,
    op: ModularOp,
    *,
    train_fraction: float,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> ModularDataset:
    r"""The task :math:`(a, b) \mapsto g(a,b) \bmod p` with ``op`` in ``add`` (:math:`a+b`),
    ``sub`` (:math:`a-b`), ``mul`` (:math:`ab`), ``div`` (:math:`ab^{-1}`, :math:`b \neq 0`);
    ``p`` must be prime (the paper's setting; division needs a field), ``train_fraction`` in
    ``(0, 1]`` with at least one training pair.  ``train_fraction = 1`` leaves the test set
    empty (Theorem 5.1 uses all pairs)."""
    positive_int("p", p)
    if not is_prime(p):
        raise ConfigError(f"p={p} must be prime")
    if op not in ("add", "sub", "mul", "div"):
        raise ConfigError(f"op={op!r} must be 'add', 'sub', 'mul' or 'div'")
    frac = finite_float("train_fraction", train_fraction, low=0.0, low_open=True)
    if frac > 1.0:
        raise ConfigError(f"train_fraction={train_fraction!r} must lie in (0, 1]")
    nonneg_int("seed", seed)
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    if op == "div":
        keep = b != 0
        a, b = a[keep], b[keep]
        inverse = torch.tensor([0] + [pow(k, p - 2, p) for k in range(1, p)])
        labels = (a * inverse[b]) % p
    else:
        labels = {"add": a + b, "sub": a - b, "mul": a * b}[op] % p
    n_pairs = a.numel()
    n_train = int(frac * n_pairs)
    if n_train < 1:
        raise ConfigError(f"train_fraction={train_fraction!r} gives no training pair (N={n_pairs})")
    perm = torch.randperm(n_pairs, generator=torch.Generator().manual_seed(seed))
    eye = torch.eye(p, dtype=dtype)
    inputs = torch.cat([eye[a], eye[b]], dim=1)
    return ModularDataset(
        p=p,
        op=op,
        train_fraction=frac,
        seed=seed,
        operands=torch.stack([a, b], dim=1).to(device),
        labels=labels.to(device),
        inputs=inputs.to(device),
        targets=eye[labels].to(device),
        train_index=perm[:n_train].to(device),
        test_index=perm[n_train:].to(device),
    )


# -- continuous and hypercube tasks ------------------------------------------------------------
class Task(Protocol):
    """A regression task that draws fresh samples: ``sample(n, generator) -> (x, y)`` with ``x``
    of shape ``(n, input_dim)`` and ``y`` of shape ``(n,)``, float64 on the CPU."""

    @property
    def input_dim(self) -> int: ...

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]: ...


def sample_inputs(n: int, d: int, law: InputLaw, generator: torch.Generator) -> Tensor:
    r"""``n`` points of :math:`\mathcal N(0, I_d)` (``"gaussian"``) or uniform on
    :math:`\{\pm1\}^d` (``"hypercube"``), float64 on the CPU."""
    positive_int("n", n)
    positive_int("d", d)
    if law == "gaussian":
        return torch.randn(n, d, generator=generator, dtype=torch.float64)
    if law == "hypercube":
        bits = torch.randint(0, 2, (n, d), generator=generator)
        return (2 * bits - 1).to(torch.float64)
    raise ConfigError(f"law={law!r} must be 'gaussian' or 'hypercube'")


def random_orthonormal_rows(r: int, d: int, *, seed: int) -> Tensor:
    r""":math:`U\in\mathbb R^{r\times d}` with orthonormal rows: QR of a seeded Gaussian
    ``(d, r)`` matrix, columns sign-fixed so that :math:`R` has a positive diagonal (float64)."""
    positive_int("r", r)
    positive_int("d", d)
    nonneg_int("seed", seed)
    if r > d:
        raise ConfigError(f"r={r} must be at most d={d}")
    g = torch.randn(d, r, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    q: Tensor
    q, rr = torch.linalg.qr(g)
    return (q * torch.sign(torch.diagonal(rr))).T.contiguous()


def hermite(k: int, t: Tensor) -> Tensor:
    r"""Probabilists' Hermite polynomial :math:`He_k(t)` (:math:`He_0 = 1`, :math:`He_1 = t`,
    :math:`He_{k+1} = tHe_k - kHe_{k-1}`); :math:`\mathbb E[He_k(Z)^2] = k!` for
    :math:`Z\sim\mathcal N(0,1)`."""
    nonneg_int("k", k)
    prev, cur = torch.ones_like(t), t
    if k == 0:
        return prev
    for j in range(1, k):
        prev, cur = cur, t * cur - j * prev
    return cur


@dataclass(frozen=True)
class MultiIndexTask:
    r""":math:`f^*(x) = h(Ux)` with :math:`U\in\mathbb R^{r\times d}` (central subspace = the row
    space of ``U``; Zhu, Davis, Drusvyatskiy, Fazel 2026, §1) on Gaussian or hypercube inputs.

    Attributes:
        projection: ``U`` ``(r, d)``, float64 on the CPU.
        link: ``h``, mapping ``z`` of shape ``(n, r)`` to ``(n,)``.
        law: ``"gaussian"`` or ``"hypercube"``.
    """

    projection: Tensor
    link: Callable[[Tensor], Tensor]
    law: InputLaw

    def __post_init__(self) -> None:
        if not isinstance(self.projection, Tensor) or self.projection.dim() != 2:
            raise ConfigError("projection must be an (r, d) tensor")
        if self.law not in ("gaussian", "hypercube"):
            raise ConfigError(f"law={self.law!r} must be 'gaussian' or 'hypercube'")

    @property
    def input_dim(self) -> int:
        return int(self.projection.shape[1])

    def __call__(self, x: Tensor) -> Tensor:
        """:math:`h(Ux)` for the rows of ``x``."""
        out = self.link(x @ self.projection.to(x).T)
        if out.shape != (x.shape[0],):
            raise ConfigError(f"link must map (n, r) to (n,); got shape {tuple(out.shape)}")
        return out

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        x = sample_inputs(n, self.input_dim, self.law, generator)
        return x, self(x)


@dataclass(frozen=True)
class SparsePolynomial:
    r"""A multilinear polynomial :math:`f(x) = \sum_S c_S\prod_{i\in S}x_i` on
    :math:`\{\pm1\}^d` (its Fourier-Walsh expansion; 0-based coordinates).

    Attributes:
        input_dim: ``d``.
        terms: ``((S, c_S), ...)`` with ``S`` a sorted tuple of distinct coordinates.
    """

    input_dim: int
    terms: tuple[tuple[tuple[int, ...], float], ...]

    @property
    def degree(self) -> int:
        return max(len(s) for s, _ in self.terms)

    @property
    def variance(self) -> float:
        r""":math:`\mathrm{Var} f = \sum_{S\neq\emptyset} c_S^2` under the uniform measure."""
        return sum(c * c for s, c in self.terms if s)

    def influences(self) -> Tensor:
        r""":math:`\mathrm{Inf}_j = \mathbb E[(\partial_j f)^2] = \sum_{S\ni j} c_S^2` (float64)
        — the population diagonal AGOP of :math:`f` on the hypercube."""
        out = torch.zeros(self.input_dim, dtype=torch.float64)
        for s, c in self.terms:
            for j in s:
                out[j] += c * c
        return out

    def __call__(self, x: Tensor) -> Tensor:
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for s, c in self.terms:
            out = out + c * (x[:, list(s)].prod(1) if s else torch.ones_like(out))
        return out

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        x = sample_inputs(n, self.input_dim, "hypercube", generator)
        return x, self(x)


def sparse_polynomial(terms: Mapping[tuple[int, ...], float], *, d: int) -> SparsePolynomial:
    """Build a :class:`SparsePolynomial` from ``{S: c_S}`` (0-based coordinates), e.g. the IRKM
    staircase :math:`(x_1 + x_2 + x_1x_2x_3)/2` of Zhu et al. 2025 is
    ``sparse_polynomial({(0,): .5, (1,): .5, (0, 1, 2): .5}, d=d)``."""
    positive_int("d", d)
    if not terms:
        raise ConfigError("terms must hold at least one monomial")
    seen: dict[tuple[int, ...], float] = {}
    for support, coef in terms.items():
        s = tuple(sorted(support))
        if len(set(s)) != len(s) or any(
            not isinstance(j, int) or isinstance(j, bool) or not 0 <= j < d for j in s
        ):
            raise ConfigError(f"support {support!r} must hold distinct coordinates in [0, {d})")
        if s in seen:
            raise ConfigError(f"support {support!r} appears twice")
        seen[s] = finite_float(f"coefficient of {support!r}", coef)
    return SparsePolynomial(d, tuple(seen.items()))
