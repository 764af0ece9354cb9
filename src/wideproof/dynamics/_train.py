r"""Full-batch gradient descent and mini-batch SGD on the squared loss of any :class:`Model`.

Update: :math:`w_{t+1} = w_t - \eta_t\nabla\mathcal L_{B_t}(w_t)`, where :math:`\mathcal L_{B}` is
the squared loss of the batch :math:`B` in the run's convention (``"half_sum"``:
:math:`\tfrac12\sum_{i\in B}r_i^2`; ``"mean"``: :math:`\frac1{|B|}\sum_{i\in B}r_i^2`).  GD uses
:math:`B_t = \{1..n\}`.  SGD draws batches without replacement: each epoch is a fresh permutation of
the samples from a ``torch.Generator`` seeded with ``seed``, cut into :math:`\lfloor n/b\rfloor`
batches of size :math:`b` (the last :math:`n \bmod b` samples of each permutation are not used in
that epoch).  The same seed gives the same batches and, on one device, the same numbers.

Thresholds depend on the convention (:func:`wideproof.dynamics.eta_crit`): with the mean loss a
batch of size :math:`b` has :math:`\eta_{crit}(B) = b/\lambda_{\max}(K_B)`, so small batches turn
super-critical first.

Divergence: at every step the full loss, and the gradient used for the update, are checked; a
non-finite value, a loss above ``divergence_factor`` :math:`\cdot\,\mathcal L(w_0)` (relative,
default :data:`DIVERGENCE_FACTOR` :math:`=10^6`; ``math.inf`` turns it off) or a loss above
``divergence_threshold`` (absolute, default off) either raises
:class:`~wideproof.errors.NumericalError` naming the step (``on_divergence="raise"``) or ends the
run with ``status="diverged"`` (``on_divergence="stop"``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Literal

import torch
from torch import Tensor

from .._validate import nonneg_int, positive_int
from ..errors import ConfigError, NumericalError
from ..families import Model
from ..linalg import LossConvention
from ..measures import ntk
from ._loss import checked_data, loss_and_grad, loss_value
from ._probes import ProbeRecord, Probes, take_probes
from ._schedules import Constant, Schedule, ScheduleContext
from ._thresholds import convention_factor, eta_crit
from ._trajectory import Status, Trajectory

__all__ = ["DIVERGENCE_FACTOR", "OnDivergence", "gd", "sgd"]

OnDivergence = Literal["raise", "stop"]

DIVERGENCE_FACTOR = 1e6
"""Default relative divergence rule: a loss above this many times the initial loss has blown up
(a catapult spike is a few orders of magnitude at most; Lewkowycz et al. 2020, arXiv:2003.02218)."""


def _batches(n: int, batch_size: int, seed: int) -> Iterator[Tensor]:
    gen = torch.Generator(device="cpu").manual_seed(seed)
    while True:
        perm = torch.randperm(n, generator=gen)
        for i in range(n // batch_size):
            yield perm[i * batch_size : (i + 1) * batch_size]


def _lambda_max(model: Model, w: Tensor, X: Tensor) -> float:
    return float(torch.linalg.eigvalsh(ntk(model.with_params(w), X))[-1])


def _schedule(eta: float | Schedule) -> Schedule:
    if isinstance(eta, (int, float)) and not isinstance(eta, bool):
        return Constant(float(eta))
    if callable(eta):
        return eta
    raise ConfigError(f"eta={eta!r} must be a positive number or a schedule")


def _run(
    model: Model,
    X: Tensor,
    y: Tensor,
    *,
    eta: float | Schedule,
    steps: int,
    loss: LossConvention,
    batch_size: int | None,
    seed: int | None,
    probes: Probes,
    on_divergence: OnDivergence,
    divergence_threshold: float,
    divergence_factor: float,
    stop_ratio: float | None,
) -> Trajectory:
    X, y = checked_data(model, X, y)
    n = X.shape[0]
    convention_factor(loss, n)  # validates ``loss``
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ConfigError(f"steps={steps!r} must be a non-negative int")
    if on_divergence not in ("raise", "stop"):
        raise ConfigError(f"on_divergence={on_divergence!r} is not one of 'raise', 'stop'")
    if not divergence_threshold > 0:
        raise ConfigError(f"divergence_threshold={divergence_threshold!r} must be positive")
    if not divergence_factor > 1:
        raise ConfigError(f"divergence_factor={divergence_factor!r} must exceed 1")
    if stop_ratio is not None and not 0 < stop_ratio < 1:
        raise ConfigError(f"stop_ratio={stop_ratio!r} must lie in (0, 1)")
    if not isinstance(probes, Probes):
        raise ConfigError(f"probes must be a Probes instance; got {type(probes).__name__}")
    schedule = _schedule(eta)
    batches = None if batch_size is None or seed is None else _batches(n, batch_size, seed)

    w0 = model.flat_params().detach()
    w = w0.clone()
    losses: list[float] = []
    rates: list[float] = []
    batch_losses: list[float] = []
    records: list[ProbeRecord] = []
    ritz: Tensor | None = None  # the last sharpness probe's Ritz vector: the next warm start
    path = 0.0
    status: Status = "completed"
    diverged_at: int | None = None

    def diverge(step: int, what: str) -> None:
        if on_divergence == "raise":
            raise NumericalError(f"training diverged at step {step}: {what}")

    for t in range(steps + 1):
        if batches is None:
            value, full_grad = loss_and_grad(model, w, X, y, loss)
        else:  # the full gradient is needed only by a probe, which computes it itself
            value, full_grad = loss_value(model, w, X, y, loss), None
        losses.append(value)
        limit = divergence_threshold
        if t and losses[0] > 0:  # the relative rule needs a positive initial loss
            limit = min(limit, divergence_factor * losses[0])
        if not math.isfinite(value) or value > limit:
            diverge(t, f"loss = {value!r} (threshold {limit!r})")
            status, diverged_at = "diverged", t
            break
        converged = stop_ratio is not None and value <= stop_ratio * losses[0]
        last = t == steps or converged
        if probes.due(t) or last:
            record, ritz = take_probes(
                probes,
                model,
                w,
                w0,
                X,
                y,
                step=t,
                loss=loss,
                loss_value=value,
                grad=full_grad,
                warm=ritz,
            )
            records.append(record)
        if last:
            status = "converged" if converged else "completed"
            break
        if batches is not None:
            idx = next(batches)
            batch_value, grad = loss_and_grad(model, w, X[idx], y[idx], loss)
            batch_losses.append(batch_value)
        else:
            grad = full_grad if full_grad is not None else loss_and_grad(model, w, X, y, loss)[1]
        if not bool(torch.isfinite(grad).all()):
            diverge(t, "the gradient contains NaN or Inf")
            status, diverged_at = "diverged", t
            break
        context = ScheduleContext(
            step=t,
            previous=rates[-1] if rates else None,
            lambda_max=functools.partial(_lambda_max, model, w, X),
            eta_crit=functools.partial(eta_crit, loss=loss, n_samples=n),
        )
        rate = float(schedule(context))
        if not math.isfinite(rate) or rate <= 0:
            raise ConfigError(f"the schedule returned eta={rate!r} at step {t}; must be positive")
        rates.append(rate)
        update = rate * grad
        w = w - update
        path += float(update.norm())

    return Trajectory(
        loss_convention=loss,
        n_samples=n,
        batch_size=batch_size,
        seed=seed,
        status=status,
        diverged_at=diverged_at,
        loss=tuple(losses),
        eta=tuple(rates),
        batch_loss=None if batches is None else tuple(batch_losses),
        path_length=path,
        probes=tuple(records),
        final_params=w,
    )


def gd(
    model: Model,
    X: Tensor,
    y: Tensor,
    *,
    eta: float | Schedule,
    steps: int,
    loss: LossConvention,
    probes: Probes | None = None,
    on_divergence: OnDivergence = "raise",
    divergence_threshold: float = math.inf,
    divergence_factor: float = DIVERGENCE_FACTOR,
    stop_ratio: float | None = None,
) -> Trajectory:
    """Full-batch gradient descent for ``steps`` updates from the model's parameters.

    Args:
        model: any :class:`~wideproof.families.Model` (MLP, UVModel, QuadraticModel, ...).
        X: inputs ``(n, d)``.
        y: targets ``(n,)`` (``(n, k)`` for ``k`` outputs).
        eta: a constant rate or a schedule (:mod:`wideproof.dynamics` schedules).
        steps: the number of updates.
        loss: ``"half_sum"`` or ``"mean"`` -- required, since every threshold depends on it.
        probes: what to record (default: loss, gradient norm and distance at every step).
        on_divergence: ``"raise"`` (:class:`NumericalError` naming the step) or ``"stop"``.
        divergence_threshold: a finite loss above this also counts as divergence.
        divergence_factor: a loss above this many times :math:`\\mathcal L(w_0)` counts as
            divergence (default :data:`DIVERGENCE_FACTOR`; ``math.inf`` turns the rule off).
        stop_ratio: stop early once :math:`\\mathcal L(w_t)\\le` ``stop_ratio``
            :math:`\\cdot\\,\\mathcal L(w_0)`.
    """
    return _run(
        model,
        X,
        y,
        eta=eta,
        steps=steps,
        loss=loss,
        batch_size=None,
        seed=None,
        probes=Probes() if probes is None else probes,
        on_divergence=on_divergence,
        divergence_threshold=divergence_threshold,
        divergence_factor=divergence_factor,
        stop_ratio=stop_ratio,
    )


def sgd(
    model: Model,
    X: Tensor,
    y: Tensor,
    *,
    eta: float | Schedule,
    steps: int,
    batch_size: int,
    seed: int,
    loss: LossConvention,
    probes: Probes | None = None,
    on_divergence: OnDivergence = "raise",
    divergence_threshold: float = math.inf,
    divergence_factor: float = DIVERGENCE_FACTOR,
    stop_ratio: float | None = None,
) -> Trajectory:
    """Mini-batch SGD (batches of ``batch_size`` without replacement, order from ``seed``).

    The trajectory's ``loss`` is the *full* training loss at every step (the quantity to run the
    catapult detector on); ``batch_loss`` holds the sampled batches' losses.  Other arguments as in
    :func:`gd`.
    """
    positive_int("batch_size", batch_size)
    nonneg_int("seed", seed)
    if isinstance(X, Tensor) and X.dim() == 2 and batch_size > X.shape[0]:
        raise ConfigError(f"batch_size={batch_size} exceeds the number of samples {X.shape[0]}")
    return _run(
        model,
        X,
        y,
        eta=eta,
        steps=steps,
        loss=loss,
        batch_size=batch_size,
        seed=seed,
        probes=Probes() if probes is None else probes,
        on_divergence=on_divergence,
        divergence_threshold=divergence_threshold,
        divergence_factor=divergence_factor,
        stop_ratio=stop_ratio,
    )
