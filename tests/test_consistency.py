"""One truth: every quantity shown in two places is equal in the CLI's JSON, the library and the report's tables.

On data/sample, and on ../shared/upstream when present. The quantities: the open backlog and its counts
by severity, the weighted blast radius of a service, each service's wave, the as-of and the platform
quality mean. Each comes from the workspace's analysis state (:mod:`meta254lib.state`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLE, UPSTREAM

import meta254lib as m
from meta254lib.cli import main
from meta254lib.views.weekly import fmt_score

WORKSPACES = {"sample": SAMPLE, "upstream": UPSTREAM}


class Views:
    """One workspace seen three ways: CLI JSON (cached per command), the library state, the report folder."""

    def __init__(self, root: Path, report: Path) -> None:
        self.root = root
        self.report = report
        self.ws = m.open_workspace(root)
        self.state = m.analysis_state(self.ws)
        self._cli: dict[tuple[str, ...], dict] = {}

    def cli(self, *args: str) -> dict:
        if args not in self._cli:
            result = CliRunner().invoke(main, [*args, "-w", str(self.root), "--format", "json"])
            assert result.exit_code in (0, 1), result.output
            self._cli[args] = json.loads(result.stdout)
        return self._cli[args]

    def table(self, page: str, name: str) -> pd.DataFrame:
        doc = json.loads((self.report / "tables" / page / f"{name}.json").read_text(encoding="utf-8"))
        return pd.DataFrame(doc["rows"], columns=doc["columns"])

    def run(self) -> dict:
        return json.loads((self.report / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=sorted(WORKSPACES))
def views(request, tmp_path_factory) -> Views:
    root = WORKSPACES[request.param]
    if not (root / "catalog").is_dir():
        pytest.skip(f"{root} is not present")
    out = tmp_path_factory.mktemp(f"report-{request.param}")
    cwd = os.getcwd()
    try:
        result = CliRunner().invoke(main, ["report", "-w", str(root), "--out", str(out)])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return Views(root, out / "latest")


def _counted(issues: pd.DataFrame) -> pd.DataFrame:
    return issues[~issues["exempt"].astype("boolean").fillna(False).astype(bool)]


def test_backlog_and_severity_counts_agree(views: Views) -> None:
    backlog = views.state.backlog
    drift = views.cli("drift")
    assert drift["summary"]["total_issues"] == backlog.open
    assert {k: drift["summary"]["by_severity"].get(k, 0) for k in backlog.by_severity} == backlog.by_severity
    page = _counted(views.table("drift_overview", "drift_issues"))
    assert len(page) == backlog.open
    assert page["severity"].value_counts().reindex(list(backlog.by_severity), fill_value=0).to_dict() == (
        backlog.by_severity
    )
    plan = views.cli("plan")
    assert plan["summary"]["backlog_start"] == backlog.open


def test_weighted_blast_radius_agrees(views: Views) -> None:
    plan = views.cli("plan")
    services = sorted({item["service"] for item in plan["items"]})[:6]
    for service in services:
        library = views.state.weighted_blast_radius(service)
        cli = views.cli("impact", "--service", service)["summary"]["weighted_blast_radius"]
        items = [i["weighted_blast_radius"] for i in plan["items"] if i["service"] == service]
        assert cli == pytest.approx(library, abs=1e-9), service
        assert all(v == pytest.approx(library, abs=1e-9) for v in items), (service, items, library)
    summary = views.table("impact_analysis", "impact_summary").set_index("item")["value"]
    widest = views.table("impact_analysis", "changes")["change"].iloc[0].split(":", 1)[1]
    # the page shows the same number through the one score formatter (one decimal)
    assert summary["weighted blast radius"] == fmt_score(views.state.weighted_blast_radius(widest))


def test_each_services_wave_agrees(views: Views) -> None:
    plan = views.cli("plan")
    cli = {(i["id"], i["service"]): i["wave"] for i in plan["items"]}
    library = m.plan_workspace(views.ws)
    lib = {(r.id, r.service): int(r.wave) for r in library.items.itertuples()}
    page = views.table("remediation_plan", "plan")
    shown = {(r.id, r.service): int(r.wave) for r in page.itertuples()}
    assert cli == lib
    assert shown.items() <= cli.items()
    waves = views.table("remediation_plan", "waves")
    for row in waves.itertuples():
        members = row.services if isinstance(row.services, list) else str(row.services).split(", ")
        for service in members:
            if service:
                assert {w for (_, s), w in cli.items() if s == service} == {int(row.wave)}, service


def test_as_of_agrees(views: Views) -> None:
    as_of = views.state.as_of
    for cmd in ("drift", "quality", "trends", "plan"):
        assert pd.Timestamp(views.cli(cmd)["as_of"]) == as_of, cmd
    service = sorted(views.ws.services["service"])[0]
    assert pd.Timestamp(views.cli("impact", "--service", service)["summary"]["as_of"]) == as_of
    shown = pd.Timestamp(views.run()["as_of"].replace(" UTC", "+00:00"))
    assert shown == as_of.floor("min")


def test_platform_quality_mean_agrees(views: Views) -> None:
    scores = views.state.quality_scores()
    if not len(scores):
        pytest.skip("no quality snapshot")
    library = round(float(scores["score"].mean()), 2)
    assert views.cli("quality")["summary"]["mean"] == library
    platform = views.cli("trends")["platform"]
    assert round(platform[-1]["mean"], 2) == library
    page = views.table("quality_trends", "current_scores")
    assert round(float(page["score"].mean()), 2) == library
    by_week = views.table("quality_trends", "platform_by_week")
    assert round(float(by_week["mean"].iloc[-1]), 2) == library


def test_first_screen_attention_counts_agree(views: Views) -> None:
    """SLO overdue, expired exemptions, quality regressions this week: the index shows the pages' numbers."""
    from meta254lib.report.index import attention_counts

    counts = attention_counts(views.state)
    slo = views.table("drift_overview", "slo_status")
    assert counts["slo_overdue"] == int(slo["within_slo"].eq(False).sum())
    exemptions = views.table("drift_overview", "exemptions")
    assert counts["expired_exemptions"] == int(exemptions["status"].eq("expired").sum())
    regressions = views.table("quality_trends", "regressions")
    quality_as_of = views.state.quality_as_of
    times = pd.to_datetime(regressions["time"], utc=True, format="ISO8601")
    in_week = (times > quality_as_of - pd.Timedelta(days=7)) & (times <= quality_as_of)
    assert counts["quality_regressions"] == int(in_week.sum())
    index = (views.report / "index.html").read_text(encoding="utf-8")
    for key, value in counts.items():
        assert f'data-count="{key}">{value:,}</strong>' in index, key
    summary = (views.report / "summary.md").read_text(encoding="utf-8")
    assert f"SLO overdue: **{counts['slo_overdue']:,}**" in summary


def test_fix_first_rows_agree(views: Views) -> None:
    """Each fix-first row's open / overdue, quality, trend and blast radius are the pages' and the CLI's numbers."""
    from meta254lib.state.fix_first import fix_first

    rows = fix_first(views.state, m.plan_workspace(views.ws, views.state.as_of).items)
    if not len(rows):
        pytest.skip("no plan items")
    issues = _counted(views.table("drift_overview", "drift_issues"))
    slo = views.table("drift_overview", "slo_status")
    overdue = slo[slo["within_slo"].eq(False)]
    scores = views.state.quality_scores().set_index("service")["score"]
    trends = views.table("quality_trends", "service_trends").set_index("service")["direction"]
    for row in rows.itertuples():
        assert row.open == int((issues["service"] == row.service).sum()), row.service
        assert row.overdue == int((overdue["service"] == row.service).sum()), row.service
        if row.service in scores.index:
            assert row.quality == scores[row.service], row.service
        assert row.quality_trend == (trends.get(row.service) or ""), row.service
    assert rows["open"].sum() <= views.state.backlog.open
    for row in rows.head(3).itertuples():
        summary = views.cli("impact", "--service", row.service)["summary"]
        assert (row.blast_radius, row.weighted_blast_radius) == (
            summary["blast_radius"],
            pytest.approx(summary["weighted_blast_radius"], abs=1e-9),
        )
    index = (views.report / "index.html").read_text(encoding="utf-8")
    for row in rows.head(10).itertuples():
        assert f'data-open="{row.open}" data-overdue="{row.overdue}"' in index, row.service


def test_worsened_agrees_with_the_backlog_before_and_now(views: Views) -> None:
    """worsened + worsened_churn = the issues counted in last week's report and now whose severity rose."""
    from meta254lib.state.weekly import weekly_change

    change = weekly_change(views.state)
    if change.before_time is None:
        pytest.skip("no drift report a week before the as-of")
    history = views.ws.drift_history
    before = _counted(history[history["report_time"] == change.before_time]).dropna(subset=["issue_id"])
    rank = {"high": 0, "medium": 1, "low": 2}
    was = before.groupby(before["issue_id"].astype(str))["severity"].agg(lambda s: min(rank[v] for v in s))
    now = _counted(views.state.drift.issues).set_index("id")["severity"].map(rank)
    both = was.index.intersection(now.index)
    rose = {i for i in both if now[i] < was[i]}
    assert change.worsened + change.worsened_churn == len(rose)
    assert set(change.worsened_issues["id"]) == rose
    assert len(before) == change.open_before and len(now) == change.open_now
    summary = (views.report / "summary.md").read_text(encoding="utf-8")
    assert f"worsened this week: **{change.worsened:,}**" in summary
