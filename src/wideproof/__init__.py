"""wideproof: derive, measure, check and publish the scaling laws of wide networks.

Subpackages: :mod:`wideproof.families` (models), :mod:`wideproof.linalg` (matrix-free operators and
eigensolvers), :mod:`wideproof.measures` (the quantities theorems talk about),
:mod:`wideproof.certify` (high-precision and certified cross-checks), :mod:`wideproof.symbolic`
(bounds and checkable derivations), :mod:`wideproof.sweeps`, :mod:`wideproof.claims`,
:mod:`wideproof.report`, :mod:`wideproof.testing`.
"""

from .errors import AssumptionError as AssumptionError
from .errors import ConfigError as ConfigError
from .errors import NumericalError as NumericalError
from .results import Estimate as Estimate

__version__ = "0.1.0"
