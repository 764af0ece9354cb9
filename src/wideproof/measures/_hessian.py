"""Hessian spectral norms and extreme eigenvalues of the model output or of the loss.

* ``of="output"``: :math:`H_f(w_0; x) = \\nabla^2_w f(w_0; x)` at one input (Liu et al. 2020, eq. (4)
  and Thm 3.2 bound its norm by :math:`\\tilde O(1/\\sqrt m)`).
* ``of="loss"``: :math:`H_{\\mathcal L}(w_0)` of the squared loss on ``(X, targets)`` in the named
  convention (``"mean"`` or ``"half_sum"``, see :mod:`wideproof.linalg`).
* :func:`hessian_block_norms`: the spectral norms of the blocks :math:`H_{bc}` of the output
  Hessian between the model's parameter blocks (Zhu, Pandit & Belkin 2022: within a block between
  bottlenecks :math:`\\|H_{bb}\\| = O(m^{-1/2})`, across blocks :math:`\\Theta(1)`).

The spectral norm is :math:`\\max(|\\lambda_{max}|, |\\lambda_{min}|)`: the model Hessian is
indefinite, so both ends of the spectrum are computed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
from ..linalg import (
    LinearOperator,
    LossConvention,
    Spectrum,
    dense_matrix,
    dense_spectrum,
    lanczos,
    loss_hessian,
    model_hessian,
    power_iteration,
)
from ..linalg._lanczos import WORKING_DTYPES, Operator
from ..results import Estimate
from ._checks import checked_model

__all__ = ["DENSE_MAX_PARAMS", "hessian_block_norms", "hessian_eigs", "hessian_norm"]

Of = Literal["output", "loss"]
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
bounds still miss ``tol``, the iteration runs in float64."""


def _operator(
    model: Model, x: Tensor, of: Of, targets: Tensor | None, loss: LossConvention
) -> LinearOperator:
    if of == "output":
        if targets is not None:
            raise ConfigError("targets are only used with of='loss'")
        return model_hessian(model, real_tensor("x", x, model.dtype).to(model.device))
    if of == "loss":
        if targets is None:
            raise ConfigError("of='loss' needs targets (one per row of x)")
        X = real_tensor("x", x, model.dtype).to(model.device)
        y = real_tensor("targets", targets, model.dtype).to(model.device)
        return loss_hessian(model, X, y, loss)
    raise ConfigError(f"of={of!r} is not one of 'output', 'loss'")


def _float64_operator(
    model: Model, x: Tensor, of: Of, targets: Tensor | None, loss: LossConvention
) -> LinearOperator:
    """The same Hessian for a float64 copy of the model: the exact Hessian at these weights.

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
    as64 = None if targets is None else targets.to(torch.float64)
    return _operator(exact, x.to(torch.float64), of, as64, loss)


def _check_common(model: object, method: str, tol: float, seed: int, max_matvecs: int) -> Model:
    checked = checked_model(model)
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


def hessian_eigs(
    model: Model,
    x: Tensor,
    k: int = 1,
    *,
    of: Of = "output",
    targets: Tensor | None = None,
    loss: LossConvention = "mean",
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
    are refused.  A float64 model with ``tol >= SINGLE_ITERATION_TOL`` (and no vectors asked for)
    iterates on a float32 copy under the same float64 certificate, and continues in float64 from
    the float32 Ritz vectors when that certificate misses ``tol``.
    """
    model = _check_common(model, method, tol, seed, max_matvecs)
    one_of("which", which, ("both", "largest", "smallest"))
    positive_int("k", k, at_most=model.num_params)
    op = _operator(model, x, of, targets, loss)
    k_top = k if which in ("both", "largest") else 0
    k_bottom = k if which in ("both", "smallest") else 0
    chosen = _resolve(method, model)
    if chosen == "power":
        raise ConfigError(
            "method='power' only gives the eigenvalue of largest magnitude; use hessian_norm"
        )
    low = model.dtype != torch.float64
    if chosen == "dense":
        n = op.size
        check_memory(f"the dense {n}x{n} Hessian", 3 * n * n * 8)
        exact = _float64_operator(model, x, of, targets, loss) if low else op
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
        return _float64_operator(model, x, of, targets, loss)

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

    if low:
        return solve(op, reference, max_matvecs)
    if tol < SINGLE_ITERATION_TOL or return_vectors:
        return solve(op, None, max_matvecs)
    single = model.with_params({k: v.float() for k, v in model.params.items()})
    single_targets = None if targets is None else targets.float()
    try:
        spec = solve(_operator(single, x.float(), of, single_targets, loss), op, max_matvecs)
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
    model: Model,
    x: Tensor,
    *,
    of: Of = "output",
    targets: Tensor | None = None,
    loss: LossConvention = "mean",
    method: Method = "auto",
    tol: float = 1e-10,
    seed: int = 0,
    max_matvecs: int = 2000,
) -> Estimate:
    """Spectral norm :math:`\\|H\\|_2` with an error bound and the products it cost.

    Args:
        model: the model at its parameters (float32 or float64).
        x: one input ``(d,)`` for ``of="output"``; a batch ``(n, d)`` for ``of="loss"``.
        of: ``"output"`` or ``"loss"``.
        targets: for ``of="loss"``, exactly the shape of the model's outputs on ``x``
            (``(n,)``, or ``(n, k)`` for ``k`` outputs).
        loss: ``"mean"`` or ``"half_sum"`` (the convention is never guessed).
        method: ``"auto"`` (dense up to :data:`DENSE_MAX_PARAMS` parameters, else Lanczos),
            ``"lanczos"``, ``"dense"`` or ``"power"``.
        tol: relative residual at which Lanczos/power iteration stop.
        seed: seed of the random start vector.
        max_matvecs: budget; exceeding it raises :class:`~wideproof.errors.NumericalError`.

    The bound is certified as in :func:`hessian_eigs` (float64 products for a float32 model).
    """
    model = _check_common(model, method, tol, seed, max_matvecs)
    chosen = _resolve(method, model)
    if chosen == "power":
        op = _operator(model, x, of, targets, loss)
        low = model.dtype != torch.float64

        def reference() -> LinearOperator:
            return _float64_operator(model, x, of, targets, loss)

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
            method=method,
            tol=tol,
            seed=seed,
            max_matvecs=max_matvecs,
        )
        value, bound = spec.spectral_norm
    return _estimate(model, value, bound, spec.matvecs, spec.method)


def hessian_block_norms(
    model: Model, x: Tensor, *, tol: float = 1e-10, seed: int = 0, max_matvecs: int = 2000
) -> dict[tuple[str, str], Estimate]:
    """:math:`\\|H_{bc}\\|_2` of the output Hessian at ``x`` for every pair ``b <= c`` of
    ``model.param_blocks()``.

    A diagonal block :math:`H_{bb}` is the Hessian restricted to block ``b`` (Lanczos at both ends);
    an off-diagonal block's norm is its largest singular value, the top eigenvalue of the symmetric
    dilation :math:`\\begin{pmatrix}0 & H_{bc}\\\\ H_{cb} & 0\\end{pmatrix}`, whose spectrum is
    :math:`\\pm\\sigma_i(H_{bc})` (two Hessian-vector products per step).
    """
    model = _check_common(model, "lanczos", tol, seed, max_matvecs)
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
