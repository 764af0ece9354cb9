r"""Probes: what the trainer measures at :math:`w_t` every ``every`` steps.

With residuals :math:`r = F(w_t) - y` (flattened, length :math:`nk`), the tangent kernel
:math:`K = K(w_t; X, X)` from :func:`wideproof.measures.ntk` with eigenpairs
:math:`K p_i = \lambda_i p_i` (:math:`\lambda_1\ge\lambda_2\ge\dots`) and the convention factor
:math:`c` (:math:`\mathcal L = \tfrac c2\|r\|^2`, see :func:`wideproof.dynamics.convention_factor`):

* ``grad_norm_sq`` -- :math:`\|\nabla\mathcal L(w_t)\|^2` of the full training loss, by autograd;
* ``kernel_grad_norm_sq`` -- :math:`c^2\,r^TKr`, which equals ``grad_norm_sq`` exactly since
  :math:`\nabla\mathcal L = cJ^Tr` (the PL* identity; Liu, Zhu & Belkin 2022, arXiv 2003.00307); computed from the
  kernel, not from the gradient;
* ``lambda_max``, ``lambda_min``, ``kernel_top`` -- :math:`\lambda_1`, :math:`\lambda_{nk}` and
  :math:`(\lambda_1..\lambda_s)`; the PL* inequality reads
  :math:`\|\nabla\mathcal L\|^2\ge 2c\,\lambda_{\min}(K)\,\mathcal L` (Liu, Zhu, Belkin 2022,
  PL* with :math:`\mu = \lambda_{\min}`);
* ``projected_loss`` -- :math:`\Pi_i\mathcal L = \tfrac c2\langle p_i, r\rangle^2` for
  :math:`i\le s`, and ``complement_loss`` :math:`= \tfrac c2\sum_{i>s}\langle p_i,r\rangle^2`; they
  sum to :math:`\mathcal L` (Zhu et al. 2024 "Catapults in SGD", the top-eigenspace loss
  :math:`\mathcal P_s\mathcal L`; Zhu et al. 2024 NQM, Prop. 9 for :math:`\Pi_i`);
* ``mean_grad_sq`` -- :math:`\|\nabla_w\bar G\|^2 = \mathbf 1^TK\mathbf 1/n^2` with
  :math:`\bar G = \frac1n\sum_i f(w; x_i)` (Banerjee et al. 2023, Thm 5.1: RSC holds when it is
  :math:`\Omega(\mathrm{poly}(L)/\sqrt m)`; it is :math:`\ge\lambda_{\min}(K)/n`, as
  ``proofs/rsc_proof.py`` derives), and ``mean_grad_cosine`` -- :math:`|\cos(\nabla\mathcal L, \nabla\bar G)| =
  |\mathbf 1^TKr|/\sqrt{\mathbf 1^TK\mathbf 1\; r^TKr}`, the :math:`\kappa` of the restricted set
  :math:`Q_\kappa` reached by a full-batch GD step (for :math:`k` outputs :math:`\mathbf 1` has
  length :math:`nk`);
* ``distance`` -- :math:`\|w_t - w_0\|_2`;
* ``agop_alignment`` --
  :math:`\rho(G(f_t), G^*) = \langle G(f_t),G^*\rangle_F/(\|G(f_t)\|_F\|G^*\|_F)` with
  :math:`G(f) = \frac1N\sum_j\nabla_xf(x_j)\nabla_xf(x_j)^T` over ``agop_inputs`` (Zhu et
  al. 2024, "Catapults in SGD", arXiv 2306.04815, Def. 2);
* ``outputs`` -- :math:`F(w_t)` on the training inputs;
* ``sharpness`` -- :math:`\lambda_{\max}(\nabla^2\mathcal L(w_t))`, the top eigenvalue of the
  *loss* Hessian in the run's convention (Gauss-Newton term plus the residual-weighted model
  Hessian, not the kernel's :math:`c\,\lambda_{\max}(K)`), by Lanczos
  (:func:`wideproof.linalg.lanczos`) with ``sharpness_error`` the certified bound on its error
  and ``sharpness_matvecs`` the Hessian-vector products it cost.  Each probe after the first starts
  from the previous probe's top Ritz vector plus a tenth of a fixed random unit vector (so no
  direction has zero weight in the Krylov space); the bound is a-posteriori, so the warm start
  changes the cost, never the certificate.  Cohen, Kaur, Li, Kolter & Talwalkar 2021
  (arXiv:2103.00065) call :math:`\eta\cdot` ``sharpness`` :math:`\approx 2` the *edge of
  stability*;
* ``custom`` -- ``{name: fn(model_t)}`` for any user function of the model at :math:`w_t`
  returning a float.

Eigenvectors of a repeated eigenvalue are not unique, so the individual :math:`\Pi_i` are only
meaningful where :math:`\lambda_i` is simple; the sum over :math:`i\le s` is meaningful whenever
:math:`\lambda_s > \lambda_{s+1}`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

from .._validate import positive_int
from ..errors import ConfigError, NumericalError
from ..families import Model
from ..features import matrix_cosine
from ..linalg import LossConvention, lanczos, loss_hessian
from ..measures import agop, ntk
from ._loss import loss_and_grad
from ._thresholds import convention_factor

__all__ = ["ProbeRecord", "Probes", "sharpness"]


@dataclass(frozen=True)
class Probes:
    """Which probes to run and how often.

    Attributes:
        every: probe at steps ``0, every, 2*every, ...``; ``None`` probes only the first and the
            last state.  The last state is always probed.
        gradient: record :math:`\\|\\nabla\\mathcal L\\|^2` of the full training loss.
        kernel: record the kernel quantities (eigenvalues, :math:`c^2r^TKr`, projected losses);
            costs one dense tangent kernel and one ``eigh`` of size :math:`nk` per probe.
        top_s: :math:`s`, the number of top eigenvectors for the projected losses.
        outputs: record :math:`F(w_t)`.
        agop_target: :math:`G^*` (``d x d``); when given, record the AGOP alignment.
        agop_inputs: the inputs of the AGOP (default: the training inputs).
        sharpness: record the loss-Hessian :math:`\\lambda_{\\max}` with its error bound.
        sharpness_tol: the relative Lanczos residual at which the sharpness stops.
        custom: ``{name: fn}``; each ``fn(model_t) -> float`` is recorded under ``name`` and read
            with ``trajectory.series(name)``.
    """

    every: int | None = 1
    gradient: bool = True
    kernel: bool = False
    top_s: int = 5
    outputs: bool = False
    agop_target: Tensor | None = field(default=None, compare=False, repr=False)
    agop_inputs: Tensor | None = field(default=None, compare=False, repr=False)
    sharpness: bool = False
    sharpness_tol: float = 1e-6
    custom: Mapping[str, Callable[[Model], float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.every is not None and (
            isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1
        ):
            raise ConfigError(f"every={self.every!r} must be a positive int or None")
        positive_int("top_s", self.top_s)
        target = self.agop_target
        if target is not None and (
            not isinstance(target, Tensor)
            or target.dim() != 2
            or target.shape[0] != target.shape[1]
        ):
            raise ConfigError("agop_target must be a square (d, d) tensor")
        if self.agop_inputs is not None:
            if target is None:
                raise ConfigError("agop_inputs is only used together with agop_target")
            if not isinstance(self.agop_inputs, Tensor) or self.agop_inputs.dim() != 2:
                raise ConfigError("agop_inputs must be a tensor of shape (N, d)")
        if not (isinstance(self.sharpness_tol, float) and 0 < self.sharpness_tol < 1):
            raise ConfigError(f"sharpness_tol={self.sharpness_tol!r} must be a float in (0, 1)")
        if not isinstance(self.custom, Mapping):
            raise ConfigError("custom must be a mapping {name: fn(model) -> float}")
        builtin = {f.name for f in dataclasses.fields(ProbeRecord)}
        for name, fn in self.custom.items():
            if not isinstance(name, str) or not name.isidentifier() or name in builtin:
                raise ConfigError(
                    f"custom probe name {name!r} must be an identifier other than {sorted(builtin)}"
                )
            if not callable(fn):
                raise ConfigError(f"custom probe {name!r} is not callable")

    def due(self, step: int) -> bool:
        """Whether ``step`` is a regular probe step (the last state is probed regardless)."""
        return step == 0 if self.every is None else step % self.every == 0


@dataclass(frozen=True)
class ProbeRecord:
    """The probes at one step; a field is ``None`` when its probe was off."""

    step: int
    loss: float
    distance: float
    grad_norm_sq: float | None = None
    kernel_grad_norm_sq: float | None = None
    lambda_max: float | None = None
    lambda_min: float | None = None
    kernel_top: tuple[float, ...] | None = None
    projected_loss: tuple[float, ...] | None = None
    complement_loss: float | None = None
    mean_grad_sq: float | None = None
    mean_grad_cosine: float | None = None
    agop_alignment: float | None = None
    outputs: tuple[float, ...] | None = None
    sharpness: float | None = None
    sharpness_error: float | None = None
    sharpness_matvecs: int | None = None
    custom: dict[str, float] = field(default_factory=dict)

    def scalar(self, name: str) -> float:
        """The scalar probe ``name`` (e.g. ``"lambda_max"``); a :class:`NumericalError` when that
        probe was off, instead of a ``None`` read as a number."""
        value = getattr(self, name)
        if value is None:
            raise NumericalError(f"probe {name!r} was off at step {self.step}: nothing recorded")
        return float(value)

    @property
    def top_loss(self) -> float | None:
        """:math:`\\mathcal P_s\\mathcal L = \\sum_{i\\le s}\\Pi_i\\mathcal L`."""
        return None if self.projected_loss is None else float(sum(self.projected_loss))


def take_probes(
    probes: Probes,
    model: Model,
    w: Tensor,
    w0: Tensor,
    X: Tensor,
    y: Tensor,
    *,
    step: int,
    loss: LossConvention,
    loss_value: float,
    grad: Tensor | None,
    warm: Tensor | None = None,
) -> tuple[ProbeRecord, Tensor | None]:
    """Measure the configured probes at the flat parameters ``w``.

    ``grad`` is the full-loss gradient when the caller already has it (full-batch GD); otherwise
    it is computed here when the gradient probe is on.  ``warm`` is the previous probe's top Ritz
    vector of the loss Hessian; the second value returned is this probe's (``None`` without the
    sharpness probe), to pass as ``warm`` to the next one.
    """
    model_t = model.with_params(w)
    factor = convention_factor(loss, X.shape[0])
    record = ProbeRecord(step=step, loss=loss_value, distance=float((w - w0).norm()))
    if probes.gradient:
        if grad is None:
            _, grad = loss_and_grad(model, w, X, y, loss)
        record = replace(record, grad_norm_sq=float(grad @ grad))
    outputs = model_t(X).detach() if probes.outputs or probes.kernel else None
    if probes.outputs and outputs is not None:
        record = replace(record, outputs=tuple(outputs.reshape(-1).tolist()))
    if probes.kernel and outputs is not None:
        r = (outputs - y).reshape(-1)
        K = ntk(model_t, X)
        evals, evecs = torch.linalg.eigh(K)
        s = min(probes.top_s, evals.shape[0])
        coef = evecs.T @ r
        half = 0.5 * factor
        ones = torch.ones_like(r)
        k_ones, k_r = K @ ones, K @ r
        # K is PSD: a quadratic form that rounds below 0 (a residual in K's null space) is 0
        quad_ones, quad_r = max(float(ones @ k_ones), 0.0), max(float(r @ k_r), 0.0)
        denominator = math.sqrt(quad_ones * quad_r)
        record = replace(
            record,
            kernel_grad_norm_sq=factor**2 * quad_r,
            lambda_max=float(evals[-1]),
            lambda_min=float(evals[0]),
            kernel_top=tuple(evals.flip(0)[:s].tolist()),
            projected_loss=tuple((half * coef.flip(0)[:s] ** 2).tolist()),
            complement_loss=float(half * (coef[: evals.shape[0] - s] ** 2).sum()),
            mean_grad_sq=quad_ones / X.shape[0] ** 2,
            mean_grad_cosine=abs(float(ones @ k_r)) / denominator if denominator > 0 else math.nan,
        )
    if probes.agop_target is not None:
        params = model_t.params
        inputs = X if probes.agop_inputs is None else probes.agop_inputs.to(X)
        G = agop(lambda x: model_t.apply(params, x), inputs)
        record = replace(record, agop_alignment=matrix_cosine(G, probes.agop_target.to(G)))
    if probes.custom:
        record = replace(record, custom=_custom(probes.custom, model_t, step))
    if not probes.sharpness:
        return record, None
    value, error, matvecs, ritz = sharpness(model_t, X, y, loss, probes.sharpness_tol, warm)
    record = replace(record, sharpness=value, sharpness_error=error, sharpness_matvecs=matvecs)
    return record, ritz


WARM_MIX = 0.1
"""Weight of the fixed random unit vector added to a warm start (see the module docstring)."""


def sharpness(
    model: Model,
    X: Tensor,
    y: Tensor,
    loss: LossConvention,
    tol: float,
    warm: Tensor | None = None,
) -> tuple[float, float, int, Tensor]:
    """:math:`\\lambda_{\\max}` of the loss Hessian at the model's parameters, its error bound, the
    Hessian-vector products it cost and its Ritz vector; Lanczos from ``warm`` (mixed with a
    random vector) when given, else from a random vector."""
    op = loss_hessian(model, X, y, loss)
    start = None
    if warm is not None:
        gen = torch.Generator().manual_seed(0)
        noise = torch.randn(op.size, generator=gen, dtype=torch.float64).to(warm)
        start = warm / warm.norm() + WARM_MIX * noise / noise.norm()
    spec = lanczos(op, k_top=1, k_bottom=0, tol=tol, return_vectors=True, v0=start)
    assert spec.eigenvectors is not None  # return_vectors=True keeps them
    return spec.eigenvalues[-1], spec.error_bounds[-1], spec.matvecs, spec.eigenvectors[:, -1]


def _custom(
    fns: Mapping[str, Callable[[Model], float]], model: Model, step: int
) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, fn in fns.items():
        value = fn(model)
        try:
            out[name] = float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"custom probe {name!r} returned {type(value).__name__} at step {step}; "
                "it must return a float"
            ) from None
    return out
