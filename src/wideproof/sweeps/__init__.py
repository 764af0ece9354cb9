"""Sweeps: grids of knob values x seeds, run on any executor, stored resumably, fitted honestly.

Public API: :class:`Grid`, :class:`Task`, :class:`Point`, :func:`compute`, :func:`run_sweep`,
:class:`SweepResult`, :func:`open_executor`, :func:`check_executor`, :class:`ResultStore`,
:data:`DEFAULT_STORE`, :func:`check_store`, :func:`repair_store`, :class:`Damage`,
:data:`MAX_POINTS`, :func:`fit_exponent`, :class:`ExponentFit`.
"""

from ._execute import ExecutorLike as ExecutorLike
from ._execute import Progress as Progress
from ._execute import SweepResult as SweepResult
from ._execute import available_cores as available_cores
from ._execute import check_executor as check_executor
from ._execute import open_executor as open_executor
from ._execute import run_sweep as run_sweep
from ._fit import ExponentFit as ExponentFit
from ._fit import FitMethod as FitMethod
from ._fit import fit_exponent as fit_exponent
from ._grid import MAX_POINTS as MAX_POINTS
from ._grid import Grid as Grid
from ._store import DEFAULT_STORE as DEFAULT_STORE
from ._store import Damage as Damage
from ._store import ResultStore as ResultStore
from ._store import StoredVerdict as StoredVerdict
from ._store import check_store as check_store
from ._store import repair_store as repair_store
from ._task import Measure as Measure
from ._task import Observation as Observation
from ._task import Point as Point
from ._task import Task as Task
from ._task import compute as compute
from ._task import measure_name as measure_name
