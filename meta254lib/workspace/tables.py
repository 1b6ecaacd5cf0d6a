"""The workspace's config-derived values and optional tables, each read from its files.

Every function reads through a :class:`~meta254lib.workspace.files.WorkspaceFiles` (which keeps the
warnings, file records and row counts) and parses with the loaders (:mod:`meta254lib.workspace.catalog`,
:mod:`meta254lib.workspace.artifacts`). :class:`~meta254lib.workspace.workspace.Workspace` caches each result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from ..core.settings import DEFAULT_ESCALATION, DEFAULT_EXTERNAL_ALIASES
from .artifacts import parse_advisory, parse_lockfile, parse_manifest, parse_spec_registry
from .catalog import parse_events_registry, parse_teams, team_from_repo
from .coerce import to_str
from .files import WorkspaceFiles

__all__ = [
    "advisories_table",
    "aliases_of",
    "domain_layers_of",
    "escalation_of",
    "lockfile_table",
    "manifests_table",
    "read_events_registry",
    "read_teams",
    "spec_versions_table",
    "teams_table",
]

#: The manifest fields compared with the catalog entry of the same service.
_MANIFEST_FIELDS = (
    "repo",
    "domain",
    "version",
    "maturity",
    "runtime",
    "api_contracts",
    "dependencies",
    "events_in",
    "events_out",
)


def _dependency_rules(rules: Mapping[str, Any]) -> Mapping[str, Any]:
    """rules.yaml ``dependency`` (``{}`` when absent or not a mapping)."""
    return rules.get("dependency") if isinstance(rules.get("dependency"), dict) else {}


def aliases_of(rules: Mapping[str, Any], io: WorkspaceFiles) -> dict[str, str]:
    """External dependency aliases: the defaults, extended by rules.yaml ``dependency.aliases``.

    A built-in alias that rules.yaml does not configure is kept (``postgres`` is PostgreSQL everywhere in
    the catalog), and reported wherever it renamed a dependency
    (:func:`~meta254lib.graph.rules.builtin_alias_uses`: the ``graph`` command and the structure summary).
    """
    out = dict(DEFAULT_EXTERNAL_ALIASES)
    extra = _dependency_rules(rules).get("aliases")
    if isinstance(extra, dict):
        out.update({str(k).lower(): str(v) for k, v in extra.items() if isinstance(v, str)})
    elif extra is not None:
        io.warn("config/rules.yaml", "dependency.aliases", "expected a mapping alias: canonical; ignored")
    return out


def domain_layers_of(rules: Mapping[str, Any]) -> dict[str, int]:
    """rules.yaml ``dependency.domain_layers`` (``{}`` when absent).

    Examples
    --------
    >>> domain_layers_of({"dependency": {"domain_layers": {"core": 0, "edge": "x"}}})
    {'core': 0}
    """
    layers = _dependency_rules(rules).get("domain_layers")
    if not isinstance(layers, dict):
        return {}
    return {str(k): int(v) for k, v in layers.items() if isinstance(v, int) and not isinstance(v, bool)}


def read_events_registry(io: WorkspaceFiles) -> frozenset[str] | None:
    """Registered event ids, or ``None`` when there is no (usable) registry file."""
    paths = io.find("events_registry")
    if not paths:
        return None
    doc = io.load(paths[0], "events_registry")
    rel = io.rel(paths[0])
    if doc is None and io.files[rel]["note"]:
        return None
    try:
        reg = parse_events_registry(doc, rel, io.warnings)
    except InputError as err:
        io.warn(rel, err.field, str(err))
        return None
    io.rows[rel] = len(reg)
    return reg


def read_teams(io: WorkspaceFiles) -> tuple[list[dict], dict[str, dict[str, str]], bool]:
    """``(ownership rows, escalation overrides, present)`` of ``config/teams.yaml``."""
    paths = io.find("teams")
    if not paths:
        return [], {}, False
    doc = io.load(paths[0], "teams")
    rel = io.rel(paths[0])
    try:
        rows, esc = parse_teams(doc, rel, io.warnings)
    except InputError as err:
        io.warn(rel, err.field, str(err))
        return [], {}, False
    io.rows[rel] = len(rows)
    return rows, esc, True


def escalation_of(overrides: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Escalation levels L1–L3 (name, contact, handles): runbook defaults, then teams.yaml ``overrides``."""
    out = {k: dict(v) for k, v in DEFAULT_ESCALATION.items()}
    for level, body in overrides.items():
        out.setdefault(level, {"name": level, "contact": "", "handles": ""}).update(body)
    return out


def teams_table(io: WorkspaceFiles, rows: list[dict], entries: list[dict]) -> pd.DataFrame:
    """Ownership rows: teams.yaml ``rows`` first, then teams derived from repo names for the rest."""
    owned = {r[S.SERVICE] for r in rows}
    catalog_names = {e["name"] for e in entries}
    for r in rows:
        if r[S.SERVICE] not in catalog_names:
            io.warn("config/teams.yaml", f"teams.{r[S.TEAM]}.services", f"{r[S.SERVICE]!r} is not a catalog service")
    derived = []
    for e in entries:
        if e["name"] not in owned:
            repo = e.get("repo") if isinstance(e.get("repo"), str) else None
            derived.append(
                {S.TEAM: team_from_repo(repo), S.SERVICE: e["name"], "contact": "", "slack": "", "source": "repo"}
            )
    return S.frame_from_records(S.TEAMS, rows + derived)


def manifests_table(io: WorkspaceFiles, entries: list[dict]) -> pd.DataFrame:
    """Collected manifests (schema :data:`~meta254lib.core.schema.MANIFESTS`)."""
    by_name = {e["name"]: e for e in entries}
    rows = []
    for path in io.find("manifests"):
        rel = io.rel(path)
        doc = io.load(path, "manifests")
        if doc is None and io.files[rel]["note"]:
            continue
        man = parse_manifest(doc, rel, io.warnings)
        if man is None:
            continue
        name = man.get("name") if isinstance(man.get("name"), str) else path.stem
        rows.append(_manifest_row(io, rel, name, man, by_name.get(name)))
        io.rows[rel] = 1
    return S.frame_from_records(S.MANIFESTS, rows)


def _manifest_row(
    io: WorkspaceFiles, rel: str, name: str, man: Mapping[str, Any], entry: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The ``manifests`` row of one manifest, with the fields where it differs from its catalog ``entry``."""
    differs = []
    if entry is not None:
        differs = [key for key in _MANIFEST_FIELDS if key in man and man.get(key) != entry.get(key)]
    else:
        io.warn(rel, "name", f"manifest for {name!r}, which is not in the catalog")
    contracts = man.get("api_contracts") if isinstance(man.get("api_contracts"), list) else []
    w = io.warnings
    return {
        S.SERVICE: name,
        S.FILE: rel,
        S.DOMAIN: to_str(man.get("domain"), rel, "domain", w),
        S.VERSION: to_str(man.get("version"), rel, "version", w),
        S.MATURITY: to_str(man.get("maturity"), rel, "maturity", w),
        S.RUNTIME: to_str(man.get("runtime"), rel, "runtime", w),
        "api_contracts": tuple(str(c) for c in contracts),
        "in_catalog": entry is not None,
        "differs_from_catalog": ",".join(differs),
        "modified": io.files[rel]["modified"],
    }


def lockfile_table(io: WorkspaceFiles) -> pd.DataFrame | None:
    """The lock-file entries, or ``None`` when no lock file exists at all."""
    paths = io.find("lockfiles")
    if not paths:
        return None
    rows: list[dict] = []
    for path in paths:
        rel = io.rel(path)
        doc = io.load(path, "lockfiles")
        if doc is None and io.files[rel]["note"]:
            continue
        got = parse_lockfile(doc, path.name.removesuffix(".specs.lock.json"), rel, io.warnings)
        io.rows[rel] = len(got)
        rows.extend(got)
    return S.frame_from_records(S.LOCKFILES, rows)


def spec_versions_table(io: WorkspaceFiles) -> pd.DataFrame:
    """The spec registry (schema :data:`~meta254lib.core.schema.SPEC_VERSIONS`)."""
    paths = io.find("spec_registry")
    if not paths:
        return S.empty_frame(S.SPEC_VERSIONS)
    rel = io.rel(paths[0])
    doc = io.load(paths[0], "spec_registry")
    if doc is None:
        return S.empty_frame(S.SPEC_VERSIONS)
    try:
        df = parse_spec_registry(doc, rel, io.warnings)
    except InputError as err:
        io.warn(rel, err.field, str(err))
        return S.empty_frame(S.SPEC_VERSIONS)
    io.rows[rel] = len(df)
    return df


def advisories_table(io: WorkspaceFiles, aliases: Callable[[], Mapping[str, str]]) -> pd.DataFrame:
    """OSV advisories, one row per affected package (schema :data:`~meta254lib.core.schema.ADVISORIES`).

    ``aliases`` gives the external dependency aliases; it is called when the first record is parsed
    (so the rules file is read at that point, as it always was).
    """
    rows: list[dict] = []
    for path in io.find("advisories"):
        rel = io.rel(path)
        doc = io.load(path, "advisories")
        if doc is None:
            continue
        records = doc if isinstance(doc, list) else [doc]
        if isinstance(doc, list):
            io.warn(rel, "", "a list of OSV records; each read separately")
        got = []
        for rec in records:
            got.extend(parse_advisory(rec, rel, io.warnings, aliases()))
        io.rows[rel] = len(got)
        rows.extend(got)
    rows.sort(key=lambda r: (r["advisory_id"], r["package"], r[S.FILE]))
    return S.frame_from_records(S.ADVISORIES, rows)
