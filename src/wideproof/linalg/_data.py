"""The data of a loss: one batch ``(inputs, targets)`` or a re-iterable of such batches.

A loss over :math:`N` samples split in batches :math:`b` of :math:`n_b` samples is
:math:`\\mathcal L = \\sum_b c_b \\mathcal L_b` with :math:`c_b = n_b/N` when the loss reduces
by the mean and :math:`c_b = 1` when it sums; its Hessian, Gauss-Newton matrix and empirical
Fisher are the same weighted sums, so their products are accumulated batch by batch and a data
set larger than memory needs one batch at a time.  :math:`N` is counted in a first pass.

Each product iterates the data again.  A full-data sum does not depend on the order of the
samples, so a shuffling ``DataLoader`` changes only rounding; a loader that draws random
augmentations, or an iterator that is spent after one pass, would change the operator between
products and is refused where it shows (the number of samples must be the same on every pass;
a shuffling ``DataLoader`` that drops its last incomplete batch, or an object that is its own
iterator, is refused up front).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import torch
from torch import Tensor

from .._validate import real_tensor
from ..errors import ConfigError, NumericalError

if TYPE_CHECKING:
    from ..families import Model

__all__ = ["Batches", "as_batches"]

Reduction = Literal["mean", "sum"]


@dataclass(frozen=True)
class Batches:
    """Validated batches of a model's data with the weight :math:`c_b` of each.

    Attributes:
        model: the model whose dtype, device and input shape the batches are checked against.
        source: the batches as given (one pair, or a re-iterable of pairs).
        total: the number of samples :math:`N`, counted in the first pass.
        reduction: ``"mean"`` (weights :math:`n_b/N`) or ``"sum"`` (weights 1).
        exact_targets: targets must have exactly the shape of the outputs (squared losses);
            otherwise only their first dimension is checked (class indices for cross-entropy).
    """

    model: Model
    source: Iterable[object]
    total: int
    reduction: Reduction
    exact_targets: bool

    @property
    def single(self) -> bool:
        """One batch, held in memory (its operators may keep their graphs between products)."""
        return isinstance(self.source, tuple)

    def first(self) -> tuple[Tensor, Tensor]:
        """The first batch ``(inputs, targets)``, checked."""
        for batch in self.source:
            return _checked(self.model, batch, 0, self.exact_targets)
        raise ConfigError("x holds no batches")

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor, float]]:
        """``(inputs, targets, c_b)`` for every batch, checked and on the model's device."""
        seen = 0
        for i, batch in enumerate(self.source):
            X, y = _checked(self.model, batch, i, self.exact_targets)
            seen += X.shape[0]
            yield X, y, (X.shape[0] / self.total if self.reduction == "mean" else 1.0)
        if seen != self.total:
            raise NumericalError(
                f"the data gave {seen} samples on this pass and {self.total} on the first; "
                "products need the same data on every pass (no random augmentation)"
            )


def as_batches(
    model: Model, x: object, targets: object, reduction: Reduction, *, exact_targets: bool
) -> Batches:
    """``(x, targets)`` as one batch, or ``x`` an iterable of ``(inputs, targets)`` batches
    (a ``torch.utils.data.DataLoader``, a list) with ``targets=None``."""
    if isinstance(x, Tensor):
        if targets is None:
            raise ConfigError("a loss needs targets (one per row of x)")
        _checked(model, (x, targets), 0, exact_targets)
        return Batches(model, ((x, targets),), x.shape[0], reduction, exact_targets)
    if not isinstance(x, Iterable):
        raise ConfigError(
            f"x must be a tensor batch or an iterable of (inputs, targets); got {type(x).__name__}"
        )
    if targets is not None:
        raise ConfigError("targets come with the batches when x is an iterable of batches")
    if _drops_random_samples(x):
        raise ConfigError(
            "x is a shuffling DataLoader with drop_last=True: each pass would drop other "
            "samples, so each product would see other data; pass drop_last=False"
        )
    if iter(x) is x:
        raise ConfigError(
            f"x is a one-pass iterator ({type(x).__name__}); every product iterates the data "
            "again: pass a DataLoader or a list of batches"
        )
    total = sum(_checked(model, batch, i, exact_targets)[0].shape[0] for i, batch in enumerate(x))
    if total == 0:
        raise ConfigError("x holds no batches")
    return Batches(model, x, total, reduction, exact_targets)


def _drops_random_samples(loader: object) -> bool:
    from torch.utils.data import DataLoader, SequentialSampler

    return (
        isinstance(loader, DataLoader)
        and loader.drop_last
        and not isinstance(loader.sampler, SequentialSampler)
    )


def _checked(model: Model, batch: object, index: int, exact: bool) -> tuple[Tensor, Tensor]:
    """A batch ``(X, y)`` with ``X`` of shape ``(n, *input_shape)`` and ``n`` targets."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ConfigError(
            f"batch {index} must be a pair (inputs, targets); got {type(batch).__name__}"
        )
    X = real_tensor(f"inputs of batch {index}", batch[0], model.dtype).to(model.device)
    X, single = model.spec.check_batch(X)
    if single:
        raise ConfigError(
            f"inputs of batch {index} are one input {tuple(batch[0].shape)}; a batch "
            f"(n, *{model.spec.input_shape}) is needed"
        )
    y = batch[1]
    if not isinstance(y, Tensor):
        raise ConfigError(f"targets of batch {index} must be a tensor; got {type(y).__name__}")
    n, k = X.shape[0], model.spec.output_dim
    if exact:
        y = real_tensor(f"targets of batch {index}", y, model.dtype)
        expected = (n,) if k == 1 else (n, k)
        if tuple(y.shape) != expected:
            raise ConfigError(
                f"targets of batch {index} have shape {tuple(y.shape)}; the outputs have "
                f"shape {expected}"
            )
    elif y.is_floating_point() or y.is_complex():
        y = real_tensor(f"targets of batch {index}", y, model.dtype)
    elif y.dtype == torch.bool:
        raise ConfigError(f"targets of batch {index} are boolean; give class indices or floats")
    if y.dim() == 0 or y.shape[0] != n:
        raise ConfigError(
            f"targets of batch {index} have shape {tuple(y.shape)}; {n} targets are needed"
        )
    return X, y.to(model.device)
