"""meta254: analytics workbench."""

from ._version import __version__
from .display import html_escape, md_escape, show_figure, show_headline, show_markdown, show_table
from .errors import InputError, Meta254Error, ParameterError, SchemaError, UnknownServiceError
from .graph import build_graph, relation_view
from .impact import (
    ImpactWeights,
    SeverityRule,
    analyse_impact,
    domain_matrix_figure,
    impact_figure,
    impact_headline,
    impact_summary_table,
    impacted_table,
    parse_changes,
    rollout_plan,
    workspace_impact,
)
from .reach import bench_blast_radius, blast_radius_all
from .schema import TABLES, schema_markdown
from .structure import domain_matrix, structure_checks
from .workspace import Workspace, open_workspace

__all__ = [
    "TABLES",
    "ImpactWeights",
    "InputError",
    "Meta254Error",
    "ParameterError",
    "SchemaError",
    "SeverityRule",
    "UnknownServiceError",
    "Workspace",
    "__version__",
    "analyse_impact",
    "bench_blast_radius",
    "blast_radius_all",
    "build_graph",
    "domain_matrix",
    "domain_matrix_figure",
    "html_escape",
    "impact_figure",
    "impact_headline",
    "impact_summary_table",
    "impacted_table",
    "md_escape",
    "open_workspace",
    "parse_changes",
    "relation_view",
    "rollout_plan",
    "schema_markdown",
    "show_figure",
    "show_headline",
    "show_markdown",
    "show_table",
    "structure_checks",
    "workspace_impact",
]
