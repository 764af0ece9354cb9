"""Every bound the library ships, in a stable order (the rows of ``wideproof bounds``)."""

from __future__ import annotations

from ._banerjee2023 import rsc_alpha, rsc_hessian, rsc_ntk_link
from ._bound import Bound
from ._catapult import eta_crit, eta_max
from ._liu2020 import (
    ball_kernel_change,
    ball_linearization_gap,
    fc_hessian,
    nonlinear_output,
    one_hidden_layer_at_init,
    one_hidden_layer_block_norm,
    two_layer_linear,
)
from ._liu2022 import (
    assembly_hessian,
    assembly_relative_nonlinearity,
    plstar_gradient,
    plstar_radius,
    plstar_rate,
)
from ._zhu2022 import bottleneck_cross, bottleneck_within, dag_hessian

__all__ = ["all_bounds", "get_bound"]


def all_bounds() -> tuple[Bound, ...]:
    """All bounds, grouped by paper."""
    return (
        one_hidden_layer_block_norm(),
        one_hidden_layer_at_init(),
        two_layer_linear(),
        fc_hessian(),
        nonlinear_output(),
        ball_linearization_gap(),
        ball_kernel_change(),
        assembly_hessian("ntk"),
        assembly_hessian("mean-field"),
        assembly_relative_nonlinearity("ntk"),
        assembly_relative_nonlinearity("mean-field"),
        dag_hessian(),
        bottleneck_within(),
        bottleneck_cross(),
        rsc_hessian(),
        rsc_alpha(),
        rsc_ntk_link(),
        plstar_gradient(),
        plstar_rate(),
        plstar_radius(),
        eta_crit("half_sum"),
        eta_crit("mean"),
        eta_max(),
    )


def get_bound(name: str) -> Bound:
    """The bound called ``name``; :class:`~wideproof.errors.ConfigError` lists the known ones."""
    from ..errors import ConfigError

    for b in all_bounds():
        if b.name == name:
            return b
    known = ", ".join(b.name for b in all_bounds())
    raise ConfigError(f"bound={name!r} is unknown; known bounds: {known}")
