"""Collected artifacts: service manifests, lock files, the spec registry and OSV advisories.

Each ``parse_*`` function takes an already-decoded document, the file name for messages and a
warnings list, and returns records or a frame; none touches the file system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from ..core.settings import DEFAULT_EXTERNAL_ALIASES
from ..core.versions import fits_int64, parse_version
from .coerce import parse_timestamp, short, str_list, to_number, to_str
from .yamlio import WarnList, as_text

__all__ = ["parse_advisory", "parse_lockfile", "parse_manifest", "parse_spec_registry"]


def parse_manifest(doc: Any, file: str, warnings: WarnList) -> dict | None:
    """A collected manifest as a mapping; ``None`` (warned) when it is not one.

    Examples
    --------
    >>> parse_manifest(["x"], "m.yaml", w := []), w[0][2]
    (None, "expected a service manifest mapping, found list ['x']; skipped")
    """
    if not isinstance(doc, dict):
        found = short(doc) if doc is not None else "an empty file"
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
            warnings.append((file, f"dependencies.{spec}", f"expected a mapping, found {short(body)}; skipped"))
            continue
        rows.append(
            {
                S.SERVICE: service,
                S.SPEC: str(spec),
                S.VERSION: to_str(body.get("version"), file, f"dependencies.{spec}.version", warnings),
                "resolved_at": parse_timestamp(body.get("resolved_at")),
                "integrity": to_str(body.get("integrity"), file, f"dependencies.{spec}.integrity", warnings),
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
        raise InputError(file, "", "a mapping of spec name to {latest_version | versions}", short(doc))
    rows = []
    for spec in sorted(doc):
        body = doc[spec]
        if not isinstance(body, dict):
            warnings.append((file, str(spec), f"expected a mapping, found {short(body)}; skipped"))
            continue
        description = to_str(body.get("description"), file, f"{spec}.description", warnings) or ""
        deprecated = set(str_list(body.get("deprecated"), file, f"{spec}.deprecated", warnings))
        removed = set(str_list(body.get("removed"), file, f"{spec}.removed", warnings))
        versions = _spec_versions(body.get("versions"), str(spec), file, warnings)
        latest = to_str(body.get("latest_version"), file, f"{spec}.latest_version", warnings)
        if latest is not None and parse_version(latest) is None:
            warnings.append((file, f"{spec}.latest_version", f"{short(latest)} is not a semantic version; ignored"))
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
            parts = fits_int64(sv)
            if not parts:
                where = f"{spec}.latest_version" if text == str(body.get("latest_version")) else f"{spec}.versions"
                warnings.append(
                    (file, where, f"{short(text)}: a version part is beyond int64 (2^63 or more); kept as text")
                )
            rows.append(
                {
                    S.SPEC: str(spec),
                    S.VERSION: text,
                    S.MAJOR: sv.major if parts else None,
                    S.MINOR: sv.minor if parts else None,
                    S.PATCH: sv.patch if parts else None,
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


def _spec_versions(raw_versions: Any, spec: str, file: str, warnings: WarnList) -> dict[str, dict]:
    """Version text -> ``{release_date, changes}`` of a registry entry's ``versions`` list (unusable items warned)."""
    versions: dict[str, dict] = {}
    if raw_versions is not None and not isinstance(raw_versions, list):
        warnings.append((file, f"{spec}.versions", f"expected a list, found {short(raw_versions)}; ignored"))
        raw_versions = []
    for i, item in enumerate(raw_versions or []):
        if isinstance(item, str):
            item = {"version": item}
        if not isinstance(item, dict):
            warnings.append((file, f"{spec}.versions[{i}]", "expected {version, release_date, changes}; skipped"))
            continue
        text = to_str(item.get("version"), file, f"{spec}.versions[{i}].version", warnings)
        if not text:
            warnings.append((file, f"{spec}.versions[{i}].version", "missing version; skipped"))
            continue
        parsed = parse_version(text)
        if parsed is None:
            warnings.append(
                (file, f"{spec}.versions[{i}].version", f"{short(text)} is not a semantic version; skipped")
            )
            continue
        if parsed.note:
            warnings.append((file, f"{spec}.versions[{i}].version", f"{parsed.note}; kept as written"))
        date = parse_timestamp(item.get("release_date"))
        if item.get("release_date") is not None and date is None:
            warnings.append((file, f"{spec}.versions[{i}].release_date", "expected a date; ignored"))
        changes = str_list(item.get("changes"), file, f"{spec}.versions[{i}].changes", warnings)
        if item.get("breaking") is True and "breaking" not in changes:
            changes.append("breaking")
        versions[text] = {"release_date": date, "changes": ",".join(sorted(set(changes)))}
    return versions


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
    db = doc.get("database_specific") if isinstance(doc.get("database_specific"), dict) else {}
    severity, cvss = _osv_severity(doc, db, file, warnings)
    epss = _osv_epss(db, file, warnings)
    affected = doc.get("affected")
    if not isinstance(affected, list):
        warnings.append((file, "affected", "expected a list of affected packages; skipped"))
        return []
    rows = []
    for i, aff in enumerate(affected):
        where = f"affected[{i}]"
        pkg = aff.get("package") if isinstance(aff, dict) else None
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            warnings.append((file, f"{where}.package.name", "missing package name; skipped"))
            continue
        intervals, fixed = _affected_ranges(aff.get("ranges") or [], where, file, warnings)
        versions = tuple(str_list(aff.get("versions"), file, f"{where}.versions", warnings))
        name = pkg["name"]
        rows.append(
            {
                "advisory_id": doc["id"],
                "aliases": ",".join(str_list(doc.get("aliases"), file, "aliases", warnings)),
                "package": aliases.get(name.lower(), name),
                "ecosystem": pkg.get("ecosystem") if isinstance(pkg.get("ecosystem"), str) else "",
                "summary": to_str(doc.get("summary"), file, "summary", warnings) or "",
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


def _osv_severity(
    doc: Mapping[str, Any], db: Mapping[str, Any], file: str, warnings: WarnList
) -> tuple[str, float | None]:
    """``(severity, cvss)`` of an OSV record: its database severity, else the band of its last CVSS score."""
    severity = _OSV_SEVERITY.get(str(db.get("severity", "")).upper())
    cvss = None
    scores = doc.get("severity") or []
    if not isinstance(scores, list):
        warnings.append((file, "severity", f"expected a list of {{type, score}}, found {short(scores)}; ignored"))
        scores = []
    for entry in scores:
        if isinstance(entry, dict):
            score = entry.get("score")
            try:
                cvss = float(score)
            except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
                continue
    if severity is None:
        severity = _cvss_band(cvss) if cvss is not None else "unknown"
    return severity, cvss


def _osv_epss(db: Mapping[str, Any], file: str, warnings: WarnList) -> float | None:
    """The EPSS probability of ``database_specific``; a value outside 0..1 is ignored (warned)."""
    epss = to_number(db.get("epss"), file, "database_specific.epss", warnings) if "epss" in db else None
    if epss is not None and not 0 <= epss <= 1:
        warnings.append((file, "database_specific.epss", f"EPSS {epss} outside 0..1; ignored"))
        epss = None
    return epss


def _affected_ranges(
    ranges: Any, where: str, file: str, warnings: WarnList
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``(intervals, fixed versions)`` of an affected package's ``SEMVER``/``ECOSYSTEM`` ranges."""
    intervals: list[tuple[str, str, str]] = []
    fixed: list[str] = []
    if not isinstance(ranges, list):
        warnings.append((file, f"{where}.ranges", f"expected a list of ranges, found {short(ranges)}; ignored"))
        ranges = []
    for j, rng in enumerate(ranges):
        if not isinstance(rng, dict):
            warnings.append((file, f"{where}.ranges[{j}]", f"expected a range mapping, found {short(rng)}; skipped"))
            continue
        rtype = str(rng.get("type", "")).upper()
        if rtype not in ("SEMVER", "ECOSYSTEM"):
            warnings.append(
                (file, f"{where}.ranges[{j}].type", f"range type {rng.get('type')!r} not supported; skipped")
            )
            continue
        events = rng.get("events") or []
        if not isinstance(events, list):
            warnings.append(
                (file, f"{where}.ranges[{j}].events", f"expected a list of events, found {short(events)}; ignored")
            )
            events = []
        got, got_fixed = _range_intervals(events, f"{where}.ranges[{j}]", file, warnings)
        intervals.extend(got)
        fixed.extend(got_fixed)
    return intervals, fixed


def _range_intervals(
    events: list[Any], where: str, file: str, warnings: WarnList
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Pair a range's events in order: ``introduced`` opens an interval that ``fixed``/``last_affected`` closes."""
    intervals: list[tuple[str, str, str]] = []
    fixed: list[str] = []
    opened: str | None = None
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
                warnings.append((file, where, f"inverted range {lo} .. {upper_fixed or upper_last}; matches nothing"))
            intervals.append((lo, upper_fixed, upper_last))
            if upper_fixed:
                fixed.append(upper_fixed)
            opened = None
    if opened is not None:
        intervals.append((opened, "", ""))
    return intervals, fixed
