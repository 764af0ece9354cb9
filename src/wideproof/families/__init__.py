"""Model families of the papers: frozen, validated specs whose ``init(seed)`` gives a :class:`Model`."""

from ._model import FamilySpec as FamilySpec
from ._model import Model as Model
from .assembly import Assembly as Assembly
from .bottleneck import LinearBottleneck as LinearBottleneck
from .dag import DAG as DAG
from .dag import DAGNet as DAGNet
from .mlp import MLP as MLP
from .quadratic import QuadraticModel as QuadraticModel
from .quadratic import UVModel as UVModel
