"""Argument validators shared by every layer: each failure is a one-line
:class:`~wideproof.errors.ConfigError` (or :class:`~wideproof.errors.NumericalError` for
non-finite data) naming the argument."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from .errors import ConfigError, NumericalError

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = [
    "SEED_LIMIT",
    "check_memory",
    "finite_result",
    "human_bytes",
    "nonneg_int",
    "one_of",
    "physical_memory",
    "positive_float",
    "positive_int",
    "real_tensor",
    "seed",
]

SEED_LIMIT = 2**64
"""Seeds are non-negative and below this (the range of ``torch.Generator.manual_seed``)."""


def positive_int(name: str, value: object, *, at_most: int | None = None) -> int:
    """Validate a positive integer argument (``<= at_most`` when given)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name}={value!r} must be a positive int")
    if at_most is not None and value > at_most:
        raise ConfigError(f"{name}={value!r} must be at most {at_most}")
    return value


def nonneg_int(name: str, value: object) -> int:
    """Validate a non-negative integer argument."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{name}={value!r} must be a non-negative int")
    return value


def seed(name: str, value: object) -> int:
    """Validate a seed: an int in ``[0, 2**64)``."""
    nonneg_int(name, value)
    assert isinstance(value, int)
    if value >= SEED_LIMIT:
        raise ConfigError(f"{name}={value!r} must be below 2**64")
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


def real_tensor(name: str, value: object, dtype: torch.dtype) -> Tensor:
    """A non-empty, finite, real floating-point tensor argument, cast to ``dtype``.

    Complex, integer and boolean tensors are refused rather than silently converted; a value that
    is finite in its own dtype but overflows ``dtype`` is refused too.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise ConfigError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if value.is_complex() or not value.is_floating_point():
        raise ConfigError(f"{name} has dtype {value.dtype}; a real floating-point tensor is needed")
    if value.numel() == 0:
        raise ConfigError(f"{name} is empty (shape {tuple(value.shape)})")
    if not bool(torch.isfinite(value).all()):
        raise NumericalError(f"{name} contains NaN or Inf")
    cast = value.to(dtype)
    if not bool(torch.isfinite(cast).all()):
        raise NumericalError(
            f"{name} overflows {dtype} (largest magnitude {value.abs().max():.3g})"
        )
    return cast


def finite_result(name: str, value: Tensor) -> Tensor:
    """``value`` if every entry is finite, else a :class:`NumericalError` naming the quantity."""
    import torch

    if not bool(torch.isfinite(value).all()):
        raise NumericalError(f"{name} is not finite (NaN or Inf in the result)")
    return value


def physical_memory() -> int:
    """Bytes of physical memory of this machine (``sysconf``; 2**40 where it is unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**40


def check_memory(what: str, nbytes: int) -> None:
    """Refuse, before allocating, a request larger than the machine's physical memory."""
    limit = physical_memory()
    if nbytes > limit:
        raise ConfigError(
            f"{what} needs {human_bytes(nbytes)}, more than this machine's {human_bytes(limit)} of memory"
        )


def human_bytes(nbytes: int) -> str:
    """``nbytes`` in B, KiB, ..., PiB with three significant digits."""
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
