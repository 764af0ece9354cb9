"""wideproof: derive, measure, check and publish the scaling laws of wide networks.

Subpackages: :mod:`wideproof.families` (models), :mod:`wideproof.linalg` (matrix-free operators and
eigensolvers), :mod:`wideproof.measures` (the quantities theorems talk about),
:mod:`wideproof.certify` (high-precision and certified cross-checks), :mod:`wideproof.symbolic`
(bounds and checkable derivations), :mod:`wideproof.sweeps`, :mod:`wideproof.claims`,
:mod:`wideproof.report`, :mod:`wideproof.testing`.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .errors import AssumptionError as AssumptionError
from .errors import ConfigError as ConfigError
from .errors import NumericalError as NumericalError
from .results import Estimate as Estimate

__version__ = "0.1.0"

# Subpackages load on first attribute access (``wideproof.measures``): ``import wideproof`` stays
# light, and a command that needs no torch (a fully reused ``verify``) never imports it.
_SUBPACKAGES = (
    "activations",
    "certify",
    "claims",
    "dynamics",
    "families",
    "features",
    "linalg",
    "measures",
    "report",
    "sweeps",
    "symbolic",
    "testing",
)

if TYPE_CHECKING:
    from . import activations as activations
    from . import certify as certify
    from . import claims as claims
    from . import dynamics as dynamics
    from . import families as families
    from . import features as features
    from . import linalg as linalg
    from . import measures as measures
    from . import report as report
    from . import sweeps as sweeps
    from . import symbolic as symbolic
    from . import testing as testing


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'wideproof' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBPACKAGES])
