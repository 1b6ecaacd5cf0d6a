"""Quality: the two scoring models, their comparison, and weekly quality trends from real history."""

from .attribution import attribute_changes
from .correlation import correlation_strength, lag_correlation
from .drift_trends import drift_mttr, drift_weekly
from .labels import grade_of, status_of
from .models import compare_models, model_formula, what_if
from .overview import quality_overview
from .params import COMPONENTS, MODELS, ScoringParams, Weights
from .scores import implemented_score, latest_scores, score_history, score_metrics
from .summary import summary_sentences
from .trends import DIRECTION_RULE, TrendParams, TrendReport, quality_trends, workspace_trends
from .window import quality_as_of, week_ends

__all__ = [
    "COMPONENTS",
    "DIRECTION_RULE",
    "MODELS",
    "ScoringParams",
    "TrendParams",
    "TrendReport",
    "Weights",
    "attribute_changes",
    "compare_models",
    "correlation_strength",
    "drift_mttr",
    "drift_weekly",
    "grade_of",
    "implemented_score",
    "lag_correlation",
    "latest_scores",
    "model_formula",
    "quality_as_of",
    "quality_overview",
    "quality_trends",
    "score_history",
    "score_metrics",
    "status_of",
    "summary_sentences",
    "week_ends",
    "what_if",
    "workspace_trends",
]
