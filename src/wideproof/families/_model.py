"""The :class:`Model` every family produces, and the spec base class with validation helpers.

A model is a spec plus a dict of parameter tensors.  ``Model.apply(params, x)`` is a pure function
of its arguments, so it composes with ``torch.func`` and with matrix-free linear algebra on the
flat parameter vector :math:`w\\in\\mathbb R^P` (parameters concatenated in ``params`` order).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._validate import check_memory
from .._validate import seed as check_seed
from ..activations import get_activation
from ..errors import ConfigError, NumericalError

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = ["FamilySpec", "Model", "check_input"]


class FamilySpec:
    """Base class of the frozen spec dataclasses.

    Subclasses implement :meth:`forward` on a batch ``x`` of shape ``(n, input_dim)`` returning
    ``(n, output_dim)`` and :meth:`_draw` drawing the initial parameters on the CPU in float64
    from a seeded generator (so a seed gives the same weights on every device and dtype).
    """

    input_dim: int
    output_dim: int = 1
    output: str = "linear"
    """The output map: ``"linear"`` unless a family (MLP) says otherwise."""

    @property
    def has_linear_output(self) -> bool:
        """The output map is affine (``"linear"`` or an affine activation)."""
        return self.output == "linear" or get_activation(self.output).is_linear

    def forward(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        raise NotImplementedError

    def _draw(self, gen: torch.Generator) -> dict[str, Tensor]:
        raise NotImplementedError

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input: ``(input_dim,)`` unless a family (a module's) says otherwise."""
        return (self.input_dim,)

    def check_batch(self, x: Tensor) -> tuple[Tensor, bool]:
        """``x`` as a batch ``(n, *input_shape)`` and whether it was a single input."""
        return check_input(x, self.input_dim)

    def scalar_output(self, out: Tensor) -> Tensor:
        """The scalar whose Hessian ``of="output"`` means, from the output of one input: the
        output itself; a family with several outputs says which (never guessed)."""
        if self.output_dim != 1:
            raise ConfigError(
                f"the model has output_dim={self.output_dim}; the Hessian needs a scalar output"
            )
        return out.reshape(())

    def param_blocks(self, params: Mapping[str, Tensor]) -> dict[str, tuple[str, ...]]:
        """Named groups of parameter names; one group ``"all"`` unless the family says more."""
        return {"all": tuple(params)}

    def param_count(self) -> int | None:
        """The number of parameters, computed without drawing them (``None`` where a family
        does not say; :meth:`init` then skips its memory check)."""
        return None

    def init(
        self, seed: int = 0, dtype: torch.dtype | None = None, device: str | torch.device = "cpu"
    ) -> Model:
        """Draw the initial parameters with ``seed`` and return the model (``dtype`` float64 by
        default)."""
        import torch

        dtype = torch.float64 if dtype is None else dtype
        check_seed("seed", seed)
        count = self.param_count()
        if count is not None:  # drawn in float64, then converted
            itemsize = torch.empty((), dtype=dtype).element_size()
            check_memory(f"{type(self).__name__} with {count:,} parameters", count * (8 + itemsize))
        gen = torch.Generator(device="cpu").manual_seed(seed)
        params = {k: v.to(dtype=dtype, device=device) for k, v in self._draw(gen).items()}
        return Model(self, params)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description: the family name and every field."""
        fields = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return {"family": type(self).__name__, **fields}

    def digest(self) -> str:
        """A content hash of :meth:`describe` (stable across processes and machines)."""
        blob = json.dumps(self.describe(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, FamilySpec):
        return value.describe()
    if isinstance(value, Model):
        return {"model": value.spec.describe(), "params": value.params_digest()}
    return repr(value)


def check_input(x: Tensor, input_dim: int) -> tuple[Tensor, bool]:
    """Return ``x`` as a batch ``(n, input_dim)`` and whether it was a single input ``(d,)``."""
    import torch

    if not isinstance(x, torch.Tensor):
        raise ConfigError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() == 1:
        if x.shape[0] != input_dim:
            raise ConfigError(
                f"x has {x.shape[0]} features; the model expects input_dim={input_dim}"
            )
        return x.unsqueeze(0), True
    if x.dim() == 2:
        if x.shape[1] != input_dim:
            raise ConfigError(
                f"x has {x.shape[1]} features; the model expects input_dim={input_dim}"
            )
        return x, False
    raise ConfigError(f"x must have shape (d,) or (n, d); got {tuple(x.shape)}")


class Model:
    """A spec with concrete parameters.

    ``apply(params, x)``: ``x`` of shape ``(d,)`` gives a scalar (``(k,)`` for ``k`` outputs);
    ``(n, d)`` gives ``(n,)`` (``(n, k)`` for ``k`` outputs).
    """

    def __init__(self, spec: FamilySpec, params: Mapping[str, Tensor]) -> None:
        self.spec = spec
        self.params: dict[str, Tensor] = dict(params)
        self._shapes = {k: tuple(v.shape) for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Model({self.spec!r}, num_params={self.num_params})"

    # -- evaluation -------------------------------------------------------------------------
    def apply(self, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        """Pure evaluation at ``params`` (a dict with the same names and shapes)."""
        batch, single = self.spec.check_batch(x)
        out = self.spec.forward(params, batch)
        if self.spec.output_dim == 1:
            out = out.reshape(out.shape[0])
        return out[0] if single else out

    def __call__(self, x: Tensor) -> Tensor:
        return self.apply(self.params, x)

    def apply_flat(self, w: Tensor, x: Tensor) -> Tensor:
        """``apply`` at the flat parameter vector ``w``."""
        return self.apply(self.unflatten(w), x)

    # -- parameters -------------------------------------------------------------------------
    @property
    def num_params(self) -> int:
        return sum(math.prod(s) for s in self._shapes.values())

    @property
    def dtype(self) -> torch.dtype:
        return next(iter(self.params.values())).dtype

    @property
    def device(self) -> torch.device:
        return next(iter(self.params.values())).device

    def flat_params(self) -> Tensor:
        """The parameters as one flat vector (a copy), in ``params`` order."""
        return flatten(self.params)

    def unflatten(self, w: Tensor) -> dict[str, Tensor]:
        """Split a flat vector into views shaped like ``params``."""
        if w.dim() != 1 or w.shape[0] != self.num_params:
            raise ConfigError(
                f"flat vector has shape {tuple(w.shape)}; expected ({self.num_params},)"
            )
        out: dict[str, Tensor] = {}
        start = 0
        for name, shape in self._shapes.items():
            size = math.prod(shape)
            out[name] = w[start : start + size].view(shape)
            start += size
        return out

    def with_params(self, params: Mapping[str, Tensor] | Tensor) -> Model:
        """A model of the same spec at other parameters (a dict or a flat vector)."""
        import torch

        if isinstance(params, torch.Tensor):
            params = self.unflatten(params)
        if set(params) != set(self._shapes):
            raise ConfigError(
                f"parameter names {sorted(params)} differ from {sorted(self._shapes)}"
            )
        return Model(self.spec, params)

    def param_blocks(self) -> dict[str, tuple[str, ...]]:
        """Named groups of parameter names (e.g. the blocks between bottlenecks)."""
        return self.spec.param_blocks(self.params)

    def block_slices(self) -> dict[str, list[slice]]:
        """For each block, the slices of the flat vector it occupies."""
        offsets: dict[str, slice] = {}
        start = 0
        for name, shape in self._shapes.items():
            size = math.prod(shape)
            offsets[name] = slice(start, start + size)
            start += size
        return {b: [offsets[n] for n in names] for b, names in self.param_blocks().items()}

    def check_finite(self) -> None:
        """Raise :class:`NumericalError` naming the first parameter holding NaN or Inf."""
        import torch

        for name, value in self.params.items():
            if not bool(torch.isfinite(value).all()):
                raise NumericalError(f"parameter {name!r} contains NaN or Inf")

    def params_digest(self) -> str:
        """A content hash of the parameter values (for keys of derived models)."""
        return tensors_digest(self.params)


def tensors_digest(tensors: Mapping[str, Tensor]) -> str:
    """A content hash of named tensors: names and float64 values, in order."""
    import torch

    h = hashlib.sha256()
    for name, value in tensors.items():
        h.update(name.encode())
        h.update(value.detach().to("cpu", torch.float64).contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def flatten(params: Mapping[str, Tensor]) -> Tensor:
    """Concatenate a parameter dict into one flat vector."""
    import torch

    return torch.cat([v.reshape(-1) for v in params.values()])
