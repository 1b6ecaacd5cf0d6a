"""History files: drift reports, including issues written as Python repr strings.

Quirks of the real formats handled here (see the project README, "Workspace"):

- drift issues written as Python repr strings (``"DriftIssue(type='spec_lag', ...)"``) are parsed with
  :mod:`ast` and read node by node (constants, tuples, lists, dicts, sets, signed numbers); nothing
  is ever evaluated, and anything that is not such a literal is refused;
- a shared-dependency issue's comma-joined ``service`` is exploded to one row per service;
- severity ``moderate`` becomes ``medium``; ``error`` is kept (an invalid-version marker);
- a ``spec_lag`` issue is refined to its major/minor/patch kind (:func:`meta254lib.core.versions.lag_kind`).

Quality snapshots are read by :mod:`meta254lib.workspace.history_snapshots` (:func:`parse_quality_snapshot`
is re-exported here for the package's imports).

Examples
--------
>>> parse_repr_issue("DriftIssue(type='spec_lag', severity='low', service='gateway')")
{'type': 'spec_lag', 'severity': 'low', 'service': 'gateway'}
"""

from __future__ import annotations

import ast
import itertools
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
from .coerce import parse_time_field, short, to_str
from .yamlio import WarnList, as_text

__all__ = ["parse_drift_report", "parse_repr_issue"]


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
    """The drift-history rows of any number of reports, held as codes into what is distinct.

    Each distinct issue is worked out once: its :data:`RECORD_COLUMNS` values are :attr:`records`
    (the issue's code is its record's index), its services and their issue ids are the run
    ``first[code]`` .. ``first[code] + count[code]`` of :attr:`services` and :attr:`ids`. Each
    occurrence of an issue in a report is its code (:attr:`occurrences`) and its index in the report
    (:attr:`positions`); its rows are its issue's services, in order. Reports are runs of
    occurrences (:attr:`reports`: name, source, time, row count, occurrence count).

    Examples
    --------
    >>> cols = DriftColumns()
    >>> drift_report_columns({"metadata": {"generated_at": "2025-10-10"}, "issues": [
    ...     {"type": "spec_lag", "severity": "low", "service": "a, b"}]}, "r.json", [], into=cols)
    2
    >>> cols.services, cols.occurrences, cols.positions, cols.reports[0][3:]
    (['a', 'b'], [0], [0], (2, 1))
    """

    __slots__ = ("count", "first", "ids", "n_rows", "occurrences", "positions", "records", "reports", "services")

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.first: list[int] = []
        self.count: list[int] = []
        self.services: list[str] = []
        self.ids: list[str] = []
        self.occurrences: list[int] = []
        self.positions: list[int] = []
        self.reports: list[tuple[str, str, pd.Timestamp, int, int]] = []
        self.n_rows = 0

    def __len__(self) -> int:
        return self.n_rows

    def add_issue(self, record: tuple[Any, ...], services: list[str], ids: list[str]) -> int:
        """Keep one distinct issue: its record, services and ids; its code."""
        self.records.append(record)
        self.first.append(len(self.services))
        self.count.append(len(services))
        self.services.extend(services)
        self.ids.extend(ids)
        return len(self.records) - 1

    def rows(self) -> list[dict[str, Any]]:
        """The rows as mappings in schema order, report by report, issue by issue."""
        out = []
        occurrences = iter(zip(self.occurrences, self.positions, strict=True))
        for report, source, when, _, n_occ in self.reports:
            for code, pos in itertools.islice(occurrences, n_occ):
                shared = {"report": report, "report_time": when, "source": source, "source_issue": f"{report}#{pos}"}
                shared |= dict(zip(RECORD_COLUMNS, self.records[code], strict=True))
                start = self.first[code]
                for k in range(start, start + self.count[code]):
                    row = shared | {"issue_id": self.ids[k], S.SERVICE: self.services[k]}
                    out.append({c: row[c] for c in S.DRIFT_HISTORY.columns})
        return out


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
    report = file.rsplit("/", 1)[-1]
    memo.begin(aliases, into)
    if set(map(type, issues)) == {str}:  # what the platform writes: each repr string is its own key
        keys: list[Any] = issues
    else:
        keys = list(map(_issue_key, issues))
    done = memo.done
    codes = [done.get(key) if key is not None else None for key in keys]
    for i in [i for i, code in enumerate(codes) if code is None]:  # in order: so are the warnings
        codes[i] = _code(issues[i], keys[i], i, file, aliases, memo, into, warnings)
    count = into.count
    found = [(i, code) for i, code in enumerate(codes) if code is not None and count[code]]
    into.positions.extend(i for i, _ in found)
    into.occurrences.extend(code for _, code in found)
    added = sum(count[code] for _, code in found)
    into.n_rows += added
    into.reports.append((report, source, when, added, len(found)))
    return added


def _code(
    item: Any,
    key: Any,
    i: int,
    file: str,
    aliases: Mapping[str, str],
    memo: HistoryMemo,
    into: DriftColumns,
    warnings: WarnList,
) -> int | None:
    """The code of issue ``i`` (worked out unless an earlier one had the same key); ``None`` when skipped."""
    code = memo.done.get(key) if key is not None else None
    if code is not None:
        return code
    n_warn = len(warnings)
    issue = _read_issue(item, f"issues[{i}]", file, warnings, memo)
    code = _work_out(issue, i, file, aliases, memo, into, warnings) if issue is not None else None
    if key is not None and code is not None and len(warnings) == n_warn:
        memo.done[key] = code  # what it gives depends on nothing but its content (and the aliases)
    return code


def _issue_key(item: Any) -> Any:
    """A key equal only for issues that give the same rows (``None`` when there is no safe one).

    A repr string is its own key; a mapping whose values are all text, booleans or null is keyed
    by its keys, then its values, in order, in one flat tuple (of ``2n`` items for ``n`` keys, so
    keys and values cannot be confused; one tuple hashes ~3x faster than a tuple of pairs). Numbers
    are left out: ``1 == True`` would make two different issues one.

    Examples
    --------
    >>> _issue_key({"type": "t", "exempt": True}), _issue_key({"type": "t", "n": 1})
    (('type', 'exempt', 't', True), None)
    """
    if item.__class__ is str:
        return item
    if item.__class__ is dict:
        values = tuple(item.values())
        if set(map(type, values)) <= _HASHABLE_VALUES:
            return (*item, *values)
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
) -> int | None:
    """Keep the record, services and ids of one issue (a shared-dependency issue names several,
    comma-joined) in ``into``; its code, ``None`` (warned) when it is skipped."""
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
    return into.add_issue((*record, exempt if isinstance(exempt, bool) else None), names, ids)
