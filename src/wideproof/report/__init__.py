"""Reports: verdict tables (LaTeX booktabs, Markdown, CSV, JSON) and log-log plots.

Public API: :class:`VerdictTable`, :class:`Row`, :func:`table_from_store`, :func:`plot_verdict`.
"""

from ._plot import PLOT_SUFFIXES as PLOT_SUFFIXES
from ._plot import plot_verdict as plot_verdict
from ._points import render_points as render_points
from ._table import DIGITS as DIGITS
from ._table import FORMATS as FORMATS
from ._table import Row as Row
from ._table import TableFormat as TableFormat
from ._table import VerdictTable as VerdictTable
from ._table import number as number
from ._table import table_from_store as table_from_store
from ._trajectory_plot import plot_points as plot_points
