"""Progress against an earlier plan."""

from __future__ import annotations

import json

from remediation_cases import (
    AS_OF,
    _issue,
    _services,
)

from meta254lib.core.schema import (
    DRIFT_HISTORY,
    DRIFT_ISSUES,
)
from meta254lib.core.schema import frame_from_records as rec
from meta254lib.remediation import (
    PlanInputs,
    build_plan,
    track_progress,
)

# --- progress -------------------------------------------------------------------------------------------


def test_progress_done_overdue_and_came_back():
    services = _services("a", "b", "c")
    first = [
        _issue("a", "version_staleness", "high"),
        _issue("b", "unknown_event", "medium", "e.f.g.v1"),
        _issue("c", "spec_patch_lag", "low", "api", current="1.0.0", expected="1.0.1"),
    ]
    plan = build_plan(PlanInputs(rec(DRIFT_ISSUES, first), services), as_of=AS_OF)
    ids = {r["service"]: r["id"] for r in first}
    later_time = "2025-10-25"
    # a is fixed; b is still open (due 2025-11-09); c (due 2025-10-24) was gone on the 15th and is back
    history = rec(
        DRIFT_HISTORY,
        [
            {"report": "r1", "report_time": "2025-10-15", "issue_id": ids["b"], "service": "b"},
            *[{"report": "r2", "report_time": later_time, "issue_id": ids[s], "service": s} for s in ("b", "c")],
            {
                "report": "r2",
                "report_time": later_time,
                "issue_id": "DRIFT-new",
                "service": "c",
                "type": "x",
                "severity": "low",
            },
        ],
    )
    result = track_progress(plan, history)
    status = dict(zip(result.items["service"], result.items["status"], strict=True))
    assert status == {"a": "done", "b": "open", "c": "overdue"}
    assert result.items.set_index("service").loc["c", "days_overdue"] == 1
    assert result.summary["came_back"] == [ids["c"]]
    assert result.new_issues["id"].tolist() == ["DRIFT-new"]
    # the JSON written by the CLI reads back the same
    payload = json.loads(plan.to_json())
    again = track_progress(payload, history)
    assert again.items["status"].tolist() == result.items["status"].tolist()


def test_progress_reports_overdue_days_from_a_drift_run():
    services = _services("a")
    issue = _issue("a", "missing_lock", "high")
    plan = build_plan(PlanInputs(rec(DRIFT_ISSUES, [issue]), services), as_of=AS_OF)
    later = rec(DRIFT_ISSUES, [{**issue, "as_of": "2025-10-21", "detected_at": "2025-10-01"}])
    result = track_progress(plan, later)
    assert result.items.loc[0, "status"] == "overdue" and result.items.loc[0, "days_overdue"] == 4
    assert result.summary["came_back"] == []
