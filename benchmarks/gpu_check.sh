#!/usr/bin/env bash
# One prepared GPU check for issue 8 (an H200 machine; under 8 minutes end to end).
#
#   bash benchmarks/gpu_check.sh            # from the repository root; prints a report and
#                                           # writes benchmarks/out/gpu_check.json
#   WIDEPROOF_GPU_CHECK_DRY=1 bash benchmarks/gpu_check.sh   # the same logic on the CPU, tiny sizes
#   WIDEPROOF_GPU_CHECK_ONLY=4c,5 ...       # only the named sections (section numbers: 1 2 3 4a 4b 4c 5)
#
# Sections (each self-checking; a failed check prints FAIL and the script exits non-zero at the end;
# a section that would overrun the time budget prints SKIPPED):
#   0. environment: torch, CUDA, device name, free memory; wideproof imported from src/
#   1. measured GEMM peak: float64, float32 with TF32 off, TF32, bf16 (n = 8192, best of 10)
#   2. float64 cuda vs cpu at 1e-10: one HVP, the loss-Hessian lambda_max of the issue-8 problem,
#      the output-Hessian norm (depth 2, width 1024), the NTK Gram matrix
#   3. float32 accuracy with TF32 OFF (asserted) and ON (asserted) against the float64 value
#   4. timings at GPU sizes: goal 1 (32-2048-2048-10, n=8192, f32/f64), goal 2 (output Hessian,
#      depth 2, widths 4096..16384, f64), goal 3 (NTK of the issue-8 net on 512 inputs)
#   5. headline: output-Hessian norm of a depth-2 tanh MLP at width 32768 in float64
#      (P = 1.07e9 parameters, 8.6 GB per vector: beyond 2^18 unknowns the library's Lanczos keeps
#      no basis (three-term recurrence, Paige bounds), so it runs in O(P) memory; power iteration
#      was cross-checked against Lanczos at width 8192 in §4)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src:$PWD/benchmarks${PYTHONPATH:+:$PYTHONPATH}"
export OPENBLAS_NUM_THREADS=8 OMP_NUM_THREADS=8
mkdir -p benchmarks/out
[ "${WIDEPROOF_GPU_CHECK_DRY:-0}" = 1 ] || nvidia-smi --query-gpu=name,memory.total,memory.used,clocks.max.sm --format=csv || true
timeout 470 python - <<'PY'
import json, math, sys, time

import os

BUDGET = 450.0  # seconds for the Python part (the shell allows 470)
# WIDEPROOF_GPU_CHECK_DRY=1 runs the same logic on the CPU at tiny sizes (to test this script
# where no GPU is lent); the numbers it prints mean nothing.
DRY = os.environ.get("WIDEPROOF_GPU_CHECK_DRY") == "1"
DEV = "cpu" if DRY else "cuda"
SIZES = {
    "gemm": 256 if DRY else 8192,
    "goal1": ((32, 64, 64, 10), 256) if DRY else ((32, 2048, 2048, 10), 8192),
    "goal2": (64, 128, 256) if DRY else (4096, 8192, 16384),
    "cross": 128 if DRY else 8192,
    "headline": 512 if DRY else 32768,
    "goal3_n": 16 if DRY else 512,
    "check_width": 64 if DRY else 1024,
}
OUT = "benchmarks/out/gpu_check" + ("_dry" if DRY else "") + ".json"


def save_report() -> None:
    """Written after every check and timing, so a run cut short by the timeout keeps its data."""
    REPORT["elapsed_s"] = elapsed()
    REPORT["failed"] = FAILED
    with open(OUT, "w") as fh:
        json.dump(REPORT, fh, indent=1, default=str)
T0 = time.perf_counter()
REPORT: dict = {"checks": [], "timings": [], "gemm_tflops": {}}
FAILED: list[str] = []


def elapsed() -> float:
    return time.perf_counter() - T0


def check(name: str, ok: bool, detail: str) -> None:
    REPORT["checks"].append({"name": name, "ok": bool(ok), "detail": detail})
    print(f"  [{'ok' if ok else 'FAIL'}] {name}: {detail}", flush=True)
    if not ok:
        FAILED.append(name)
    save_report()


ONLY = [t for t in os.environ.get("WIDEPROOF_GPU_CHECK_ONLY", "").split(",") if t]


def section(title: str, needs_s: float) -> bool:
    if ONLY and title.split(".")[0].split()[0] not in ONLY:
        print(f"\n## {title}: not selected (WIDEPROOF_GPU_CHECK_ONLY)", flush=True)
        return False
    left = BUDGET - elapsed()
    if left < needs_s:
        print(f"\n## {title}: SKIPPED (needs ~{needs_s:.0f} s, {left:.0f} s left)", flush=True)
        REPORT.setdefault("skipped", []).append(title)
        return False
    print(f"\n## {title}  (t = {elapsed():.0f} s)", flush=True)
    return True


def tf32(on: bool) -> None:
    import torch

    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on
    torch.set_float32_matmul_precision("high" if on else "highest")
    assert torch.backends.cuda.matmul.allow_tf32 is on, "TF32 matmul flag did not take"
    assert torch.backends.cudnn.allow_tf32 is on, "TF32 cudnn flag did not take"
    assert torch.get_float32_matmul_precision() == ("high" if on else "highest")


def sync():
    import torch

    if not DRY:
        torch.cuda.synchronize()


def sync_time(fn, repeats: int = 1):
    sync()
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        sync()
        best = min(best, time.perf_counter() - t)
    return out, best


# -- 0. environment ------------------------------------------------------------------------------
print("## 0. environment", flush=True)
try:
    import torch
except ImportError:
    sys.exit("FAIL: torch is not installed on this machine")
if not DRY and not torch.cuda.is_available():
    sys.exit(f"FAIL: torch {torch.__version__} sees no CUDA device")
import wideproof
from wideproof.families import MLP
from wideproof.linalg import loss_hessian, model_hessian
from wideproof.measures import hessian_eigs, hessian_norm, ntk
from _problem import torch_problem, wideproof_model
from bench_ntk import kernel_structured

free, total = (0, 0) if DRY else torch.cuda.mem_get_info()
env = {"torch": torch.__version__, "cuda": torch.version.cuda, "dry_run": DRY,
       "device": "cpu (dry run)" if DRY else torch.cuda.get_device_name(),
       "free_gb": free / 2**30, "total_gb": total / 2**30, "wideproof": wideproof.__file__}
REPORT["env"] = env
print("  " + json.dumps(env), flush=True)
tf32(False)
torch.set_num_threads(8)

# -- 1. GEMM peak --------------------------------------------------------------------------------
if section("1. measured GEMM peak (n = 8192, best of 10)", 20):
    n = SIZES["gemm"]
    for label, dtype, use_tf32 in (("float64", torch.float64, False), ("float32", torch.float32, False),
                                   ("tf32", torch.float32, True), ("bf16", torch.bfloat16, False)):
        tf32(use_tf32)
        a = torch.randn(n, n, device=DEV, dtype=dtype)
        b = torch.randn(n, n, device=DEV, dtype=dtype)
        a @ b
        _, t = sync_time(lambda: a @ b, 10)
        REPORT["gemm_tflops"][label] = 2 * n**3 / t / 1e12
        print(f"  {label:8s} {2 * n**3 / t / 1e12:8.1f} TFLOP/s", flush=True)
        del a, b
    tf32(False)
    check("TF32 off after the GEMM section", not torch.backends.cuda.matmul.allow_tf32, "asserted")

# -- 2. float64 cuda vs cpu ----------------------------------------------------------------------
REF: dict = {}
if section("2. float64 correctness, cuda vs cpu (1e-10)", 60):
    tf32(False)
    net, X, Y = torch_problem(torch.float64)
    m_cpu = wideproof_model(net)
    m_gpu = m_cpu.with_params({k: v.to(DEV) for k, v in m_cpu.params.items()})
    v = torch.randn(m_cpu.num_params, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    hv_cpu = loss_hessian(m_cpu, X, Y).matvec(v)
    hv_gpu = loss_hessian(m_gpu, X.to(DEV), Y.to(DEV)).matvec(v.to(DEV)).cpu()
    rel = float((hv_gpu - hv_cpu).norm() / hv_cpu.norm())
    check("loss HVP f64", rel <= 1e-10, f"||Hv_cuda - Hv_cpu|| / ||Hv|| = {rel:.1e}")
    kw = dict(of="loss", loss="mean", which="largest", method="lanczos", tol=1e-12)
    s_cpu = hessian_eigs(m_cpu, X, 1, targets=Y, **kw)
    s_gpu = hessian_eigs(m_gpu, X.to(DEV), 1, targets=Y.to(DEV), **kw)
    lam_cpu, lam_gpu = s_cpu.eigenvalues[-1] / 10, s_gpu.eigenvalues[-1] / 10
    REF["lam64"] = lam_cpu
    rel = abs(lam_gpu - lam_cpu) / lam_cpu
    check("loss lambda_max f64", rel <= 1e-10 and abs(lam_cpu - 0.6847215693) < 1e-9,
          f"cpu {lam_cpu:.12f} cuda {lam_gpu:.12f} rel {rel:.1e} (anchors: 0.6847215693)")
    mlp = MLP(input_dim=32, width=SIZES["check_width"], depth=2).init(seed=0)
    x = torch.randn(32, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    e_cpu = hessian_norm(mlp, x, method="lanczos", tol=1e-12)
    e_gpu = hessian_norm(mlp.with_params({k: p.to(DEV) for k, p in mlp.params.items()}), x.to(DEV),
                         method="lanczos", tol=1e-12)
    rel = abs(e_gpu.value - e_cpu.value) / e_cpu.value
    check(f"output ||H_f|| f64 (depth 2, width {SIZES['check_width']})",
          rel <= 1e-10 and e_gpu.device.startswith(DEV),
          f"cpu {e_cpu.value:.14e} cuda {e_gpu.value:.14e} rel {rel:.1e}")
    K_cpu = ntk(m_cpu, X[:64])
    K_gpu = ntk(m_gpu, X[:64].to(DEV)).cpu()
    REF["ntk64"] = K_cpu
    rel = float((K_gpu - K_cpu).abs().max() / K_cpu.abs().max())
    check("NTK f64 (64 inputs x 10 outputs)", rel <= 1e-10, f"max rel diff {rel:.1e}")

# -- 3. float32 with TF32 off / on ---------------------------------------------------------------
if section("3. float32 accuracy, TF32 off and on", 30) and "lam64" in REF:
    net, X, Y = torch_problem(torch.float32)
    m32 = wideproof_model(net.to(DEV))
    kw = dict(of="loss", loss="mean", which="largest", method="lanczos", tol=1e-6)
    for use_tf32, limit in ((False, 1e-5), (True, None)):
        tf32(use_tf32)
        assert torch.backends.cuda.matmul.allow_tf32 is use_tf32
        lam = hessian_eigs(m32, X.to(DEV), 1, targets=Y.to(DEV), **kw).eigenvalues[-1] / 10
        rel = abs(lam - REF["lam64"]) / REF["lam64"]
        K = ntk(m32, X[:64].to(DEV)).double().cpu()
        krel = float((K - REF["ntk64"]).abs().max() / REF["ntk64"].abs().max())
        tag = "TF32 on (asserted)" if use_tf32 else "TF32 off (asserted)"
        if limit is None:
            print(f"  [info] {tag}: lambda_max rel err {rel:.1e}, NTK rel err {krel:.1e}", flush=True)
            REPORT["tf32_errors"] = {"lambda_max": rel, "ntk": krel}
        else:
            check(f"float32 {tag}", rel <= limit and krel <= limit,
                  f"lambda_max rel err {rel:.1e}, NTK rel err {krel:.1e} (limit {limit:g})")
    tf32(False)

# -- 4. timings at GPU sizes ---------------------------------------------------------------------
if section("4a. goal 1 at GPU size: loss Hessian lambda_max, 32-2048-2048-10, n=8192", 60):
    tf32(False)
    for dtype in (torch.float32, torch.float64):
        net, X, Y = torch_problem(dtype, sizes=SIZES["goal1"][0], n=SIZES["goal1"][1])
        model = wideproof_model(net.to(DEV))
        Xc, Yc = X.to(DEV), Y.to(DEV)
        kw = dict(of="loss", loss="mean", which="largest", method="lanczos", tol=1e-6)
        hessian_eigs(model, Xc, 1, targets=Yc, **kw)  # warm-up
        spec, t = sync_time(lambda: hessian_eigs(model, Xc, 1, targets=Yc, **kw), 3)
        op = loss_hessian(model, Xc, Yc)
        vv = torch.randn(model.num_params, device=DEV, dtype=dtype)
        _, t_hvp = sync_time(lambda: op.matvec(vv), 5)
        flops = 11.1 * X.shape[0] * model.num_params  # counted on CPU (cost_model.py): 11.1 n P
        rate = REPORT["gemm_tflops"].get("float64" if dtype == torch.float64 else "float32", float("nan"))
        row = {"goal": 1, "dtype": str(dtype)[6:], "params": model.num_params, "seconds": t,
               "hvps": spec.matvecs, "hvp_ms": 1e3 * t_hvp,
               "hvp_fraction_of_gemm": flops / t_hvp / 1e12 / rate}
        REPORT["timings"].append(row)
        save_report()
        print("  " + json.dumps(row), flush=True)

if section("4b. goal 2 at GPU sizes: output-Hessian norm, depth 2, float64", 90):
    x = torch.randn(32, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).to(DEV)
    for width in SIZES["goal2"]:
        if BUDGET - elapsed() < 200:
            print(f"  width {width}: SKIPPED (keeping time for the headline)")
            continue
        mlp = MLP(input_dim=32, width=width, depth=2).init(seed=0, device=DEV)
        est, t = sync_time(lambda: hessian_norm(mlp, x, method="lanczos", tol=1e-10))
        row = {"goal": 2, "width": width, "params": mlp.num_params, "value": est.value,
               "bound": est.error_bound, "matvecs": est.matvecs, "seconds": t}
        if width == SIZES["cross"]:  # the cross-check of the headline's method
            pw, tp = sync_time(lambda: hessian_norm(mlp, x, method="power", tol=1e-8, max_matvecs=3000))
            row.update(power_value=pw.value, power_matvecs=pw.matvecs, power_seconds=tp)
            check(f"power iteration = Lanczos at width {width}", abs(pw.value - est.value) <= 1e-7 * est.value,
                  f"lanczos {est.value:.12e} power {pw.value:.12e}")
        REPORT["timings"].append(row)
        save_report()
        print("  " + json.dumps(row), flush=True)
        del mlp
        if not DRY:
            torch.cuda.empty_cache()

if section("4c. goal 3 at GPU size: NTK of the issue-8 net on 512 inputs (5120^2 entries)", 30):
    for dtype in (torch.float32, torch.float64):
        tf32(False)
        net, X, _ = torch_problem(dtype, n=SIZES["goal3_n"])
        net, Xc = net.to(DEV), X.to(DEV)
        model = wideproof_model(net)
        K1, t1 = sync_time(lambda: ntk(model, Xc), 2)
        K2, t2 = sync_time(lambda: kernel_structured(net, Xc), 2)
        rel = float((K1 - K2).abs().max() / K1.abs().max())
        check(f"NTK library = structured candidate ({str(dtype)[6:]})",
              rel <= (1e-5 if dtype == torch.float32 else 1e-12), f"max rel diff {rel:.1e}")
        row = {"goal": 3, "dtype": str(dtype)[6:], "library_s": t1, "structured_s": t2}
        REPORT["timings"].append(row)
        save_report()
        print("  " + json.dumps(row), flush=True)

# -- 5. headline ---------------------------------------------------------------------------------
if section("5. HEADLINE: ||H_f|| of a depth-2 tanh MLP at width 32768, float64 (Lanczos, no basis)", 60):
    tf32(False)
    if not DRY:
        torch.cuda.empty_cache()
    width = SIZES["headline"]
    mlp = MLP(input_dim=32, width=width, depth=2).init(seed=0, device=DEV)
    x = torch.randn(32, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).to(DEV)
    P = mlp.num_params
    free_gb = 0.0 if DRY else torch.cuda.mem_get_info()[0] / 2**30
    print(f"  P = {P:,} parameters, {P * 8 / 2**30:.1f} GiB per vector; free {free_gb:.0f} GiB",
          flush=True)
    op = model_hessian(mlp, x)
    vv = torch.randn(P, device=DEV, dtype=torch.float64)
    _, t_hvp = sync_time(lambda: op.matvec(vv), 2)
    left = BUDGET - elapsed() - 10
    budget_mv = max(50, int(left / t_hvp))
    print(f"  one HVP {1e3 * t_hvp:.0f} ms -> at most {budget_mv} products in the time left", flush=True)
    del op, vv
    try:
        est, t = sync_time(lambda: hessian_norm(mlp, x, method="lanczos", tol=1e-10,
                                                max_matvecs=budget_mv))
        row = {"goal": "headline", "width": width, "params": P, "value": est.value,
               "bound": est.error_bound, "matvecs": est.matvecs, "seconds": t,
               "hvp_ms": 1e3 * t_hvp,
               "peak_gb": 0.0 if DRY else torch.cuda.max_memory_allocated() / 2**30}
        check("headline certified", est.error_bound <= 1e-8 * est.value,
              f"||H_f|| = {est.value:.12e} +- {est.error_bound:.1e}")
        # plausibility: Liu et al. 2020 predict ~ m^{-1/2}; compare with the width-16384 value
        prev = [r for r in REPORT["timings"] if r.get("goal") == 2 and r.get("width") == width // 2]
        if prev:
            slope = math.log(est.value / prev[0]["value"]) / math.log(2)
            row["slope_vs_half_width"] = slope
            print(f"  local log-log slope {width // 2} -> {width}: {slope:.3f} (theory about -0.5)",
                  flush=True)
        REPORT["timings"].append(row)
        save_report()
        print("  " + json.dumps(row), flush=True)
    except Exception as exc:  # NumericalError (not converged) or out of memory: report, do not hide
        check("headline", False, f"{type(exc).__name__}: {exc}")

save_report()
print(f"\nelapsed {elapsed():.0f} s; {len(REPORT['checks']) - len(FAILED)} checks ok, "
      f"{len(FAILED)} failed: {FAILED}", flush=True)
sys.exit(1 if FAILED else 0)
PY
