"""The quantities theorems talk about, each returning an :class:`~wideproof.results.Estimate`,
a small frozen record, or a tensor."""

from ._agop import agop as agop
from ._ball import HessianBallSup as HessianBallSup
from ._ball import eigenvalue_gradient as eigenvalue_gradient
from ._ball import hessian_ball_sup as hessian_ball_sup
from ._hessian import DENSE_MAX_PARAMS as DENSE_MAX_PARAMS
from ._hessian import hessian_block_norms as hessian_block_norms
from ._hessian import hessian_eigs as hessian_eigs
from ._hessian import hessian_norm as hessian_norm
from ._kernel import ntk as ntk
from ._kernel import ntk_change as ntk_change
from ._spectral import hessian_density as hessian_density
from ._spectral import hessian_trace as hessian_trace
from ._taylor import LinearizationGap as LinearizationGap
from ._taylor import directional_derivative as directional_derivative
from ._taylor import linearization_gap as linearization_gap
