"""The cost model of ``benchmarks/README.md``: FLOPs per HVP and per NTK entry, this machine's GEMM
rate, and the achieved fraction of it.

* FLOPs are *counted*, not guessed: ``torch.utils.flop_counter.FlopCounterMode`` records the matrix
  products (mm/addmm/bmm, which dominate) of one call of the library's kernels.
* The GEMM rate is measured on one thread: best of 5 square products of size 1024 (float32 and
  float64), ``2 n^3`` FLOPs each.
* Achieved fraction = counted FLOPs / (time x GEMM rate), with the times read from
  ``benchmarks/out/*.json`` when the benchmarks have been run (else measured here).

    python benchmarks/cost_model.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from _harness import HERE, pin_threads
from _problem import torch_problem, wideproof_model
from torch.utils.flop_counter import FlopCounterMode


def gemm_rate(dtype: torch.dtype, n: int = 1024) -> float:
    """FLOP/s of one-thread square GEMM (best of 5)."""
    a = torch.randn(n, n, dtype=dtype)
    b = torch.randn(n, n, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def counted(fn: Any) -> int:
    """Matrix-product FLOPs of one call."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def main() -> None:
    from wideproof.families import MLP
    from wideproof.linalg import loss_hessian, model_hessian
    from wideproof.measures import ntk

    pin_threads()
    rates = {str(dt)[6:]: gemm_rate(dt) for dt in (torch.float32, torch.float64)}
    print(
        "GEMM rate, 1 thread, n=1024: "
        + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in rates.items())
    )
    rows = []
    for dtype in (torch.float32, torch.float64):
        name = str(dtype)[6:]
        net, X, Y = torch_problem(dtype)
        model = wideproof_model(net)
        op = loss_hessian(model, X, Y, "mean")
        v = torch.randn(model.num_params, dtype=dtype)
        flops = counted(lambda op=op, v=v: op.matvec(v))
        t = min(_time(lambda op=op, v=v: op.matvec(v)) for _ in range(5))
        n, P = X.shape[0], model.num_params
        rows.append(
            (f"loss HVP 32-256-256-10, n=512, {name}", flops, flops / (n * P), t, rates[name])
        )
        K_flops = counted(lambda model=model, X=X: ntk(model, X[:64]))
        t = min(_time(lambda model=model, X=X: ntk(model, X[:64])) for _ in range(3))
        rows.append(
            (
                f"NTK 64x10 outputs (640^2 entries), {name}",
                K_flops,
                K_flops / 640**2,
                t,
                rates[name],
            )
        )
    for width in (512, 2048):
        mlp = MLP(input_dim=32, width=width, depth=2).init(seed=0)
        x = torch.randn(32, dtype=torch.float64)
        op = model_hessian(mlp, x)
        v = torch.randn(mlp.num_params, dtype=torch.float64)
        flops = counted(lambda op=op, v=v: op.matvec(v))
        t = min(_time(lambda op=op, v=v: op.matvec(v)) for _ in range(3))
        rows.append(
            (
                f"output HVP depth 2 width {width}, float64",
                flops,
                flops / mlp.num_params,
                t,
                rates["float64"],
            )
        )
    print(
        "| kernel | counted FLOPs | per (n P) / per entry / per P | time s | GFLOP/s | % of GEMM |"
    )
    print("|---|---|---|---|---|---|")
    for label, flops, per, t, rate in rows:
        print(
            f"| {label} | {flops:.3g} | {per:.1f} | {t:.4f} | {flops / t / 1e9:.1f} | "
            f"{100 * flops / t / rate:.1f}% |"
        )
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "cost_model.json").write_text(json.dumps({"gemm_flops": rates, "rows": rows}, indent=1))


def _time(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
