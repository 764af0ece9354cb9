"""The claim registry: every ``CLAIMS`` tuple of the modules in :mod:`wideproof.claims`, the modules
named in the ``WIDEPROOF_CLAIMS`` environment variable (comma-separated, for your own claims),
claims passed to :func:`register`, and the claims of Python files given to :func:`load_file`
(``wideproof verify --claims FILE``).

A claims *file* is imported as a module named after its stem, with its folder put first on
``sys.path`` (so sweep workers in other processes import its measures and families by the same
name).  Its claims are its ``CLAIMS`` tuple, or else every :class:`Claim` it binds at module level;
their ids must be in the ``user.`` namespace (``user.cnn-width``), which no built-in claim uses,
so a stored verdict of a user claim can never be taken for a built-in one.  Loading the same file
again replaces its claims.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

from ..errors import ConfigError
from ._claim import Claim

__all__ = ["USER_NAMESPACE", "all_claims", "get", "load_file", "register"]

ENV_VAR = "WIDEPROOF_CLAIMS"
USER_NAMESPACE = "user"
_registered: dict[str, Claim] = {}
_from_files: dict[Path, tuple[str, ...]] = {}
_loaded: dict[str, Claim] | None = None
_loaded_env: str | None = None


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry (an id already taken by another claim is a ConfigError)."""
    known = _claims()
    if claim.id in known and known[claim.id] is not claim:
        raise ConfigError(f"claim id {claim.id!r} is already registered")
    _registered[claim.id] = claim
    return claim


def load_file(path: str | os.PathLike[str]) -> tuple[Claim, ...]:
    """Import the Python file ``path`` and register the claims it declares (see the module
    docstring); a missing file, a file that fails to import or declares no claim, and an id outside
    the ``user.`` namespace are ConfigErrors."""
    file = Path(path).resolve()
    if file.suffix != ".py" or not file.is_file():
        raise ConfigError(f"claims file {path} is not a Python (.py) file")
    name = file.stem
    if not name.isidentifier():
        raise ConfigError(f"claims file {path}: {name!r} is not a Python module name; rename it")
    taken = _origin(name)
    if taken is not None and taken != str(file):
        raise ConfigError(
            f"claims file {path}: the module name {name!r} is already taken by {taken}; "
            "rename the file"
        )
    if str(file.parent) not in sys.path:
        sys.path.insert(0, str(file.parent))
    sys.modules.pop(name, None)  # loading again re-reads the file
    claims = _declared(_imported(name), name, user_file=True)
    if not claims:
        raise ConfigError(f"claims file {path} declares no Claim (a CLAIMS tuple or module names)")
    for claim in claims:
        if not claim.id.startswith(USER_NAMESPACE + "."):
            raise ConfigError(
                f"claims file {path}: claim id {claim.id!r} must be in the {USER_NAMESPACE}. "
                f"namespace (e.g. '{USER_NAMESPACE}.{claim.id.split('.', 1)[-1]}')"
            )
    for claim_id in _from_files.pop(file, ()):
        _registered.pop(claim_id, None)
    for claim in claims:
        register(claim)
    _from_files[file] = tuple(c.id for c in claims)
    return claims


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


def _origin(name: str) -> str | None:
    """Where the module ``name`` is (or would be) imported from; ``None`` when nowhere."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # ValueError: imported without a spec (e.g. __main__)
        return "a module without a file"
    if found is None:
        return None
    return str(Path(found.origin).resolve()) if found.origin else f"the package {name}"


def _module_claims(name: str) -> tuple[Claim, ...]:
    return _declared(_imported(name), name, user_file=False)


def _imported(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:  # a broken module is a configuration error: one line, named
        raise ConfigError(
            f"cannot import claim module {name}: {type(exc).__name__}: {exc}"
        ) from None


def _declared(module: ModuleType, name: str, *, user_file: bool) -> tuple[Claim, ...]:
    """The module's ``CLAIMS`` tuple; for a user file without one, its module-level claims."""
    claims = getattr(module, "CLAIMS", None)
    if claims is None:
        if not user_file:
            return ()
        found = {id(v): v for v in vars(module).values() if isinstance(v, Claim)}
        return tuple(found.values())
    if not isinstance(claims, tuple) or not all(isinstance(c, Claim) for c in claims):
        raise ConfigError(f"claim module {name}: CLAIMS must be a tuple of Claim")
    return claims
