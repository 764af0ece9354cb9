"""Claims: a paper's statement bound to a family, a measure, a knob, a bound and a verdict rule.

Public API: :class:`Claim`, :class:`Profile`, :class:`Verdict`, the rule kit (:class:`ExponentRule`
-- an equivalence test in the theorem's logical form --, :class:`ThresholdRule`,
:class:`GrowthFactorRule`, :class:`BoundConstantRule`, :class:`ChecklistRule` (every check in
every run), :class:`SuccessRateRule` (each check's success probability against a declared rate)
and the conjunction :class:`AllOf` -- a band ``lo <= aggregate <= hi`` is ``AllOf`` of two ``ThresholdRule``), the
:class:`Rule` protocol, :func:`profile_label` (the label a verdict is stored under), and the
registry :func:`get`, :func:`all` (every claim, sorted by id), :func:`register` and
:func:`load_file` (the claims of your own Python file, ids ``user.*``).  One module per
paper (``liu2020``, ...), each defining ``CLAIMS``; see ``docs/writing-claims.md``.
"""

__all__ = [
    "STATUSES",
    "AllOf",
    "BoundConstantRule",
    "BoundLike",
    "ChecklistRule",
    "Claim",
    "ExponentRule",
    "GrowthFactorRule",
    "Profile",
    "Rule",
    "Status",
    "SuccessRateRule",
    "ThresholdRule",
    "Verdict",
    "all",
    "get",
    "load_file",
    "profile_label",
    "register",
]

from ._checklist import ChecklistRule as ChecklistRule
from ._checklist import SuccessRateRule as SuccessRateRule
from ._claim import BoundLike as BoundLike
from ._claim import Claim as Claim
from ._claim import Profile as Profile
from ._claim import profile_label as profile_label
from ._extra_rules import AllOf as AllOf
from ._extra_rules import BoundConstantRule as BoundConstantRule
from ._extra_rules import GrowthFactorRule as GrowthFactorRule
from ._registry import all_claims as all
from ._registry import get as get
from ._registry import load_file as load_file
from ._registry import register as register
from ._rules import ExponentRule as ExponentRule
from ._rules import Rule as Rule
from ._rules import ThresholdRule as ThresholdRule
from ._verdict import STATUSES as STATUSES
from ._verdict import Status as Status
from ._verdict import Verdict as Verdict
