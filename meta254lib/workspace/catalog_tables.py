"""The catalog's tables: ``services``, ``contracts``, ``dependencies`` and ``events`` from its entries.

:func:`services_tables` reads each entry (see :func:`meta254lib.workspace.catalog.parse_catalog`) in named
steps: its checked scalar fields, its contract pins, its dependencies, its events, then its
``services`` row. Problems become warnings, in catalog order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.settings import DEFAULT_EXTERNAL_ALIASES, KNOWN_DOMAINS, KNOWN_MATURITIES, KNOWN_RUNTIMES
from ..core.versions import fits_int64, parse_version, split_pin
from .catalog import team_from_repo
from .coerce import parse_timestamp, short, str_list, to_bool, to_count, to_fraction, to_str
from .yamlio import WarnList, YamlFloat

__all__ = ["services_tables"]


def services_tables(
    entries: list[dict],
    file: str,
    warnings: WarnList,
    *,
    aliases: Mapping[str, str] | None = None,
    domains: Iterable[str] = (),
    registry: frozenset[str] | None = None,
    teams: pd.DataFrame | None = None,
    manifest_names: Iterable[str] = (),
    lock_names: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the ``services``, ``contracts``, ``dependencies`` and ``events`` tables from entries.

    Parameters
    ----------
    entries : list of dict
        Catalog service entries (see :func:`parse_catalog`).
    aliases : mapping, optional
        External dependency aliases (``postgres`` → ``postgresql``).
    domains : iterable of str
        Domains known to rules.yaml; others are flagged ``domain_known=False``.
    registry : frozenset or None
        Registered events; ``None`` when there is no registry (``registered`` is NA).
    teams : DataFrame, optional
        The ``teams`` table; services it does not name get a team derived from the repo name.
    manifest_names, lock_names : iterable of str
        Services with a collected manifest / lock file; ``lock_names=None`` when no lock file exists
        anywhere (then ``has_lock`` is NA).

    Examples
    --------
    >>> t = services_tables([{"name": "a", "repo": "https://github.com/254carbon/254carbon-access",
    ...     "version": 1.10, "dependencies": {"internal": ["b@1.0.0"], "external": ["postgres"]}}], "c", [])
    >>> t["services"].loc[0, ["team", "version"]].tolist()
    ['access', '1.1']
    >>> t["dependencies"][["target", "kind", "version", "resolves"]].values.tolist()
    [['b', 'internal', '1.0.0', False], ['postgresql', 'external', nan, <NA>]]
    """
    ctx = _Context(
        file=file,
        warnings=warnings,
        aliases=dict(DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases),
        domains=set(domains),
        names={e["name"] for e in entries},
        registry=registry,
        team_of=_team_contacts(teams),
        manifest_names=set(manifest_names),
        lock_set=set(lock_names) if lock_names is not None else None,
    )
    services, contracts, deps, events = [], [], [], []
    for i, entry in enumerate(entries):
        where = f"services[{i}]"
        fields = _checked_fields(entry, where, ctx)
        pins = str_list(entry.get("api_contracts"), file, f"{where}.api_contracts", warnings)
        contracts.extend(_contract_rows(entry["name"], pins, where, ctx))
        internal, external = _dependency_lists(entry.get("dependencies"), where, ctx)
        deps.extend(_dependency_rows(entry["name"], internal, external, ctx))
        events.extend(_event_rows(entry, where, ctx))
        services.append(_service_row(entry, where, fields, (len(pins), len(internal), len(external)), ctx))
    return {
        "services": S.frame_from_records(S.SERVICES, services),
        "contracts": S.frame_from_records(S.CONTRACTS, contracts),
        "dependencies": S.frame_from_records(S.DEPENDENCIES, deps),
        "events": S.frame_from_records(S.EVENTS, events),
    }


@dataclass(frozen=True)
class _Context:
    """What every step of :func:`services_tables` needs besides the entry it works on."""

    file: str
    warnings: WarnList
    aliases: dict[str, str]
    domains: set[str]
    names: set[str]
    registry: frozenset[str] | None
    team_of: dict[str, tuple[str, str]]
    manifest_names: set[str]
    lock_set: set[str] | None

    def text(self, entry: Mapping[str, Any], key: str, where: str) -> str | None:
        """The entry's ``key`` as text (see :func:`~meta254lib.workspace.coerce.to_str`)."""
        return to_str(entry.get(key), self.file, f"{where}.{key}", self.warnings)

    def warn(self, field: str, message: str) -> None:
        """Add a warning about ``field`` of the catalog."""
        self.warnings.append((self.file, field, message))


def _team_contacts(teams: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """Service -> (team, contact) from the teams table; the first row of a service wins."""
    team_of: dict[str, tuple[str, str]] = {}
    if teams is not None and len(teams):
        for team, svc, contact in teams[[S.TEAM, S.SERVICE, "contact"]].itertuples(index=False):
            team_of.setdefault(svc, (team, contact if isinstance(contact, str) else ""))
    return team_of


def _checked_text(entry: Mapping[str, Any], key: str, known: tuple[str, ...], where: str, ctx: _Context) -> str | None:
    """The entry's ``key`` as text, warned when it is not one of ``known``."""
    value = ctx.text(entry, key, where)
    if value is not None and value not in known:
        ctx.warn(f"{where}.{key}", f"unknown {key} {short(value)} (expected one of {', '.join(known)})")
    return value


def _checked_domain(entry: Mapping[str, Any], where: str, ctx: _Context) -> str | None:
    """The entry's domain, warned when rules.yaml gives it no layer (or, without rules, it is unknown)."""
    domain = ctx.text(entry, "domain", where)
    if domain is not None and ctx.domains and domain not in ctx.domains:
        ctx.warn(f"{where}.domain", f"domain {short(domain)} has no layer in rules.yaml domain_layers")
    elif domain is not None and not ctx.domains and domain not in KNOWN_DOMAINS:
        ctx.warn(f"{where}.domain", f"unknown domain {short(domain)} (expected one of {', '.join(KNOWN_DOMAINS)})")
    return domain


def _checked_fields(entry: Mapping[str, Any], where: str, ctx: _Context) -> dict[str, Any]:
    """The entry's scalar fields, checked in catalog order (so the warnings keep their order)."""
    maturity = _checked_text(entry, S.MATURITY, KNOWN_MATURITIES, where, ctx)
    runtime = _checked_text(entry, S.RUNTIME, KNOWN_RUNTIMES, where, ctx)
    domain = _checked_domain(entry, where, ctx)
    version_raw = entry.get("version")
    version = ctx.text(entry, "version", where)
    if isinstance(version_raw, YamlFloat):
        ctx.warn(f"{where}.version", f"unquoted version {version_raw.source} kept as text")
    quality = entry.get("quality") if isinstance(entry.get("quality"), dict) else {}
    if entry.get("quality") is not None and not isinstance(entry.get("quality"), dict):
        ctx.warn(f"{where}.quality", f"expected a mapping, found {short(entry.get('quality'))}; ignored")
    security = entry.get("security") if isinstance(entry.get("security"), dict) else {}
    vulns = None
    for key in ("open_critical_vulns", "critical_vulns", "vuln_critical"):
        if key in quality:
            vulns = to_count(quality.get(key), ctx.file, f"{where}.quality.{key}", ctx.warnings)
            break
    last_update = parse_timestamp(entry.get("last_update"))
    if entry.get("last_update") is not None and last_update is None:
        ctx.warn(f"{where}.last_update", f"expected an ISO-8601 timestamp, found {short(entry.get('last_update'))}")
    repo = ctx.text(entry, "repo", where)
    return {
        S.MATURITY: maturity,
        S.RUNTIME: runtime,
        S.DOMAIN: domain,
        S.VERSION: version,
        "quality": quality,
        "security": security,
        "open_critical_vulns": vulns,
        "last_update": last_update,
        "repo": repo,
    }


def _contract_rows(name: str, pins: list[str], where: str, ctx: _Context) -> list[dict[str, Any]]:
    """One ``contracts`` row per api_contracts pin; a pin whose version is not semver is kept (warned)."""
    rows = []
    for k, pin in enumerate(pins):
        spec, ver = split_pin(pin)
        sv = parse_version(ver) if ver else None
        if ver and sv is None:
            ctx.warn(
                f"{where}.api_contracts[{k}]",
                f"{short(pin)}: {short(ver)} is not a semantic version; kept as written "
                "(drift reports it as invalid_version)",
            )
        parts = sv is not None and fits_int64(sv)
        if sv is not None and not parts:
            ctx.warn(
                f"{where}.api_contracts[{k}]",
                f"{short(pin)}: a version part is beyond int64 (2^63 or more); kept as text, major/minor/patch not set",
            )
        rows.append(
            {
                S.SERVICE: name,
                S.SPEC: spec,
                S.VERSION: ver,
                S.MAJOR: sv.major if parts else None,
                S.MINOR: sv.minor if parts else None,
                S.PATCH: sv.patch if parts else None,
                "prerelease": sv.prerelease if sv else "",
                "valid": sv is not None,
                "raw": pin,
            }
        )
        if sv is not None and sv.note:
            ctx.warn(f"{where}.api_contracts[{k}]", f"{short(pin)}: {sv.note}")
    return rows


def _dependency_lists(block: Any, where: str, ctx: _Context) -> tuple[list[str], list[str]]:
    """The ``(internal, external)`` dependency pins of an entry's ``dependencies`` block."""
    file, w = ctx.file, ctx.warnings
    if isinstance(block, dict):
        internal = str_list(block.get("internal"), file, f"{where}.dependencies.internal", w)
        external = str_list(block.get("external"), file, f"{where}.dependencies.external", w)
        return internal, external
    if isinstance(block, list):
        ctx.warn(f"{where}.dependencies", "a flat list; read as internal dependencies")
        return str_list(block, file, f"{where}.dependencies", w), []
    if block is not None:
        ctx.warn(f"{where}.dependencies", f"expected a mapping, found {short(block)}; ignored")
    return [], []


def _dependency_rows(name: str, internal: list[str], external: list[str], ctx: _Context) -> list[dict[str, Any]]:
    """One ``dependencies`` row per pin; external names are resolved through the aliases."""
    rows = []
    for raw in internal:
        dep_name, ver = split_pin(raw)
        rows.append(
            {
                S.SERVICE: name,
                S.TARGET: dep_name,
                "name": dep_name,
                S.KIND: "internal",
                S.VERSION: ver or None,
                "resolves": dep_name in ctx.names,
                "misfiled": False,
                "raw": raw,
            }
        )
    for raw in external:
        dep_name, ver = split_pin(raw)
        rows.append(
            {
                S.SERVICE: name,
                S.TARGET: ctx.aliases.get(dep_name.lower(), dep_name),
                "name": dep_name,
                S.KIND: "external",
                S.VERSION: ver or None,
                "resolves": None,
                "misfiled": dep_name in ctx.names,
                "raw": raw,
            }
        )
    return rows


def _event_rows(entry: Mapping[str, Any], where: str, ctx: _Context) -> list[dict[str, Any]]:
    """One ``events`` row per consumed (``in``) or produced (``out``) event."""
    rows = []
    for direction, key in (("in", "events_in"), ("out", "events_out")):
        for ev in str_list(entry.get(key), ctx.file, f"{where}.{key}", ctx.warnings):
            rows.append(
                {
                    S.SERVICE: entry["name"],
                    S.EVENT: ev,
                    S.DIRECTION: direction,
                    "registered": (ev in ctx.registry) if ctx.registry is not None else None,
                }
            )
    return rows


def _service_row(
    entry: Mapping[str, Any], where: str, fields: dict[str, Any], counts: tuple[int, int, int], ctx: _Context
) -> dict[str, Any]:
    """The ``services`` row of an entry from its checked fields and its pin counts."""
    file, w = ctx.file, ctx.warnings
    name, domain, quality, security = entry["name"], fields[S.DOMAIN], fields["quality"], fields["security"]
    team, contact = ctx.team_of.get(name, (team_from_repo(fields["repo"]), ""))
    n_contracts, n_internal, n_external = counts
    return {
        S.SERVICE: name,
        "repo": fields["repo"],
        "path": ctx.text(entry, "path", where),
        S.DOMAIN: domain,
        "domain_known": bool(domain in ctx.domains) if ctx.domains else False,
        S.VERSION: fields[S.VERSION],
        S.MATURITY: fields[S.MATURITY],
        S.RUNTIME: fields[S.RUNTIME],
        S.STATUS: ctx.text(entry, "status", where) or "active",
        S.TEAM: team,
        "team_contact": contact,
        "last_update": fields["last_update"],
        "coverage": to_fraction(quality.get("coverage"), file, f"{where}.quality.coverage", w),
        "lint_pass": to_bool(quality.get("lint_pass"), file, f"{where}.quality.lint_pass", w),
        "open_critical_vulns": fields["open_critical_vulns"],
        "signed_images": to_bool(security.get("signed_images"), file, f"{where}.security.signed_images", w),
        "policy_pass": to_bool(security.get("policy_pass"), file, f"{where}.security.policy_pass", w),
        "n_contracts": n_contracts,
        "n_internal": n_internal,
        "n_external": n_external,
        "has_manifest": name in ctx.manifest_names,
        "has_lock": (name in ctx.lock_set) if ctx.lock_set is not None else None,
    }
