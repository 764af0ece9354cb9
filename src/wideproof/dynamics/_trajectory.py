r"""The record of one training run.

Per step :math:`t = 0..T` (:math:`T` = ``steps``, the number of updates performed): the full
training loss :math:`\mathcal L(w_t)`; per update :math:`t = 0..T-1`: the rate :math:`\eta_t` and,
for SGD, the loss of the sampled batch.  Probes (:class:`~wideproof.dynamics.ProbeRecord`) at the
probe steps and always at the last state.  When a run diverges (``status == "diverged"``),
``loss[-1]`` is the loss at step ``diverged_at``, where the loss was non-finite or above the
threshold or the gradient was non-finite; no probe is taken there.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from torch import Tensor

from ..errors import ConfigError
from ..linalg import LossConvention
from ._probes import ProbeRecord
from ._thresholds import convention_factor

__all__ = ["Status", "Trajectory"]

Status = Literal["completed", "converged", "diverged"]

_SERIES = tuple(f.name for f in dataclasses.fields(ProbeRecord))


def _json_float(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


@dataclass(frozen=True)
class Trajectory:
    """One GD or SGD run.

    Attributes:
        loss_convention: ``"mean"`` or ``"half_sum"``.
        n_samples: :math:`n`, the training-set size.
        batch_size: :math:`b` for SGD, ``None`` for full-batch GD.
        seed: the seed of the SGD batch order (``None`` for GD).
        status: ``"completed"`` (all steps), ``"converged"`` (stopped at ``stop_ratio``) or
            ``"diverged"``.
        diverged_at: the step whose loss or gradient was non-finite or above the threshold.
        loss: :math:`\\mathcal L(w_t)` on the full training set, ``t = 0..steps``.
        eta: :math:`\\eta_t`, ``t = 0..steps-1``.
        batch_loss: the sampled batch's loss before each SGD update (``None`` for GD).
        path_length: :math:`\\sum_t\\|w_{t+1}-w_t\\|_2`.
        probes: the probe records, in step order.
        final_params: :math:`w_T` as a flat vector (not part of the JSON form).
    """

    loss_convention: LossConvention
    n_samples: int
    batch_size: int | None
    seed: int | None
    status: Status
    diverged_at: int | None
    loss: tuple[float, ...]
    eta: tuple[float, ...]
    batch_loss: tuple[float, ...] | None
    path_length: float
    probes: tuple[ProbeRecord, ...]
    final_params: Tensor = field(compare=False, repr=False)

    @property
    def steps(self) -> int:
        """The number of updates performed."""
        return len(self.loss) - 1

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    @property
    def convention_factor(self) -> float:
        """:math:`c` with :math:`\\mathcal L = \\tfrac c2\\|r\\|^2` (1 or 2/n)."""
        return convention_factor(self.loss_convention, self.n_samples)

    def series(self, name: str) -> tuple[Any, ...]:
        """One probe across the probe steps, e.g. ``series("sharpness")`` beside
        ``series("step")``; a custom probe by its name."""
        custom = {k for p in self.probes for k in p.custom}
        if name in _SERIES and name != "custom":
            values = tuple(getattr(p, name) for p in self.probes)
        elif name in custom:
            values = tuple(p.custom.get(name) for p in self.probes)
        else:
            known = ", ".join(sorted((set(_SERIES) - {"custom"}) | custom))
            raise ConfigError(f"name={name!r} is not a probe; choose from {known}")
        if any(v is None for v in values):
            raise ConfigError(f"the probe {name!r} was not recorded in this run")
        return values

    def rate_at(self, step: int) -> float:
        """The rate in force at ``step``: :math:`\\eta_t`, or the last rate at the final state."""
        if not self.eta:
            raise ConfigError("the run made no update, so no rate is in force")
        return self.eta[min(step, len(self.eta) - 1)]

    def sharpness_products(self) -> tuple[float, ...]:
        """:math:`c\\,\\eta_t\\,\\lambda_{\\max}(K(w_t))` per probe: the step times the top
        eigenvalue of the Gauss-Newton matrix :math:`cJ^TJ` (equal to :math:`c\\,\\lambda_{\\max}(K)`),
        from the kernel probe.

        It is the stability product of the *linearized* model (2 = the critical rate of
        :func:`~wideproof.dynamics.eta_crit`), not of the loss Hessian, which adds the
        residual-weighted model Hessian; for the edge of stability of the loss use
        :meth:`edge_products`.
        """
        lam = self.series("lambda_max")
        c = self.convention_factor
        return tuple(c * self.rate_at(p.step) * v for p, v in zip(self.probes, lam, strict=True))

    def edge_products(self) -> tuple[float, ...]:
        """:math:`\\eta_t\\,\\lambda_{\\max}(\\nabla^2\\mathcal L(w_t))` per probe, from the sharpness
        probe: GD on a quadratic with this Hessian is stable iff it is :math:`\\le 2`; Cohen et al.
        2021 (arXiv:2103.00065) find it rises to 2 and hovers there (the edge of stability)."""
        lam = self.series("sharpness")
        return tuple(self.rate_at(p.step) * v for p, v in zip(self.probes, lam, strict=True))

    def pl_ratios(self) -> tuple[float, ...]:
        """The PL* ratio at the probe steps.

        :math:`\\|\\nabla\\mathcal L\\|^2/(2c\\,\\lambda_{\\min}(K)\\,\\mathcal L)`.

        At least 1 whenever :math:`\\mathcal L > 0` (the PL* inequality with
        :math:`\\mu = \\lambda_{\\min}(K)`; Liu, Zhu & Belkin 2022, arXiv 2003.00307); ``inf`` where the bound is 0.
        """
        grads = self.series("grad_norm_sq")
        lmin = self.series("lambda_min")
        c = self.convention_factor
        out = []
        for p, g, lam in zip(self.probes, grads, lmin, strict=True):
            bound = 2.0 * c * lam * p.loss
            out.append(g / bound if bound > 0 else math.inf)
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats as strings); ``final_params`` is omitted."""
        return {
            "loss_convention": self.loss_convention,
            "n_samples": self.n_samples,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "status": self.status,
            "diverged_at": self.diverged_at,
            "loss": [_json_float(x) for x in self.loss],
            "eta": list(self.eta),
            "batch_loss": (
                None if self.batch_loss is None else [_json_float(x) for x in self.batch_loss]
            ),
            "path_length": self.path_length,
            "probes": [
                {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(p).items()}
                for p in self.probes
            ],
        }
