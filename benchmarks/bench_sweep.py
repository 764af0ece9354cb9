"""Goal 5 of issue 8: a whole claim sweep, its wall time and the share spent outside the measures.

Runs ``wideproof verify CLAIM --profile PROFILE`` on a fresh result store (nothing cached) twice:

1. as users run it (a subprocess, default executor), for the wall time;
2. in this process with ``--executor threads:1``, every public function of
   ``wideproof.measures`` wrapped by a timer *before* the claims are imported, for the share of
   the wall time spent inside the measures (the rest is orchestration, fitting, the store and
   the report; the goal is < 5%).

    python benchmarks/bench_sweep.py [--claim liu2020.hessian-width] [--profile full]
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import PIN_ENV, machine_info, pin_threads, save


def instrumented(
    claim: str, profile: str, store: Path
) -> tuple[float, float, float, dict[str, int]]:
    """Wall time, time inside ``wideproof.measures`` and time in ``FamilySpec.init`` (drawing the
    models) of an in-process, one-thread run."""
    import wideproof.measures as measures
    from wideproof.families import FamilySpec

    spent = [0.0]
    calls: dict[str, int] = {}
    depth = [0]

    def wrap(name: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:  # count nested measure calls once
                    spent[0] += time.perf_counter() - t0
                calls[name] = calls.get(name, 0) + 1

        return timed_call

    for name in measures.__all__ if hasattr(measures, "__all__") else dir(measures):
        obj = getattr(measures, name)
        if callable(obj) and not isinstance(obj, type) and not name.startswith("_"):
            setattr(measures, name, wrap(name, obj))
    init_spent = [0.0]
    original_init = FamilySpec.init

    def timed_init(self: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original_init(self, *args, **kwargs)
        finally:
            init_spent[0] += time.perf_counter() - t0

    # Monkeypatched on purpose, in this benchmark process only: it attributes model construction
    # to "measures" time without touching the library.
    FamilySpec.init = timed_init  # type: ignore[method-assign]
    from wideproof.cli import main

    t0 = time.perf_counter()
    try:
        main(
            [
                "verify",
                claim,
                "--profile",
                profile,
                "--executor",
                "threads:1",
                "--store",
                str(store),
            ]
        )
    except SystemExit:
        pass
    return time.perf_counter() - t0, spent[0], init_spent[0], calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claim", default="liu2020.hessian-width")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--instrumented-only", action="store_true")
    args = parser.parse_args()
    info = machine_info()
    print(f"# bench_sweep  {info['date']}  {info['cpu']}  load {info['load_average_1_5_15']}")
    record: dict[str, Any] = {"claim": args.claim, "profile": args.profile}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.instrumented_only:
            cmd = [
                "wideproof",
                "verify",
                args.claim,
                "--profile",
                args.profile,
                "--store",
                str(Path(tmp) / "cli.sqlite"),
            ]
            t0 = time.perf_counter()
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                check=False,
                env={**__import__("os").environ, **PIN_ENV},
            )
            record["cli_wall_s"] = time.perf_counter() - t0
            record["cli_exit"] = proc.returncode
            record["cli_tail"] = proc.stdout.strip().splitlines()[-5:]
            print(f"CLI (default executor): {record['cli_wall_s']:.1f} s, exit {proc.returncode}")
            print("\n".join(record["cli_tail"]))
        pin_threads()
        wall, inside, init, calls = instrumented(
            args.claim, args.profile, Path(tmp) / "inproc.sqlite"
        )
    share = 1 - inside / wall
    rest = wall - inside - init
    record.update(
        inproc_wall_s=wall,
        measures_s=inside,
        init_s=init,
        outside_share=share,
        orchestration_share=rest / wall,
        measure_calls=calls,
    )
    print(
        f"in-process, threads:1: {wall:.2f} s = measures {inside:.2f} s + model init {init:.2f} s"
        f" + the rest {rest:.2f} s; outside the measures {100 * share:.1f}%, outside measures"
        f" and init {100 * rest / wall:.1f}% (goal < 5%); calls {calls}"
    )
    save("sweep", {"machine": info, **record})


if __name__ == "__main__":
    main()
