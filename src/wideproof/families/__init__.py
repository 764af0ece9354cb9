"""Model families of the papers: frozen, validated specs whose ``init(seed)`` gives a :class:`Model`.

Specs are pure data: the modules here import torch inside the methods that draw or evaluate, so
declaring a spec, validating it and hashing its ``describe()`` -- all that a claim whose points
are already stored needs -- never loads torch.
"""

from ._model import FamilySpec as FamilySpec
from ._model import Model as Model
from ._module import ModuleFamily as ModuleFamily
from ._module import ModuleSpec as ModuleSpec
from ._module import from_module as from_module
from ._module import module_family as module_family
from .assembly import Assembly as Assembly
from .bottleneck import LinearBottleneck as LinearBottleneck
from .dag import DAG as DAG
from .dag import DAGNet as DAGNet
from .mlp import MLP as MLP
from .quadratic import QuadraticModel as QuadraticModel
from .quadratic import UVModel as UVModel
