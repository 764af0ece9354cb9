"""Curvature operators of a loss over data: Hessian, generalized Gauss-Newton, empirical Fisher.

With outputs :math:`f(w; x_i)` and a loss :math:`\\mathcal L(w) = \\sum_b c_b\\,
\\ell(f(w; X_b), y_b)` over batches (weights :math:`c_b`, :mod:`wideproof.linalg._data`):

* ``"loss"``: the Hessian :math:`H_{\\mathcal L} = \\nabla_w^2 \\mathcal L`;
* ``"ggn"``: the generalized Gauss-Newton matrix :math:`G = \\sum_b c_b J_b^T H_{\\ell,b} J_b`,
  with :math:`J_b` the Jacobian of the outputs of batch :math:`b` and :math:`H_{\\ell,b}` the
  Hessian of the loss with respect to those outputs (Schraudolph 2002, "Fast curvature
  matrix-vector products for second-order gradient descent", eq. (8)); it is positive
  semi-definite when :math:`\\ell` is convex in the outputs, and it is
  :math:`H_{\\mathcal L}` minus the term :math:`\\sum_i (\\partial\\ell/\\partial f_i) \\nabla^2_w f_i`;
* ``"fisher"``: the empirical Fisher :math:`F = c\\sum_{i=1}^N g_i g_i^T` with :math:`g_i =
  \\nabla_w \\ell_i` the gradient of sample :math:`i`'s loss (the loss applied to that sample
  alone), :math:`c = 1/N` for a mean-reduced loss and :math:`c = 1` for a summed one
  (Kunstner, Balles & Hennig 2019, arXiv:1905.12558, eq. (3); curvlinops' convention).

A loss is a named squared-loss convention (``"mean"``: :math:`\\frac1n\\sum_i\\|r_i\\|^2`,
``"half_sum"``: :math:`\\frac12\\sum_i\\|r_i\\|^2`) or a callable ``(outputs, targets) -> scalar``
whose reduction over the batch is declared (``"mean"``, torch's default, or ``"sum"``): it sets
how batches are weighted, and it is checked on the first batch against the per-sample losses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from .._autodiff import jvp, vjp
from .._validate import one_of
from ..errors import ConfigError, NumericalError
from ..families import Model
from ..families.mlp_hessian import supports_structured_hvp
from ._data import Reduction, as_batches
from ._operators import (
    LinearOperator,
    LossConvention,
    hvp_operator,
    loss_hessian,
    squared_loss,
)

__all__ = ["Curvature", "Loss", "curvature_operator", "resolve_loss"]

Curvature = Literal["loss", "ggn", "fisher"]

NAMED: dict[str, Reduction] = {"mean": "mean", "half_sum": "sum"}
"""The named squared-loss conventions and the reduction each one is."""


@dataclass(frozen=True)
class Loss:
    """A loss ``fn(outputs, targets) -> scalar`` of a batch and its reduction over the batch."""

    fn: Callable[[Tensor, Tensor], Tensor]
    reduction: Reduction
    named: bool
    """A squared-loss convention: targets must have exactly the outputs' shape."""

    def value(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """The loss of a batch, refusing a non-scalar or non-finite value."""
        try:
            value = self.fn(outputs, targets)
        except (RuntimeError, ValueError, IndexError, TypeError) as err:
            raise ConfigError(
                f"the loss fails on outputs {tuple(outputs.shape)} and targets "
                f"{tuple(targets.shape)} ({targets.dtype}): {str(err).splitlines()[0]}"
            ) from err
        if not isinstance(value, Tensor) or value.dim() != 0:
            raise ConfigError(
                f"the loss must return a scalar; got {getattr(value, 'shape', type(value).__name__)}"
                " (reduce it and declare loss_reduction)"
            )
        return value

    def per_sample(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """The losses :math:`\\ell_i` of each sample alone, shape ``(n,)`` (``torch.func.vmap``)."""

        def one(o: Tensor, t: Tensor) -> Tensor:
            return self.fn(o.unsqueeze(0), t.unsqueeze(0))

        try:
            out: Tensor = torch.func.vmap(one)(outputs, targets)
        except (RuntimeError, ValueError) as err:
            raise ConfigError(
                f"the loss cannot be applied per sample under torch.func.vmap: {err}"
            ) from err
        return out


def resolve_loss(loss: object, loss_reduction: str | None = None) -> Loss:
    """A :class:`Loss` from a named convention or a callable and its declared reduction
    (``None``: the convention's own, or ``"mean"`` for a callable, as torch's losses)."""
    if loss_reduction is not None:
        one_of("loss_reduction", loss_reduction, ("mean", "sum"))
    if isinstance(loss, str):
        one_of("loss", loss, tuple(NAMED))
        reduction = NAMED[loss]
        if loss_reduction not in (None, reduction):
            raise ConfigError(
                f"loss={loss!r} reduces by its {reduction}; loss_reduction={loss_reduction!r} "
                "contradicts it"
            )
        convention: LossConvention = "mean" if loss == "mean" else "half_sum"

        def squared(outputs: Tensor, targets: Tensor) -> Tensor:
            return squared_loss(outputs, targets, convention)

        return Loss(squared, reduction, named=True)
    if not callable(loss):
        raise ConfigError(
            f"loss={loss!r} must be 'mean', 'half_sum' or a callable (outputs, targets) -> scalar"
        )
    return Loss(loss, "sum" if loss_reduction == "sum" else "mean", named=False)


def curvature_operator(
    model: Model, x: object, targets: object, of: Curvature, loss: Loss
) -> LinearOperator:
    """The ``of`` matrix of ``loss`` on the data (see the module docstring) at the model's
    weights; ``x`` a batch with its ``targets``, or an iterable of ``(inputs, targets)``."""
    one_of("of", of, ("loss", "ggn", "fisher"))
    data = as_batches(model, x, targets, loss.reduction, exact_targets=loss.named)
    X, y = data.first()
    if not loss.named:
        _check_reduction(model, loss, X, y)
    make = {"loss": _hessian, "ggn": _ggn, "fisher": _fisher}[of]
    psd = of == "fisher" or (of == "ggn" and loss.named)
    size = model.num_params
    if data.single:
        op = make(model, X, y, loss)
        return LinearOperator(size, op.matvec, op.dtype, op.device, psd=psd)

    def matvec(v: Tensor) -> Tensor:
        total = torch.zeros_like(v)
        for Xb, yb, weight in data:
            total += weight * make(model, Xb, yb, loss).matvec(v)
        return total

    return LinearOperator(size, matvec, model.dtype, model.device, psd=psd)


def _check_reduction(model: Model, loss: Loss, X: Tensor, y: Tensor) -> None:
    """The declared reduction is the loss's: on the first (at most 16) samples of a batch of
    ``n >= 2`` the loss equals the mean (or the sum) of the per-sample losses, to rounding."""
    if X.shape[0] < 2:
        return
    X, y = X[:16], y[:16]
    with torch.no_grad():
        out = model.apply(model.params, X)
        whole = float(loss.value(out, y))
        parts = torch.stack([loss.value(out[i : i + 1], y[i : i + 1]) for i in range(X.shape[0])])
    declared = float(parts.mean() if loss.reduction == "mean" else parts.sum())
    tol = 1e3 * torch.finfo(out.dtype).eps * max(float(parts.abs().sum()), 1e-300)
    if abs(whole - declared) > tol:
        raise ConfigError(
            f"loss_reduction={loss.reduction!r} is declared, but the loss of a batch ({whole:.6g}) "
            f"is not the {loss.reduction} of its per-sample losses (mean {float(parts.mean()):.6g}, "
            f"sum {float(parts.sum()):.6g})"
        )


def _hessian(model: Model, X: Tensor, y: Tensor, loss: Loss) -> LinearOperator:
    """The loss Hessian of one batch: the structured product of :func:`loss_hessian` for a named
    squared loss of an :class:`~wideproof.families.MLP` with a linear output, else
    reverse-over-reverse autograd."""
    if loss.named and supports_structured_hvp(model):
        return loss_hessian(model, X, y, "mean" if loss.reduction == "mean" else "half_sum")
    return hvp_operator(lambda p: loss.value(model.apply(p, X), y), model.params)


def _ggn(model: Model, X: Tensor, y: Tensor, loss: Loss) -> LinearOperator:
    """:math:`J^T H_\\ell J` of one batch: a jvp, a product with the loss Hessian in output
    space (its gradient graph built once), a vjp."""
    w0 = model.flat_params().detach()

    def outputs(w: Tensor) -> Tensor:
        return model.apply_flat(w, X)

    out, pull = vjp(outputs, w0)
    o = out.detach().requires_grad_(True)
    with torch.enable_grad():
        value = loss.value(o, y)
        if not bool(torch.isfinite(value)):
            raise NumericalError(f"the loss is not finite: {value.item()}")
        (grad,) = torch.autograd.grad(value, o, create_graph=True)

    def loss_hvp(u: Tensor) -> Tensor:
        if not grad.requires_grad:  # the loss is affine in the outputs
            return torch.zeros_like(u)
        (hu,) = torch.autograd.grad(grad, o, grad_outputs=u, retain_graph=True)
        return hu

    def matvec(v: Tensor) -> Tensor:
        return pull(loss_hvp(jvp(outputs, w0, v)[1]))

    return LinearOperator(w0.numel(), matvec, w0.dtype, w0.device)


def _fisher(model: Model, X: Tensor, y: Tensor, loss: Loss) -> LinearOperator:
    """:math:`c\\,G^T G v` of one batch, :math:`G` the Jacobian of the per-sample losses
    (rows :math:`g_i^T`): a jvp then a vjp, no per-sample gradient stored."""
    w0 = model.flat_params().detach()
    scale = 1.0 / X.shape[0] if loss.reduction == "mean" else 1.0

    def losses(w: Tensor) -> Tensor:
        return loss.per_sample(model.apply_flat(w, X), y)

    values, pull = vjp(losses, w0)
    if not bool(torch.isfinite(values).all()):
        raise NumericalError("a per-sample loss is not finite")

    def matvec(v: Tensor) -> Tensor:
        return scale * pull(jvp(losses, w0, v)[1])

    return LinearOperator(w0.numel(), matvec, w0.dtype, w0.device)
