"""High-precision (mpmath) value, gradient and Hessian of a small model at one input.

Not rigorous: mpmath rounds at its working precision without tracking the error, so the result
is trustworthy to roughly ``dps`` digits minus the conditioning loss.  Running again at a higher
``dps`` and comparing is the practical check (the tests do exactly that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError
from ..families import Model
from ._forward import exact_model, model_jet
from ._scalar import MPMATH

__all__ = ["Deviation", "HighPrecision", "hessian_mp", "max_relative_deviation"]


@dataclass(frozen=True)
class Deviation:
    """:func:`max_relative_deviation` of a float computation from a :class:`HighPrecision` one."""

    value: float
    gradient: float
    hessian: float

    @property
    def max(self) -> float:
        return max(self.value, self.gradient, self.hessian)


@dataclass(frozen=True)
class HighPrecision:
    """:math:`f(w;x)`, :math:`\\nabla_w f` and :math:`\\nabla_w^2 f` as mpmath numbers.

    Attributes:
        value: an ``mpf``.
        gradient: a tuple of ``P`` ``mpf`` in ``model.params`` order.
        hessian: a ``P x P`` symmetric ``mpmath.matrix``.
        dps: the decimal digits the computation ran at.
    """

    value: Any
    gradient: tuple[Any, ...]
    hessian: Any
    dps: int

    def deviation(
        self, value: float | Tensor, gradient: Tensor | np.ndarray, hessian: Tensor | np.ndarray
    ) -> Deviation:
        """How far float results (e.g. torch float64 autograd) are from this one."""
        with mpmath.workdps(self.dps):
            return Deviation(
                max_relative_deviation([self.value], _floats(value)),
                max_relative_deviation(self.gradient, _floats(gradient)),
                max_relative_deviation(self.hessian, _floats(hessian)),
            )


def hessian_mp(model: Model, x: Tensor, dps: int = 50, *, output_index: int = 0) -> HighPrecision:
    """Re-evaluate output ``output_index`` of ``model`` at ``x`` with ``dps`` decimal digits.

    The forward pass is the family's formula restated over mpmath scalars (independent of the torch
    code), differentiated twice by forward-mode jets; weights and ``x`` enter exactly.

    Raises:
        ConfigError: ``dps < 16``, more than ``MAX_PARAMS`` parameters, a batched ``x``.
        AssumptionError: a non-C^2 activation.
    """
    model = exact_model(model)
    if not isinstance(dps, int) or isinstance(dps, bool) or dps < 16:
        raise ConfigError(f"dps={dps!r} must be an int >= 16 (beyond float64)")
    n = model.num_params
    with mpmath.workdps(dps):
        jet = model_jet(model, x, MPMATH, output_index)
        grad = tuple(jet.grad.get(i, mpmath.mpf(0)) for i in range(n))
        hess = mpmath.zeros(n, n)
        for (i, j), v in jet.hess.items():
            hess[i, j] = hess[j, i] = v
        return HighPrecision(+jet.value, grad, hess, dps)


def max_relative_deviation(
    exact: Sequence[Any] | Any, approx: Sequence[float] | np.ndarray
) -> float:
    """:math:`\\max_i |a_i - e_i| / \\max_i |e_i|` (absolute when every :math:`e_i = 0`).

    ``exact`` is a sequence or an ``mpmath.matrix`` of mpmath numbers, ``approx`` floats of the same
    size (flattened row-major); the differences are taken in mpmath at its working precision.
    Normalizing by the largest entry keeps structural zeros of a Hessian from dividing by zero.
    """
    e = _mp_entries(exact)
    a = np.asarray(approx, dtype=np.float64).reshape(-1)
    if len(e) != a.size:
        raise ConfigError(f"exact has {len(e)} entries but approx has {a.size}")
    scale = max((abs(v) for v in e), default=mpmath.mpf(0))
    diff = max(
        (abs(mpmath.mpf(float(ai)) - ei) for ai, ei in zip(a, e, strict=True)),
        default=mpmath.mpf(0),
    )
    return float(diff / scale) if scale else float(diff)


def _mp_entries(exact: Any) -> list[Any]:
    if isinstance(exact, mpmath.matrix):
        return [exact[i, j] for i in range(exact.rows) for j in range(exact.cols)]
    return list(exact)


def _floats(t: float | Tensor | np.ndarray) -> np.ndarray:
    if isinstance(t, Tensor):
        return t.detach().to("cpu", torch.float64).reshape(-1).numpy()
    return np.asarray(t, dtype=np.float64).reshape(-1)
