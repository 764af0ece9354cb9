r"""Claims of Mallinar, Beaglehole, Zhu, Radhakrishnan, Pandit & Belkin, "Emergence in non-neural
models: grokking modular arithmetic via average gradient outer product" (ICML 2025,
arXiv:2407.20199).

``mallinar2024.grokking`` -- §3-§5, Fig. 2-4: the Recursive Feature Machine (Alg. 1, ridgeless,
:math:`M_{t+1} = G_t^{1/2}`, centered AGOP) on modular addition interpolates the training set at
every iteration while the test accuracy stays near zero through a flat phase and then jumps to
(nearly) 1; before the jump the bottom-left block of :math:`M_t` becomes circulant (its circulant
deviation falls, §5.4) and the AGOP alignment :math:`\rho(M_t, M_T)` rises.  Settings and
thresholds: ours, from a pilot run (the paper's fraction 0.5
needs :math:`p \ge 47`, so the quick profile uses :math:`p = 23` at fraction 0.7).

``mallinar2024.fourier`` -- Theorem 5.1 (Mallinar et al. 2024, §5): with all :math:`p^2` pairs
of modular subtraction and :math:`M_\ell = \begin{pmatrix}0&C^\ell\\ (C^\ell)^\top&0\end{pmatrix}`
(:math:`C_{i,(i+1)\bmod p} = 1`), the ridgeless quadratic-kernel predictor of class :math:`\ell`
has coefficients :math:`\alpha^{(\ell)} = \frac12C^{3\ell} - \frac{1}{2p+2}\mathbf 1\mathbf 1^\top`
(:math:`\alpha_{a,b}` the coefficient of :math:`e_a\oplus e_b`) and equals the Fourier
multiplication algorithm (FMA) on one-hot inputs; off that domain it equals
:math:`x_{[1]}^\top C^{-\ell}x_{[2]}` plus a class-independent term (by direct evaluation).
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..sweeps import Task
from ._checklist import ChecklistRule
from ._claim import Claim, Profile

if TYPE_CHECKING:
    from torch import Tensor

    from ..features import MahalanobisKernel, RFMResult

__all__ = [
    "CLAIMS",
    "FOURIER",
    "GROKKING",
    "fma_term",
    "fourier_identity",
    "fourier_metric",
    "grokking_run",
    "grokking_summary",
    "shift_matrix",
]

PAPER = (
    "Mallinar, Beaglehole, Zhu, Radhakrishnan, Pandit & Belkin 2025, Emergence in non-neural "
    "models: grokking modular arithmetic via average gradient outer product, ICML 2025, "
    "arXiv:2407.20199"
)

# -- grokking -----------------------------------------------------------------------------------
FLAT_ITERATIONS = 6  # test accuracy < FLAT_ACCURACY for t = 0..5 (observed flat >= 8, §1.6)
FLAT_ACCURACY = 0.05
JUMP_ACCURACY = 0.99
CIRC_DROP = 0.3  # circ. dev. at the last flat iteration <= 0.3 x peak over t in {1,2,3}
CIRC_AT_JUMP = 0.05
ALIGN_TOL = 1e-3
ALIGN_START_MAX = 0.85  # rho(M_0, M_T) (observed 0.73-0.78)
ALIGN_JUMP_MIN = 0.95  # rho(M_jump, M_T) (observed >= 0.988 at p = 23)
HANKEL_MIN = 0.9  # the other orientation stays far from 0 (observed >= 0.94)
TRAIN_MSE_MAX = 1e-20

GROKKING_CHECKS = (
    ("interpolates", f"train MSE < {TRAIN_MSE_MAX:g} at every iteration"),
    ("flat_phase", f"test accuracy < {FLAT_ACCURACY} at iterations 0-{FLAT_ITERATIONS - 1}"),
    ("groks", f"best test accuracy over the iterations >= {JUMP_ACCURACY}"),
    (
        "circulant_before_jump",
        f"circulant deviation of M_t[p:2p, :p] at the last flat iteration <= {CIRC_DROP} x its "
        "peak over t = 1..3",
    ),
    ("circulant_at_jump", f"circulant deviation at the jump iteration <= {CIRC_AT_JUMP}"),
    ("alignment_monotone", f"rho(M_t, M_T) never decreases by more than {ALIGN_TOL:g}"),
    (
        "alignment_rises",
        f"rho(M_0, M_T) <= {ALIGN_START_MAX} and rho(M_jump, M_T) >= {ALIGN_JUMP_MIN}",
    ),
    (
        "hankel_control",
        f"the Hankel-orientation deviation of the final block stays >= {HANKEL_MIN} "
        "(the learned structure is circulant, not any structure)",
    ),
)

CHECK_NAMES = frozenset(name for name, _ in GROKKING_CHECKS)


def _kernel(name: str, bandwidth: float) -> MahalanobisKernel:
    from ..features import gaussian_kernel, quadratic_kernel

    if name == "gaussian":
        return gaussian_kernel(bandwidth, convention="code")
    if name == "quadratic":
        return quadratic_kernel()
    raise ConfigError(f"kernel={name!r} must be 'gaussian' or 'quadratic'")


def grokking_summary(result: RFMResult, p: int) -> dict[str, float]:
    """The per-run checks (:data:`GROKKING_CHECKS`, 0/1) and the numbers behind them for one RFM
    run on addition mod ``p``: ``jump_iteration`` (first ``t`` with test accuracy >= 0.99, NaN if
    none), ``flat_length`` (leading iterations with accuracy within 0.05 of iteration 0),
    ``best_accuracy``, circulant deviations (``circ_peak``, ``circ_last_flat``, ``circ_at_jump``,
    ``circ_final``, ``hankel_final``) and alignments (``align_start``, ``align_at_jump``)."""
    from ..features import circulant_deviation

    acc = result.test_accuracy()
    hist = result.history
    if len(hist) < FLAT_ITERATIONS:
        raise ConfigError(f"a grokking run needs at least {FLAT_ITERATIONS} iterations")
    flat = next((t for t, a in enumerate(acc) if a - acc[0] >= FLAT_ACCURACY), len(acc))
    jump = result.first_iteration_reaching(JUMP_ACCURACY)
    circ = [math.nan] + [circulant_deviation(it.metric[p:, :p], shift="left") for it in hist[1:]]
    peak = max(circ[1 : min(4, len(circ))])
    last_flat = circ[flat - 1] if flat >= 2 else math.nan
    at_jump = circ[jump] if jump is not None and jump >= 1 else math.nan
    align = [it.alignment for it in hist]
    align_jump = align[jump] if jump is not None else math.nan
    hankel = circulant_deviation(result.final_metric[p:, :p], shift="right")
    checks = {
        "interpolates": max(it.train.mse for it in hist) < TRAIN_MSE_MAX,
        "flat_phase": all(a < FLAT_ACCURACY for a in acc[:FLAT_ITERATIONS]),
        "groks": max(acc) >= JUMP_ACCURACY,
        "circulant_before_jump": last_flat <= CIRC_DROP * peak,
        "circulant_at_jump": at_jump <= CIRC_AT_JUMP,
        "alignment_monotone": all(b >= a - ALIGN_TOL for a, b in itertools.pairwise(align)),
        "alignment_rises": align[0] <= ALIGN_START_MAX and align_jump >= ALIGN_JUMP_MIN,
        "hankel_control": hankel >= HANKEL_MIN,
    }
    out = {k: float(v) for k, v in checks.items()}
    out.update(
        jump_iteration=math.nan if jump is None else float(jump),
        flat_length=float(flat),
        best_accuracy=max(acc),
        final_accuracy=acc[-1],
        circ_peak=peak,
        circ_last_flat=last_flat,
        circ_at_jump=at_jump,
        circ_final=circ[-1],
        hankel_final=hankel,
        align_start=align[0],
        align_at_jump=align_jump,
    )
    return out


def grokking_run(task: Task) -> dict[str, float]:
    """RFM on addition mod ``p = task.value`` with the setting ``task.args["settings"][str(p)]``
    (training fraction, iterations, kernels), split seed ``task.seed``.  Each check is the minimum
    over the kernels; the numbers are reported per kernel (``jump_iteration_gaussian``, ...)."""
    from ..features import modular_arithmetic, rfm

    p = int(task.value)
    settings = task.args["settings"]
    if str(p) not in settings:
        raise ConfigError(f"p={p} has no setting; known: {sorted(settings, key=int)}")
    setting = settings[str(p)]
    data = modular_arithmetic(
        p,
        "add",
        train_fraction=float(setting["train_fraction"]),
        seed=task.seed,
        device=task.device,
    )
    out: dict[str, float] = {}
    for name in setting["kernels"]:
        result = rfm(
            data.x_train,
            data.y_train,
            kernel=_kernel(name, float(task.args["bandwidth"])),
            iterations=int(setting["iterations"]),
            x_test=data.x_test,
            y_test=data.y_test,
            power=0.5,
            centered=True,
        )
        for key, value in grokking_summary(result, p).items():
            if key in CHECK_NAMES:
                out[key] = min(out.get(key, 1.0), value)
            else:
                out[f"{key}_{name}"] = value
    return out


GROKKING = Claim(
    id="mallinar2024.grokking",
    paper=PAPER + ", Alg. 1, §3-§5, Fig. 2-4",
    statement=(
        "RFM with the Gaussian (and quadratic) Mahalanobis kernel on modular addition: zero "
        "training loss at every iteration, test accuracy near zero through a flat phase, then a "
        "jump to >= 0.99; before the jump the learned feature block becomes circulant and the "
        "AGOP alignment with the final feature matrix rises."
    ),
    knob="p",
    measure=grokking_run,
    measure_args={
        "bandwidth": 2.5,
        "settings": {
            "23": {"train_fraction": 0.7, "iterations": 25, "kernels": ["gaussian"]},
            "61": {"train_fraction": 0.5, "iterations": 40, "kernels": ["gaussian", "quadratic"]},
        },
    },
    rule=ChecklistRule(GROKKING_CHECKS),
    profiles={
        "quick": Profile(values=(23,), seeds=(0, 1, 2)),
        "full": Profile(values=(61,), seeds=(0, 1, 2)),
    },
)


# -- Theorem 5.1 --------------------------------------------------------------------------------
ALPHA_TOL = 1e-12
OFF_DOMAIN_TOL = 1e-10
TRANSPOSE_GAP = 0.4  # the transposed coefficient matrix misses by 1/2 for l != 0
BILINEAR_GAP = 0.1  # off the one-hot domain the bilinear form alone misses by O(1)


def shift_matrix(p: int) -> Tensor:
    """:math:`C` with :math:`C_{i,(i+1)\\bmod p} = 1` (int64)."""
    import torch

    return torch.roll(torch.eye(p, dtype=torch.int64), 1, dims=1)


def fourier_metric(c_l: Tensor) -> Tensor:
    import torch

    p = c_l.shape[0]
    zero = torch.zeros(p, p, dtype=c_l.dtype)
    return torch.cat([torch.cat([zero, c_l], 1), torch.cat([c_l.T, zero], 1)], 0)


def fma_term(x1: Tensor, x2: Tensor, index: int) -> Tensor:
    r""":math:`\sqrt p\langle Fx_{[1]}\odot Fe_{index}, Fx_{[2]}\rangle_{\mathbb C}` for the rows of
    ``x1``, ``x2`` (unitary DFT, :math:`\langle u,v\rangle = u^\top\bar v`)."""
    import torch

    p = x1.shape[1]
    fe = torch.fft.fft(torch.eye(p, dtype=torch.complex128)[index], norm="ortho")
    f1 = torch.fft.fft(x1.to(torch.complex128), norm="ortho", dim=1)
    f2 = torch.fft.fft(x2.to(torch.complex128), norm="ortho", dim=1)
    out: Tensor = (math.sqrt(p) * (f1 * fe * f2.conj()).sum(1)).real
    return out


def _printed_shift(x: Tensor, a: Tensor, b: Tensor) -> float:
    """The ``k`` with which the FMA as printed (index :math:`e_{p-\\ell-1}`, 0-based) returns
    :math:`\\mathbb 1\\{a - b \\equiv \\ell + k\\}` for every class
    (NaN if it is no such indicator)."""
    p = x.shape[1] // 2
    shifts: set[int] = set()
    for ell in range(p):
        vals = fma_term(x[:, :p], x[:, p:], (p - ell - 1) % p)
        ones = (vals - 1).abs() < 1e-9
        if not bool((ones | (vals.abs() < 1e-9)).all()):
            return math.nan
        shifts |= set(((a - b - ell)[ones] % p).tolist())
    return float(shifts.pop()) if len(shifts) == 1 else math.nan


def _exact_identity(p: int, c: Tensor, inputs: Tensor, labels: Tensor) -> bool:
    """Integer check of :math:`K_\\ell\\alpha^{(\\ell)} = y_\\ell` for every class (scaled by
    :math:`2p+2`) and :math:`\\det K_\\ell \\neq 0` (python-flint), so the closed form is THE
    ridgeless solution."""
    import flint
    import torch

    x = inputs.to(torch.int64)
    for ell in range(p):
        c_l = torch.linalg.matrix_power(c, ell)
        gram = (x @ fourier_metric(c_l) @ x.T) ** 2
        alpha = ((p + 1) * torch.linalg.matrix_power(c, 3 * ell) - 1).reshape(-1)
        target = (2 * p + 2) * (labels == ell).to(torch.int64)
        if not torch.equal(gram @ alpha, target):
            return False
        if flint.fmpz_mat(gram.tolist()).det() == 0:
            return False
    return True


def fourier_identity(task: Task) -> dict[str, float]:
    """Theorem 5.1 at ``p = task.value``: exact integer checks when ``p <=
    task.args["exact_max_p"]``, float64 checks (through :func:`fit_kernel_machine`, LU solve) for
    every ``p``, and ``printed_fma_shift``: the ``k`` with which the FMA as printed
    (:math:`e_{p-\\ell-1}`, 0-based) flags :math:`a - b \\equiv \\ell + k` (NaN if none)."""
    import torch

    from ..features import fit_kernel_machine, modular_arithmetic, quadratic_kernel

    p = int(task.value)
    data = modular_arithmetic(p, "sub", train_fraction=1.0)
    x, labels = data.inputs, data.labels
    c = shift_matrix(p)
    out: dict[str, float] = {}
    if p <= int(task.args["exact_max_p"]):
        out["alpha_exact"] = float(_exact_identity(p, c, x, labels))
    gen = torch.Generator().manual_seed(task.seed)
    x_off = torch.randn(
        int(task.args["off_domain_points"]), 2 * p, generator=gen, dtype=torch.float64
    )
    x1, x2 = x_off[:, :p], x_off[:, p:]
    extra = ((x1 * x1).sum(1) + (x2 * x2).sum(1) - 2 * x1.sum(1) * x2.sum(1)) / (2 * p + 2)
    alpha_err = transpose_gap = fma_err = off_err = 0.0
    bilinear_gap = math.inf
    for ell in range(p):
        c_l = torch.linalg.matrix_power(c, ell).to(torch.float64)
        y = (labels == ell).to(torch.float64)
        machine = fit_kernel_machine(quadratic_kernel(), x, y, fourier_metric(c_l), method="lu")
        c3 = torch.linalg.matrix_power(c, 3 * ell).to(torch.float64)
        closed = (0.5 * c3 - 1.0 / (2 * p + 2)).reshape(-1)
        closed_t = (0.5 * c3.T - 1.0 / (2 * p + 2)).reshape(-1)
        alpha = machine.alpha[:, 0]
        alpha_err = max(alpha_err, float((alpha - closed).abs().max()))
        transpose_gap = max(transpose_gap, float((alpha - closed_t).abs().max()))
        fma = fma_term(x[:, :p], x[:, p:], (p - ell) % p)
        fma_err = max(fma_err, float((machine.predict(x) - fma).abs().max()))
        bilinear = ((x1 @ c_l.T) * x2).sum(1)  # x1^T C^{-l} x2 = x1^T (C^T)^l x2
        pred = machine.predict(x_off)
        scale = max(1.0, float(pred.abs().max()))
        off_err = max(off_err, float((pred - bilinear - extra).abs().max()) / scale)
        bilinear_gap = min(bilinear_gap, float((pred - bilinear).abs().max()))
    shift = _printed_shift(x, data.operands[:, 0], data.operands[:, 1])
    out.update(
        alpha_float64=float(alpha_err <= ALPHA_TOL),
        alpha_transpose_control=float(transpose_gap >= TRANSPOSE_GAP),
        fma_one_hot=float(fma_err <= ALPHA_TOL),
        off_domain_formula=float(off_err <= OFF_DOMAIN_TOL),
        off_domain_control=float(bilinear_gap >= BILINEAR_GAP),
        alpha_max_error=alpha_err,
        alpha_transpose_gap=transpose_gap,
        fma_max_error=fma_err,
        off_domain_max_error=off_err,
        off_domain_bilinear_gap=bilinear_gap,
        printed_fma_shift=shift,
    )
    return out


FOURIER = Claim(
    id="mallinar2024.fourier",
    paper=PAPER + ", Theorem 5.1 and §5 (Fourier multiplication algorithm)",
    statement=(
        "With all p^2 pairs of modular subtraction and the circulant Mahalanobis matrices "
        "M_l = [[0, C^l], [(C^l)^T, 0]], the ridgeless quadratic-kernel predictor of class l has "
        "alpha = C^{3l}/2 - 11^T/(2p+2) and equals the Fourier multiplication algorithm on "
        "one-hot inputs (off that domain up to a class-independent term)."
    ),
    knob="p",
    measure=fourier_identity,
    measure_args={"exact_max_p": 7, "off_domain_points": 200},
    rule=ChecklistRule(
        (
            (
                "alpha_exact",
                "K_l alpha = y_l in exact integer arithmetic and det K_l != 0 (p <= 7)",
            ),
            (
                "alpha_float64",
                f"the float64 ridgeless solve matches the closed form to {ALPHA_TOL:g}",
            ),
            ("alpha_transpose_control", f"the transposed closed form misses by >= {TRANSPOSE_GAP}"),
            (
                "fma_one_hot",
                "the predictor equals the FMA (index e_{(p-l) mod p}) on all p^2 "
                f"one-hot inputs to {ALPHA_TOL:g}",
            ),
            (
                "off_domain_formula",
                "off the one-hot domain the predictor equals x1^T C^{-l} x2 + "
                "(|x1|^2 + |x2|^2 - 2(1^T x1)(1^T x2))/(2p+2) to "
                f"{OFF_DOMAIN_TOL:g} (relative)",
            ),
            (
                "off_domain_control",
                f"the bilinear form alone misses by >= {BILINEAR_GAP} off the one-hot domain",
            ),
        )
    ),
    profiles={
        "quick": Profile(values=(5, 7, 11), seeds=(0,)),
        "full": Profile(values=(5, 7, 11, 13, 17, 19, 23, 29, 31), seeds=(0,)),
    },
)

CLAIMS = (GROKKING, FOURIER)
