"""One analysis state per workspace and as-of, above the analyses: the facts every view shares.

See :mod:`.analysis`.
"""

from .analysis import AnalysisState, Backlog, analysis_state
from .diff import diff_states, diff_summary

__all__ = ["AnalysisState", "Backlog", "analysis_state", "diff_states", "diff_summary"]
