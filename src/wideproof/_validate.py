"""Argument validators shared by every layer: each failure is a :class:`ConfigError` naming the
argument."""

from __future__ import annotations

import math

from .errors import ConfigError

__all__ = ["nonneg_int", "one_of", "positive_float", "positive_int"]


def positive_int(name: str, value: object) -> int:
    """Validate a positive integer argument."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name}={value!r} must be a positive int")
    return value


def nonneg_int(name: str, value: object) -> int:
    """Validate a non-negative integer argument (seeds)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{name}={value!r} must be a non-negative int")
    return value


def positive_float(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Validate a positive (or non-negative) finite float argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name}={value!r} must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(
            f"{name}={value!r} must be {'non-negative' if allow_zero else 'positive'}"
        )
    return float(value)


def one_of(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Validate a string option."""
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}")
    return str(value)
