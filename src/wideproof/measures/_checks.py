"""Checks shared by the measures: the model argument and the hypotheses a bound needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..activations import get_activation
from ..errors import AssumptionError, ConfigError
from ..families import Model, ModuleSpec, from_module

if TYPE_CHECKING:
    from typing import TypeAlias

    from torch import Tensor, nn

    ModelLike: TypeAlias = Model | nn.Module
else:
    ModelLike = object

__all__ = ["ModelLike", "ball_setup", "checked_model", "require_c2"]


def checked_model(model: object, inputs: object = None) -> Model:
    """The model, after checking its type and that its weights are finite.

    A ``torch.nn.Module`` becomes :func:`~wideproof.families.from_module` of it.  Modules are
    called on batches, so its input shape is read from ``inputs``: ``inputs.shape[1:]`` of a
    batch tensor, or of the first inputs of an iterable of ``(inputs, targets)`` batches (one
    input for an output Hessian is then a batch of one).
    """
    from torch import nn

    if isinstance(model, nn.Module):
        model = from_module(model, input_shape=_sample_shape(model, inputs))
    if not isinstance(model, Model):
        raise ConfigError(
            "model must be a wideproof Model (spec.init(seed)) or a torch.nn.Module; "
            f"got {type(model).__name__}"
        )
    model.check_finite()
    return model


def _sample_shape(module: object, inputs: object) -> tuple[int, ...]:
    import torch

    if not isinstance(inputs, torch.Tensor):
        inputs = _first_inputs(inputs)
    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 2:
        raise ConfigError(
            f"a {type(module).__name__} passed directly takes batches (n, *input_shape); got "
            f"inputs {getattr(inputs, 'shape', type(inputs).__name__)} (wrap it with "
            "wideproof.families.from_module(module, input_shape=...) to pass one input)"
        )
    return tuple(inputs.shape[1:])


def _first_inputs(data: object) -> object:
    from collections.abc import Iterable

    if not isinstance(data, Iterable):
        return data
    for batch in data:
        return batch[0] if isinstance(batch, (tuple, list)) and batch else batch
    return None


def _not_c2() -> tuple[type, ...]:
    """The layers of ``torch.nn`` whose second derivative jumps (kinks, ELU-type joins, max)."""
    from torch import nn

    return (
        nn.ReLU,
        nn.ReLU6,
        nn.LeakyReLU,
        nn.PReLU,
        nn.RReLU,
        nn.ELU,
        nn.CELU,
        nn.SELU,
        nn.Hardtanh,
        nn.Hardswish,
        nn.Hardsigmoid,
        nn.Hardshrink,
        nn.Softshrink,
        nn.Threshold,
        nn.MaxPool1d,
        nn.MaxPool2d,
        nn.MaxPool3d,
        nn.AdaptiveMaxPool1d,
        nn.AdaptiveMaxPool2d,
        nn.AdaptiveMaxPool3d,
    )


def require_c2(model: Model, quantity: str, reason: str) -> None:
    """Raise :class:`AssumptionError` when an activation of ``model`` is not C^2.

    Reads the spec's ``activation`` and (non-linear) ``output`` fields; families without them
    (linear and quadratic models) are smooth in their weights.  For a wrapped ``nn.Module`` the
    layers are scanned for the non-C^2 ones of ``torch.nn`` (ReLU and its kin, max pooling);
    a kink written as a function call inside ``forward`` is not visible to this check.
    """
    spec = model.spec
    if isinstance(spec, ModuleSpec):
        for name, sub in spec.module.named_modules():
            if isinstance(sub, _not_c2()):
                raise AssumptionError(
                    f"{quantity}: layer {name!r} ({type(sub).__name__}) is not C^2; {reason}"
                )
        return
    names = [getattr(spec, "activation", None), getattr(spec, "output", "linear")]
    for name in names:
        if isinstance(name, str) and name != "linear" and not get_activation(name).is_c2:
            raise AssumptionError(f"{quantity}: activation {name!r} is not C^2; {reason}")


def ball_setup(
    model: object, x: object, radius: float, n_points: int, seed: int
) -> tuple[Model, Tensor, Tensor, Tensor]:
    """The checked model, one input ``x`` of shape ``(d,)``, the flat weights :math:`w_0` and
    ``n_points`` random points of the sphere :math:`\\|\\delta\\| = R` (normal directions from
    ``torch.Generator().manual_seed(seed)``, drawn in float64) -- the start of a search of the
    ball :math:`B(w_0, R)`."""
    import torch

    from .._validate import positive_float, real_tensor
    from .._validate import seed as check_seed

    model = checked_model(model, x)
    positive_float("radius", radius)
    check_seed("seed", seed)
    x = real_tensor("x", x, model.dtype).to(model.device)
    batch, _ = model.spec.check_batch(x)
    if batch.shape[0] != 1:
        raise ConfigError(
            f"x must be one input of shape {model.spec.input_shape}; got {tuple(x.shape)}"
        )
    x = batch[0]
    w0 = model.flat_params().detach()
    gen = torch.Generator().manual_seed(seed)
    dirs = torch.randn(n_points, w0.numel(), generator=gen, dtype=torch.float64).to(w0)
    return model, x, w0, radius * dirs / dirs.norm(dim=1, keepdim=True)
