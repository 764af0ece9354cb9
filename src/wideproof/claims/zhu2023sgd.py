r"""Claims of Zhu, Liu, Radhakrishnan & Belkin, "Catapults in SGD: spikes in the training loss and
their impact on generalization through feature learning" (ICML 2024, arXiv:2306.04815).

Network and task (ours; the paper's protocol is not recoverable): a two-layer ReLU NTK network
:math:`f(x) = \frac1{\sqrt m}\sum_i v_i\,\mathrm{relu}(w_i^\top x/\sqrt d)`, no bias, both layers
trained, on :math:`x\sim\mathcal N(0, I_{20})` with the target :math:`f^*(x) = x_1x_2`.

``zhu2023sgd.top-eigenspace`` -- §3 (Fig. 2): under GD with :math:`\eta > \eta_{crit}` the loss
spike lives in the loss projected on the top eigenvectors of the tangent kernel,
:math:`\mathcal P_s\mathcal L = \tfrac12\sum_{i\le s}\langle p_i(t), f-y\rangle^2` (``s = 5``),
while the
complement :math:`\mathcal L - \mathcal P_s\mathcal L` does not spike.  Knob
:math:`r = \eta\lambda_1(K_0)/2` (½-sum loss).  Rule (§6.6): per run, peak/L0 >= 2,
:math:`\mathcal P_5\mathcal L/\mathcal L \ge 0.95` at the peak,
:math:`\max_t(\mathcal L - \mathcal P_5\mathcal L) \le 0.05\max_t\mathcal L`, final
:math:`\eta\lambda_1 < 2`.  The paper's width (>= 2048 for r = 1.05) is too slow for a quick
profile; quick runs the recommended m = 1024 at r in {1.2, 1.5} with 2 seeds (the kernel probe at
every step costs ~0.5 s there, ~1 min of CPU per run).  At m = 512 the complement check failed at
r = 1.2 (max complement 0.059-0.068 of the peak against 0.05), so the width is not lowered.

``zhu2023sgd.batch-size`` -- §4 (Fig. 4-5): SGD at a fixed learning rate (mean loss,
:math:`\eta_{crit}(B) = b/\lambda_{\max}(K_B)`, so small batches are super-critical first): the
number of catapults falls as the batch size grows, and the AGOP alignment with the target's AGOP
rises with the number of catapults.  Our protocol (the paper's is not recoverable, §3.2 of the
notes): the same number of steps for every batch size; catapults counted on the *full* training
loss (:func:`~wideproof.dynamics.detect_catapults`, factor 2, window 50, floor 1e-2 L0); effect
sizes, not rank tests (a no-catapult control at :math:`\eta = 1` gives Spearman -0.94 on
differences of 0.002).  Per seed: b = 4 does not diverge; spikes(4) >= 10 > spikes(16) >=
spikes(n) = 0; :math:`\lambda_{\max}(K_T)/\lambda_{\max}(K_0) \le 0.9` at b = 4; test-AGOP
alignment(4) > alignment(n); test MSE(n) - MSE(4) >= 0.05; and over seeds the mean alignment gain
is >= 0.01.  In-verdict control: SGD with the smallest batch at
:math:`\eta = 0.5/\max_i K_0(x_i,x_i)` (``control_factor``; below every batch-critical rate at
initialization, :func:`safe_rate_scale`) has no catapult.  (A fixed :math:`\eta = 1` was not
below it at every seed: it catapulted at seeds 4 and 11 of a 12-seed run.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..families import MLP, Model
from ..sweeps import Point, Task
from ..sweeps._json import float_to_json
from ._checklist import ChecklistRule
from ._claim import Claim, Profile
from ._extra_rules import AllOf
from ._verdict import Status, Verdict

if TYPE_CHECKING:
    import torch
    from torch import Tensor

    from ..dynamics import Probes, Trajectory

__all__ = [
    "BATCH_SIZE",
    "CLAIMS",
    "TOP_EIGENSPACE",
    "BatchSizeRule",
    "BatchSizeSetting",
    "batch_size_run",
    "batch_size_setting",
    "product_task",
    "relu_network",
    "top_eigenspace_run",
]

PAPER = (
    "Zhu, Liu, Radhakrishnan & Belkin 2024, Catapults in SGD: spikes in the training loss and "
    "their impact on generalization through feature learning, ICML 2024, arXiv:2306.04815"
)


def product_task(n: int, d: int, seed: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """``n`` inputs :math:`\\mathcal N(0, I_d)` and the targets :math:`x_1x_2`."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    return x.to(dtype), (x[:, 0] * x[:, 1]).to(dtype)


def product_agop(x: Tensor) -> Tensor:
    """AGOP of :math:`x_1x_2` over the rows of ``x``:
    :math:`\\nabla f^* = (x_2, x_1, 0, \\dots)`."""
    import torch

    grad = torch.zeros_like(x)
    grad[:, 0], grad[:, 1] = x[:, 1], x[:, 0]
    return grad.T @ grad / x.shape[0]


def relu_network(width: int, d: int, seed: int, dtype: torch.dtype) -> Model:
    spec = MLP(input_dim=d, width=width, depth=1, activation="relu", parameterization="ntk")
    return spec.init(seed, dtype=dtype)


# -- top eigenspace -----------------------------------------------------------------------------
TOP_S = 5
PEAK_MIN = 2.0
SHARE_MIN = 0.95
COMPLEMENT_MAX = 0.05


def top_eigenspace_run(task: Task) -> dict[str, float]:
    """GD (½-sum loss) at :math:`\\eta = 2r/\\lambda_1(K_0)`, ``r`` = ``task.value``; probes every
    step.  Control: the same network at ``control_r`` < 1 (below the critical rate, where the
    linearized dynamics contracts every eigendirection), loss only; it must not spike."""
    import torch

    from ..dynamics import Probes, gd
    from ..measures import ntk

    d, n, width = int(task.args["d"]), int(task.args["n"]), int(task.args["width"])
    x, y = product_task(n, d, 2000 + task.seed, torch.float64)
    model = relu_network(width, d, task.seed, torch.float64)
    lam1 = float(torch.linalg.eigvalsh(ntk(model, x))[-1])
    eta = 2.0 * float(task.value) / lam1
    traj = gd(
        model,
        x,
        y,
        eta=eta,
        steps=int(task.args["steps"]),
        loss="half_sum",
        probes=Probes(every=1, gradient=False, kernel=True, top_s=TOP_S),
    )
    loss = [p.loss for p in traj.probes]
    top = [p.top_loss for p in traj.probes]
    peak_t = max(range(len(loss)), key=loss.__getitem__)
    share = float(top[peak_t]) / loss[peak_t]  # type: ignore[arg-type]
    complement = max(lt - float(pt) for lt, pt in zip(loss, top, strict=True))  # type: ignore[arg-type]
    final = eta * traj.probes[-1].scalar("lambda_max")
    peak_ratio = loss[peak_t] / loss[0]
    control = gd(
        model,
        x,
        y,
        eta=2.0 * float(task.args["control_r"]) / lam1,
        steps=int(task.args["steps"]),
        loss="half_sum",
        probes=Probes(every=1, gradient=False),
    )
    control_peak = max(control.loss) / control.loss[0]
    return {
        "spikes": float(peak_ratio >= PEAK_MIN),
        "top_share_at_peak": float(share >= SHARE_MIN),
        "complement_flat": float(complement <= COMPLEMENT_MAX * loss[peak_t]),
        "final_below_2": float(final < 2.0),
        "peak_over_l0": peak_ratio,
        "share_at_peak": share,
        "complement_over_peak": complement / loss[peak_t],
        "final_eta_lambda": final,
        "final_loss_ratio": loss[-1] / loss[0],
        "control_no_spike": float(control_peak < PEAK_MIN),
        "control_peak_over_l0": control_peak,
    }


TOP_EIGENSPACE = Claim(
    id="zhu2023sgd.top-eigenspace",
    paper=PAPER + ", §3, Fig. 2",
    statement=(
        "Under GD with eta > eta_crit the loss spike lives in the loss projected on the top-5 "
        "tangent-kernel eigenvectors; the complement does not spike, and the catapult ends with "
        "eta*lambda_1 < 2."
    ),
    knob="r",
    measure=top_eigenspace_run,
    measure_args={"d": 20, "n": 128, "width": 1024, "steps": 100, "control_r": 0.8},
    rule=AllOf(
        (
            (
                "checks",
                ChecklistRule(
                    (
                        ("spikes", f"max_t L_t >= {PEAK_MIN} L_0"),
                        ("top_share_at_peak", f"P_5 L / L >= {SHARE_MIN} at the peak"),
                        ("complement_flat", f"max_t (L - P_5 L) <= {COMPLEMENT_MAX} max_t L"),
                        ("final_below_2", "final eta*lambda_1(K_T) < 2"),
                    )
                ),
            ),
            (
                "control",
                ChecklistRule(
                    (
                        (
                            "control_no_spike",
                            f"control: GD at r = 0.8 < 1 (below eta_crit) never reaches "
                            f"{PEAK_MIN} L_0",
                        ),
                    )
                ),
            ),
        )
    ),
    profiles={
        "quick": Profile(values=(1.2, 1.5), seeds=(0, 1)),
        "full": Profile(values=(1.2, 1.5), seeds=tuple(range(10))),
    },
)


# -- batch size ---------------------------------------------------------------------------------
SPIKES_SMALL_MIN = 10
SHARPNESS_RATIO_MAX = 0.9
TEST_GAP_MIN = 0.05
ALIGN_GAP_MEAN_MIN = 0.01


@dataclass(frozen=True)
class BatchSizeSetting:
    """The data, network and probes of :func:`batch_size_run` (one seed)."""

    x: Tensor
    y: Tensor
    x_test: Tensor
    y_test: Tensor
    model: Model
    probes: Probes


def batch_size_setting(args: Mapping[str, Any], seed: int) -> BatchSizeSetting:
    """Training data (seed ``3000 + seed``), test data (``4000 + seed``), the ReLU network and the
    probes (top kernel eigenvalue, AGOP alignment on the test inputs) for ``args`` of the claim."""
    import torch

    from ..dynamics import Probes

    d, n, width = int(args["d"]), int(args["n"]), int(args["width"])
    dtype = getattr(torch, str(args["dtype"]))
    x, y = product_task(n, d, 3000 + seed, dtype)
    x_test, y_test = product_task(int(args["n_test"]), d, 4000 + seed, dtype)
    probes = Probes(
        every=None,
        gradient=False,
        kernel=True,
        top_s=1,
        agop_target=product_agop(x_test),
        agop_inputs=x_test,
    )
    return BatchSizeSetting(x, y, x_test, y_test, relu_network(width, d, seed, dtype), probes)


def safe_rate_scale(model: Model, x: Tensor) -> float:
    r""":math:`\max_i K_0(x_i, x_i)`: every batch :math:`B` of size :math:`b` has
    :math:`\lambda_{\max}(K_B) \le \operatorname{tr} K_B \le b \max_i K_0(x_i, x_i)`, so
    :math:`\eta < 1/\max_i K_0(x_i,x_i)` is below every batch-critical rate
    :math:`b/\lambda_{\max}(K_B)` at initialization, whatever the seed."""
    import torch

    from ..measures import ntk

    return float(torch.diagonal(ntk(model, x)).max())


def batch_size_run(task: Task) -> dict[str, float]:
    """SGD at :math:`\\eta` = ``task.value`` (mean loss) for each batch size of
    ``task.args["batches"]`` (ascending, the last the full set), the same ``steps`` for each, on
    the same data and initialization; per batch size: full-loss catapult count, sharpness ratio
    :math:`\\lambda_{\\max}(K_T)/\\lambda_{\\max}(K_0)`, test-AGOP alignment, test MSE."""

    from ..dynamics import detect_catapults, sgd

    setting = batch_size_setting(task.args, task.seed)
    x, y, x_test, y_test = setting.x, setting.y, setting.x_test, setting.y_test
    model, probes = setting.model, setting.probes
    out: dict[str, float] = {}
    batches = [int(b) for b in task.args["batches"]]

    def run(eta: float, b: int) -> Trajectory:
        return sgd(
            model,
            x,
            y,
            eta=eta,
            steps=int(task.args["steps"]),
            batch_size=b,
            seed=task.seed,
            loss="mean",
            probes=probes,
            on_divergence="stop",
        )

    for b in batches:
        traj = run(float(task.value), b)
        out[f"diverged_{b}"] = float(traj.diverged)
        if traj.diverged:
            continue
        first, last = traj.probes[0], traj.probes[-1]
        out[f"spikes_{b}"] = float(len(detect_catapults(traj.loss)))
        out[f"sharpness_ratio_{b}"] = last.scalar("lambda_max") / first.scalar("lambda_max")
        out[f"align_{b}"] = last.scalar("agop_alignment")
        pred = model.apply_flat(traj.final_params, x_test)
        out[f"test_mse_{b}"] = float(((pred - y_test) ** 2).mean())
    small, mid, full = batches[0], batches[1], batches[-1]
    control_eta = float(task.args["control_factor"]) / safe_rate_scale(model, x)
    out["control_eta"] = control_eta
    control = run(control_eta, small)
    out["control_spikes_small"] = (
        math.nan if control.diverged else float(len(detect_catapults(control.loss)))
    )
    out["control_no_catapults"] = float(out["control_spikes_small"] == 0.0)
    ok = not any(out[f"diverged_{b}"] for b in batches)
    out["no_divergence"] = float(ok)
    if ok:
        s_small, s_mid, s_full = (out[f"spikes_{b}"] for b in (small, mid, full))
        out["spikes_fall"] = float(s_small >= SPIKES_SMALL_MIN > s_mid >= s_full == 0)
        out["sharpness_drops"] = float(out[f"sharpness_ratio_{small}"] <= SHARPNESS_RATIO_MAX)
        out["align_gain"] = out[f"align_{small}"] - out[f"align_{full}"]
        out["alignment_rises"] = float(out["align_gain"] > 0)
        out["test_gain"] = out[f"test_mse_{full}"] - out[f"test_mse_{small}"]
        out["test_improves"] = float(out["test_gain"] >= TEST_GAP_MIN)
    return out


BATCH_CHECKS = (
    ("no_divergence", "no batch size diverges"),
    ("spikes_fall", f"spikes(b_min) >= {SPIKES_SMALL_MIN} > spikes(b_mid) >= spikes(n) = 0"),
    ("sharpness_drops", f"lambda_max(K_T)/lambda_max(K_0) <= {SHARPNESS_RATIO_MAX} at b_min"),
    ("alignment_rises", "test-AGOP alignment at b_min > at full batch"),
    ("test_improves", f"test MSE(full) - test MSE(b_min) >= {TEST_GAP_MIN}"),
)


@dataclass(frozen=True)
class BatchSizeRule:
    """The per-seed checks of :data:`BATCH_CHECKS` (a :class:`ChecklistRule`) and the effect-size
    margin: the mean over seeds of align(b_min) - align(n) is at least ``align_gain_min``.
    HOLDS when both hold, FAILS when either fails, INCONCLUSIVE when the checklist is."""

    align_gain_min: float = ALIGN_GAP_MEAN_MIN

    @property
    def observation(self) -> str:
        return "spikes_fall"

    def describe(self, claim: Claim) -> str:
        return (
            ChecklistRule(BATCH_CHECKS).describe(claim)
            + f"; and the mean alignment gain over seeds is >= {self.align_gain_min}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        base = ChecklistRule(BATCH_CHECKS).decide(claim, points)
        gains = [
            p.observations["align_gain"].value for p in points if "align_gain" in p.observations
        ]
        mean_gain = sum(gains) / len(gains) if gains else math.nan
        evidence: dict[str, Any] = dict(base.evidence)
        evidence["mean_align_gain"] = float_to_json(mean_gain)
        margin_ok = mean_gain >= self.align_gain_min
        status: Status = base.status
        reason = str(base.evidence.get("reason", ""))
        if status != "INCONCLUSIVE" and not margin_ok:
            status = "FAILS"
            reason += f"; mean alignment gain {mean_gain:.4g} < {self.align_gain_min}"
        else:
            reason += f"; mean alignment gain {mean_gain:.4g}"
        evidence["reason"] = reason
        return Verdict(
            claim.id, status, self.align_gain_min, mean_gain, self.describe(claim), evidence
        )


BATCH_SIZE = Claim(
    id="zhu2023sgd.batch-size",
    paper=PAPER + ", §4, Fig. 4-5",
    statement=(
        "SGD at a fixed learning rate: the number of catapults (full-loss spikes) falls as the "
        "batch size grows, and smaller batches (more catapults) end with lower sharpness, higher "
        "AGOP alignment with the target and lower test error."
    ),
    knob="eta",
    measure=batch_size_run,
    measure_args={
        "d": 20,
        "n": 256,
        "n_test": 2000,
        "width": 512,
        "steps": 2000,
        "batches": [4, 16, 256],
        "dtype": "float32",
        "control_factor": 0.5,
    },
    rule=AllOf(
        (
            ("checks", BatchSizeRule()),
            (
                "control",
                ChecklistRule(
                    (
                        (
                            "control_no_catapults",
                            "control: SGD at eta = 0.5 / max_i K0(x_i, x_i) (below every "
                            "batch-critical rate) with b_min has no catapult",
                        ),
                    )
                ),
            ),
        )
    ),
    profiles={
        "quick": Profile(values=(4.0,), seeds=(0, 1, 2)),
        "full": Profile(values=(4.0,), seeds=tuple(range(10))),
    },
)

CLAIMS = (TOP_EIGENSPACE, BATCH_SIZE)
