"""High-precision and certified cross-checks on small models (at most 500 parameters).

* :func:`hessian_mp` -- value, gradient and Hessian in mpmath at ``dps`` digits (high precision,
  **not** rigorous); :func:`max_relative_deviation` compares float results with it.
* :func:`certified_hessian_norm`, :func:`certified_spectral_norm` -- rigorous enclosures of a
  spectral norm (arb balls + the Weyl/Ostrowski a-posteriori certificate).
* :func:`sup_abs_derivative_on` -- a rigorous enclosure of :math:`\\sup_{[a,b]}|s^{(k)}|` by
  branch-and-bound.
* :func:`translate` -- the strict sympy -> mpmath/arb translator behind all of them.

See ``docs/api/certify.md`` for the formulas and what each result guarantees.
"""

from ._enclosure import Enclosure as Enclosure
from ._forward import MAX_PARAMS as MAX_PARAMS
from ._highprec import Deviation as Deviation
from ._highprec import HighPrecision as HighPrecision
from ._highprec import hessian_mp as hessian_mp
from ._highprec import max_relative_deviation as max_relative_deviation
from ._scalar import ARB as ARB
from ._scalar import MPMATH as MPMATH
from ._scalar import Backend as Backend
from ._spectral import certified_hessian_norm as certified_hessian_norm
from ._spectral import certified_spectral_norm as certified_spectral_norm
from ._supremum import sup_abs_derivative_on as sup_abs_derivative_on
from ._translate import translate as translate
