"""Step-size thresholds of the catapult papers: Lewkowycz et al. 2020 (arXiv 2003.02218) and Zhu,
Liu, Radhakrishnan & Belkin, "Quadratic models for understanding catapult dynamics" (ICLR 2024,
arXiv 2205.11787), §2.3."""

from __future__ import annotations

from typing import Any, Literal

from ..errors import ConfigError
from ._bound import Bound, Provenance
from ._symbols import lam, n

__all__ = ["eta_crit", "eta_max"]

NQM = "Zhu, Liu, Radhakrishnan, Belkin 2024 (arXiv 2205.11787)"


def eta_crit(loss: Literal["half_sum", "mean"] = "half_sum") -> Bound:
    """Critical learning rate of GD on the linearized model: :math:`2/\\lambda` for
    :math:`\\frac12\\sum(f-y)^2`, :math:`n/\\lambda` for the mean loss,
    :math:`\\lambda=\\lambda_{\\max}(K)`."""
    symbols: tuple[Any, ...]
    if loss == "half_sum":
        expr, symbols = 2 / lam, (lam,)
    elif loss == "mean":
        expr, symbols = n / lam, (lam, n)
    else:
        raise ConfigError(f"loss={loss!r} must be 'half_sum' or 'mean'")
    return Bound(
        f"zhu2024.eta-crit.{loss}",
        r"\eta_{crit}",
        "=",
        expr,
        symbols,
        Provenance(NQM, "Definition 2", "proofs/catapult_proof.py", "[TEXT], mean loss [DERIVED]"),
        description="lambda = lambda_max of the tangent kernel at initialization",
    )


def eta_max() -> Bound:
    """Largest learning rate without divergence for the uv model / NQM: :math:`4/\\lambda`."""
    return Bound(
        "zhu2024.eta-max",
        r"\eta_{max}",
        "=",
        4 / lam,
        (lam,),
        Provenance(NQM, "§2.3 and Theorem 1", "proofs/catapult_proof.py", "[TEXT]"),
        description="1/2-sum loss, single example; lambda(t) grows once eta*lambda > 4",
    )
