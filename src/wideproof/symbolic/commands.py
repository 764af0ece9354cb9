"""The ``wideproof prove`` and ``wideproof bounds`` verbs (called by :mod:`wideproof.cli`).

``prove_command`` loads each proof file (default: every ``*_proof.py`` in ``proofs/``), takes its
module-level ``derivation()`` function or ``DERIVATION`` object (a :class:`Derivation` or a list of
them), checks it and prints a per-step report and the number of steps per status (or one JSON
document).  Exit code 0 when every derivation is ok (:attr:`Report.ok`: no step REFUTED, UNPROVEN
or VACUOUS, and at least one PROVEN or ASSUMED step -- TRIVIAL steps are allowed but are no
evidence), 1 otherwise (each failing step named with its file), 2 on a usage error (missing file,
no derivation in it, a derivation refused with a ``ConfigError``).

``bounds_command`` prints every bound with its statement, hypotheses, order in each size knob and
source, as LaTeX (a booktabs float that fits the column, see :mod:`wideproof.report._latex`),
Markdown or JSON.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import re
import sys
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sympy as sp

from ..errors import WideproofError
from ..report._latex import Column, Span, latex_table, tex_escape, tex_text
from ..sweeps._json import dumps
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


@contextlib.contextmanager
def _located(path: Path) -> Iterator[None]:
    """Turn a bug in the proof file (a NameError, ...) into one line naming its file and line."""
    try:
        yield
    except (_UsageError, WideproofError, SyntaxError, ImportError):
        raise
    except Exception as exc:
        where = str(path)
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if Path(frame.filename).resolve() == path.resolve():
                where = f"{path}:{frame.lineno}"
                break
        raise _UsageError(f"{where}: {type(exc).__name__}: {exc}") from None


def _load(path: Path) -> list[Derivation]:
    name = f"_wideproof_proof_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _UsageError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _located(path):
            spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    if hasattr(module, "derivation"):
        with _located(path):
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
        print(dumps(doc, indent=2))
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


def _rows(prefixes: tuple[str, ...] = ()) -> list[tuple[Bound, dict[str, Scaling]]]:
    """The bounds whose names start with one of ``prefixes`` (all when none), with exponents."""
    return [(b, _exponents(b)) for b in all_bounds() if not prefixes or b.name.startswith(prefixes)]


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


def _md_math(latex: str) -> str:
    """LaTeX without bare ``|`` (which would split a Markdown table cell)."""
    return latex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")


def _power_latex(p: Any) -> str:
    """An exponent as a superscript: ``-1/2`` (a slash, not a built-up fraction), ``L^{2}``."""
    p = sp.nsimplify(p)
    if isinstance(p, sp.Rational) and not isinstance(p, sp.Integer):
        return f"{p.p}/{p.q}"
    return str(sp.latex(p))


def _scaling_latex(s: Scaling) -> str:
    """``Theta(v^a log(v)^b)`` as math: ``m^{-1/2}\\sqrt{\\log m}``, ``\\Theta(1)``, ``e^{\\Theta(m)}``."""
    v = sp.latex(sp.Symbol(s.variable))
    if s.power in (sp.oo, -sp.oo):
        return rf"e^{{{'-' if s.power == -sp.oo else ''}\omega(\log {v})}}"
    if s.power == 0 and s.log_power == 0:
        return r"\Theta(1)"
    parts = []
    if s.power != 0:
        parts.append(v if s.power == 1 else f"{v}^{{{_power_latex(s.power)}}}")
    if s.log_power == sp.Rational(1, 2):
        parts.append(rf"\sqrt{{\log {v}}}")
    elif s.log_power == 1:
        parts.append(rf"\log {v}")
    elif s.log_power != 0:
        parts.append(rf"(\log {v})^{{{_power_latex(s.log_power)}}}")
    return " ".join(parts)


def _scalings_latex(ex: dict[str, Scaling]) -> str:
    """Each knob's order as math; a constant order names its knob (``\\Theta(1)`` in ``m``)."""
    return ", ".join(
        f"${_scaling_latex(s)}$" + (f" in ${s.variable}$" if s.power == s.log_power == 0 else "")
        for s in ex.values()
    )


def _markdown(rows: list[tuple[Bound, dict[str, Scaling]]]) -> str:
    lines = ["| bound | statement | hypotheses | order | source |", "|---|---|---|---|---|"]
    for b, ex in rows:
        prov = f"{b.provenance.cite()}; `{b.provenance.proof}`"
        lines.append(
            f"| `{b.name}` | ${_md_math(b.to_latex())}$ | "
            f"{_md_escape('; '.join(h.name for h in b.hypotheses)) or '-'} | "
            f"{_md_math(_scalings_latex(ex)) or '-'} | {_md_escape(prov)} |"
        )
    return "\n".join(lines)


def _hypothesis_latex(name: str) -> str:
    return re.sub(r"C\\textasciicircum\{\}2", r"$C^2$", tex_escape(name))


def _latex(
    rows: list[tuple[Bound, dict[str, Scaling]]], *, wide: bool = False, standalone: bool = False
) -> str:
    """The bounds grouped by paper; hypotheses numbered (listed below the table), the order in
    each knob as math."""
    hyps = list(dict.fromkeys(h.name for b, _ in rows for h in b.hypotheses))
    key = {name: i + 1 for i, name in enumerate(hyps)}
    columns: tuple[Column[tuple[Bound, dict[str, Scaling]]], ...] = (
        Column(
            "Bound",
            lambda r: (
                rf"\texttt{{{tex_text(r[0].name.split('.', 1)[-1])}}}"
                + rf" {{\scriptsize ({tex_escape(r[0].provenance.where)})}}"
            ),
            0.26,
        ),
        Column("Statement", lambda r: f"${r[0].to_latex()}$", 0.44),
        Column(
            "Hyp.",
            lambda r: ",".join(map(str, sorted(key[h.name] for h in r[0].hypotheses))) or "--",
        ),
        Column("Order", lambda r: _scalings_latex(r[1]) or "--", 0.17),
    )
    body: list[tuple[Bound, dict[str, Scaling]] | Span] = []
    for paper, group in itertools.groupby(rows, key=lambda r: r[0].provenance.paper):
        body.append(Span(rf"\emph{{{tex_escape(paper)}}}"))
        body.extend(group)
    notes = [
        "Hypotheses: "
        + "; ".join(f"({key[h]}) {_hypothesis_latex(h)}" for h in hyps)
        + r". Order: $\Theta(\cdot)$ of the right-hand side as one size knob grows with the"
        r" others fixed. Each bound is derived step by step in \texttt{proofs/} of the"
        r" \texttt{wideproof} repository and checked by \texttt{wideproof prove}."
    ]
    return latex_table(
        columns,
        body,
        caption=r"Bounds checked symbolically by \texttt{wideproof}, grouped by paper.",
        label="tab:wideproof-bounds",
        notes=notes,
        wide=wide,
        standalone=standalone,
        size=r"\footnotesize",
    )


def bounds_command(
    fmt: str, *, names: tuple[str, ...] = (), wide: bool = False, standalone: bool = False
) -> int:
    """Print the bounds as a ``latex``, ``markdown`` or ``json`` table; return the exit code.

    ``names``: name prefixes to keep (``liu2020`` keeps every ``liu2020.*`` bound; default all).
    LaTeX: a ``table`` float ``\\columnwidth`` wide (``wide``: a ``table*`` for two-column
    papers) needing only ``booktabs``; ``standalone``: a complete document.
    """
    if fmt not in ("latex", "markdown", "json"):
        print(
            f"wideproof bounds: error: format={fmt!r} must be latex, markdown or json",
            file=sys.stderr,
        )
        return 2
    rows = _rows(names)
    if not rows:
        print(
            f"wideproof bounds: error: no bound name starts with {', '.join(names)}",
            file=sys.stderr,
        )
        return 2
    if fmt == "json":
        doc: Any = [b.to_json(ex) for b, ex in rows]
        print(dumps(doc, indent=2))
    elif fmt == "markdown":
        print(_markdown(rows))
    else:
        print(_latex(rows, wide=wide, standalone=standalone), end="")
    return 0
