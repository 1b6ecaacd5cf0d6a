"""Progress against an earlier plan."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from remediation_cases import (
    AS_OF,
    _issue,
    _services,
)

from meta254lib import cli
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


def test_progress_only_counts_a_return_after_a_report_of_the_same_source_without_it():
    services = _services("a", "b")
    first = [_issue("a", "version_staleness", "high"), _issue("b", "missing_lock", "high")]
    plan = build_plan(PlanInputs(rec(DRIFT_ISSUES, first), services), as_of=AS_OF)
    ids = {r["service"]: r["id"] for r in first}
    # a fresh drift run dates an issue the history does not know at its own as-of: not a return
    later = rec(DRIFT_ISSUES, [{**r, "as_of": "2025-10-13", "detected_at": "2025-10-13"} for r in first])
    # a platform report after the plan lacks both ids (it never looks for them); a meta254 report lacks b only
    history = rec(
        DRIFT_HISTORY,
        [
            {"report": "p", "report_time": "2025-10-11", "source": "platform", "issue_id": "DRIFT-other"},
            {"report": "m", "report_time": "2025-10-12", "source": "meta254", "issue_id": ids["a"]},
        ],
    )
    assert track_progress(plan, later).summary["came_back"] == []
    assert track_progress(plan, later, history=history).summary["came_back"] == [ids["b"]]


def test_cli_progress_after_one_fix_marks_it_done_and_nothing_came_back(sample, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(sample, ws, symlinks=True)
    run = CliRunner()
    earlier = tmp_path / "plan.json"
    earlier.write_text(
        run.invoke(cli.main, ["plan", "-w", str(ws), "--as-of", "2025-10-06", "--format", "json"]).output
    )
    item = next(i for i in json.loads(earlier.read_text())["items"] if i["service"] == "tick-store-writer")
    assert (item["subject"], item["current"]) == ("clickhouse", "23.8")
    pin = f"clickhouse@{item['target']}"
    # apply the item: pin clickhouse to its target in the catalog (YAML and JSON) and the collected manifest
    for rel in ("catalog/service-index.yaml", "manifests/collected/tick-store-writer.yaml"):
        text = (ws / rel).read_text(encoding="utf-8")
        start = text.index("- name: tick-store-writer") if rel.startswith("catalog") else 0
        head, tail = text[:start], text[start:]
        (ws / rel).write_text(head + tail.replace("- clickhouse@23.8\n", f"- {pin}\n", 1), encoding="utf-8")
    doc = json.loads((ws / "catalog/service-index.json").read_text(encoding="utf-8"))
    for s in doc["services"]:
        if s["name"] == "tick-store-writer":
            s["dependencies"]["external"] = [
                pin if e == "clickhouse@23.8" else e for e in s["dependencies"]["external"]
            ]
    (ws / "catalog/service-index.json").write_text(json.dumps(doc), encoding="utf-8")
    out = run.invoke(
        cli.main, ["plan", "-w", str(ws), "--as-of", "2025-10-10", "--progress", str(earlier), "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    status = {i["id"]: i["status"] for i in payload["items"]}
    assert status.pop(item["id"]) == "done"
    assert set(status.values()) == {"open"} and len(status) == len(payload["items"]) - 1 > 50
    assert payload["summary"]["came_back"] == []
    text = run.invoke(cli.main, ["plan", "-w", str(ws), "--as-of", "2025-10-10", "--progress", str(earlier)]).output
    assert f"done 1, partial 0, open {len(status)}, overdue 0; came back: none;" in text.splitlines()[0]
