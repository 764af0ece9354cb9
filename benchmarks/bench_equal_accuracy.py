"""Loss-Hessian top eigenvalues at equal certified accuracy: wideproof against every anchor.

Problem: ``benchmarks/_problem.py`` (tanh MLP 32-256-256-10, 512 samples, ``MSELoss(mean)``) and,
for the scan, the same network at widths 64, 256 and 1024 (depth 2).  The target accuracy is a
relative error of 1e-6 *certified by a residual*: a Ritz pair :math:`(\\theta, z)` with
:math:`\\|Hz - \\theta z\\| \\le 10^{-6}|\\theta|` (Parlett 1998, Thm 4.5.1).  Each competitor runs
where it reaches that:

* ``wideproof``: ``hessian_eigs(..., tol=1e-6)`` (its bound is a residual from fresh products);
* ``baseline``: the plain Lanczos written below -- full reorthogonalization, double-backward
  Hessian-vector products on a reused autograd graph, stopped at relative residual 1e-6;
* ``eigenthings-N``: hessian-eigenthings' Lanczos for a fixed ``N`` steps (25, 35, 40); it is at
  equal accuracy when its own reported residuals are at most 1e-6 relative;
* ``pyhessian-tol``: PyHessian's power iteration with its tolerance tightened to 1e-6 (it
  certifies nothing: the relative change of the estimate is not a residual);
* ``torch.func`` / ``curvlinops`` / ``backpack`` products under ARPACK ``eigsh(tol=1e-6)``, whose
  stopping rule is the same residual test.

Every competitor runs in its own one-thread process; the float64 references (ARPACK at 1e-13 on
torch.func products) are computed first in separate processes; every record's relative error is
measured against them before any timing.  Competitors run interleaved, ``--rounds`` times; ratios
use the best time over all rounds.  Where a competitor returns its vectors (the baseline), the
column *float64 residual* gives their largest relative residual under float64 products, outside
the timing (its own stopping estimate in float32 is not a certified residual), and equal accuracy
then also needs it at most 1e-6.

    python benchmarks/bench_equal_accuracy.py [--quick] [--rounds 3] [--repeats 2]
        [--cases top-1,top-5,scan|scan:64]

``--quick``: top-1 on the main problem only, with wideproof, the baseline, hessian-eigenthings at
35 steps and torch.func + eigsh (``--quick --rounds 1``: about 1 minute on an idle machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
from _harness import (
    NotInstalled,
    fmt,
    interleaved,
    machine_info,
    markdown_table,
    run_worker,
    save,
    summary,
    timed,
    worker_main,
)
from _problem import SIZES, torch_problem, wideproof_model
from bench_hessian import _split, pyhessian_eigenvalues, solve_backpack, solve_curvlinops

ACCURACY = 1e-6
DTYPES = {"float32": torch.float32, "float64": torch.float64}
SCAN_WIDTHS = (64, 256, 1024)
MIN_TIMED_S = 2.0
"""A job shorter than this is repeated until its timed runs add up to this long (at most 50
runs): a 50 ms solve timed twice is dominated by the machine's noise (the same width-64 job gave
40-55 ms best and 60-64 ms median in four processes of ten runs each)."""


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(","))


def _autograd_hvp(net: torch.nn.Module, X: torch.Tensor, Y: torch.Tensor) -> Any:
    """Double-backward products on one reused gradient graph of ``MSELoss(mean)``."""
    params = list(net.parameters())
    loss = torch.nn.functional.mse_loss(net(X), Y)
    grads = torch.autograd.grad(loss, params, create_graph=True)

    def hvp(v: torch.Tensor) -> torch.Tensor:
        hv = torch.autograd.grad(grads, params, _split(v, params), retain_graph=True)
        return torch.cat([h.reshape(-1) for h in hv])

    return hvp, sum(p.numel() for p in params)


# -- the plain-Lanczos baseline ------------------------------------------------------------------
def plain_lanczos(hvp: Any, n: int, dtype: torch.dtype, k: int, tol: float) -> dict[str, Any]:
    """The baseline: Lanczos from a seeded random vector, classical Gram-Schmidt twice against the
    whole basis every step, stopped when the ``k`` largest Ritz values all have
    :math:`\\beta_j|s_{ji}| \\le \\mathtt{tol}\\,|\\theta_i|`."""
    q = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=dtype)
    basis = [q / q.norm()]
    alphas: list[float] = []
    betas: list[float] = []
    for j in range(400):
        w = hvp(basis[j])
        alphas.append(float(basis[j] @ w))
        Q = torch.stack(basis)
        w = w - Q.T @ (Q @ w)
        w = w - Q.T @ (Q @ w)
        beta = float(w.norm())
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        theta, s = np.linalg.eigh(t)
        res = beta * np.abs(s[-1, -k:])
        if j + 1 >= k and bool(np.all(res <= tol * np.abs(theta[-k:]))):
            coeff = torch.as_tensor(s[:, -k:], dtype=dtype)
            return {
                "values": theta[-k:].tolist(),
                "residual": float(np.max(res / np.abs(theta[-k:]))),
                "hvps": j + 1,
                "vectors": Q.T @ coeff,
            }
        betas.append(beta)
        basis.append(w / beta)
    raise RuntimeError("the baseline did not converge in 400 steps")


# -- competitors: (net, X, Y, k, args) -> values (ascending), own residual (relative), HVPs --------
def solve_wideproof(net: Any, X: Any, Y: Any, k: int, args: argparse.Namespace) -> dict[str, Any]:
    from wideproof.measures import hessian_eigs

    model = wideproof_model(net)
    scale = Y.shape[1]  # wideproof's "mean" is k times MSELoss(mean)
    spec = hessian_eigs(
        model, X, k, of="loss", targets=Y, which="largest", method="lanczos", tol=ACCURACY
    )
    values = [v / scale for v in spec.eigenvalues]
    bound = max(b / abs(v) for b, v in zip(spec.error_bounds, spec.eigenvalues, strict=True))
    return {"values": values, "residual": bound, "hvps": spec.matvecs}


def solve_baseline(net: Any, X: Any, Y: Any, k: int, args: argparse.Namespace) -> dict[str, Any]:
    hvp, n = _autograd_hvp(net, X, Y)
    return plain_lanczos(hvp, n, X.dtype, k, ACCURACY)


def solve_eigenthings(net: Any, X: Any, Y: Any, k: int, args: argparse.Namespace) -> dict[str, Any]:
    try:
        from hessian_eigenthings import HessianOperator, lanczos, supervised_loss
    except ImportError as exc:
        raise NotInstalled("hessian-eigenthings") from exc
    op = HessianOperator(net, [(X, Y)], supervised_loss(torch.nn.MSELoss()))
    res = lanczos(op, k=k, max_iter=args.steps, seed=0, which="LA")
    values = [float(v) for v in res.eigenvalues]
    rel = [float(r) / abs(v) for r, v in zip(res.residuals, values, strict=True)]
    order = np.argsort(values)
    return {"values": [values[i] for i in order], "residual": max(rel), "hvps": args.steps}


def solve_pyhessian(net: Any, X: Any, Y: Any, k: int, args: argparse.Namespace) -> dict[str, Any]:
    values, hvps = pyhessian_eigenvalues(net, X, Y, maxIter=2000, tol=ACCURACY, top_n=k)
    return {"values": sorted(values), "residual": None, "hvps": hvps}


def solve_torch_func(net: Any, X: Any, Y: Any, k: int, args: argparse.Namespace) -> dict[str, Any]:
    from scipy.sparse.linalg import LinearOperator, eigsh
    from torch.func import functional_call, jacrev, jvp

    names = [name for name, _ in net.named_parameters()]
    params = {name: p.detach() for name, p in net.named_parameters()}
    like = [params[name] for name in names]
    grad_fn = jacrev(lambda p: torch.nn.functional.mse_loss(functional_call(net, p, (X,)), Y))
    count = [0]

    def mv(x: np.ndarray) -> np.ndarray:
        count[0] += 1
        v = torch.from_numpy(np.ascontiguousarray(x).reshape(-1)).to(X.dtype)
        out = jvp(grad_fn, (params,), (dict(zip(names, _split(v, like), strict=True)),))[1]
        return torch.cat([out[name].reshape(-1) for name in names]).numpy()

    n = sum(p.numel() for p in like)
    np_dtype = np.float32 if X.dtype == torch.float32 else np.float64
    v0 = np.random.default_rng(0).standard_normal(n).astype(np_dtype)
    op = LinearOperator((n, n), matvec=mv, dtype=np_dtype)
    tol = args.ref_tol if args.ref_tol > 0 else ACCURACY
    vals = eigsh(op, k=k, which="LA", tol=tol, v0=v0, return_eigenvectors=False)
    return {"values": sorted(float(v) for v in vals), "residual": tol, "hvps": count[0]}


def _top1(solver: Any) -> Any:
    def run(net: Any, X: Any, Y: Any, k: int, args: argparse.Namespace) -> dict[str, Any]:
        if k != 1:
            raise NotInstalled("top-1 only in this benchmark")
        out = solver(net, X, Y)
        return {"values": [out["value"]], "residual": ACCURACY, "hvps": out["hvps"]}

    return run


SOLVERS = {
    "wideproof": solve_wideproof,
    "baseline": solve_baseline,
    "eigenthings": solve_eigenthings,
    "pyhessian-tol": solve_pyhessian,
    "torch.func+eigsh": solve_torch_func,
    "curvlinops+eigsh": _top1(solve_curvlinops),
    "backpack+eigsh": _top1(solve_backpack),
}


def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    net, X, Y = torch_problem(torch.float64, _sizes(args.sizes))
    args.ref_tol = 1e-13
    out = solve_torch_func(net, X, Y, args.k, args)
    return {"values": out["values"], "hvps": out["hvps"]}


def run_competitor(args: argparse.Namespace) -> dict[str, Any]:
    """Accuracy first (cold run), then ``repeats`` timed runs, more for a short job
    (:data:`MIN_TIMED_S`)."""
    net, X, Y = torch_problem(DTYPES[args.dtype], _sizes(args.sizes))
    solver = SOLVERS[args.worker]
    t0 = time.perf_counter()
    first = solver(net, X, Y, args.k, args)
    cold = time.perf_counter() - t0
    ref = [float(v) for v in args.refs.split(",")][-args.k :]
    rel = max(abs(a - b) / abs(b) for a, b in zip(first["values"], ref, strict=True))
    vectors = first.pop("vectors", None)
    _, times = timed(lambda: solver(net, X, Y, args.k, args), args.repeats, MIN_TIMED_S)
    true = None if vectors is None else _float64_residual(args, vectors)
    certified = first["residual"] is not None and first["residual"] <= ACCURACY
    return {
        **first,
        "true_residual": true,
        "rel_err": rel,
        "equal": certified and rel <= ACCURACY and (true is None or true <= ACCURACY),
        "cold_s": cold,
        **summary(times),
    }


def _float64_residual(args: argparse.Namespace, vectors: torch.Tensor) -> float:
    """The largest :math:`\\|Hz - \\theta z\\|/|\\theta|` of the returned vectors (columns),
    from float64 products of the same problem (outside the timing): what a residual-certified
    1e-6 means, whatever the competitor's own stopping estimate says."""
    hvp, _ = _autograd_hvp(*torch_problem(torch.float64, _sizes(args.sizes)))
    worst = 0.0
    for z in vectors.to(torch.float64).T:
        z = z / z.norm()
        hz = hvp(z)
        theta = float(z @ hz)
        worst = max(worst, float((hz - theta * z).norm()) / abs(theta))
    return worst


def run_profile(args: argparse.Namespace) -> dict[str, Any]:
    """wideproof's solve split into products and the rest (in-process, best of ``repeats``)."""
    from wideproof.linalg import LinearOperator, _lanczos
    from wideproof.measures import hessian_eigs

    net, X, Y = torch_problem(DTYPES[args.dtype], _sizes(args.sizes))
    model = wideproof_model(net)
    spent = [0.0]
    depth = [0]
    original = LinearOperator.matvec

    def timed_matvec(self: LinearOperator, v: torch.Tensor) -> torch.Tensor:
        # an operator built on another (a float32 copy, a block) calls its matvec inside this
        # one: only the outermost call is timed, or nested products count twice
        depth[0] += 1
        t = time.perf_counter()
        try:
            return original(self, v)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent[0] += time.perf_counter() - t

    certifying = [0.0, 0.0]  # its time, and the products' time inside it
    certify = _lanczos._certify

    def timed_certify(*a: Any) -> Any:
        t, before = time.perf_counter(), spent[0]
        try:
            return certify(*a)
        finally:
            certifying[0] += time.perf_counter() - t
            certifying[1] += spent[0] - before

    # profiling only: every product of the solve goes through this timer; restored below
    LinearOperator.matvec = timed_matvec  # type: ignore[method-assign]
    _lanczos._certify = timed_certify
    best: dict[str, Any] = {}
    for _ in range(args.repeats + 1):  # the first run warms up
        spent[0] = 0.0
        certifying[:] = [0.0, 0.0]
        t0 = time.perf_counter()
        spec = hessian_eigs(
            model,
            X,
            args.k,
            of="loss",
            targets=Y,
            which="largest",
            method="lanczos",
            tol=ACCURACY,
        )
        total = time.perf_counter() - t0
        if not best or total < best["total_s"]:
            best = {
                "total_s": total,
                "products_s": spent[0] - certifying[1],
                "certificate_s": certifying[0],
                "hvps": spec.matvecs,
                "min_s": total,
            }
    best.update(median_s=best["min_s"], dtype=args.dtype, k=args.k)
    LinearOperator.matvec = original  # type: ignore[method-assign]
    _lanczos._certify = certify
    return best


WORKERS = {
    "reference": run_reference,
    "profile": run_profile,
    **{name: run_competitor for name in SOLVERS},
}


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--ref-tol", type=float, default=0.0)
    parser.add_argument("--refs", default="", help="the reference top values, ascending")


def _jobs(quick: bool, cases: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """(worker, options) of every timed job of the chosen ``cases``: top-1 and top-5 on the main
    problem, the width scan."""
    main = ",".join(map(str, SIZES))
    anchors = (
        ["baseline", "eigenthings:35", "torch.func+eigsh"]
        if quick
        else [
            "baseline",
            "eigenthings:25",
            "eigenthings:35",
            "eigenthings:40",
            "pyhessian-tol",
            "torch.func+eigsh",
            "curvlinops+eigsh",
            "backpack+eigsh",
        ]
    )
    chosen = []
    if "top-1" in cases or quick:
        chosen.append(("top-1", main, 1, anchors))
    if "top-5" in cases and not quick:
        top5 = ["baseline", "eigenthings:40", "eigenthings:60", "torch.func+eigsh"]
        chosen.append(("top-5", main, 5, top5))
    for width in SCAN_WIDTHS:
        if width != SIZES[1] and not quick and ("scan" in cases or f"scan:{width}" in cases):
            scan = ["baseline", "eigenthings:35", "eigenthings:40"]
            chosen.append((f"width {width}", f"32,{width},{width},10", 1, scan))
    jobs = []
    for label, sizes, k, names in chosen:
        for dtype in DTYPES:
            for name in ["wideproof", *names]:
                worker, _, steps = name.partition(":")
                jobs.append(
                    (
                        name,
                        {
                            "case": label,
                            "sizes": sizes,
                            "k": k,
                            "dtype": dtype,
                            "worker": worker,
                            "steps": steps or "40",
                        },
                    )
                )
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--cases",
        default="top-1,top-5,scan",
        help="comma-separated: top-1, top-5, scan (every width) or scan:WIDTH",
    )
    args = parser.parse_args()
    rounds = args.rounds
    info = machine_info()
    print(
        f"# bench_equal_accuracy  {info['date']}  {info['cpu']}  load {info['load_average_1_5_15']}"
    )
    cases = set(args.cases.split(","))
    jobs = _jobs(args.quick, cases)
    refs: dict[str, list[float]] = {}  # the top values of every problem, ascending
    for sizes in dict.fromkeys(opts["sizes"] for _, opts in jobs):
        k = max(opts["k"] for _, opts in jobs if opts["sizes"] == sizes)
        rec = run_worker(__file__, "reference", "--sizes", sizes, "--k", str(k))
        if "error" in rec:
            sys.exit(f"reference failed: {rec['error']}")
        refs[sizes] = rec["values"]
        print(f"reference {sizes}: top {', '.join(f'{v:.10f}' for v in rec['values'])}")
    argv = [
        (
            opts["worker"],
            [
                "--dtype",
                opts["dtype"],
                "--sizes",
                opts["sizes"],
                "--k",
                str(opts["k"]),
                "--steps",
                opts["steps"],
                "--repeats",
                str(args.repeats),
                "--refs",
                ",".join(repr(v) for v in refs[opts["sizes"]]),
            ],
        )
        for _, opts in jobs
    ]
    profile_jobs = [
        ("profile", ["--dtype", d, "--k", str(k), "--repeats", str(args.repeats)])
        for k in sorted({opts["k"] for _, opts in jobs if opts["case"] in ("top-1", "top-5")})
        for d in DTYPES
    ]
    records = interleaved(__file__, argv + profile_jobs, rounds)
    for rec, (name, opts) in zip(records, jobs, strict=False):
        rec.update(label=name, **{k: opts[k] for k in ("case", "dtype", "k")})
    print()
    print(report(records[: len(jobs)], records[len(jobs) :]))
    save(
        "equal_accuracy",
        {"machine": info, "references": {str(k): v for k, v in refs.items()}, "records": records},
    )


def report(records: list[dict[str, Any]], profiles: list[dict[str, Any]]) -> str:
    out = []
    for case in dict.fromkeys(r["case"] for r in records):
        for dtype in DTYPES:
            recs = [r for r in records if r["case"] == case and r["dtype"] == dtype]
            ours = next((r for r in recs if r["label"] == "wideproof" and "error" not in r), None)
            rows = []
            for r in recs:
                if "error" in r:
                    rows.append([r["label"], "-", "-", "-", "-", "-", "-", "-", r["error"][:50]])
                    continue
                ratio = r["min_s"] / ours["min_s"] if ours else None
                rows.append(
                    [
                        r["label"],
                        r["hvps"],
                        fmt(r["rel_err"], ".1e"),
                        fmt(r["residual"], ".1e") if r["residual"] is not None else "none",
                        fmt(r.get("true_residual"), ".1e"),
                        "yes" if r["equal"] else "**no**",
                        f"{r['min_s']:.3f}",
                        f"{r['median_s']:.3f}",
                        fmt(ratio, ".2f"),
                    ]
                )
            out.append(f"### {case}, {dtype}\n")
            out.append(
                markdown_table(
                    [
                        "competitor",
                        "HVPs",
                        "rel. err",
                        "own residual/bound (rel)",
                        "float64 residual",
                        "equal accuracy",
                        "best s",
                        "median s",
                        "time / wideproof",
                    ],
                    rows,
                )
            )
            anchors = [r for r in recs if r["label"] != "wideproof" and r.get("equal")]
            if ours and anchors:
                best = min(anchors, key=lambda r: r["min_s"])
                out.append(
                    f"\nfastest equal-accuracy anchor: {best['label']} -> "
                    f"{best['min_s'] / ours['min_s']:.2f}x (wideproof equal accuracy: "
                    f"{'yes' if ours['equal'] else 'NO'})\n"
                )
    rows = [
        [
            f"top-{p.get('k', '-')}",
            p.get("dtype", "-"),
            p.get("hvps", "-"),
            fmt(p.get("total_s"), ".3f"),
            fmt(p.get("products_s"), ".3f"),
            fmt(p.get("certificate_s"), ".3f"),
            fmt(p["products_s"] / p["total_s"], ".0%") if "total_s" in p else "-",
        ]
        for p in profiles
    ]
    out.append("### where wideproof's time goes (main problem)\n")
    out.append(
        markdown_table(
            [
                "case",
                "dtype",
                "HVPs",
                "solve s",
                "iteration products s",
                "certificate s (float64 build + products)",
                "iteration products share",
            ],
            rows,
        )
    )
    return "\n".join(out)


if __name__ == "__main__":
    if not worker_main(WORKERS, _extra):
        main()
