"""The change against last week on data/sample, checked by hand from the drift reports' issue ids."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import svc

import meta254lib as m
from meta254lib.state.weekly import NEW_ISSUE_COLUMNS, WORSENED_COLUMNS, weekly_change


@pytest.fixture(scope="module")
def change_and_state(sample):
    ws = m.open_workspace(sample)
    state = m.analysis_state(ws)
    return weekly_change(state), state


def _report_ids(history: pd.DataFrame, day: str) -> set[str]:
    rows = history[history["report_time"].dt.strftime("%Y-%m-%d") == day]
    rows = rows[~rows["exempt"].astype("boolean").fillna(False).astype(bool)]
    return set(rows["issue_id"].dropna().astype(str))


def test_new_fixed_and_churn_match_the_reports_issue_ids(change_and_state):
    change, state = change_and_state
    history = state.ws.drift_history
    last_week = _report_ids(history, "2025-09-29")  # the platform's report a week before the as-of
    platform_now = _report_ids(history, "2025-10-06")  # the platform's report this week
    ours = set(state.drift.counted["id"].astype(str))  # meta254's run at the as-of
    assert (len(last_week), len(platform_now), len(ours)) == (102, 97, 75)
    # same detector (platform -> platform): new and fixed; then the detector changes (platform -> meta254)
    assert change.new == len(platform_now - last_week) == 0
    assert change.fixed == len(last_week - platform_now) == 5
    assert change.churn_in == len(ours - platform_now) == 37
    assert change.churn_out == len(platform_now - ours) == 59
    assert change.open_before == 102 and change.open_now == 75 == state.backlog.open
    assert change.open_before + change.new + change.churn_in - change.fixed - change.churn_out == change.open_now


def test_backlog_by_severity_now_and_a_week_before(change_and_state):
    change, state = change_and_state
    assert change.backlog_now == {"high": 28, "medium": 34, "low": 13} == state.backlog.by_severity
    assert change.backlog_before == {"high": 11, "medium": 1, "low": 90}
    assert change.before_time.strftime("%Y-%m-%d %H:%M") == "2025-09-29 05:19"
    assert change.sources["backlog_before"] == "a week before: platform report of 2025-09-29 05:19 UTC"


def test_new_high_severity_issues_with_service_and_team(change_and_state):
    change, state = change_and_state
    assert list(change.new_issues.columns) == list(NEW_ISSUE_COLUMNS)
    assert len(change.new_issues) == 37 and change.new_issues["churn"].all()
    high = change.new_high
    assert len(high) == 18
    assert high["type"].value_counts().to_dict() == {"vulnerable_dependency": 17, "deprecated_spec": 1}
    teams = state.ws.services.set_index("service")["team"]
    assert (high["team"] == high["service"].map(teams)).all()
    first = high.iloc[0]
    assert (first["service"], first["team"], first["subject"]) == ("alert-router", "sre", "redis")


def test_quality_mean_week_over_week_from_two_states(change_and_state):
    change, state = change_and_state
    before = m.analysis_state(state.ws, state.as_of - pd.Timedelta(days=7))
    assert before.quality.time.strftime("%Y-%m-%d") == "2025-09-29"
    assert round(change.quality_now, 1) == 89.3 and round(change.quality_before, 1) == 89.0
    assert round(change.quality_delta, 1) == 0.3
    json.dumps(change.to_dict())  # JSON-ready


def test_no_history_means_no_week_before(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "service-index.json").write_text(
        json.dumps(
            {
                "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
                "services": [{"name": "auth", "team": "core", "last_update": "2025-01-01T00:00:00Z"}],
            }
        )
    )
    change = weekly_change(m.analysis_state(m.open_workspace(tmp_path)))
    # the first report carries its issues in: none is new this week
    assert change.backlog_before is None and change.open_before is None and change.before_time is None
    assert (change.open_now, change.new, change.fixed, change.churn_in, len(change.new_issues)) == (1, 0, 0, 0, 0)
    assert change.quality_now is None and change.quality_delta is None
    assert (change.worsened, change.worsened_churn, len(change.worsened_issues)) == (0, 0, 0)


def _severities(history: pd.DataFrame, day: str) -> dict[str, str]:
    rows = history[history["report_time"].dt.strftime("%Y-%m-%d") == day]
    rows = rows[~rows["exempt"].astype("boolean").fillna(False).astype(bool)].dropna(subset=["issue_id"])
    return dict(zip(rows["issue_id"].astype(str), rows["severity"].astype(str), strict=True))


def test_worsened_by_issue_id_with_detector_churn_apart(change_and_state):
    change, state = change_and_state
    rank = {"high": 0, "medium": 1, "low": 2}
    last_week = _severities(state.ws.drift_history, "2025-09-29")
    platform_now = _severities(state.ws.drift_history, "2025-10-06")
    counted = state.drift.counted
    ours = dict(zip(counted["id"].astype(str), counted["severity"].astype(str), strict=True))
    rose = {i for i in set(last_week) & set(ours) if rank[ours[i]] < rank[last_week[i]]}
    # the platform's own reports rate no issue higher this week; meta254's run rates 25 of them higher
    assert not {i for i in set(last_week) & set(platform_now) if rank[platform_now[i]] < rank[last_week[i]]}
    assert len(rose) == 25
    assert (change.worsened, change.worsened_churn) == (0, 25)
    assert change.worsened + change.worsened_churn == len(rose)
    worse = change.worsened_issues
    assert set(worse["id"]) == rose and worse["churn"].all()
    assert worse.groupby(["severity_before", "severity"]).size().to_dict() == {("low", "medium"): 25}
    assert change.to_dict()["worsened"] == 0 and change.to_dict()["worsened_churn"] == 25


def _report(when: str, severities: dict[str, str]) -> dict:
    issues = [
        {"type": "version_staleness", "severity": v, "service": s, "description": "x"} for s, v in severities.items()
    ]
    return {"metadata": {"generated_at": when}, "issues": issues}


def test_worsened_within_one_detector_and_by_churn(make_ws):
    # every service is stale (high in meta254's run); the platform rated them a week before and on Monday
    services = [svc(n, team=t, last_update="2025-01-01T00:00:00Z") for n, t in (("auth", "core"), ("pay", "money"))]
    services.append(svc("web", team="core", last_update="2025-01-01T00:00:00Z"))
    dr = "analysis/reports/drift"
    root = make_ws(
        services,
        files={
            f"{dr}/20251002_000000_drift_report.json": _report(
                "2025-10-02T00:00:00Z", {"auth": "low", "pay": "low", "web": "high"}
            ),
            f"{dr}/20251006_000000_drift_report.json": _report(
                "2025-10-06T00:00:00Z", {"auth": "medium", "pay": "low", "web": "high"}
            ),
        },
    )
    change = weekly_change(m.analysis_state(m.open_workspace(root)))
    # auth: low -> medium within the platform's reports (worsened); pay: low -> high only with meta254's run
    # (detector churn); web: high all along (not worsened)
    assert (change.worsened, change.worsened_churn) == (1, 1)
    worse = change.worsened_issues
    assert list(worse.columns) == list(WORSENED_COLUMNS)
    assert worse[["service", "team", "severity_before", "severity", "churn"]].values.tolist() == [
        ["auth", "core", "low", "high", False],
        ["pay", "money", "low", "high", True],
    ]
