"""Scalar re-implementations of every family's forward pass, evaluated in jets.

Each function below restates the family's defining formula (the module docstrings of
:mod:`wideproof.families`) entry by entry, without torch, over any :class:`Backend`.  The jet of the
output w.r.t. the flat parameter vector (``model.params`` order, row-major within a tensor) then
carries the value, gradient and Hessian.  Weights and inputs enter exactly; scale factors such as
:math:`1/\\sqrt{m}` are computed in the back-end (so over ``arb`` they are balls).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, Generic

import sympy as sp
from torch import Tensor

from ..activations import get_activation
from ..errors import AssumptionError, ConfigError
from ..families import MLP, Assembly, DAGNet, LinearBottleneck, Model, QuadraticModel, UVModel
from ._jet import Jet, jet_sum
from ._scalar import Backend, S
from ._translate import translate

__all__ = ["MAX_PARAMS", "exact_model", "model_jet"]

MAX_PARAMS = 500
"""The largest model (number of parameters) the high-precision and certified paths accept."""

_Derivs = tuple[Callable[[S], S], Callable[[S], S], Callable[[S], S] | None]


def exact_model(model: object) -> Model:
    """``model`` if it is a :class:`Model` of a library family, whose formula this module
    restates; a ``torch.nn.Module`` (or its :func:`~wideproof.families.from_module` wrapper) is
    refused with :class:`ConfigError`: its forward pass is torch code, which exact and ball
    arithmetic cannot re-evaluate."""
    from torch import nn

    from ..families._module import ModuleSpec

    if isinstance(model, nn.Module) or (
        isinstance(model, Model) and isinstance(model.spec, ModuleSpec)
    ):
        raise ConfigError(
            "certify re-evaluates a library family's formula exactly; a torch.nn.Module's forward "
            "is torch code it cannot restate. Use wideproof.measures.hessian_norm or hessian_eigs "
            "(float64 residual-certified bounds) for your own modules"
        )
    if not isinstance(model, Model):
        raise ConfigError(f"expected a wideproof Model; got {type(model).__name__}")
    return model


def model_jet(model: Model, x: Tensor, backend: Backend[S], output_index: int = 0) -> Jet[S]:
    """The jet of output ``output_index`` of ``model`` at the single input ``x`` (shape ``(d,)``).

    Raises:
        ConfigError: not a library-family model (:func:`exact_model`), more than
            :data:`MAX_PARAMS` parameters, a batched ``x``, a bad index or an unsupported family.
        AssumptionError: an activation that is not C^2 (its Hessian is not defined everywhere).
    """
    model = exact_model(model)
    if model.num_params > MAX_PARAMS:
        raise ConfigError(
            f"model has {model.num_params} parameters; certify accepts at most "
            f"MAX_PARAMS={MAX_PARAMS}"
        )
    if not isinstance(x, Tensor) or x.dim() != 1 or x.shape[0] != model.spec.input_dim:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ConfigError(f"x must be one input of shape ({model.spec.input_dim},); got {shape}")
    k = model.spec.output_dim
    if not isinstance(output_index, int) or not 0 <= output_index < k:
        raise ConfigError(f"output_index={output_index!r} must be in [0, {k})")
    xs = [backend.exact(v) for v in x.detach().cpu().tolist()]
    return _outputs(model, _Params(model, backend), xs, backend)[output_index]


class _Params(Generic[S]):
    """The parameters as coordinate jets, indexed like the flat vector."""

    def __init__(self, model: Model, be: Backend[S]) -> None:
        one = be.rational(1, 1)
        self.shapes = {k: tuple(v.shape) for k, v in model.params.items()}
        self.jets: dict[str, list[Jet[S]]] = {}
        start = 0
        for name, t in model.params.items():
            values = t.detach().cpu().reshape(-1).tolist()
            self.jets[name] = [
                Jet.variable(start + i, be.exact(v), one) for i, v in enumerate(values)
            ]
            start += len(values)

    def rows(self, name: str) -> list[list[Jet[S]]]:
        """A tensor as a list of rows over its last axis."""
        flat, cols = self.jets[name], self.shapes[name][-1]
        return [flat[i : i + cols] for i in range(0, len(flat), cols)]

    def flat(self) -> list[Jet[S]]:
        return [j for jets in self.jets.values() for j in jets]


def _outputs(model: Model, p: _Params[S], x: list[S], be: Backend[S]) -> list[Jet[S]]:
    spec = model.spec
    if isinstance(spec, MLP):
        return _mlp(spec, p, x, be)
    if isinstance(spec, LinearBottleneck):
        h = [Jet(v) for v in x]
        for name in p.jets:
            h = [_dot(row, h).scale(_rsqrt(len(h), be)) for row in p.rows(name)]
        return h
    if isinstance(spec, UVModel):
        ux = [_dot(row, [Jet(v) for v in x]) for row in p.rows("u")]
        return [_dot(p.jets["v"], ux).scale(_rsqrt(spec.width, be))]
    if isinstance(spec, Assembly):
        return [_assembly(spec, p, x, be)]
    if isinstance(spec, DAGNet):
        return [_dagnet(spec, p, x, be)]
    if isinstance(spec, QuadraticModel):
        return _quadratic(spec, p, x, be)
    known = "MLP, LinearBottleneck, UVModel, Assembly, DAGNet, QuadraticModel"
    raise ConfigError(f"family {type(spec).__name__} has no scalar forward; supported: {known}")


def _mlp(spec: MLP, p: _Params[S], x: list[S], be: Backend[S]) -> list[Jet[S]]:
    """:math:`\\alpha^{(l)} = \\sigma(W^{(l)}\\alpha^{(l-1)}/\\sqrt{m_{l-1}} + b^{(l)})`,
    :math:`f = \\phi(v^T\\alpha^{(L)}/\\sqrt{m_L} + c + \\text{shift})` (NTK; standard drops the
    factors; :math:`b, c` only with ``bias``)."""
    act = _derivatives(spec.activation, be)
    ntk = spec.parameterization == "ntk"
    h = [Jet(v) for v in x]
    for l in range(1, spec.depth + 1):
        z = [_dot(row, h) for row in p.rows(f"W{l}")]
        if ntk:
            c = _rsqrt(len(h), be)
            z = [zi.scale(c) for zi in z]
        if spec.bias:
            z = [zi + bi for zi, bi in zip(z, p.jets[f"b{l}"], strict=True)]
        h = [zi.compose(*act) for zi in z]
    outs = []
    for a, row in enumerate(p.rows("v")):
        o = _dot(row, h)
        if ntk:
            o = o.scale(_rsqrt(len(h), be))
        if spec.bias:
            o = o + p.jets["c"][a]
        if spec.output != "linear":
            o = o.shift(be.exact(spec.output_shift)).compose(*_derivatives(spec.output, be))
        elif spec.output_shift:
            o = o.shift(be.exact(spec.output_shift))
        outs.append(o)
    return outs


def _assembly(spec: Assembly, p: _Params[S], x: list[S], be: Backend[S]) -> Jet[S]:
    """:math:`f = s(m)^{-1}\\sum_i v_i h^{-1/2}\\sum_j a_{ij}\\sigma(w_{ij}^T x/\\sqrt d)`."""
    act = _derivatives(spec.activation, be)
    xs = [Jet(v) for v in x]
    h = spec.sub_width
    units = [_dot(row, xs).scale(_rsqrt(len(x), be)).compose(*act) for row in p.rows("w")]
    g = [
        _dot(a_i, units[i * h : (i + 1) * h]).scale(_rsqrt(h, be))
        for i, a_i in enumerate(p.rows("a"))
    ]
    m = spec.n_models
    inv_s = _rsqrt(m, be) if spec.scaling == "ntk" else be.rational(1, m)
    return _dot(p.jets["v"], g).scale(inv_s)


def _dagnet(spec: DAGNet, p: _Params[S], x: list[S], be: Backend[S]) -> Jet[S]:
    """:math:`f_v = \\sigma(|\\mathrm{in}(v)|^{-1/2}\\sum_{u\\in\\mathrm{in}(v)} w_{(u,v)} f_u)`,
    linear output over ``output_sources``."""
    act = _derivatives(spec.activation, be)
    dag = spec.dag()
    xs = [Jet(v) for v in x]
    hidden = [_dot(row, xs).scale(_rsqrt(len(x), be)).compose(*act) for row in p.rows("W1")]
    for l, src in enumerate(dag.sources[1:], start=2):
        deg = int(src.shape[1])
        new = [
            _dot(row, [hidden[int(u)] for u in srcs]).scale(_rsqrt(deg, be)).compose(*act)
            for row, srcs in zip(p.rows(f"W{l}"), src.tolist(), strict=True)
        ]
        hidden += new
    out_src = dag.output_sources.tolist()
    return _dot(p.jets["v"], [hidden[int(u)] for u in out_src]).scale(_rsqrt(len(out_src), be))


def _quadratic(spec: QuadraticModel, p: _Params[S], x: list[S], be: Backend[S]) -> list[Jet[S]]:
    """:math:`f_0 + g^T\\delta + \\tfrac12\\delta^T H\\delta` with :math:`(f_0, g, H)` the base
    model's jet at :math:`w_0` and :math:`\\delta = w - w_0`; its gradient is :math:`g + H\\delta`
    and its Hessian :math:`H`."""
    base = _Params(spec.base, be)
    base_jets = _outputs(spec.base, base, x, be)
    delta = [w.value - w0.value for w, w0 in zip(p.flat(), base.flat(), strict=True)]
    half, zero = be.rational(1, 2), be.rational(0, 1)
    outs = []
    for bj in base_jets:
        grad = dict(bj.grad)
        value = bj.value
        for i, gi in bj.grad.items():
            value = value + gi * delta[i]
        for (i, j), hij in bj.hess.items():
            grad[i] = grad.get(i, zero) + hij * delta[j]
            if i != j:
                grad[j] = grad.get(j, zero) + hij * delta[i]
            term = hij * delta[i] * delta[j]
            value = value + (term * half if i == j else term)
        outs.append(Jet(value, grad, dict(bj.hess)))
    return outs


def _dot(weights: Sequence[Jet[S]], inputs: Sequence[Jet[S]]) -> Jet[S]:
    return jet_sum(w * h for w, h in zip(weights, inputs, strict=True))


def _rsqrt(n: int, be: Backend[S]) -> S:
    root = math.isqrt(n)
    if root * root == n:
        return be.rational(1, root)
    return be.rational(1, 1) / be.sqrt(be.rational(n, 1))


def _derivatives(name: str, be: Backend[S]) -> _Derivs[S]:
    """:math:`(s, s', s'')` of an activation, translated from its sympy expression."""
    exprs = _derivative_exprs(name)
    d0, d1 = translate(exprs[0], be), translate(exprs[1], be)
    return d0, d1, None if exprs[2] is None else translate(exprs[2], be)


@functools.cache
def _derivative_exprs(name: str) -> tuple[Any, Any, Any]:
    act = get_activation(name)
    if not act.is_c2:
        raise AssumptionError(
            f"activation={name!r} is not C^2: the Hessian needs s'' everywhere (the "
            "twice-differentiable hypothesis of Liu, Zhu, Belkin 2020, section 3)"
        )
    d2 = sp.simplify(act.derivative_expr(2))
    return act.expr, act.derivative_expr(1), None if d2 == 0 else d2
