"""Quality snapshots: the three snapshot shapes and the three vulnerability-count spellings.

Each snapshot is read row by row (:func:`parse_quality_snapshot`, warning about each unusual value)
or, when every value is already clean, column by column (:func:`quality_snapshot_columns`); both
give the same values and the same warnings.

Examples
--------
>>> rows = parse_quality_snapshot({"generated_at": "2025-01-01T00:00:00Z",
...     "services": {"a": {"coverage": 0.8, "vuln_critical": 1, "score": 77}}}, "q.json", [])
>>> rows[0]["shape"], rows[0]["critical_vulns"]
('readme', 1)
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from .coerce import parse_time_field, parse_timestamp, short, to_bool, to_count, to_fraction, to_number, to_str
from .yamlio import WarnList

__all__ = ["parse_quality_snapshot", "quality_snapshot_columns", "snapshot_catalog_time", "snapshot_columns"]


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
    head = _snapshot_head(doc, file, warnings, snapshot_time)
    if head is None:
        return []
    when, services, catalog_time = head
    return _snapshot_rows(services, when, catalog_time, file, warnings)


def quality_snapshot_columns(
    doc: Any,
    file: str,
    warnings: WarnList,
    *,
    snapshot_time: pd.Timestamp | None = None,
) -> tuple[pd.Timestamp | None, dict[str, list[Any]]]:
    """The snapshot time and the columns of :func:`parse_quality_snapshot` (equal values, same warnings).

    A snapshot whose every value is already clean (names, mappings, numbers in range, booleans,
    counts, text) is read column by column; any other is read row by row, warning as it goes.
    The time columns (``snapshot_time``, ``catalog_time``) are left out: every row of a snapshot
    shares them (see :func:`snapshot_catalog_time`).

    Examples
    --------
    >>> when, cols = quality_snapshot_columns({"generated_at": "2025-01-01",
    ...     "services": {"a": {"score": 90, "metrics": {"coverage": 1, "lint_pass": True}}}}, "q.json", [])
    >>> str(when), cols["shape"], cols["coverage"], cols["critical_vulns"]
    ('2025-01-01 00:00:00+00:00', ['snapshot'], [1], [None])
    """
    when, cols, _clean = snapshot_columns(doc, file, warnings, snapshot_time=snapshot_time)
    return when, cols


def snapshot_columns(
    doc: Any,
    file: str,
    warnings: WarnList,
    *,
    snapshot_time: pd.Timestamp | None = None,
) -> tuple[pd.Timestamp | None, dict[str, list[Any]], bool]:
    """:func:`quality_snapshot_columns`, and whether the columns were read column by column: then each
    holds only the Python types of its dtype (text or ``None``; ``bool`` or ``None``; ``int`` in
    0..2**63-1 or ``None``; finite ``int``/``float`` no larger than 2**53 or ``None``), so it need not
    be checked again.

    Examples
    --------
    >>> snapshot_columns({"generated_at": "2025-01-01", "services": {"a": {"score": 90,
    ...     "metrics": {"coverage": 1}}}}, "q.json", [])[2]
    True
    """
    head = _snapshot_head(doc, file, warnings, snapshot_time)
    if head is None:
        return None, {}, False
    when, services, _catalog = head
    cols = _clean_columns(services, file.rsplit("/", 1)[-1])
    if cols is not None:
        return when, cols, True
    rows = _snapshot_rows(services, when, None, file, warnings)
    return when, {c: [r[c] for r in rows] for c in _SNAPSHOT_COLUMNS}, False


def snapshot_catalog_time(doc: Any) -> pd.Timestamp | None:
    """``metadata.catalog_timestamp`` of a snapshot (the catalog it was computed from), if readable."""
    meta = doc.get("metadata") if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) else {}
    return parse_timestamp(meta.get("catalog_timestamp"))


def _snapshot_head(
    doc: Any, file: str, warnings: WarnList, snapshot_time: pd.Timestamp | None
) -> tuple[pd.Timestamp, dict, pd.Timestamp | None] | None:
    """The time, services mapping and catalog time of a snapshot; ``None`` (warned) when it has no rows."""
    if not isinstance(doc, dict):
        raise InputError(file, "", "a quality snapshot mapping with `services`", short(doc))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    when = (
        parse_time_field(meta.get("generated_at"), file, "metadata.generated_at", warnings)
        or parse_time_field(doc.get("generated_at"), file, "generated_at", warnings)
        or parse_time_field(meta.get("computed_at"), file, "metadata.computed_at", warnings)
        or snapshot_time
    )
    if when is None:
        warnings.append((file, "metadata.generated_at", "no snapshot time in metadata or file name; skipped"))
        return None
    services = _services_by_name(doc.get("services"), file, warnings)
    if not isinstance(services, dict):
        warnings.append(
            (file, "services", f"expected a mapping of service to scores, found {short(services)}; skipped")
        )
        return None
    return when, services, snapshot_catalog_time(doc)


def _snapshot_rows(
    services: dict, when: pd.Timestamp, catalog_time: pd.Timestamp | None, file: str, warnings: WarnList
) -> list[dict[str, Any]]:
    """The rows of a snapshot's services, one by one, warning about each unusual value."""
    rows = []
    for name, body in services.items():
        where = f"services.{name}"
        if not isinstance(name, str) or not isinstance(body, dict):
            warnings.append((file, where, "expected a service mapping; skipped"))
            continue
        rows.append(_snapshot_row(name, body, file.rsplit("/", 1)[-1], when, file, warnings))
    if catalog_time is not None:
        for row in rows:
            row["catalog_time"] = catalog_time
    return rows


def _services_by_name(services: Any, file: str, warnings: WarnList) -> Any:
    """A list-shaped ``services`` section as a mapping by name (entries whose name is a list or mapping warned)."""
    if not isinstance(services, list):
        return services
    by_name: dict[Any, Any] = {}
    for i, s in enumerate(services):
        if not isinstance(s, dict):
            continue
        name = s.get("name", s.get("service"))
        if isinstance(name, (list, dict, set)):  # not usable as a key, let alone as a service name
            found = f"expected a service name, found {short(name)}; skipped"
            warnings.append((file, f"services[{i}].name", found))
            continue
        by_name[name] = s
    return by_name


def _snapshot_row(
    name: str, body: Mapping[str, Any], snapshot: str, when: pd.Timestamp, file: str, warnings: WarnList
) -> dict[str, Any]:
    """The row of one service of a snapshot: its shape, score, grade, status, maturity and metrics."""
    where = f"services.{name}"
    if isinstance(body.get("metrics"), dict):
        shape, metrics = "snapshot", body["metrics"]
        mwhere = f"{where}.metrics"
    else:
        shape = "readme" if ("vuln_critical" in body or "vuln_high" in body) else "schema"
        metrics, mwhere = body, where
    row: dict[str, Any] = {"snapshot": snapshot, "snapshot_time": when, "shape": shape, S.SERVICE: name}
    if body.get("score") is None:
        warnings.append((file, f"{where}.score", "no score recorded; the score is unknown for this snapshot"))
    score = to_number(body.get("score"), file, f"{where}.score", warnings)
    if score is not None and not 0 <= score <= 100:
        warnings.append((file, f"{where}.score", f"score {score:g} outside 0..100; ignored"))
        score = None
    row[S.SCORE] = score
    row[S.GRADE] = to_str(body.get("grade"), file, f"{where}.grade", warnings)
    row[S.STATUS] = to_str(body.get("status"), file, f"{where}.status", warnings)
    row[S.MATURITY] = to_str(body.get("maturity"), file, f"{where}.maturity", warnings)
    if not any(k in metrics for keys in _METRIC_KEYS.values() for k in keys):
        warnings.append((file, where, "no metrics recorded; every metric is unknown (never zero) for this snapshot"))
    return row | _metric_values(metrics, mwhere, file, warnings)


def _metric_values(metrics: Mapping[str, Any], mwhere: str, file: str, warnings: WarnList) -> dict[str, Any]:
    """The metric columns of a snapshot row, each read under its first spelling present."""
    row: dict[str, Any] = {}
    for col, keys in _METRIC_KEYS.items():
        key = next((k for k in keys if k in metrics), None)
        value = metrics.get(key) if key else None
        field = f"{mwhere}.{key or keys[0]}"
        if col == "coverage":
            row[col] = to_fraction(value, file, field, warnings)
        elif col in _BOOL_METRICS:
            row[col] = to_bool(value, file, field, warnings)
        elif col in _COUNT_METRICS:
            row[col] = to_count(value, file, field, warnings)
        else:
            row[col] = to_number(value, file, field, warnings)
    return row


# --- the column-by-column reading of clean snapshots ------------------------------------------------

#: The columns :func:`quality_snapshot_columns` returns (all but the two time columns).
_SNAPSHOT_COLUMNS = tuple(c for c in S.QUALITY_HISTORY.columns if c not in ("snapshot_time", "catalog_time"))
_ALL_METRIC_KEYS = frozenset(k for keys in _METRIC_KEYS.values() for k in keys)
#: Integers a float holds exactly (larger ones are left to the row-by-row reading).
_EXACT_INT = 2**53
_NONE = type(None)


def _clean_values(values: list[Any], kind: str) -> list[Any] | None:
    """``values`` when the row-by-row reading would accept each silently and unchanged; else ``None``.

    (A whole number in a float column is kept as an ``int``: the column holds it as the same float.)

    ``kind`` is ``text``, ``bool``, ``count``, ``fraction`` (0..1), ``number`` or ``score`` (0..100,
    never missing). Types are checked exactly (``True`` is no number, a ``dict`` subclass no text),
    then ranges; a NaN anywhere makes the sum NaN, and such a column is left to the row-by-row reading.

    Examples
    --------
    >>> _clean_values([1, 0.5, None], "fraction"), _clean_values([True, 2], "count")
    ([1, 0.5, None], None)
    """
    types = set(map(type, values))
    if kind == "text":
        return values if types <= {str, _NONE} else None
    if kind == "bool":
        return values if types <= {bool, _NONE} else None
    if kind == "count":
        ints = [v for v in values if v is not None] if _NONE in types else values
        ok = types <= {int, _NONE} and (not ints or (min(ints) >= 0 and max(ints) <= 2**63 - 1))
        return values if ok else None
    if not types <= ({int, float} if kind == "score" else {int, float, _NONE}):
        return None
    present = [v for v in values if v is not None] if _NONE in types else values
    if present:
        low, high = {"score": (0, 100), "fraction": (0, 1)}.get(kind, (-_EXACT_INT, _EXACT_INT))
        if min(present) < low or max(present) > high:  # (a NaN may slip through min and max ...)
            return None
        try:
            total = sum(present)
        except OverflowError:  # ... next to an integer too large for a float
            return None
        if total != total:  # ... but not through the sum
            return None
    return values  # ints stay ints: a Float64 column holds them as the same floats


def _first_spelling(metrics: list[dict[str, Any]], keys: tuple[str, ...]) -> list[Any]:
    """Per service, the value under the first of ``keys`` present (``None`` when none is)."""
    values = [m.get(keys[-1]) for m in metrics]
    for key in reversed(keys[:-1]):
        values = [m[key] if key in m else v for m, v in zip(metrics, values, strict=True)]
    return values


_KINDS = {"coverage": "fraction"} | dict.fromkeys(_BOOL_METRICS, "bool") | dict.fromkeys(_COUNT_METRICS, "count")


class _Fields:
    """The values under each key of a list of mappings; transposed in one pass when every mapping has
    the same keys (what a snapshot writer gives), else read mapping by mapping.

    Examples
    --------
    >>> f = _Fields([{"a": 1, "b": 2}, {"b": 3, "a": 4}])
    >>> f.keys_everywhere() == {"a", "b"}, f.get("a"), f.get("c")
    (True, [1, 4], [None, None])
    >>> _Fields([{"a": 1, "b": 2}, {"a": 3, "c": 4}]).keys_everywhere() is None
    True
    """

    __slots__ = ("by_key", "rows")

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.by_key: dict[str, tuple[Any, ...]] | None = None
        keys = tuple(rows[0]) if rows else ()
        if len(keys) < 2:
            if len(set(map(tuple, rows))) == 1:
                self.by_key = dict(zip(keys, zip(*map(dict.values, rows), strict=True), strict=True)) if keys else {}
            return
        # the same number of keys, and each of the first row's present: the same keys (in any order)
        if set(map(len, rows)) == {len(keys)}:
            try:
                values = list(map(operator.itemgetter(*keys), rows))
            except KeyError:
                return
            self.by_key = dict(zip(keys, zip(*values, strict=True), strict=True))

    def keys_everywhere(self) -> frozenset[str] | None:
        """The keys, when every mapping has the same ones (``None`` otherwise)."""
        return frozenset(self.by_key) if self.by_key is not None else None

    def get(self, key: str) -> list[Any]:
        """Per mapping, its value under ``key`` (``None`` where absent)."""
        if self.by_key is None:
            return [r.get(key) for r in self.rows]
        got = self.by_key.get(key)
        return list(got) if got is not None else [None] * len(self.rows)

    def first(self, keys: tuple[str, ...]) -> list[Any]:
        """Per mapping, its value under the first of ``keys`` it has (``None`` when none)."""
        if self.by_key is None:
            return _first_spelling(self.rows, keys)
        return self.get(next((k for k in keys if k in self.by_key), keys[0]))


def _metric_fields(bodies: _Fields) -> tuple[_Fields, list[str]] | None:
    """Where each service's metrics are (nested ``metrics``, else the body itself) and its shape;
    ``None`` for what only the row-by-row reading handles (a dict subclass, a service without metrics)."""
    nested = bodies.get("metrics")
    kinds = set(map(type, nested))
    n = len(nested)
    if kinds == {dict}:
        metrics = _Fields(nested)
        shapes = ["snapshot"] * n
    elif dict not in kinds and not any(isinstance(m, dict) for m in nested):
        metrics = bodies
        keys = bodies.keys_everywhere()
        if keys is not None:
            shapes = ["readme" if ("vuln_critical" in keys or "vuln_high" in keys) else "schema"] * n
        else:
            shapes = ["readme" if ("vuln_critical" in b or "vuln_high" in b) else "schema" for b in bodies.rows]
    else:
        if any(isinstance(m, dict) and type(m) is not dict for m in nested):
            return None
        rows = [m if m.__class__ is dict else b for m, b in zip(nested, bodies.rows, strict=True)]
        metrics = _Fields(rows)
        shapes = [
            "snapshot" if m is not b else ("readme" if ("vuln_critical" in b or "vuln_high" in b) else "schema")
            for m, b in zip(rows, bodies.rows, strict=True)
        ]
    keys = metrics.keys_everywhere()
    if (keys is not None and n and keys.isdisjoint(_ALL_METRIC_KEYS)) or (
        keys is None and any(_ALL_METRIC_KEYS.isdisjoint(m) for m in metrics.rows)
    ):
        return None
    return metrics, shapes


def _clean_columns(services: dict, snapshot: str) -> dict[str, list[Any]] | None:
    """The columns of a snapshot none of whose values would be warned about; ``None`` for any other.

    Each check is exactly the condition under which the row-by-row reading (:func:`_snapshot_row`)
    accepts a value silently and unchanged (up to ``int`` -> ``float`` in float columns).
    """
    names = list(services)
    rows = list(services.values())
    if not set(map(type, names)) <= {str} or not set(map(type, rows)) <= {dict}:
        return None
    bodies = _Fields(rows)
    got = _metric_fields(bodies)
    if got is None:
        return None
    metrics, shapes = got
    cols: dict[str, list[Any] | None] = {"snapshot": [snapshot] * len(names), S.SERVICE: names, "shape": shapes}
    cols[S.SCORE] = _clean_values(bodies.get("score"), "score")
    for col in (S.GRADE, S.STATUS, S.MATURITY):
        cols[col] = _clean_values(bodies.get(col), "text")
    for col, keys in _METRIC_KEYS.items():
        cols[col] = _clean_values(metrics.first(keys), _KINDS.get(col, "number"))
    if any(v is None for v in cols.values()):
        return None
    return {c: cols[c] for c in _SNAPSHOT_COLUMNS}  # type: ignore[misc]
