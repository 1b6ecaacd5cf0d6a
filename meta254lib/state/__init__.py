"""One analysis state per workspace and as-of, above the analyses: the facts every view shares.

See :mod:`.analysis`.
"""

from .analysis import AnalysisState, Backlog, analysis_state

__all__ = ["AnalysisState", "Backlog", "analysis_state"]
