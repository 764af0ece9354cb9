"""Kernel machines and AGOP tools: Mahalanobis kernels, exact and ridge kernel regression with
closed-form input gradients, the average gradient outer product (AGOP), Recursive Feature
Machines, iteratively reweighted kernel machines, circulant measures and task generators.

Papers: Radhakrishnan et al. 2024 (RFM, neural feature ansatz); Mallinar et al. 2025 (grokking
modular arithmetic with RFM); Zhu, Davis, Drusvyatskiy, Fazel 2025 (IRKM) and 2026 (central
subspace from the AGOP of KRR).  Formulas and conventions: ``docs/api/features.md``.
"""

from ._agop import agop_from_jacobians as agop_from_jacobians
from ._agop import matrix_cosine as matrix_cosine
from ._agop import nfa_correlation as nfa_correlation
from ._agop import psd_matrix_power as psd_matrix_power
from ._circulant import Shift as Shift
from ._circulant import circulant_deviation as circulant_deviation
from ._circulant import discrete_log_order as discrete_log_order
from ._circulant import discrete_log_reorder as discrete_log_reorder
from ._circulant import primitive_root as primitive_root
from ._irkm import IRKMIteration as IRKMIteration
from ._irkm import IRKMResult as IRKMResult
from ._irkm import irkm as irkm
from ._kernels import GaussianConvention as GaussianConvention
from ._kernels import KernelKind as KernelKind
from ._kernels import MahalanobisKernel as MahalanobisKernel
from ._kernels import gaussian_kernel as gaussian_kernel
from ._kernels import laplace_kernel as laplace_kernel
from ._kernels import quadratic_kernel as quadratic_kernel
from ._machine import KernelMachine as KernelMachine
from ._machine import SolveMethod as SolveMethod
from ._machine import fit_kernel_machine as fit_kernel_machine
from ._machine import solve_kernel_system as solve_kernel_system
from ._rfm import PredictionMetrics as PredictionMetrics
from ._rfm import RFMIteration as RFMIteration
from ._rfm import RFMResult as RFMResult
from ._rfm import prediction_metrics as prediction_metrics
from ._rfm import rfm as rfm
from ._subspace import max_principal_sine as max_principal_sine
from ._subspace import subspace_distance as subspace_distance
from ._subspace import top_eigenspace as top_eigenspace
from ._tasks import InputLaw as InputLaw
from ._tasks import ModularDataset as ModularDataset
from ._tasks import ModularOp as ModularOp
from ._tasks import MultiIndexTask as MultiIndexTask
from ._tasks import SparsePolynomial as SparsePolynomial
from ._tasks import Task as Task
from ._tasks import hermite as hermite
from ._tasks import is_prime as is_prime
from ._tasks import modular_arithmetic as modular_arithmetic
from ._tasks import random_orthonormal_rows as random_orthonormal_rows
from ._tasks import sample_inputs as sample_inputs
from ._tasks import sparse_polynomial as sparse_polynomial
