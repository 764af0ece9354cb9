"""Claims: a paper's statement bound to a family, a measure, a knob, a bound and a verdict rule.

Public API: :class:`Claim`, :class:`Profile`, :class:`Verdict`, :class:`ExponentRule`,
:class:`ThresholdRule`, the :class:`Rule` protocol, :func:`profile_label` (the label a verdict is
stored under), and the registry :func:`get`, :func:`all`
(every claim, sorted by id) and :func:`register`.  One module per paper (``liu2020``, ...), each
defining ``CLAIMS``; see ``docs/writing-claims.md``.
"""

__all__ = [
    "STATUSES",
    "BoundLike",
    "Claim",
    "ExponentRule",
    "Profile",
    "Rule",
    "Status",
    "ThresholdRule",
    "Verdict",
    "all",
    "get",
    "profile_label",
    "register",
]

from ._claim import BoundLike as BoundLike
from ._claim import Claim as Claim
from ._claim import Profile as Profile
from ._claim import profile_label as profile_label
from ._registry import all_claims as all
from ._registry import get as get
from ._registry import register as register
from ._rules import ExponentRule as ExponentRule
from ._rules import Rule as Rule
from ._rules import ThresholdRule as ThresholdRule
from ._verdict import STATUSES as STATUSES
from ._verdict import Status as Status
from ._verdict import Verdict as Verdict
