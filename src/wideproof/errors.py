"""The three error types of wideproof.

Every user-facing failure is one of these, with a message naming the offending argument:

* :class:`ConfigError` -- a bad specification or argument (a width of 0, a negative ``sigma0``,
  an unknown activation or claim id).
* :class:`NumericalError` -- NaN/Inf in weights or outputs, or an iterative solver that did not
  reach its tolerance within budget (the message reports the bound it did reach).
* :class:`AssumptionError` -- a theorem's hypothesis is violated by the model it is applied to
  (a ReLU network handed to a smooth-activation bound); it names the hypothesis and the paper.
"""

from __future__ import annotations

__all__ = ["AssumptionError", "ConfigError", "NumericalError", "WideproofError"]


class WideproofError(Exception):
    """Base class of every error wideproof raises on purpose."""


class ConfigError(WideproofError, ValueError):
    """A specification or argument is invalid."""


class NumericalError(WideproofError, ArithmeticError):
    """A computation produced non-finite numbers or did not converge."""


class AssumptionError(WideproofError):
    """A theorem's hypothesis does not hold for the given model."""
