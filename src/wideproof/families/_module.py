"""Any ``torch.nn.Module`` as a :class:`Model`: :func:`from_module` and :func:`module_family`.

The parameters of the model are the module's trainable parameters (``requires_grad=True``), in
``named_parameters()`` order; frozen parameters and buffers (BatchNorm running statistics) stay
constants of the module.  Evaluation is ``torch.func.functional_call(module, params, (x,))``, a
pure function of ``params``, so every measure (Hessians, tangent kernel, directional derivatives)
applies unchanged.  Inputs have any shape: a batch is ``(n, *input_shape)``.

Per-sample quantities (the tangent kernel, per-sample gradients, the output Hessian at one input)
are defined only when a sample's output does not depend on the rest of the batch: a module in
training mode with BatchNorm (batch statistics) or dropout (a random mask) is refused with a
:class:`~wideproof.errors.ConfigError` asking for ``module.eval()``, and every wrapped module is
probed once: two inputs evaluated together must give what each gives alone.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._validate import seed as check_seed
from ..errors import ConfigError
from ._model import FamilySpec, Model, tensors_digest

if TYPE_CHECKING:
    import torch
    from torch import Tensor, nn

__all__ = ["ModuleFamily", "ModuleSpec", "from_module", "module_family"]

OUTPUT_REDUCTIONS = ("sum", "mean")


class ModuleSpec(FamilySpec):
    """The spec of a wrapped module: its architecture, input shape and output selection.

    Built by :func:`from_module` (one module at its weights) or by a :class:`ModuleFamily`
    (``build(knob)``; :meth:`init` then rebuilds the module under a seeded RNG).
    """

    def __init__(
        self,
        module: nn.Module,
        input_shape: tuple[int, ...],
        output: int | str | None,
        *,
        build: Callable[[Any], nn.Module] | None = None,
        knob: Any = None,
        name: str | None = None,
    ) -> None:
        self.module = module
        self._input_shape = input_shape
        self.output_select = output
        self.build = build
        self.knob = knob
        self.name = name
        self.input_dim = math.prod(input_shape)
        self._converted: dict[tuple[torch.dtype, torch.device], nn.Module] = {}
        trainable = _trainable(module)
        self._param_shapes = {k: tuple(v.shape) for k, v in trainable.items()}
        self.output_dim = _probe(module, trainable, input_shape)
        if isinstance(output, int) and not isinstance(output, bool):
            if not 0 <= output < self.output_dim:
                raise ConfigError(
                    f"output={output} is not an index of the module's {self.output_dim} outputs"
                )
        elif output is not None and output not in OUTPUT_REDUCTIONS:
            raise ConfigError(f"output={output!r} must be an output index, 'sum' or 'mean'")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self._input_shape

    def __repr__(self) -> str:
        return (
            f"ModuleSpec({self.describe()['family']}, input_shape={self.input_shape}, "
            f"output_dim={self.output_dim})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModuleSpec) and self.describe() == other.describe()

    def __hash__(self) -> int:
        return hash(self.digest())

    # -- evaluation -------------------------------------------------------------------------
    def check_batch(self, x: Tensor) -> tuple[Tensor, bool]:
        import torch

        if not isinstance(x, torch.Tensor):
            raise ConfigError(f"x must be a torch.Tensor, got {type(x).__name__}")
        shape = self.input_shape
        if tuple(x.shape) == shape:
            return x.unsqueeze(0), True
        if x.dim() == len(shape) + 1 and tuple(x.shape[1:]) == shape and x.shape[0] > 0:
            return x, False
        raise ConfigError(
            f"x has shape {tuple(x.shape)}; the module expects one input of shape {shape} "
            f"or a batch (n, {', '.join(map(str, shape))})"
        )

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        import torch

        first = next(iter(params.values()))
        module = self._module_for(first.dtype, first.device)
        out: Tensor = torch.func.functional_call(module, dict(params), (x,))
        return out.reshape(x.shape[0], self.output_dim)

    def _module_for(self, dtype: torch.dtype, device: torch.device) -> nn.Module:
        """The module, or a copy of it whose constants (buffers, frozen parameters) have the
        parameters' dtype and device (for the float64 copy that certifies a float32 model)."""
        constants = _constants(self.module)
        if all(t.dtype == dtype and t.device == device for t in constants.values()):
            return self.module
        key = (dtype, device)
        if key not in self._converted:
            self._converted[key] = copy.deepcopy(self.module).to(dtype=dtype, device=device)
        return self._converted[key]

    def scalar_output(self, out: Tensor) -> Tensor:
        flat = out.reshape(-1)
        select = self.output_select
        if self.output_dim == 1:
            return flat[0]
        if select is None:
            raise ConfigError(
                f"the module has {self.output_dim} outputs; the output Hessian needs one scalar: "
                "pass output=<index>, 'sum' or 'mean' to from_module (it is never guessed)"
            )
        if isinstance(select, int):
            return flat[select]
        return flat.sum() if select == "sum" else flat.mean()

    # -- parameters and identity ------------------------------------------------------------
    def param_count(self) -> int:
        return sum(math.prod(s) for s in self._param_shapes.values())

    def init(
        self, seed: int = 0, dtype: torch.dtype | None = None, device: str | torch.device = "cpu"
    ) -> Model:
        """Rebuild the module with ``build(knob)`` under ``torch.manual_seed(seed)`` (inside
        ``torch.random.fork_rng``, so the global RNG is untouched and a seed gives the same
        weights in every process), convert it to ``dtype`` (float64 by default), and wrap it."""
        import torch

        check_seed("seed", seed)
        if self.build is None:
            raise ConfigError(
                "a spec from from_module holds one module's weights and draws none; "
                "use module_family(build, input_shape) for seeded draws"
            )
        dtype = torch.float64 if dtype is None else dtype
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = _built(self.build, self.knob)
        module = module.to(dtype=dtype, device=device)
        spec = ModuleSpec(
            module,
            self.input_shape,
            self.output_select,
            build=self.build,
            knob=self.knob,
            name=self.name,
        )
        return Model(spec, _trainable(module))

    def describe(self) -> dict[str, Any]:
        """The module's class and ``repr`` (its layers), the input shape, the output selection
        and the names and shapes of its parameters and constants; for a :func:`module_family`
        spec also ``build``'s qualified name and the knob value (a function's ``repr`` holds a
        memory address, so is not stable across processes), for a :func:`from_module` spec a
        hash of the constants' values (two modules with other running statistics are other
        functions).  :meth:`digest` hashes it."""
        module = self.module
        out: dict[str, Any] = {
            "family": self.name or _qualname(self.build if self.build else type(module)),
            "module": _qualname(type(module)),
            "architecture": repr(module),
            "input_shape": list(self.input_shape),
            "output": self.output_select,
            "params": [[k, list(s)] for k, s in self._param_shapes.items()],
            "constants": [[k, list(v.shape)] for k, v in _constants(module).items()],
        }
        if self.build is not None:
            out["build"] = _qualname(self.build)
            out["knob"] = self.knob if isinstance(self.knob, (int, float, str)) else repr(self.knob)
        else:
            out["constants_digest"] = tensors_digest(_constants(module))
        return out


class ModuleFamily:
    """``knob value -> ModuleSpec`` for a function ``build(knob) -> nn.Module``: usable as
    ``Claim.family`` and in a measure given to :func:`wideproof.testing.assert_scaling`."""

    def __init__(
        self,
        build: Callable[[Any], nn.Module],
        input_shape: tuple[int, ...],
        output: int | str | None,
        name: str | None,
    ) -> None:
        self.build = build
        self.input_shape = input_shape
        self.output = output
        self.name = name

    def __repr__(self) -> str:
        return f"module_family({_qualname(self.build)}, input_shape={self.input_shape})"

    def __call__(self, knob: Any) -> ModuleSpec:
        """The spec at ``knob``: the module is built once (under seed 0, the global RNG
        untouched) to read its parameter shapes and output size."""
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            module = _built(self.build, knob)
        return ModuleSpec(
            module, self.input_shape, self.output, build=self.build, knob=knob, name=self.name
        )


def from_module(
    module: object,
    *,
    input_shape: tuple[int, ...] | None = None,
    output: int | str | None = None,
) -> Model:
    """The :class:`Model` of ``module`` at its current weights.

    Args:
        module: a ``torch.nn.Module`` in eval mode wherever a layer's output for a sample depends
            on the batch or on chance (BatchNorm, dropout).
        input_shape: the shape of one input (without the batch dimension), e.g. ``(3, 32, 32)``;
            read from the first layer when that is ``nn.Linear``, required otherwise.
        output: for a module with several outputs, the scalar whose Hessian ``of="output"``
            means: an output index, ``"sum"`` or ``"mean"`` (never guessed).  Loss measures use
            every output.

    The parameters are the trainable ones; frozen parameters and buffers are constants.
    """
    from torch import nn

    if not isinstance(module, nn.Module):
        raise ConfigError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    shape = _input_shape(module, input_shape)
    return Model(ModuleSpec(module, shape, output), _trainable(module))


def module_family(
    build: Callable[[Any], nn.Module],
    input_shape: tuple[int, ...],
    *,
    output: int | str | None = None,
    name: str | None = None,
) -> ModuleFamily:
    """A family ``knob value -> spec`` from ``build(knob value) -> nn.Module``.

    ``spec.init(seed)`` rebuilds the module under ``torch.manual_seed(seed)`` in a forked RNG
    (deterministic per seed, independent of the global RNG).  ``spec.describe()`` is keyed on
    ``build``'s qualified name, the knob value, the input shape and the module's parameter
    shapes, so it is the same in every process (sweep stores key on it): give ``build`` a
    module-level ``def`` rather than a lambda, or a ``name``.
    """
    if not callable(build):
        raise ConfigError(f"build must be a callable knob -> nn.Module; got {type(build).__name__}")
    return ModuleFamily(build, _shape_tuple(input_shape), output, name)


# -- helpers ----------------------------------------------------------------------------------
def _built(build: Callable[[Any], nn.Module], knob: Any) -> nn.Module:
    from torch import nn

    module = build(knob)
    if not isinstance(module, nn.Module):
        raise ConfigError(
            f"build({knob!r}) returned {type(module).__name__}; a torch.nn.Module is needed"
        )
    return module


def _trainable(module: nn.Module) -> dict[str, Tensor]:
    params = {k: v.detach() for k, v in module.named_parameters() if v.requires_grad}
    if not params:
        raise ConfigError(f"{type(module).__name__} has no trainable parameters")
    return params


def _constants(module: nn.Module) -> dict[str, Tensor]:
    """Frozen parameters and floating-point buffers (integer counters stay as they are)."""
    frozen = {k: v for k, v in module.named_parameters() if not v.requires_grad}
    buffers = {k: v for k, v in module.named_buffers() if v.is_floating_point()}
    return {**frozen, **buffers}


def _qualname(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _shape_tuple(shape: object) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise ConfigError(f"input_shape={shape!r} must be a tuple of positive ints")
    return tuple(shape)


def _input_shape(module: nn.Module, given: tuple[int, ...] | None) -> tuple[int, ...]:
    from torch import nn

    if given is not None:
        return _shape_tuple(given)
    first = next((m for m in module.modules() if list(m.parameters(recurse=False))), None)
    if isinstance(first, nn.Linear):
        return (first.in_features,)
    raise ConfigError(
        f"input_shape is needed: the first layer of {type(module).__name__} is "
        f"{type(first).__name__}, whose input shape cannot be read (e.g. input_shape=(3, 32, 32))"
    )


def _check_eval(module: nn.Module) -> None:
    from torch import nn

    stochastic = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)
    for name, sub in module.named_modules():
        if sub.training and isinstance(sub, stochastic):
            raise ConfigError(
                f"{name or 'the module'} ({type(sub).__name__}) is in training mode, where a "
                "sample's output depends on the batch or on a random mask; call module.eval()"
            )


def _probe(module: nn.Module, params: Mapping[str, Tensor], shape: tuple[int, ...]) -> int:
    """The number of outputs, after checking the mode and that two inputs evaluated together
    give what each gives alone (to ``sqrt(eps)`` relative; batch statistics differ at O(1))."""
    import torch

    _check_eval(module)
    first = next(iter(params.values()))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, *shape, generator=gen, dtype=torch.float64).to(first)
    with torch.no_grad():
        try:
            together = module(x)
            alone = torch.cat([module(x[:1]), module(x[1:])])
        except (RuntimeError, ValueError, TypeError) as err:
            raise ConfigError(
                f"{type(module).__name__} fails on a batch of shape {tuple(x.shape)}: {err}"
            ) from err
    if not isinstance(together, torch.Tensor) or together.dim() == 0 or together.shape[0] != 2:
        raise ConfigError(
            f"{type(module).__name__} must map a batch (n, *input_shape) to outputs (n, ...); "
            f"got {getattr(together, 'shape', type(together).__name__)} for n=2"
        )
    scale = float(together.abs().max()) or 1.0
    tol = math.sqrt(torch.finfo(together.dtype).eps) * scale
    if bool(torch.isfinite(together).all()) and float((together - alone).abs().max()) > tol:
        raise ConfigError(
            f"{type(module).__name__}: a sample's output depends on the rest of the batch "
            "(two inputs together differ from each alone); per-sample quantities are undefined"
        )
    return math.prod(together.shape[1:])
