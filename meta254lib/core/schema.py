"""Column names and dtypes of every table meta254lib produces, in one place.

Each table is a :class:`TableSchema`: an ordered mapping of column name to pandas dtype plus a
one-line description per column. Loaders build frames with :func:`frame_from_records`, which
returns exactly these columns in this order and with these dtypes; analyses check their inputs
with :func:`require_columns`.

Column-name constants (``SERVICE``, ``TEAM``, ...) are the only spelling of a column name that
code outside this module should use.

Dtype conventions
-----------------
``str``         pandas string dtype (missing = NaN)
``Int64``       nullable integer
``Float64``/``float64``  floats (missing = NaN)
``boolean``     nullable boolean
``bool``        non-null boolean
``datetime64[us, UTC]``  timezone-aware UTC timestamps
``object``      Python tuples (lists of strings, version intervals); never mutable lists

Examples
--------
>>> SERVICES.columns[:3]
('service', 'repo', 'path')
>>> frame_from_records(EVENTS, [{"service": "a", "event": "x.y.z.v1", "direction": "in"}]).dtypes["registered"]
BooleanDtype
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .columns import (
    DIRECTION,
    DOMAIN,
    EVENT,
    FIELD,
    FILE,
    GRADE,
    KIND,
    MAJOR,
    MATURITY,
    MESSAGE,
    MINOR,
    PATCH,
    RUNTIME,
    SCORE,
    SERVICE,
    SEVERITY,
    SPEC,
    STATUS,
    TARGET,
    TEAM,
    UTC_TS,
    VERSION,
)
from .errors import SchemaError
from .schema_inputs import (
    ADVISORIES,
    CONTRACTS,
    DEPENDENCIES,
    DRIFT_HISTORY,
    EVENTS,
    EXEMPTIONS,
    INPUTS,
    LOCKFILES,
    MANIFESTS,
    QUALITY_HISTORY,
    SERVICES,
    SPEC_VERSIONS,
    TEAMS,
    WARNINGS,
)
from .schema_outputs import (
    BLAST_RADIUS,
    DRIFT_ISSUES,
    DRIFT_WEEKLY,
    FIX_FIRST,
    FLEET_IMPACT,
    GRADE_TRANSITIONS,
    GROUP_TRENDS,
    IMPACT_CHANGES,
    IMPACTED,
    LAG_CORRELATION,
    MODEL_COMPARISON,
    PLAN_BURNDOWN,
    PLAN_CALENDAR,
    PLAN_COMMUNICATIONS,
    PLAN_ITEMS,
    PLAN_PROGRESS,
    PLAN_WAVES,
    QUALITY_ATTRIBUTION,
    QUALITY_PLATFORM,
    QUALITY_REGRESSIONS,
    QUALITY_SCORES,
    QUALITY_TRENDS,
    QUALITY_WEEKLY,
    QUALITY_WHATIF,
    STRUCTURE_FINDINGS,
    THRESHOLD_CROSSINGS,
)
from .tableschema import TableSchema, empty_frame, frame_from_records

__all__ = [
    "ADVISORIES",
    "BLAST_RADIUS",
    "CONTRACTS",
    "DEPENDENCIES",
    "DIRECTION",
    "DOMAIN",
    "DRIFT_HISTORY",
    "DRIFT_ISSUES",
    "DRIFT_WEEKLY",
    "EVENT",
    "EVENTS",
    "EXEMPTIONS",
    "FIELD",
    "FILE",
    "FIX_FIRST",
    "FLEET_IMPACT",
    "GRADE",
    "GRADE_TRANSITIONS",
    "GROUP_TRENDS",
    "IMPACTED",
    "IMPACT_CHANGES",
    "INPUTS",
    "KIND",
    "LAG_CORRELATION",
    "LOCKFILES",
    "MAJOR",
    "MANIFESTS",
    "MATURITY",
    "MESSAGE",
    "MINOR",
    "MODEL_COMPARISON",
    "PATCH",
    "PLAN_BURNDOWN",
    "PLAN_CALENDAR",
    "PLAN_COMMUNICATIONS",
    "PLAN_ITEMS",
    "PLAN_PROGRESS",
    "PLAN_WAVES",
    "QUALITY_ATTRIBUTION",
    "QUALITY_HISTORY",
    "QUALITY_PLATFORM",
    "QUALITY_REGRESSIONS",
    "QUALITY_SCORES",
    "QUALITY_TRENDS",
    "QUALITY_WEEKLY",
    "QUALITY_WHATIF",
    "RUNTIME",
    "SCORE",
    "SERVICE",
    "SERVICES",
    "SEVERITY",
    "SPEC",
    "SPEC_VERSIONS",
    "STATUS",
    "STRUCTURE_FINDINGS",
    "TABLES",
    "TARGET",
    "TEAM",
    "TEAMS",
    "THRESHOLD_CROSSINGS",
    "UTC_TS",
    "VERSION",
    "WARNINGS",
    "TableSchema",
    "empty_frame",
    "frame_from_records",
    "require_columns",
    "schema_markdown",
]

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        SERVICES,
        CONTRACTS,
        DEPENDENCIES,
        EVENTS,
        MANIFESTS,
        LOCKFILES,
        SPEC_VERSIONS,
        ADVISORIES,
        DRIFT_HISTORY,
        DRIFT_ISSUES,
        QUALITY_HISTORY,
        EXEMPTIONS,
        TEAMS,
        INPUTS,
        WARNINGS,
        QUALITY_SCORES,
        MODEL_COMPARISON,
        QUALITY_WHATIF,
        QUALITY_WEEKLY,
        QUALITY_PLATFORM,
        QUALITY_TRENDS,
        QUALITY_REGRESSIONS,
        QUALITY_ATTRIBUTION,
        FIX_FIRST,
        GRADE_TRANSITIONS,
        THRESHOLD_CROSSINGS,
        GROUP_TRENDS,
        DRIFT_WEEKLY,
        LAG_CORRELATION,
        PLAN_ITEMS,
        PLAN_WAVES,
        PLAN_CALENDAR,
        PLAN_BURNDOWN,
        PLAN_COMMUNICATIONS,
        PLAN_PROGRESS,
        IMPACTED,
        IMPACT_CHANGES,
        STRUCTURE_FINDINGS,
        BLAST_RADIUS,
        FLEET_IMPACT,
    )
}


def require_columns(df: pd.DataFrame, schema: TableSchema | str, columns: Iterable[str] | None = None) -> None:
    """Raise :class:`SchemaError` unless ``df`` has the schema's columns (or the given subset).

    Examples
    --------
    >>> require_columns(pd.DataFrame({"file": []}), WARNINGS, ["file"])
    >>> require_columns(pd.DataFrame({"file": []}), WARNINGS)
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.SchemaError: table 'warnings' is missing column(s): field, message
    """
    if isinstance(schema, str):
        schema = TABLES[schema]
    wanted = list(columns) if columns is not None else list(schema.columns)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise SchemaError(schema.name, missing)


def schema_markdown() -> str:
    """All table schemas as Markdown, for the README and the reports.

    Examples
    --------
    >>> "### services" in schema_markdown()
    True
    """
    parts = []
    for t in TABLES.values():
        parts.append(f"### {t.name}\n\n{t.doc}\n\n| column | dtype | meaning |\n|---|---|---|")
        parts.extend(f"| `{c}` | `{d}` | {desc} |" for c, d, desc in t.spec)
        parts.append("")
    return "\n".join(parts)
