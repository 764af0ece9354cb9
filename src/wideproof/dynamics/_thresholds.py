r"""Learning-rate thresholds of GD on the squared loss, converted between loss conventions.

Write the residuals :math:`r = F(w) - y\in\mathbb R^n`, the Jacobian
:math:`J = \partial F/\partial w` and the tangent kernel :math:`K = JJ^T`.  Both conventions are
:math:`\mathcal L = \tfrac c2\|r\|^2` with a convention factor :math:`c` (every threshold depends on it: the
normalisation trap):

* ``"half_sum"``: :math:`\mathcal L = \tfrac12\sum_i r_i^2`, :math:`c = 1`;
* ``"mean"``: :math:`\mathcal L = \tfrac1n\sum_i r_i^2`, :math:`c = 2/n`.

Then :math:`\nabla\mathcal L = cJ^Tr`, :math:`\|\nabla\mathcal L\|^2 = c^2\,r^TKr`, and the
Gauss-Newton part of the loss Hessian is :math:`cJ^TJ`, whose non-zero spectrum is :math:`c` times
that of :math:`K`.  GD on the linearized model is stable iff
:math:`\eta\,c\,\lambda_{\max}(K) < 2`, hence

.. math::
    \eta_{crit} = \frac{2}{c\,\lambda_{\max}(K)},
    \qquad \eta_{max} = \frac{4}{c\,\lambda_{\max}(K)},

i.e. :math:`2/\lambda` and :math:`4/\lambda` for ``"half_sum"`` (Zhu et al. 2024, Def. 2;
Lewkowycz et al. 2020, §2) and :math:`n/\lambda` and :math:`2n/\lambda` for ``"mean"``.
:math:`\eta_{max} = 4/\lambda` is the divergence threshold of the uv model and of the
single-example NQM (Lewkowycz et al. 2020, arXiv 2003.02218; Zhu, Liu, Radhakrishnan & Belkin 2024,
arXiv 2205.11787); for real networks it is architecture dependent.
The dimensionless :func:`sharpness_product` :math:`c\,\eta\,\lambda` is the "ηλ" of the catapult
papers in either convention: 2 at :math:`\eta_{crit}`, 4 at :math:`\eta_{max}`.
"""

from __future__ import annotations

import math

from .._validate import positive_float, positive_int
from ..errors import ConfigError
from ..linalg import LossConvention

__all__ = ["convention_factor", "eta_crit", "eta_max", "sharpness_product"]


def convention_factor(loss: LossConvention, n_samples: int) -> float:
    """The factor :math:`c` with :math:`\\mathcal L = \\tfrac c2\\|r\\|^2`.

    1 for ``"half_sum"``, :math:`2/n` for ``"mean"``.
    """
    positive_int("n_samples", n_samples)
    if loss == "half_sum":
        return 1.0
    if loss == "mean":
        return 2.0 / n_samples
    raise ConfigError(f"loss={loss!r} is not one of 'mean', 'half_sum'")


def eta_crit(lambda_max: float, *, loss: LossConvention, n_samples: int) -> float:
    """:math:`\\eta_{crit} = 2/(c\\lambda_{\\max}(K))`: ``2/λ`` (half_sum) or ``n/λ`` (mean)."""
    return 2.0 / (convention_factor(loss, n_samples) * positive_float("lambda_max", lambda_max))


def eta_max(lambda_max: float, *, loss: LossConvention, n_samples: int) -> float:
    """:math:`\\eta_{max} = 4/(c\\lambda_{\\max}(K))`: ``4/λ`` (half_sum) or ``2n/λ`` (mean)."""
    return 4.0 / (convention_factor(loss, n_samples) * positive_float("lambda_max", lambda_max))


def sharpness_product(
    eta: float, lambda_max: float, *, loss: LossConvention, n_samples: int
) -> float:
    """:math:`c\\,\\eta\\,\\lambda_{\\max}(K)`: the convention-free "ηλ" (2 at η_crit, 4 at η_max).

    ``lambda_max`` may be 0 (a product of 0).
    """
    lam = float(lambda_max)
    if not math.isfinite(lam) or lam < 0:
        raise ConfigError(f"lambda_max={lambda_max!r} must be finite and non-negative")
    return convention_factor(loss, n_samples) * positive_float("eta", eta) * lam
