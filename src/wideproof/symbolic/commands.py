"""The ``wideproof prove`` and ``wideproof bounds`` verbs (called by :mod:`wideproof.cli`).

``prove_command`` loads each proof file (default: every ``*_proof.py`` in ``proofs/``), takes its
module-level ``derivation()`` function or ``DERIVATION`` object (a :class:`Derivation` or a list of
them), checks it and prints a per-step report and the number of steps per status (or one JSON
document).  Exit code 0 when every derivation is ok (:attr:`Report.ok`: no step REFUTED, UNPROVEN
or VACUOUS, and at least one PROVEN or ASSUMED step -- TRIVIAL steps are allowed but are no
evidence), 1 otherwise (each failing step named with its file), 2 on a usage error (missing file,
no derivation in it, a derivation refused with a ``ConfigError``).

``bounds_command`` prints every bound with its statement, hypotheses, exponent in each size knob and
provenance, as LaTeX (booktabs), Markdown or JSON.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sympy as sp

from ..errors import WideproofError
from ._bound import Bound, Scaling
from ._derivation import Derivation, Report, versions
from ._registry import all_bounds
from ._smt import recheck

__all__ = ["bounds_command", "prove_command"]

_KNOB_SYMBOLS = ("m", "k", "L", "n", "d")


class _UsageError(Exception):
    pass


def _default_paths() -> list[Path]:
    here = Path.cwd() / "proofs"
    if not here.is_dir():
        here = Path(__file__).resolve().parents[3] / "proofs"
    if not here.is_dir():
        raise _UsageError("no proofs/ folder found (run from the repository root or name files)")
    return sorted(here.glob("*_proof.py"))


def _expand(paths: list[str]) -> list[Path]:
    if not paths:
        return _default_paths()
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += sorted(path.glob("*_proof.py"))
        elif path.is_file():
            out.append(path)
        else:
            raise _UsageError(f"path {p!r} does not exist")
    return out


def _load(path: Path) -> list[Derivation]:
    name = f"_wideproof_proof_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _UsageError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    if hasattr(module, "derivation"):
        found = module.derivation()
    elif hasattr(module, "DERIVATION"):
        found = module.DERIVATION
    else:
        raise _UsageError(f"{path}: defines neither derivation() nor DERIVATION")
    items = found if isinstance(found, (list, tuple)) else [found]
    if not items or not all(isinstance(d, Derivation) for d in items):
        raise _UsageError(f"{path}: derivation() must return a Derivation or a list of them")
    return list(items)


def prove_command(paths: list[str], as_json: bool, second_opinion: bool = False) -> int:
    """Check the derivations in ``paths`` (default ``proofs/``); print; return the exit code.

    ``second_opinion``: re-run every z3 proof's SMT-LIB query with cvc5 (:func:`recheck`); a
    ``sat`` answer (cvc5 disagrees) fails the run, ``unknown`` is reported only.
    """
    try:
        files = _expand(paths)
        loaded = [(f, _load(f)) for f in files]
        results: list[tuple[Path, Report]] = [(f, d.check()) for f, ds in loaded for d in ds]
        opinions = _second_opinions(r for _, r in results) if second_opinion else []
    except (_UsageError, WideproofError, SyntaxError, ImportError) as exc:
        print(f"wideproof prove: error: {exc}", file=sys.stderr)
        return 2
    disagree = [o for o in opinions if o[2] == "sat"]
    ok = all(r.ok for _, r in results) and not disagree
    if as_json:
        doc: dict[str, Any] = {
            "ok": ok,
            "derivations": [{"file": str(f), **r.to_json()} for f, r in results],
            "versions": versions(),
        }
        if second_opinion:
            doc["second_opinion"] = [
                {"derivation": name, "step": i, "cvc5": answer} for name, i, answer in opinions
            ]
        print(json.dumps(doc, indent=2))
    else:
        for f, r in results:
            print(f"{f}:")
            print(r.format())
        failures = [(f, name, s) for f, r in results for name, s in r.failures()]
        for f, name, s in failures:
            print(f"FAILED {f} :: {name} :: step {s.index} ({s.kind}) {s.status}: {s.statement}")
        for f, r in results:
            if not r.ok and not r.failures():
                print(f"FAILED {f} :: {r.name} :: no PROVEN or ASSUMED step (TRIVIAL only)")
        counts = _total_counts(r for _, r in results)
        total = sum(counts.values())
        shown = ", ".join(f"{n} {k}" for k, n in counts.items())
        print(f"{len(results)} derivations, {total} steps ({shown}), {len(failures)} failing")
        if second_opinion:
            for name, i, answer in opinions:
                if answer != "unsat":
                    print(f"SECOND OPINION {name} :: step {i}: cvc5 says {answer}")
            confirmed = sum(answer == "unsat" for _, _, answer in opinions)
            print(f"second opinion (cvc5): {confirmed} of {len(opinions)} z3 proofs confirmed")
    return 0 if ok else 1


def _second_opinions(reports: Iterable[Report]) -> list[tuple[str, int, str]]:
    """``(derivation, step, cvc5's answer)`` for every z3-proven step, lemmas included."""
    return [
        (r.name, s.index, recheck(s.smtlib))
        for r in _all_reports(reports)
        for s in r.steps
        if s.status == "PROVEN" and s.smtlib
    ]


def _all_reports(reports: Iterable[Report]) -> list[Report]:
    """The reports and their lemmas' reports, each once (a lemma may serve two derivations)."""
    seen: dict[int, Report] = {}
    todo = list(reports)
    while todo:
        r = todo.pop(0)
        if id(r) not in seen:
            seen[id(r)] = r
            todo += r.uses
    return list(seen.values())


def _total_counts(reports: Iterable[Report]) -> dict[str, int]:
    """Steps per status over the reports and their lemmas (each counted once)."""
    out: dict[str, int] = {}
    for r in _all_reports(reports):
        for k, n in r.counts().items():
            out[k] = out.get(k, 0) + n
    return out


# -- bounds table ----------------------------------------------------------------------------
def _exponents(b: Bound) -> dict[str, Scaling]:
    free = {s.name for s in sp.sympify(b.expr).free_symbols}
    out: dict[str, Scaling] = {}
    for name in _KNOB_SYMBOLS:
        if name in free:
            try:
                out[name] = b.exponent_in(name)
            except WideproofError:
                continue
    return out


def _rows() -> list[tuple[Bound, dict[str, Scaling]]]:
    return [(b, _exponents(b)) for b in all_bounds()]


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


def _md_math(latex: str) -> str:
    """LaTeX without bare ``|`` (which would split a Markdown table cell)."""
    return latex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")


def _markdown(rows: list[tuple[Bound, dict[str, Scaling]]]) -> str:
    lines = ["| bound | statement | hypotheses | exponents | provenance |", "|---|---|---|---|---|"]
    for b, ex in rows:
        exps = "; ".join(f"{k}: {s}" for k, s in ex.items()) or "-"
        prov = f"{b.provenance.cite()} {b.provenance.tag}; `{b.provenance.proof}`"
        lines.append(
            f"| `{b.name}` | ${_md_math(b.to_latex())}$ | "
            f"{_md_escape('; '.join(h.name for h in b.hypotheses)) or '-'} | "
            f"{_md_escape(exps)} | {_md_escape(prov)} |"
        )
    return "\n".join(lines)


def _latex_text(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("#", r"\#"),
        ("^", r"\^{}"),
    ):
        text = text.replace(a, b)
    return text


def _latex(rows: list[tuple[Bound, dict[str, Scaling]]]) -> str:
    lines = [
        r"\begin{tabular}{lllll}",
        r"\toprule",
        r"bound & statement & hypotheses & exponents & provenance \\",
        r"\midrule",
    ]
    for b, ex in rows:
        exps = "; ".join(f"{k}: {s}" for k, s in ex.items()) or "-"
        lines.append(
            f"\\texttt{{{_latex_text(b.name)}}} & ${b.to_latex()}$ & "
            f"{_latex_text('; '.join(h.name for h in b.hypotheses)) or '-'} & "
            f"{_latex_text(exps)} & {_latex_text(b.provenance.cite() + ' ' + b.provenance.tag)}"
            r" \\"
        )
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def bounds_command(fmt: str) -> int:
    """Print every bound as a ``latex``, ``markdown`` or ``json`` table; return the exit code."""
    if fmt not in ("latex", "markdown", "json"):
        print(
            f"wideproof bounds: error: format={fmt!r} must be latex, markdown or json",
            file=sys.stderr,
        )
        return 2
    rows = _rows()
    if fmt == "json":
        doc: Any = [b.to_json(ex) for b, ex in rows]
        print(json.dumps(doc, indent=2))
    elif fmt == "markdown":
        print(_markdown(rows))
    else:
        print(_latex(rows))
    return 0
