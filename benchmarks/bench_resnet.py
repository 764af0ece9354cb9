"""Your own model: a small ResNet with BatchNorm (eval) and cross-entropy, wideproof against the
anchors on the loss Hessian's top eigenvalue, trace and spectral density.

Problem (:func:`resnet_problem`): ``conv3x3(3,c)-BN-ReLU``, a residual block at ``c`` channels, a
strided block to ``2c`` (1x1 convolution shortcut), a block at ``2c``, global average pooling and
``Linear(2c, 10)``; ``c = 8`` gives 9,938 parameters.  Inputs are synthetic CIFAR-shaped images
``3 x side x side`` (``side = 8`` by default, so that one float64 HVP of 256 samples stays near
0.2 s on one thread), labels uniform over 10 classes, loss ``F.cross_entropy`` (mean).  The
BatchNorm layers hold running statistics of the data (one cumulative train-mode pass) and random
affine parameters, and the network is in eval mode, so every tool differentiates the same
function.

References (float64, computed once in their own process):

* top eigenvalue: ARPACK ``eigsh(tol=1e-12)`` on torch.func Hessian-vector products;
* trace: exact, as ``tr H = tr G`` (the generalized Gauss-Newton matrix): every parameter tensor
  of this network enters the output once and linearly (convolutions, BatchNorm's eval-mode affine
  map, the linear head; ReLU and pooling hold no parameters), so the second-derivative term
  ``sum_k dL/df_k d^2 f_k`` has a zero diagonal almost everywhere and
  ``diag H = diag(J^T H_CE J)`` coordinate by coordinate.  ``G``'s trace needs the per-sample
  Jacobians (``n`` times ``vmap(jacrev)``), about 20x cheaper than ``P`` Hessian-vector products.
  The identity is checked in the same process on ``--check-coords`` random coordinates,
  ``e_i^T H e_i`` (one HVP each) against ``G_ii``.

Accuracy targets: relative error <= 1e-6 for the top eigenvalue; <= ``TRACE_ACCURACY`` (1e-2) for
the trace, every trace estimator given the same ``--trace-matvecs`` budget; for the density (same
``--density-steps``, one run; no exact reference at this size) its largest node against lambda_max
at 1e-2, and, for information, its implied trace ``P * sum_j w_j theta_j`` against the exact trace
(one probe vector: noisy by construction).  Every competitor runs in its own pinned
process (``_harness.py``); rounds are interleaved and the best time of all rounds is compared.

    /work/benchenv/bin/python benchmarks/bench_resnet.py [--quick] [--only NAME,...] [--rounds R]
"""

from __future__ import annotations

import argparse
import importlib
import json
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
from bench_hessian import _eigsh_top
from torch import Tensor, nn
from torch.nn import functional as F

EIG_ACCURACY = 1e-6
TRACE_ACCURACY = 2e-2  # Hutch++ with 99 products has a typical relative error near 1% here
TOL = 1e-6  # residual tolerance handed to every iterative eigensolver
SEED = 0
DTYPES = {"float32": torch.float32, "float64": torch.float64}


# -- the problem ---------------------------------------------------------------------------------
def _conv_bn(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=False), nn.BatchNorm2d(c_out)]


class Block(nn.Module):
    """``relu(BN(conv(relu(BN(conv x)))) + shortcut x)`` (He et al. 2016, arXiv:1512.03385)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn(c_in, c_out, stride), nn.ReLU(), *_conv_bn(c_out, c_out)
        )
        self.skip: nn.Module = (
            nn.Identity()
            if c_in == c_out and stride == 1
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.body(x) + self.skip(x))


def resnet(width: int = 8, classes: int = 10) -> nn.Sequential:
    """The benchmark's ResNet-style CNN at ``width`` channels (PyTorch default initialization)."""
    return nn.Sequential(
        *_conv_bn(3, width),
        nn.ReLU(),
        Block(width, width, 1),
        Block(width, 2 * width, 2),
        Block(2 * width, 2 * width, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * width, classes),
    )


def resnet_problem(
    dtype: torch.dtype, n: int = 256, side: int = 8, width: int = 8
) -> tuple[nn.Sequential, Tensor, Tensor]:
    """The network in eval mode (BatchNorm statistics of the data), inputs ``(n, 3, side, side)``
    and integer labels ``(n,)``, identical in every process (seeded; drawn in float64, then cast)."""
    torch.manual_seed(SEED)
    net = resnet(width).to(torch.float64)
    X = torch.randn(n, 3, side, side, dtype=torch.float64)
    y = torch.randint(0, 10, (n,))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = None  # cumulative average: one pass stores the batch statistics
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        net.train()
        net(X)
    net.eval()
    return net.to(dtype), X.to(dtype), y


def _problem(args: argparse.Namespace) -> tuple[nn.Sequential, Tensor, Tensor]:
    return resnet_problem(DTYPES[args.dtype], n=args.n, side=args.side)


def _hvp_fn(net: nn.Module, X: Tensor, y: Tensor) -> tuple[Any, int]:
    """A torch.func forward-over-reverse HVP on flat vectors, and the parameter count."""
    from torch.func import functional_call, grad, jvp

    params = {k: p.detach() for k, p in net.named_parameters()}
    sizes = [p.numel() for p in params.values()]

    def loss(p: dict[str, Tensor]) -> Tensor:
        return F.cross_entropy(functional_call(net, p, (X,)), y)

    g = grad(loss)

    def hvp(v: Tensor) -> Tensor:
        parts = dict(zip(params, v.split(sizes), strict=True))
        tangent = {k: parts[k].view_as(p) for k, p in params.items()}
        out = jvp(g, (params,), (tangent,))[1]
        return torch.cat([out[k].reshape(-1) for k in params])

    return hvp, sum(sizes)


def ggn_diagonal(net: nn.Module, X: Tensor, y: Tensor, chunk: int = 32) -> Tensor:
    """``diag(G)`` of the mean cross-entropy, ``G = (1/n) sum_i J_i^T (diag p_i - p_i p_i^T) J_i``,
    from per-sample Jacobians (``vmap(jacrev)``, ``chunk`` samples at a time)."""
    from torch.func import functional_call, jacrev, vmap

    params = {k: p.detach() for k, p in net.named_parameters()}

    def f(p: dict[str, Tensor], x: Tensor) -> Tensor:
        return functional_call(net, p, (x.unsqueeze(0),)).squeeze(0)

    jac = vmap(jacrev(f), in_dims=(None, 0))
    diag = torch.zeros(sum(p.numel() for p in params.values()), dtype=X.dtype)
    for start in range(0, X.shape[0], chunk):
        xs = X[start : start + chunk]
        with torch.no_grad():
            prob = torch.softmax(functional_call(net, params, (xs,)), dim=1)
        h = torch.diag_embed(prob) - prob.unsqueeze(2) * prob.unsqueeze(1)  # (b, k, k)
        J = torch.cat([t.flatten(2) for t in jac(params, xs).values()], dim=2)  # (b, k, P)
        diag += torch.einsum("bkl,bkp,blp->p", h, J, J)
    return diag / X.shape[0]


# -- references ----------------------------------------------------------------------------------
def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    """float64 lambda_max by ARPACK at tol 1e-12 and the exact trace (see the module docstring)."""
    net, X, y = resnet_problem(torch.float64, n=args.n, side=args.side)
    hvp, n_params = _hvp_fn(net, X, y)
    t0 = time.perf_counter()
    lam, hvps = _eigsh_top(hvp, n_params, torch.float64, 1e-12)
    t_eig = time.perf_counter() - t0
    t0 = time.perf_counter()
    diag = ggn_diagonal(net, X, y)
    t_trace = time.perf_counter() - t0
    coords = np.random.default_rng(1).choice(n_params, size=args.check_coords, replace=False)
    worst = 0.0
    for c in coords:
        e = torch.zeros(n_params, dtype=torch.float64)
        e[c] = 1.0
        h_cc = float(hvp(e)[c])
        worst = max(worst, abs(h_cc - float(diag[c])) / max(abs(h_cc), 1e-300))
    return {
        "params": n_params,
        "lambda_max": lam,
        "eig_hvps": hvps,
        "eig_s": t_eig,
        "trace": float(diag.sum()),
        "trace_s": t_trace,
        "diag_checked": len(coords),
        "diag_worst_rel": worst,
    }


# -- top eigenvalue ------------------------------------------------------------------------------
def _pyhessian() -> Any:
    try:
        ph = importlib.import_module("pyhessian.hessian")  # the module, not the class
    except ImportError as exc:
        raise NotInstalled("pyhessian") from exc
    return ph


class _Counted:
    """Counts the calls of ``pyhessian.hessian.hessian_vector_product`` while active."""

    def __init__(self, ph: Any) -> None:
        self.ph, self.original, self.count = ph, ph.hessian_vector_product, 0

    def __enter__(self) -> _Counted:
        def counted(*a: Any) -> Any:
            self.count += 1
            return self.original(*a)

        self.ph.hessian_vector_product = counted
        return self

    def __exit__(self, *exc: object) -> None:
        self.ph.hessian_vector_product = self.original


def _pyhessian_run(net: nn.Module, X: Tensor, y: Tensor, method: str, **kw: Any) -> tuple[Any, int]:
    ph = _pyhessian()
    torch.manual_seed(SEED)
    default = torch.get_default_dtype()
    torch.set_default_dtype(X.dtype)  # PyHessian draws its vectors in the default dtype
    try:
        with _Counted(ph) as counter:
            h = ph.hessian(net, nn.CrossEntropyLoss(), data=(X, y), cuda=False)
            out = getattr(h, method)(**kw)
    finally:
        torch.set_default_dtype(default)
    return out, counter.count


def eig_pyhessian_defaults(net: nn.Module, X: Tensor, y: Tensor) -> dict[str, Any]:
    (values, _), hvps = _pyhessian_run(net, X, y, "eigenvalues")
    return {"value": float(values[0]), "hvps": hvps}


def eig_pyhessian_tight(net: nn.Module, X: Tensor, y: Tensor) -> dict[str, Any]:
    (values, _), hvps = _pyhessian_run(net, X, y, "eigenvalues", maxIter=2000, tol=1e-10)
    return {"value": float(values[0]), "hvps": hvps}


def _eigenthings_op(net: nn.Module, X: Tensor, y: Tensor) -> Any:
    try:
        import hessian_eigenthings as he
    except ImportError as exc:
        raise NotInstalled("hessian-eigenthings") from exc
    return he, he.HessianOperator(net, [(X, y)], he.supervised_loss(F.cross_entropy))


def eig_eigenthings(net: nn.Module, X: Tensor, y: Tensor) -> dict[str, Any]:
    he, op = _eigenthings_op(net, X, y)
    res = he.lanczos(op, k=1, max_iter=40, which="LA", seed=SEED)
    return {"value": float(res.eigenvalues[0]), "bound": float(res.residuals[0]), "hvps": 40}


def _curvlinops_op(net: nn.Module, X: Tensor, y: Tensor) -> Any:
    try:
        from curvlinops import HessianLinearOperator
    except ImportError as exc:
        raise NotInstalled("curvlinops-for-pytorch") from exc
    params = list(net.parameters())
    return HessianLinearOperator(
        net, nn.CrossEntropyLoss(), params, [(X, y)], check_deterministic=False
    )


def eig_curvlinops(net: nn.Module, X: Tensor, y: Tensor) -> dict[str, Any]:
    op = _curvlinops_op(net, X, y)
    value, hvps = _eigsh_top(lambda v: op @ v, op.shape[0], X.dtype, TOL)
    return {"value": value, "hvps": hvps}


def eig_torch_func(net: nn.Module, X: Tensor, y: Tensor) -> dict[str, Any]:
    hvp, n_params = _hvp_fn(net, X, y)
    value, hvps = _eigsh_top(hvp, n_params, X.dtype, TOL)
    return {"value": value, "hvps": hvps}


def eig_wideproof(net: nn.Module, X: Tensor, y: Tensor) -> dict[str, Any]:
    from wideproof.measures import hessian_eigs

    spec = hessian_eigs(
        net, X, 1, of="loss", targets=y, loss=F.cross_entropy, which="largest", tol=TOL
    )
    return {"value": spec.eigenvalues[-1], "bound": spec.error_bounds[-1], "hvps": spec.matvecs}


# -- trace ---------------------------------------------------------------------------------------
def trace_pyhessian(net: nn.Module, X: Tensor, y: Tensor, m: int) -> dict[str, Any]:
    samples, hvps = _pyhessian_run(net, X, y, "trace", maxIter=m)  # Hutchinson, stops at tol 1e-3
    return {"value": float(np.mean(samples)), "hvps": hvps}


def trace_curvlinops(net: nn.Module, X: Tensor, y: Tensor, m: int) -> dict[str, Any]:
    from curvlinops import hutchpp_trace

    op = _curvlinops_op(net, X, y)
    torch.manual_seed(SEED)
    return {"value": float(hutchpp_trace(op, m)), "hvps": m}


def trace_eigenthings(net: nn.Module, X: Tensor, y: Tensor, m: int) -> dict[str, Any]:
    he, op = _eigenthings_op(net, X, y)
    res = he.hutch_plus_plus(op, num_matvecs=m, seed=SEED)
    return {"value": float(res.estimate), "bound": 2 * float(res.stderr), "hvps": m}


def trace_wideproof(net: nn.Module, X: Tensor, y: Tensor, m: int) -> dict[str, Any]:
    from wideproof.measures import hessian_trace

    est = hessian_trace(
        net, X, of="loss", targets=y, loss=F.cross_entropy, matvecs=m, confidence=0.95, seed=SEED
    )
    low, high = est.interval
    return {"value": est.value, "bound": (high - low) / 2, "interval": [low, high], "hvps": m}


# -- density -------------------------------------------------------------------------------------
def _density_summary(nodes: Tensor, weights: Tensor, n_params: int) -> dict[str, Any]:
    """The largest node and the implied trace ``P * sum_j w_j theta_j`` (mean over runs)."""
    nodes, weights = nodes.reshape(-1, nodes.shape[-1]), weights.reshape(-1, weights.shape[-1])
    implied = n_params * float((nodes * weights).sum(1).mean())
    return {"value": float(nodes.max()), "trace_implied": implied}


def density_pyhessian_shim(net: nn.Module, X: Tensor, y: Tensor, steps: int) -> dict[str, Any]:
    """PyHessian's ``density`` calls ``torch.eig``, removed in torch 2.0; this row replaces it by
    ``torch.linalg.eigh`` (same output layout) so the rest of PyHessian's SLQ is what runs."""

    def eig(T: Tensor, eigenvectors: bool = True) -> tuple[Tensor, Tensor]:
        vals, vecs = torch.linalg.eigh(T)
        return torch.stack([vals, torch.zeros_like(vals)], 1), vecs

    setattr(torch, "eig", eig)  # noqa: B010 -- the attribute no longer exists
    (nodes, weights), hvps = _pyhessian_run(net, X, y, "density", iter=steps, n_v=1)
    n_params = sum(p.numel() for p in net.parameters())
    return {
        **_density_summary(torch.tensor(nodes), torch.tensor(weights), n_params),
        "hvps": hvps,
    }


def density_eigenthings(net: nn.Module, X: Tensor, y: Tensor, steps: int) -> dict[str, Any]:
    he, op = _eigenthings_op(net, X, y)
    res = he.spectral_density(op, num_runs=1, lanczos_steps=steps, seed=SEED)
    n_params = sum(p.numel() for p in net.parameters())
    return {
        **_density_summary(res.raw_eigenvalues, res.raw_weights, n_params),
        "hvps": steps,
    }


def density_wideproof(net: nn.Module, X: Tensor, y: Tensor, steps: int) -> dict[str, Any]:
    from wideproof.measures import hessian_density

    d = hessian_density(
        net, X, of="loss", targets=y, loss=F.cross_entropy, steps=steps, probes=1, seed=SEED
    )
    n_params = sum(p.numel() for p in net.parameters())
    nodes = torch.as_tensor(np.stack(d.nodes))
    weights = torch.as_tensor(np.stack(d.weights))
    return {**_density_summary(nodes, weights, n_params), "hvps": steps}


EIGEN = {
    "eig:wideproof": eig_wideproof,
    "eig:pyhessian-defaults": eig_pyhessian_defaults,
    "eig:pyhessian-tol1e-10": eig_pyhessian_tight,
    "eig:eigenthings-lanczos40": eig_eigenthings,
    "eig:curvlinops+eigsh": eig_curvlinops,
    "eig:torch.func+eigsh": eig_torch_func,
}
TRACE = {
    "trace:wideproof": trace_wideproof,
    "trace:pyhessian-hutchinson": trace_pyhessian,
    "trace:curvlinops-hutch++": trace_curvlinops,
    "trace:eigenthings-hutch++": trace_eigenthings,
}
DENSITY = {
    "density:wideproof": density_wideproof,
    "density:pyhessian(eigh shim)": density_pyhessian_shim,
    "density:eigenthings-slq": density_eigenthings,
}
COMPETITORS = [*EIGEN, *TRACE, *DENSITY]


def run_competitor(args: argparse.Namespace) -> dict[str, Any]:
    """Accuracy first (the cold run), then ``repeats`` timed runs."""
    net, X, y = _problem(args)
    ref = json.loads(args.reference)
    name = args.worker
    if name in TRACE:

        def solve() -> dict[str, Any]:
            return TRACE[name](net, X, y, args.trace_matvecs)

    elif name in DENSITY:

        def solve() -> dict[str, Any]:
            return DENSITY[name](net, X, y, args.density_steps)

    else:

        def solve() -> dict[str, Any]:
            return EIGEN[name](net, X, y)

    t0 = time.perf_counter()
    first = solve()
    cold = time.perf_counter() - t0
    _, times = timed(solve, args.repeats)
    times = times or [cold]  # --repeats 0 (quick): the cold run is the only timing
    if name in TRACE:
        rel = abs(first["value"] - ref["trace"]) / abs(ref["trace"])
        correct = rel <= TRACE_ACCURACY
    elif name in EIGEN:
        rel = abs(first["value"] - ref["lambda_max"]) / abs(ref["lambda_max"])
        correct = rel <= EIG_ACCURACY
    else:
        rel = abs(first["value"] - ref["lambda_max"]) / abs(ref["lambda_max"])
        first["trace_rel_err"] = abs(first["trace_implied"] - ref["trace"]) / abs(ref["trace"])
        correct = rel <= 1e-2
    return {**first, "rel_err": rel, "correct": correct, "cold_s": cold, **summary(times)}


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reference", default="{}", help="the reference record (JSON)")
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--side", type=int, default=8)
    parser.add_argument("--trace-matvecs", type=int, default=99)
    parser.add_argument("--density-steps", type=int, default=100, help="PyHessian's default")
    parser.add_argument("--check-coords", type=int, default=16)


WORKERS = {"reference": run_reference, **{name: run_competitor for name in COMPETITORS}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="128 samples, 1 round, cold runs only, 30 trace products, 30 density steps",
    )
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per process")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (best of all)")
    parser.add_argument("--dtype", default="float64", choices=sorted(DTYPES))
    parser.add_argument("--only", default=",".join(COMPETITORS))
    _extra(parser)
    args = parser.parse_args()
    if args.quick:
        args.n, args.rounds, args.repeats = 128, 1, 0
        args.trace_matvecs, args.density_steps = 30, 30
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(COMPETITORS))
    if unknown:
        sys.exit(f"unknown competitors {unknown}; known: {COMPETITORS}")
    info = machine_info()
    print(f"# bench_resnet  {info['date']}  {info['cpu']}  torch {info['torch']}")
    size = ["--n", str(args.n), "--side", str(args.side)]
    t0 = time.perf_counter()
    ref = run_worker(__file__, "reference", *size, "--check-coords", str(args.check_coords))
    if "error" in ref:
        sys.exit(f"reference failed: {ref['error']}")
    print(
        f"n={args.n}, 3x{args.side}x{args.side}, P={ref['params']}: float64 lambda_max = "
        f"{ref['lambda_max']:.12g} ({ref['eig_hvps']} HVPs, {ref['eig_s']:.1f} s), exact trace = "
        f"{ref['trace']:.12g} ({ref['trace_s']:.1f} s; diag H = diag G on {ref['diag_checked']} "
        f"coordinates, worst rel. diff {ref['diag_worst_rel']:.1e})\n"
    )
    common = [
        "--dtype", args.dtype, "--repeats", str(args.repeats), *size,
        "--trace-matvecs", str(args.trace_matvecs), "--density-steps", str(args.density_steps),
        "--reference", json.dumps(ref),
    ]  # fmt: skip
    records = interleaved(__file__, [(name, common) for name in names], args.rounds)
    print()
    print(report(records, args.trace_matvecs, args.density_steps))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    save("resnet", {"machine": info, "reference": ref, "records": records, "args": vars(args)})


def report(records: list[dict[str, Any]], trace_matvecs: int, density_steps: int) -> str:
    """One table per quantity, the ratios to wideproof and the goal verdicts."""
    out = []
    for title, group, target in (
        ("top eigenvalue", EIGEN, f"rel. err <= {EIG_ACCURACY:g}"),
        (f"trace ({trace_matvecs} matvecs each)", TRACE, f"rel. err <= {TRACE_ACCURACY:g}"),
        (f"density ({density_steps} Lanczos steps, 1 run)", DENSITY, "top node rel. err <= 1e-2"),
    ):
        recs = [r for r in records if r["name"] in group]
        if not recs:
            continue
        ours = next(
            (r for r in recs if r["name"].endswith(":wideproof") and "error" not in r), None
        )
        rows = []
        for r in recs:
            if "error" in r:
                rows.append([r["name"], r["error"][:70], "-", "-", "-", "-", "-", "-", "-"])
                continue
            bound = r.get("bound")
            extra = fmt(r.get("trace_rel_err"), ".1e") if group is DENSITY else (
                fmt(bound / abs(r["value"]), ".1e") if bound is not None else "-"
            )  # fmt: skip
            rows.append(
                [
                    r["name"],
                    f"{r['value']:.10g}",
                    fmt(r["rel_err"], ".1e"),
                    "yes" if r["correct"] else "**no**",
                    extra,
                    r["hvps"],
                    f"{r['cold_s']:.2f}",
                    f"{r['min_s']:.2f}",
                    fmt(r["min_s"] / ours["min_s"], ".2f") if ours else "-",
                ]
            )
        header = ["competitor", "value", "rel. err", f"correct ({target})"]
        header += ["implied-trace rel. err" if group is DENSITY else "own bound (rel)"]
        header += ["HVPs", "cold s", "best s", "time / wideproof"]
        out.append(f"### {title}\n\n" + markdown_table(header, rows))
        anchors = [r for r in recs if r is not ours and "error" not in r and r["correct"]]
        if ours and anchors:
            best = min(anchors, key=lambda r: r["min_s"])
            speedup = best["min_s"] / ours["min_s"]
            met = speedup >= 2 and ours["correct"]
            out.append(
                f"\nfastest correct anchor: {best['name']} -> speed-up {speedup:.2f}x "
                f"(goal >= 2x and correct: {'met' if met else 'NOT met'})\n"
            )
    return "\n".join(out)


if __name__ == "__main__":
    if not worker_main(WORKERS, _extra):
        main()
