"""History files: drift reports (including issues written as Python repr strings) and quality snapshots.

Quirks of the real formats handled here (see the project README, "Workspace"):

- drift issues written as Python repr strings (``"DriftIssue(type='spec_lag', ...)"``) are parsed with
  :mod:`ast` and read node by node (constants, tuples, lists, dicts, sets, signed numbers); nothing
  is ever evaluated, and anything that is not such a literal is refused;
- a shared-dependency issue's comma-joined ``service`` is exploded to one row per service;
- severity ``moderate`` becomes ``medium``; ``error`` is kept (an invalid-version marker);
- a ``spec_lag`` issue is refined to its major/minor/patch kind (:func:`meta254lib.core.versions.lag_kind`);
- the three quality-snapshot shapes and the three vulnerability-count spellings.

Examples
--------
>>> parse_repr_issue("DriftIssue(type='spec_lag', severity='low', service='gateway')")
{'type': 'spec_lag', 'severity': 'low', 'service': 'gateway'}
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from ..core.ids import DRIFT_TYPE_ALIASES, drift_issue_id, normalise_severity
from ..core.settings import DEFAULT_EXTERNAL_ALIASES
from ..core.versions import lag_kind
from .coerce import parse_time_field, parse_timestamp, short, to_bool, to_count, to_fraction, to_number, to_str
from .yamlio import WarnList, as_text

__all__ = ["parse_drift_report", "parse_quality_snapshot", "parse_repr_issue"]


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


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: A keyword argument whose value is a plain single-quoted text: no backslash, quote, control
#: character or surrogate, so the text between the quotes is the value, exactly.
_PLAIN_ARG = rf"({_NAME})='([^'\\\x00-\x1f\x7f\ud800-\udfff]*)'"
_PLAIN_CALL = re.compile(rf"({_NAME})\((?:{_PLAIN_ARG}(?:, {_PLAIN_ARG})*)?\)")
_PLAIN_ARGS = re.compile(_PLAIN_ARG)


def _simple_repr(text: str) -> dict[str, str] | None:
    """The keywords of ``Name(key='text', ...)`` when every value is plain text; ``None`` for anything else.

    What the platform writes is almost always this simple form; it reads the same as
    :func:`parse_repr_issue`'s syntax-tree walk, ~20x faster. Anything else (escapes, other
    literals, Python keywords as names, a repeated keyword) is left to the syntax tree.

    Examples
    --------
    >>> _simple_repr("DriftIssue(type='spec_lag', service='a, b')")
    {'type': 'spec_lag', 'service': 'a, b'}
    >>> _simple_repr("DriftIssue(type='it\\'s')") is None, _simple_repr("DriftIssue(if='x')") is None
    (True, True)
    """
    m = _PLAIN_CALL.fullmatch(text)
    if m is None or keyword.iskeyword(m.group(1)):
        return None
    pairs = _PLAIN_ARGS.findall(text, m.end(1) + 1, len(text) - 1)
    out = dict(pairs)
    if len(out) != len(pairs) or any(keyword.iskeyword(k) for k in out):
        return None
    return out


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
    simple = _simple_repr(text.strip())
    if simple is not None:
        return simple
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


class HistoryMemo:
    """What one history load parses once and reuses: repr issues, spec-lag kinds and issue ids by value.

    A year of weekly reports repeats most issues week after week (at fleet scale, ~156,000 repr
    strings hold ~28,000 distinct ones); each distinct value is worked out once per load.

    Examples
    --------
    >>> memo = HistoryMemo()
    >>> memo.spec_lag("1.0.0", "2.0.0"), len(memo.lags)
    ('spec_major_lag', 1)
    """

    __slots__ = ("aliases", "done", "ids", "into", "issues", "lags")

    def __init__(self) -> None:
        self.issues: dict[str, tuple[dict[str, Any] | None, str]] = {}
        self.lags: dict[tuple[str, str], str] = {}
        self.ids: dict[tuple[str, str, str], str] = {}
        self.done: dict[Any, Any] = {}
        self.aliases: dict[str, str] | None = None
        self.into: object = None

    def begin(self, aliases: dict[str, str], into: object) -> None:
        """Forget the issues worked out with other aliases or for other columns (records are theirs)."""
        if aliases != self.aliases or into is not self.into:
            self.done.clear()
            self.aliases, self.into = aliases, into

    def repr_issue(self, text: str) -> tuple[dict[str, Any] | None, str]:
        """:func:`parse_repr_issue` of ``text`` (read-only mapping, or None and the reason it is refused)."""
        got = self.issues.get(text)
        if got is None:
            try:
                got = (parse_repr_issue(text), "")
            except ValueError as err:
                got = (None, str(err))
            self.issues[text] = got
        return got

    def spec_lag(self, current: str, expected: str) -> str:
        """``spec_major_lag``/``spec_minor_lag``/``spec_patch_lag`` by :func:`~meta254lib.core.versions.lag_kind`."""
        got = self.lags.get((current, expected))
        if got is None:
            kind = lag_kind(current, expected)
            got = self.lags[(current, expected)] = f"spec_{kind}_lag" if kind is not None else "spec_lag"
        return got

    def issue_id(self, service: str, kind: str, subject: str) -> str:
        """:func:`~meta254lib.core.ids.drift_issue_id` of one (service, type, subject)."""
        key = (service, kind, subject)
        got = self.ids.get(key)
        if got is None:
            got = self.ids[key] = drift_issue_id(service, kind, subject)
        return got


#: Columns every row of one issue shares, in the order of :attr:`DriftColumns.records` tuples.
RECORD_COLUMNS = (
    "type",
    "raw_type",
    S.SEVERITY,
    "raw_severity",
    "subject",
    "current",
    "expected",
    "description",
    "remediation",
    "exempt",
)
_HASHABLE_VALUES = {str, bool, type(None)}


class DriftColumns:
    """The drift-history rows of any number of reports, held as columns of codes.

    Each distinct issue (its :data:`RECORD_COLUMNS` values, its services and ids) is worked out once
    and kept in :attr:`records`; a row holds the index of its record (:attr:`row_record`), of its
    issue (:attr:`row_issue`, into :attr:`issues`, the ``source_issue`` texts, and :attr:`positions`,
    the issue's index in its report), its service and issue id. Reports are runs of rows
    (:attr:`reports`: name, source, time, row count).

    Examples
    --------
    >>> cols = DriftColumns()
    >>> drift_report_columns({"metadata": {"generated_at": "2025-10-10"}, "issues": [
    ...     {"type": "spec_lag", "severity": "low", "service": "a, b"}]}, "r.json", [], into=cols)
    2
    >>> cols.row_service, cols.issues, cols.reports[0][3]
    (['a', 'b'], ['r.json#0'], 2)
    """

    __slots__ = ("issues", "positions", "records", "reports", "row_id", "row_issue", "row_record", "row_service")

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.issues: list[str] = []
        self.positions: list[int] = []
        self.reports: list[tuple[str, str, pd.Timestamp, int]] = []
        self.row_record: list[int] = []
        self.row_issue: list[int] = []
        self.row_service: list[str] = []
        self.row_id: list[str] = []

    def __len__(self) -> int:
        return len(self.row_service)

    def rows(self) -> list[dict[str, Any]]:
        """The rows as mappings in schema order, report by report, issue by issue."""
        out = []
        runs = iter(self.reports)
        report, source, when, left = "", "", None, 0
        for k, svc in enumerate(self.row_service):
            while not left:
                report, source, when, left = next(runs)
            left -= 1
            row = {"report": report, "report_time": when, "source": source}
            row |= {"source_issue": self.issues[self.row_issue[k]], "issue_id": self.row_id[k], S.SERVICE: svc}
            row |= dict(zip(RECORD_COLUMNS, self.records[self.row_record[k]], strict=True))
            out.append({c: row[c] for c in S.DRIFT_HISTORY.columns})
        return out


class _Issue:
    """What an issue adds to every row of its own: record index, services and their ids."""

    __slots__ = ("ids", "record", "services")

    def __init__(self, record: int, services: list[str], ids: list[str]) -> None:
        self.record, self.services, self.ids = record, services, ids


def parse_drift_report(
    doc: Any,
    file: str,
    warnings: WarnList,
    *,
    report_time: pd.Timestamp | None = None,
    aliases: Mapping[str, str] | None = None,
) -> list[dict]:
    """Rows of one drift report (platform or meta254), one per issue per service.

    The rows of :func:`drift_report_columns`, as mappings.

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
    cols = DriftColumns()
    drift_report_columns(doc, file, warnings, report_time=report_time, aliases=aliases, into=cols)
    return cols.rows()


def drift_report_columns(
    doc: Any,
    file: str,
    warnings: WarnList,
    *,
    into: DriftColumns,
    report_time: pd.Timestamp | None = None,
    aliases: Mapping[str, str] | None = None,
    memo: HistoryMemo | None = None,
) -> int:
    """Append the rows of one drift report to ``into``; the number of rows added.

    Raises :class:`~meta254lib.core.errors.InputError` when ``doc`` is not a mapping; any other
    defect is a warning (in the order the issues are written) and skips what it concerns.
    ``memo`` shares what is worked out per distinct issue between the reports of one load.
    """
    aliases = dict(DEFAULT_EXTERNAL_ALIASES if aliases is None else aliases)
    memo = memo if memo is not None else HistoryMemo()
    if not isinstance(doc, dict):
        raise InputError(file, "", "a drift report mapping with `metadata` and `issues`", short(doc))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    when = parse_time_field(meta.get("generated_at"), file, "metadata.generated_at", warnings) or report_time
    if when is None:
        warnings.append((file, "metadata.generated_at", "no report time in metadata or file name; report skipped"))
        return 0
    issues = doc.get("issues")
    if issues is None:
        warnings.append((file, "issues", "no `issues` section; read as a report with no issues"))
        issues = []
    if not isinstance(issues, list):
        warnings.append((file, "issues", f"expected a list, found {short(issues)}; report skipped"))
        return 0
    source = "meta254" if str(meta.get("generator", "")).startswith("meta254") else "platform"
    before = len(into)
    report = file.rsplit("/", 1)[-1]
    memo.begin(aliases, into)
    for i, item in enumerate(issues):
        key = _issue_key(item)
        got = memo.done.get(key) if key is not None else None
        if got is None:
            n_warn = len(warnings)
            issue = _read_issue(item, f"issues[{i}]", file, warnings, memo)
            got = _work_out(issue, i, file, aliases, memo, into, warnings) if issue is not None else None
            if key is not None and got is not None and len(warnings) == n_warn:
                memo.done[key] = got  # what it gives depends on nothing but its content (and the aliases)
            if got is None:
                continue
        n = len(got.services)
        if not n:
            continue
        into.issues.append(f"{report}#{i}")
        into.positions.append(i)
        into.row_service.extend(got.services)
        into.row_id.extend(got.ids)
        into.row_record.extend([got.record] * n)
        into.row_issue.extend([len(into.issues) - 1] * n)
    added = len(into) - before
    into.reports.append((report, source, when, added))
    return added


def _issue_key(item: Any) -> Any:
    """A key equal only for issues that give the same rows (``None`` when there is no safe one).

    A repr string is its own key; a mapping whose values are all text, booleans or null is keyed
    by its items (numbers are left out: ``1 == True`` would make two different issues one).
    """
    if item.__class__ is str:
        return item
    if item.__class__ is dict and set(map(type, item.values())) <= _HASHABLE_VALUES:
        return tuple(item.items())
    return None


def _read_issue(item: Any, where: str, file: str, warnings: WarnList, memo: HistoryMemo) -> Mapping[str, Any] | None:
    """An issue as a mapping: as written, or read from its ``DriftIssue(...)`` repr; ``None`` (warned) otherwise."""
    if isinstance(item, dict):
        return item
    if isinstance(item, str):
        issue, reason = memo.repr_issue(item)
        if issue is None:
            warnings.append((file, where, f"unreadable issue ({reason}); skipped"))
        return issue
    warnings.append((file, where, f"expected an issue mapping or repr string, found {short(item)}; skipped"))
    return None


def _work_out(
    issue: Mapping[str, Any],
    i: int,
    file: str,
    aliases: Mapping[str, str],
    memo: HistoryMemo,
    into: DriftColumns,
    warnings: WarnList,
) -> _Issue | None:
    """The record, services and ids of one issue (a shared-dependency issue names several, comma-joined);
    ``None`` (warned) when it is skipped."""
    where = f"issues[{i}]"
    raw_type = issue.get("type")
    if not isinstance(raw_type, str) or not raw_type:
        warnings.append((file, f"{where}.type", "missing drift type; skipped"))
        return None
    kind = DRIFT_TYPE_ALIASES.get(raw_type, raw_type)
    current = to_str(issue.get("current_value", issue.get("current")), file, f"{where}.current_value", warnings) or ""
    expected = (
        to_str(issue.get("expected_value", issue.get("expected")), file, f"{where}.expected_value", warnings) or ""
    )
    if kind == "spec_lag":
        kind = memo.spec_lag(current, expected)
    raw_sev = issue.get("severity")
    severity = normalise_severity(raw_sev)
    if severity is None:
        warnings.append((file, f"{where}.severity", f"unknown severity {short(raw_sev)}; kept as unknown"))
    services = issue.get("service")
    if not isinstance(services, str) or not services.strip():
        warnings.append((file, f"{where}.service", f"expected a service name, found {short(services)}; skipped"))
        return None
    subject = _issue_subject(raw_type if raw_type == "shared_dependency" else kind, issue, aliases)
    names = [s.strip() for s in services.split(",") if s.strip()]
    texts: WarnList = []  # each row reads the description and remediation again: so do their warnings
    description = to_str(issue.get("description"), file, f"{where}.description", texts) or ""
    remediation = to_str(issue.get("remediation"), file, f"{where}.remediation", texts) or ""
    warnings.extend(texts * len(names))
    own_id = issue.get("id")
    if isinstance(own_id, str) and "," not in services:
        ids = [own_id] * len(names)
    else:
        ids = [memo.issue_id(svc, kind, subject) for svc in names]
    exempt = issue.get("exempt")
    raw = as_text(raw_sev) if not isinstance(raw_sev, (dict, list)) else short(raw_sev)
    record = (kind, raw_type, severity, raw, subject, current, expected, description, remediation)
    into.records.append((*record, exempt if isinstance(exempt, bool) else None))
    return _Issue(len(into.records) - 1, names, ids)


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
    head = _snapshot_head(doc, file, warnings, snapshot_time)
    if head is None:
        return None, {}
    when, services, _catalog = head
    cols = _clean_columns(services, file.rsplit("/", 1)[-1])
    if cols is None:
        rows = _snapshot_rows(services, when, None, file, warnings)
        cols = {c: [r[c] for r in rows] for c in _SNAPSHOT_COLUMNS}
    return when, cols


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
    the same keys in the same order (what a snapshot writer gives), else read mapping by mapping."""

    __slots__ = ("by_key", "rows")

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        shapes = set(map(tuple, rows))
        self.by_key: dict[str, tuple[Any, ...]] | None = None
        if len(shapes) == 1:
            keys = shapes.pop()
            self.by_key = dict(zip(keys, zip(*map(dict.values, rows), strict=True), strict=True)) if keys else {}

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
