"""Every Python and shell block of README.md and docs/ runs.

A small collector rather than ``sybil`` or ``pytest-markdown-docs``: the shell blocks need a
controlled working directory and a marker for the long sweeps, and the README's CI block must be
compared with ``.ci/run`` rather than run (it is the command that runs these tests); with the
blocks this few, 80 lines beat a plugin and its parser conventions.

Rules, one test per block (id ``FILE:LINE``):

* the blocks of one page run in order, in one temporary directory of that page (a page is a
  session: a file one block writes, the next one uses);
* ```` ```python ```` blocks run in a fresh namespace; any ``test_*`` function a block defines is
  then called (a block showing a test runs that test; Hypothesis derandomized, as in CI); a
  block whose first line is a comment naming a file (``# my_pkg/my_claims.py``) is also saved
  as that file;
* ```` ```bash ```` blocks run with ``bash -euo pipefail``, ``wideproof`` on PATH;
* a comment right before a block marks it: ``<!-- docs-test: slow -->`` (a long sweep) runs only
  in the slow job (``pytest -m slow``); ``repo`` runs it from the repository root (it regenerates
  files there); ``ci``: its lines must be those ``.ci/run`` runs (after its ``cd``), not run;
  words combine (``<!-- docs-test: slow repo -->``);
* other fences (``json``, untagged synopses) are not code and are not run.

A block that shows an error catches it (``try``/``except``) and fails when the error is not raised.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!--\s*docs-test:\s*([\w ]+?)\s*-->\s*$")


class Block(NamedTuple):
    path: str
    line: int
    lang: str
    marks: frozenset[str]
    code: str


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        mark = _MARK.match(previous)
        lang = {"py": "python", "sh": "bash", "shell": "bash"}.get(fence[1], fence[1])
        if lang in ("python", "bash"):
            code = "\n".join(lines[i + 1 : end]) + "\n"
            rel = str(path.relative_to(ROOT))
            yield Block(rel, i + 1, lang, frozenset(mark[1].split() if mark else ()), code)
        i = end + 1


ALL = [b for f in doc_files() for b in blocks(f)]


def _param(b: Block) -> Any:
    marks = [pytest.mark.slow] if "slow" in b.marks else []
    return pytest.param(b, id=f"{b.path}:{b.line}", marks=marks)


_FILE_COMMENT = re.compile(r"^# ([\w/]+\.py)\s*$")
_PAGE_DIRS: dict[str, Path] = {}


@pytest.mark.parametrize("block", [_param(b) for b in ALL])
def test_block_runs(
    block: Block, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "ci" in block.marks:
        script = (ROOT / ".ci" / "run").read_text().strip().splitlines()
        ci = script[script.index('cd "$(dirname "$0")/.."') + 1 :]
        shown = [ln for ln in block.code.splitlines() if ln and not ln.startswith("#")]
        assert shown == ci, f"{block.path}:{block.line} is not .ci/run's command"
        return
    page = _PAGE_DIRS.setdefault(block.path, tmp_path_factory.mktemp("page"))
    for earlier in ALL:  # the files the page saved so far, even when their blocks were deselected
        named = _FILE_COMMENT.match(earlier.code.splitlines()[0])
        if named and earlier.path == block.path and earlier.line <= block.line:
            (page / named[1]).parent.mkdir(parents=True, exist_ok=True)
            (page / named[1]).write_text(earlier.code)
    if block.lang == "bash":
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.code],
            cwd=ROOT if "repo" in block.marks else page,
            capture_output=True,
            text=True,
            timeout=3000,
        )
        assert run.returncode == 0, (
            f"{block.path}:{block.line}\n{run.stdout[-3000:]}{run.stderr[-3000:]}"
        )
        return
    monkeypatch.chdir(page)
    namespace: dict[str, Any] = {"__name__": f"docs_block_{block.line}"}
    with _derandomized_hypothesis():
        exec(compile(block.code, f"{block.path}:{block.line}", "exec"), namespace)
        for name, fn in list(namespace.items()):
            if name.startswith("test_") and callable(fn):
                fn()


@contextlib.contextmanager
def _derandomized_hypothesis() -> Iterator[None]:
    """A docs block's property test draws the same examples on every run (as in CI)."""
    from hypothesis import settings

    previous = settings.default
    settings.register_profile("docs-blocks", settings(previous, derandomize=True, database=None))
    settings.load_profile("docs-blocks")
    try:
        yield
    finally:
        settings.register_profile("docs-blocks-restore", previous)
        settings.load_profile("docs-blocks-restore")


def test_every_page_is_collected() -> None:
    """The collector sees the blocks it should (a renamed fence would silently drop a block)."""
    langs = {(b.path, b.lang) for b in ALL}
    assert ("README.md", "python") in langs and ("README.md", "bash") in langs
    assert sum("ci" in b.marks for b in ALL) == 1
