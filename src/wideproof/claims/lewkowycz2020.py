r"""Claims of Lewkowycz, Bahri, Dyer, Sohl-Dickstein & Gur-Ari, "The large learning rate phase of
deep learning: the catapult mechanism" (arXiv:2003.02218), on the uv model.

``lewkowycz2020.uv-phases`` -- §2 (uv model, eq. (3)-(5)): gradient descent on
:math:`\mathcal L = \tfrac12 f^2`, :math:`f = v^\top u/\sqrt n` (one sample :math:`x = 1`,
:math:`y = 0`)
is *lazy* for :math:`\eta\lambda_0 < 2` (the loss decreases monotonically and the kernel
:math:`\lambda = (\|u\|^2+\|v\|^2)/n` barely moves), *catapults* for :math:`2 < \eta\lambda_0 < 4`
(the loss spikes, :math:`\lambda` falls until :math:`\eta\lambda < 2`, then the loss converges) and
*diverges* for :math:`\eta\lambda_0 > 4`.  The knob is :math:`\eta\lambda_0` itself.

Settings and verdict rules: ours, checked in a pilot run (reference setting of the paper's
§2: n = 1000, 3000 steps, seeds 0-4, the weights drawn with numpy
``default_rng(seed)``, ``u`` before ``v``).  Per run the measure reports 0/1 checks:

* ``outcome`` -- :func:`~wideproof.dynamics.classify_phase` equals the phase the boundaries predict
  (rises of the loss below the float64 rounding floor of :math:`f`, :func:`rounding_floor`, do
  not count: the runs stop at :math:`10^{-30}\mathcal L_0`, below that floor);
* ``final_below_2`` (catapult rows) -- the final :math:`\eta\lambda < 2`;
* ``final_band`` (rows 2.5 and 3.0 only) -- final :math:`\eta\lambda` in [1.25, 1.29] /
  [0.15, 0.28];
  above 3.0 it spreads over 0.03-1.2 across seeds, so no band is asserted there;
* ``u_peak_band`` (rows 2.5, 3.0) -- the width-free peak :math:`u_{peak} = \eta^2\max_t f_t^2/n` in
  [0.15, 0.20] / [0.6, 0.9];
* ``episodes`` -- exactly one detected catapult episode starting at step 0 in rows 2.5 and 3.0, none
  in the lazy rows;
* ``lazy_drift`` (lazy rows where first order applies) -- the drift
  :math:`\eta(\lambda_0-\lambda_\infty)` within 25 % of the first-order prediction
  :math:`\eta^2(4-\eta\lambda_0)f_0^2/(n\,\eta\lambda_0(2-\eta\lambda_0))`, reported where the
  prediction is below :math:`0.2(2-\eta\lambda_0)`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..families import Model, UVModel
from ..sweeps import Task
from ._checklist import ChecklistRule
from ._claim import Claim, Profile

__all__ = ["CLAIMS", "UV_PHASES", "expected_phase", "rounding_floor", "uv_model", "uv_phase_run"]

PAPER = (
    "Lewkowycz, Bahri, Dyer, Sohl-Dickstein & Gur-Ari 2020, The large learning rate phase of "
    "deep learning: the catapult mechanism, arXiv:2003.02218"
)

# (eta*lambda0, interval of the final eta*lambda, interval of u_peak): measured in a pilot run
BANDS: dict[float, tuple[tuple[float, float], tuple[float, float]]] = {
    2.5: ((1.25, 1.29), (0.15, 0.20)),
    3.0: ((0.15, 0.28), (0.6, 0.9)),
}
DRIFT_REL = 0.25
DRIFT_RANGE = 0.2

UV_CHECKS = (
    ("outcome", "the run is lazy / catapult / diverged as the boundaries (2, 4) predict"),
    ("final_below_2", "catapult rows: the final eta*lambda < 2"),
    ("final_band", "final eta*lambda in [1.25, 1.29] at eta*lambda0 = 2.5 and [0.15, 0.28] at 3.0"),
    ("u_peak_band", "u_peak = eta^2 max f^2 / n in [0.15, 0.20] at 2.5 and [0.6, 0.9] at 3.0"),
    ("episodes", "one detected catapult episode from step 0 at 2.5 and 3.0, none in lazy rows"),
    (
        "lazy_drift",
        f"lazy rows: eta*(lambda0 - lambda_inf) within {DRIFT_REL:.0%} of the first-order drift "
        f"(where that is < {DRIFT_RANGE} (2 - eta*lambda0))",
    ),
)


def uv_model(seed: int, width: int) -> tuple[Model, float]:
    """The reference draw (numpy ``default_rng(seed)``, ``u`` then ``v``, :math:`\\mathcal N(0,1)`)
    and :math:`\\lambda_0 = (\\|u\\|^2+\\|v\\|^2)/n`."""
    import torch

    rng = np.random.default_rng(seed)
    u = rng.standard_normal(width)
    v = rng.standard_normal(width)
    model = (
        UVModel(width)
        .init(0)
        .with_params({"u": torch.from_numpy(u).reshape(width, 1), "v": torch.from_numpy(v)})
    )
    return model, float((u @ u + v @ v) / width)


def expected_phase(eta_lambda0: float, boundaries: tuple[float, float]) -> str:
    """``"lazy"`` below ``boundaries[0]``, ``"catapult"`` between, ``"diverged"`` above."""
    low, high = boundaries
    if eta_lambda0 == low or eta_lambda0 == high:
        raise ConfigError(f"eta_lambda0={eta_lambda0} sits on a phase boundary {boundaries}")
    return "lazy" if eta_lambda0 < low else "catapult" if eta_lambda0 < high else "diverged"


def rounding_floor(width: int, lam0: float) -> float:
    """A bound on the loss that float64 rounding alone produces once :math:`f` has converged.

    :math:`f = v^\\top u/\\sqrt n` is a dot product of length :math:`n`; its computed value errs
    by at most :math:`\\gamma_n\\sum_i|u_iv_i|/\\sqrt n` with :math:`\\gamma_n = n\\epsilon/(1-n\\epsilon)`
    (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, §3.1), and
    :math:`\\sum_i|u_iv_i| \\le (\\|u\\|^2+\\|v\\|^2)/2 = n\\lambda/2 \\le n\\lambda_0/2` (for
    :math:`\\eta\\lambda < 4` the kernel only decreases, :math:`\\lambda_{t+1}-\\lambda_t =
    \\eta f_t^2(\\eta\\lambda_t-4)/n`).  The floor is :math:`\\tfrac12(\\gamma_n\\sqrt n\\,
    \\lambda_0/2)^2`; a loss below it is rounding, and a "rise" there says nothing about the phase.
    """
    eps = float(np.finfo(np.float64).eps) / 2.0
    gamma = width * eps / (1.0 - width * eps)
    return 0.5 * (gamma * math.sqrt(width) * lam0 / 2.0) ** 2


def uv_phase_run(task: Task) -> dict[str, float]:
    """GD on the uv model at :math:`\\eta\\lambda_0` = ``task.value`` (½-sum loss, y = 0).

    ``task.args``: ``width``, ``steps``, ``divergence`` (loss threshold), ``stop_ratio`` (runs stop
    at :math:`L_t \\le` ratio :math:`\\cdot L_0`; below 1e-30 :math:`\\lambda` moves by < 1e-29),
    ``boundaries`` (the predicted phase boundaries, [2, 4]).  Reports the checks of
    :data:`UV_CHECKS` that apply to the row, the phase code (0 lazy, 1 catapult, 2 diverged,
    3 unresolved), ``final_eta_lambda``, ``u_peak``, ``peak_loss``, ``episodes_count``."""
    import torch

    from ..dynamics import Probes, classify_phase, detect_catapults, gd, sharpness_product

    width = int(task.args["width"])
    boundaries = (float(task.args["boundaries"][0]), float(task.args["boundaries"][1]))
    x = float(task.value)
    model, lam0 = uv_model(task.seed, width)
    f0 = float(model(torch.ones(1, 1, dtype=torch.float64))[0])
    eta = x / lam0
    traj = gd(
        model,
        torch.ones(1, 1, dtype=torch.float64),
        torch.zeros(1, dtype=torch.float64),
        eta=eta,
        steps=int(task.args["steps"]),
        loss="half_sum",
        probes=Probes(every=None, gradient=False, kernel=True),
        on_divergence="stop",
        divergence_threshold=float(task.args["divergence"]),
        divergence_factor=math.inf,  # the declared absolute threshold is the rule here
        stop_ratio=float(task.args["stop_ratio"]),
    )
    phase = classify_phase(traj, noise_floor=rounding_floor(width, lam0))
    expected = expected_phase(x, boundaries)
    codes = {"lazy": 0.0, "catapult": 1.0, "diverged": 2.0, "unresolved": 3.0}
    out: dict[str, float] = {"outcome": float(phase == expected), "phase": codes[phase]}
    if phase == "diverged":
        return out
    lam_inf = traj.probes[-1].lambda_max
    if lam_inf is None:
        raise ConfigError("the kernel probe recorded no lambda_max")
    final = sharpness_product(eta, lam_inf, loss="half_sum", n_samples=1)
    peak = max(traj.loss)
    u_peak = eta**2 * 2.0 * peak / width  # 2 L = f^2
    episodes = detect_catapults(traj.loss)
    out.update(
        final_eta_lambda=final, u_peak=u_peak, peak_loss=peak, episodes_count=float(len(episodes))
    )
    if expected == "catapult":
        out["final_below_2"] = float(final < 2.0)
    if x in BANDS:
        (f_lo, f_hi), (u_lo, u_hi) = BANDS[x]
        out["final_band"] = float(f_lo <= final <= f_hi)
        out["u_peak_band"] = float(u_lo <= u_peak <= u_hi)
        out["episodes"] = float(len(episodes) == 1 and episodes[0].start == 0)
    if expected == "lazy":
        out["episodes"] = float(episodes == ())
        predicted = eta**2 * (4 - x) * f0**2 / (width * x * (2 - x))
        if predicted < DRIFT_RANGE * (2 - x):
            drift = eta * (lam0 - lam_inf)
            out["lazy_drift"] = float(abs(drift - predicted) <= DRIFT_REL * abs(predicted))
            out["drift_ratio"] = drift / predicted
    return out


_ARGS: dict[str, Any] = {
    "width": 1000,
    "steps": 3000,
    "divergence": 1e12,
    "stop_ratio": 1e-30,
    "boundaries": [2.0, 4.0],
}
ROWS = (1.0, 1.9, 2.5, 3.0, 3.5, 3.9, 4.1, 5.0)

UV_PHASES = Claim(
    id="lewkowycz2020.uv-phases",
    paper=PAPER + ", §2 (uv model), Fig. 1-2",
    statement=(
        "GD on the uv model with one sample is lazy for eta*lambda0 < 2, catapults for "
        "2 < eta*lambda0 < 4 (the loss spikes, the kernel drops until eta*lambda < 2, then the "
        "loss converges) and diverges for eta*lambda0 > 4."
    ),
    knob="eta_lambda0",
    measure=uv_phase_run,
    measure_args=_ARGS,
    rule=ChecklistRule(UV_CHECKS),
    profiles={
        "quick": Profile(values=ROWS, seeds=(0, 1, 2, 3, 4)),
        "full": Profile(
            values=(1.0, 1.5, 1.9, 1.99, 2.02, 2.5, 3.0, 3.5, 3.9, 3.99, 4.01, 4.1, 5.0),
            seeds=tuple(range(50)),
        ),
    },
)

CLAIMS = (UV_PHASES,)
