"""Checks shared by the measures: the model argument and the hypotheses a bound needs."""

from __future__ import annotations

from ..activations import get_activation
from ..errors import AssumptionError, ConfigError
from ..families import Model

__all__ = ["checked_model", "require_c2"]


def checked_model(model: object) -> Model:
    """The model, after checking its type and that its weights are finite."""
    if not isinstance(model, Model):
        raise ConfigError(
            f"model must be a wideproof Model (spec.init(seed)); got {type(model).__name__}"
        )
    model.check_finite()
    return model


def require_c2(model: Model, quantity: str, reason: str) -> None:
    """Raise :class:`AssumptionError` when an activation of ``model`` is not C^2.

    Reads the spec's ``activation`` and (non-linear) ``output`` fields; families without them
    (linear and quadratic models) are smooth in their weights.
    """
    spec = model.spec
    names = [getattr(spec, "activation", None), getattr(spec, "output", "linear")]
    for name in names:
        if isinstance(name, str) and name != "linear" and not get_activation(name).is_c2:
            raise AssumptionError(f"{quantity}: activation {name!r} is not C^2; {reason}")
