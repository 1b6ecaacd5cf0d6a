"""The fix-first rows on a 3-service workspace: one row per service, ranked, with open/overdue, quality, blast radius.

auth (team core) is stale since January (high, reported a week before too, so past its 7-day SLO) and
depends on a service that is not in the catalog (medium, new); pay (team money) depends on auth and is
stale since June (medium, new); web depends on pay and has no issue. Coverage falls for auth and rises for
pay over three weekly snapshots.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import svc, write_workspace

import meta254lib as m
from meta254lib.core.schema_outputs import FIX_FIRST
from meta254lib.state.fix_first import FIX_FIRST_COLUMNS, fix_first, rank_items, slo_rows, trend_report

DR = "analysis/reports/drift"
QH = "analysis/historical/quality"


def _snapshot(when: str, coverage: dict[str, float]) -> dict:
    metrics = {"critical_vulns": 0, "high_vulns": 0, "lint_pass": True}
    return {
        "metadata": {"generated_at": when},
        "services": {
            s: {"score": 80, "grade": "B", "status": "passing", "metrics": {"coverage": c, **metrics}}
            for s, c in coverage.items()
        },
    }


def three_services(root) -> m.Workspace:
    services = [
        svc(
            "auth",
            team="core",
            last_update="2025-01-01T00:00:00Z",
            dependencies={"internal": ["ghost"], "external": []},
        ),
        svc(
            "pay", team="money", last_update="2025-06-01T00:00:00Z", dependencies={"internal": ["auth"], "external": []}
        ),
        svc("web", team="core", last_update="2025-10-01T00:00:00Z", dependencies={"internal": ["pay"], "external": []}),
    ]
    stale = {"type": "version_staleness", "severity": "high", "service": "auth", "description": "stale"}
    write_workspace(
        root,
        {
            "catalog/service-index.yaml": {
                "metadata": {"generated_at": "2025-10-10T00:00:00+00:00"},
                "services": services,
            },
            "config/teams.yaml": {
                "teams": {
                    "core": {"services": ["auth", "web"], "contact": "core@example.org"},
                    "money": {"services": ["pay"], "contact": "money@example.org"},
                }
            },
            f"{DR}/20251002_000000_drift_report.json": {
                "metadata": {"generated_at": "2025-10-02T00:00:00Z"},
                "issues": [stale],
            },
            f"{QH}/quality_20250926_000000.json": _snapshot(
                "2025-09-26T00:00:00Z", {"auth": 0.9, "pay": 0.5, "web": 0.8}
            ),
            f"{QH}/quality_20251003_000000.json": _snapshot(
                "2025-10-03T00:00:00Z", {"auth": 0.6, "pay": 0.6, "web": 0.8}
            ),
            f"{QH}/quality_20251009_000000.json": _snapshot(
                "2025-10-09T00:00:00Z", {"auth": 0.3, "pay": 0.7, "web": 0.8}
            ),
        },
    )
    return m.open_workspace(root)


@pytest.fixture(scope="module")
def state_and_items(tmp_path_factory):
    ws = three_services(tmp_path_factory.mktemp("fix-first") / "ws")
    state = m.analysis_state(ws)
    return state, m.plan_workspace(ws, state.as_of).items


def test_one_row_per_service_ranked_by_its_top_item(state_and_items):
    state, items = state_and_items
    assert sorted(items["service"]) == ["auth", "auth", "pay"]
    rows = fix_first(state, items)
    assert list(rows.columns) == list(FIX_FIRST_COLUMNS)
    assert {c: str(t) for c, t in rows.dtypes.items()} == {c: str(d) for c, d, _ in FIX_FIRST.spec}
    assert rows[["rank", "service", "team", "contact", "severity", "items"]].values.tolist() == [
        [1, "auth", "core", "core@example.org", "high", 2],
        [2, "pay", "money", "money@example.org", "medium", 1],
    ]
    auth = rows.iloc[0]
    assert (auth["top_action"], auth["escalation"]) == ("refresh service", "L3 Architecture Team")
    assert auth["due"] == pd.Timestamp("2025-10-17", tz="UTC")  # as_of + 7 days for high
    top = rank_items(items).iloc[0]
    assert (auth["item_id"], auth["priority"]) == (top["id"], top["priority"])


def test_open_and_overdue_counts(state_and_items):
    state, items = state_and_items
    rows = fix_first(state, items).set_index("service")
    # auth: stale (seen since 2025-10-02: 8 days, past the 7-day SLO) and a dangling dependency (new)
    assert rows.loc["auth", ["open", "overdue"]].tolist() == [2, 1]
    assert rows.loc["pay", ["open", "overdue"]].tolist() == [1, 0]
    slo = slo_rows(state)
    assert slo.groupby("service")["within_slo"].apply(lambda s: int((~s).sum())).to_dict() == {"auth": 1, "pay": 0}
    assert int(state.backlog.open) == rows["open"].sum() == 3


def test_quality_trend_and_blast_radius(state_and_items):
    state, items = state_and_items
    rows = fix_first(state, items).set_index("service")
    assert rows.loc["auth", ["quality", "quality_trend"]].tolist() == [84, "declining"]
    assert rows.loc["pay", ["quality", "quality_trend"]].tolist() == [97, "improving"]
    assert round(rows.loc["auth", "quality_slope"], 2) == -7.44 and rows.loc["pay", "quality_slope"] > 0
    scores = state.quality_scores().set_index("service")["score"]
    assert rows["quality"].tolist() == [scores["auth"], scores["pay"]]
    trends = trend_report(state).services.set_index("service")["direction"]
    assert rows["quality_trend"].tolist() == [trends["auth"], trends["pay"]]
    # auth <- pay <- web: a change to auth impacts 2 services, to pay 1
    assert rows["blast_radius"].tolist() == [2, 1]
    assert rows.loc["auth", "weighted_blast_radius"] == pytest.approx(state.weighted_blast_radius("auth"))


def test_team_and_limit(state_and_items):
    state, items = state_and_items
    assert fix_first(state, items, team="money")[["rank", "service"]].values.tolist() == [[1, "pay"]]
    assert fix_first(state, items, team="core")["service"].tolist() == ["auth"]
    assert fix_first(state, items, limit=1)["service"].tolist() == ["auth"]
    empty = fix_first(state, items, team="nobody")
    assert len(empty) == 0 and list(empty.columns) == list(FIX_FIRST_COLUMNS)


def test_slo_rows_are_kept_per_state_and_team(state_and_items):
    state, _ = state_and_items
    assert slo_rows(state) is slo_rows(state)
    assert set(slo_rows(state, "money")["service"]) == {"pay"}
    assert trend_report(state, "core") is trend_report(state, "core")
