"""Negative controls inside a verdict: a configuration the theorem excludes, measured beside the
claim's own points, whose outcome must be the one the exclusion predicts.

:func:`with_control` composes a claim's rule with control parts (an :class:`AllOf`), so the
verdict HOLDS only when the claim's part HOLDS *and* every control behaves as excluded; the
verdict's ``evidence["parts"]`` names each control and its outcome.  :func:`no_decay` is the
control part of the transition-to-linearity claims: a quantity the theorem predicts to decay like
``m^{-1/2}`` must, in the excluded configuration (a non-linear output, Liu, Zhu & Belkin 2020,
arXiv:2010.01092, §4), have a width exponent whose whole confidence interval lies at or above -1/4 -- closer to 0
("does not decay") than to the prediction -1/2 (growth is also "no decay").
"""

from __future__ import annotations

from ._extra_rules import AllOf
from ._rules import ExponentRule, Rule

__all__ = ["NO_DECAY_EDGE", "no_decay", "with_control"]

NO_DECAY_EDGE = -0.25
"""Where a non-decaying control's exponent CI must start: the midpoint of 0 and -1/2."""


def no_decay(observation: str, log_power: float = 0.0) -> ExponentRule:
    """The control part "the whole width-exponent CI of ``observation`` lies at or above -1/4":
    a lower bound (Ω) on the exponent, 0 - 1/4, with the claim's own ``log_power`` divided out (so
    the edge sits half-way between the excluded configuration's 0 and the allowed one's -1/2 as
    the claim itself measures them).  FAILS when the CI lies wholly below -1/4 (the control
    decays like an allowed configuration), INCONCLUSIVE when it straddles the edge."""
    return ExponentRule(
        observation,
        predicted=0.0,
        margin=-NO_DECAY_EDGE,
        form="lower",
        excludes=(),
        log_power=log_power,
    )


def with_control(main: Rule, *controls: tuple[str, Rule]) -> AllOf:
    """``main`` (part ``"claim"``, the headline statistic) and the ``(label, rule)`` controls;
    every label must start with ``"control"``."""
    bad = [label for label, _ in controls if not label.startswith("control")]
    if bad or not controls:
        from ..errors import ConfigError

        raise ConfigError(f"control labels must start with 'control' (got {bad or 'none'})")
    return AllOf((("claim", main), *controls))
