"""Symbolic bounds and checkable derivations.

:class:`Derivation` is a chain of steps, each closed by exact sympy simplification or sign
analysis, z3 nonlinear real arithmetic, or certified arb branch-and-bound -- or recorded as an
assumption with its reference.  :class:`Bound` is a theorem's prediction as a sympy expression with
hypotheses and provenance.  The builders below construct the bounds of each paper; the proofs in
the repository's ``proofs/`` folder derive them.
"""

from ._banerjee2023 import rsc_alpha as rsc_alpha
from ._banerjee2023 import rsc_hessian as rsc_hessian
from ._banerjee2023 import rsc_ntk_link as rsc_ntk_link
from ._bound import Bound as Bound
from ._bound import Hypothesis as Hypothesis
from ._bound import Provenance as Provenance
from ._bound import Scaling as Scaling
from ._bound import linear_activation as linear_activation
from ._bound import linear_output as linear_output
from ._bound import nonlinear_smooth_output as nonlinear_smooth_output
from ._bound import ntk_parameterization as ntk_parameterization
from ._bound import smooth_activation as smooth_activation
from ._catapult import eta_crit as eta_crit
from ._catapult import eta_max as eta_max
from ._derivation import Derivation as Derivation
from ._derivation import Report as Report
from ._derivation import StepReport as StepReport
from ._liu2020 import ball_kernel_change as ball_kernel_change
from ._liu2020 import ball_linearization_gap as ball_linearization_gap
from ._liu2020 import fc_hessian as fc_hessian
from ._liu2020 import nonlinear_output as nonlinear_output
from ._liu2020 import one_hidden_layer_at_init as one_hidden_layer_at_init
from ._liu2020 import one_hidden_layer_block_norm as one_hidden_layer_block_norm
from ._liu2020 import two_layer_linear as two_layer_linear
from ._liu2022 import assembly_hessian as assembly_hessian
from ._liu2022 import assembly_relative_nonlinearity as assembly_relative_nonlinearity
from ._liu2022 import plstar_gradient as plstar_gradient
from ._liu2022 import plstar_radius as plstar_radius
from ._liu2022 import plstar_rate as plstar_rate
from ._registry import all_bounds as all_bounds
from ._registry import get_bound as get_bound
from ._smt import recheck as recheck
from ._symbols import SYMBOLS as SYMBOLS
from ._symbols import B as B
from ._symbols import L as L
from ._symbols import R as R
from ._symbols import beta as beta
from ._symbols import d as d
from ._symbols import eta as eta
from ._symbols import k as k
from ._symbols import lam as lam
from ._symbols import m as m
from ._symbols import n as n
from ._symbols import sigma0 as sigma0
from ._symbols import symbol as symbol
from ._symbols import xnorm as xnorm
from ._zhu2022 import bottleneck_cross as bottleneck_cross
from ._zhu2022 import bottleneck_degree as bottleneck_degree
from ._zhu2022 import bottleneck_within as bottleneck_within
from ._zhu2022 import dag_hessian as dag_hessian
