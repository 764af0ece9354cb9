r"""The largest Hessian norm in a ball of weights, searched adversarially.

Theorem 3.2 of Liu, Zhu & Belkin (NeurIPS 2020, arXiv:2010.01092) bounds
:math:`\sup_{w\in B(w_0,R)}\|H_f(w;x)\|`, not only :math:`\|H_f(w_0;x)\|`.  A lower estimate of
that supremum comes from projected gradient ascent of :math:`\phi(w) = \|H_f(w)\|_2 =
|\lambda(w)|`, with :math:`\lambda` the eigenvalue of largest magnitude.  For a simple eigenvalue
with unit eigenvector :math:`v` (Hellmann--Feynman),

.. math::
    \nabla_w\lambda(w) = \nabla_w\big(v^\top H_f(w)\,v\big)\big|_{v\ \mathrm{fixed}}
    = \nabla_w\, \partial_t^2 f(w + t v)\big|_{t=0},

the third derivative of :math:`f` contracted twice with :math:`v`, computed by reverse-mode
autograd through a Hessian-vector product (:func:`eigenvalue_gradient`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .._validate import positive_int
from ..errors import ConfigError
from ..families import Model
from ._checks import ball_setup
from ._hessian import hessian_eigs

__all__ = ["HessianBallSup", "eigenvalue_gradient", "hessian_ball_sup"]


@dataclass(frozen=True)
class HessianBallSup:
    """The largest :math:`\\|H_f\\|` found in :math:`B(w_0, R)` by :func:`hessian_ball_sup`.

    ``sup`` is the largest norm at any evaluated point (the centre included, so
    ``sup >= at_center``); ``distance`` is :math:`\\|w^* - w_0\\|` of the point attaining it;
    ``per_start`` the best norm reached from each start.
    """

    sup: float
    at_center: float
    radius: float
    distance: float
    per_start: tuple[float, ...]
    evaluations: int

    @property
    def ratio(self) -> float:
        """How much the supremum found exceeds the centre: ``sup / at_center``."""
        return self.sup / self.at_center


def _extreme_pair(model: Model, x: Tensor, tol: float, seed: int) -> tuple[float, Tensor]:
    """The eigenvalue of :math:`H_f(w;x)` of largest magnitude and its unit eigenvector."""
    spec = hessian_eigs(model, x, 1, method="lanczos", tol=tol, seed=seed, return_vectors=True)
    vectors = spec.eigenvectors
    if vectors is None:
        raise ConfigError("hessian_eigs returned no eigenvectors")
    i = 0 if abs(spec.eigenvalues[0]) > abs(spec.eigenvalues[-1]) else -1
    v = vectors[:, i]
    return spec.eigenvalues[i], v / v.norm()


def eigenvalue_gradient(model: Model, w: Tensor, x: Tensor, v: Tensor) -> Tensor:
    """:math:`\\nabla_w (v^\\top H_f(w;x)\\,v)` with ``v`` held fixed: the gradient of a simple
    eigenvalue whose unit eigenvector is ``v`` (module docstring)."""
    w = w.detach().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(model.apply_flat(w, x), w, create_graph=True)
        (hv,) = torch.autograd.grad(g @ v, w, create_graph=True)
        (out,) = torch.autograd.grad(hv @ v, w)
    return out


def hessian_ball_sup(
    model: Model,
    x: Tensor,
    radius: float,
    *,
    starts: int = 4,
    steps: int = 10,
    seed: int = 0,
    tol: float = 1e-8,
) -> HessianBallSup:
    """Projected gradient ascent of :math:`\\|H_f(w;x)\\|_2` over :math:`\\|w - w_0\\| \\le R`.

    Start 0 is the centre :math:`w_0`; starts ``1..starts-1`` are random points on the sphere of
    radius ``radius`` (normal directions from ``seed``).  From each start, ``steps`` ascent steps
    along :math:`\\operatorname{sign}(\\lambda)\\nabla_w\\lambda` (normalized, initial length
    :math:`R/2`, projected back onto the ball, halved whenever the norm does not increase).  Every
    norm is a Lanczos estimate to relative residual ``tol``.
    """
    positive_int("starts", starts)
    positive_int("steps", steps)
    model, x, w0, dirs = ball_setup(model, x, radius, starts - 1, seed)
    begins = [torch.zeros_like(w0), *dirs]
    evaluations = 0

    def norm_at(delta: Tensor) -> tuple[float, Tensor]:
        nonlocal evaluations
        evaluations += 1
        lam, v = _extreme_pair(model.with_params(w0 + delta), x, tol, seed)
        return lam, v

    center = 0.0
    best_sup, best_delta = 0.0, begins[0]
    per_start = []
    for i, begin in enumerate(begins):
        delta = begin
        lam, v = norm_at(delta)
        value = abs(lam)
        if i == 0:
            center = value
        step = 0.5 * radius
        for _ in range(steps):
            grad = eigenvalue_gradient(model, w0 + delta, x, v) * (1.0 if lam >= 0 else -1.0)
            g_norm = float(grad.norm())
            if g_norm == 0.0:
                break
            cand = delta + step * grad / g_norm
            cand = cand * min(1.0, radius / float(cand.norm()))
            c_lam, c_v = norm_at(cand)
            if abs(c_lam) > value:
                delta, lam, v, value = cand, c_lam, c_v, abs(c_lam)
            else:
                step /= 2
        per_start.append(value)
        if value > best_sup:
            best_sup, best_delta = value, delta
    return HessianBallSup(
        sup=best_sup,
        at_center=center,
        radius=float(radius),
        distance=float(best_delta.norm()),
        per_start=tuple(per_start),
        evaluations=evaluations,
    )
