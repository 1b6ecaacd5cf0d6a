"""Catalog and config documents: the service catalog's entries, teams, the events registry, exemptions.

Each ``parse_*`` function takes an already-decoded document (what :mod:`meta254lib.workspace.yamlio`
returns), the file name for messages and a warnings list; none touches the file system. The
catalog's tables are built from the entries by :mod:`meta254lib.workspace.catalog_tables`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from .coerce import parse_timestamp, short, str_list, to_str
from .yamlio import WarnList

__all__ = ["parse_catalog", "parse_events_registry", "parse_exemptions", "parse_teams", "team_from_repo"]

#: What a service name may look like before it is warned (the manifest schema's pattern is stricter,
#: see ``meta254 validate``): no path separators, no ``..``, no control characters, no blanks at the ends.
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.|^\s|\s$")


def parse_catalog(doc: Any, file: str, warnings: WarnList) -> tuple[dict, list[dict]]:
    """Validate a catalog document and return ``(metadata, service entries)``.

    The entries keep their catalog order; duplicate names keep the first entry (warned);
    entries that are not mappings with a text ``name`` are skipped (warned).

    Raises
    ------
    InputError
        The document is empty, not a mapping, or has no usable ``services``.

    Examples
    --------
    >>> meta, entries = parse_catalog({"services": [{"name": "a"}, {"name": "a"}]}, "c.yaml", w := [])
    >>> [e["name"] for e in entries], w[0][1:]
    (['a'], ('services[1].name', "duplicate service 'a'; the first entry (services[0]) is used"))
    """
    if doc is None:
        raise InputError(file, "", "a catalog mapping with `metadata` and `services`", "an empty file")
    if not isinstance(doc, dict):
        raise InputError(file, "", "a mapping with `metadata` and `services` at the top level", short(doc))
    services = doc.get("services")
    if services is None:
        found = "an empty value" if "services" in doc else "no `services` key"
        raise InputError(file, "services", "a list of services", found)
    if isinstance(services, dict):
        warnings.append((file, "services", "a mapping keyed by name instead of a list; read its values"))
        items = []
        for key, value in services.items():
            if isinstance(value, dict):
                value = {"name": key, **value} if "name" not in value else value
            items.append(value)
        services = items
    if not isinstance(services, list):
        raise InputError(file, "services", "a list of service mappings", short(services))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if "metadata" in doc and not isinstance(doc.get("metadata"), dict):
        warnings.append((file, "metadata", f"expected a mapping, found {short(doc.get('metadata'))}; ignored"))
    if meta.get("generated_at") is not None and parse_timestamp(meta.get("generated_at")) is None:
        warnings.append(
            (
                file,
                "metadata.generated_at",
                f"expected an ISO-8601 timestamp, found {short(meta.get('generated_at'))}; "
                "the analysis date falls back to the newest last_update",
            )
        )
    seen: dict[str, int] = {}
    entries = []
    for i, entry in enumerate(services):
        where = f"services[{i}]"
        if not isinstance(entry, dict):
            warnings.append((file, where, f"expected a service mapping, found {short(entry)}; skipped"))
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            warnings.append((file, f"{where}.name", f"expected a service name, found {short(name)}; skipped"))
            continue
        if name in seen:
            warnings.append(
                (
                    file,
                    f"{where}.name",
                    f"duplicate service {short(name)}; the first entry (services[{seen[name]}]) is used",
                )
            )
            continue
        if _BAD_NAME.search(name) or len(name) > 200:
            warnings.append(
                (
                    file,
                    f"{where}.name",
                    f"{short(name)} is not a valid service name (path separators, '..', control characters, "
                    "blanks at either end, or over 200 characters); kept as written, never used as a file name",
                )
            )
        seen[name] = i
        entries.append(entry)
    return meta, entries


def team_from_repo(repo: str | None) -> str:
    """The team a repository name implies: ``254carbon-access`` is team ``access``; none is ``unowned``.

    Examples
    --------
    >>> team_from_repo("https://github.com/254carbon/254carbon-access.git"), team_from_repo(None)
    ('access', 'unowned')
    """
    if not repo:
        return "unowned"
    stem = repo.rstrip("/").rsplit("/", 1)[-1]
    stem = stem.removesuffix(".git")
    return stem.removeprefix("254carbon-") or "unowned"


def parse_events_registry(doc: Any, file: str, warnings: WarnList) -> frozenset[str]:
    """The registered event ids (``events:`` list; a bare top-level list is accepted with a warning).

    Examples
    --------
    >>> sorted(parse_events_registry({"events": ["a.b.c.v1"]}, "r.yaml", []))
    ['a.b.c.v1']
    """
    if doc is None:
        warnings.append((file, "", "empty registry: every event will be reported unknown"))
        return frozenset()
    if isinstance(doc, list):
        warnings.append((file, "", "a bare list instead of `events:`; read as the event list"))
        return frozenset(str_list(doc, file, "", warnings))
    if not isinstance(doc, dict):
        raise InputError(file, "events", "a list of event ids under `events`", short(doc))
    return frozenset(str_list(doc.get("events"), file, "events", warnings))


def parse_teams(doc: Any, file: str, warnings: WarnList) -> tuple[list[dict], dict[str, dict[str, str]]]:
    """Team ownership rows and escalation overrides from ``config/teams.yaml``.

    Examples
    --------
    >>> rows, esc = parse_teams({"teams": {"t": {"services": ["a"], "contact": "t@x"}},
    ...                          "escalation": {"L3": {"name": "Arch"}}}, "teams.yaml", [])
    >>> rows[0]["team"], rows[0]["contact"], esc["L3"]["name"]
    ('t', 't@x', 'Arch')
    """
    if doc is None:
        return [], {}
    if not isinstance(doc, dict):
        raise InputError(file, "", "a mapping with `teams` and `escalation`", short(doc))
    rows = []
    teams = doc.get("teams") or {}
    if isinstance(teams, list):
        teams = {t.get("name"): t for t in teams if isinstance(t, dict) and isinstance(t.get("name"), str)}
    if not isinstance(teams, dict):
        raise InputError(file, "teams", "a mapping of team name to {services, contact, slack}", short(teams))
    for team, body in teams.items():
        if not isinstance(body, dict):
            warnings.append((file, f"teams.{team}", f"expected a mapping, found {short(body)}; skipped"))
            continue
        contact = to_str(body.get("contact"), file, f"teams.{team}.contact", warnings) or ""
        slack = to_str(body.get("slack"), file, f"teams.{team}.slack", warnings) or ""
        for svc in str_list(body.get("services"), file, f"teams.{team}.services", warnings):
            rows.append({S.TEAM: str(team), S.SERVICE: svc, "contact": contact, "slack": slack, "source": "teams.yaml"})
    escalation: dict[str, dict[str, str]] = {}
    esc = doc.get("escalation") or {}
    if isinstance(esc, dict):
        for level, body in esc.items():
            if isinstance(body, dict):
                escalation[str(level)] = {
                    k: to_str(v, file, f"escalation.{level}.{k}", warnings) or "" for k, v in body.items()
                }
            else:
                warnings.append((file, f"escalation.{level}", f"expected a mapping, found {short(body)}; ignored"))
    return rows, escalation


def parse_exemptions(rules: Mapping[str, Any], file: str, warnings: WarnList) -> pd.DataFrame:
    """The ``drift.exemptions`` of rules.yaml. ``expires`` is the end of that day, UTC.

    Examples
    --------
    >>> df = parse_exemptions({"drift": {"exemptions": [{"service": "a", "spec": "s", "reason": "r",
    ...                        "expires": "2025-12-31"}]}}, "rules.yaml", [])
    >>> df.loc[0, "subject"], str(df.loc[0, "expires"])
    ('s', '2025-12-31 23:59:59.999999+00:00')
    """
    drift = rules.get("drift") if isinstance(rules, Mapping) else None
    items = drift.get("exemptions") if isinstance(drift, dict) else None
    if items is None:
        return S.empty_frame(S.EXEMPTIONS)
    if not isinstance(items, list):
        warnings.append((file, "drift.exemptions", f"expected a list, found {short(items)}; ignored"))
        return S.empty_frame(S.EXEMPTIONS)
    rows = []
    for i, item in enumerate(items):
        where = f"drift.exemptions[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("service"), str):
            warnings.append((file, where, "expected a mapping with a `service`; skipped"))
            continue
        expires = None
        if item.get("expires") is not None:
            ts = parse_timestamp(item.get("expires"))
            if ts is None:
                warnings.append(
                    (
                        file,
                        f"{where}.expires",
                        f"expected a date, found {short(item.get('expires'))}; exemption not applied "
                        "(an exemption that cannot be dated must not hide an issue forever)",
                    )
                )
                continue
            else:
                if ts == ts.normalize() and not (isinstance(item.get("expires"), str) and "T" in item["expires"]):
                    ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
                expires = ts
        subject = item.get("subject", item.get("spec", item.get("dependency", item.get("event"))))
        rows.append(
            {
                S.SERVICE: item["service"],
                "subject": to_str(subject, file, f"{where}.subject", warnings) or "",
                "type": to_str(item.get("type"), file, f"{where}.type", warnings) or "",
                "reason": to_str(item.get("reason"), file, f"{where}.reason", warnings) or "",
                "expires": expires,
            }
        )
    return S.frame_from_records(S.EXEMPTIONS, rows)
