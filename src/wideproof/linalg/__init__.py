"""Matrix-free operators and symmetric eigensolvers with residual bounds."""

from ._density import SpectralDensity as SpectralDensity
from ._density import slq as slq
from ._lanczos import Spectrum as Spectrum
from ._lanczos import dense_spectrum as dense_spectrum
from ._lanczos import lanczos as lanczos
from ._lanczos import power_iteration as power_iteration
from ._operators import LinearOperator as LinearOperator
from ._operators import LossConvention as LossConvention
from ._operators import dense_matrix as dense_matrix
from ._operators import gauss_newton as gauss_newton
from ._operators import hvp_operator as hvp_operator
from ._operators import loss_function as loss_function
from ._operators import loss_hessian as loss_hessian
from ._operators import model_hessian as model_hessian
from ._operators import squared_loss as squared_loss
from ._operators import tangent_kernel_operator as tangent_kernel_operator
from ._scipy import from_scipy as from_scipy
from ._scipy import to_scipy as to_scipy
from ._trace import TraceEstimate as TraceEstimate
from ._trace import exact_trace as exact_trace
from ._trace import hutchinson as hutchinson
from ._trace import hutchpp as hutchpp
