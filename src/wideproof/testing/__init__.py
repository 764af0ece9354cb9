"""Tools for users' own test suites: hypothesis strategies for the families and
:func:`assert_scaling` (see ``docs/property-tests.md``)."""

from ._scaling import assert_scaling as assert_scaling
from ._strategies import SMOOTH_ACTIVATIONS as SMOOTH_ACTIVATIONS
from ._strategies import assemblies as assemblies
from ._strategies import bottleneck_nets as bottleneck_nets
from ._strategies import dag_nets as dag_nets
from ._strategies import mlps as mlps
