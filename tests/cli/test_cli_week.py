"""meta254 week: the index's first screen in a terminal, with the index's numbers."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLE

from meta254lib import analysis_state, open_workspace
from meta254lib.cli import main
from meta254lib.cli.week import change_lines
from meta254lib.remediation.plan import plan_workspace
from meta254lib.report.index_first import attention_counts
from meta254lib.state.fix_first import fix_first
from meta254lib.state.weekly import weekly_change

pytestmark = pytest.mark.skipif(not (SAMPLE / "catalog").is_dir(), reason="data/sample has not been generated")


@pytest.fixture(scope="module")
def facts():
    st = analysis_state(open_workspace(SAMPLE))
    return st, weekly_change(st), plan_workspace(st.ws, st.as_of)


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["week", "-w", str(SAMPLE), *args], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_is_the_index_first_screen(facts):
    st, change, plan = facts
    payload = json.loads(_run("--format", "json"))
    assert payload["change"]["new"] == change.new == 0
    assert payload["change"]["fixed"] == change.fixed == 5
    assert payload["change"]["worsened"] == change.worsened == 0
    assert (
        payload["attention"]
        == attention_counts(st)
        == {
            "slo_overdue": 25,
            "expired_exemptions": 1,
            "quality_regressions": 0,
        }
    )
    rows = fix_first(st, plan.items, limit=10)
    assert [r["service"] for r in payload["fix_first"]] == list(rows["service"])
    assert [r["overdue"] for r in payload["fix_first"]] == [int(v) for v in rows["overdue"]]
    assert [r["rank"] for r in payload["fix_first"]] == list(range(1, 11))


def test_table_heading_and_width(facts):
    _, change, _ = facts
    text = _run()
    lines = text.splitlines()
    assert lines[0].startswith(f"Week to 2025-10-06: {change.open_now} (▼27) open issues: high 28 (▲17)")
    assert "0 new, 5 fixed, 0 worsened" in lines[2]
    assert max(len(line) for line in lines) <= 100
    assert "reference-data" in text and "Fix first (10 services):" in text


def test_csv_every_service_and_team_filter(facts):
    st, _, plan = facts
    rows = list(csv.DictReader(io.StringIO(_run("--format", "csv", "--limit", "0"))))
    assert len(rows) == len(fix_first(st, plan.items)) == plan.items["service"].nunique()
    team = rows[0]["team"]
    mine = list(csv.DictReader(io.StringIO(_run("--format", "csv", "--limit", "0", "--team", team))))
    assert mine and {r["team"] for r in mine} == {team}
    assert all(r["due"] == "" or len(r["due"]) >= 10 for r in rows)


def test_change_lines_without_last_week(facts):
    _, change, _ = facts
    from dataclasses import replace

    first = replace(change, backlog_before=None, before_source=None)
    lines = change_lines(first, {"slo_overdue": 0, "expired_exemptions": 0, "quality_regressions": 0})
    assert lines[0] == "Week to 2025-10-06: 75 open issues: high 28, medium 34, low 13"
    assert lines[1] == "Against: no drift report a week before the as-of"
