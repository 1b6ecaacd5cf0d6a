"""Parsers from the platform's artifact formats to the tidy tables of :mod:`meta254lib.core.schema`.

Each ``parse_*`` function takes an already-decoded document (what :mod:`meta254lib.workspace.yamlio` returns),
the file name for messages and a warnings list, and returns records or a frame. They never touch the
file system, so tests feed them inline literals. :mod:`meta254lib.workspace.workspace` does the reading.

Quirks of the real formats handled here (see the project README, "Workspace"):

- drift issues written as Python repr strings (``"DriftIssue(type='spec_lag', ...)"``) are parsed with
  :mod:`ast` and read node by node (constants, tuples, lists, dicts, sets, signed numbers); nothing
  is ever evaluated, and anything that is not such a literal is refused;
- a shared-dependency issue's comma-joined ``service`` is exploded to one row per service;
- severity ``moderate`` becomes ``medium``; ``error`` is kept (an invalid-version marker);
- dependencies ``name@version`` are split; external aliases (``postgres`` → ``postgresql``) resolved;
- the three quality-snapshot shapes and the three vulnerability-count spellings;
- timestamps written ``+00:00``, ``Z`` or naive (naive means UTC).

Examples
--------
>>> parse_repr_issue("DriftIssue(type='spec_lag', severity='low', service='gateway')")
{'type': 'spec_lag', 'severity': 'low', 'service': 'gateway'}
>>> parse_timestamp("2025-10-09T22:30:38.509155+00:00") == parse_timestamp("2025-10-09T22:30:38.509155Z")
True
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import reprlib
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from ..core.ids import DRIFT_TYPE_ALIASES, drift_issue_id, normalise_severity
from ..core.settings import DEFAULT_EXTERNAL_ALIASES, KNOWN_DOMAINS, KNOWN_MATURITIES, KNOWN_RUNTIMES
from ..core.versions import parse_version, split_pin
from .yamlio import WarnList, YamlFloat, as_text

__all__ = [
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
    "services_tables",
    "timestamp_from_filename",
]

_FILE_TS = re.compile(r"(\d{8})_(\d{6})")
#: Counts above this cannot be stored in an Int64 column (and are not real counts).
_MAX_COUNT = 2**63 - 1
#: What a service name may look like before it is warned (the manifest schema's pattern is stricter,
#: see ``meta254 validate``): no path separators, no ``..``, no control characters, no blanks at the ends.
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.|^\s|\s$")


# --- scalars -----------------------------------------------------------------------------------


def parse_timestamp(value: Any) -> pd.Timestamp | None:
    """A UTC timestamp from ``+00:00``, ``Z``, naive (read as UTC) or date-only text, or a datetime.

    Examples
    --------
    >>> str(parse_timestamp("2025-10-10"))
    '2025-10-10 00:00:00+00:00'
    >>> str(parse_timestamp("2025-10-10T12:00:00+02:00"))
    '2025-10-10 10:00:00+00:00'
    >>> parse_timestamp("yesterday") is None, parse_timestamp(None) is None
    (True, True)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, YamlFloat):
        return None
    try:
        ts = pd.Timestamp(as_text(value) if not isinstance(value, dt.datetime) else value)
    except (ValueError, TypeError, OverflowError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def timestamp_from_filename(name: str) -> pd.Timestamp | None:
    """The ``YYYYmmdd_HHMMSS`` stamp of a report file name, read as UTC.

    Examples
    --------
    >>> str(timestamp_from_filename("20251010_173911_drift_report.json"))
    '2025-10-10 17:39:11+00:00'
    """
    m = _FILE_TS.search(name)
    if not m:
        return None
    try:
        return pd.Timestamp(dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S"), tz="UTC")
    except ValueError:
        return None


def _to_bool(value: Any, file: str, field: str, warnings: WarnList) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "y", "on", "1", "passed", "pass"}:
        warnings.append((file, field, f"boolean written as text {value!r}; read as true"))
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "n", "off", "0", "failed", "fail"}:
        warnings.append((file, field, f"boolean written as text {value!r}; read as false"))
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    warnings.append((file, field, f"expected a boolean, found {_short(value)}; ignored"))
    return None


def _to_count(value: Any, file: str, field: str, warnings: WarnList) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append((file, field, f"expected a count, found {value!r}; ignored"))
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        warnings.append((file, field, f"count written as text {value!r}"))
        value = int(value.strip())
    if not isinstance(value, int):
        warnings.append((file, field, f"expected a whole number, found {_short(value)}; ignored"))
        return None
    if value < 0:
        warnings.append((file, field, f"expected a count >= 0, found {value}; ignored"))
        return None
    if value > _MAX_COUNT:
        warnings.append((file, field, f"{_short(value)} is too large to be a count; ignored"))
        return None
    return value


def _to_fraction(value: Any, file: str, field: str, warnings: WarnList) -> float | None:
    """A 0..1 fraction; ``"85%"`` and ``85`` are read as 0.85 with a warning."""
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append((file, field, f"expected a fraction 0..1, found {value!r}; ignored"))
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text.rstrip("%"))
        except ValueError:
            warnings.append((file, field, f"expected a fraction 0..1, found {_short(value)}; ignored"))
            return None
        if text.endswith("%"):
            warnings.append((file, field, f"percentage {value!r} read as {number / 100:g}"))
            return number / 100
        warnings.append((file, field, f"number written as text {value!r}"))
        value = number
    if not isinstance(value, (int, float)) or value != value:  # NaN
        warnings.append((file, field, f"expected a fraction 0..1, found {_short(value)}; ignored"))
        return None
    value = float(value)
    if 1 < value <= 100:
        warnings.append((file, field, f"coverage {value:g} read as a percentage ({value / 100:g})"))
        return value / 100
    if not 0 <= value <= 1:
        warnings.append((file, field, f"expected a fraction 0..1, found {value:g}; ignored"))
        return None
    return value


def _to_number(value: Any, file: str, field: str, warnings: WarnList) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        warnings.append((file, field, f"expected a number, found {_short(value)}; ignored"))
        return None
    try:
        number = float(value)
    except ValueError:
        warnings.append((file, field, f"expected a number, found {_short(value)}; ignored"))
        return None
    if isinstance(value, str):
        warnings.append((file, field, f"number written as text {value!r}"))
    return number if number == number else None


def _to_str(value: Any, file: str, field: str, warnings: WarnList) -> str | None:
    if value.__class__ is str:  # the common case first: 100k-service catalogs call this a million times
        return value
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        warnings.append((file, field, f"expected text, found {_short(value)}; ignored"))
        return None
    if isinstance(value, YamlFloat):
        return value.source
    if isinstance(value, float):
        warnings.append((file, field, f"number {value!r} read as text"))
    return as_text(value)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 4, 6, 40, 40


def _short(value: Any, limit: int = 60) -> str:
    """A short description of a value for a message, cheap even for 10 MB strings and deep nesting.

    Examples
    --------
    >>> _short("x" * 10_000_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    >>> _short(["a", {"b": [[[[1]]]]}])
    "list ['a', {'b': [[...]]}]"
    """
    kind = type(value).__name__
    text = repr(value[: limit + 1]) if isinstance(value, str) else _REPR.repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{kind} {text}" if kind in ("dict", "list") else text


def _str_list(value: Any, file: str, field: str, warnings: WarnList) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        warnings.append((file, field, "expected a list, found a single string; read as a one-item list"))
        return [value]
    if not isinstance(value, list):
        warnings.append((file, field, f"expected a list, found {_short(value)}; ignored"))
        return []
    out = [item.strip() for item in value if item.__class__ is str]
    if len(out) == len(value) and all(out):  # the common case: clean text items
        return out
    out = []
    for i, item in enumerate(value):
        text = _to_str(item, file, f"{field}[{i}]", warnings)
        if text is None or not text.strip():
            if text is None and item is not None:
                continue
            warnings.append((file, f"{field}[{i}]", "empty entry ignored"))
            continue
        out.append(text.strip())
    return out


# --- catalog -----------------------------------------------------------------------------------


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
        raise InputError(file, "", "a mapping with `metadata` and `services` at the top level", _short(doc))
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
        raise InputError(file, "services", "a list of service mappings", _short(services))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if "metadata" in doc and not isinstance(doc.get("metadata"), dict):
        warnings.append((file, "metadata", f"expected a mapping, found {_short(doc.get('metadata'))}; ignored"))
    if meta.get("generated_at") is not None and parse_timestamp(meta.get("generated_at")) is None:
        warnings.append(
            (
                file,
                "metadata.generated_at",
                f"expected an ISO-8601 timestamp, found {_short(meta.get('generated_at'))}; "
                "the analysis date falls back to the newest last_update",
            )
        )
    seen: dict[str, int] = {}
    entries = []
    for i, entry in enumerate(services):
        where = f"services[{i}]"
        if not isinstance(entry, dict):
            warnings.append((file, where, f"expected a service mapping, found {_short(entry)}; skipped"))
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            warnings.append((file, f"{where}.name", f"expected a service name, found {_short(name)}; skipped"))
            continue
        if name in seen:
            warnings.append(
                (
                    file,
                    f"{where}.name",
                    f"duplicate service {_short(name)}; the first entry (services[{seen[name]}]) is used",
                )
            )
            continue
        if _BAD_NAME.search(name) or len(name) > 200:
            warnings.append(
                (
                    file,
                    f"{where}.name",
                    f"{_short(name)} is not a valid service name (path separators, '..', control characters, "
                    "blanks at either end, or over 200 characters); kept as written, never used as a file name",
                )
            )
        seen[name] = i
        entries.append(entry)
    return meta, entries


def _team_from_repo(repo: str | None) -> str:
    if not repo:
        return "unowned"
    stem = repo.rstrip("/").rsplit("/", 1)[-1]
    stem = stem.removesuffix(".git")
    return stem.removeprefix("254carbon-") or "unowned"


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
    aliases = dict(DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases)
    domains = set(domains)
    names = {e["name"] for e in entries}
    team_of: dict[str, tuple[str, str]] = {}
    if teams is not None and len(teams):
        for team, svc, contact in teams[[S.TEAM, S.SERVICE, "contact"]].itertuples(index=False):
            team_of.setdefault(svc, (team, contact if isinstance(contact, str) else ""))
    manifest_names = set(manifest_names)
    lock_set = set(lock_names) if lock_names is not None else None
    services, contracts, deps, events = [], [], [], []
    for i, e in enumerate(entries):
        name = e["name"]
        where = f"services[{i}]"
        w = warnings

        def text(key: str, _e: dict = e, _where: str = where) -> str | None:
            return _to_str(_e.get(key), file, f"{_where}.{key}", warnings)

        maturity = text("maturity")
        if maturity is not None and maturity not in KNOWN_MATURITIES:
            w.append(
                (
                    file,
                    f"{where}.maturity",
                    f"unknown maturity {_short(maturity)} (expected one of {', '.join(KNOWN_MATURITIES)})",
                )
            )
        runtime = text("runtime")
        if runtime is not None and runtime not in KNOWN_RUNTIMES:
            w.append(
                (
                    file,
                    f"{where}.runtime",
                    f"unknown runtime {_short(runtime)} (expected one of {', '.join(KNOWN_RUNTIMES)})",
                )
            )
        domain = text("domain")
        if domain is not None and domains and domain not in domains:
            w.append((file, f"{where}.domain", f"domain {_short(domain)} has no layer in rules.yaml domain_layers"))
        elif domain is not None and not domains and domain not in KNOWN_DOMAINS:
            w.append(
                (
                    file,
                    f"{where}.domain",
                    f"unknown domain {_short(domain)} (expected one of {', '.join(KNOWN_DOMAINS)})",
                )
            )
        version_raw = e.get("version")
        version = text("version")
        if isinstance(version_raw, YamlFloat):
            w.append((file, f"{where}.version", f"unquoted version {version_raw.source} kept as text"))
        quality = e.get("quality") if isinstance(e.get("quality"), dict) else {}
        if e.get("quality") is not None and not isinstance(e.get("quality"), dict):
            w.append((file, f"{where}.quality", f"expected a mapping, found {_short(e.get('quality'))}; ignored"))
        security = e.get("security") if isinstance(e.get("security"), dict) else {}
        vulns = None
        for key in ("open_critical_vulns", "critical_vulns", "vuln_critical"):
            if key in quality:
                vulns = _to_count(quality.get(key), file, f"{where}.quality.{key}", w)
                break
        last_update = parse_timestamp(e.get("last_update"))
        if e.get("last_update") is not None and last_update is None:
            w.append(
                (file, f"{where}.last_update", f"expected an ISO-8601 timestamp, found {_short(e.get('last_update'))}")
            )
        repo = text("repo")
        team, contact = team_of.get(name, (_team_from_repo(repo), ""))

        pins = _str_list(e.get("api_contracts"), file, f"{where}.api_contracts", w)
        for k, pin in enumerate(pins):
            spec, ver = split_pin(pin)
            sv = parse_version(ver) if ver else None
            if ver and sv is None:
                w.append(
                    (
                        file,
                        f"{where}.api_contracts[{k}]",
                        f"{_short(pin)}: {_short(ver)} is not a semantic version; kept as written "
                        "(drift reports it as invalid_version)",
                    )
                )
            contracts.append(
                {
                    S.SERVICE: name,
                    S.SPEC: spec,
                    S.VERSION: ver,
                    S.MAJOR: sv.major if sv else None,
                    S.MINOR: sv.minor if sv else None,
                    S.PATCH: sv.patch if sv else None,
                    "prerelease": sv.prerelease if sv else "",
                    "valid": sv is not None,
                    "raw": pin,
                }
            )
            if sv is not None and sv.note:
                w.append((file, f"{where}.api_contracts[{k}]", f"{_short(pin)}: {sv.note}"))

        dep_block = e.get("dependencies")
        internal, external = [], []
        if isinstance(dep_block, dict):
            internal = _str_list(dep_block.get("internal"), file, f"{where}.dependencies.internal", w)
            external = _str_list(dep_block.get("external"), file, f"{where}.dependencies.external", w)
        elif isinstance(dep_block, list):
            w.append((file, f"{where}.dependencies", "a flat list; read as internal dependencies"))
            internal = _str_list(dep_block, file, f"{where}.dependencies", w)
        elif dep_block is not None:
            w.append((file, f"{where}.dependencies", f"expected a mapping, found {_short(dep_block)}; ignored"))
        for raw in internal:
            dep_name, ver = split_pin(raw)
            deps.append(
                {
                    S.SERVICE: name,
                    S.TARGET: dep_name,
                    "name": dep_name,
                    S.KIND: "internal",
                    S.VERSION: ver or None,
                    "resolves": dep_name in names,
                    "misfiled": False,
                    "raw": raw,
                }
            )
        for raw in external:
            dep_name, ver = split_pin(raw)
            canonical = aliases.get(dep_name.lower(), dep_name)
            deps.append(
                {
                    S.SERVICE: name,
                    S.TARGET: canonical,
                    "name": dep_name,
                    S.KIND: "external",
                    S.VERSION: ver or None,
                    "resolves": None,
                    "misfiled": dep_name in names,
                    "raw": raw,
                }
            )
        for direction, key in (("in", "events_in"), ("out", "events_out")):
            for ev in _str_list(e.get(key), file, f"{where}.{key}", w):
                events.append(
                    {
                        S.SERVICE: name,
                        S.EVENT: ev,
                        S.DIRECTION: direction,
                        "registered": (ev in registry) if registry is not None else None,
                    }
                )
        services.append(
            {
                S.SERVICE: name,
                "repo": repo,
                "path": text("path"),
                S.DOMAIN: domain,
                "domain_known": bool(domain in domains) if domains else False,
                S.VERSION: version,
                S.MATURITY: maturity,
                S.RUNTIME: runtime,
                S.STATUS: text("status") or "active",
                S.TEAM: team,
                "team_contact": contact,
                "last_update": last_update,
                "coverage": _to_fraction(quality.get("coverage"), file, f"{where}.quality.coverage", w),
                "lint_pass": _to_bool(quality.get("lint_pass"), file, f"{where}.quality.lint_pass", w),
                "open_critical_vulns": vulns,
                "signed_images": _to_bool(security.get("signed_images"), file, f"{where}.security.signed_images", w),
                "policy_pass": _to_bool(security.get("policy_pass"), file, f"{where}.security.policy_pass", w),
                "n_contracts": len(pins),
                "n_internal": len(internal),
                "n_external": len(external),
                "has_manifest": name in manifest_names,
                "has_lock": (name in lock_set) if lock_set is not None else None,
            }
        )
    return {
        "services": S.frame_from_records(S.SERVICES, services),
        "contracts": S.frame_from_records(S.CONTRACTS, contracts),
        "dependencies": S.frame_from_records(S.DEPENDENCIES, deps),
        "events": S.frame_from_records(S.EVENTS, events),
    }


# --- config ------------------------------------------------------------------------------------


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
        return frozenset(_str_list(doc, file, "", warnings))
    if not isinstance(doc, dict):
        raise InputError(file, "events", "a list of event ids under `events`", _short(doc))
    return frozenset(_str_list(doc.get("events"), file, "events", warnings))


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
        raise InputError(file, "", "a mapping with `teams` and `escalation`", _short(doc))
    rows = []
    teams = doc.get("teams") or {}
    if isinstance(teams, list):
        teams = {t.get("name"): t for t in teams if isinstance(t, dict) and isinstance(t.get("name"), str)}
    if not isinstance(teams, dict):
        raise InputError(file, "teams", "a mapping of team name to {services, contact, slack}", _short(teams))
    for team, body in teams.items():
        if not isinstance(body, dict):
            warnings.append((file, f"teams.{team}", f"expected a mapping, found {_short(body)}; skipped"))
            continue
        contact = _to_str(body.get("contact"), file, f"teams.{team}.contact", warnings) or ""
        slack = _to_str(body.get("slack"), file, f"teams.{team}.slack", warnings) or ""
        for svc in _str_list(body.get("services"), file, f"teams.{team}.services", warnings):
            rows.append({S.TEAM: str(team), S.SERVICE: svc, "contact": contact, "slack": slack, "source": "teams.yaml"})
    escalation: dict[str, dict[str, str]] = {}
    esc = doc.get("escalation") or {}
    if isinstance(esc, dict):
        for level, body in esc.items():
            if isinstance(body, dict):
                escalation[str(level)] = {
                    k: _to_str(v, file, f"escalation.{level}.{k}", warnings) or "" for k, v in body.items()
                }
            else:
                warnings.append((file, f"escalation.{level}", f"expected a mapping, found {_short(body)}; ignored"))
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
        warnings.append((file, "drift.exemptions", f"expected a list, found {_short(items)}; ignored"))
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
                        f"expected a date, found {_short(item.get('expires'))}; exemption not applied "
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
                "subject": _to_str(subject, file, f"{where}.subject", warnings) or "",
                "type": _to_str(item.get("type"), file, f"{where}.type", warnings) or "",
                "reason": _to_str(item.get("reason"), file, f"{where}.reason", warnings) or "",
                "expires": expires,
            }
        )
    return S.frame_from_records(S.EXEMPTIONS, rows)


# --- manifests and locks -----------------------------------------------------------------------


def parse_manifest(doc: Any, file: str, warnings: WarnList) -> dict | None:
    """A collected manifest as a mapping; ``None`` (warned) when it is not one.

    Examples
    --------
    >>> parse_manifest(["x"], "m.yaml", w := []), w[0][2]
    (None, "expected a service manifest mapping, found list ['x']; skipped")
    """
    if not isinstance(doc, dict):
        found = _short(doc) if doc is not None else "an empty file"
        warnings.append((file, "", f"expected a service manifest mapping, found {found}; skipped"))
        return None
    return doc


def parse_lockfile(doc: Any, service: str, file: str, warnings: WarnList) -> list[dict]:
    """Rows of a ``<service>.specs.lock.json`` lock file.

    Examples
    --------
    >>> parse_lockfile({"version": "1.0", "dependencies": {"g": {"version": "1.1.0"}}}, "a", "a.lock", [])[0]["version"]
    '1.1.0'
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("dependencies", {}), dict):
        warnings.append(
            (file, "dependencies", "expected {version, dependencies: {spec: {version, ...}}}; lock ignored")
        )
        return []
    rows = []
    for spec, body in (doc.get("dependencies") or {}).items():
        if isinstance(body, str):
            body = {"version": body}
        if not isinstance(body, dict):
            warnings.append((file, f"dependencies.{spec}", f"expected a mapping, found {_short(body)}; skipped"))
            continue
        rows.append(
            {
                S.SERVICE: service,
                S.SPEC: str(spec),
                S.VERSION: _to_str(body.get("version"), file, f"dependencies.{spec}.version", warnings),
                "resolved_at": parse_timestamp(body.get("resolved_at")),
                "integrity": _to_str(body.get("integrity"), file, f"dependencies.{spec}.integrity", warnings),
                S.FILE: file,
            }
        )
    return rows


# --- spec registry -----------------------------------------------------------------------------


def parse_spec_registry(doc: Any, file: str, warnings: WarnList) -> pd.DataFrame:
    """The spec registry, in the upstream shape (latest only), the extended shape, or a mix.

    Latest is ``latest_version`` when given, else the highest non-pre-release version.

    Examples
    --------
    >>> df = parse_spec_registry({"a": {"latest_version": "1.2.0"},
    ...     "b": {"versions": [{"version": "1.0.0", "changes": ["feature"]}, {"version": "2.0.0-rc.1"}],
    ...           "deprecated": ["1.0.0"]}}, "specs.json", [])
    >>> df[["spec", "version", "is_latest", "deprecated"]].values.tolist()
    [['a', '1.2.0', True, False], ['b', '1.0.0', True, True], ['b', '2.0.0-rc.1', False, False]]
    """
    if not isinstance(doc, dict):
        raise InputError(file, "", "a mapping of spec name to {latest_version | versions}", _short(doc))
    rows = []
    for spec in sorted(doc):
        body = doc[spec]
        if not isinstance(body, dict):
            warnings.append((file, str(spec), f"expected a mapping, found {_short(body)}; skipped"))
            continue
        description = _to_str(body.get("description"), file, f"{spec}.description", warnings) or ""
        deprecated = set(_str_list(body.get("deprecated"), file, f"{spec}.deprecated", warnings))
        removed = set(_str_list(body.get("removed"), file, f"{spec}.removed", warnings))
        versions: dict[str, dict] = {}
        raw_versions = body.get("versions")
        if raw_versions is not None and not isinstance(raw_versions, list):
            warnings.append((file, f"{spec}.versions", f"expected a list, found {_short(raw_versions)}; ignored"))
            raw_versions = []
        for i, item in enumerate(raw_versions or []):
            if isinstance(item, str):
                item = {"version": item}
            if not isinstance(item, dict):
                warnings.append((file, f"{spec}.versions[{i}]", "expected {version, release_date, changes}; skipped"))
                continue
            text = _to_str(item.get("version"), file, f"{spec}.versions[{i}].version", warnings)
            if not text:
                warnings.append((file, f"{spec}.versions[{i}].version", "missing version; skipped"))
                continue
            parsed = parse_version(text)
            if parsed is None:
                warnings.append(
                    (file, f"{spec}.versions[{i}].version", f"{_short(text)} is not a semantic version; skipped")
                )
                continue
            if parsed.note:
                warnings.append((file, f"{spec}.versions[{i}].version", f"{parsed.note}; kept as written"))
            date = parse_timestamp(item.get("release_date"))
            if item.get("release_date") is not None and date is None:
                warnings.append((file, f"{spec}.versions[{i}].release_date", "expected a date; ignored"))
            changes = _str_list(item.get("changes"), file, f"{spec}.versions[{i}].changes", warnings)
            if item.get("breaking") is True and "breaking" not in changes:
                changes.append("breaking")
            versions[text] = {"release_date": date, "changes": ",".join(sorted(set(changes)))}
        latest = _to_str(body.get("latest_version"), file, f"{spec}.latest_version", warnings)
        if latest is not None and parse_version(latest) is None:
            warnings.append((file, f"{spec}.latest_version", f"{_short(latest)} is not a semantic version; ignored"))
            latest = None
        elif latest is not None and parse_version(latest).note:
            warnings.append((file, f"{spec}.latest_version", f"{parse_version(latest).note}; kept as written"))
        if latest and latest not in versions:
            versions[latest] = {"release_date": None, "changes": ""}
        if not versions:
            warnings.append((file, str(spec), "no usable version; skipped"))
            continue
        if latest is None:
            finals = [v for v in versions if not parse_version(v).prerelease]
            pool = finals or list(versions)
            latest = max(pool, key=lambda v: parse_version(v).key)
        for text in sorted(versions, key=lambda v: parse_version(v).key):
            sv = parse_version(text)
            rows.append(
                {
                    S.SPEC: str(spec),
                    S.VERSION: text,
                    S.MAJOR: sv.major,
                    S.MINOR: sv.minor,
                    S.PATCH: sv.patch,
                    "prerelease": sv.prerelease,
                    "release_date": versions[text]["release_date"],
                    "changes": versions[text]["changes"],
                    "deprecated": text in deprecated,
                    "removed": text in removed,
                    "is_latest": text == latest,
                    "description": description,
                }
            )
    return S.frame_from_records(S.SPEC_VERSIONS, rows)


# --- advisories --------------------------------------------------------------------------------

_OSV_SEVERITY = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "MEDIUM": "medium", "LOW": "low"}


def _cvss_band(score: float) -> str:
    if score >= 9:
        return "critical"
    if score >= 7:
        return "high"
    if score >= 4:
        return "medium"
    return "low" if score > 0 else "unknown"


def parse_advisory(doc: Any, file: str, warnings: WarnList, aliases: Mapping[str, str] | None = None) -> list[dict]:
    """Rows (one per affected package) of one OSV record.

    Ranges of type ``SEMVER`` and ``ECOSYSTEM`` are read; other types (``GIT``) are skipped with a
    warning. Events are paired in order: ``introduced`` opens an interval that ``fixed`` or
    ``last_affected`` closes.

    Examples
    --------
    >>> rows = parse_advisory({"id": "OSV-1", "affected": [{"package": {"name": "redis"},
    ...     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "7.2.0"}]}]}],
    ...     "database_specific": {"severity": "HIGH"}}, "a.json", [])
    >>> rows[0]["package"], rows[0]["severity"], rows[0]["intervals"]
    ('redis', 'high', (('0', '7.2.0', ''),))
    """
    aliases = dict(DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases)
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        warnings.append((file, "id", "expected an OSV record with an `id`; skipped"))
        return []
    osv_id = doc["id"]
    db = doc.get("database_specific") if isinstance(doc.get("database_specific"), dict) else {}
    severity = _OSV_SEVERITY.get(str(db.get("severity", "")).upper())
    cvss = None
    scores = doc.get("severity") or []
    if not isinstance(scores, list):
        warnings.append((file, "severity", f"expected a list of {{type, score}}, found {_short(scores)}; ignored"))
        scores = []
    for entry in scores:
        if isinstance(entry, dict):
            score = entry.get("score")
            try:
                cvss = float(score)
            except (TypeError, ValueError):
                continue
    if severity is None:
        severity = _cvss_band(cvss) if cvss is not None else "unknown"
    epss = _to_number(db.get("epss"), file, "database_specific.epss", warnings) if "epss" in db else None
    if epss is not None and not 0 <= epss <= 1:
        warnings.append((file, "database_specific.epss", f"EPSS {epss} outside 0..1; ignored"))
        epss = None
    rows = []
    affected = doc.get("affected")
    if not isinstance(affected, list):
        warnings.append((file, "affected", "expected a list of affected packages; skipped"))
        return []
    for i, aff in enumerate(affected):
        where = f"affected[{i}]"
        pkg = aff.get("package") if isinstance(aff, dict) else None
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            warnings.append((file, f"{where}.package.name", "missing package name; skipped"))
            continue
        intervals: list[tuple[str, str, str]] = []
        fixed: list[str] = []
        ranges = aff.get("ranges") or []
        if not isinstance(ranges, list):
            warnings.append((file, f"{where}.ranges", f"expected a list of ranges, found {_short(ranges)}; ignored"))
            ranges = []
        for j, rng in enumerate(ranges):
            if not isinstance(rng, dict):
                warnings.append(
                    (file, f"{where}.ranges[{j}]", f"expected a range mapping, found {_short(rng)}; skipped")
                )
                continue
            rtype = str(rng.get("type", "")).upper()
            if rtype not in ("SEMVER", "ECOSYSTEM"):
                warnings.append(
                    (file, f"{where}.ranges[{j}].type", f"range type {rng.get('type')!r} not supported; skipped")
                )
                continue
            opened: str | None = None
            events = rng.get("events") or []
            if not isinstance(events, list):
                warnings.append(
                    (file, f"{where}.ranges[{j}].events", f"expected a list of events, found {_short(events)}; ignored")
                )
                events = []
            for ev in events:
                if not isinstance(ev, dict):
                    continue
                if "introduced" in ev:
                    if opened is not None:
                        intervals.append((opened, "", ""))
                    opened = as_text(ev["introduced"]) or "0"
                elif "fixed" in ev or "last_affected" in ev or "limit" in ev:
                    upper_fixed = as_text(ev.get("fixed", ev.get("limit"))) or ""
                    upper_last = as_text(ev.get("last_affected")) or ""
                    lo = opened if opened is not None else "0"
                    lo_v, hi_v = parse_version(lo) if lo != "0" else None, parse_version(upper_fixed or upper_last)
                    if lo_v is not None and hi_v is not None and hi_v < lo_v:
                        warnings.append(
                            (
                                file,
                                f"{where}.ranges[{j}]",
                                f"inverted range {lo} .. {upper_fixed or upper_last}; matches nothing",
                            )
                        )
                    intervals.append((lo, upper_fixed, upper_last))
                    if upper_fixed:
                        fixed.append(upper_fixed)
                    opened = None
            if opened is not None:
                intervals.append((opened, "", ""))
        versions = tuple(_str_list(aff.get("versions"), file, f"{where}.versions", warnings))
        name = pkg["name"]
        rows.append(
            {
                "advisory_id": osv_id,
                "aliases": ",".join(_str_list(doc.get("aliases"), file, "aliases", warnings)),
                "package": aliases.get(name.lower(), name),
                "ecosystem": pkg.get("ecosystem") if isinstance(pkg.get("ecosystem"), str) else "",
                "summary": _to_str(doc.get("summary"), file, "summary", warnings) or "",
                S.SEVERITY: severity,
                "cvss": cvss,
                "epss": epss,
                "intervals": tuple(intervals),
                "versions": versions,
                "fixed": ",".join(fixed),
                "published": parse_timestamp(doc.get("published")),
                S.FILE: file,
            }
        )
    return rows


# --- drift reports -----------------------------------------------------------------------------


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression node, read from the syntax tree (nothing is evaluated).

    Examples
    --------
    >>> _literal(ast.parse("('a', [1, -2.5], {'k': None})", mode="eval").body)
    ('a', [1, -2.5], {'k': None})
    >>> _literal(ast.parse("f(1)", mode="eval").body)
    Traceback (most recent call last):
    ...
    ValueError: Call is not a literal
    """
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Set):
        return {_literal(e) for e in node.elts}
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True)}
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float, complex)
    ):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    raise ValueError(f"{type(node).__name__} is not a literal")


def parse_repr_issue(text: str) -> dict[str, Any]:
    """Parse ``DriftIssue(key='value', ...)`` without executing anything.

    Only keyword arguments whose values are Python literals are accepted.

    Raises
    ------
    ValueError
        The text is not a call with literal keyword arguments.

    Examples
    --------
    >>> parse_repr_issue("DriftIssue(type='x', severity='low')")["severity"]
    'low'
    >>> parse_repr_issue("DriftIssue(type=__import__('os').system('id'))")
    Traceback (most recent call last):
    ...
    ValueError: keyword 'type' is not a literal
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"not a DriftIssue(...) repr: {err.msg}") from None
    except (MemoryError, RecursionError):
        raise ValueError("not a DriftIssue(...) repr: nested too deeply") from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError("not a DriftIssue(...) repr")
    if call.args:
        raise ValueError("positional arguments are not supported")
    out: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError("**kwargs are not supported")
        try:
            out[kw.arg] = _literal(kw.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"keyword {kw.arg!r} is not a literal") from None
    return out


_PIN_IN_TEXT = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)@")
_SHARED_DEP = re.compile(r"dependency:\s*(\S+)")


def _issue_subject(kind: str, issue: Mapping[str, Any], aliases: Mapping[str, str]) -> str:
    if isinstance(issue.get("subject"), str):
        return issue["subject"]
    desc = str(issue.get("description") or "")
    current = str(issue.get("current_value", issue.get("current")) or "")
    if kind in ("spec_lag", "invalid_version", "deprecated_spec", "lock_mismatch") or kind.startswith("spec_"):
        m = _PIN_IN_TEXT.search(desc)
        return m.group(1) if m else ""
    if kind in ("unknown_event",):
        return current
    if kind == "shared_dependency":
        m = _SHARED_DEP.search(desc)
        name = m.group(1) if m else ""
        return aliases.get(name.lower(), name)
    return ""


def _refine_spec_lag(current: str, expected: str) -> str:
    cur, exp = parse_version(current), parse_version(expected)
    if cur is None or exp is None or exp <= cur:
        return "spec_lag"
    if exp.major != cur.major:
        return "spec_major_lag"
    if exp.minor != cur.minor:
        return "spec_minor_lag"
    return "spec_patch_lag"


def parse_drift_report(
    doc: Any,
    file: str,
    warnings: WarnList,
    *,
    report_time: pd.Timestamp | None = None,
    aliases: Mapping[str, str] | None = None,
) -> list[dict]:
    """Rows of one drift report (platform or meta254), one per issue per service.

    Parameters
    ----------
    doc : dict
        The report.
    file : str
        Its file name (becomes the ``report`` column).
    report_time : Timestamp, optional
        Used when ``metadata.generated_at`` is absent (e.g. from the file name).

    Examples
    --------
    >>> rows = parse_drift_report({"metadata": {"generated_at": "2025-10-10T17:39:11Z"}, "issues": [
    ...     "DriftIssue(type='shared_dependency', severity='moderate', service='a, b', "
    ...     "description='Shared external dependency: kafka used by 2 services')"]}, "r.json", [])
    >>> [(r["service"], r["severity"], r["subject"], r["source_issue"]) for r in rows]
    [('a', 'medium', 'kafka', 'r.json#0'), ('b', 'medium', 'kafka', 'r.json#0')]
    """
    aliases = dict(DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases)
    if not isinstance(doc, dict):
        raise InputError(file, "", "a drift report mapping with `metadata` and `issues`", _short(doc))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    when = parse_timestamp(meta.get("generated_at")) or report_time
    if when is None:
        warnings.append((file, "metadata.generated_at", "no report time in metadata or file name; report skipped"))
        return []
    issues = doc.get("issues")
    if issues is None:
        warnings.append((file, "issues", "no `issues` section; read as a report with no issues"))
        issues = []
    if not isinstance(issues, list):
        warnings.append((file, "issues", f"expected a list, found {_short(issues)}; report skipped"))
        return []
    source = "meta254" if str(meta.get("generator", "")).startswith("meta254") else "platform"
    rows = []
    for i, item in enumerate(issues):
        where = f"issues[{i}]"
        if isinstance(item, str):
            try:
                issue = parse_repr_issue(item)
            except ValueError as err:
                warnings.append((file, where, f"unreadable issue ({err}); skipped"))
                continue
        elif isinstance(item, dict):
            issue = item
        else:
            warnings.append((file, where, f"expected an issue mapping or repr string, found {_short(item)}; skipped"))
            continue
        raw_type = issue.get("type")
        if not isinstance(raw_type, str) or not raw_type:
            warnings.append((file, f"{where}.type", "missing drift type; skipped"))
            continue
        kind = DRIFT_TYPE_ALIASES.get(raw_type, raw_type)
        current = (
            _to_str(issue.get("current_value", issue.get("current")), file, f"{where}.current_value", warnings) or ""
        )
        expected = (
            _to_str(issue.get("expected_value", issue.get("expected")), file, f"{where}.expected_value", warnings) or ""
        )
        if kind == "spec_lag":
            kind = _refine_spec_lag(current, expected)
        raw_sev = issue.get("severity")
        severity = normalise_severity(raw_sev)
        if severity is None:
            warnings.append((file, f"{where}.severity", f"unknown severity {_short(raw_sev)}; kept as unknown"))
        services = issue.get("service")
        if not isinstance(services, str) or not services.strip():
            warnings.append((file, f"{where}.service", f"expected a service name, found {_short(services)}; skipped"))
            continue
        subject = _issue_subject(raw_type if raw_type == "shared_dependency" else kind, issue, aliases)
        exempt = issue.get("exempt") if isinstance(issue.get("exempt"), bool) else None
        for svc in [s.strip() for s in services.split(",") if s.strip()]:
            rows.append(
                {
                    "report": file.rsplit("/", 1)[-1],
                    "report_time": when,
                    "source": source,
                    "source_issue": f"{file.rsplit('/', 1)[-1]}#{i}",
                    "issue_id": issue.get("id")
                    if isinstance(issue.get("id"), str) and "," not in services
                    else drift_issue_id(svc, kind, subject),
                    S.SERVICE: svc,
                    "type": kind,
                    "raw_type": raw_type,
                    S.SEVERITY: severity,
                    "raw_severity": as_text(raw_sev) if not isinstance(raw_sev, (dict, list)) else _short(raw_sev),
                    "subject": subject,
                    "current": current,
                    "expected": expected,
                    "description": _to_str(issue.get("description"), file, f"{where}.description", warnings) or "",
                    "remediation": _to_str(issue.get("remediation"), file, f"{where}.remediation", warnings) or "",
                    "exempt": exempt,
                }
            )
    return rows


# --- quality snapshots -------------------------------------------------------------------------

_METRIC_KEYS = {
    "coverage": ("coverage",),
    "lint_pass": ("lint_pass",),
    "critical_vulns": ("critical_vulns", "open_critical_vulns", "vuln_critical"),
    "high_vulns": ("high_vulns", "open_high_vulns", "vuln_high"),
    "policy_failures": ("policy_failures",),
    "policy_warnings": ("policy_warnings",),
    "build_success_rate": ("build_success_rate",),
    "signed_images": ("signed_images",),
    "sbom_present": ("sbom_present",),
    "deployment_freshness_days": ("deployment_freshness_days",),
    "drift_issues": ("drift_issues",),
    "unit_pass": ("unit_pass",),
    "integration_pass": ("integration_pass",),
    "contract_pass": ("contract_pass",),
    "performance_pass": ("performance_pass",),
}
_BOOL_METRICS = {
    "lint_pass",
    "signed_images",
    "sbom_present",
    "unit_pass",
    "integration_pass",
    "contract_pass",
    "performance_pass",
}
_COUNT_METRICS = {"critical_vulns", "high_vulns", "policy_failures", "policy_warnings", "drift_issues"}


def parse_quality_snapshot(
    doc: Any,
    file: str,
    warnings: WarnList,
    *,
    snapshot_time: pd.Timestamp | None = None,
) -> list[dict]:
    """Rows (one per service) of a quality snapshot in any of the three shapes.

    Shapes: ``snapshot`` (what compute_quality writes: nested ``metrics``), ``readme`` (flat
    ``coverage, lint_pass, vuln_critical, score``) and ``schema`` (flat ``open_critical_vulns`` ...).
    Scores outside 0..100 are dropped with a warning.

    Examples
    --------
    >>> rows = parse_quality_snapshot({"generated_at": "2025-01-01T00:00:00Z",
    ...     "services": {"a": {"coverage": 0.8, "vuln_critical": 1, "score": 77}}}, "q.json", [])
    >>> rows[0]["shape"], rows[0]["critical_vulns"], rows[0]["score"]
    ('readme', 1, 77.0)
    """
    if not isinstance(doc, dict):
        raise InputError(file, "", "a quality snapshot mapping with `services`", _short(doc))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    when = (
        parse_timestamp(meta.get("generated_at"))
        or parse_timestamp(doc.get("generated_at"))
        or parse_timestamp(meta.get("computed_at"))
        or snapshot_time
    )
    if when is None:
        warnings.append((file, "metadata.generated_at", "no snapshot time in metadata or file name; skipped"))
        return []
    services = doc.get("services")
    if isinstance(services, list):
        by_name: dict[Any, Any] = {}
        for i, s in enumerate(services):
            if not isinstance(s, dict):
                continue
            name = s.get("name", s.get("service"))
            if isinstance(name, (list, dict, set)):  # not usable as a key, let alone as a service name
                found = f"expected a service name, found {_short(name)}; skipped"
                warnings.append((file, f"services[{i}].name", found))
                continue
            by_name[name] = s
        services = by_name
    if not isinstance(services, dict):
        warnings.append(
            (file, "services", f"expected a mapping of service to scores, found {_short(services)}; skipped")
        )
        return []
    rows = []
    for name, body in services.items():
        where = f"services.{name}"
        if not isinstance(name, str) or not isinstance(body, dict):
            warnings.append((file, where, "expected a service mapping; skipped"))
            continue
        if isinstance(body.get("metrics"), dict):
            shape, metrics = "snapshot", body["metrics"]
            mwhere = f"{where}.metrics"
        else:
            shape = "readme" if ("vuln_critical" in body or "vuln_high" in body) else "schema"
            metrics, mwhere = body, where
        row: dict[str, Any] = {
            "snapshot": file.rsplit("/", 1)[-1],
            "snapshot_time": when,
            "shape": shape,
            S.SERVICE: name,
        }
        if body.get("score") is None:
            warnings.append((file, f"{where}.score", "no score recorded; the score is unknown for this snapshot"))
        score = _to_number(body.get("score"), file, f"{where}.score", warnings)
        if score is not None and not 0 <= score <= 100:
            warnings.append((file, f"{where}.score", f"score {score:g} outside 0..100; ignored"))
            score = None
        row[S.SCORE] = score
        row[S.GRADE] = _to_str(body.get("grade"), file, f"{where}.grade", warnings)
        row[S.STATUS] = _to_str(body.get("status"), file, f"{where}.status", warnings)
        row[S.MATURITY] = _to_str(body.get("maturity"), file, f"{where}.maturity", warnings)
        if not any(k in metrics for keys in _METRIC_KEYS.values() for k in keys):
            warnings.append(
                (file, where, "no metrics recorded; every metric is unknown (never zero) for this snapshot")
            )
        for col, keys in _METRIC_KEYS.items():
            key = next((k for k in keys if k in metrics), None)
            value = metrics.get(key) if key else None
            field = f"{mwhere}.{key or keys[0]}"
            if col == "coverage":
                row[col] = _to_fraction(value, file, field, warnings)
            elif col in _BOOL_METRICS:
                row[col] = _to_bool(value, file, field, warnings)
            elif col in _COUNT_METRICS:
                row[col] = _to_count(value, file, field, warnings)
            else:
                row[col] = _to_number(value, file, field, warnings)
        rows.append(row)
    return rows
