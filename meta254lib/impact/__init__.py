"""Change impact: what a change set reaches and why (analysis), its weight, rollout advice, the impacted
subgraph (subgraph) and the fleet view."""

from .analysis import IMPACTED_COLUMNS, ImpactResult, analyse_impact
from .changes import CHANGE_KINDS, CONTRACT_HOPS, ORIGIN_HOP, Change, parse_change, parse_changes
from .fleet import FleetImpact, fleet_impact
from .from_workspace import widest_change, workspace_impact
from .inputs import drift_as_of, drift_counts, latest_quality, quality_as_of
from .rollout import RolloutPlan, deploy_waves, rollout_plan
from .subgraph import SUBGRAPH_EDGES, impact_subgraph
from .summary import blast_radius_table
from .walk import Walk, WhyPaths, resolve_change, walk_dependents
from .weights import ImpactWeights, SeverityRule, Weigher

__all__ = [
    "CHANGE_KINDS",
    "CONTRACT_HOPS",
    "IMPACTED_COLUMNS",
    "ORIGIN_HOP",
    "SUBGRAPH_EDGES",
    "Change",
    "FleetImpact",
    "ImpactResult",
    "ImpactWeights",
    "RolloutPlan",
    "SeverityRule",
    "Walk",
    "Weigher",
    "WhyPaths",
    "analyse_impact",
    "blast_radius_table",
    "deploy_waves",
    "drift_as_of",
    "drift_counts",
    "fleet_impact",
    "impact_subgraph",
    "latest_quality",
    "parse_change",
    "parse_changes",
    "quality_as_of",
    "resolve_change",
    "rollout_plan",
    "walk_dependents",
    "widest_change",
    "workspace_impact",
]
