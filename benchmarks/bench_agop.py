"""Goal 4 of issue 8: the AGOP of a network and of a kernel machine, vmap(jacrev) and closed form
against a per-sample autograd loop.

* Network: ``wideproof.families.MLP(input_dim=32, width=256, depth=2)`` (tanh, NTK
  parameterization), 512 points; ``wideproof.measures.agop`` (``vmap(jacrev)``) against a loop of
  ``torch.autograd.grad`` calls, one per point.
* Kernel machine: a Laplace-kernel ridge regressor (``wideproof.features.fit_kernel_machine``,
  bandwidth 10, ridge 1e-3) fitted on 512 points with 4 outputs, AGOP over 512 *fresh* points (the
  Laplace kernel has a cone at the centers); its closed form ``KernelMachine.agop`` and
  ``measures.agop`` of the predictor against the per-sample loop.

The reference is the per-sample loop in float64; each method is checked (max-entry relative error
below 1e-5 in float32, 1e-12 in float64) before it is timed.  Every method runs in its own
process.

    python benchmarks/bench_agop.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch

if TYPE_CHECKING:
    from wideproof.features import KernelMachine

from _harness import machine_info, markdown_table, per_dtype, save, summary, timed, worker_main

N, D, OUTPUTS = 512, 32, 4
DTYPES = {"float32": torch.float32, "float64": torch.float64}
THRESHOLD = {"float32": 1e-5, "float64": 1e-12}


def _network(dtype: torch.dtype) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    from wideproof.families import MLP

    model = MLP(input_dim=D, width=256, depth=2).init(seed=0, dtype=dtype)
    X = torch.randn(N, D, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(dtype)
    return (lambda x: model(x)), X


def _machine(dtype: torch.dtype) -> tuple[KernelMachine, torch.Tensor]:
    from wideproof.features import fit_kernel_machine, laplace_kernel

    gen = torch.Generator().manual_seed(2)
    Z = torch.randn(N, D, generator=gen, dtype=torch.float64)
    Y = torch.tanh(Z[:, :OUTPUTS] + Z[:, OUTPUTS : 2 * OUTPUTS])
    X = torch.randn(N, D, generator=gen, dtype=torch.float64)
    machine = fit_kernel_machine(laplace_kernel(10.0), Z.to(dtype), Y.to(dtype), ridge=1e-3)
    return machine, X.to(dtype)


def loop_agop(fn: Any, X: torch.Tensor) -> torch.Tensor:
    """The per-sample reference: one autograd call per point and output."""
    G = torch.zeros(X.shape[1], X.shape[1], dtype=X.dtype)
    for x in X:
        xi = x.detach().clone().requires_grad_(True)
        out = fn(xi).reshape(-1)
        for a in range(out.shape[0]):
            (g,) = torch.autograd.grad(out[a], xi, retain_graph=a < out.shape[0] - 1)
            G += torch.outer(g, g)
    return G / X.shape[0]


def method(name: str, dtype: torch.dtype) -> Any:
    """A zero-argument callable computing the AGOP with the named method."""
    from wideproof.measures import agop

    if name.startswith("network"):
        fn, X = _network(dtype)
        return (lambda: agop(fn, X)) if name.endswith("vmap") else (lambda: loop_agop(fn, X))
    machine, X = _machine(dtype)
    if name.endswith("closed-form"):
        return lambda: machine.agop(X)
    if name.endswith("vmap"):
        return lambda: agop(machine.evaluate, X)
    return lambda: loop_agop(machine.evaluate, X)


METHODS = ("network: loop", "network: vmap", "kernel: loop", "kernel: vmap", "kernel: closed-form")


def run_method(args: argparse.Namespace) -> dict[str, Any]:
    ref_name = "network: loop" if args.worker.startswith("network") else "kernel: loop"
    ref = method(ref_name, torch.float64)()
    fn = method(args.worker, DTYPES[args.dtype])
    t0 = time.perf_counter()
    G = fn()
    cold = time.perf_counter() - t0
    err = float((G.double() - ref).abs().max() / ref.abs().max())
    _, times = timed(fn, args.repeats)
    return {
        "rel_err": err,
        "correct": err <= THRESHOLD[args.dtype],
        "cold_s": cold,
        **summary(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per process")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of all)")
    args = parser.parse_args()
    info = machine_info()
    print(f"# bench_agop  {info['date']}  {info['cpu']}  torch {info['torch']}")
    records = per_dtype(__file__, METHODS, ["--repeats", str(args.repeats)], args.rounds)
    rows = []
    for r in records:
        if "error" in r:
            rows.append([r["dtype"], r["name"], "-", "-", "-", "-", r["error"][:50]])
            continue
        loop = next(
            q
            for q in records
            if q["dtype"] == r["dtype"] and q["name"] == r["name"].split(":")[0] + ": loop"
        )
        speed = f"{loop['min_s'] / r['min_s']:.1f}x" if "min_s" in loop else "-"
        rows.append(
            [
                r["dtype"],
                r["name"],
                f"{r['rel_err']:.1e}",
                "yes" if r["correct"] else "**no**",
                f"{r['cold_s']:.4f}",
                f"{r['min_s']:.4f}",
                speed,
            ]
        )
    print()
    print(
        markdown_table(
            ["dtype", "method", "rel. err", "correct", "cold s", "best s", "speed-up vs loop"], rows
        )
    )
    save("agop", {"machine": info, "records": records})


if __name__ == "__main__":
    if not worker_main({name: run_method for name in METHODS}):
        main()
