"""Exact directional derivatives and the linearization gap in a ball.

Directional derivatives :math:`\\frac{d^k}{dt^k} f(w_0 + t v; x)\\big|_{t=0}` are computed by nested
forward mode (``torch.func.jvp`` applied :math:`k` times): exact up to rounding, no finite
differences.  For :math:`k = 1, 2` they are :math:`\\nabla f^T v` and :math:`v^T H_f v`.

The linearization gap (Liu, Zhu & Belkin 2020, arXiv:2010.01092, §2): with
:math:`f_{lin}(w) = f(w_0) + (w - w_0)^T\\nabla f(w_0)`, Taylor's theorem with integral remainder gives

.. math::
    |f(w) - f_{lin}(w)| = \\Big|\\int_0^1 (1-t)\\,\\delta^T H_f(w_0 + t\\delta)\\,\\delta\\,dt\\Big|
    \\le \\tfrac12 R^2 \\sup_{B(w_0,R)}\\|H_f\\|,\\qquad \\delta = w - w_0,\\ \\|\\delta\\|\\le R.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from .._autodiff import jvp
from .._validate import positive_int, real_tensor
from ..errors import ConfigError
from ._checks import ModelLike, ball_setup, checked_model, require_c2
from ._hessian import hessian_norm

__all__ = ["LinearizationGap", "directional_derivative", "linearization_gap"]


def directional_derivative(model: ModelLike, x: Tensor, direction: Tensor, order: int) -> Tensor:
    """:math:`\\frac{d^k}{dt^k} f(w_0 + t v; x)` at :math:`t = 0` by ``order`` nested jvps.

    ``direction`` is a flat vector of ``model.num_params`` entries (or a dict shaped like
    ``model.params``); the result has the shape of ``model(x)``.
    """
    model = checked_model(model, x)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ConfigError(f"order={order!r} must be a non-negative int")
    x = real_tensor("x", x, model.dtype).to(model.device)
    if isinstance(direction, dict):
        direction = torch.cat([direction[k].reshape(-1) for k in model.params])
    v = real_tensor("direction", direction, model.dtype).to(model.device)
    if v.shape != (model.num_params,):
        raise ConfigError(f"direction has shape {tuple(v.shape)}; expected ({model.num_params},)")
    w0 = model.flat_params().detach()

    def along(t: Tensor) -> Tensor:
        return model.apply_flat(w0 + t * v, x)

    fn: Callable[[Tensor], Tensor] = along
    for _ in range(order):
        fn = _derivative(fn)
    return fn(torch.zeros((), dtype=w0.dtype, device=w0.device)).detach()


def _derivative(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    def d(t: Tensor) -> Tensor:
        out: Tensor = jvp(fn, t, torch.ones_like(t))[1]
        return out

    return d


@dataclass(frozen=True)
class LinearizationGap:
    """The largest :math:`|f - f_{lin}|` found in :math:`B(w_0, R)` and the Taylor bound beside it.

    ``sup_hessian`` is the largest :math:`\\|H_f\\|` measured at ``hessian_points`` points: the
    centre and points along the segment to the worst point found (a lower estimate of the
    supremum over the ball); ``bound`` :math:`= \\tfrac12 R^2` ``sup_hessian``.
    """

    gap: float
    bound: float
    sup_hessian: float
    radius: float
    evaluations: int
    hessian_points: int


def linearization_gap(
    model: ModelLike,
    x: Tensor,
    radius: float,
    n_directions: int = 16,
    seed: int = 0,
    *,
    ascent_steps: int = 20,
    segment_points: int = 5,
) -> LinearizationGap:
    """Search :math:`B(w_0, R)` for the worst linearization error at input ``x``.

    Random directions on the sphere of radius ``radius`` first; then projected gradient ascent
    on :math:`|f - f_{lin}|` from the best of them (the step halves whenever it does not improve).
    """
    model = checked_model(model, x)
    require_c2(
        model,
        "linearization_gap",
        "the Taylor bound needs the Hessian on the whole ball (Liu, Zhu & Belkin 2020, §2)",
    )
    positive_int("n_directions", n_directions)
    positive_int("segment_points", segment_points)
    if not isinstance(ascent_steps, int) or isinstance(ascent_steps, bool) or ascent_steps < 0:
        raise ConfigError(f"ascent_steps={ascent_steps!r} must be a non-negative int")
    model, x, w0, dirs = ball_setup(model, x, radius, n_directions, seed)
    w = w0.clone().requires_grad_(True)
    f0_t = model.apply_flat(w, x)
    (g0,) = torch.autograd.grad(f0_t, w)
    f0 = f0_t.detach()

    def gap_at(delta: Tensor) -> Tensor:
        return (model.apply_flat(w0 + delta, x) - f0 - g0 @ delta).abs()

    with torch.no_grad():
        gaps = torch.stack([gap_at(d) for d in dirs])
    best_i = int(gaps.argmax())
    delta, best = dirs[best_i].clone(), float(gaps[best_i])
    evaluations = n_directions
    step = 0.5 * radius
    for _ in range(ascent_steps):
        d = delta.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(gap_at(d), d)
        norm = float(grad.norm())
        if norm == 0.0:
            break
        cand = delta + step * grad / norm
        cand = cand * min(1.0, radius / float(cand.norm()))
        with torch.no_grad():
            value = float(gap_at(cand))
        evaluations += 1
        if value > best:
            delta, best = cand, value
        else:
            step /= 2
    sup_h = 0.0
    for t in torch.linspace(0.0, 1.0, segment_points):
        point = model.with_params(w0 + float(t) * delta)
        sup_h = max(sup_h, hessian_norm(point, x, tol=1e-8).value)
    return LinearizationGap(
        gap=best,
        bound=0.5 * radius**2 * sup_h,
        sup_hessian=sup_h,
        radius=float(radius),
        evaluations=evaluations,
        hessian_points=segment_points,
    )
