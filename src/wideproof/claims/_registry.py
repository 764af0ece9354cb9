"""The claim registry: every ``CLAIMS`` tuple of the modules in :mod:`wideproof.claims`, the modules
named in the ``WIDEPROOF_CLAIMS`` environment variable (comma-separated, for your own claims), and
claims passed to :func:`register`.
"""

from __future__ import annotations

import difflib
import importlib
import os
import pkgutil

from ..errors import ConfigError
from ._claim import Claim

__all__ = ["all_claims", "get", "register"]

ENV_VAR = "WIDEPROOF_CLAIMS"
_registered: dict[str, Claim] = {}
_loaded: dict[str, Claim] | None = None
_loaded_env: str | None = None


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry (an id already taken by another claim is a ConfigError)."""
    known = _claims()
    if claim.id in known and known[claim.id] is not claim:
        raise ConfigError(f"claim id {claim.id!r} is already registered")
    _registered[claim.id] = claim
    return claim


def all_claims() -> tuple[Claim, ...]:
    """Every known claim, sorted by id."""
    return tuple(c for _, c in sorted(_claims().items()))


def get(claim_id: str) -> Claim:
    """The claim with id ``claim_id``; an unknown id is a ConfigError suggesting close matches."""
    known = _claims()
    if claim_id in known:
        return known[claim_id]
    close = difflib.get_close_matches(claim_id, list(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `wideproof list` shows them all"
    raise ConfigError(f"unknown claim id {claim_id!r}{hint}")


def _claims() -> dict[str, Claim]:
    global _loaded, _loaded_env
    env = os.environ.get(ENV_VAR, "")
    if _loaded is None or env != _loaded_env:
        from .. import claims as package

        names = [
            f"{package.__name__}.{info.name}"
            for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_")
        ]
        names += [n.strip() for n in env.split(",") if n.strip()]
        found: dict[str, Claim] = {}
        for name in names:
            for claim in _module_claims(name):
                if claim.id in found:
                    raise ConfigError(f"claim id {claim.id!r} is defined twice (again in {name})")
                found[claim.id] = claim
        _loaded, _loaded_env = found, env
    return {**_loaded, **_registered}


def _module_claims(name: str) -> tuple[Claim, ...]:
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # a broken module is a configuration error: one line, named
        raise ConfigError(
            f"cannot import claim module {name}: {type(exc).__name__}: {exc}"
        ) from None
    claims = getattr(module, "CLAIMS", ())
    if not isinstance(claims, tuple) or not all(isinstance(c, Claim) for c in claims):
        raise ConfigError(f"claim module {name}: CLAIMS must be a tuple of Claim")
    return claims
