"""One analysis state per workspace and as-of, above the analyses: the facts every view shares.

See :mod:`.analysis`; :mod:`.weekly` (the change against last week) and :mod:`.fix_first` (the ranked
fix-first rows) are built on it.
"""

from .analysis import AnalysisState, Backlog, analysis_state
from .diff import diff_states, diff_summary
from .fix_first import FIX_FIRST_COLUMNS, fix_first
from .weekly import WeeklyChange, weekly_change

__all__ = [
    "FIX_FIRST_COLUMNS",
    "AnalysisState",
    "Backlog",
    "WeeklyChange",
    "analysis_state",
    "diff_states",
    "diff_summary",
    "fix_first",
    "weekly_change",
]
