"""Claim of Zhu, Pandit & Belkin, "Quadratic models for understanding neural network dynamics"
/ "A note on linear bottleneck networks and their transition to multilinearity" (2022,
arXiv:2206.15058).

``zhu2022bottleneck.degree`` -- a deep linear NTK network whose :math:`B` blocks of wide layers
are separated by :math:`B-1` narrow (bottleneck) layers tends, as the width :math:`m\\to\\infty`,
to a function that is multilinear of degree :math:`B` in the weights, **whatever the depth**.

Estimator (ours).  Along a direction
:math:`\\Delta` the network is exactly a polynomial in :math:`t`,

.. math::
    f(W + t\\Delta; x) = \\sum_{j=0}^{L} c_j(\\Delta)\\, t^j,\\qquad
    c_j(\\Delta) = \\frac{1}{j!}\\frac{d^j}{dt^j} f(W + t\\Delta; x)\\Big|_{t=0},

and :math:`c_j` is a homogeneous form of degree :math:`j` in :math:`\\Delta`.  The worst-case
coefficient :math:`s_j = \\sup_{\\|\\Delta\\|=1} |c_j(\\Delta)|` is estimated by the shifted
symmetric higher-order power method
:math:`\\Delta \\leftarrow
\\mathrm{normalize}(\\mathrm{sign}(c_j)\\nabla_\\Delta c_j + j|c_j|\\Delta)`,
started from the gradient :math:`\\nabla_W f` (10 iterations: >= 0.93 of the multi-start value in
97% of cases, exponent error <= 0.05).  Random directions cannot be used: already
:math:`c_1 \\approx \\|\\nabla f\\|/\\sqrt P` decays (§1.2).  With :math:`e_j` the per-seed width
exponent of :math:`s_j`, the **estimated degree** is :math:`\\max\\{j : e_j > -0.35\\}`; the
threshold sits mid-gap between the measured :math:`e_B \\ge -0.24` and :math:`e_{B+1} \\le -0.48`
(88/88 correct with 1-2 wide layers per block, §1.2).  Three wide layers per block need
:math:`m \\ge 512`-:math:`1024` and are not part of the claim's profiles.

``zhu2022bottleneck.blocks`` -- the mechanism behind the degree (§5.3): the output Hessian
restricted to one block (the weights between two bottlenecks) vanishes like :math:`m^{-1/2}`,
while the blocks coupling two different blocks stay :math:`\\Theta(1)`.  Setting and bands of the
pilot run: one wide layer per block, bottleneck width 2, :math:`B = 2`,
:math:`x = \\mathbf 1_4`; the 95% CI over seeds of the width exponent of the largest within-block
norm must lie in :math:`[-0.75, -0.3]`, that of the largest cross-block norm in
:math:`[-0.2, 0.2]` (measured there: :math:`-0.48\\pm0.07` and :math:`-0.04\\pm0.02`, m = 32-8192).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..families import LinearBottleneck, Model
from ..results import Estimate
from ..sweeps import Grid, Point, Task
from ._claim import Claim, Profile
from ._extra_rules import AllOf
from ._rules import ExponentRule
from ._verdict import Status, Verdict

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "BLOCKS",
    "CLAIMS",
    "DEGREE",
    "DEGREE_THRESHOLD",
    "DegreeRule",
    "block_norms",
    "estimated_degree",
    "multilinear_degree",
    "sup_coefficient",
    "taylor_coefficients",
    "two_block_network",
]

PAPER = (
    "Zhu, Pandit & Belkin 2022, transition to multilinearity of linear networks with "
    "bottlenecks, arXiv:2206.15058"
)
INPUT_DIM = 4
BOTTLENECK_WIDTH = 2
DEGREE_THRESHOLD = -0.35
"""Orders whose worst-case coefficient decays faster than ``m**-0.35`` count as vanishing."""
POWER_ITERATIONS = 10
WIDTHS: dict[int, tuple[int, ...]] = {1: (64, 256, 1024), 2: (64, 128, 256, 512)}
"""Widths per number of wide layers per block (§7: the quick and the standard settings)."""


def _check_model(model: Model) -> LinearBottleneck:
    spec = model.spec
    if not isinstance(spec, LinearBottleneck):
        raise ConfigError(f"model must be a LinearBottleneck network; got {type(spec).__name__}")
    return spec


def taylor_coefficients(
    model: Model, x: Tensor, direction: Mapping[str, Tensor], order: int
) -> Tensor:
    """:math:`(c_0, \\dots, c_{order})` of :math:`t\\mapsto f(W + t\\Delta; x)`, linear network.


    Exact in one pass: with :math:`h^{(l)}(t) = (W_l + t\\Delta_l)h^{(l-1)}(t)/\\sqrt{n_{l-1}}`, the
    coefficient vectors obey
    :math:`h^{(l)}_j = (W_l h^{(l-1)}_j + \\Delta_l h^{(l-1)}_{j-1})/\\sqrt{n_{l-1}}`.
    Differentiable
    in ``direction`` (the power method needs :math:`\\nabla_\\Delta c_j`).
    """
    import torch

    _check_model(model)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ConfigError(f"order={order!r} must be a non-negative int")
    if x.shape != (model.spec.input_dim,):
        raise ConfigError(f"x has shape {tuple(x.shape)}; expected ({model.spec.input_dim},)")
    h = torch.zeros(order + 1, x.shape[0], dtype=model.dtype, device=model.device)
    h[0] = x.to(h)
    for name, w in model.params.items():
        d = direction[name]
        shifted = torch.cat([torch.zeros_like(h[:1]), h[:-1]]) if order > 0 else torch.zeros_like(h)
        h = (h @ w.T + shifted @ d.T) / math.sqrt(w.shape[1])
    return h[:, 0]


def sup_coefficient(
    model: Model, x: Tensor, order: int, *, iterations: int = POWER_ITERATIONS
) -> float:
    """Power-method estimate of :math:`s_j = \\sup_{\\|\\Delta\\|=1}|c_j(\\Delta)|` (a lower bound).

    Started from the unit gradient :math:`\\nabla_W f/\\|\\nabla_W f\\|`; each step maps
    :math:`\\Delta \\mapsto \\mathrm{normalize}(\\mathrm{sign}(c_j)\\nabla c_j + j|c_j|\\Delta)`
    (the shift
    makes the iteration monotone for homogeneous forms); the best value seen is returned.
    """
    import torch

    _check_model(model)
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ConfigError(f"order={order!r} must be a positive int")
    names = list(model.params)
    params = {k: v.detach().requires_grad_(True) for k, v in model.params.items()}
    f = model.spec.forward(params, x.reshape(1, -1)).reshape(())
    grads = torch.autograd.grad(f, [params[k] for k in names])
    delta = _normalized(dict(zip(names, grads, strict=True)))
    best = 0.0
    frozen = model.with_params({k: v.detach() for k, v in model.params.items()})
    for _ in range(iterations + 1):
        leaf = {k: v.detach().requires_grad_(True) for k, v in delta.items()}
        c = taylor_coefficients(frozen, x, leaf, order)[order]
        value = float(c.detach().abs())
        best = max(best, value)
        if value == 0.0:
            break
        g = torch.autograd.grad(c, [leaf[k] for k in names])
        sign = 1.0 if float(c.detach()) > 0 else -1.0
        step = {k: sign * gk + order * value * delta[k] for k, gk in zip(names, g, strict=True)}
        delta = _normalized(step)
    return best


def _normalized(d: Mapping[str, Tensor]) -> dict[str, Tensor]:
    norm = math.sqrt(sum(float((v * v).sum()) for v in d.values()))
    if norm == 0.0:
        raise ConfigError("the start direction is zero (the gradient vanishes at this input)")
    return {k: v.detach() / norm for k, v in d.items()}


@dataclass(frozen=True)
class DegreeEstimate:
    """Per-order width exponents :math:`e_1..e_J`; degree :math:`\\max\\{j: e_j > \\tau\\}`;
    the data: ``sups[j - 1][i]`` is :math:`s_j` at ``widths[i]``."""

    exponents: tuple[float, ...]
    degree: int
    threshold: float
    widths: tuple[int, ...] = ()
    sups: tuple[tuple[float, ...], ...] = ()


def estimated_degree(
    sups: Mapping[int, Sequence[float]],
    widths: Sequence[int],
    threshold: float = DEGREE_THRESHOLD,
) -> DegreeEstimate:
    """Fit the width exponent of each order's :math:`s_j` (least squares in log-log) and read the
    degree off with ``threshold`` (structurally zero orders count as vanishing)."""
    lx = [math.log(m) for m in widths]
    mx = sum(lx) / len(lx)
    exps: list[float] = []
    for j in sorted(sups):
        ys = sups[j]
        if any(y <= 0.0 for y in ys):
            exps.append(-math.inf)
            continue
        ly = [math.log(y) for y in ys]
        my = sum(ly) / len(ly)
        num = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
        exps.append(num / sum((a - mx) ** 2 for a in lx))
    orders = sorted(sups)
    degree = max((j for j, e in zip(orders, exps, strict=True) if e > threshold), default=0)
    data = tuple(tuple(float(v) for v in sups[j]) for j in orders)
    return DegreeEstimate(tuple(exps), degree, threshold, tuple(int(m) for m in widths), data)


def multilinear_degree(
    spec: LinearBottleneck,
    widths: Sequence[int],
    seeds: int | Sequence[int],
    x: Tensor | None = None,
) -> DegreeEstimate:
    """Estimated multilinear degree of the family ``spec`` (its ``width`` replaced by each of
    ``widths``, an independent initialization per width and seed), orders ``1..B+2``.

    With several ``seeds`` each :math:`s_j(m)` is the geometric mean over seeds, which averages
    out the random O(1) factors that shift all orders of one draw together (§1.2).
    """
    import torch

    if len(widths) < 2:
        raise ConfigError(f"widths={list(widths)!r} needs at least two widths")
    seed_list = [seeds] if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ConfigError("seeds must name at least one seed")
    if x is None:
        x = torch.ones(spec.input_dim, dtype=torch.float64)
    top = min(spec.blocks + 2, spec.blocks * (spec.layers_per_block + 1))
    sups: dict[int, list[float]] = {j: [] for j in range(1, top + 1)}
    for m in widths:
        models = [_with_width(spec, int(m)).init(s) for s in seed_list]
        for j in sups:
            values = [sup_coefficient(model, x, j) for model in models]
            sups[j].append(math.prod(values) ** (1.0 / len(values)))
    return estimated_degree(sups, widths)


def _with_width(spec: LinearBottleneck, width: int) -> LinearBottleneck:
    return LinearBottleneck(
        input_dim=spec.input_dim,
        width=width,
        bottlenecks=spec.bottlenecks,
        bottleneck_width=spec.bottleneck_width,
        layers_per_block=spec.layers_per_block,
    )


def degree_by_depth(task: Task) -> dict[str, float]:
    """For ``task.value`` bottlenecks and each ``layers_per_block`` in ``task.args["widths"]``:
    the estimated degree and the exponents :math:`e_B`, :math:`e_{B+1}`."""
    bottlenecks = int(task.value)
    out: dict[str, float] = {}
    for lpb, widths in sorted(task.args["widths"].items()):
        spec = LinearBottleneck(
            input_dim=INPUT_DIM,
            width=int(widths[0]),
            bottlenecks=bottlenecks,
            bottleneck_width=int(task.args["bottleneck_width"]),
            layers_per_block=int(lpb),
        )
        est = multilinear_degree(spec, widths, task.seed)
        b = spec.blocks
        out[f"degree_lpb{lpb}"] = float(est.degree)
        out[f"e_B_lpb{lpb}"] = est.exponents[b - 1]
        out[f"e_B1_lpb{lpb}"] = est.exponents[b]
    return out


@dataclass(frozen=True)
class DegreeRule:
    """HOLDS when, at every point (bottleneck count, seed) and every depth measured, the estimated
    multilinear degree equals ``bottlenecks + offset`` (the paper: ``offset = 1``, i.e. :math:`B`);
    FAILS otherwise.  A single miss fails the claim: the estimator's margin (§1.2) is wide."""

    depths: tuple[int, ...]
    offset: int = 1

    @property
    def observation(self) -> str:
        return f"degree_lpb{self.depths[0]}"

    def check_grid(self, grid: Grid) -> None:
        if not grid.values:
            raise ConfigError("the degree rule needs at least one bottleneck count")

    def describe(self, claim: Claim) -> str:
        depths = ", ".join(str(d) for d in self.depths)
        return (
            f"for every {claim.knob} value, seed and layers-per-block in ({depths}), the highest "
            f"order j whose worst-case Taylor coefficient s_j has width exponent > "
            f"{DEGREE_THRESHOLD} equals {claim.knob} + {self.offset}"
        )

    def decide(self, claim: Claim, points: Sequence[Point]) -> Verdict:
        rows: list[dict[str, Any]] = []
        misses = 0
        unusable: list[str] = []  # a missing or non-finite degree: a failed point, not a miss
        for p in points:
            want = int(p.value) + self.offset
            for d in self.depths:
                obs = p.observations.get(f"degree_lpb{d}")
                if obs is None or not math.isfinite(obs.value):
                    unusable.append(f"{claim.knob}={p.value:g} seed={p.seed} depth {d}")
                    continue
                got = int(obs.value)
                misses += got != want
                rows.append(
                    {
                        "bottlenecks": int(p.value),
                        "seed": p.seed,
                        "layers_per_block": d,
                        "predicted": want,
                        "degree": got,
                        "e_B": p.observations[f"e_B_lpb{d}"].value,
                        "e_B+1": p.observations[f"e_B1_lpb{d}"].value,
                    }
                )
        status: Status
        if misses:
            status, reason = "FAILS", f"{misses} of {len(rows)} estimated degrees differ"
        elif unusable or not rows:
            status = "INCONCLUSIVE"
            reason = "no degree (missing or not finite) at " + (", ".join(unusable) or "any point")
        else:
            status, reason = "HOLDS", f"all {len(rows)} estimated degrees match"
        evidence = {"statistic": "estimated multilinear degree", "rows": rows, "reason": reason}
        return Verdict(
            claim.id,
            status,
            float(self.offset),
            float(len(rows) - misses) / max(len(rows), 1),
            self.describe(claim),
            evidence,
        )


DEGREE = Claim(
    id="zhu2022bottleneck.degree",
    paper=PAPER,
    statement=(
        "A deep linear NTK network with B-1 bottleneck layers (B blocks of wide layers) becomes, "
        "as the width grows, a multilinear function of degree B in its weights, whatever the "
        "number of layers per block: the worst-case j-th directional Taylor coefficient stays "
        "Theta(1) for j <= B and decays for j = B+1."
    ),
    knob="bottlenecks",
    measure=degree_by_depth,
    measure_args={
        "bottleneck_width": BOTTLENECK_WIDTH,
        "widths": {"1": list(WIDTHS[1]), "2": list(WIDTHS[2])},
    },
    rule=DegreeRule(depths=(1, 2)),
    profiles={
        "quick": Profile(values=(0, 1, 2), seeds=(0, 1)),
        "full": Profile(values=(0, 1, 2, 3), seeds=tuple(range(5))),
    },
)


def two_block_network(width: int) -> LinearBottleneck:
    """B = 2 blocks of one wide layer of ``width``, separated by a bottleneck of width 2."""
    return LinearBottleneck(
        input_dim=INPUT_DIM,
        width=int(width),
        bottlenecks=1,
        bottleneck_width=BOTTLENECK_WIDTH,
        layers_per_block=1,
    )


def block_norms(task: Task) -> dict[str, Estimate]:
    """The largest within-block (``within``) and cross-block (``cross``) spectral norm of
    :math:`H_f(w_0; \\mathbf 1)` over the network's blocks
    (:func:`wideproof.measures.hessian_block_norms`)."""
    import torch

    from ..measures import hessian_block_norms

    model = task.model()
    _check_model(model)
    x = torch.ones(INPUT_DIM, dtype=model.dtype, device=model.device)
    norms = hessian_block_norms(model, x, tol=float(task.args["tol"]), seed=task.seed)
    within = [e for (b, c), e in norms.items() if b == c]
    cross = [e for (b, c), e in norms.items() if b != c]
    return {
        "within": max(within, key=lambda e: e.value),
        "cross": max(cross, key=lambda e: e.value),
    }


BLOCKS = Claim(
    id="zhu2022bottleneck.blocks",
    paper=PAPER,
    statement=(
        "In a linear NTK network with a bottleneck, the Hessian of the output restricted to the "
        "weights of one block decays like m^{-1/2}, while the Hessian blocks coupling the two "
        "blocks stay Theta(1) (so the network tends to a function that is linear in each block "
        "separately, not to a linear one)."
    ),
    knob="width",
    family=two_block_network,
    measure=block_norms,
    measure_args={"tol": 1e-8},
    rule=AllOf(
        (
            # O: the within-block Hessian is bounded by O(m^{-1/2}) (a faster decay is allowed)
            (
                "within a block",
                ExponentRule("within", predicted=-0.5, margin=0.1, form="upper", excludes=(0.0,)),
            ),
            # Θ(1): the cross-block coupling does not shrink
            (
                "across blocks",
                ExponentRule("cross", predicted=0.0, margin=0.1, form="tight", excludes=(-0.5,)),
            ),
        )
    ),
    profiles={
        # 3 widths x 5 seeds (the pilot's setting) left the within-block CI at [-0.76, -0.33];
        # per-seed slopes spread by ~0.15, so quick takes five widths and 24 seeds (8 seeds reach
        # -1/2 + 0.1 in 35 % of synthetic runs at -1/2, 24 in 81 %)
        "quick": Profile(values=(32, 128, 512, 2048, 8192), seeds=tuple(range(24))),
        "full": Profile(
            values=(32, 64, 128, 256, 512, 1024, 2048, 4096, 8192), seeds=tuple(range(20))
        ),
    },
)

CLAIMS = (DEGREE, BLOCKS)
