"""Exact loss-Hessian-vector products of an :class:`~wideproof.families.MLP`, written out layer by
layer (Pearlmutter 1994, *Fast exact multiplication by the Hessian*, Neural Computation 6(1), the
:math:`\\mathcal R\\{\\cdot\\}` operator).

For the squared loss :math:`\\mathcal L = c\\,\\tfrac12\\sum_i\\|f(w; x_i) - y_i\\|^2`
(:math:`c = 2/n` for ``"mean"``, 1 for ``"half_sum"``) of an MLP with a linear output, one forward
and one backward pass at :math:`w_0` are kept: the layer inputs :math:`h_{l-1}`, the
pre-activations' :math:`\\sigma'(z_l), \\sigma''(z_l)`, and the back-propagated gradients
:math:`g_l = \\partial\\mathcal L/\\partial h_l`, :math:`\\delta_l = \\sigma'(z_l)\\odot g_l`.  A
product :math:`Hu` with :math:`u = (U_l, \\dot b_l, \\dot v, \\dot c)` is then the directional
derivative of the gradient, propagated forward

.. math::
    \\dot z_l = s_l(\\dot h_{l-1}W_l^T + h_{l-1}U_l^T) + \\dot b_l,\\quad
    \\dot h_l = \\sigma'(z_l)\\odot\\dot z_l,\\quad \\dot h_0 = 0,

and backward (:math:`\\dot\\delta_{out} = c\\,\\dot f`)

.. math::
    \\dot g_{l-1} = s_l(\\dot\\delta_lW_l + \\delta_lU_l),\\quad
    \\dot\\delta_l = \\sigma''(z_l)\\odot\\dot z_l\\odot g_l + \\sigma'(z_l)\\odot\\dot g_l,\\quad
    (Hu)_{W_l} = s_l(\\dot\\delta_l^Th_{l-1} + \\delta_l^T\\dot h_{l-1}),\\quad
    (Hu)_{b_l} = \\textstyle\\sum_i(\\dot\\delta_l)_i,

with :math:`s_l` the layer's scale (:math:`1/\\sqrt{m_{l-1}}` in NTK parameterization, 1 in
standard).  Every product is a matrix product over the batch; nothing is traced by autograd, so
a product costs only its matrix products (about :math:`12nP` FLOPs, the count of the
reverse-over-reverse product it replaces, ``benchmarks/README.md``) without the autograd engine's
bookkeeping.  :math:`\\sigma'` and :math:`\\sigma''` come from autograd on the elementwise
activation once, at construction, except for ``tanh``: :math:`\\sigma' = 1 - t^2`,
:math:`\\sigma'' = -2t(1 - t^2)` from :math:`t = \\tanh z` (building the float64 product of the
width-64 benchmark network took 4.7 ms with autograd, 2.9 ms so; a solve there takes about 40 ms).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..activations import get_activation
from ..errors import ConfigError
from .mlp import MLP

if TYPE_CHECKING:
    from torch import Tensor

    from ._model import Model

__all__ = ["mlp_loss_hvp", "supports_structured_hvp"]


def supports_structured_hvp(model: Model) -> bool:
    """Whether :func:`mlp_loss_hvp` covers the model: an :class:`MLP` with a linear output."""
    return isinstance(model.spec, MLP) and model.spec.output == "linear"


@dataclass(frozen=True)
class _Layer:
    """One affine layer: what it keeps from the passes at :math:`w_0`, and its work buffers."""

    weight: str
    bias: str | None
    scale: float
    inputs: Tensor  # h_{l-1}, (n, fan_in)
    matrix: Tensor  # W_l, (fan_out, fan_in)
    delta: Tensor  # dL/dz_l, (n, fan_out)
    slope: Tensor | None  # sigma'(z_l); None for the output layer
    curvature: Tensor | None  # sigma''(z_l) * dL/dh_l
    z_dot: Tensor  # buffers of shape (n, fan_out) ...
    delta_dot: Tensor
    h_dot: Tensor | None  # ... (None for the output layer)
    g_dot: Tensor  # (n, fan_in), unused by the input layer


def mlp_loss_hvp(
    model: Model, X: Tensor, targets: Tensor, factor: float
) -> Callable[[Tensor], Tensor]:
    """``u -> H u`` on flat vectors (``model.params`` order) for :math:`\\mathcal L =
    \\tfrac{c}{2}\\sum_i\\|f(x_i) - y_i\\|^2` with ``factor`` :math:`= c`, ``X`` of shape
    ``(n, d)`` and ``targets`` of the shape of the model's outputs on ``X`` (module docstring).

    Every intermediate lives in buffers allocated here once: a product allocates only the vector
    it returns (autograd allocates a fresh half-megabyte temporary per intermediate, which glibc
    serves by ``mmap`` and page faults: ``MALLOC_MMAP_MAX_=0`` halved the autograd product on
    the loaded benchmark machine, ``benchmarks/RESULTS.md``).
    """
    import torch

    spec = model.spec
    if not supports_structured_hvp(model):
        raise ConfigError("the structured Hessian-vector product needs an MLP with a linear output")
    assert isinstance(spec, MLP)
    params = {k: v.detach() for k, v in model.params.items()}
    act = get_activation(spec.activation)
    ntk = spec.parameterization == "ntk"
    h = X.detach()
    hidden: list[tuple[Tensor, Tensor, Tensor]] = []  # (h_{l-1}, sigma'(z_l), sigma''(z_l))
    for l in range(1, spec.depth + 1):
        z = _affine(h, params, f"W{l}", ntk)
        value = act(z).detach()
        if spec.activation == "tanh":  # closed form from the value (module docstring)
            slope = 1 - value * value
            hidden.append((h, slope, -2 * value * slope))
        else:
            hidden.append((h, *_derivatives(act, z)))
        h = value
    out = _affine(h, params, "v", ntk) + spec.output_shift
    top = _buffers(params, "v", ntk, h, factor * (out - targets.reshape(out.shape)), None, None)
    layers = [top]  # built from the output down, then reversed
    for l in range(spec.depth, 0, -1):
        above = layers[-1]
        grad = above.scale * (above.delta @ above.matrix)  # dL/dh_l
        inputs, slope, second = hidden[l - 1]
        layers.append(_buffers(params, f"W{l}", ntk, inputs, slope * grad, slope, second * grad))
    layers.reverse()  # input layer first, output layer last
    sizes = [value.numel() for value in params.values()]
    index = {key: i for i, key in enumerate(params)}

    def views(flat: Tensor) -> tuple[list[Tensor], list[Tensor | None]]:
        """Each layer's weight block (matrix-shaped) and bias block of a flat vector."""
        parts = torch.split(flat, sizes)
        weights = [parts[index[layer.weight]].view(layer.matrix.shape) for layer in layers]
        biases = [None if layer.bias is None else parts[index[layer.bias]] for layer in layers]
        return weights, biases

    def hvp(u: Tensor) -> Tensor:
        result = torch.empty_like(u)
        u_w, u_b = views(u)
        out_w, out_b = views(result)
        below: _Layer | None = None
        for layer, weight, bias in zip(layers, u_w, u_b, strict=True):  # z-dot and h-dot
            z_dot, s = layer.z_dot, layer.scale
            if bias is None:
                torch.addmm(z_dot, layer.inputs, weight.T, beta=0.0, alpha=s, out=z_dot)
            else:
                torch.addmm(bias, layer.inputs, weight.T, alpha=s, out=z_dot)
            if below is not None and below.h_dot is not None:
                z_dot.addmm_(below.h_dot, layer.matrix.T, alpha=s)
            if layer.h_dot is not None and layer.slope is not None:
                torch.mul(layer.slope, z_dot, out=layer.h_dot)
            below = layer
        torch.mul(layers[-1].z_dot, factor, out=layers[-1].delta_dot)
        for i in range(len(layers) - 1, -1, -1):  # backward: delta-dot and the gradient's dot
            layer, s = layers[i], layers[i].scale
            grad_w, grad_b = out_w[i], out_b[i]
            torch.addmm(grad_w, layer.delta_dot.T, layer.inputs, beta=0.0, alpha=s, out=grad_w)
            if grad_b is not None:
                torch.sum(layer.delta_dot, 0, out=grad_b)
            if i == 0:
                break
            lower = layers[i - 1]
            assert lower.h_dot is not None and lower.slope is not None
            assert lower.curvature is not None
            grad_w.addmm_(layer.delta.T, lower.h_dot, alpha=s)
            g_dot = layer.g_dot
            torch.addmm(g_dot, layer.delta_dot, layer.matrix, beta=0.0, alpha=s, out=g_dot)
            g_dot.addmm_(layer.delta, u_w[i], alpha=s)
            torch.mul(lower.curvature, lower.z_dot, out=lower.delta_dot)
            lower.delta_dot.addcmul_(lower.slope, g_dot)
        return result

    return hvp


def _bias_name(weight: str) -> str:
    return "c" if weight == "v" else "b" + weight[1:]


def _scale(weight: Tensor, ntk: bool) -> float:
    return 1 / math.sqrt(weight.shape[1]) if ntk else 1.0


def _affine(h: Tensor, params: dict[str, Tensor], weight: str, ntk: bool) -> Tensor:
    """The layer's pre-activation :math:`s\\,hW^T + b` at :math:`w_0`."""
    z = _scale(params[weight], ntk) * (h @ params[weight].T)
    bias = params.get(_bias_name(weight))
    return z if bias is None else z + bias


def _buffers(
    params: dict[str, Tensor],
    weight: str,
    ntk: bool,
    inputs: Tensor,
    delta: Tensor,
    slope: Tensor | None,
    curvature: Tensor | None,
) -> _Layer:
    """A :class:`_Layer` with its work buffers allocated."""
    import torch

    bias = _bias_name(weight)
    return _Layer(
        weight=weight,
        bias=bias if bias in params else None,
        scale=_scale(params[weight], ntk),
        inputs=inputs,
        matrix=params[weight],
        delta=delta,
        slope=slope,
        curvature=curvature,
        z_dot=torch.empty_like(delta),
        delta_dot=torch.empty_like(delta),
        h_dot=None if slope is None else torch.empty_like(delta),
        g_dot=torch.empty_like(inputs),
    )


def _derivatives(act: Callable[[Tensor], Tensor], z: Tensor) -> tuple[Tensor, Tensor]:
    """:math:`\\sigma'(z)` and :math:`\\sigma''(z)` elementwise, by autograd on the activation."""
    import torch

    with torch.enable_grad():
        x = z.detach().clone().requires_grad_(True)
        (first,) = torch.autograd.grad(act(x).sum(), x, create_graph=True)
        if not first.requires_grad:  # affine activation
            return first.detach(), torch.zeros_like(z)
        (second,) = torch.autograd.grad(first.sum(), x)
    return first.detach(), second.detach()
