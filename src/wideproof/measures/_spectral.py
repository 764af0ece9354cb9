"""Hessian trace and spectral density, of the model output or of the loss.

The operators are those of :func:`~wideproof.measures.hessian_norm` (same ``of``, ``targets`` and
``loss`` arguments, same checks); the trace is computed exactly or by Hutch++ with a confidence
interval (:mod:`wideproof.linalg._trace`), the density by stochastic Lanczos quadrature
(:mod:`wideproof.linalg._density`).
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor

from .._validate import one_of, positive_int
from ..families import Model
from ..linalg import (
    SpectralDensity,
    TraceEstimate,
    exact_trace,
    hutchinson,
    hutchpp,
    slq,
)
from ..linalg._data import Reduction
from ._checks import ModelLike
from ._hessian import LossLike, Of, _check_common, _exact_operator, _operator

__all__ = ["hessian_density", "hessian_trace"]

TraceMethod = Literal["auto", "hutchpp", "hutchinson", "exact"]


def _checked(model: ModelLike, x: object, seed: int, budget: int) -> Model:
    """The model, dtype, seed and budget checks of the eigenvalue measures (whose ``method`` and
    ``tol`` do not apply here: the eigensolvers' defaults pass them)."""
    return _check_common(model, x, "auto", 1.0, seed, budget)


def hessian_trace(
    model: ModelLike,
    x: object,
    *,
    of: Of = "output",
    targets: Tensor | None = None,
    loss: LossLike = "mean",
    loss_reduction: Reduction | None = None,
    matvecs: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
    method: TraceMethod = "auto",
) -> TraceEstimate:
    """:math:`\\operatorname{tr}H` with a confidence interval whose level is in the result.

    Args:
        model: the model at its parameters (float32 or float64): a wideproof ``Model`` or a
            ``torch.nn.Module``.
        x: one input for ``of="output"``; a batch, or an iterable of ``(inputs, targets)``
            batches, for ``of="loss"``, ``"ggn"`` or ``"fisher"`` (as for
            :func:`~wideproof.measures.hessian_norm`).
        of: which operator (as for :func:`~wideproof.measures.hessian_norm`).
        targets: with a batch ``x``, the targets of the loss.
        loss: the named convention or a callable ``(outputs, targets) -> scalar`` (never
            guessed), with its ``loss_reduction``.
        loss_reduction: ``"mean"`` or ``"sum"`` for a callable loss.
        matvecs: the product budget.
        confidence: the level of the interval (below 1).
        seed: seed of the random probes.
        method: ``"auto"`` (exact when ``matvecs`` is at least the number of parameters, else
            Hutch++), ``"hutchpp"``, ``"hutchinson"`` (plain Hutchinson, for comparison) or
            ``"exact"`` (:math:`\\sum_i e_i^THe_i`, one product per parameter).

    The exact trace of a float32 model is taken with products under a float64 copy of the model
    (the exact Hessian at these weights); the estimators run in the model's precision, with the
    rounding of every product added to the interval (:mod:`wideproof.linalg._trace`).
    """
    positive_int("matvecs", matvecs)
    model = _checked(model, x, seed, matvecs)
    one_of("method", method, ("auto", "hutchpp", "hutchinson", "exact"))
    op = _operator(model, x, of, targets, loss, loss_reduction=loss_reduction)
    if method == "exact" or (method == "auto" and matvecs >= op.size):
        exact = _exact_operator(op, model, x, of, targets, loss, loss_reduction=loss_reduction)
        return exact_trace(exact)
    estimator = hutchinson if method == "hutchinson" else hutchpp
    return estimator(op, matvecs, seed=seed, confidence=confidence)


def hessian_density(
    model: ModelLike,
    x: object,
    *,
    of: Of = "output",
    targets: Tensor | None = None,
    loss: LossLike = "mean",
    loss_reduction: Reduction | None = None,
    steps: int = 100,
    probes: int = 4,
    seed: int = 0,
) -> SpectralDensity:
    """The spectral density of :math:`H` by stochastic Lanczos quadrature
    (:func:`wideproof.linalg.slq`): ``probes`` Rademacher start vectors, at most ``steps``
    reorthogonalized Lanczos steps each (at most the number of parameters, where the quadrature is
    exact).  ``model, x, of, targets, loss, loss_reduction`` as for :func:`~wideproof.measures.hessian_norm`.

    The result holds the nodes and weights per probe, the support (its certified and uncertified
    parts are stated in :class:`~wideproof.linalg.SpectralDensity`), a broadened density, moments
    and a plot.
    """
    positive_int("steps", steps)
    positive_int("probes", probes)
    model = _checked(model, x, seed, steps * probes)
    op = _operator(model, x, of, targets, loss, loss_reduction=loss_reduction)
    return slq(op, steps, probes, seed=seed)
