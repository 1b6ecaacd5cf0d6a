"""The drift overview notebook: committed clean, and it runs with its parameters on a workspace with history."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import svc, write_workspace

from meta254lib import detect_drift, open_workspace, write_drift_report

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "drift_overview.ipynb"


def test_notebook_is_committed_clean_with_literal_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    names = [line.split("=")[0].strip() for line in code[0].source.splitlines() if "=" in line]
    assert names == ["workspace", "as_of", "team", "severity_floor"]
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


def _outputs(nb, mimetype):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if mimetype in out.get("data", {}):
                yield out["data"][mimetype]


@pytest.mark.slow
def test_notebook_runs_on_a_workspace_with_history(tmp_path):
    papermill = pytest.importorskip("papermill")
    specs = {
        "core": {
            "versions": [
                {"version": "1.0.0", "release_date": "2025-01-01"},
                {"version": "1.1.0", "release_date": "2025-06-01", "changes": ["feature"]},
                {"version": "2.0.0", "release_date": "2025-09-01", "changes": ["breaking"]},
            ]
        }
    }
    week1 = [
        svc("gw", team="access", api_contracts=["core@1.0.0"]),
        svc("auth", team="access", api_contracts=["core@1.1.0"]),
        svc("etl", team="data", api_contracts=["core@2.0.0"], events_in=["x.y.z.v1"]),
    ]
    files = {
        "config/specs-index.json": specs,
        "config/events-registry.yaml": {"events": []},
        "config/rules.yaml": {
            "drift": {"exemptions": [{"service": "etl", "reason": "retiring", "expires": "2025-12-31"}]}
        },
    }
    meta = {"metadata": {"generated_at": "2025-09-29T00:00:00+00:00"}}
    root = write_workspace(tmp_path / "ws", {**files, "catalog/service-index.yaml": {**meta, "services": week1}})
    write_drift_report(root, detect_drift(open_workspace(root), as_of="2025-09-29"))
    week2 = [dict(week1[0], api_contracts=["core@2.0.0"]), *week1[1:]]  # gw remediated its major lag
    write_workspace(
        root,
        {"catalog/service-index.yaml": {"metadata": {"generated_at": "2025-10-06T00:00:00+00:00"}, "services": week2}},
    )
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"workspace": str(root), "team": "access", "severity_floor": "medium"},
        cwd=str(NOTEBOOK.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    headline = next(_outputs(nb, "application/vnd.meta254.headline+json"))["text"]
    assert headline == "Drift as of 2025-10-06 for team access: 1 issue (1 high, 0 medium, 0 low) in 1 service"
    tables = {t["name"]: t for t in _outputs(nb, "application/vnd.meta254.table+json")}
    assert {
        "not_assessed",
        "spec_pins",
        "drift_flow_weekly",
        "backlog_age",
        "time_to_remediation",
        "kpis",
        "slo_status",
        "exemptions",
        "top_issues",
        "drift_issues",
    } <= set(tables)
    ttr = tables["time_to_remediation"]
    rows = {r[0]: dict(zip(ttr["columns"], r, strict=True)) for r in ttr["data"]}
    # gw's major lag was open from the 2025-09-29 report until the 2025-10-06 run: 7 days
    assert (rows["high"]["issues"], rows["high"]["resolved"], rows["high"]["median_days"]) == (2, 1, 7.0)
    figures = [f["layout"]["title"]["text"] for f in _outputs(nb, "application/vnd.plotly.v1+json")]
    assert figures[0] == "Counted drift issues by severity and type"
    assert len(figures) == 7
