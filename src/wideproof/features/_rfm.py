r"""Recursive Feature Machine (Radhakrishnan et al. 2024; Mallinar et al. 2025, Alg. 1).

.. code-block:: text

    M_0 = I  (or a given M_0)
    for t = 0..T-1:
        alpha_t = (k(X, X; M_t) + lambda I)^{-1} Y   # Step 1: f_t(x) = k(x, X; M_t) alpha_t
        G_t     = AGOP of f_t over the training inputs  # optionally centered
        M_{t+1} = G_t^s                                 # Step 2 (s = 1/2 in Mallinar et al.)

Iteration ``t`` fits with :math:`M_t` (``t = 0`` is the plain kernel machine), records its
metrics, then computes :math:`M_{t+1}`; no normalization of :math:`M` (as in the rfm-grokking
code).  The AGOP alignment of iteration ``t`` is
:math:`\rho(M_t, M_T)` (matrix cosine with the feature matrix after the last iteration,
Mallinar et al. 2025, §5.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..errors import ConfigError
from ._agop import kernel_agop, matrix_cosine, psd_matrix_power
from ._checks import as_points, as_targets, check_metric, finite_float, positive_int
from ._kernels import MahalanobisKernel
from ._machine import KernelMachine, SolveMethod, fit_with_gram

__all__ = ["PredictionMetrics", "RFMIteration", "RFMResult", "prediction_metrics", "rfm"]


@dataclass(frozen=True)
class PredictionMetrics:
    r"""Errors of predictions ``f`` ``(m, c)`` against targets ``y`` ``(m, c)``.

    Attributes:
        mse: mean over points and outputs of :math:`(f - y)^2`.
        accuracy: fraction of rows with :math:`\arg\max f = \arg\max y` (``None`` for ``c = 1``).
        correct_class_mse: mean over rows of :math:`(f_{\arg\max y} - 1)^2` (one-hot targets;
            ``None`` for ``c = 1``).
    """

    mse: float
    accuracy: float | None
    correct_class_mse: float | None


def prediction_metrics(pred: Tensor, target: Tensor) -> PredictionMetrics:
    """:class:`PredictionMetrics` of ``pred`` against ``target`` (both ``(m,)`` or ``(m, c)``)."""
    if pred.shape != target.shape or pred.shape[0] == 0:
        raise ConfigError(
            f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ or are empty"
        )
    mse = float(((pred - target) ** 2).mean())
    if pred.dim() == 1 or pred.shape[1] == 1:
        return PredictionMetrics(mse, None, None)
    label = target.argmax(1)
    acc = float((pred.argmax(1) == label).to(torch.float64).mean())
    correct = pred.gather(1, label[:, None])[:, 0]
    return PredictionMetrics(mse, acc, float(((correct - 1.0) ** 2).mean()))


@dataclass(frozen=True)
class RFMIteration:
    r"""One RFM iteration.

    Attributes:
        iteration: ``t`` (0-based; ``t = 0`` uses :math:`M_0`).
        metric: :math:`M_t` ``(d, d)``, the feature matrix the predictor was fitted with.
        agop: :math:`G_t`, the AGOP of :math:`f_t` over the training inputs (centered or not).
        train: metrics on the training set (ridgeless: MSE at rounding level).
        test: metrics on the test set (``None`` without one).
        alignment: :math:`\rho(M_t, M_T)` with the final feature matrix.
    """

    iteration: int
    metric: Tensor
    agop: Tensor
    train: PredictionMetrics
    test: PredictionMetrics | None
    alignment: float


@dataclass(frozen=True)
class RFMResult:
    """The RFM run: settings, one :class:`RFMIteration` per iteration, the final feature matrix
    :math:`M_T = G_{T-1}^s` and the last fitted machine :math:`f_{T-1}`."""

    kernel: MahalanobisKernel
    ridge: float
    power: float
    centered: bool
    history: tuple[RFMIteration, ...]
    final_metric: Tensor
    machine: KernelMachine

    def settings(self) -> dict[str, Any]:
        """JSON-ready settings of the run."""
        return {
            "kernel": self.kernel.describe(),
            "ridge": self.ridge,
            "power": self.power,
            "centered": self.centered,
            "iterations": len(self.history),
        }

    def test_accuracy(self) -> list[float]:
        """Test accuracy per iteration (:class:`ConfigError` without a classification test set)."""
        out = []
        for it in self.history:
            if it.test is None or it.test.accuracy is None:
                raise ConfigError("this run has no multi-output test set")
            out.append(it.test.accuracy)
        return out

    def first_iteration_reaching(self, accuracy: float) -> int | None:
        """The first ``t`` with test accuracy ``>= accuracy`` (the "jump"), or ``None``."""
        return next((t for t, a in enumerate(self.test_accuracy()) if a >= accuracy), None)


def rfm(
    x_train: Tensor,
    y_train: Tensor,
    *,
    kernel: MahalanobisKernel,
    iterations: int,
    x_test: Tensor | None = None,
    y_test: Tensor | None = None,
    ridge: float = 0.0,
    power: float = 0.5,
    centered: bool = False,
    initial_metric: Tensor | None = None,
    method: SolveMethod = "cholesky",
) -> RFMResult:
    """Run ``iterations`` RFM iterations (module docstring) on ``x_train`` ``(n, d)``,
    ``y_train`` ``(n,)`` or ``(n, c)``; ``power`` is :math:`s`, ``centered`` subtracts the mean
    gradient in the AGOP (needed for the Gaussian kernel to grok, seen in a pilot run),
    ``initial_metric`` is :math:`M_0` (identity when ``None``).  Every solve follows
    :func:`solve_kernel_system` (``ridge = 0``: exact, :class:`NumericalError` if singular)."""
    positive_int("iterations", iterations)
    power = finite_float("power", power, low=0.0, low_open=True)
    ridge = finite_float("ridge", ridge, low=0.0)
    x_train = as_points("x_train", x_train)
    targets = as_targets("y_train", y_train, x_train.shape[0], x_train)
    test_targets = None
    if (x_test is None) != (y_test is None):
        raise ConfigError("x_test and y_test must be given together")
    if x_test is not None and y_test is not None and x_test.numel() > 0:
        x_test = as_points("x_test", x_test, x_train.shape[1])
        test_targets = as_targets("y_test", y_test, x_test.shape[0], x_train)
        if test_targets.shape[1] != targets.shape[1]:
            raise ConfigError("y_test and y_train must have the same number of outputs")
    metric = check_metric(initial_metric, x_train.shape[1], x_train, psd=kernel.is_radial)

    records: list[tuple[int, Tensor, Tensor, PredictionMetrics, PredictionMetrics | None]] = []
    machine: KernelMachine | None = None
    for t in range(iterations):
        machine, gram = fit_with_gram(kernel, x_train, y_train, metric, ridge=ridge, method=method)
        train = prediction_metrics(gram[0] @ machine.alpha, targets)
        test = None
        if x_test is not None and test_targets is not None:
            pred = machine.predict(x_test).reshape(test_targets.shape)
            test = prediction_metrics(pred, test_targets)
        agop = kernel_agop(
            kernel, x_train, x_train, machine.alpha, machine.metric, gram, centered=centered
        )
        records.append((t, machine.metric, agop, train, test))
        metric = psd_matrix_power(agop, power)
    assert machine is not None
    full = [torch.diag(m) if m.dim() == 1 else m for _, m, _, _, _ in records]
    history = tuple(
        RFMIteration(t, mt, g, tr, te, matrix_cosine(mt, metric))
        for (t, _, g, tr, te), mt in zip(records, full, strict=True)
    )
    return RFMResult(kernel, ridge, power, centered, history, metric, machine)
