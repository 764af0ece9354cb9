"""Goal 3 of issue 8: the empirical NTK Gram matrix, wideproof against nngeometry and torch.func.

Problem: the network of ``benchmarks/_problem.py`` (76,810 parameters, 10 outputs) on its first
64 inputs; the Gram matrix has 640 x 640 entries.  The float64 reference is the dense
``J J^T`` with ``J`` from ``torch.autograd.functional.jacobian`` (a different differentiation path
from every competitor), computed in its own process and handed to the workers as a file.  Each
worker computes the kernel once (cold), compares it with the reference (max |K - K_ref| /
max |K_ref|; correct below 1e-5 in float32 and 1e-12 in float64), then times ``--repeats`` runs.

Competitors: ``wideproof.measures.ntk`` (method "auto"); nngeometry ``GramMatrix`` (per-layer
structured contraction through hooks); the torch.func tutorial's Jacobian contraction
(``vmap(jacrev)`` per sample + einsum); and ``structured`` -- a per-layer contraction written
here as the candidate for wideproof's MLP path:
``K[(i,a),(j,b)] = sum_l (g_l[i,a] . g_l[j,b]) * (x_l[i] . x_l[j] + 1)`` with ``x_l`` the input
of linear layer ``l`` and ``g_l[i,a]`` the gradient of output ``a`` at sample ``i`` with respect to
that layer's pre-activation (``+1`` for the bias).

    python benchmarks/bench_ntk.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from _harness import (
    HERE,
    NotInstalled,
    machine_info,
    markdown_table,
    per_dtype,
    run_worker,
    save,
    summary,
    timed,
    worker_main,
)
from _problem import torch_problem, wideproof_model

N_INPUTS = 64
DTYPES = {"float32": torch.float32, "float64": torch.float64}
THRESHOLD = {"float32": 1e-5, "float64": 1e-12}
REF_PATH = HERE / "out" / "ntk_reference.pt"


def _problem(dtype: torch.dtype) -> tuple[torch.nn.Sequential, torch.Tensor]:
    net, X, _ = torch_problem(dtype)
    return net, X[:N_INPUTS]


def _to_sample_major(K: torch.Tensor, n: int, k: int) -> torch.Tensor:
    """(O, N, O, N) -> (N*O, N*O) with row index i*k + a (wideproof's layout)."""
    return K.permute(1, 0, 3, 2).reshape(n * k, n * k)


def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    net, X = _problem(torch.float64)
    params = tuple(p.detach() for p in net.parameters())
    names = [k for k, _ in net.named_parameters()]

    def outputs(*ps: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(net, dict(zip(names, ps, strict=True)), (X,)).reshape(-1)

    t0 = time.perf_counter()
    jac = torch.autograd.functional.jacobian(outputs, params, vectorize=True)
    J = torch.cat([j.reshape(j.shape[0], -1) for j in jac], dim=1)
    K = J @ J.T
    REF_PATH.parent.mkdir(exist_ok=True)
    torch.save(K, REF_PATH)
    return {"seconds": time.perf_counter() - t0, "shape": list(K.shape)}


def kernel_wideproof(net: torch.nn.Sequential, X: torch.Tensor) -> torch.Tensor:
    from wideproof.measures import ntk

    return ntk(wideproof_model(net), X)


def kernel_nngeometry(net: torch.nn.Sequential, X: torch.Tensor) -> torch.Tensor:
    try:
        from nngeometry import GramMatrix
    except ImportError as exc:
        raise NotInstalled("nngeometry") from exc
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, X), batch_size=len(X))
    G = GramMatrix(net, loader, function=lambda x, _y: net(x))
    k = G.data.shape[0]
    return _to_sample_major(G.data, X.shape[0], k)


def kernel_torch_func(net: torch.nn.Sequential, X: torch.Tensor) -> torch.Tensor:
    from torch.func import functional_call, jacrev, vmap

    params = {k: v.detach() for k, v in net.named_parameters()}

    def single(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(net, p, (x.unsqueeze(0),)).squeeze(0)

    jac = vmap(jacrev(single), (None, 0))(params, X)  # each (n, k, *shape)
    n, k = X.shape[0], next(iter(jac.values())).shape[1]
    K = sum(
        torch.einsum("iaf,jbf->iajb", j.reshape(n, k, -1), j.reshape(n, k, -1))
        for j in jac.values()
    )
    return K.reshape(n * k, n * k)


def kernel_structured(net: torch.nn.Sequential, X: torch.Tensor) -> torch.Tensor:
    """Per-layer contraction: one forward, k backward passes to the pre-activations."""
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    inputs: list[torch.Tensor] = []
    pre: list[torch.Tensor] = []
    h = X
    with torch.enable_grad():
        for i, lin in enumerate(linears):
            inputs.append(h.detach())
            z = torch.addmm(
                lin.bias, h, lin.weight.T
            )  # the weights require grad: z joins the graph
            pre.append(z)
            h = torch.tanh(z) if i < len(linears) - 1 else z
        n, k = h.shape
        per_output = [  # one backward per output (vmap over outputs: seconds of warm-up)
            torch.autograd.grad(h[:, a].sum(), pre, retain_graph=a < k - 1) for a in range(k)
        ]
    K = torch.zeros(n * k, n * k, dtype=X.dtype)
    for l, x_l in enumerate(inputs):
        g = torch.stack([grads[l] for grads in per_output], dim=1)  # (n, k, fan_out)
        gf = g.reshape(n * k, -1)  # rows i*k + a
        xx = torch.addmm(torch.ones(n, n, dtype=X.dtype), x_l, x_l.T)
        K += (gf @ gf.T) * xx.repeat_interleave(k, 0).repeat_interleave(k, 1)
    return K


KERNELS = {
    "wideproof": kernel_wideproof,
    "nngeometry": kernel_nngeometry,
    "torch.func-jacobian": kernel_torch_func,
    "structured (candidate)": kernel_structured,
}


def run_competitor(args: argparse.Namespace) -> dict[str, Any]:
    net, X = _problem(DTYPES[args.dtype])
    fn = KERNELS[args.worker]
    ref = torch.load(REF_PATH)
    t0 = time.perf_counter()
    K = fn(net, X)
    cold = time.perf_counter() - t0
    err = float((K.double() - ref).abs().max() / ref.abs().max())
    _, times = timed(lambda: fn(net, X), args.repeats)
    peak_mb = _peak_rss_mb()
    return {
        "rel_err": err,
        "correct": err <= THRESHOLD[args.dtype],
        "cold_s": cold,
        "peak_rss_mb": peak_mb,
        **summary(times),
    }


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WORKERS = {"reference": run_reference, **{name: run_competitor for name in KERNELS}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per process")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of all)")
    args = parser.parse_args()
    info = machine_info()
    print(f"# bench_ntk  {info['date']}  {info['cpu']}  torch {info['torch']}")
    ref = run_worker(__file__, "reference")
    if "error" in ref:
        sys.exit(f"reference failed: {ref['error']}")
    print(f"float64 reference J J^T {ref['shape']} in {ref['seconds']:.2f} s\n")
    records = per_dtype(__file__, KERNELS, ["--repeats", str(args.repeats)], args.rounds)
    rows = []
    for dtype in ("float32", "float64"):
        recs = [r for r in records if r["dtype"] == dtype]
        ours = next((r for r in recs if r["name"] == "wideproof" and "error" not in r), None)
        for r in recs:
            if "error" in r:
                rows.append([dtype, r["name"], "-", "-", "-", "-", "-", r["error"][:50]])
                continue
            ratio = f"{r['min_s'] / ours['min_s']:.2f}" if ours else "-"
            rows.append(
                [
                    dtype,
                    r["name"],
                    f"{r['rel_err']:.1e}",
                    "yes" if r["correct"] else "**no**",
                    f"{r['cold_s']:.3f}",
                    f"{r['min_s']:.3f}",
                    f"{r['median_s']:.3f}",
                    ratio,
                ]
            )
    print()
    print(
        markdown_table(
            [
                "dtype",
                "method",
                "rel. err",
                "correct",
                "cold s",
                "best s",
                "median s",
                "time / wideproof",
            ],
            rows,
        )
    )
    save("ntk", {"machine": info, "reference": ref, "records": records})


if __name__ == "__main__":
    if not worker_main(WORKERS):
        main()
