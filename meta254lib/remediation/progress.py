"""Progress against an earlier plan: which items are done, partial, open or overdue, and which issues came back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from ..core.clock import resolve_as_of, to_utc
from ..core.errors import InputError
from ..core.records import json_records
from ..core.schema import PLAN_ITEMS, PLAN_PROGRESS, frame_from_records
from .fmt import iso_day
from .result import RemediationPlan

__all__ = ["ProgressResult", "plan_items_from_payload", "track_progress"]


@dataclass(frozen=True)
class ProgressResult:
    """The outcome of :func:`track_progress`.

    Attributes
    ----------
    items : DataFrame
        :data:`~meta254lib.core.schema.PLAN_PROGRESS`, in plan order.
    new_issues : DataFrame
        Counted issues of the later report that no plan item covers (``id, service, type, severity``).
    summary : dict
        ``plan_as_of``, ``report_as_of``, counts per status, ``came_back`` ids.
    """

    items: pd.DataFrame
    new_issues: pd.DataFrame
    summary: dict[str, Any]

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready dict."""
        rows = json_records(self.items)
        for r in rows:
            r["due"] = iso_day(r["due"])
            r["scheduled"] = iso_day(r["scheduled"])
        return {"summary": self.summary, "items": rows, "new_issues": json_records(self.new_issues)}


def plan_items_from_payload(payload: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Items and as-of of a plan read back from its JSON (``meta254 plan --format json``).

    Raises
    ------
    InputError
        When the payload lacks ``as_of`` or ``items`` or an item lacks ``id``/``issue_ids``/``due``.

    Examples
    --------
    >>> items, when = plan_items_from_payload({"as_of": "2025-10-10T00:00:00+00:00", "items": [
    ...     {"id": "PLAN-1", "service": "a", "severity": "low", "issue_ids": ["D1"], "due": "2025-10-24"}]})
    >>> items.loc[0, "issue_ids"], str(items.loc[0, "due"].date()), when.isoformat()
    (('D1',), '2025-10-24', '2025-10-10T00:00:00+00:00')
    """
    if not isinstance(payload, Mapping) or "items" not in payload or "as_of" not in payload:
        raise InputError("plan", "", "a plan JSON object with as_of and items")
    rows = []
    for i, it in enumerate(payload["items"]):
        if not isinstance(it, Mapping) or not all(k in it for k in ("id", "issue_ids", "due")):
            raise InputError("plan", f"items[{i}]", "an item with id, issue_ids and due")
        rows.append({**it, "issue_ids": tuple(it["issue_ids"])})
    df = frame_from_records(PLAN_ITEMS, rows)
    if len(df):
        df["issue_ids"] = [tuple(x) for x in df["issue_ids"]]
    return df, to_utc(payload["as_of"])


def track_progress(
    plan: RemediationPlan | pd.DataFrame | Mapping[str, Any],
    later: pd.DataFrame,
    *,
    plan_as_of: Any = None,
    as_of: Any = None,
    history: pd.DataFrame | None = None,
) -> ProgressResult:
    """Which items of an earlier plan are done, which are overdue, and which issues came back.

    Parameters
    ----------
    plan : RemediationPlan, DataFrame or mapping
        The earlier plan, its items (``PLAN_ITEMS``; give ``plan_as_of``) or its JSON payload.
    later : DataFrame
        A later drift run (``DRIFT_ISSUES``: ``id``, ``exempt``, ``detected_at``), or drift report rows
        (``DRIFT_HISTORY``: ``issue_id``, ``report_time``), whose newest report at or before ``as_of``
        is the later report and whose earlier reports after the plan count as history.
    as_of : timestamp-like, optional
        When the later report was taken (default: its ``as_of`` / newest ``report_time``).
    history : DataFrame, optional
        ``DRIFT_HISTORY`` rows (e.g. ``ws.drift_history``); only reports of the later report's source
        taken after the plan and before the later report are read.

    Returns
    -------
    ProgressResult
        Status per item: ``done`` (none of its issues present), ``overdue`` (some present after the
        due date), ``partial`` (some gone, some present, not yet due), ``open`` (all present, not yet
        due). An issue *came back* when it is present in the later report and was absent from a report
        of the same source (``meta254`` for a drift run) taken after the plan and before the later report.
        An issue never seen gone is simply still open: a drift run's ``detected_at`` (the as-of itself
        when the history does not know the id) is no evidence that it went away.

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["P1", "P2"], "service": ["a", "b"], "severity": ["low", "high"],
    ...     "issue_ids": [("D1",), ("D2", "D3")], "due": pd.to_datetime(["2025-10-24", "2025-10-17"], utc=True),
    ...     "scheduled": pd.to_datetime(["2025-10-13", "2025-10-10"], utc=True)})
    >>> later = pd.DataFrame({"id": ["D3", "D9"], "service": ["b", "c"], "type": ["x", "y"],
    ...     "severity": ["high", "low"], "exempt": [False, False],
    ...     "detected_at": pd.to_datetime(["2025-10-01", "2025-10-19"], utc=True)})
    >>> r = track_progress(items, later, plan_as_of="2025-10-10", as_of="2025-10-20")
    >>> r.items[["id", "status", "days_overdue"]].astype(object).values.tolist()
    [['P1', 'done', <NA>], ['P2', 'overdue', 3]]
    >>> r.new_issues["id"].tolist()
    ['D9']
    """
    items, p_as_of = _plan_items(plan, plan_as_of)
    report = _later_report(later, as_of, p_as_of, history)
    gone_between = _gone_between(report.history, items, p_as_of, report.when, report.source)
    rows = [_item_progress(it, report, gone_between) for it in items.to_dict("records")]
    out = frame_from_records(PLAN_PROGRESS, rows)
    for c in ("open_issues", "closed_issues", "came_back"):
        if len(out):
            out[c] = [tuple(x) for x in out[c]]
    planned = {i for r in rows for i in (*r["open_issues"], *r["closed_issues"])}
    new = _new_issues(report.rows, planned)
    summary = {
        "plan_as_of": p_as_of.isoformat(),
        "report_as_of": report.when.isoformat(),
        "items": len(out),
        **{s: int((out["status"] == s).sum()) for s in ("done", "partial", "open", "overdue")},
        "came_back": sorted({i for x in out["came_back"] for i in x}),
        "new_issues": len(new),
    }
    return ProgressResult(items=out, new_issues=new, summary=summary)


class _Report(NamedTuple):
    """The later report: when, which issue ids are present, its rows, earlier history, and its source."""

    when: pd.Timestamp
    present: set[str]
    rows: pd.DataFrame
    history: pd.DataFrame | None
    source: str | None


def _plan_items(
    plan: RemediationPlan | pd.DataFrame | Mapping[str, Any], plan_as_of: Any
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The plan's items and as-of time (``plan_as_of`` wins when given)."""
    if isinstance(plan, RemediationPlan):
        items, p_as_of = plan.items, plan.as_of
    elif isinstance(plan, pd.DataFrame):
        items, p_as_of = plan, resolve_as_of(plan_as_of)
    else:
        items, p_as_of = plan_items_from_payload(plan)
    if plan_as_of is not None:
        p_as_of = resolve_as_of(plan_as_of)
    return items, p_as_of


def _later_report(later: pd.DataFrame, as_of: Any, p_as_of: pd.Timestamp, history: pd.DataFrame | None) -> _Report:
    """The later report from a drift run or from drift report rows (whose earlier reports join the history)."""
    if "issue_id" in later.columns and "report_time" in later.columns:
        rep = later.dropna(subset=["report_time"])
        when = resolve_as_of(as_of, rep["report_time"].max() if len(rep) else None)
        rep = rep[rep["report_time"] <= when]
        latest_time = rep["report_time"].max()
        latest = rep[rep["report_time"] == latest_time]
        if "exempt" in latest:
            latest = latest[~latest["exempt"].astype("boolean").fillna(False).astype(bool)]
        earlier = rep[(rep["report_time"] > p_as_of) & (rep["report_time"] < latest_time)]
        hist = earlier if history is None else pd.concat([history, earlier], ignore_index=True)
        rows = latest.rename(columns={"issue_id": "id"}).drop_duplicates("id")
        sources = latest["source"].dropna().unique().tolist() if "source" in latest else []
        return _Report(when, set(latest["issue_id"]), rows, hist, sources[0] if len(sources) == 1 else None)
    when = resolve_as_of(as_of, later["as_of"].max() if "as_of" in later and len(later) else None)
    cur = later[~later["exempt"].astype(bool)] if "exempt" in later else later
    return _Report(when, set(cur["id"]), cur, history, "meta254")


def _gone_between(
    hist: pd.DataFrame | None, items: pd.DataFrame, p_as_of: pd.Timestamp, when: pd.Timestamp, source: str | None
) -> set[str]:
    """Planned issue ids absent from some report of ``source`` taken after the plan and before the later report.

    A report of another source (another detector) says nothing about an issue it never looks for, so
    it is not read; rows without a source are read whatever ``source`` is.
    """
    gone: set[str] = set()
    if hist is None or not len(hist):
        return gone
    h = hist[(hist["report_time"] > p_as_of) & (hist["report_time"] < when)]
    if source is not None and "source" in h.columns:
        h = h[h["source"].isna() | (h["source"] == source)]
    planned = set().union(*[set(x) for x in items["issue_ids"]])
    for _t, rep_rows in h.groupby("report_time", sort=True):
        gone |= planned - set(rep_rows["issue_id"].dropna())
    return gone


def _item_progress(it: Mapping[str, Any], report: _Report, gone_between: set[str]) -> dict[str, Any]:
    """One ``PLAN_PROGRESS`` row: the item's open, closed and returned issues and its status."""
    ids = tuple(it["issue_ids"])
    when = report.when
    open_ = tuple(i for i in ids if i in report.present)
    closed = tuple(i for i in ids if i not in report.present)
    back = tuple(i for i in open_ if i in gone_between)
    due = pd.Timestamp(it["due"])
    if not open_:
        status = "done"
    elif when > due + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1):
        status = "overdue"
    elif closed:
        status = "partial"
    else:
        status = "open"
    return {
        "id": it["id"],
        "service": it.get("service"),
        "severity": it.get("severity"),
        "due": due,
        "scheduled": it.get("scheduled"),
        "status": status,
        "open_issues": open_,
        "closed_issues": closed,
        "came_back": back,
        "days_overdue": (when.normalize() - due.normalize()).days if status == "overdue" else None,
    }


def _new_issues(later_rows: pd.DataFrame, planned: set[str]) -> pd.DataFrame:
    """Counted issues of the later report that no plan item covers."""
    cols = [c for c in ("id", "service", "type", "severity") if c in later_rows.columns]
    new = later_rows[~later_rows["id"].isin(list(planned))].reindex(columns=cols)
    return new.sort_values(["service", "id"], kind="mergesort").reset_index(drop=True) if len(new) else new
