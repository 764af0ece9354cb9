"""Symmetric eigensolvers with certified error bounds: Lanczos, power iteration, dense.

**Lanczos.**  After :math:`j` steps from a random unit vector,
:math:`AV_j = V_jT_j + \\beta_j v_{j+1}e_j^T` with :math:`T_j` tridiagonal; a Ritz pair
:math:`(\\theta, V_js)` of :math:`T_js = \\theta s` has residual :math:`\\beta_j|e_j^Ts|` in exact
arithmetic.  Without reorthogonalization the recurrence loses orthogonality and returns spurious
("ghost") copies of converged eigenvalues (Paige 1980, *Accuracy and effectiveness of the Lanczos
algorithm*, Thm 3.1: a Ritz value with a small residual is still close to an eigenvalue), which
is harmless for the single extreme eigenvalue of an end but fatal for the :math:`k`-th.  So every
new vector is reorthogonalized against the whole basis (classical Gram-Schmidt, a second pass when
the first removed much: "twice is enough") whenever more than one eigenvalue is wanted at an end,
or the run may fill the whole space; with one eigenvalue per end on a larger operator the basis is
kept (for the Ritz vectors the certificate needs) but not reorthogonalized, sparing the
Gram-Schmidt passes (15-20% of the float32 loss-Hessian solve of ``benchmarks/RESULTS.md`` in one
measurement under load).  The iteration stops when every
wanted Ritz value at the wanted ends has
:math:`\\beta_j|e_j^Ts| \\le \\max(\\mathtt{tol}, 4\\varepsilon)\\max|\\theta|` (:math:`\\varepsilon`
of the working precision: a residual below it is not meaningful; for a block run the residual is
:math:`\\|B_{j+1}s_{last}\\|`, see :func:`_run`), or when the Krylov space is the whole space.
When the basis reaches ``max_basis`` vectors it restarts from the sum of the wanted Ritz vectors
(and, for a block, random combinations of them); a ``max_matvecs`` budget that runs out raises
:class:`NumericalError`.

**Missed eigenvalues.**  Single-vector Lanczos finds one vector per eigenspace, so a multiple
eigenvalue appears once.  When more than one eigenvalue is wanted at an end, the run is a *block*
Lanczos run from :data:`BLOCK` random vectors, which sees up to :data:`BLOCK` copies of each
eigenvalue (Golub & Underwood 1977; the advice of PRIMME and SLEPc for multiple eigenvalues: a
block at least the multiplicity).  When two neighbouring wanted values may be copies of one
eigenvalue (their intervals, widened by the stopping residual, touch), a *deflation probe* --
Lanczos from a new random vector in the orthogonal complement of the pairs found so far -- looks
for the best value left at each such end; while it finds one beyond the current :math:`k`-th (by
more than the tolerance), the value is added and the probe repeats.  A random start has a
component along every eigenvector with probability one, so an eigenvalue beyond the returned
ones is missed only with probability zero, not never: no matrix-free method can prove the absence
of an eigenvalue.  (Before the block runs, every run with :math:`k > 1` ran the probe: about 40
more products on the benchmark's top 5, ``benchmarks/RESULTS.md``.)
Two eigenvalues at an end closer than the run resolves at its stopping residual (a gap near
``tol`` times the scale) are seen as one: the value returned is within its bound of one of them,
not necessarily of the extreme one (measured with a gap of 1e-6 at ``tol=1e-6``: 8.4e-7 from
the largest eigenvalue with a bound of 3.7e-7, ``property_tests/prop_certificate.py``).

**Certificate.**  The returned eigenvalues and bounds come from
:func:`~wideproof.linalg._certificate.certify_pairs`: fresh products with the returned vectors
(under ``reference``, the same operator in float64, when given), Rayleigh-Ritz in float64, and
residual bounds that pair the values with pairwise *distinct* eigenvalues of the operator.

Eigenvalues are returned in ascending order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from .._validate import check_memory, nonneg_int, positive_float, positive_int
from .._validate import seed as check_seed
from ..errors import ConfigError, NumericalError
from ._certificate import Certificate, certify_pairs
from ._operators import LinearOperator

__all__ = ["Spectrum", "dense_spectrum", "lanczos", "power_iteration"]

DEFAULT_BASIS_BYTES = 4 * 2**30
"""Memory allowed for the Lanczos basis before the iteration restarts (4 GiB)."""

WORKING_DTYPES = (torch.float32, torch.float64)
"""Precisions the iterative solvers run in; half precisions cannot resolve a residual below
:math:`4\\varepsilon \\approx 3\\cdot10^{-2}` and are refused."""

STALL_STEPS = 20
"""Power iteration stops when its residual, already near the rounding floor, has not reached a new
minimum in this many steps."""

FLOOR_EPS = 4
"""The iterations stop at a relative residual of ``max(tol, FLOOR_EPS * eps)``: a residual below a
few units of the working precision's rounding of one product is not meaningful, and a smaller
``tol`` would only run the budget out."""

BLOCK = 2
"""Block size of the Lanczos runs when more than one eigenvalue is wanted at an end: a block of
:math:`b` random start vectors sees :math:`\\min(m, b)` copies of an eigenvalue of multiplicity
:math:`m`, so when no two neighbouring wanted values may be copies of one eigenvalue
(:func:`_may_repeat`), none is repeated and the deflation probe is not needed.  On the
loss Hessian of ``benchmarks/RESULTS.md`` (top 5 of a clustered spectrum at ``tol=1e-6``):
block 2 took 66-68 products, block 3 81, block 5 110, single-vector Lanczos 54 plus about 40
for its probe."""

_REORTHOGONALIZE = True
"""Private switch for tests that show what reorthogonalization prevents; never turned off."""

Operator = LinearOperator | Callable[[], LinearOperator]


@dataclass(frozen=True)
class Spectrum:
    """Extreme eigenvalues of a symmetric operator with a bound on each one's error.

    ``eigenvalues`` are ascending; ``error_bounds[i]`` bounds the distance from
    ``eigenvalues[i]`` to an eigenvalue of the operator, distinct eigenvalues for distinct ``i``.
    ``eigenvectors`` (columns, optional) match ``eigenvalues``.
    """

    eigenvalues: tuple[float, ...]
    error_bounds: tuple[float, ...]
    matvecs: int
    iterations: int
    converged: bool
    method: str
    eigenvectors: Tensor | None = field(default=None, repr=False, compare=False)

    @property
    def spectral_norm(self) -> tuple[float, float]:
        """:math:`\\max(|\\lambda_{max}|, |\\lambda_{min}|)` and its error bound."""
        lo, hi = self.eigenvalues[0], self.eigenvalues[-1]
        if abs(hi) >= abs(lo):
            return abs(hi), self.error_bounds[-1]
        return abs(lo), self.error_bounds[0]


def check_solver_operator(op: LinearOperator) -> None:
    """Refuse an operator the iterative solvers cannot handle (not symmetric, half precision)."""
    if not isinstance(op, LinearOperator):
        raise ConfigError(f"expected a LinearOperator; got {type(op).__name__}")
    if not op.symmetric:
        raise ConfigError("the eigensolvers need a symmetric operator")
    if op.dtype not in WORKING_DTYPES:
        raise ConfigError(
            f"the eigensolvers run in float32 or float64, not {op.dtype}: its rounding "
            "(eps >= 1e-3) cannot certify a residual; convert the model to float32 first"
        )


START_STREAM = 0x4C616E63
"""Tag mixed into the seed of the start vectors, so that they are independent of weights drawn
from the same seed (a start vector equal to the weights of a positively homogeneous network
spans an invariant subspace and hides eigenvalues)."""


def _stopping_residual(tol: float, dtype: torch.dtype) -> float:
    return max(tol, FLOOR_EPS * float(torch.finfo(dtype).eps))


def _random_unit(
    n: int, like: Tensor, rng: np.random.Generator, basis: Tensor | None, locked: Tensor | None
) -> Tensor:
    """A random unit vector orthogonal to ``basis`` (rows) and ``locked`` (columns)."""
    v = torch.as_tensor(rng.standard_normal(n)).to(dtype=like.dtype, device=like.device)
    if basis is not None or locked is not None:
        v = _orthogonalize(v, like.new_zeros(0, n) if basis is None else basis, locked)
    unit: Tensor = v / v.norm()
    return unit


def _given_start(v0: Tensor, op: LinearOperator) -> Tensor:
    if not isinstance(v0, Tensor) or v0.shape != (op.size,) or not bool(torch.isfinite(v0).all()):
        raise ConfigError(f"v0 must be a finite tensor of shape ({op.size},)")
    v = v0.detach().to(dtype=op.dtype, device=op.device)
    if float(v.norm()) == 0.0:
        raise ConfigError("v0 must be non-zero")
    unit: Tensor = v / v.norm()
    return unit


def lanczos(
    op: LinearOperator,
    *,
    k_top: int = 1,
    k_bottom: int = 1,
    tol: float = 1e-10,
    max_matvecs: int = 2000,
    max_basis: int | None = None,
    seed: int = 0,
    return_vectors: bool = False,
    reference: Operator | None = None,
    v0: Tensor | None = None,
) -> Spectrum:
    r"""The ``k_bottom`` smallest and ``k_top`` largest eigenvalues of a symmetric operator.

    Each returned eigenvalue :math:`\mu_i` is a Rayleigh-Ritz value with
    :math:`|\mu_i - \lambda_{\pi(i)}| \le` ``error_bounds[i]`` for an injective :math:`\pi` into the
    eigenvalues of the operator (module docstring).  ``reference``: the same operator in float64,
    or a function building it (called once, at the end): the certificate's products are then
    taken in float64, so for a float32 ``op`` the bounds cover the exact float64 operator instead
    of carrying float32 rounding.  ``matvecs`` counts the products of both.

    ``v0``: the start vector (normalized here; default a random one from ``seed``), e.g. a Ritz
    vector of a nearby operator to warm-start a sequence of solves.
    """
    check_solver_operator(op)
    n = op.size
    nonneg_int("k_top", k_top)
    nonneg_int("k_bottom", k_bottom)
    if k_top + k_bottom == 0:
        raise ConfigError(f"k_top={k_top}, k_bottom={k_bottom}: ask for at least one eigenvalue")
    if max(k_top, k_bottom) > n:
        raise ConfigError(f"k_top={k_top}, k_bottom={k_bottom}: the operator has only {n}")
    positive_float("tol", tol)
    positive_int("max_matvecs", max_matvecs)
    check_seed("seed", seed)
    if max_basis is not None:
        positive_int("max_basis", max_basis)
    if isinstance(reference, LinearOperator):
        _check_reference(reference, n)
    itemsize = torch.empty((), dtype=op.dtype).element_size()
    least = min(2 * (k_top + k_bottom) + 10, n)
    cap = max_basis or max(DEFAULT_BASIS_BYTES // (n * itemsize), 1)
    cap = int(min(max(cap, least), n, max_matvecs))
    check_memory(f"a Lanczos basis of {cap} vectors of size {n}", cap * n * itemsize)
    stop = _stopping_residual(tol, op.dtype)
    budget = _Budget(op, max_matvecs, tol)
    plan = _Plan(
        op,
        stop,
        cap,
        np.random.default_rng([seed, START_STREAM]),
        budget,
        _REORTHOGONALIZE and (max(k_top, k_bottom) > 1 or cap == n),
        None if v0 is None else _given_start(v0, op),
    )
    block = BLOCK if max(k_top, k_bottom) > 1 else 1
    values, vectors, steps, repeat = _solve(plan, None, k_top, k_bottom, 0.0, block)
    want = min(n, k_top + k_bottom)
    while vectors.shape[1] < n and (repeat or len(values) < want):
        known = float(np.abs(values).max())  # the probes' residuals are relative to this scale
        found, more, more_steps, _ = _solve(
            plan, vectors, min(k_top, 1), min(k_bottom, 1), known, 1
        )
        steps += more_steps
        margin = stop * max(np.abs(values).max(), np.abs(found).max(), np.finfo(np.float64).tiny)
        improves = _improves(values, found, k_top, k_bottom, want, margin)
        values = np.concatenate([values, found])
        vectors = torch.cat([vectors, more], dim=1)
        if not improves:
            break
    keep = _extremes(values, k_top, k_bottom)
    cert = _certify(op, vectors[:, keep], reference)
    products = op.matvecs - budget.start + (0 if reference is None else cert.products)
    scale = max(abs(v) for v in cert.values)
    return Spectrum(
        eigenvalues=cert.values,
        error_bounds=cert.bounds,
        matvecs=products,
        iterations=steps,
        converged=all(b <= 100 * stop * max(scale, 1e-300) for b in cert.bounds),
        method="lanczos" if reference is None else "lanczos (float64 residual)",
        eigenvectors=cert.vectors.to(op.dtype) if return_vectors else None,
    )


@dataclass(frozen=True)
class _Plan:
    """What every run of one :func:`lanczos` call shares."""

    op: LinearOperator
    stop: float
    cap: int
    rng: np.random.Generator
    budget: _Budget
    reorthogonalize: bool
    v0: Tensor | None  # the first run's start vector (later probes start at random)


@dataclass
class _Budget:
    """The products left of ``max_matvecs`` (``op.matvecs`` counts them)."""

    op: LinearOperator
    max_matvecs: int
    tol: float
    start: int = -1

    def __post_init__(self) -> None:
        self.start = self.op.matvecs

    @property
    def left(self) -> int:
        return self.max_matvecs - (self.op.matvecs - self.start)

    def exhausted(self, reached: float) -> NumericalError:
        return NumericalError(
            f"lanczos did not reach tol={self.tol:g} within max_matvecs={self.max_matvecs}: "
            f"relative residual bound reached {reached:.3g}"
        )


def _improves(
    values: np.ndarray, found: np.ndarray, k_top: int, k_bottom: int, want: int, margin: float
) -> bool:
    """Whether a probe found a value beyond the current ``k``-th at an end (or one more value
    when fewer than ``want`` are known)."""
    if len(values) < want:
        return len(found) > 0
    ordered = np.sort(values)
    top = k_top > 0 and len(found) > 0 and found.max() > ordered[-k_top] + margin
    bottom = k_bottom > 0 and len(found) > 0 and found.min() < ordered[k_bottom - 1] - margin
    return bool(top or bottom)


def _extremes(values: np.ndarray, k_top: int, k_bottom: int) -> list[int]:
    """Indices of the ``k_bottom`` smallest and ``k_top`` largest of ``values``, ascending."""
    order = np.argsort(values, kind="stable")
    count = len(values)
    picked = set(order[: min(k_bottom, count)].tolist())
    picked |= set(order[max(count - k_top, 0) :].tolist())
    return sorted(picked, key=lambda i: values[i])


def _certify(op: LinearOperator, vectors: Tensor, reference: Operator | None) -> Certificate:
    if reference is None:
        return certify_pairs(op.matvec, vectors, op.dtype)
    if not isinstance(reference, LinearOperator):
        reference = reference()
        _check_reference(reference, op.size)
    return certify_pairs(reference.matvec, vectors, reference.dtype)


def _solve(
    plan: _Plan, locked: Tensor | None, k_top: int, k_bottom: int, known: float, block: int
) -> tuple[np.ndarray, Tensor, int, bool]:
    """Wanted Ritz values and vectors (columns) of ``op`` on the complement of ``locked``,
    restarting when a run fills ``cap`` basis vectors; also the steps taken (basis vectors: a
    block step adds ``block``), and whether two wanted values at an end may be copies of one
    eigenvalue (:func:`_may_repeat`).
    Residuals are measured relative to the largest Ritz value, or ``known`` (a scale of the
    operator already found) when that is larger."""
    op, budget = plan.op, plan.budget
    dim = op.size - (0 if locked is None else locked.shape[1])
    block = min(block, dim)
    given = plan.v0 if locked is None else None
    start = _start_block(plan, block, locked, None if given is None else given.unsqueeze(1))
    steps = 0
    while True:
        run = _run(plan, start, dim, locked, k_top, k_bottom, known)
        steps += run.steps
        coeff = torch.as_tensor(run.s[:, run.wanted], dtype=op.dtype, device=op.device)
        ritz = run.basis.T @ coeff
        if run.done:
            repeat = _may_repeat(run, k_top, k_bottom, plan.stop)
            return run.theta[run.wanted], ritz, steps, repeat
        if budget.left <= 0:
            raise budget.exhausted(float(np.max(run.residuals[run.wanted]) / run.scale))
        start = _start_block(plan, block, locked, ritz @ _restart_weights(plan, ritz, block))


def _start_block(plan: _Plan, block: int, locked: Tensor | None, given: Tensor | None) -> Tensor:
    """Orthonormal start vectors (rows): the columns of ``given`` first, then random ones
    (orthogonal to ``locked`` and to each other) up to ``block``."""
    op = plan.op
    like = torch.empty(0, dtype=op.dtype, device=op.device)
    rows: list[Tensor] = []
    for col in [] if given is None else list(given.T):
        v = col if not rows else _orthogonalize(col, torch.stack(rows), locked)
        if float(v.norm()) > 1e-6 * float(col.norm()):  # else dependent: a random row instead
            rows.append(v / v.norm())
    while len(rows) < block:
        rows.append(
            _random_unit(op.size, like, plan.rng, torch.stack(rows) if rows else None, locked)
        )
    return torch.stack(rows[:block])


def _restart_weights(plan: _Plan, ritz: Tensor, block: int) -> Tensor:
    """Combinations of the wanted Ritz vectors to restart from: their sum, and for a block
    random combinations (a fixed one such as a second partial sum could cancel the second copy
    of a repeated eigenvalue)."""
    count = ritz.shape[1]
    weights = np.ones((count, block))
    if block > 1:
        weights[:, 1:] = plan.rng.standard_normal((count, block - 1))
    return torch.as_tensor(weights, dtype=ritz.dtype, device=ritz.device)


def _may_repeat(run: _Run, k_top: int, k_bottom: int, stop: float) -> bool:
    """Whether two neighbouring wanted Ritz values at an end lie within their residuals (plus the
    stopping residual) of each other -- possibly two copies of one eigenvalue, of which a block
    of size :math:`b` sees at most :math:`b`."""
    theta, res = run.theta, run.residuals
    margin = stop * run.scale
    ends = [np.arange(min(k_bottom, len(theta)))]
    ends.append(np.arange(max(len(theta) - k_top, 0), len(theta)))
    for idx in ends:
        for i, j in itertools.pairwise(idx):
            if theta[j] - theta[i] <= res[i] + res[j] + margin:
                return True
    return False


@dataclass
class _Run:
    theta: np.ndarray
    s: np.ndarray
    residuals: np.ndarray
    wanted: np.ndarray
    scale: float
    basis: Tensor
    steps: int
    done: bool


def _run(
    plan: _Plan,
    start: Tensor,
    dim: int,
    locked: Tensor | None,
    k_top: int,
    k_bottom: int,
    known: float,
) -> _Run:
    """One (block) Lanczos run of at most ``plan.cap`` basis vectors from the orthonormal rows of
    ``start`` (:math:`b` of them), orthogonal to ``locked`` (columns), in a space of dimension
    ``dim``.

    Block step :math:`j` (Golub & Underwood 1977, *The block Lanczos method for computing
    eigenvalues*; Parlett 1998, ch. 13.12): :math:`W = AV_j - V_jA_j - V_{j-1}B_j^T` with
    :math:`A_j = V_j^TAV_j`, then :math:`W = V_{j+1}B_{j+1}` (QR), so that :math:`T` is block
    tridiagonal with diagonal blocks :math:`A_j` and sub-diagonal blocks :math:`B_{j+1}`, and a
    Ritz pair :math:`(\\theta, V s)` has residual :math:`\\|B_{j+1}s_{last}\\|`.  For :math:`b = 1`
    this is the three-term recurrence with :math:`\\beta_j = \\|w\\|`.

    The first time the Krylov space becomes invariant in a direction (:math:`|(B_{j+1})_{ii}|
    \\le` the stopping threshold) before filling the space, the run continues from a fresh
    random direction orthogonal to it (a zero coupling in :math:`T`): a start with no component
    along some eigenvectors would otherwise hide their eigenvalues.  Later such directions of a
    block are replaced the same way when the run goes on.
    """
    op, stop, budget = plan.op, plan.stop, plan.budget
    cap = min(plan.cap, dim)
    fresh = True
    basis = torch.empty(cap, op.size, dtype=op.dtype, device=op.device)
    t = np.zeros((0, 0))
    cur, prev = start, None
    coupling = np.zeros((0, 0))  # B_j, the previous block's residual in the current block
    j = 0
    while True:
        cur = cur[: cap - j]
        b = cur.shape[0]
        basis[j : j + b] = cur
        # fused updates on a tensor of our own (the product may be the operator's own tensor);
        # each P-sized temporary spared is a fresh allocation spared
        # the three-term recurrence in scalars: the block algebra below costs 0.34-0.41 ms of
        # bookkeeping per step against 0.30 (46 steps on a diagonal operator of size 6,922)
        if b == 1 and (prev is None or prev.shape[0] == 1):
            w = op.matvec(cur[0])
            alpha = float(cur[0] @ w)
            a = np.array([[alpha]])
            w = torch.add(w, cur[0], alpha=-alpha)[None]
            if prev is not None:
                w.sub_(prev, alpha=float(coupling[0, 0]))
        else:
            w = torch.stack([op.matvec(row) for row in cur])
            a = (cur @ w.T).double().cpu().numpy()
            a = 0.5 * (a + a.T)
            w = torch.addmm(w, torch.as_tensor(a, dtype=op.dtype, device=op.device), cur, alpha=-1)
            if prev is not None:
                back = torch.as_tensor(coupling[:b], dtype=op.dtype, device=op.device)
                w.addmm_(back, prev, alpha=-1)
        if plan.reorthogonalize:
            w = _orthogonalize(w, basis[: j + b], locked)
        nxt, r = _orthonormal_rows(w)
        if not (np.isfinite(a).all() and np.isfinite(r).all()):
            raise NumericalError(f"the operator returned NaN or Inf at Lanczos step {j + 1}")
        t = _extend(t, a, coupling)
        theta, s = np.linalg.eigh(t)
        scale = max(abs(theta[0]), abs(theta[-1]), known, np.finfo(np.float64).tiny)
        residuals = np.linalg.norm(r @ s[-b:, :], axis=0)
        wanted = _wanted(len(theta), k_top, k_bottom)
        j += b
        flat = np.abs(np.diag(r)) <= stop * scale
        room = j < min(dim, cap) and budget.left > 0
        if fresh and flat.any() and room:
            fresh = False  # invariant subspace: continue from a fresh direction
            r[flat] = 0.0
            nxt = _replace_rows(plan, nxt, flat, basis[:j], locked)
            prev, cur, coupling = cur, nxt, r
            continue
        done = j == dim or bool(np.all(residuals[wanted] <= stop * scale))
        if done or j >= cap or budget.left <= 0:
            return _Run(theta, s, residuals, wanted, scale, basis[:j], j, done)
        if flat.any():
            r[flat] = 0.0
            nxt = _replace_rows(plan, nxt, flat, basis[:j], locked)
        prev, cur, coupling = cur, nxt, r


def _orthonormal_rows(w: Tensor) -> tuple[Tensor, np.ndarray]:
    """:math:`W = V B` with orthonormal rows :math:`V` (as rows) and upper-triangular :math:`B`
    (in float64): the norm for one row, Householder QR for a block."""
    if w.shape[0] == 1:
        beta = float(w.norm())
        return (w / beta if beta > 0.0 else w), np.array([[beta]])
    q, r = torch.linalg.qr(w.T)
    return q.T, r.double().cpu().numpy()


def _replace_rows(
    plan: _Plan, rows: Tensor, flat: np.ndarray, basis: Tensor, locked: Tensor | None
) -> Tensor:
    """``rows`` with the rows marked ``flat`` replaced by random unit vectors orthogonal to the
    basis, to ``locked`` and to the other rows."""
    out = rows.clone()
    for i in np.flatnonzero(flat):
        others = torch.cat([basis, out[np.arange(len(out)) != i]])
        out[i] = _random_unit(out.shape[1], out, plan.rng, others, locked)
    return out


def _extend(t: np.ndarray, a: np.ndarray, coupling: np.ndarray) -> np.ndarray:
    """The block-tridiagonal :math:`T` with the diagonal block ``a`` appended below ``coupling``
    (:math:`B_j`, rows of the new block against the previous block's columns)."""
    m, b = t.shape[0], a.shape[0]
    out = np.zeros((m + b, m + b))
    out[:m, :m] = t
    out[m:, m:] = a
    if m:
        p = coupling.shape[1]
        out[m:, m - p : m] = coupling[:b]
        out[m - p : m, m:] = coupling[:b].T
    return out


def _orthogonalize(w: Tensor, basis: Tensor, locked: Tensor | None) -> Tensor:
    """``w`` (a vector, or vectors as rows) minus its components along ``basis`` (rows) and
    ``locked`` (columns): classical Gram-Schmidt, repeated once when it removed much from some
    row ("twice is enough").  A block is orthogonalized at once: one pass over the basis for all
    its rows."""
    for _ in range(2):
        before = w.norm(dim=-1)
        w = w - (w @ basis.T) @ basis
        if locked is not None:
            w = w - (w @ locked) @ locked.T
        if bool((w.norm(dim=-1) > 0.7 * before).all()):
            break
    return w


def _wanted(count: int, k_top: int, k_bottom: int) -> np.ndarray:
    idx = set(range(min(k_bottom, count))) | set(range(max(count - k_top, 0), count))
    return np.array(sorted(idx), dtype=np.int64)


def _tridiagonal_eigh(alphas: list[float], betas: list[float]) -> tuple[np.ndarray, np.ndarray]:
    t = np.diag(np.asarray(alphas))
    if betas:
        off = np.asarray(betas)
        t += np.diag(off, 1) + np.diag(off, -1)
    theta, s = np.linalg.eigh(t)
    return theta, s


def _check_reference(reference: LinearOperator, n: int) -> None:
    if reference.size != n or reference.dtype != torch.float64:
        raise ConfigError(
            f"reference must be a float64 operator of size {n}; got size {reference.size}, "
            f"dtype {reference.dtype}"
        )


def power_iteration(
    op: LinearOperator,
    *,
    tol: float = 1e-10,
    max_matvecs: int = 5000,
    seed: int = 0,
    reference: Operator | None = None,
) -> Spectrum:
    """The eigenvalue of largest magnitude by power iteration (for comparison with Lanczos).

    Iterates until the residual :math:`\\|Av - \\theta v\\|` of the Rayleigh quotient is
    :math:`\\le \\max(\\mathtt{tol}, \\rho)|\\theta|` with :math:`\\rho = 4\\sqrt n\\,\\varepsilon`
    (computed from a product, the residual carries that product's rounding), or until it stalls
    -- no new smallest residual in :data:`STALL_STEPS` steps -- below :math:`100\\rho|\\theta|`,
    where rounding, not convergence, sets it.  Then it certifies the vector as :func:`lanczos`
    does (one fresh product, under ``reference`` when given).  Slow when
    :math:`|\\lambda_{max}|\\approx|\\lambda_{min}|`; the certificate bounds the distance to *an*
    eigenvalue, and that it is the one of largest magnitude rests on the start vector having a
    component along its eigenvector.
    """
    check_solver_operator(op)
    positive_float("tol", tol)
    positive_int("max_matvecs", max_matvecs)
    check_seed("seed", seed)
    floor = FLOOR_EPS * math.sqrt(op.size) * float(torch.finfo(op.dtype).eps)
    like = torch.empty(0, dtype=op.dtype, device=op.device)
    v = _random_unit(op.size, like, np.random.default_rng([seed, START_STREAM]), None, None)
    start = op.matvecs
    av = op.matvec(v)
    best, since_best = math.inf, 0
    for _ in range(max_matvecs):
        theta = float(v @ av)
        resid = float((av - theta * v).norm()) / max(abs(theta), np.finfo(np.float64).tiny)
        if not math.isfinite(resid):
            raise NumericalError("the operator returned NaN or Inf in power iteration")
        best, since_best = (resid, 0) if resid < best else (best, since_best + 1)
        stalled = since_best >= STALL_STEPS and best <= 100 * floor
        norm = float(av.norm())
        if resid <= max(tol, floor) or stalled or norm == 0.0:
            cert = _certify(op, v.unsqueeze(1), reference)
            products = op.matvecs - start + (0 if reference is None else cert.products)
            method = "power" if reference is None else "power (float64 residual)"
            return Spectrum(cert.values, cert.bounds, products, products, True, method)
        v = av / norm
        av = op.matvec(v)
    raise NumericalError(
        f"power iteration did not reach tol={tol:g} within max_matvecs={max_matvecs}: "
        f"relative residual {resid:.3g}"
    )


def dense_spectrum(matrix: Tensor) -> Spectrum:
    """All eigenvalues of a dense symmetric matrix (computed in float64), with the backward-error
    bound :math:`n\\,\\varepsilon\\,\\|A\\|_F` of a stable symmetric eigensolver plus the
    asymmetry :math:`\\|A - A_{sym}\\|_F` (:math:`\\varepsilon` of the matrix's own dtype)."""
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ConfigError(f"expected a square matrix; got {tuple(matrix.shape)}")
    if not bool(torch.isfinite(matrix).all()):
        raise NumericalError("the matrix contains NaN or Inf")
    exact = matrix.to(torch.float64)
    sym = 0.5 * (exact + exact.T)
    try:
        values = torch.linalg.eigvalsh(sym)
    except RuntimeError as err:  # torch's _LinAlgError: the QR iteration did not converge
        raise NumericalError(f"the dense eigensolver failed: {str(err).splitlines()[0]}") from None
    eps = max(float(torch.finfo(matrix.dtype).eps), float(torch.finfo(torch.float64).eps))
    bound = matrix.shape[0] * eps * float(sym.norm()) + float((exact - sym).norm())
    vals = tuple(float(v) for v in values.cpu())
    return Spectrum(vals, (bound,) * len(vals), matrix.shape[0], 1, True, "dense")
