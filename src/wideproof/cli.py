"""``wideproof`` command line: every verb is one library call.

* ``wideproof list [--json]`` -- the registered claims (:func:`wideproof.claims.all`);
* ``wideproof verify ID ... | --all [--profile quick|full] [--device cpu|cuda] [--executor E]
  [--store PATH] [--seeds N] [--json]`` -- :meth:`Claim.verify` for each claim; exit 0 when all
  HOLD, 1 when any FAILS or is INCONCLUSIVE;
* ``wideproof table [ID ...] [--store PATH] [--format latex|markdown|csv|json] [--out FILE]`` --
  :func:`wideproof.report.table_from_store` (no recomputation);
* ``wideproof plot ID --out FILE.(png|pdf|svg) [--store PATH] [--profile P]`` --
  :func:`wideproof.report.plot_verdict` of the stored verdict;
* ``wideproof prove [PATH ...] [--json]`` and ``wideproof bounds [--format ...]`` --
  :mod:`wideproof.symbolic.commands`.

Usage and configuration errors (an unknown claim id or profile, an unreachable Dask scheduler, an
unwritable or foreign store, a violated theorem hypothesis) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import ConfigError, WideproofError

__all__ = ["main"]


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
    try:
        code: int = args.run(args)
        return code
    except (WideproofError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"wideproof {args.verb}: error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"wideproof {args.verb}: interrupted", file=sys.stderr)
        return 130


def _parser() -> _Parser:
    from .sweeps import DEFAULT_STORE

    parser = _Parser(prog="wideproof", description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="list the registered claims")
    p.add_argument("--json", action="store_true", help="print JSON")
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
    p.set_defaults(run=_verify)

    p = sub.add_parser("table", help="render stored verdicts as a table")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all stored)")
    p.add_argument("--store", default=DEFAULT_STORE, help=f"result store (default {DEFAULT_STORE})")
    p.add_argument("--format", default="markdown", choices=("latex", "markdown", "csv", "json"))
    p.add_argument("--out", default=None, help="write to FILE instead of stdout")
    p.set_defaults(run=_table)

    p = sub.add_parser("plot", help="log-log plot of a stored verdict")
    p.add_argument("id", metavar="ID")
    p.add_argument("--out", required=True, help="FILE.png, FILE.pdf or FILE.svg")
    p.add_argument("--store", default=DEFAULT_STORE, help=f"result store (default {DEFAULT_STORE})")
    p.add_argument("--profile", default=None, help="which stored profile (default: the latest)")
    p.set_defaults(run=_plot)

    p = sub.add_parser("prove", help="check the derivations in proofs/")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_prove)

    p = sub.add_parser("bounds", help="print every symbolic bound")
    p.add_argument("--format", default="markdown", choices=("latex", "markdown", "json"))
    p.set_defaults(run=_bounds)
    return parser


def _list(args: argparse.Namespace) -> int:
    from . import claims

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
        print(json.dumps(doc, indent=2))
    else:
        for c in items:
            print(f"{c.id}\n    {c.statement}\n    rule: {c.rule_text}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from . import claims
    from .report import VerdictTable
    from .sweeps import ResultStore

    if args.all == bool(args.ids):
        raise ConfigError("give claim ids or --all (not both)")
    chosen = claims.all() if args.all else tuple(claims.get(i) for i in args.ids)
    for c in chosen:  # unknown profiles and unusable grids fail before anything runs
        check_grid = getattr(c.rule, "check_grid", None)
        grid = c.grid(args.profile, seeds=args.seeds)
        if check_grid is not None:
            check_grid(grid)
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
        print(json.dumps(doc, indent=2))
    else:
        print()
        print(VerdictTable.of(verdicts).render("markdown"), end="")
    return 0 if ok else 1


def _table(args: argparse.Namespace) -> int:
    from .report import table_from_store
    from .sweeps import ResultStore

    with ResultStore(args.store, create=False) as store:
        text = table_from_store(store, args.ids or None).render(args.format)
    _emit(text, args.out)
    return 0


def _plot(args: argparse.Namespace) -> int:
    from . import claims
    from .report import plot_verdict
    from .sweeps import ResultStore

    claims.get(args.id)
    with ResultStore(args.store, create=False) as store:
        stored = [
            s
            for s in store.verdicts([args.id])
            if args.profile is None or s.profile == args.profile
        ]
    if not stored:
        which = f" (profile {args.profile})" if args.profile else ""
        raise ConfigError(
            f"no stored verdict for {args.id}{which} in {args.store}; run `wideproof verify` first"
        )
    latest = max(stored, key=lambda s: s.stored)
    path = plot_verdict(claims.Verdict.from_json(latest.verdict), args.out)
    print(path)
    return 0


def _prove(args: argparse.Namespace) -> int:
    from .symbolic.commands import prove_command

    return prove_command(list(args.paths), bool(args.json))


def _bounds(args: argparse.Namespace) -> int:
    from .symbolic.commands import bounds_command

    return bounds_command(str(args.format))


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
