"""Matrix-free operators and symmetric eigensolvers with residual bounds."""

from ._data import Batches as Batches
from ._data import as_batches as as_batches
from ._lanczos import Spectrum as Spectrum
from ._lanczos import dense_spectrum as dense_spectrum
from ._lanczos import lanczos as lanczos
from ._lanczos import power_iteration as power_iteration
from ._losses import Curvature as Curvature
from ._losses import Loss as Loss
from ._losses import curvature_operator as curvature_operator
from ._losses import resolve_loss as resolve_loss
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
