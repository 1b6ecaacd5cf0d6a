"""The impact notebook: clean when committed, and it runs on a workspace given as a parameter."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import svc

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "impact_analysis.ipynb"


def test_notebook_is_committed_clean_with_literal_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    names = [line.split("=")[0].strip() for line in code[0].source.splitlines() if "=" in line]
    assert names == ["workspace", "changes", "relations", "max_depth", "as_of", "team", "max_nodes"]
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())


def _outputs(nb, mimetype):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if mimetype in out.get("data", {}):
                yield out["data"][mimetype]


@pytest.mark.slow
def test_notebook_runs_with_parameters(make_ws, tmp_path):
    papermill = pytest.importorskip("papermill")
    ws = make_ws(
        services=[
            svc("auth", team="access", events_out=["auth.token.validated.v1"]),
            svc("entitlements", team="access", events_in=["auth.token.validated.v1"]),
            svc("gateway", team="access", dependencies={"internal": ["auth"], "external": ["redis"]}),
            svc("etl", team="data", domain="data-processing", dependencies={"internal": ["gateway"], "external": []}),
        ],
        files={"config/rules.yaml": {"dependency": {"domain_layers": {"access": 3, "data-processing": 5}}}},
    )
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"workspace": str(ws), "changes": ["--service auth"], "team": "data", "max_nodes": 2},
        cwd=str(NOTEBOOK.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    headline = next(_outputs(nb, "application/vnd.meta254.headline+json"))["text"]
    assert headline == (
        "service:auth impacts 3 services (weighted 3.125) in 2 domains, up to 2 hops away: severity high. "
        "Team data: 1 impacted service."
    )
    tables = {t["name"]: t for t in _outputs(nb, "application/vnd.meta254.table+json")}
    assert {"impacted", "impacted_team", "structure_findings", "rollout_waves", "domain_matrix"} <= set(tables)
    figures = list(_outputs(nb, "application/vnd.plotly.v1+json"))
    title = figures[0]["layout"]["title"]["text"]
    assert title == "Impact of service:auth: 3 services impacted (showing the nearest 2)"
    assert json.dumps(tables["impacted_team"]).count("etl -depends_on-> gateway -depends_on-> auth") == 1
