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
    """``spec_major_lag``/``spec_minor_lag``/``spec_patch_lag`` by :func:`~meta254lib.core.versions.lag_kind`."""
    kind = lag_kind(current, expected)
    return f"spec_{kind}_lag" if kind is not None else "spec_lag"


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
        raise InputError(file, "", "a drift report mapping with `metadata` and `issues`", short(doc))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    when = parse_time_field(meta.get("generated_at"), file, "metadata.generated_at", warnings) or report_time
    if when is None:
        warnings.append((file, "metadata.generated_at", "no report time in metadata or file name; report skipped"))
        return []
    issues = doc.get("issues")
    if issues is None:
        warnings.append((file, "issues", "no `issues` section; read as a report with no issues"))
        issues = []
    if not isinstance(issues, list):
        warnings.append((file, "issues", f"expected a list, found {short(issues)}; report skipped"))
        return []
    source = "meta254" if str(meta.get("generator", "")).startswith("meta254") else "platform"
    rows = []
    for i, item in enumerate(issues):
        where = f"issues[{i}]"
        issue = _read_issue(item, where, file, warnings)
        if issue is None:
            continue
        raw_type = issue.get("type")
        if not isinstance(raw_type, str) or not raw_type:
            warnings.append((file, f"{where}.type", "missing drift type; skipped"))
            continue
        kind = DRIFT_TYPE_ALIASES.get(raw_type, raw_type)
        current = (
            to_str(issue.get("current_value", issue.get("current")), file, f"{where}.current_value", warnings) or ""
        )
        expected = (
            to_str(issue.get("expected_value", issue.get("expected")), file, f"{where}.expected_value", warnings) or ""
        )
        if kind == "spec_lag":
            kind = _refine_spec_lag(current, expected)
        raw_sev = issue.get("severity")
        severity = normalise_severity(raw_sev)
        if severity is None:
            warnings.append((file, f"{where}.severity", f"unknown severity {short(raw_sev)}; kept as unknown"))
        services = issue.get("service")
        if not isinstance(services, str) or not services.strip():
            warnings.append((file, f"{where}.service", f"expected a service name, found {short(services)}; skipped"))
            continue
        subject = _issue_subject(raw_type if raw_type == "shared_dependency" else kind, issue, aliases)
        fields = {"kind": kind, "raw_type": raw_type, "severity": severity, "subject": subject}
        fields |= {"current": current, "expected": expected, "services": services}
        rows.extend(_issue_rows(issue, i, file, when, source, fields, warnings))
    return rows


# --- quality snapshots -------------------------------------------------------------------------


def _read_issue(item: Any, where: str, file: str, warnings: WarnList) -> Mapping[str, Any] | None:
    """An issue as a mapping: as written, or read from its ``DriftIssue(...)`` repr; ``None`` (warned) otherwise."""
    if isinstance(item, str):
        try:
            return parse_repr_issue(item)
        except ValueError as err:
            warnings.append((file, where, f"unreadable issue ({err}); skipped"))
            return None
    if isinstance(item, dict):
        return item
    warnings.append((file, where, f"expected an issue mapping or repr string, found {short(item)}; skipped"))
    return None


def _issue_rows(
    issue: Mapping[str, Any],
    i: int,
    file: str,
    when: pd.Timestamp,
    source: str,
    fields: Mapping[str, Any],
    warnings: WarnList,
) -> list[dict[str, Any]]:
    """One row per service of an issue (a shared-dependency issue names several, comma-joined)."""
    where = f"issues[{i}]"
    report = file.rsplit("/", 1)[-1]
    services, kind, subject, raw_sev = fields["services"], fields["kind"], fields["subject"], issue.get("severity")
    exempt = issue.get("exempt") if isinstance(issue.get("exempt"), bool) else None
    rows = []
    for svc in [s.strip() for s in services.split(",") if s.strip()]:
        rows.append(
            {
                "report": report,
                "report_time": when,
                "source": source,
                "source_issue": f"{report}#{i}",
                "issue_id": issue.get("id")
                if isinstance(issue.get("id"), str) and "," not in services
                else drift_issue_id(svc, kind, subject),
                S.SERVICE: svc,
                "type": kind,
                "raw_type": fields["raw_type"],
                S.SEVERITY: fields["severity"],
                "raw_severity": as_text(raw_sev) if not isinstance(raw_sev, (dict, list)) else short(raw_sev),
                "subject": subject,
                "current": fields["current"],
                "expected": fields["expected"],
                "description": to_str(issue.get("description"), file, f"{where}.description", warnings) or "",
                "remediation": to_str(issue.get("remediation"), file, f"{where}.remediation", warnings) or "",
                "exempt": exempt,
            }
        )
    return rows


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
        return []
    services = _services_by_name(doc.get("services"), file, warnings)
    if not isinstance(services, dict):
        warnings.append(
            (file, "services", f"expected a mapping of service to scores, found {short(services)}; skipped")
        )
        return []
    rows = []
    for name, body in services.items():
        where = f"services.{name}"
        if not isinstance(name, str) or not isinstance(body, dict):
            warnings.append((file, where, "expected a service mapping; skipped"))
            continue
        rows.append(_snapshot_row(name, body, file.rsplit("/", 1)[-1], when, file, warnings))
    catalog_time = parse_timestamp(meta.get("catalog_timestamp"))
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
