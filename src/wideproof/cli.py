"""``wideproof`` command line: every verb is one library call.

* ``wideproof list [--json]`` -- the registered claims (:func:`wideproof.claims.all`);
* ``wideproof verify ID ... | --all [--profile quick|full] [--device cpu|cuda] [--executor E]
  [--store PATH] [--seeds N] [--json]`` -- :meth:`Claim.verify` for each claim (an ID with a
  shell wildcard, ``cohen2021.*``, selects every matching claim); exit 0 when all
  HOLD, 1 when any FAILS or is INCONCLUSIVE;
* ``wideproof table [ID ...] [--store PATH] [--format latex|markdown|csv|json] [--out FILE]
  [--wide] [--standalone] [--siunitx]`` -- :func:`wideproof.report.table_from_store` (no
  recomputation); the format defaults to the suffix of ``--out`` (``.tex .md .csv .json``);
  ``--points`` lists the per-point values behind each verdict instead (markdown, csv, json);
* ``wideproof plot ID --out FILE.(png|pdf|svg) [--store PATH] [--profile P]`` --
  :func:`wideproof.report.plot_verdict` of the stored verdict (a threshold or trajectory claim is
  drawn from its stored points and series, without re-running);
* ``wideproof store check|repair PATH`` -- :func:`wideproof.sweeps.check_store` lists the
  damaged rows (exit 1 when there are any), :func:`wideproof.sweeps.repair_store` backs the store
  up and drops them;
* ``wideproof prove [PATH ...] [--json] [--second-opinion]`` (imports, i.e. executes, each proof file as Python) and
  ``wideproof bounds [NAME ...] [--format ...] [--wide] [--standalone]`` --
  :mod:`wideproof.symbolic.commands`;
* ``wideproof --version``.

``list``, ``verify``, ``table`` and ``plot`` take ``--claims FILE.py`` (repeatable): the claims
declared in your own Python file, ids in the ``user.`` namespace
(:func:`wideproof.claims.load_file`), e.g. ``wideproof verify --claims my_claims.py user.cnn-width``.

Output cut short by a closed pipe (``wideproof list --json | head``) ends quietly with exit code
0: the reader has what it asked for.

Usage and configuration errors (an unknown claim id or profile, an unreachable Dask scheduler, an
unwritable, malformed or foreign store, a violated theorem hypothesis) print one line on stderr
and exit 2.  An interrupt (Ctrl-C) prints one line and exits 130; every point finished before it
is in the store.  JSON output is strict (non-finite floats as ``"inf"``, ``"-inf"``, ``"nan"``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import ConfigError, WideproofError

if TYPE_CHECKING:
    from .claims import Claim, Verdict
    from .report import TableFormat
    from .sweeps import Point, ResultStore

__all__ = ["main"]


_SUFFIX_FORMATS: dict[str, TableFormat] = {
    ".tex": "latex",
    ".md": "markdown",
    ".csv": "csv",
    ".json": "json",
}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: error: {message}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    try:
        if getattr(args, "claims", None):
            from .claims import load_file

            for path in args.claims:
                load_file(path)
        code: int = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        # the reader (`| head`) closed the pipe: it has what it wanted; stay quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (WideproofError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"wideproof {args.verb}: error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = f"; every finished point is kept in {args.store}" if args.verb == "verify" else ""
        print(f"wideproof {args.verb}: interrupted{kept}", file=sys.stderr)
        return 130


def _parser() -> _Parser:
    from . import __version__
    from .sweeps import DEFAULT_STORE

    parser = _Parser(prog="wideproof", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"wideproof {__version__}")
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="list the registered claims")
    p.add_argument("--json", action="store_true", help="print JSON")
    _claims_option(p)
    p.set_defaults(run=_list)

    p = sub.add_parser("verify", help="measure and decide claims")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (see `wideproof list`)")
    p.add_argument("--all", action="store_true", help="every registered claim")
    p.add_argument("--profile", default="quick", help="quick (default) or full")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    p.add_argument(
        "--executor", default=None, help="processes[:N] (default), threads[:N] or dask://HOST:PORT"
    )
    p.add_argument("--store", default=DEFAULT_STORE, help=f"result store (default {DEFAULT_STORE})")
    p.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="use seeds 0..N-1 instead (stored as PROFILE@seeds=N)",
    )
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    _claims_option(p)
    p.set_defaults(run=_verify)

    p = sub.add_parser("table", help="render stored verdicts as a table")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all stored)")
    p.add_argument("--store", default=DEFAULT_STORE, help=f"result store (default {DEFAULT_STORE})")
    p.add_argument(
        "--format",
        default=None,
        choices=("latex", "markdown", "csv", "json"),
        help="default: from the --out suffix (.tex .md .csv .json), else markdown",
    )
    p.add_argument("--out", default=None, help="write to FILE instead of stdout")
    _latex_options(p)
    p.add_argument("--siunitx", action="store_true", help="LaTeX: numbers as siunitx \\num")
    p.add_argument(
        "--points", action="store_true", help="list the per-point values behind each verdict"
    )
    _claims_option(p)
    p.set_defaults(run=_table)

    p = sub.add_parser("plot", help="plot a stored verdict (fit, threshold or trajectory)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--out", required=True, help="FILE.png, FILE.pdf or FILE.svg")
    p.add_argument("--store", default=DEFAULT_STORE, help=f"result store (default {DEFAULT_STORE})")
    p.add_argument("--profile", default=None, help="which stored profile (default: the latest)")
    _claims_option(p)
    p.set_defaults(run=_plot)

    p = sub.add_parser("store", help="check or repair a result store")
    p.add_argument("action", choices=("check", "repair"))
    p.add_argument("path", metavar="PATH")
    p.set_defaults(run=_store)

    p = sub.add_parser(
        "prove", help="check the derivations in proofs/ (imports, i.e. runs, each file as Python)"
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--second-opinion",
        action="store_true",
        help="re-run every z3 proof's SMT-LIB query with cvc5 (pip install 'wideproof[smt]')",
    )
    p.set_defaults(run=_prove)

    p = sub.add_parser("bounds", help="print the symbolic bounds")
    p.add_argument("names", nargs="*", metavar="NAME", help="name prefixes (default: every bound)")
    p.add_argument("--format", default="markdown", choices=("latex", "markdown", "json"))
    _latex_options(p)
    p.set_defaults(run=_bounds)
    return parser


def _claims_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--claims",
        action="append",
        metavar="FILE.py",
        help="also the claims declared in this Python file (ids user.*); repeatable",
    )


def _latex_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wide", action="store_true", help="LaTeX: a table* float (\\textwidth, two-column papers)"
    )
    p.add_argument(
        "--standalone", action="store_true", help="LaTeX: a complete document, not a fragment"
    )


def _list(args: argparse.Namespace) -> int:
    from . import claims
    from .sweeps._json import dumps

    items = claims.all()
    if args.json:
        doc = [
            {
                "id": c.id,
                "paper": c.paper,
                "statement": c.statement,
                "knob": c.knob,
                "rule": c.rule_text,
                "profiles": {
                    name: {"values": list(p.values), "seeds": list(p.seeds), "args": c.args(name)}
                    for name, p in sorted(c.profiles.items())
                },
            }
            for c in items
        ]
        print(dumps(doc, indent=2))
    else:
        for c in items:
            print(f"{c.id}\n    {c.statement}\n    rule: {c.rule_text}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from . import claims
    from .report import VerdictTable
    from .sweeps import MAX_POINTS, ResultStore, check_executor
    from .sweeps._json import dumps

    if args.all == bool(args.ids):
        raise ConfigError("give claim ids or --all (not both)")
    if args.seeds is not None and not 1 <= args.seeds <= MAX_POINTS:
        raise ConfigError(f"--seeds {args.seeds} must be between 1 and {MAX_POINTS}")
    check_executor(args.executor, connect=True)
    chosen = claims.all() if args.all else tuple(c for i in args.ids for c in _selected(i))
    for c in chosen:  # unknown profiles and unusable grids fail before anything runs
        check_grid = getattr(c.rule, "check_grid", None)
        grid = c.grid(args.profile, seeds=args.seeds)
        if check_grid is not None:
            check_grid(grid)
        _check_family(c, args.profile)
    results: list[dict[str, Any]] = []
    verdicts = []
    with ResultStore(args.store) as store:
        for c in chosen:
            started = time.perf_counter()
            verdict = c.verify(
                args.profile,
                device=args.device,
                executor=args.executor,
                store=store,
                seeds=args.seeds,
                progress="auto",
            )
            seconds = time.perf_counter() - started
            label = claims.profile_label(args.profile, args.seeds)
            verdicts.append((label, verdict))
            results.append(
                {
                    **verdict.to_json(),
                    "profile": label,
                    "points_computed": verdict.evidence["points_computed"],
                    "points_reused": verdict.evidence["points_reused"],
                    "seconds": seconds,
                }
            )
            if not args.json:
                ev = verdict.evidence
                print(
                    f"{verdict.status:<12} {verdict.claim_id}: {ev.get('reason', '')} "
                    f"({ev['points_computed']} points computed, {ev['points_reused']} reused, "
                    f"{seconds:.1f} s)"
                )
    ok = all(v.holds for _, v in verdicts)
    if args.json:
        doc = {
            "status": "HOLDS" if ok else "NOT ALL HOLD",
            "points_computed": sum(r["points_computed"] for r in results),
            "points_reused": sum(r["points_reused"] for r in results),
            "seconds": sum(r["seconds"] for r in results),
            "verdicts": results,
        }
        print(dumps(doc, indent=2))
    else:
        print()
        print(VerdictTable.of(verdicts).render("markdown"), end="")
    return 0 if ok else 1


def _stored_points(store: ResultStore, ids: list[str] | None) -> list[tuple[str, str, Point]]:
    """``(claim id, profile, point)`` behind the latest stored verdict of each claim and profile."""
    from . import claims

    latest: dict[tuple[str, str], Any] = {}
    for s in store.verdicts(ids):
        key = (s.claim_id, s.profile)
        if key not in latest or s.stored > latest[key].stored:
            latest[key] = s
    out: list[tuple[str, str, Point]] = []
    for (claim_id, profile), s in sorted(latest.items()):
        points = _points_of(store, claims.Verdict.from_json(s.verdict))
        out.extend((claim_id, profile, p) for p in sorted(points, key=lambda p: (p.value, p.seed)))
    return out


def _check_family(claim: Claim, profile: str) -> None:
    """Build the claim's family specs now, so a bug in a user's family is reported as that claim's
    family's, with its frames, before any point runs (a ConfigError)."""
    from .sweeps._execute import measure_frames

    try:
        claim.tasks(profile)
    except WideproofError:
        raise
    except Exception as exc:
        frames = measure_frames(exc, below=("_grid.py", "tasks"))
        raise ConfigError(
            f"claim {claim.id}: its family raised {type(exc).__name__}: {exc} [in the family: "
            f"{frames}]"
        ) from exc


def _selected(pattern: str) -> tuple[Claim, ...]:
    """The claim ``pattern`` names, or every claim matching it when it has a shell wildcard
    (``cohen2021.*``); a wildcard that matches nothing is a ConfigError."""
    import fnmatch

    from . import claims

    if not any(ch in pattern for ch in "*?["):
        return (claims.get(pattern),)
    found = tuple(c for c in claims.all() if fnmatch.fnmatchcase(c.id, pattern))
    if not found:
        raise ConfigError(f"no claim id matches {pattern!r}; `wideproof list` shows them all")
    return found


def _table(args: argparse.Namespace) -> int:
    from .report import render_points, table_from_store
    from .sweeps import ResultStore

    fmt: TableFormat = args.format or _SUFFIX_FORMATS.get(
        Path(args.out or "").suffix.lower(), "markdown"
    )
    with ResultStore(args.store, readonly=True) as store:
        if args.points:
            text = render_points(_stored_points(store, args.ids or None), fmt)
        else:
            text = table_from_store(store, args.ids or None).render(
                fmt, wide=args.wide, standalone=args.standalone, siunitx=args.siunitx
            )
    _emit(text, args.out)
    return 0


def _plot(args: argparse.Namespace) -> int:
    from . import claims
    from .report import plot_verdict
    from .sweeps import ResultStore

    # the stored verdict is all a plot needs: a user claim plots without WIDEPROOF_CLAIMS
    with ResultStore(args.store, readonly=True) as store:
        stored = [
            s
            for s in store.verdicts([args.id])
            if args.profile is None or s.profile == args.profile
        ]
        if not stored:
            which = f" (profile {args.profile})" if args.profile else ""
            raise ConfigError(
                f"no stored verdict for {args.id}{which} in {args.store}; "
                "run `wideproof verify` first"
            )
        latest = max(stored, key=lambda s: s.stored)
        verdict = claims.Verdict.from_json(latest.verdict)
        path = plot_verdict(verdict, args.out, points=lambda: _points_of(store, verdict))
    print(path)
    return 0


def _points_of(store: ResultStore, verdict: Verdict) -> list[Point]:
    """The stored points behind ``verdict``: its claim's tasks at the verdict's profile, seeds,
    dtype and device (a threshold or trajectory plot needs them; a fit plot does not)."""
    from . import claims

    ev = verdict.evidence
    claim = claims.get(verdict.claim_id)
    seeds = set(ev.get("seeds", ()))
    tasks = [
        t
        for t in claim.tasks(
            str(ev.get("profile", "quick")),
            dtype=str(ev.get("dtype", "float64")),
            device=str(ev.get("device", "cpu")),
        )
        if not seeds or t.seed in seeds
    ]
    return list(store.get_many([t.key() for t in tasks]).values())


def _store(args: argparse.Namespace) -> int:
    from .sweeps import check_store, repair_store

    if args.action == "check":
        damaged = check_store(args.path)
        for d in damaged:
            print(f"damaged {d}")
        print(f"{args.path}: {len(damaged)} damaged rows")
        return 1 if damaged else 0
    backup, dropped = repair_store(args.path)
    for d in dropped:
        print(f"dropped {d}")
    print(f"{args.path}: dropped {len(dropped)} damaged rows; the original is kept as {backup}")
    return 0


def _prove(args: argparse.Namespace) -> int:
    from .symbolic.commands import prove_command

    return prove_command(list(args.paths), bool(args.json), bool(args.second_opinion))


def _bounds(args: argparse.Namespace) -> int:
    from .symbolic.commands import bounds_command

    return bounds_command(
        str(args.format), names=tuple(args.names), wide=args.wide, standalone=args.standalone
    )


def _emit(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None


if __name__ == "__main__":
    sys.exit(main())
