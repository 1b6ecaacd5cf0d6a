"""``report --all-teams`` / ``--team``: team names that slug alike get their own folders (issue 18)."""

from __future__ import annotations

import json

from conftest import svc, write_workspace
from report_support import fixture_notebooks

from meta254lib.report import run as r
from meta254lib.report.publish import latest_link


def test_teams_whose_names_slug_alike_get_their_own_reports(tmp_path):
    # the loader reads the team "../x" as "x"; "x" and "X" both became teams/x/ before
    services = [svc("a", team="../x"), svc("b", team="X"), svc("c", team="X")]
    catalog = {"metadata": {"generated_at": "2025-10-10T00:00:00+00:00"}, "services": services}
    ws = write_workspace(tmp_path / "ws", {"catalog/service-index.yaml": catalog})
    result = r.build_report(ws, notebooks_dir=fixture_notebooks("alpha"), out=tmp_path / "reports", all_teams=True)
    assert result.ok
    teams = result.folder / "teams"
    assert sorted(p.name for p in teams.iterdir()) == ["x", "x-4b68ab38"]
    for team, n in (("x", 1), ("X", 2)):
        summary = (teams / {"x": "x", "X": "x-4b68ab38"}[team] / "summary.md").read_text()
        assert f"team {team}" in summary and f"| {n} services, as of 2025-10-10 |" in summary
    run = json.loads((result.folder / "run.json").read_text())
    assert sorted(p["html"] for p in run["pages"]) == sorted(
        ["alpha.html", "teams/x/alpha.html", "teams/x-4b68ab38/alpha.html"]
    )
    assert [latest_link(tmp_path, t).name for t in ("x", "X", "../x")] == [
        "latest-team-x",
        "latest-team-x-4b68ab38",
        "latest-team-x-d6b96a97",
    ]
