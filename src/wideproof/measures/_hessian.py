"""Hessian spectral norms and extreme eigenvalues of the model output or of the loss.

* ``of="output"``: :math:`H_f(w_0; x) = \\nabla^2_w f(w_0; x)` at one input (Liu et al. 2020, eq. (4)
  and Thm 3.2 bound its norm by :math:`\\tilde O(1/\\sqrt m)`).
* ``of="loss"``: :math:`H_{\\mathcal L}(w_0)` of the loss on ``(X, targets)``: a named squared-loss
  convention (``"mean"`` or ``"half_sum"``, see :mod:`wideproof.linalg`) or a callable
  ``(outputs, targets) -> scalar`` with its declared ``loss_reduction``;
* ``of="ggn"``, ``of="fisher"``: the generalized Gauss-Newton matrix and the empirical Fisher of
  that loss (:mod:`wideproof.linalg._losses`).

The data of a loss is a batch with its targets or an iterable of ``(inputs, targets)`` batches (a
``DataLoader``), whose products are accumulated batch by batch (:mod:`wideproof.linalg._data`).
A ``torch.nn.Module`` is accepted wherever a model is (:func:`wideproof.families.from_module`).
* :func:`hessian_block_norms`: the spectral norms of the blocks :math:`H_{bc}` of the output
  Hessian between the model's parameter blocks (Zhu, Pandit & Belkin 2022: within a block between
  bottlenecks :math:`\\|H_{bb}\\| = O(m^{-1/2})`, across blocks :math:`\\Theta(1)`).

The spectral norm is :math:`\\max(|\\lambda_{max}|, |\\lambda_{min}|)`: the model Hessian is
indefinite, so both ends of the spectrum are computed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Literal

import torch
from torch import Tensor

from .._validate import (
    check_memory,
    human_bytes,
    one_of,
    physical_memory,
    positive_float,
    positive_int,
    real_tensor,
)
from .._validate import seed as check_seed
from ..errors import ConfigError, NumericalError
from ..families import Model
from ..families._module import ModuleSpec
from ..linalg import (
    LinearOperator,
    LossConvention,
    Spectrum,
    curvature_operator,
    dense_matrix,
    dense_spectrum,
    lanczos,
    model_hessian,
    power_iteration,
    resolve_loss,
)
from ..linalg._data import Reduction
from ..linalg._lanczos import WORKING_DTYPES, Operator
from ..results import Estimate
from ._checks import ModelLike, checked_model

__all__ = ["DENSE_MAX_PARAMS", "hessian_block_norms", "hessian_eigs", "hessian_norm"]

Of = Literal["output", "loss", "ggn", "fisher"]
LossLike = LossConvention | Callable[[Tensor, Tensor], Tensor]
"""A named squared-loss convention or a callable ``(outputs, targets) -> scalar``."""
Method = Literal["auto", "lanczos", "dense", "power"]

DENSE_MAX_PARAMS = 256
"""``method="auto"`` forms the dense Hessian up to this many parameters, else runs Lanczos."""

SINGLE_ITERATION_TOL = 1e-6
"""For a float64 model and ``tol`` at least this, Lanczos iterates on a float32 copy of the model
and only the certificate takes float64 products (the path of float32 models): the bounds are the
same float64 residual bounds, and a float32 product costs about a third of a float64 one
(``benchmarks/RESULTS.md``).  This float32 run aims at ``tol / 2``: the float64 residual of its
Ritz vectors exceeds its own estimate by the float32 rounding of the products (a top-5 run at
``tol=1e-6`` certified 1.1e-6).  A float32 Krylov space reaches a float64 residual of about
:math:`10^{-7}` of the eigenvalue, so below this tolerance, or when the float32 run's certified
bounds still miss ``tol``, the iteration runs in float64.  Only for one end of the spectrum
(``which="largest"`` or ``"smallest"``): for both ends of an indefinite output Hessian (the DAG
networks of ``zhu2022dag.in-degree``, in-degree 64-256) the float32 iteration took 73-228 products
against 31-45 in float64, 3-10x the time, and its bounds often missed ``tol``."""


def _operator(
    model: Model,
    x: object,
    of: Of,
    targets: Tensor | None,
    loss: LossLike,
    *,
    loss_reduction: Reduction | None = None,
) -> LinearOperator:
    """The operator every Hessian measure acts on: the one place ``of``, ``loss`` and the data
    (a batch with its targets, or an iterable of ``(inputs, targets)`` batches) are read."""
    if of == "output":
        if targets is not None:
            raise ConfigError("targets are only used with a loss (of='loss', 'ggn' or 'fisher')")
        return model_hessian(model, real_tensor("x", x, model.dtype).to(model.device))
    if of in ("loss", "ggn", "fisher"):
        if isinstance(x, Tensor) and targets is None:
            raise ConfigError(f"of={of!r} needs targets (one per row of x)")
        return curvature_operator(model, x, targets, of, resolve_loss(loss, loss_reduction))
    raise ConfigError(f"of={of!r} is not one of 'output', 'loss', 'ggn', 'fisher'")


def _float64_operator(
    model: Model,
    x: object,
    of: Of,
    targets: Tensor | None,
    loss: LossLike,
    *,
    loss_reduction: Reduction | None = None,
) -> LinearOperator:
    """The same operator for a float64 copy of the model: the exact one at these weights (the
    batches of an iterable are converted as they come).

    Refused with :class:`NumericalError` when the copy, its gradient, the gradient's graph and a
    product (four float64 vectors of the parameters, a lower estimate) exceed the machine's memory.
    """
    need = 4 * 8 * model.num_params
    if need > physical_memory():
        raise NumericalError(
            f"certifying a {model.dtype} Hessian needs float64 products (at least "
            f"{human_bytes(need)}), more than this machine's {human_bytes(physical_memory())}"
        )
    exact = model.with_params({k: v.to(torch.float64) for k, v in model.params.items()})
    x64 = x.to(torch.float64) if isinstance(x, Tensor) else x
    as64 = targets
    if targets is not None and targets.is_floating_point():
        as64 = targets.to(torch.float64)
    return _operator(exact, x64, of, as64, loss, loss_reduction=loss_reduction)


def _exact_operator(
    op: LinearOperator,
    model: Model,
    x: object,
    of: Of,
    targets: Tensor | None,
    loss: LossLike,
    *,
    loss_reduction: Reduction | None = None,
) -> LinearOperator:
    """``op`` (the model's operator) when the model is float64, else :func:`_float64_operator`:
    the operator of the exact Hessian at the model's weights, for dense and exact measures."""
    if model.dtype == torch.float64:
        return op
    return _float64_operator(model, x, of, targets, loss, loss_reduction=loss_reduction)


def _check_common(
    model: object, x: object, method: str, tol: float, seed: int, max_matvecs: int
) -> Model:
    checked = checked_model(model, x)
    if checked.dtype not in WORKING_DTYPES:
        raise ConfigError(
            f"Hessian measures need a float32 or float64 model, not {checked.dtype}: half "
            "precision cannot certify an eigenvalue; convert the model with "
            "model.with_params({k: v.float() for k, v in model.params.items()})"
        )
    one_of("method", method, ("auto", "lanczos", "dense", "power"))
    positive_float("tol", tol)
    check_seed("seed", seed)
    positive_int("max_matvecs", max_matvecs)
    return checked


def _resolve(method: str, model: Model) -> str:
    if method == "auto":
        return "dense" if model.num_params <= DENSE_MAX_PARAMS else "lanczos"
    return method


def _float32_copy(
    model: Model, x: object, targets: Tensor | None
) -> tuple[Model, Tensor, Tensor | None] | None:
    """A float32 copy of a library-family model and its batch, for the float32 iteration of
    :data:`SINGLE_ITERATION_TOL`; ``None`` for wrapped ``nn.Module``s (their buffers and
    constants keep the module's precision) and for data given as an iterable of batches.
    Integer targets (class labels) are kept as they are."""
    if isinstance(model.spec, ModuleSpec) or not isinstance(x, Tensor):
        return None
    single = model.with_params({k: v.float() for k, v in model.params.items()})
    if targets is not None and targets.is_floating_point():
        targets = targets.float()
    return single, x.float(), targets


def hessian_eigs(
    model: ModelLike,
    x: Tensor | Iterable[tuple[Tensor, Tensor]],
    k: int = 1,
    *,
    of: Of = "output",
    targets: Tensor | None = None,
    loss: LossLike = "mean",
    loss_reduction: Reduction | None = None,
    which: Literal["both", "largest", "smallest"] = "both",
    method: Method = "auto",
    tol: float = 1e-10,
    seed: int = 0,
    max_matvecs: int = 2000,
    return_vectors: bool = False,
) -> Spectrum:
    """The ``k`` largest and/or smallest Hessian eigenvalues (ascending), each with a bound.

    ``error_bounds[i]`` bounds the distance from ``eigenvalues[i]`` to an eigenvalue of the exact
    Hessian at the model's weights, distinct eigenvalues for distinct ``i`` (see
    :func:`wideproof.linalg.lanczos`).  For a float32 model Lanczos runs in float32 and the bounds
    are certified by products under a float64 copy of the model (one per returned eigenvalue,
    counted in ``matvecs``); ``method="dense"`` forms the float64 Hessian.  Half-precision models
    are refused.  A float64 model with ``tol >= SINGLE_ITERATION_TOL`` (one end of the spectrum,
    no vectors asked for) iterates on a float32 copy under the same float64 certificate, and
    continues in float64 from the float32 Ritz vectors when that certificate misses ``tol``.
    """
    model = _check_common(model, x, method, tol, seed, max_matvecs)
    one_of("which", which, ("both", "largest", "smallest"))
    positive_int("k", k, at_most=model.num_params)
    op = _operator(model, x, of, targets, loss, loss_reduction=loss_reduction)
    k_top = k if which in ("both", "largest") else 0
    k_bottom = k if which in ("both", "smallest") else 0
    chosen = _resolve(method, model)
    if chosen == "power":
        raise ConfigError(
            "method='power' only gives the eigenvalue of largest magnitude; use hessian_norm"
        )
    if chosen == "dense":
        n = op.size
        check_memory(f"the dense {n}x{n} Hessian", 3 * n * n * 8)
        exact = _exact_operator(op, model, x, of, targets, loss, loss_reduction=loss_reduction)
        full = dense_spectrum(dense_matrix(exact))
        idx = sorted(set(range(k_bottom)) | set(range(n - k_top, n)))
        return Spectrum(
            tuple(full.eigenvalues[i] for i in idx),
            tuple(full.error_bounds[i] for i in idx),
            exact.matvecs,
            1,
            True,
            "dense",
        )

    def reference() -> LinearOperator:  # built at the end, for the certificate only
        return _float64_operator(model, x, of, targets, loss, loss_reduction=loss_reduction)

    def solve(
        iterate: LinearOperator, ref: Operator | None, budget: int, start: Tensor | None = None
    ) -> Spectrum:
        return lanczos(
            iterate,
            k_top=k_top,
            k_bottom=k_bottom,
            tol=tol / 2 if ref is op else tol,
            seed=seed,
            max_matvecs=budget,
            return_vectors=return_vectors or ref is op,
            reference=ref,
            v0=start,
        )

    if model.dtype != torch.float64:
        return solve(op, reference, max_matvecs)
    copy = _float32_copy(model, x, targets)
    if tol < SINGLE_ITERATION_TOL or return_vectors or copy is None or which == "both":
        return solve(op, None, max_matvecs)
    single, x32, targets32 = copy
    try:
        spec = solve(
            _operator(single, x32, of, targets32, loss, loss_reduction=loss_reduction),
            op,
            max_matvecs,
        )
    except NumericalError:  # float32 overflowed or ran out: iterate in float64 instead
        return solve(op, None, max_matvecs)
    if max(spec.error_bounds) <= tol * max(abs(v) for v in spec.eigenvalues):
        return dataclasses.replace(spec, eigenvectors=None)
    assert spec.eigenvectors is not None
    if spec.matvecs >= max_matvecs:
        raise NumericalError(f"the float32 iteration used the budget max_matvecs={max_matvecs}")
    # warm start in float64 from the float32 Ritz vectors
    full = solve(op, None, max_matvecs - spec.matvecs, spec.eigenvectors.double().sum(dim=1))
    return dataclasses.replace(full, matvecs=full.matvecs + spec.matvecs)


def hessian_norm(
    model: ModelLike,
    x: Tensor | Iterable[tuple[Tensor, Tensor]],
    *,
    of: Of = "output",
    targets: Tensor | None = None,
    loss: LossLike = "mean",
    loss_reduction: Reduction | None = None,
    method: Method = "auto",
    tol: float = 1e-10,
    seed: int = 0,
    max_matvecs: int = 2000,
) -> Estimate:
    """Spectral norm :math:`\\|H\\|_2` with an error bound and the products it cost.

    Args:
        model: the model at its parameters (float32 or float64), or a ``torch.nn.Module``
            (its input shape read from ``x``, a batch: one input is a batch of one).
        x: one input (shape ``input_shape``) for ``of="output"``; for a loss, a batch
            ``(n, *input_shape)``, or an iterable of ``(inputs, targets)`` batches (a
            ``DataLoader``; ``targets`` then ``None``).
        of: ``"output"``, ``"loss"``, ``"ggn"`` or ``"fisher"``.
        targets: for a named loss, exactly the shape of the model's outputs on ``x``
            (``(n,)``, or ``(n, k)`` for ``k`` outputs); for a callable, ``n`` targets of any
            dtype (class indices for cross-entropy).
        loss: ``"mean"``, ``"half_sum"`` or a callable ``(outputs, targets) -> scalar`` such as
            ``torch.nn.functional.cross_entropy`` (the convention is never guessed).
        loss_reduction: how a callable reduces over the batch, ``"mean"`` (the default, torch's)
            or ``"sum"``; it weights the batches of an iterable and is checked on the first.
        method: ``"auto"`` (dense up to :data:`DENSE_MAX_PARAMS` parameters, else Lanczos),
            ``"lanczos"``, ``"dense"`` or ``"power"``.
        tol: relative residual at which Lanczos/power iteration stop.
        seed: seed of the random start vector.
        max_matvecs: budget; exceeding it raises :class:`~wideproof.errors.NumericalError`.

    The bound is certified as in :func:`hessian_eigs` (float64 products for a float32 model).
    """
    model = _check_common(model, x, method, tol, seed, max_matvecs)
    chosen = _resolve(method, model)
    if chosen == "power":
        op = _operator(model, x, of, targets, loss, loss_reduction=loss_reduction)
        low = model.dtype != torch.float64

        def reference() -> LinearOperator:
            return _float64_operator(model, x, of, targets, loss, loss_reduction=loss_reduction)

        spec = power_iteration(
            op, tol=tol, max_matvecs=max_matvecs, seed=seed, reference=reference if low else None
        )
        value, bound = abs(spec.eigenvalues[0]), spec.error_bounds[0]
    else:
        spec = hessian_eigs(
            model,
            x,
            1,
            of=of,
            targets=targets,
            loss=loss,
            loss_reduction=loss_reduction,
            method=method,
            tol=tol,
            seed=seed,
            max_matvecs=max_matvecs,
        )
        value, bound = spec.spectral_norm
    return _estimate(model, value, bound, spec.matvecs, spec.method)


def hessian_block_norms(
    model: ModelLike, x: Tensor, *, tol: float = 1e-10, seed: int = 0, max_matvecs: int = 2000
) -> dict[tuple[str, str], Estimate]:
    """:math:`\\|H_{bc}\\|_2` of the output Hessian at ``x`` for every pair ``b <= c`` of
    ``model.param_blocks()``.

    A diagonal block :math:`H_{bb}` is the Hessian restricted to block ``b`` (Lanczos at both ends);
    an off-diagonal block's norm is its largest singular value, the top eigenvalue of the symmetric
    dilation :math:`\\begin{pmatrix}0 & H_{bc}\\\\ H_{cb} & 0\\end{pmatrix}`, whose spectrum is
    :math:`\\pm\\sigma_i(H_{bc})` (two Hessian-vector products per step).
    """
    model = _check_common(model, x, "lanczos", tol, seed, max_matvecs)
    full = _operator(model, x, "output", None, "mean")
    index = {
        b: torch.cat([torch.arange(s.start, s.stop) for s in slices]).to(model.device)
        for b, slices in model.block_slices().items()
    }
    exact: list[LinearOperator] = []  # the float64 Hessian, built once if a certificate needs it

    def reference(rows: Tensor, cols: Tensor) -> Callable[[], LinearOperator]:
        def build() -> LinearOperator:
            if not exact:
                exact.append(_float64_operator(model, x, "output", None, "mean"))
            return _block_operator(exact[0], rows, cols)

        return build

    low = model.dtype != torch.float64
    names = list(index)
    out: dict[tuple[str, str], Estimate] = {}
    for i, b in enumerate(names):
        for c in names[i:]:
            op = _block_operator(full, index[b], index[c])
            ref = reference(index[b], index[c]) if low else None
            spec = lanczos(op, tol=tol, seed=seed, max_matvecs=max_matvecs, reference=ref)
            value, bound = spec.spectral_norm
            products = spec.matvecs * (1 if b == c else 2)
            out[(b, c)] = _estimate(model, value, bound, products, spec.method)
    return out


def _block_operator(full: LinearOperator, rows: Tensor, cols: Tensor) -> LinearOperator:
    """The block :math:`H_{rc}` of ``full``: itself when ``rows`` equal ``cols``, else the
    symmetric dilation :math:`[[0, H_{rc}], [H_{cr}, 0]]` (two products of ``full`` per product)."""

    def product(v: Tensor, into: Tensor, out: Tensor) -> Tensor:
        padded = torch.zeros(full.size, dtype=v.dtype, device=v.device)
        padded[into] = v
        return full.matvec(padded)[out]

    if rows is cols:
        return LinearOperator(
            rows.numel(), lambda v: product(v, rows, rows), full.dtype, full.device
        )
    nr = rows.numel()

    def dilation(v: Tensor) -> Tensor:
        return torch.cat([product(v[nr:], cols, rows), product(v[:nr], rows, cols)])

    return LinearOperator(nr + cols.numel(), dilation, full.dtype, full.device)


def _estimate(model: Model, value: float, bound: float, matvecs: int, method: str) -> Estimate:
    return Estimate(
        value=value,
        error_bound=bound,
        matvecs=matvecs,
        method=method,
        dtype=str(model.dtype).removeprefix("torch."),
        device=str(model.device),
    )
