"""mkdocs hook: the API reference pages list every public name of their subpackage.

The subpackages re-export their API from private modules (``from ._hessian import hessian_norm as
hessian_norm``), which mkdocstrings does not show by default.  A reference page holding only
``::: wideproof.measures`` gets its ``members`` option here: every name of the package's namespace
that does not start with ``_`` (read statically with griffe, nothing is imported), so a new
function appears in the reference without editing the page.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"^::: (wideproof\.\w+)\s*$", re.MULTILINE)


def _members(package: str) -> list[str]:
    module = griffe.load(package, search_paths=["src"])
    return [
        name
        for name, obj in module.members.items()
        if not name.startswith("_") and not (obj.is_module and not obj.is_alias)
    ]


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def expand(match: re.Match[str]) -> str:
        names = ", ".join(_members(match[1]))
        return f"::: {match[1]}\n    options:\n      members: [{names}]\n"

    return _DIRECTIVE.sub(expand, markdown)
