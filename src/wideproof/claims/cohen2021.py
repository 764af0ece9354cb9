r"""Claims of Cohen, Kaur, Li, Kolter & Talwalkar, "Gradient Descent on Neural Networks Typically
Occurs at the Edge of Stability" (ICLR 2021, arXiv:2103.00065), on a depth-2 tanh MLP.

Full-batch GD with a constant step :math:`\eta` on the mean squared loss.  The *sharpness*
:math:`S_t = \lambda_{\max}(\nabla^2\mathcal L(w_t))` (the loss Hessian, by Lanczos with a certified
bound: :class:`~wideproof.dynamics.Probes` ``sharpness=True``) first rises -- *progressive
sharpening* (§3.1) -- until it reaches :math:`2/\eta`, then hovers there while the loss keeps
decreasing over long horizons, non-monotonically -- the *edge of stability* (§3.2, Fig. 1).  The
observable is the ratio :math:`\rho_t = \eta S_t/2` (1 = the edge).

One measure, :func:`eos_run`, serves all four claims; per run it reports

* ``init_ratio`` -- :math:`\rho_0`;
* ``late_ratio`` -- the median of :math:`\rho_t` over the last quarter of the probes;
* ``max_ratio`` -- :math:`\max_t\rho_t`;
* ``rise`` -- :math:`\max_t S_t / S_0` (1 when nothing sharpens);
* ``loss_decreased`` -- 1 when the run did not diverge and the median loss of the last quarter of
  the steps is below that of the second quarter, else 0 (divergence counts as failure);
* ``loss_increases`` -- the number of steps at which the loss went up (non-monotonicity);
* series (stored with the point, drawn by ``wideproof plot``): ``step`` and ``loss`` at the probe
  steps, ``ratio`` :math:`\rho_t` there.

The margin :math:`\delta` = :data:`MARGIN` = 0.1 on the late ratio is declared from the paper, not
fitted: Cohen et al. report the sharpness "hovers right at, or just above" :math:`2/\eta` with
oscillations of about 10% (Fig. 1, 2).  Controls: a small step whose edge lies beyond the
sharpness reached within the step budget, and a model linear in its weights (its loss Hessian is
the constant :math:`\tfrac2n\Phi^T\Phi`, so it cannot sharpen; §3.1 attributes sharpening to the
non-linearity).  Page: ``docs/claims/cohen2021.md``.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..families import MLP, FamilySpec, Model
from ..sweeps import Task
from ._claim import Claim, Profile
from ._extra_rules import AllOf
from ._rules import ThresholdRule

if TYPE_CHECKING:  # declaring the claims imports no torch; the measure does when it runs
    import torch
    from torch import Tensor

__all__ = [
    "CLAIMS",
    "LINEAR_CONTROL",
    "LOSS_DECREASES",
    "MARGIN",
    "SHARPENING",
    "SMALL_ETA_CONTROL",
    "RandomFeatures",
    "eos_data",
    "eos_run",
]

PAPER = (
    "Cohen, Kaur, Li, Kolter & Talwalkar 2021, Gradient Descent on Neural Networks Typically "
    "Occurs at the Edge of Stability, ICLR 2021, arXiv:2103.00065"
)

MARGIN = 0.1
"""Declared margin on the late-window ratio :math:`\\eta S/2` around 1 (see the module docstring)."""

SHARPENING_MIN_RISE = 1.2
"""Progressive sharpening: the sharpness must grow by at least this factor over the run."""

LINEAR_MAX_RISE = 1.01
"""The linear-model control: the sharpness grows by less than 1% (it is constant up to the
Lanczos bound, relative ``1e-6``)."""


@dataclass(frozen=True)
class RandomFeatures(FamilySpec):
    """:math:`f(x) = a^\\top\\tanh(Vx/\\sqrt d)/\\sqrt m` with :math:`V` fixed (drawn from
    ``feature_seed``) and only :math:`a` trained: a model linear in its weights."""

    input_dim: int
    width: int = 32
    feature_seed: int = 0

    def _features(self, x: Tensor) -> Tensor:
        import torch

        gen = torch.Generator().manual_seed(self.feature_seed)
        V = torch.randn(self.width, self.input_dim, generator=gen, dtype=torch.float64)
        return torch.tanh(x @ V.to(x).T / math.sqrt(self.input_dim))

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        out: Tensor = self._features(x) @ params["a"] / math.sqrt(self.width)
        return out

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        import torch

        return {"a": torch.randn(self.width, 1, generator=gen, dtype=torch.float64)}


def eos_data(n: int, d: int) -> tuple[Tensor, Tensor]:
    """Fixed data: :math:`x\\sim\\mathcal N(0, I_d)` (seed 0), :math:`y = \\sin 2x_1 + x_2x_3`."""
    import torch

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(n, d, dtype=torch.float64, generator=gen)
    return X, torch.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]


def _model(args: Mapping[str, Any], seed: int) -> Model:
    kind, d, width = str(args["model"]), int(args["d"]), int(args["width"])
    if kind == "mlp":
        spec: FamilySpec = MLP(input_dim=d, width=width, depth=2, parameterization="standard")
    elif kind == "linear":
        spec = RandomFeatures(input_dim=d, width=width)
    else:
        raise ConfigError(f"model={kind!r} is not one of 'mlp', 'linear'")
    return spec.init(seed)


def eos_run(task: Task) -> dict[str, float | tuple[float, ...]]:
    """Full-batch GD at :math:`\\eta` = ``task.value`` from the seed's initialization, probing the
    sharpness every ``every`` steps.

    ``task.args``: ``model`` (``"mlp"``: depth-2 tanh MLP, standard parameterization; ``"linear"``:
    :class:`RandomFeatures`), ``width``, ``n``, ``d``, ``steps``, ``every``.  Returns the
    observations of the module docstring; a diverged run reports ``loss_decreased = 0`` and
    ``diverged = 1`` with the ratios up to the divergence."""
    from ..dynamics import Probes, gd

    eta, steps = float(task.value), int(task.args["steps"])
    X, y = eos_data(int(task.args["n"]), int(task.args["d"]))
    traj = gd(
        _model(task.args, task.seed),
        X,
        y,
        eta=eta,
        steps=steps,
        loss="mean",
        probes=Probes(every=int(task.args["every"]), gradient=False, sharpness=True),
        on_divergence="stop",
    )
    ratios = [eta * s / 2 for s in traj.series("sharpness")]
    late = ratios[-max(len(ratios) // 4, 1) :]
    loss, quarter = traj.loss, max(len(traj.loss) // 4, 1)
    decreased = not traj.diverged and statistics.median(loss[-quarter:]) < statistics.median(
        loss[quarter : 2 * quarter]
    )
    return {
        "init_ratio": ratios[0],
        "late_ratio": statistics.median(late),
        "max_ratio": max(ratios),
        "rise": max(ratios) / ratios[0],
        "loss_decreased": float(decreased),
        "loss_increases": float(sum(b > a for a, b in itertools.pairwise(loss))),
        "diverged": float(traj.diverged),
        "step": traj.series("step"),
        "ratio": tuple(ratios),
        "loss": traj.series("loss"),
    }


_MLP: dict[str, Any] = {"model": "mlp", "width": 32, "n": 64, "d": 8, "steps": 600, "every": 20}
_FULL: dict[str, Any] = {"width": 128, "n": 256, "steps": 2000, "every": 20}

SHARPENING = Claim(
    id="cohen2021.progressive-sharpening",
    paper=PAPER + ", §3 (progressive sharpening, edge of stability), Fig. 1",
    statement=(
        "Under full-batch GD with step eta the loss-Hessian sharpness rises (by at least "
        f"{SHARPENING_MIN_RISE}x) to 2/eta and hovers there: the late-window median of "
        f"eta*sharpness/2 lies within {MARGIN} of 1 for every eta and seed."
    ),
    knob="eta",
    measure=eos_run,
    measure_args=_MLP,
    rule=AllOf(
        (
            ("edge_low", ThresholdRule("late_ratio", aggregate="min", at_least=1 - MARGIN)),
            ("edge_high", ThresholdRule("late_ratio", aggregate="max", at_most=1 + MARGIN)),
            ("sharpened", ThresholdRule("rise", aggregate="min", at_least=SHARPENING_MIN_RISE)),
        )
    ),
    profiles={
        "quick": Profile(values=(0.1, 0.15), seeds=(0, 1)),
        "full": Profile(values=(0.1, 0.15, 0.2), seeds=tuple(range(8)), args=_FULL),
    },
)

LOSS_DECREASES = Claim(
    id="cohen2021.loss-decreases",
    paper=PAPER + ", §3.2 (the loss keeps decreasing at the edge, non-monotonically), Fig. 1",
    statement=(
        "At the edge of stability GD does not diverge and the loss keeps decreasing over long "
        "horizons: the median loss of the last quarter of the steps is below that of the second "
        "quarter in every run (a diverged run counts as a failure)."
    ),
    knob="eta",
    measure=eos_run,
    measure_args=_MLP,
    rule=ThresholdRule("loss_decreased", aggregate="min", at_least=1.0),
    profiles=SHARPENING.profiles,
)

SMALL_ETA_CONTROL = Claim(
    id="cohen2021.small-eta-control",
    paper=PAPER + ", §3.1 (with a small step the sharpness stays below 2/eta), Fig. 2",
    statement=(
        "Control: with a small step (2/eta beyond the sharpness the run reaches) the sharpness "
        f"stays below (1 - {MARGIN}) * 2/eta for the whole step budget."
    ),
    knob="eta",
    measure=eos_run,
    measure_args=_MLP,
    rule=ThresholdRule("max_ratio", aggregate="max", at_most=1 - MARGIN),
    profiles={
        "quick": Profile(values=(0.01,), seeds=(0,)),
        "full": Profile(values=(0.005, 0.01), seeds=tuple(range(4)), args=_FULL),
    },
)

LINEAR_CONTROL = Claim(
    id="cohen2021.linear-control",
    paper=PAPER + ", §3.1 (progressive sharpening comes from the non-linearity)",
    statement=(
        "Control: a model linear in its weights (random features, only the output layer trained) "
        f"does not sharpen: max sharpness / initial sharpness <= {LINEAR_MAX_RISE}."
    ),
    knob="eta",
    measure=eos_run,
    measure_args={**_MLP, "model": "linear"},
    rule=ThresholdRule("rise", aggregate="max", at_most=LINEAR_MAX_RISE),
    # its sharpness is ~0.2, so eta = 4 starts it at eta*S/2 ~ 0.4, as the MLP runs at eta = 0.1
    profiles={
        "quick": Profile(values=(4.0,), seeds=(0,)),
        "full": Profile(values=(2.0, 4.0), seeds=tuple(range(4)), args=_FULL),
    },
)

CLAIMS = (SHARPENING, LOSS_DECREASES, SMALL_ETA_CONTROL, LINEAR_CONTROL)
