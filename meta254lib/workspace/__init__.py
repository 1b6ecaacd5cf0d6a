"""The workspace layer: find, read and parse a workspace's files into tidy tables and the service graph.

:func:`open_workspace` returns a :class:`Workspace`; the loaders (``parse_*``) turn decoded documents
into records, the warm-load cache stores what they produced, and :func:`validate_workspace` checks
a workspace against the manifest schema.
"""

from .artifacts import parse_advisory, parse_lockfile, parse_manifest, parse_spec_registry
from .cache import WorkspaceCache
from .cached_units import cache_wanted
from .catalog import parse_catalog, parse_events_registry, parse_exemptions, parse_teams
from .catalog_tables import services_tables
from .coerce import parse_timestamp, timestamp_from_filename
from .heads import HistoryHeads
from .history_files import parse_drift_report, parse_repr_issue
from .history_snapshots import parse_quality_snapshot
from .scope_inventory import (
    count_services,
    inputs_absent,
    inputs_per_kind,
    inputs_read,
    scoped_services,
    service_rows,
    team_services,
)
from .validate import validate_workspace
from .workspace import Workspace, open_workspace
from .yamlio import YamlFloat, loads_json, loads_yaml

__all__ = [
    "HistoryHeads",
    "Workspace",
    "WorkspaceCache",
    "YamlFloat",
    "cache_wanted",
    "count_services",
    "inputs_absent",
    "inputs_per_kind",
    "inputs_read",
    "loads_json",
    "loads_yaml",
    "open_workspace",
    "parse_advisory",
    "parse_catalog",
    "parse_drift_report",
    "parse_events_registry",
    "parse_exemptions",
    "parse_lockfile",
    "parse_manifest",
    "parse_quality_snapshot",
    "parse_repr_issue",
    "parse_spec_registry",
    "parse_teams",
    "parse_timestamp",
    "scoped_services",
    "service_rows",
    "services_tables",
    "team_services",
    "timestamp_from_filename",
    "validate_workspace",
]
