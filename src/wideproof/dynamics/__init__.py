"""Training dynamics: full-batch GD and mini-batch SGD over any model, probes along the path
(loss, gradient norm, tangent-kernel spectrum, top-eigenspace projected losses, distance from
initialization, AGOP alignment), learning-rate schedules, thresholds converted between loss
conventions, and catapult detection.

Papers: Lewkowycz et al. 2020 (catapult phase, uv model); Zhu, Liu, Radhakrishnan, Belkin 2024
(quadratic models) and 2024 (catapults in SGD); Liu, Zhu, Belkin 2022 (PL*); Banerjee et al. 2023
(RSC).  Formulas and conventions: ``docs/api/dynamics.md``.
"""

from ._catapult import CatapultEpisode as CatapultEpisode
from ._catapult import Phase as Phase
from ._catapult import classify_phase as classify_phase
from ._catapult import detect_catapults as detect_catapults
from ._probes import ProbeRecord as ProbeRecord
from ._probes import Probes as Probes
from ._schedules import Constant as Constant
from ._schedules import Piecewise as Piecewise
from ._schedules import Schedule as Schedule
from ._schedules import ScheduleContext as ScheduleContext
from ._schedules import SupercriticalRamp as SupercriticalRamp
from ._thresholds import convention_factor as convention_factor
from ._thresholds import eta_crit as eta_crit
from ._thresholds import eta_max as eta_max
from ._thresholds import sharpness_product as sharpness_product
from ._train import OnDivergence as OnDivergence
from ._train import gd as gd
from ._train import sgd as sgd
from ._trajectory import Status as Status
from ._trajectory import Trajectory as Trajectory
